/*
 * qtool_admin.c - queue administration: show, delete, hold, release,
 * requeue, expire (root only) and flush (everyone).
 *
 * Public:
 *   qt_admin(op, arg)   arg is a queue ID, "ALL", or "-" (queue IDs, one a
 *        line, from standard input).  Per message:
 *          delete   unlink it from whichever queue holds it, and defer/QID
 *                   (an active message may still be delivered once: the
 *                   queue manager has it open - at-least-once, never lost
 *                   by accident);
 *          hold     incoming/ or deferred/ -> hold/ (active ones are
 *                   skipped: try again after the delivery attempt);
 *          release  hold/ -> deferred/, then "F QID" to the queue manager;
 *          requeue  deferred/ or hold/ -> incoming/, then "QID";
 *          expire   "#expire" becomes the first line of defer/QID (created
 *                   qmgr_user-owned when missing), then "F QID": the queue
 *                   manager returns the message without another attempt
 *                   (a held message is returned once released).
 *        Prints "petrel-qtool: <Verb>: N message(s)" on stderr; 0, or 1
 *        when a named queue ID was not found.
 *   qt_show(qid)        envelope, then the message text.
 *   qt_flush(qid, site) "F", "F QID" or "D site" to the queue manager.
 * Security: callers check that the real uid is root before every command
 * but flush; queue IDs (also from stdin) must have queue-ID syntax, so no
 * path can be built from them; every file is opened O_NOFOLLOW.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "params.h"
#include "privs.h"
#include "spool.h"
#include "qtool.h"
#include "trigger.h"

struct qt_op_state {
	enum qt_op op;
	unsigned long done;
};

/* Unlink a file in a spool directory, ignoring one that is gone. */
static int
qt_unlink(const char *dir, const char *qid)
{
	char path[4096];

	if (spool_path(path, sizeof(path), dir, qid) < 0)
		return -1;
	return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

/* Write defer/QID with "#expire" first, keeping its other lines. */
static int
qt_write_expire(const char *qid)
{
	char tmp[4096], path[4096], name[QFILE_QID_MAX + 16];
	char *old = qt_defer_text(qid);
	uid_t uid;
	gid_t gid;
	struct group *gr;
	int fd, ok;

	if (old != NULL && (strncmp(old, "#expire\n", 8) == 0 ||
	    strstr(old, "\n#expire\n") != NULL)) {
		free(old);
		return 0;
	}
	snprintf(name, sizeof(name), ".%s.qtool", qid);
	if (spool_path(tmp, sizeof(tmp), SPOOL_DEFER, name) < 0 ||
	    spool_path(path, sizeof(path), SPOOL_DEFER, qid) < 0 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) < 0) {
		free(old);
		return -1;
	}
	if (privs_lookup(var_qmgr_user, &uid, &gid) == 0) {
		gr = getgrnam(var_spool_group);
		if (fchown(fd, uid, gr != NULL ? gr->gr_gid : gid) < 0)
			log_warn("chown %s: %m", tmp);
	}
	ok = dprintf(fd, "#expire\n%s", old != NULL ? old : "") >= 0;
	ok = close(fd) == 0 && ok && rename(tmp, path) == 0;
	if (!ok)
		(void)unlink(tmp);
	free(old);
	return ok ? 0 : -1;
}

/* Apply the operation to one message in queue; 1 when it had an effect. */
static int
qt_apply(enum qt_op op, const char *queue, const char *qid)
{
	int deferred = strcmp(queue, SPOOL_DEFERRED) == 0;
	int hold = strcmp(queue, SPOOL_HOLD) == 0;

	switch (op) {
	case QT_DELETE:
		if (qt_unlink(queue, qid) < 0)
			return 0;
		(void)qt_unlink(SPOOL_DEFER, qid);
		return 1;
	case QT_HOLD:
		if (!deferred && strcmp(queue, SPOOL_INCOMING) != 0)
			return 0;
		return spool_move(queue, SPOOL_HOLD, qid) == 0;
	case QT_RELEASE:
		if (!hold || spool_move(queue, SPOOL_DEFERRED, qid) < 0)
			return 0;
		break;
	case QT_REQUEUE:
		if ((!deferred && !hold) ||
		    spool_move(queue, SPOOL_INCOMING, qid) < 0)
			return 0;
		trigger_qmgr(qid);
		return 1;
	case QT_EXPIRE:
		if (strcmp(queue, SPOOL_MAILDROP) == 0 ||
		    qt_write_expire(qid) < 0)
			return 0;
		if (!deferred)
			return 1;
		break;
	}
	{
		char line[QFILE_QID_MAX + 4];

		snprintf(line, sizeof(line), "F %s", qid);
		trigger_qmgr(line);
	}
	return 1;
}

/* One named queue ID; 0, or -1 when it is not in the queue. */
static int
qt_one(struct qt_op_state *st, const char *qid)
{
	const char *queue;

	if (!qfile_valid_qid(qid) || qt_find(qid, &queue) < 0) {
		fprintf(stderr, "petrel-qtool: %s: no such message\n", qid);
		return -1;
	}
	if (qt_apply(st->op, queue, qid))
		st->done++;
	else
		fprintf(stderr, "petrel-qtool: %s: not changed (in %s/)\n", qid,
		    queue);
	return 0;
}

