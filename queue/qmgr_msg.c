/*
 * qmgr_msg.c - one active message: per-recipient results and logging, and
 * the final step.
 *
 * Public:
 *   qmgr_msg_start(qid, fd, env)   takes ownership of fd and env and routes
 *                                  the pending recipients (qmgr_route.c).
 *   qmgr_msg_result(m, i, class, enh, text)  record and log one result.
 *   qmgr_msg_remote(m, i, mta, diag)  the remote host and its reply, for
 *                                  the log's relay= and the DSN.
 *   qmgr_msg_job_done(m)           one job is over; the last one finishes.
 *   qmgr_msg_finish(m)             every job is back: expire recipients past
 *                                  their lifetime, send the failure notice
 *                                  (qmgr_bounce.c) and, when due, the delay
 *                                  warning; remove the file when every
 *                                  recipient is final, else mark, sync once,
 *                                  write defer/QID, reschedule and move to
 *                                  deferred/.  Frees m.
 *   qmgr_msg_delay(m)              seconds since arrival.
 *   qmgr_msg_abandon(m)            free without touching the file (shutdown:
 *                                  it is redone from active/ at restart).
 *   qmgr_msg_abandon_all()         the same for every active message.
 * Durability: removal needs no fsync (a lost unlink only repeats a delivery:
 * at-least-once); marks get exactly one fdatasync before the message leaves
 * active/.  A failed recipient is marked only after its failure notice is
 * committed (fsynced) as a new queue file; when the notice cannot be
 * written the recipient is deferred instead, so a failure is never lost.
 * defer/QID is advisory (no fsync); its first line "#warned" records that
 * the delay warning went out (lost in a crash: at worst a second warning).
 * Next try: clamp(age, minimal_backoff_time, maximal_backoff_time), but
 * at most QMGR_RESOURCE_RETRY when every pending recipient was deferred for
 * lack of space (4.3.1, 4.2.2): such mail goes out soon after space
 * returns, and is never bounced for it before its lifetime ends.
 * Who is told of a failure: the envelope sender; for mail with the null
 * sender, bounce_notice_recipient (postmaster) - unless the mail is itself
 * such a notice ("notice=postmaster" attribute), which is only logged.
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
#include "privs.h"
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
	    m->qid, saddr, rs->mta != NULL ? rs->mta : "none",
	    qmgr_msg_delay(m), enh, status[result == 2 ? 0 : result == 4 ? 1 : 2],
	    stext);
	rs->in_flight = 0;
}

/* Remember the remote host and reply of a recipient's attempt. */
void
qmgr_msg_remote(struct qmgr_msg *m, size_t idx, const char *mta,
    const char *diag)
{
	struct qmgr_rstate *rs = &m->rs[idx];

	free(rs->mta);
	free(rs->diag);
	rs->mta = mta != NULL ? xstrdup(mta) : NULL;
	rs->diag = diag != NULL && diag[0] ? xstrdup(diag) : NULL;
}

static struct qmgr_msg *active_head;

/* Flag lines at the top of defer/QID: "#warned" (delay warning sent) and
 * "#expire" (the queue tool asked to return the message now). */
