/*
 * qmgr_msg.c - one active message: routing of its pending recipients,
 * per-recipient results and logging, and the final step.
 *
 * Public:
 *   qmgr_msg_start(qid, fd, env)   takes ownership of fd and env; routes
 *                                  LOCAL/VIRTUAL recipients to petrel-local
 *                                  and defers the others (no remote agent yet).
 *   qmgr_msg_result(m, i, class, enh, text)  record and log one result.
 *   qmgr_msg_finish(m)             all requests are back: remove the file
 *                                  when every recipient is final, else mark,
 *                                  sync once, write defer/QID, reschedule and
 *                                  move to deferred/.  Frees m.
 *   qmgr_msg_delay(m)              seconds since arrival.
 *   qmgr_msg_abandon(m)            free without touching the file (shutdown:
 *                                  it is redone from active/ at restart).
 * Durability: removal needs no fsync (a lost unlink only repeats a delivery:
 * at-least-once); marks get exactly one fdatasync before the message leaves
 * active/.  defer/QID is advisory (no fsync).
 * Bounces (RFC 3464 DSNs) are not generated yet: failed recipients are
 * marked and logged status=bounced.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "log.h"
#include "params.h"
#include "qmgr.h"
#include "resolve.h"
#include "spool.h"

/* Seconds since the message arrived. */
double
qmgr_msg_delay(const struct qmgr_msg *m)
{
	struct timeval tv;
	double d;

	gettimeofday(&tv, NULL);
	d = (double)(tv.tv_sec - m->env->arrival_sec) +
	    (double)(tv.tv_usec - m->env->arrival_usec) / 1e6;
	return d < 0 ? 0 : d;
}

/* Record one recipient's result and log it Postfix style. */
void
qmgr_msg_result(struct qmgr_msg *m, size_t idx, int result, const char *enh,
    const char *text)
{
	static const char *const status[] = { "sent", "deferred", "bounced" };
	struct qmgr_rstate *rs = &m->rs[idx];
	const char *addr = m->env->rcpts[idx].addr;
	char saddr[300], stext[600];

	size_t rlen = strlen(enh) + strlen(text) + 2;

	rs->result = result;
	free(rs->reason);
	rs->reason = xmalloc(rlen);
	snprintf(rs->reason, rlen, "%s %s", enh, text);
	log_sanitize(saddr, sizeof(saddr), addr, strlen(addr));
	log_sanitize(stext, sizeof(stext), text, strlen(text));
	log_info("%s: to=<%s>, relay=%s, delay=%.2f, dsn=%s, status=%s (%s)",
	    m->qid, saddr, rs->in_flight ? "local" : "none",
	    qmgr_msg_delay(m), enh, status[result == 2 ? 0 : result == 4 ? 1 : 2],
	    stext);
	rs->in_flight = 0;
}

/* Take a validated queue file into the active set and route it. */
void
qmgr_msg_start(const char *qid, int fd, struct qfile_env *env)
{
	struct qmgr_msg *m = xcalloc(1, sizeof(*m));
	size_t nlocal = 0;
	enum resolve_class c;

	snprintf(m->qid, sizeof(m->qid), "%s", qid);
	m->fd = fd;
	m->env = env;
	m->rs = xcalloc(env->nrcpts ? env->nrcpts : 1, sizeof(*m->rs));
	qmgr_active_count++;
	for (size_t i = 0; i < env->nrcpts; i++) {
		if (env->rcpts[i].status != QFILE_RCPT_PENDING)
			continue;
		c = resolve_class(qmgr_resolver, env->rcpts[i].addr);
		if (c == RESOLVE_LOCAL || c == RESOLVE_VIRTUAL) {
			m->rs[i].in_flight = 1;
			nlocal++;
		} else {
			qmgr_msg_result(m, i, 4, "4.4.1",
			    "remote delivery is not available on this host yet");
		}
	}
	if (nlocal > 0)
		qmgr_local_enqueue(m);
	else
		qmgr_msg_finish(m);
}

/* Release everything the message holds (the file stays where it is). */
void
qmgr_msg_abandon(struct qmgr_msg *m)
{
	for (size_t i = 0; i < m->env->nrcpts; i++)
		free(m->rs[i].reason);
	free(m->rs);
	qfile_env_free(&m->env);
	close(m->fd);
	free(m);
	qmgr_active_count--;
}

