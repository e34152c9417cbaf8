/*
 * login_loop.c - the event loop of the pre-login stage (imapd, pop3d; see
 * login.h): one epoll set over the listening sockets (shared by every
 * login process), the parent's life pipe, and each client's socket,
 * pending password check and relay.
 *
 * Public: login_event_worker (the pool worker's life), login_one_session
 * (-S), login_watch/login_unwatch (epoll interest), login_close,
 * login_now (see login.h).
 * Limits: per client address, the connection count and rate limits
 * (login_climit.c), checked at accept before the greeting; the
 * protocol's client_limit (imapd_login_client_limit,
 * pop3d_login_client_limit) clients per process (then the process
 * reports itself full and stops accepting until one leaves), at most
 * server_max_use times that many accepted in its life (then it stops
 * accepting and exits once its last client is gone, so the pool starts a
 * fresh one; a process holds clients by the thousand, and the TLS ones
 * until they log out, so its life is counted in process-fulls).  Every
 * client has a deadline: the protocol's login_timeout without a complete
 * command, its starttls timeout for a handshake; the relay of a logged-in
 * TLS client is bounded by the session's own timeouts instead.
 * Stopping (SIGTERM, reload): the process stops accepting, says goodbye
 * (LOGIN_ANS_SHUTDOWN) to clients that have not logged in, keeps relaying
 * for the logged-in ones and exits when none is left.  EOF on the life
 * pipe (the parent died) ends everything at once.
 * Every client socket gets TCP_NODELAY at accept (the session inherits
 * it with the descriptor): replies are buffered and written whole
 * (conn.c), so Nagle's algorithm would only hold back the tail of a
 * response longer than one write until the client's delayed ACK, 40 ms
 * per FETCH of more than 16 KB.
 * Security: runs as the daemon's login user; see login.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "log.h"
#include "linger.h"
#include "login.h"
#include "params.h"
#include "server.h"
#include "tls.h"

#define LOOP_EVENTS 64

const struct login_proto *login_proto;

static int loop_ep = -1;
static struct login_client *loop_clients;
static struct login_client *loop_dead;	/* closed, freed after the batch */
static size_t loop_nclients;
static long loop_accepted;
static int loop_accepting = 1;
static struct login_ev loop_listen[64];
static size_t loop_nlisten;
static struct login_ev loop_life;
static time_t loop_clock;

/* The time of this loop iteration (one time() call per wake-up). */
time_t
login_now(void)
{
	return loop_clock ? loop_clock : time(NULL);
}

/* Register ev for mask (0: none) in the epoll set. */
void
login_watch(struct login_ev *ev, unsigned int mask)
{
	struct epoll_event ee;
	int op;

	if (ev->fd < 0 || loop_ep < 0 || ev->mask == mask)
		return;
	memset(&ee, 0, sizeof(ee));
	ee.events = mask;
	ee.data.ptr = ev;
	op = ev->mask == 0 ? EPOLL_CTL_ADD : mask == 0 ? EPOLL_CTL_DEL :
	    EPOLL_CTL_MOD;
	if (op == EPOLL_CTL_ADD && mask == 0)
		return;
	if (epoll_ctl(loop_ep, op, ev->fd, &ee) < 0)
		log_warn("epoll_ctl: %m");
	ev->mask = mask;
}

/* Remove ev from the epoll set. */
void
login_unwatch(struct login_ev *ev)
{
	login_watch(ev, 0);
}

/* Stop or resume accepting on every listener. */
static void
loop_set_accepting(int on)
{
	if (loop_accepting == on)
		return;
	loop_accepting = on;
	for (size_t i = 0; i < loop_nlisten; i++)
		login_watch(&loop_listen[i], on ? EPOLLIN | EPOLLEXCLUSIVE : 0);
}

/* Clients this process accepts in its life (see the file comment). */
static long
loop_max_use(void)
{
	return var_server_max_use * *login_proto->client_limit;
}

/* Whether this process may take another client. */
static int
loop_room(void)
{
	return !server_stopping() && loop_accepted < loop_max_use() &&
	    (long)loop_nclients < *login_proto->client_limit;
}

