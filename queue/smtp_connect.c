/*
 * smtp_connect.c - TCP connections to mail servers with a time limit, and
 * the TLS policy of a next hop.
 *
 * Public:
 *   smtp_connect(addr, timeout, why, whylen)  a connected socket
 *        (TCP_NODELAY: every write is a whole command group), or -1 with
 *        why = the error text (timeouts say "timed out").
 *   smtp_tls_policy_init(&errstr)  opens smtp_tls_policy_maps.
 *   smtp_tls_policy(nexthop)  the level for a next hop: the policy map's
 *        value for the next hop as written ("example.com", "[10.0.0.1]:25")
 *        or, for a domain, its parent domains with a leading dot; else
 *        smtp_tls_security_level.  Levels: none, may, encrypt, verify
 *        (also "secure", treated as verify); the first word of the value
 *        counts, so "verify match=..." style values are accepted.  An
 *        unknown level is logged and treated as encrypt (fail closed).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "maps.h"
#include "params.h"
#include "smtp.h"

static struct maplist *policy_maps;

/* Connect to one address within timeout seconds; fd or -1. */
int
smtp_connect(const struct dns_addr *a, long timeout, char *why, size_t whylen)
{
	struct pollfd p;
	int fd, err = 0, r, one = 1;
	socklen_t len = sizeof(err);

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	/* Commands and body are written whole: no Nagle delay for the last
	 * small piece (the end-of-data dot, a pipelined DATA). */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		snprintf(why, whylen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	p.fd = fd;
	p.events = POLLOUT;
	do
		r = poll(&p, 1, (int)(timeout * 1000));
	while (r < 0 && errno == EINTR);
	if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
	    err != 0) {
		snprintf(why, whylen, "%s", r == 0 ? "Connection timed out" :
		    strerror(err ? err : errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Open the policy maps. */
int
smtp_tls_policy_init(const char **errstr_r)
{
	policy_maps = maplist_open(var_smtp_tls_policy_maps, errstr_r);
	return policy_maps != NULL ? 0 : -1;
}

/* A level name to its value; -1 if unknown. */
static int
level_of(const char *v)
{
	size_t n = strcspn(v, " \t,");

	if (n == 4 && strncmp(v, "none", 4) == 0)
		return SMTP_TLS_NONE;
	if (n == 3 && strncmp(v, "may", 3) == 0)
		return SMTP_TLS_MAY;
	if (n == 7 && strncmp(v, "encrypt", 7) == 0)
		return SMTP_TLS_ENCRYPT;
	if ((n == 6 && strncmp(v, "verify", 6) == 0) ||
	    (n == 6 && strncmp(v, "secure", 6) == 0))
		return SMTP_TLS_VERIFY;
	return -1;
}

/* The TLS level for a next hop. */
enum smtp_tls_level
smtp_tls_policy(const char *nexthop)
{
	const char *v = NULL, *err, *p;
	int r = 0, level;

	if (policy_maps != NULL) {
		r = maplist_lookup(policy_maps, nexthop, &v, &err);
		for (p = strchr(nexthop, '.'); r == 0 && nexthop[0] != '[' &&
		    p != NULL; p = strchr(p + 1, '.'))
			r = maplist_lookup(policy_maps, p, &v, &err);
	}
	if (r <= 0)
		v = var_smtp_tls_security_level;
	if (r < 0)
		log_warn("smtp_tls_policy_maps lookup for %s failed: "
		    "using encrypt", nexthop);
	level = r < 0 ? SMTP_TLS_ENCRYPT : level_of(v);
	if (level < 0) {
		log_warn("unknown TLS security level \"%s\" for %s: using "
		    "encrypt", v, nexthop);
		level = SMTP_TLS_ENCRYPT;
	}
	return (enum smtp_tls_level)level;
}