/* Walk callback for ALL. */
static void
qt_all_one(void *arg, struct qt_entry *e)
{
	struct qt_op_state *st = arg;

	if (qt_apply(st->op, e->queue, e->qid))
		st->done++;
}

/* Queue IDs from standard input, one a line. */
static int
qt_stdin(struct qt_op_state *st)
{
	char line[256];
	int rc = 0;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0] != '\0' && qt_one(st, line) < 0)
			rc = -1;
	}
	return rc;
}

/* delete/hold/release/requeue/expire for QID, ALL or "-". */
int
qt_admin(enum qt_op op, const char *arg)
{
	static const char *const verbs[] = { "Deleted", "Placed on hold",
	    "Released from hold", "Requeued", "Expired" };
	struct qt_op_state st = { op, 0 };
	int rc = 0;

	if (strcmp(arg, "ALL") == 0) {
		for (int i = 0; qt_queues[i] != NULL; i++)
			(void)qt_walk(qt_queues[i], 0, qt_all_one, &st);
	} else if (strcmp(arg, "-") == 0) {
		rc = qt_stdin(&st);
	} else {
		rc = qt_one(&st, arg);
	}
	fprintf(stderr, "petrel-qtool: %s: %lu message%s\n", verbs[op],
	    st.done, st.done == 1 ? "" : "s");
	return rc < 0 ? QT_EX_FAIL : QT_EX_OK;
}

/* Print the envelope of an opened message. */
static void
qt_show_envelope(const struct qt_entry *e)
{
	char when[64];
	time_t t = e->env->arrival_sec;
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm) == 0)
		snprintf(when, sizeof(when), "%lld", (long long)t);
	printf("*** ENVELOPE RECORDS %s/%s ***\n", e->queue, e->qid);
	printf("arrival_time: %s\nmessage_size: %lld\nsender: %s\n", when,
	    (long long)e->env->content_len, e->env->sender);
	for (size_t i = 0; i < e->env->nattrs; i++)
		printf("attribute: %s\n", e->env->attrs[i]);
	for (size_t i = 0; i < e->env->nrcpts; i++)
		printf("recipient: %s (%s)\n", e->env->rcpts[i].addr,
		    e->env->rcpts[i].status == QFILE_RCPT_DONE ? "done" :
		    e->env->rcpts[i].status == QFILE_RCPT_FAILED ? "failed" :
		    "pending");
	printf("*** MESSAGE CONTENTS %s/%s ***\n", e->queue, e->qid);
}

struct qt_show_state {
	const char *qid;
	int found;
};

/* Walk callback for show: the one wanted file. */
static void
qt_show_one(void *arg, struct qt_entry *e)
{
	struct qt_show_state *s = arg;
	struct qfile_content *it;
	const char *p;
	size_t n;
	int r;

	if (s->found || strcmp(e->qid, s->qid) != 0)
		return;
	s->found = 1;
	qt_show_envelope(e);
	it = qfile_content_open(e->fd, e->env);
	while ((r = qfile_content_next(it, &p, &n)) == 1)
		fwrite(p, 1, n, stdout);
	qfile_content_close(&it);
	printf("*** END OF MESSAGE %s/%s ***\n", e->queue, e->qid);
	if (r < 0)
		fprintf(stderr, "petrel-qtool: %s: damaged content\n", e->qid);
}

/* Show one message: envelope, headers and body. */
int
qt_show(const char *qid)
{
	struct qt_show_state s = { qid, 0 };
	const char *queue;

	if (!qfile_valid_qid(qid) || qt_find(qid, &queue) < 0) {
		fprintf(stderr, "petrel-qtool: %s: no such message\n", qid);
		return QT_EX_FAIL;
	}
	(void)qt_walk(queue, 1, qt_show_one, &s);
	if (!s.found) {
		fprintf(stderr, "petrel-qtool: %s: unreadable\n", qid);
		return QT_EX_FAIL;
	}
	return fflush(stdout) == 0 ? QT_EX_OK : QT_EX_FAIL;
}

/* Ask the queue manager to flush everything, one message or one site. */
int
qt_flush(const char *qid, const char *site)
{
	char line[300];

	if (qid != NULL && !qfile_valid_qid(qid)) {
		fprintf(stderr, "petrel-qtool: cannot flush: invalid queue ID "
		    "\"%.100s\"\n", qid);
		return QT_EX_FAIL;
	}
	if (site != NULL && (strlen(site) > 255 ||
	    strpbrk(site, " \t\r\n") != NULL || site[0] == '\0')) {
		fprintf(stderr, "petrel-qtool: cannot flush: invalid "
		    "destination \"%.100s\"\n", site);
		return QT_EX_FAIL;
	}
	if (qid != NULL)
		snprintf(line, sizeof(line), "F %s", qid);
	else if (site != NULL)
		snprintf(line, sizeof(line), "D %s", site);
	else
		snprintf(line, sizeof(line), "F");
	trigger_qmgr(line);
	return QT_EX_OK;
}
