/*
 * server_listen.c - open the listening sockets of a daemon from its listen
 * list ("host:port", "[v6addr]:port", "unix:/path", comma or blank
 * separated).
 *
 * Public (skeleton only, see server_int.h):
 *   server_listen_open(list, spec, &ls, &errstr)  0, or -1 with a reason
 *                        (and every socket opened so far closed again).
 *   server_listen_close(&ls, unlink_paths)
 *   server_listen_open_spec(spec, &ls, &errstr)  listen_param plus the
 *                        spec's extra_listen_params, sockets tagged with
 *                        the index of their parameter (ls->roles).
 * TCP sockets get SO_REUSEADDR, IPV6_V6ONLY for v6, O_NONBLOCK and a
 * backlog of SERVER_BACKLOG.  A unix socket's stale path is unlinked (the
 * caller holds the pid-file lock, so no live instance owns it), then the
 * socket gets mode spec->unix_mode and the group named by the value of the
 * parameter spec->unix_group_param (owner root).
 * Security: runs as root in the parent before any privilege drop; the
 * list comes from the configuration file, which is trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "log.h"
#include "server_int.h"

static char listen_err[512];

/* Record a failure reason for the caller and return -1. */
static int
listen_fail(const char **errstr_r, const char *what, const char *addr)
{
	snprintf(listen_err, sizeof(listen_err), "%s %s: %s", what, addr,
	    strerror(errno));
	*errstr_r = listen_err;
	return -1;
}

/* Append one descriptor (and its unix path, or NULL) to the set. */
static int
listen_add(struct server_listeners *ls, int fd, const char *path,
    const char **errstr_r)
{
	if (ls->count >= SERVER_LISTEN_MAX) {
		close(fd);
		*errstr_r = "too many listen addresses";
		return -1;
	}
	ls->fds[ls->count] = fd;
	ls->paths[ls->count] = path != NULL ? xstrdup(path) : NULL;
	ls->count++;
	return 0;
}

/* Give a unix socket its mode and group; the group is a parameter value. */
static int
listen_unix_perms(const char *path, const struct server_spec *spec,
    const char **errstr_r)
{
	const char *gname = NULL;
	struct group *gr;

	if (chmod(path, (mode_t)spec->unix_mode) != 0)
		return listen_fail(errstr_r, "chmod", path);
	if (geteuid() != 0)
		return 0;
	if (spec->unix_group_param != NULL)
		gname = config_get(spec->unix_group_param);
	if (gname == NULL || *gname == '\0')
		return chown(path, 0, 0) == 0 ? 0 :
		    listen_fail(errstr_r, "chown", path);
	if ((gr = getgrnam(gname)) == NULL) {
		log_warn("unix socket %s: group \"%s\" does not exist; "
		    "socket left group root (run \"petrel setup\")", path,
		    gname);
		return 0;
	}
	if (chown(path, 0, gr->gr_gid) != 0)
		return listen_fail(errstr_r, "chown", path);
	return 0;
}

/* Bind and listen on a unix-domain socket at path. */
static int
listen_unix(struct server_listeners *ls, const char *path,
    const struct server_spec *spec, const char **errstr_r)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*errstr_r = "unix socket path too long";
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return listen_fail(errstr_r, "socket", path);
	if (unlink(path) != 0 && errno != ENOENT) {
		close(fd);
		return listen_fail(errstr_r, "unlink stale", path);
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(fd, SERVER_BACKLOG) != 0) {
		listen_fail(errstr_r, "bind", path);
		close(fd);
		return -1;
	}
	if (listen_unix_perms(path, spec, errstr_r) != 0) {
		close(fd);
		return -1;
	}
	return listen_add(ls, fd, path, errstr_r);
}

/* Socket options, bind and listen for one resolved TCP address. */
static int
listen_tcp_one(struct server_listeners *ls, const struct addrinfo *ai,
    const char *addr, const char **errstr_r)
{
	int fd, on = 1;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (fd < 0)
		return listen_fail(errstr_r, "socket", addr);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
	    (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) != 0)) {
		listen_fail(errstr_r, "setsockopt", addr);
		close(fd);
		return -1;
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, SERVER_BACKLOG) != 0) {
		listen_fail(errstr_r, "bind", addr);
		close(fd);
		return -1;
	}
	return listen_add(ls, fd, NULL, errstr_r);
}

