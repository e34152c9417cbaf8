/*
 * server_worker.c - one worker of the pre-fork pool: drop privileges, then
 * accept clients and hand each to spec->session(), or run spec->loop() for
 * a single-process daemon.
 *
 * Public: server_worker_full(full), server_worker_served() and
 * server_peer_of(fd, &peer) (server.h, for event workers: see
 * spec->event_worker).
 * Skeleton only: server_worker_main(spec, ls, board, slot,
 * status_fd, life_fd)
 * never returns; the worker exits 0 after var_server_max_use sessions, when
 * told to stop, or when its parent is gone (EOF on the life pipe), and
 * through log_fatal when it cannot drop privileges.
 * Stopping: SIGTERM/SIGINT make an idle worker exit at once; a worker in a
 * session finishes that session (or its client goes away) and then exits.
 * Ending: after the session the connection is closed with linger_close
 * (linger.h), so that a client's unread pipelined input does not turn the
 * server's last reply into a reset.
 * Accepting: each worker waits in its own epoll set with EPOLLEXCLUSIVE, so
 * a new connection wakes one idle worker rather than all of them.
 * Security: the privilege drop (privs_drop: initgroups, setgid, setuid,
 * then proof that root cannot be regained) and then spec->sandbox's
 * seccomp filter (sandbox.h) come before any client is accepted;
 * spec->user_param NULL keeps root (local delivery only).
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "linger.h"
#include "log.h"
#include "params.h"
#include "privs.h"
#include "sandbox.h"
#include "server_int.h"
#include "strutil.h"

static volatile sig_atomic_t worker_busy;
static int worker_status_fd = -1;
static struct server_board *worker_board;
static struct server_slot *worker_slot;
static int worker_full_state;	/* event workers: reported full */

/* SIGTERM/SIGINT in a worker: leave now when idle, else after the session. */
static void
worker_on_term(int sig)
{
	(void)sig;
	if (!worker_busy)
		_exit(0);
	server_stop_flag = 1;
}

/* SIGUSR2: the pool came under stress; the interrupted wait (conn.h)
 * looks at the board again. */
