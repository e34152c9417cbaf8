/*
 * qmgr_local.c - the queue manager's side of local delivery: up to
 * local_destination_concurrency_limit connections to petrel-local (socket
 * $local_listen without "unix:"), each carrying one request at a time and
 * reused across messages, plus the FIFO of messages waiting for a slot.
 *
 * Public: qmgr_local_init, qmgr_local_enqueue, qmgr_local_dispatch,
 * qmgr_local_pollfds, qmgr_local_events, qmgr_local_timeouts,
 * qmgr_local_maxfds, qmgr_local_shutdown.
 * A request carries the open queue file (SCM_RIGHTS) and every local
 * recipient of one message.  A dead connection defers its recipients
 * ("4.3.0 local delivery agent died") - except that a reused connection
 * that dies before answering anything gets one free retry on a fresh
 * connection (the agent may have closed an idle connection).
 * Sockets are non-blocking; nothing here blocks the event loop.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "deliver.h"
#include "log.h"
#include "params.h"
#include "qmgr.h"

struct lconn {
	int fd;			/* -1: not connected */
	struct qmgr_msg *msg;	/* NULL: idle */
	struct buf *out;
	size_t off;
	int fd_sent;
	int reused;
	int got_bytes;
	time_t deadline;
	struct deliver_decoder *dec;
};

static struct lconn *conns;
static size_t nconns;
static size_t *poll_map;
static struct qmgr_msg *wait_head, *wait_tail;
static struct sockaddr_un local_sun;

/* Set up the connection slots and the agent's socket address. */
void
qmgr_local_init(void)
{
	const char *p = var_local_listen;

	if (strncmp(p, "unix:", 5) == 0)
		p += 5;
	local_sun.sun_family = AF_UNIX;
	if (strlen(p) >= sizeof(local_sun.sun_path))
		log_fatal("local_listen path too long: %s", p);
	memcpy(local_sun.sun_path, p, strlen(p) + 1);
	nconns = (size_t)var_local_destination_concurrency_limit;
	conns = xcalloc(nconns, sizeof(*conns));
	poll_map = xcalloc(nconns, sizeof(*poll_map));
	for (size_t i = 0; i < nconns; i++) {
		conns[i].fd = -1;
		conns[i].out = buf_new(4096, 0);
		conns[i].dec = deliver_decoder_new(DELIVER_REPLY);
	}
}

/* Most descriptors qmgr_local_pollfds may fill in. */
size_t
qmgr_local_maxfds(void)
{
	return (size_t)var_local_destination_concurrency_limit;
}

/* Queue a message for a local delivery slot. */
void
qmgr_local_enqueue(struct qmgr_msg *m)
{
	m->next = NULL;
	if (wait_tail != NULL)
		wait_tail->next = m;
	else
		wait_head = m;
	wait_tail = m;
}

/* Put a message back at the head of the wait queue. */
static void
requeue_front(struct qmgr_msg *m)
{
	m->next = wait_head;
	wait_head = m;
	if (wait_tail == NULL)
		wait_tail = m;
}

/* Defer every in-flight recipient with reason and finish the message. */
static void
fail_msg(struct qmgr_msg *m, const char *enh, const char *text)
{
	for (size_t i = 0; i < m->env->nrcpts; i++)
		if (m->rs[i].in_flight)
			qmgr_msg_result(m, i, 4, enh, text);
	qmgr_msg_finish(m);
}

/* Close a connection; its message (if any) is retried or deferred. */
static void
conn_fail(struct lconn *c, const char *text)
{
	struct qmgr_msg *m = c->msg;

	close(c->fd);
	c->fd = -1;
	c->msg = NULL;
	deliver_decoder_free(&c->dec);
	c->dec = deliver_decoder_new(DELIVER_REPLY);
	if (m == NULL)
		return;
	if (c->reused && !c->got_bytes && !m->retried) {
		m->retried = 1;
		requeue_front(m);
		return;
	}
	log_warn("%s: local delivery agent: %s", m->qid, text);
	m->agent_lost = 1;	/* it may still read the file: never recycle it */
	fail_msg(m, "4.3.0", text);
}

/* Send what is pending; the first bytes carry the queue file descriptor. */
static void
conn_write(struct lconn *c)
{
	ssize_t n;
	size_t left = c->out->len - c->off;

	if (left == 0)
		return;
	if (!c->fd_sent)
		n = deliver_send_fd(c->fd, c->msg->fd, c->out->data + c->off,
		    left);
	else
		n = send(c->fd, c->out->data + c->off, left,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_fail(c, "local delivery agent died");
		return;
	}
	c->fd_sent = 1;
	c->off += (size_t)n;
}

/* Connect to the agent; 0 or -1. */
static int
conn_open(struct lconn *c)
{
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&local_sun,
	    sizeof(local_sun)) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

/* Build the request for the message's in-flight recipients; count. */
static size_t
build_request(struct lconn *c, struct qmgr_msg *m)
{
	struct deliver_rcpt *r = xcalloc(m->env->nrcpts, sizeof(*r));
	size_t n = 0;

	for (size_t i = 0; i < m->env->nrcpts; i++) {
		if (!m->rs[i].in_flight)
			continue;
		if (strpbrk(m->env->rcpts[i].addr, "\r\n") != NULL ||
		    strlen(m->env->rcpts[i].addr) > DELIVER_LINE_MAX - 32) {
			qmgr_msg_result(m, i, 5, "5.1.3", "bad address syntax");
			continue;
		}
		r[n].index = (long)i;
		r[n++].addr = m->env->rcpts[i].addr;
	}
	buf_reset(c->out);
	if (n > 0 && deliver_encode_request(c->out, m->qid, m->env->sender,
	    r, n) < 0) {
		fail_msg(m, "4.3.0", "cannot encode delivery request");
		n = (size_t)-1;
	}
	free(r);
	return n;
}

