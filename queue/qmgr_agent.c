/*
 * qmgr_agent.c - the queue manager's side of its delivery agents: for each
 * transport (petrel-local on $local_listen, petrel-smtp on $smtp_listen) up
 * to <transport>_process_limit connections, each carrying one job (some
 * recipients of one message for one destination) at a time and reused
 * across jobs.
 *
 * Public: qmgr_agent_new(name, listen, slots, timeout), qmgr_agent_start,
 * qmgr_agent_name, qmgr_agent_pollfds, qmgr_agent_events,
 * qmgr_agent_timeouts, qmgr_agent_maxfds, qmgr_agent_shutdown.
 * qmgr_agent_start returns 0 when every slot is busy or the agent is not
 * listening (yet: the daemons start in any order), so the job stays with
 * its destination and is retried a second later instead of deferred.  A request carries the open queue file (SCM_RIGHTS).
 * A dead connection defers the job's recipients ("4.3.0 <name> delivery
 * agent died") - except that a reused connection that dies before answering
 * anything gets one free retry (the agent may have closed an idle
 * connection).  An idle connection is preferably reused for the same next
 * hop: the agent process behind it may still hold an open SMTP session.
 * Sockets are non-blocking; nothing here blocks the event loop.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "deliver.h"
#include "log.h"
#include "qmgr.h"

#define AGENT_TRANSPORTS_MAX 4

struct aconn {
	int fd;			/* -1: not connected */
	struct qmgr_job *job;	/* NULL: idle */
	char *last_hop;		/* next hop of the last job (reuse hint) */
	struct buf *out;
	size_t off;
	int fd_sent;
	int reused;
	int got_bytes;
	time_t deadline;
	struct deliver_decoder *dec;
};

struct qmgr_transport {
	char name[16];
	struct sockaddr_un sun;
	struct aconn *conns;
	size_t nconns;
	long timeout;
	time_t down_until;	/* the agent's socket refused us: wait */
};

struct poll_ref {
	struct qmgr_transport *t;
	size_t i;
};

static struct qmgr_transport *transports[AGENT_TRANSPORTS_MAX];
static size_t ntransports;
static struct poll_ref *poll_map;
static size_t poll_map_size;

/* A transport with `slots` connection slots to the agent at `listen`. */
struct qmgr_transport *
qmgr_agent_new(const char *name, const char *listen, long slots, long timeout)
{
	struct qmgr_transport *t = xcalloc(1, sizeof(*t));
	const char *p = listen;

	if (ntransports >= AGENT_TRANSPORTS_MAX)
		log_fatal("too many transports");
	if (strncmp(p, "unix:", 5) == 0)
		p += 5;
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->sun.sun_family = AF_UNIX;
	if (strlen(p) >= sizeof(t->sun.sun_path))
		log_fatal("%s_listen path too long: %s", name, p);
	memcpy(t->sun.sun_path, p, strlen(p) + 1);
	t->nconns = (size_t)slots;
	t->timeout = timeout;
	t->conns = xcalloc(t->nconns, sizeof(*t->conns));
	for (size_t i = 0; i < t->nconns; i++) {
		t->conns[i].fd = -1;
		t->conns[i].out = buf_new(4096, 0);
		t->conns[i].dec = deliver_decoder_new(DELIVER_REPLY);
	}
	transports[ntransports++] = t;
	poll_map_size += t->nconns;
	poll_map = xreallocarray(poll_map, poll_map_size, sizeof(*poll_map));
	return t;
}

/* The transport's name ("local", "smtp"). */
const char *
qmgr_agent_name(const struct qmgr_transport *t)
{
	return t->name;
}

/* Most descriptors qmgr_agent_pollfds may fill in. */
size_t
qmgr_agent_maxfds(void)
{
	return poll_map_size;
}

/* Defer the job's in-flight recipients with text; the job is done (our
 * own trouble, not the destination's: no concurrency feedback). */
static void
fail_job(struct qmgr_job *j, const char *enh, const char *text)
{
	struct qmgr_msg *m = j->msg;

	for (size_t i = 0; i < j->n; i++)
		if (m->rs[j->idx[i]].in_flight)
			qmgr_msg_result(m, j->idx[i], 4, enh, text);
	qmgr_job_done(j, -1, text);
}

/* Close a connection; its job (if any) is retried or deferred. */
static void
conn_fail(struct qmgr_transport *t, struct aconn *c, const char *what)
{
	struct qmgr_job *j = c->job;
	char text[128];

	close(c->fd);
	c->fd = -1;
	c->job = NULL;
	deliver_decoder_free(&c->dec);
	c->dec = deliver_decoder_new(DELIVER_REPLY);
	if (j == NULL)
		return;
	if (c->reused && !c->got_bytes && !j->retried) {
		j->retried = 1;
		qmgr_job_requeue(j);
		return;
	}
	snprintf(text, sizeof(text), "%s delivery agent %s", t->name, what);
	log_warn("%s: %s", j->msg->qid, text);
	j->msg->agent_lost = 1;	/* it may still read the file: never recycle */
	fail_job(j, "4.3.0", text);
}