/* Tell the pool whether we have room; accept only when we do. */
static void
loop_update_room(void)
{
	int room = loop_room();

	server_worker_full(!room);
	/* EPOLLEXCLUSIVE cannot be modified: re-add from scratch. */
	loop_set_accepting(room);
}

/* A new client structure for fd. */
static struct login_client *
loop_client_new(int fd, int fd_out, const struct server_peer *peer)
{
	struct login_client *c = xcalloc(1, sizeof(*c));

	c->ev.kind = LEV_CLIENT;
	c->ev.c = c;
	c->ev.fd = fd;
	c->out_fd = fd_out;
	c->auth_ev.kind = LEV_AUTH;
	c->auth_ev.c = c;
	c->auth_ev.fd = -1;
	c->proxy_ev.kind = LEV_PROXY;
	c->proxy_ev.c = c;
	c->proxy_ev.fd = -1;
	c->climit_slot = -1;
	c->peer = *peer;
	c->in = buf_new(1024, (size_t)*login_proto->line_limit + 1024);
	c->out = buf_new(1024, LOGIN_OUT_MAX);
	c->started = login_now();
	c->deadline = c->started + *login_proto->login_timeout;
	c->next = loop_clients;
	if (loop_clients != NULL)
		loop_clients->prev = c;
	loop_clients = c;
	loop_nclients++;
	return c;
}

/* Forget a client: descriptors closed, memory wiped and freed. */
void
login_close(struct login_client *c)
{
	login_climit_leave(c);
	login_auth_report(c);
	if (c->ps != NULL)
		login_proto->free_state(c);
	login_unwatch(&c->ev);
	login_unwatch(&c->auth_ev);
	login_unwatch(&c->proxy_ev);
	if (c->tls != NULL)
		tls_session_free(&c->tls, 1);
	if (c->auth_ev.fd >= 0)
		close(c->auth_ev.fd);
	if (c->proxy_ev.fd >= 0)
		close(c->proxy_ev.fd);
	if (c->ev.fd >= 0 && !c->logged_in)	/* ours alone: see linger.h */
		linger_drain_now(c->ev.fd);
	if (c->ev.fd >= 0)
		close(c->ev.fd);
	if (c->out_fd >= 0 && c->out_fd != c->ev.fd)
		close(c->out_fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		loop_clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	loop_nclients--;
	explicit_bzero(c->in->data, c->in->cap);
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->down);
	/* Other events of this epoll batch may still point at c. */
	c->closed = 1;
	c->dead_next = loop_dead;
	loop_dead = c;
	loop_update_room();
}

/* Free the clients closed during the last batch of events. */
static void
loop_reap_dead(void)
{
	struct login_client *c;

	while ((c = loop_dead) != NULL) {
		loop_dead = c->dead_next;
		explicit_bzero(c, sizeof(*c));
		free(c);
	}
}