/* Split "host:port" or "[v6]:port" into host and port (in place). */
static int
listen_split(char *s, char **host_r, char **port_r)
{
	char *colon;

	if (*s == '[') {
		char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':')
			return -1;
		*end = '\0';
		*host_r = s + 1;
		*port_r = end + 2;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		*colon = '\0';
		*host_r = s;
		*port_r = colon + 1;
	}
	if (**port_r == '\0')
		return -1;
	if (**host_r == '\0' || strcmp(*host_r, "*") == 0)
		*host_r = NULL;
	return 0;
}

/* Resolve a TCP listen address and bind every result. */
static int
listen_tcp(struct server_listeners *ls, const char *addr,
    const char **errstr_r)
{
	struct addrinfo hints, *res, *ai;
	char *copy = xstrdup(addr), *host, *port;
	int rc = -1, gai;

	if (listen_split(copy, &host, &port) != 0) {
		snprintf(listen_err, sizeof(listen_err),
		    "bad listen address \"%s\" (want host:port, [v6]:port "
		    "or unix:/path)", addr);
		*errstr_r = listen_err;
		free(copy);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = host == NULL ? AF_INET : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(listen_err, sizeof(listen_err), "listen address "
		    "\"%s\": %s", addr, gai_strerror(gai));
		*errstr_r = listen_err;
		free(copy);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next)
		if ((rc = listen_tcp_one(ls, ai, addr, errstr_r)) != 0)
			break;
	freeaddrinfo(res);
	free(copy);
	return rc;
}

/* Add every address in the list to ls, tagged with role; 0 or -1. */
static int
listen_open_append(const char *list, const struct server_spec *spec,
    struct server_listeners *ls, int role, const char **errstr_r)
{
	char **items = config_list(list != NULL ? list : "");
	size_t first = ls->count;
	int rc = 0;

	for (size_t i = 0; items[i] != NULL && rc == 0; i++) {
		if (strncmp(items[i], "unix:", 5) == 0)
			rc = listen_unix(ls, items[i] + 5, spec, errstr_r);
		else
			rc = listen_tcp(ls, items[i], errstr_r);
	}
	config_list_free(&items);
	for (size_t i = first; i < ls->count; i++)
		ls->roles[i] = role;
	return rc;
}

/* Open every address in the list; all or nothing. */
int
server_listen_open(const char *list, const struct server_spec *spec,
    struct server_listeners *ls, const char **errstr_r)
{
	int rc;

	memset(ls, 0, sizeof(*ls));
	rc = listen_open_append(list, spec, ls, 0, errstr_r);
	if (rc != 0)
		server_listen_close(ls, 0);
	return rc;
}

/* Open listen_param and every extra_listen_params entry; all or nothing. */
int
server_listen_open_spec(const struct server_spec *spec,
    struct server_listeners *ls, const char **errstr_r)
{
	const char *const *more = spec->extra_listen_params;
	int rc;

	rc = server_listen_open(spec->listen_param != NULL ?
	    config_get(spec->listen_param) : NULL, spec, ls, errstr_r);
	for (int i = 0; rc == 0 && more != NULL && more[i] != NULL; i++)
		rc = listen_open_append(config_get(more[i]), spec, ls, i + 1,
		    errstr_r);
	if (rc != 0)
		server_listen_close(ls, 0);
	return rc;
}

/* Close every listener; optionally remove unix socket paths too. */
void
server_listen_close(struct server_listeners *ls, int unlink_paths)
{
	for (size_t i = 0; i < ls->count; i++) {
		if (ls->fds[i] >= 0)
			close(ls->fds[i]);
		if (unlink_paths && ls->paths[i] != NULL)
			(void)unlink(ls->paths[i]);
		free(ls->paths[i]);
		ls->paths[i] = NULL;
		ls->fds[i] = -1;
	}
	ls->count = 0;
}