static void
worker_on_stress(int sig)
{
	(void)sig;
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
	sa.sa_handler = worker_on_stress;	/* only interrupts a poll */
	sigaction(SIGUSR2, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Is the pool overloaded (server.h "Stress")? */
int
server_under_stress(void)
{
	return worker_board != NULL &&
	    __atomic_load_n(&worker_board->stress, __ATOMIC_ACQUIRE) != 0;
}

/* Mark ourselves busy or idle on the board; wake the parent only when
 * idle workers run short. */
static void
worker_report(int busy)
{
	char wake = 'w';
	int idle;

	if (busy) {
		__atomic_store_n(&worker_slot->busy, 1, __ATOMIC_RELEASE);
		worker_slot->served = 1;
		idle = __atomic_sub_fetch(&worker_board->idle, 1,
		    __ATOMIC_SEQ_CST);
		if (idle < worker_board->min_idle &&
		    write(worker_status_fd, &wake, 1) < 0)
			(void)0;	/* full pipe: the parent is awake anyway */
	} else {
		__atomic_add_fetch(&worker_board->idle, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&worker_slot->busy, 0, __ATOMIC_RELEASE);
	}
}

/* An event worker says whether it can take more clients (counted idle)
 * or not (counted busy, so the parent forks another). */
void
server_worker_full(int full)
{
	full = full != 0;
	if (worker_slot == NULL || worker_full_state == full)
		return;
	worker_full_state = full;
	worker_report(full);
}

/* An event worker took a client: its death is no longer a "fast death"
 * that throttles the pool (server_pool.c). */
void
server_worker_served(void)
{
	if (worker_slot != NULL)
		worker_slot->served = 1;
}

/* Run an event worker over copies of the listening sockets. */
static void
worker_event_run(const struct server_spec *spec,
    struct server_listeners *ls, int life_fd)
{
	struct server_listen_fd fds[SERVER_LISTEN_MAX];

	for (size_t i = 0; i < ls->count; i++) {
		fds[i].fd = ls->fds[i];
		fds[i].role = ls->roles[i];
	}
	spec->event_worker(fds, ls->count, life_fd);
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
void
server_peer_of(int fd, struct server_peer *peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(peer, 0, sizeof(*peer));
	memset(&ss, 0, sizeof(ss));	/* a short address leaves AF_UNSPEC */
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

/* Accept one client on lfd and serve it; 1 if a session ran.  role is
 * the listener index the session sees in peer.listener. */
static int
worker_serve(const struct server_spec *spec, int lfd, int role)
{
	struct server_peer peer;
	int fd;

	worker_busy = 1;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		worker_busy = 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept: %m");
		return 0;
	}
	worker_report(1);
	server_peer_of(fd, &peer);
	peer.listener = role;
	spec->session(fd, fd, &peer);
	linger_close(fd, LINGER_DEFAULT_MS);	/* the last reply arrives */
	worker_busy = 0;
	worker_report(0);
	return 1;
}

/* An epoll set over the listeners (exclusive wake-ups) and the life pipe. */
static int
worker_epoll(struct server_listeners *ls, int life_fd)
{
	struct epoll_event ev;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		log_fatal("epoll_create1: %m");
	for (size_t i = 0; i < ls->count; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, ls->fds[i], &ev) < 0)
			log_fatal("epoll_ctl: %m");
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = UINT32_MAX;	/* the life pipe */
	if (epoll_ctl(ep, EPOLL_CTL_ADD, life_fd, &ev) < 0)
		log_fatal("epoll_ctl: %m");
	return ep;
}

/* Wait on the listeners (and the parent's life pipe); serve what arrives. */
static void
worker_accept_loop(const struct server_spec *spec,
    struct server_listeners *ls, int life_fd)
{
	struct epoll_event evs[SERVER_LISTEN_MAX + 1];
	int ep = worker_epoll(ls, life_fd), n;
	long uses = 0;

	while (uses < var_server_max_use && !server_stop_flag) {
		n = epoll_wait(ep, evs, SERVER_LISTEN_MAX + 1, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_fatal("epoll_wait: %m");
		}
		for (int i = 0; i < n && !server_stop_flag; i++) {
			if (evs[i].data.u32 == UINT32_MAX)
				return;		/* the parent is gone */
			uses += worker_serve(spec,
			    ls->fds[evs[i].data.u32],
			    ls->roles[evs[i].data.u32]);
		}
	}
	close(ep);
}

/* A worker's whole life. */
void
server_worker_main(const struct server_spec *spec,
    struct server_listeners *ls, struct server_board *board,
    struct server_slot *slot, int status_fd, int life_fd)
{
	int pid_fd = server_pidfile_fd();
	pid_t parent = getppid();
	const char *err = NULL;

	worker_board = board;
	worker_slot = slot;
	conn_set_stress(&board->stress, (int)var_stress_timeout);
	worker_status_fd = status_fd;
	/* A single-process daemon keeps the pid file's lock alive while it
	 * lives, so that no second instance can start beside it even if its
	 * parent was killed outright. */
	if (pid_fd >= 0 && spec->loop == NULL)
		close(pid_fd);
	if (spec->loop != NULL || spec->event_worker != NULL)
		worker_busy = 1;	/* they poll server_stopping() */
	worker_signals();
	worker_drop(spec);
	/* After the drop: a credential change clears the setting.  A parent
	 * killed outright must not leave an orphan behind (a loop daemon has
	 * no life pipe to watch). */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
		exit(0);
	if (sandbox_enter((enum sandbox_profile)spec->sandbox, &err) < 0)
		log_fatal("%s", err);
	if (spec->loop != NULL) {
		spec->loop();
		exit(0);
	}
	if (spec->event_worker != NULL) {
		worker_event_run(spec, ls, life_fd);
		exit(0);
	}
	worker_accept_loop(spec, ls, life_fd);
	exit(0);
}