/* Send each write at once (see the header); a UNIX socket just says no. */
static void
loop_nodelay(int fd)
{
	static const int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Accept what is waiting on one listener. */
static void
loop_accept(struct login_ev *ev)
{
	struct server_peer peer;
	struct login_client *c;
	int fd, i;

	for (i = 0; i < 16 && loop_room(); i++) {
		fd = accept4(ev->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				log_warn("accept: %m");
			break;
		}
		loop_accepted++;
		server_worker_served();
		loop_nodelay(fd);
		server_peer_of(fd, &peer);
		peer.listener = ev->role;
		c = loop_client_new(fd, fd, &peer);
		login_climit_admit(c);	/* before the greeting */
		login_greet(c);
	}
	loop_update_room();
}

/* Run the handlers an event on a client asks for. */
static void
loop_client_event(struct login_ev *ev, unsigned int events)
{
	struct login_client *c = ev->c;

	(void)events;
	switch (ev->kind) {
	case LEV_CLIENT:
		if (c->state == LS_PROXY)
			login_proxy_event(c);
		else
			login_process(c);
		break;
	case LEV_AUTH:
		login_auth_event(c);
		break;
	case LEV_PROXY:
		login_proxy_event(c);
		break;
	default:
		break;
	}
}

/* Deadlines and delayed replies, once per second. */
static void
loop_tick(time_t now)
{
	struct login_client *c, *next;

	for (c = loop_clients; c != NULL; c = next) {
		next = c->next;
		if (c->state == LS_DELAY || c->state == LS_AUTH) {
			login_auth_tick(c, now);
			continue;
		}
		if (c->state == LS_PROXY || now < c->deadline)
			continue;
		if (c->state == LS_COMMAND || c->state == LS_SASL) {
			login_proto->answer(c, LOGIN_ANS_IDLE);
			(void)login_io_flush(c);
		}
		login_close(c);
	}
}

/* Stopping: goodbye to everyone not yet logged in. */
static void
loop_stop_clients(void)
{
	struct login_client *c, *next;

	for (c = loop_clients; c != NULL; c = next) {
		next = c->next;
		if (c->state == LS_PROXY)
			continue;
		if (c->state != LS_HANDSHAKE) {
			login_proto->answer(c, LOGIN_ANS_SHUTDOWN);
			(void)login_io_flush(c);
		}
		login_close(c);
	}
}

/* Make the epoll set over the listeners and the life pipe. */
static void
loop_setup(const struct server_listen_fd *fds, size_t n, int life_fd)
{
	if ((loop_ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		log_fatal("epoll_create1: %m");
	if (n > sizeof(loop_listen) / sizeof(loop_listen[0]))
		n = sizeof(loop_listen) / sizeof(loop_listen[0]);
	for (size_t i = 0; i < n; i++) {
		loop_listen[i].kind = LEV_LISTENER;
		loop_listen[i].fd = fds[i].fd;
		loop_listen[i].role = fds[i].role;
		(void)fcntl(fds[i].fd, F_SETFL, O_NONBLOCK);
		login_watch(&loop_listen[i], EPOLLIN | EPOLLEXCLUSIVE);
	}
	loop_nlisten = n;
	loop_life.kind = LEV_LIFE;
	loop_life.fd = life_fd;
	if (life_fd >= 0)
		login_watch(&loop_life, EPOLLIN);
}

/* Wait for events (at most a second) and dispatch them; 0 = life EOF. */
static int
loop_once(void)
{
	struct epoll_event evs[LOOP_EVENTS];
	struct login_ev *ev;
	int n = epoll_wait(loop_ep, evs, LOOP_EVENTS, 1000);

	if (n < 0 && errno != EINTR)
		log_fatal("epoll_wait: %m");
	loop_clock = time(NULL);
	for (int i = 0; i < n; i++) {
		ev = evs[i].data.ptr;
		if (ev->kind == LEV_LIFE)
			return 0;
		if (ev->kind == LEV_LISTENER)
			loop_accept(ev);
		else if (!ev->c->closed)
			loop_client_event(ev, evs[i].events);
	}
	loop_reap_dead();
	return 1;
}

/* The login process's life. */
void
login_event_worker(const struct login_proto *p,
    const struct server_listen_fd *fds, size_t n, int life_fd)
{
	time_t last_tick = 0;
	int stopping = 0;

	login_proto = p;
	loop_setup(fds, n, life_fd);
	for (;;) {
		if (!loop_once())
			break;
		if (server_stopping() && !stopping) {
			stopping = 1;
			loop_set_accepting(0);
			loop_stop_clients();
		}
		if (loop_clock != last_tick) {
			last_tick = loop_clock;
			loop_tick(loop_clock);
		}
		if (loop_nclients == 0 && (stopping ||
		    loop_accepted >= loop_max_use()))
			break;
	}
	while (loop_clients != NULL)
		login_close(loop_clients);
	loop_reap_dead();
}

/* -S: the pre-login stage for one client on stdin/stdout; a successful
 * login runs the session in this process. */
void
login_one_session(const struct login_proto *p, int fd_in, int fd_out)
{
	struct server_peer peer;
	struct login_client *c;

	login_proto = p;
	memset(&peer, 0, sizeof(peer));
	peer.is_unix = 1;
	(void)fcntl(fd_in, F_SETFL, fcntl(fd_in, F_GETFL) | O_NONBLOCK);
	loop_setup(NULL, 0, -1);
	c = loop_client_new(fd_in, fd_out, &peer);
	c->session_local = 1;
	login_greet(c);
	while (loop_nclients > 0) {
		(void)loop_once();
		loop_tick(loop_clock);
	}
}
