/*
 * server_worker.c - one worker of the pre-fork pool: drop privileges, then
 * accept clients and hand each to spec->session(), or run spec->loop() for
 * a single-process daemon.
 *
 * Public (skeleton only): server_worker_main(spec, ls, status_fd, life_fd)
 * never returns; the worker exits 0 after var_server_max_use sessions, when
 * told to stop, or when its parent is gone (EOF on the life pipe), and
 * through log_fatal when it cannot drop privileges.
 * Stopping: SIGTERM/SIGINT make an idle worker exit at once; a worker in a
 * session finishes that session (or its client goes away) and then exits.
 * Security: the privilege drop (privs_drop: initgroups, setgid, setuid,
 * then proof that root cannot be regained) happens before any client is
 * accepted; spec->user_param NULL keeps root (local delivery only).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "params.h"
#include "privs.h"
#include "server_int.h"
#include "strutil.h"

static volatile sig_atomic_t worker_busy;
static int worker_status_fd = -1;

/* SIGTERM/SIGINT in a worker: leave now when idle, else after the session. */
static void
worker_on_term(int sig)
{
	(void)sig;
	if (!worker_busy)
		_exit(0);
	server_stop_flag = 1;
}

/* The worker's signal dispositions (the parent's handlers do not apply). */
static void
worker_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = worker_on_term;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Tell the parent we are busy or idle (one atomic fixed-size write). */
static void
worker_report(int busy)
{
	struct server_status_msg m;

	memset(&m, 0, sizeof(m));
	m.pid = getpid();
	m.busy = busy;
	if (write(worker_status_fd, &m, sizeof(m)) < 0)
		(void)0;	/* the parent is gone; we notice soon */
}

/* Become the daemon's user, then run the daemon's post-drop hook. */
static void
worker_drop(const struct server_spec *spec)
{
	const char *user, *err = NULL;

	if (spec->user_param != NULL && geteuid() == 0) {
		user = config_get(spec->user_param);
		if (user == NULL || *user == '\0')
			log_fatal("parameter %s is empty", spec->user_param);
		if (privs_drop(user, &err) != 0)
			log_fatal("cannot become %s: %s", user,
			    err != NULL ? err : "error");
	}
	if (spec->post_drop != NULL)
		spec->post_drop();
}

/* Numeric address and port of a socket address. */
static void
worker_numeric(const struct sockaddr_storage *ss, socklen_t len,
    char *addr, size_t addrsize, int *port_r)
{
	char serv[16];
	long port = 0;

	addr[0] = '\0';
	*port_r = 0;
	if (getnameinfo((const struct sockaddr *)ss, len, addr,
	    (socklen_t)addrsize, serv, sizeof(serv),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		addr[0] = '\0';
		return;
	}
	if (str_to_long(serv, strlen(serv), 0, 65535, &port) == 0)
		*port_r = (int)port;
}

/* Fill the peer description of an accepted client. */
static void
worker_peer(int fd, struct server_peer *peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(peer, 0, sizeof(*peer));
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_UNIX) {
		peer->is_unix = 1;
		return;
	}
	worker_numeric(&ss, len, peer->addr, sizeof(peer->addr), &peer->port);
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		worker_numeric(&ss, len, peer->local_addr,
		    sizeof(peer->local_addr), &peer->local_port);
}

/* Accept one client on lfd and serve it; 1 if a session ran. */
static int
worker_serve(const struct server_spec *spec, int lfd)
{
	struct server_peer peer;
	int fd, fl;

	worker_busy = 1;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		worker_busy = 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept: %m");
		return 0;
	}
	worker_report(1);
	if ((fl = fcntl(fd, F_GETFL)) >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	worker_peer(fd, &peer);
	spec->session(fd, fd, &peer);
	close(fd);
	worker_busy = 0;
	worker_report(0);
	return 1;
}

/* Poll the listeners (and the parent's life pipe); serve what arrives. */
static void
worker_accept_loop(const struct server_spec *spec,
    struct server_listeners *ls, int life_fd)
{
	struct pollfd pfd[SERVER_LISTEN_MAX + 1];
	long uses = 0;
	size_t n = ls->count;

	for (size_t i = 0; i < n; i++) {
		pfd[i].fd = ls->fds[i];
		pfd[i].events = POLLIN;
	}
	pfd[n].fd = life_fd;
	pfd[n].events = POLLIN;
	while (uses < var_server_max_use && !server_stop_flag) {
		if (poll(pfd, n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_fatal("poll: %m");
		}
		if (pfd[n].revents != 0)
			break;		/* the parent is gone */
		for (size_t i = 0; i < n && !server_stop_flag; i++)
			if (pfd[i].revents & POLLIN)
				uses += worker_serve(spec, pfd[i].fd);
	}
}

/* A worker's whole life. */
void
server_worker_main(const struct server_spec *spec,
    struct server_listeners *ls, int status_fd, int life_fd)
{
	int pid_fd = server_pidfile_fd();

	worker_status_fd = status_fd;
	if (pid_fd >= 0)
		close(pid_fd);
	if (spec->loop != NULL)
		worker_busy = 1;	/* loop() polls server_stopping() */
	worker_signals();
	worker_drop(spec);
	if (spec->loop != NULL) {
		spec->loop();
		exit(0);
	}
	worker_accept_loop(spec, ls, life_fd);
	exit(0);
}