/* Start one message's request on a slot. */
static void
conn_start(struct lconn *c, struct qmgr_msg *m)
{
	size_t n = build_request(c, m);
	char why[256];

	if (n == (size_t)-1)
		return;
	if (n == 0) {
		qmgr_msg_finish(m);
		return;
	}
	c->reused = c->fd >= 0;
	if (c->fd < 0 && conn_open(c) < 0) {
		snprintf(why, sizeof(why),
		    "cannot connect to local delivery agent: %s",
		    strerror(errno));
		fail_msg(m, "4.3.0", why);
		return;
	}
	c->msg = m;
	c->off = 0;
	c->fd_sent = 0;
	c->got_bytes = 0;
	c->deadline = time(NULL) + var_local_timeout;
	conn_write(c);
}

/* A free slot: an idle connection first, else an unconnected slot. */
static struct lconn *
free_slot(void)
{
	struct lconn *spare = NULL;

	for (size_t i = 0; i < nconns; i++) {
		if (conns[i].msg != NULL)
			continue;
		if (conns[i].fd >= 0)
			return &conns[i];
		if (spare == NULL)
			spare = &conns[i];
	}
	return spare;
}

/* Start waiting messages while slots are free. */
void
qmgr_local_dispatch(void)
{
	struct lconn *c;
	struct qmgr_msg *m;

	while (wait_head != NULL && (c = free_slot()) != NULL) {
		m = wait_head;
		wait_head = m->next;
		if (wait_head == NULL)
			wait_tail = NULL;
		conn_start(c, m);
	}
}

/* A whole reply arrived: record it and finish the message. */
static void
conn_reply(struct lconn *c)
{
	struct qmgr_msg *m = c->msg;
	const struct deliver_msg *r = &c->dec->msg;

	for (size_t i = 0; i < r->nrcpts; i++) {
		size_t idx = (size_t)r->rcpts[i].index;
		if (idx < m->env->nrcpts && m->rs[idx].in_flight)
			qmgr_msg_result(m, idx, r->rcpts[i].status_class,
			    r->rcpts[i].enh, r->rcpts[i].text);
	}
	deliver_decoder_reset(c->dec);
	c->msg = NULL;
	fail_msg(m, "4.3.0", "no status from local delivery agent");
}

/* Read what the agent sent and act on complete replies. */
static void
conn_read(struct lconn *c)
{
	char tmp[4096];
	const char *err;
	ssize_t n = read(c->fd, tmp, sizeof(tmp));
	size_t off = 0;
	int r = 0;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || c->msg == NULL) {
		conn_fail(c, "local delivery agent died");
		return;
	}
	c->got_bytes = 1;
	while (off < (size_t)n && r == 0) {
		off += deliver_decoder_feed(c->dec, tmp + off, (size_t)n - off);
		r = deliver_decoder_run(c->dec, &err);
	}
	if (r < 0 || (r == 1 && off < (size_t)n))
		conn_fail(c, "local delivery agent protocol error");
	else if (r == 1)
		conn_reply(c);
}

/* Fill poll entries for every open connection. */
size_t
qmgr_local_pollfds(struct pollfd *pfd, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < nconns && n < max; i++) {
		if (conns[i].fd < 0)
			continue;
		pfd[n].fd = conns[i].fd;
		pfd[n].events = POLLIN;
		if (conns[i].msg != NULL && conns[i].off < conns[i].out->len)
			pfd[n].events |= POLLOUT;
		pfd[n].revents = 0;
		poll_map[n++] = i;
	}
	return n;
}

/* Handle poll results for the entries from qmgr_local_pollfds. */
void
qmgr_local_events(struct pollfd *pfd, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct lconn *c = &conns[poll_map[i]];
		if (c->fd != pfd[i].fd)
			continue;
		if ((pfd[i].revents & POLLOUT) && c->msg != NULL)
			conn_write(c);
		if (c->fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			conn_read(c);
	}
}

/* Give up on requests past local_timeout. */
void
qmgr_local_timeouts(time_t now)
{
	for (size_t i = 0; i < nconns; i++) {
		if (conns[i].msg != NULL && now >= conns[i].deadline) {
			conns[i].reused = 0;
			conn_fail(&conns[i], "local delivery timed out");
		}
	}
}

/* Close everything; messages not finished stay in active/ for restart. */
void
qmgr_local_shutdown(void)
{
	for (size_t i = 0; i < nconns; i++) {
		if (conns[i].fd >= 0)
			close(conns[i].fd);
		if (conns[i].msg != NULL)
			qmgr_msg_abandon(conns[i].msg);
		buf_free(&conns[i].out);
		deliver_decoder_free(&conns[i].dec);
	}
	while (wait_head != NULL) {
		struct qmgr_msg *m = wait_head;
		wait_head = m->next;
		qmgr_msg_abandon(m);
	}
	free(conns);
	free(poll_map);
}