static void
read_defer_flags(struct qmgr_msg *m)
{
	char path[4096], buf[64];
	ssize_t n;
	int fd;

	if (spool_path(path, sizeof(path), SPOOL_DEFER, m->qid) < 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	m->warned = strstr(buf, "#warned\n") == buf;
	m->expire = strncmp(buf, "#expire\n", 8) == 0 ||
	    strstr(buf, "\n#expire\n") != NULL;
}

/* Attribute flags, recyclability and the defer/ flags of a message. */
static void
msg_flags(struct qmgr_msg *m)
{
	static uid_t inject_uid = (uid_t)-1;
	struct stat st;
	gid_t gid;

	for (size_t i = 0; i < m->env->nattrs; i++)
		if (strcmp(m->env->attrs[i], "notice=postmaster") == 0)
			m->is_notice = 1;
	if (inject_uid == (uid_t)-1 &&
	    privs_lookup(var_inject_user, &inject_uid, &gid) < 0)
		inject_uid = (uid_t)-2;
	/* Only the injection service's own files go back to it for reuse:
	 * notices (ours) and postdrop files (the sender's) are unlinked. */
	if (fstat(m->fd, &st) < 0 || st.st_uid != inject_uid)
		m->own_file = 1;
	read_defer_flags(m);
}

/* Take a validated queue file into the active set and route it. */
void
qmgr_msg_start(const char *qid, int fd, struct qfile_env *env)
{
	struct qmgr_msg *m = xcalloc(1, sizeof(*m));

	snprintf(m->qid, sizeof(m->qid), "%s", qid);
	m->fd = fd;
	m->env = env;
	m->rs = xcalloc(env->nrcpts ? env->nrcpts : 1, sizeof(*m->rs));
	m->anext = active_head;
	if (active_head != NULL)
		active_head->aprev = m;
	active_head = m;
	qmgr_active_count++;
	msg_flags(m);
	if (m->expire)
		qmgr_msg_finish(m);	/* no more attempts: return it */
	else
		qmgr_route(m);
}

/* One job of the message is over; after the last, finish it. */
void
qmgr_msg_job_done(struct qmgr_msg *m)
{
	if (m->jobs_left > 0 && --m->jobs_left == 0)
		qmgr_msg_finish(m);
}

/* Release everything the message holds (the file stays where it is). */
void
qmgr_msg_abandon(struct qmgr_msg *m)
{
	for (size_t i = 0; i < m->env->nrcpts; i++) {
		free(m->rs[i].reason);
		free(m->rs[i].mta);
		free(m->rs[i].diag);
	}
	if (m->aprev != NULL)
		m->aprev->anext = m->anext;
	else
		active_head = m->anext;
	if (m->anext != NULL)
		m->anext->aprev = m->aprev;
	free(m->rs);
	qfile_env_free(&m->env);
	close(m->fd);
	free(m);
	qmgr_active_count--;
}

/* Abandon every active message (shutdown). */
void
qmgr_msg_abandon_all(void)
{
	while (active_head != NULL)
		qmgr_msg_abandon(active_head);
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
	if (m->warned)
		ok = buf_append_str(b, "#warned\n") == 0;
	for (size_t i = 0; i < m->env->nrcpts && ok; i++) {
		if (m->env->rcpts[i].status == QFILE_RCPT_PENDING &&
		    m->rs[i].result != 2 && m->rs[i].result != 5)
			ok = buf_printf(b, "%s\t%s\n", m->env->rcpts[i].addr,
			    m->rs[i].reason ? m->rs[i].reason : "") == 0;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
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

/* 1 if every recipient still to deliver was deferred for lack of space:
 * 4.3.1 (system storage) or 4.2.2 (mailbox full), RFC 3463. */
static int
resource_only(const struct qmgr_msg *m)
{
	int any = 0;

	for (size_t i = 0; i < m->env->nrcpts; i++) {
		const char *r = m->rs[i].reason;

		if (m->env->rcpts[i].status != QFILE_RCPT_PENDING ||
		    m->rs[i].result == 2 || m->rs[i].result == 5)
			continue;
		if (r == NULL || (strncmp(r, "4.3.1", 5) != 0 &&
		    strncmp(r, "4.2.2", 5) != 0))
			return 0;
		any = 1;
	}
	return any;
}

/* Seconds to the next try: clamp(age, minimal, maximal backoff), but a
 * message held up only by a full disk or quota is tried again within
 * QMGR_RESOURCE_RETRY, with an early deferred-queue run to take it. */
static time_t
next_wait(const struct qmgr_msg *m, time_t now)
{
	time_t age = now - m->env->arrival_sec, wait;

	wait = age < var_minimal_backoff_time ? var_minimal_backoff_time :
	    age > var_maximal_backoff_time ? var_maximal_backoff_time : age;
	if (resource_only(m)) {
		if (wait > QMGR_RESOURCE_RETRY)
			wait = QMGR_RESOURCE_RETRY;
		qmgr_scan_deferred_by(now + wait);
	}
	return wait;
}

/* Keep the message: marks, one sync, defer/ reasons, next try, deferred/. */
static void
keep_deferred(struct qmgr_msg *m)
{
	char a[4096], b[4096];
	time_t now = time(NULL), wait;
	struct timespec ts[2];

	if (mark_final(m) > 0 && fdatasync(m->fd) < 0)
		log_warn("%s: fdatasync: %m", m->qid);
	wait = next_wait(m, now);
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

/* Fail what is past its lifetime with 5.4.7. */
static void
expire_pending(struct qmgr_msg *m)
{
	long life = m->env->sender[0] == '\0' ? var_bounce_queue_lifetime :
	    var_maximal_queue_lifetime;
	int expired = m->expire || time(NULL) - m->env->arrival_sec > life;
	char text[600];

	for (size_t i = 0; i < m->env->nrcpts; i++) {
		struct qmgr_rstate *rs = &m->rs[i];
		if (m->env->rcpts[i].status != QFILE_RCPT_PENDING ||
		    rs->result == 2 || rs->result == 5)
			continue;
		if (!expired)
			continue;
		if (m->expire)
			snprintf(text, sizeof(text), "message expired by the "
			    "administrator; last error: %s",
			    rs->reason != NULL ? rs->reason : "none");
		else
			snprintf(text, sizeof(text), "message expired after "
			    "%ld seconds in the queue; last error: %s", life,
			    rs->reason != NULL ? rs->reason : "none");
		qmgr_msg_result(m, i, 5, "5.4.7", text);
	}
}

/* Send the failure notice for newly failed recipients; on failure they
 * are deferred instead (so they are tried, and noticed, again). */
static void
notify_failures(struct qmgr_msg *m)
{
	size_t failed = 0;

	for (size_t i = 0; i < m->env->nrcpts; i++)
		if (m->env->rcpts[i].status == QFILE_RCPT_PENDING &&
		    m->rs[i].result == 5)
			failed++;
	if (failed == 0)
		return;
	if (m->env->sender[0] == '\0' && m->is_notice) {
		log_info("%s: notice to postmaster undeliverable: discarded",
		    m->qid);
		return;
	}
	if (qmgr_bounce(m, QMGR_NOTICE_FAILURE) == 0)
		return;
	for (size_t i = 0; i < m->env->nrcpts; i++)
		if (m->env->rcpts[i].status == QFILE_RCPT_PENDING &&
		    m->rs[i].result == 5)
			qmgr_msg_result(m, i, 4, "4.3.0",
			    "cannot write the failure notice; will try again");
}

/* Success notices for recipients delivered now that asked for them
 * (never for the null sender); a failure to write one is only logged. */
static void
notify_success(struct qmgr_msg *m)
{
	if (m->env->sender[0] == '\0')
		return;
	if (qmgr_bounce(m, QMGR_NOTICE_SUCCESS) < 0)
		log_warn("%s: success notice not sent", m->qid);
}

/* Send the delay warning when it is due. */
static void
maybe_warn(struct qmgr_msg *m)
{
	if (var_delay_warning_time <= 0 || m->warned ||
	    m->env->sender[0] == '\0' ||
	    time(NULL) - m->env->arrival_sec < var_delay_warning_time)
		return;
	if (qmgr_bounce(m, QMGR_NOTICE_DELAY) == 0)
		m->warned = 1;
}

/* Every job is back: notify, then remove the message or defer the rest. */
void
qmgr_msg_finish(struct qmgr_msg *m)
{
	size_t pending = 0;

	expire_pending(m);
	notify_failures(m);
	notify_success(m);
	for (size_t i = 0; i < m->env->nrcpts; i++)
		if (m->env->rcpts[i].status == QFILE_RCPT_PENDING &&
		    m->rs[i].result != 2 && m->rs[i].result != 5)
			pending++;
	if (pending == 0) {
		qmgr_retire(m->qid, !m->agent_lost && !m->own_file &&
		    m->env->file_size <= QMGR_RECYCLE_MAX_SIZE);
		spool_unlink(SPOOL_DEFER, m->qid);
		log_info("%s: removed", m->qid);
	} else {
		maybe_warn(m);
		keep_deferred(m);
	}
	qmgr_msg_abandon(m);
}