/* Unlink a spool file, ignoring one that is already gone. */
static void
spool_unlink(const char *dir, const char *qid)
{
	char path[4096];

	if (spool_path(path, sizeof(path), dir, qid) == 0 &&
	    unlink(path) < 0 && errno != ENOENT)
		log_warn("%s: unlink %s: %m", qid, path);
}

/* Write defer/QID (last reason per pending recipient), mtime = next try. */
static void
write_defer(const struct qmgr_msg *m, const struct timespec ts[2])
{
	char tmp[4096], path[4096], name[QFILE_QID_MAX + 8];
	struct buf *b = buf_new(256, 1 << 20);
	int fd, ok = 1;

	snprintf(name, sizeof(name), ".%s.tmp", m->qid);
	if (spool_path(tmp, sizeof(tmp), SPOOL_DEFER, name) < 0 ||
	    spool_path(path, sizeof(path), SPOOL_DEFER, m->qid) < 0) {
		buf_free(&b);
		return;
	}
	for (size_t i = 0; i < m->env->nrcpts && ok; i++) {
		if (m->env->rcpts[i].status == QFILE_RCPT_PENDING &&
		    m->rs[i].result != 2 && m->rs[i].result != 5)
			ok = buf_printf(b, "%s\t%s\n", m->env->rcpts[i].addr,
			    m->rs[i].reason ? m->rs[i].reason : "") == 0;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, b->data, b->len) != (ssize_t)b->len ||
	    futimens(fd, ts) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
		log_warn("%s: cannot write %s: %m", m->qid, path);
		(void)unlink(tmp);
	}
	buf_free(&b);
}

/* Mark final recipients in the file; returns how many were marked. */
static int
mark_final(struct qmgr_msg *m)
{
	int marked = 0;
	char st;

	for (size_t i = 0; i < m->env->nrcpts; i++) {
		if (m->env->rcpts[i].status != QFILE_RCPT_PENDING)
			continue;
		if (m->rs[i].result != 2 && m->rs[i].result != 5)
			continue;
		st = m->rs[i].result == 2 ? QFILE_RCPT_DONE : QFILE_RCPT_FAILED;
		if (qfile_mark(m->fd, &m->env->rcpts[i], st) < 0)
			log_warn("%s: cannot mark recipient: %m", m->qid);
		else
			marked++;
	}
	return marked;
}

/* Keep the message: marks, one sync, defer/ reasons, next try, deferred/. */
static void
keep_deferred(struct qmgr_msg *m)
{
	char a[4096], b[4096];
	time_t now = time(NULL), age = now - m->env->arrival_sec, wait;
	struct timespec ts[2];

	if (mark_final(m) > 0 && fdatasync(m->fd) < 0)
		log_warn("%s: fdatasync: %m", m->qid);
	wait = age < var_minimal_backoff_time ? var_minimal_backoff_time :
	    age > var_maximal_backoff_time ? var_maximal_backoff_time : age;
	ts[0].tv_sec = ts[1].tv_sec = now + wait;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	write_defer(m, ts);
	/* Only the file's owner may set a future mtime; defer/QID has it too. */
	if (futimens(m->fd, ts) < 0 && errno != EPERM)
		log_warn("%s: futimens: %m", m->qid);
	if (spool_path(a, sizeof(a), SPOOL_ACTIVE, m->qid) < 0 ||
	    spool_path(b, sizeof(b), SPOOL_DEFERRED, m->qid) < 0 ||
	    rename(a, b) < 0)
		log_warn("%s: cannot move to deferred/: %m", m->qid);
}

/* Every request is back: remove the message or defer what is left. */
void
qmgr_msg_finish(struct qmgr_msg *m)
{
	int expired = time(NULL) - m->env->arrival_sec >
	    var_maximal_queue_lifetime;
	size_t pending = 0;

	for (size_t i = 0; i < m->env->nrcpts; i++) {
		if (m->env->rcpts[i].status != QFILE_RCPT_PENDING ||
		    m->rs[i].result == 2 || m->rs[i].result == 5)
			continue;
		if (expired)
			qmgr_msg_result(m, i, 5, "5.4.7", "message expired");
		else
			pending++;
	}
	if (pending == 0) {
		qmgr_retire(m->qid, !m->agent_lost);
		spool_unlink(SPOOL_DEFER, m->qid);
		log_info("%s: removed", m->qid);
	} else {
		keep_deferred(m);
	}
	qmgr_msg_abandon(m);
}