/* Send what is pending; the first bytes carry the queue file descriptor. */
static void
conn_write(struct qmgr_transport *t, struct aconn *c)
{
	ssize_t n;
	size_t left = c->out->len - c->off;

	if (left == 0)
		return;
	if (!c->fd_sent)
		n = deliver_send_fd(c->fd, c->job->msg->fd, c->out->data + c->off,
		    left);
	else
		n = send(c->fd, c->out->data + c->off, left,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_fail(t, c, "died");
		return;
	}
	c->fd_sent = 1;
	c->off += (size_t)n;
}

/* Connect to the agent; 0 or -1. */
static int
conn_open(struct qmgr_transport *t, struct aconn *c)
{
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	if (connect(c->fd, (struct sockaddr *)&t->sun, sizeof(t->sun)) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

/* Encode the job's request; the number of recipients in it, or -1. */
static long
build_request(struct aconn *c, struct qmgr_job *j, const char *nexthop)
{
	struct qmgr_msg *m = j->msg;
	struct deliver_rcpt *r = xcalloc(j->n ? j->n : 1, sizeof(*r));
	size_t n = 0, idx;
	long ret;

	for (size_t i = 0; i < j->n; i++) {
		idx = j->idx[i];
		if (strpbrk(m->env->rcpts[idx].addr, "\r\n") != NULL ||
		    strlen(m->env->rcpts[idx].addr) > DELIVER_LINE_MAX - 32) {
			qmgr_msg_result(m, idx, 5, "5.1.3", "bad address syntax");
			continue;
		}
		r[n].index = (long)idx;
		r[n++].addr = m->env->rcpts[idx].addr;
	}
	buf_reset(c->out);
	ret = (long)n;
	if (n > 0 && deliver_encode_request_nh(c->out, m->qid, m->env->sender,
	    nexthop, r, n) < 0)
		ret = -1;
	free(r);
	return ret;
}

/* A free slot: an idle connection used for this hop, another idle
 * connection, else an unconnected slot. */
static struct aconn *
free_slot(struct qmgr_transport *t, const char *nexthop)
{
	struct aconn *idle = NULL, *spare = NULL;

	for (size_t i = 0; i < t->nconns; i++) {
		struct aconn *c = &t->conns[i];
		if (c->job != NULL)
			continue;
		if (c->fd >= 0 && nexthop != NULL && c->last_hop != NULL &&
		    strcmp(c->last_hop, nexthop) == 0)
			return c;
		if (c->fd >= 0 && idle == NULL)
			idle = c;
		if (c->fd < 0 && spare == NULL)
			spare = c;
	}
	return idle != NULL ? idle : spare;
}

/* Start a job on a free slot: 1 started (or finished at once), 0 busy. */
int
qmgr_agent_start(struct qmgr_transport *t, struct qmgr_job *j,
    const char *nexthop)
{
	struct aconn *c = free_slot(t, nexthop);
	char why[256];
	long n;

	if (c == NULL || (c->fd < 0 && time(NULL) < t->down_until))
		return 0;
	if ((n = build_request(c, j, nexthop)) <= 0) {
		if (n < 0)
			fail_job(j, "4.3.0", "cannot encode delivery request");
		else
			qmgr_job_done(j, -1, NULL);
		return 1;
	}
	c->reused = c->fd >= 0;
	if (c->fd < 0 && conn_open(t, c) < 0) {
		if (errno == ECONNREFUSED || errno == ENOENT ||
		    errno == EAGAIN) {
			/* Not listening (yet): keep the job, retry in 1 s. */
			if (t->down_until == 0)
				log_warn("%s delivery agent not reachable: %m; "
				    "waiting", t->name);
			t->down_until = time(NULL) + 1;
			return 0;
		}
		snprintf(why, sizeof(why), "cannot connect to %s delivery "
		    "agent: %s", t->name, strerror(errno));
		fail_job(j, "4.3.0", why);
		return 1;
	}
	t->down_until = 0;
	free(c->last_hop);
	c->last_hop = nexthop != NULL ? xstrdup(nexthop) : NULL;
	c->job = j;
	c->off = 0;
	c->fd_sent = 0;
	c->got_bytes = 0;
	c->deadline = time(NULL) + t->timeout;
	conn_write(t, c);
	return 1;
}

/* A whole reply arrived: record it and finish the job. */
static void
conn_reply(struct qmgr_transport *t, struct aconn *c)
{
	struct qmgr_job *j = c->job;
	struct qmgr_msg *m = j->msg;
	const struct deliver_msg *r = &c->dec->msg;
	const char *why = NULL;
	int site_failed = r->site_failed;
	char text[128];

	for (size_t i = 0; i < r->nrcpts; i++) {
		size_t idx = (size_t)r->rcpts[i].index;
		if (idx >= m->env->nrcpts || !m->rs[idx].in_flight)
			continue;
		qmgr_msg_remote(m, idx, r->rcpts[i].remote_mta != NULL ?
		    r->rcpts[i].remote_mta : t == qmgr_local_transport ?
		    "local" : NULL, r->rcpts[i].diag);
		m->rs[idx].dsn_passed = r->rcpts[i].dsn_passed;
		qmgr_msg_result(m, idx, r->rcpts[i].status_class,
		    r->rcpts[i].enh, r->rcpts[i].text);
		if (why == NULL && r->site_failed)
			why = m->rs[idx].reason;
	}
	c->job = NULL;
	snprintf(text, sizeof(text), "no status from %s delivery agent",
	    t->name);
	for (size_t i = 0; i < j->n; i++)
		if (m->rs[j->idx[i]].in_flight)
			qmgr_msg_result(m, j->idx[i], 4, "4.3.0", text);
	/* why points into m; the job's end may free m, so copy it. */
	snprintf(text, sizeof(text), "%s", why != NULL ? why : "");
	deliver_decoder_reset(c->dec);	/* r is gone from here on */
	qmgr_job_done(j, site_failed, text);
}

/* Read what the agent sent and act on complete replies. */
static void
conn_read(struct qmgr_transport *t, struct aconn *c)
{
	char tmp[4096];
	const char *err;
	ssize_t n = read(c->fd, tmp, sizeof(tmp));
	size_t off = 0;
	int r = 0;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || c->job == NULL) {
		conn_fail(t, c, "died");
		return;
	}
	c->got_bytes = 1;
	while (off < (size_t)n && r == 0) {
		off += deliver_decoder_feed(c->dec, tmp + off, (size_t)n - off);
		r = deliver_decoder_run(c->dec, &err);
	}
	if (r < 0 || (r == 1 && off < (size_t)n))
		conn_fail(t, c, "protocol error");
	else if (r == 1)
		conn_reply(t, c);
}

/* Fill poll entries for every open connection of every transport. */
size_t
qmgr_agent_pollfds(struct pollfd *pfd, size_t max)
{
	size_t n = 0;

	for (size_t k = 0; k < ntransports; k++) {
		struct qmgr_transport *t = transports[k];
		for (size_t i = 0; i < t->nconns && n < max; i++) {
			struct aconn *c = &t->conns[i];
			if (c->fd < 0)
				continue;
			pfd[n].fd = c->fd;
			pfd[n].events = POLLIN;
			if (c->job != NULL && c->off < c->out->len)
				pfd[n].events |= POLLOUT;
			pfd[n].revents = 0;
			poll_map[n].t = t;
			poll_map[n++].i = i;
		}
	}
	return n;
}

/* Handle poll results for the entries from qmgr_agent_pollfds. */
void
qmgr_agent_events(struct pollfd *pfd, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct qmgr_transport *t = poll_map[i].t;
		struct aconn *c = &t->conns[poll_map[i].i];
		if (c->fd != pfd[i].fd)
			continue;
		if ((pfd[i].revents & POLLOUT) && c->job != NULL)
			conn_write(t, c);
		if (c->fd >= 0 &&
		    (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			conn_read(t, c);
	}
}

/* Give up on requests past the transport's timeout. */
void
qmgr_agent_timeouts(time_t now)
{
	for (size_t k = 0; k < ntransports; k++) {
		struct qmgr_transport *t = transports[k];
		for (size_t i = 0; i < t->nconns; i++) {
			if (t->conns[i].job != NULL &&
			    now >= t->conns[i].deadline) {
				t->conns[i].reused = 0;
				conn_fail(t, &t->conns[i], "timed out");
			}
		}
	}
}

/* Close everything; unfinished messages stay in active/ for restart. */
void
qmgr_agent_shutdown(void)
{
	for (size_t k = 0; k < ntransports; k++) {
		struct qmgr_transport *t = transports[k];
		for (size_t i = 0; i < t->nconns; i++) {
			struct aconn *c = &t->conns[i];
			if (c->fd >= 0)
				close(c->fd);
			if (c->job != NULL) {
				free(c->job->idx);
				free(c->job);
			}
			buf_free(&c->out);
			deliver_decoder_free(&c->dec);
			free(c->last_hop);
		}
		free(t->conns);
		free(t);
	}
	ntransports = 0;
	free(poll_map);
	poll_map = NULL;
}
