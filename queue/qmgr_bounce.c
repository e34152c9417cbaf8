/*
 * qmgr_bounce.c - failure notices and delay warnings: an RFC 3464 report
 * (common/dsn.c) written by the queue manager itself as a new queue file
 * in incoming/, with the null sender, and taken in the next loop round.
 *
 * Public: qmgr_bounce(m, kind) - 0 when the notice is committed (fsynced),
 * -1 when it could not be written (the caller then keeps the recipients).
 *   QMGR_NOTICE_FAILURE  recipients that failed in this round (result 5,
 *                        not yet marked): to the envelope sender, or for
 *                        mail with the null sender to
 *                        bounce_notice_recipient with the attribute
 *                        "notice=postmaster" (so its own failure is only
 *                        logged, never noticed again).
 *   QMGR_NOTICE_DELAY    recipients still pending: a "delayed" report with
 *                        Will-Retry-Until = arrival + maximal_queue_lifetime.
 *   QMGR_NOTICE_SUCCESS  recipients delivered in this round that asked for
 *                        NOTIFY=SUCCESS: "delivered" (local) or "relayed"
 *                        (a next hop without DSN; one with DSN took over).
 * DSN (RFC 3461): a recipient is in a report only if its NOTIFY asks for
 * that kind (no NOTIFY: failures and delays); ORCPT becomes
 * Original-Recipient, ENVID Original-Envelope-Id; RET=HDRS (and success
 * reports without RET=FULL) attach only the headers.  Otherwise the
 * original is attached whole up to bounce_size_limit, else its headers.
 * A report with no recipient left is not sent (returns 0).
 * Durability: the notice is fsynced by qfile_commit before the caller marks
 * anything, so a crash in between repeats the notice, never loses it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "dsn.h"
#include "dsn_param.h"
#include "log.h"
#include "params.h"
#include "qfile.h"
#include "qmgr.h"
#include "spool.h"

#define BOUNCE_HEADER_ROOM (1024 * 1024)

/* Content iterator over the original queue file. */
static int
next_chunk(void *arg, const char **p_r, size_t *n_r)
{
	return qfile_content_next(arg, p_r, n_r);
}

/* 1 if recipient i belongs in a report of this kind. */
static int
in_report(const struct qmgr_msg *m, size_t i, int kind)
{
	int notify = dsn_rcpt_notify(m->env->rcpts[i].dsn);

	if (m->env->rcpts[i].status != QFILE_RCPT_PENDING)
		return 0;
	if (kind == QMGR_NOTICE_FAILURE)
		return m->rs[i].result == 5 &&
		    DSN_WANTS(notify, DSN_NOTIFY_FAILURE);
	if (kind == QMGR_NOTICE_SUCCESS)
		return m->rs[i].result == 2 && !m->rs[i].dsn_passed &&
		    DSN_WANTS(notify, DSN_NOTIFY_SUCCESS);
	return m->rs[i].result != 2 && m->rs[i].result != 5 &&
	    DSN_WANTS(notify, DSN_NOTIFY_DELAY);
}

/* The value of attribute name (xtext decoded) into buf; NULL if absent. */
static const char *
attr_value(const struct qmgr_msg *m, const char *name, char *buf,
    size_t size)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < m->env->nattrs; i++) {
		const char *a = m->env->attrs[i];
		if (strncmp(a, name, nl) == 0 && a[nl] == '=' &&
		    dsn_xtext_decode(a + nl + 1, strlen(a + nl + 1), buf,
		    size) >= 0)
			return buf;
	}
	return NULL;
}

/* ORCPT "type;xtext" as "type;decoded" into buf; NULL if absent. */
static const char *
orig_rcpt(const char *dsn, char *buf, size_t size)
{
	char v[1100], dec[1024];
	char *semi;

	if (dsn == NULL || !dsn_field(dsn, "orcpt", v, sizeof(v)) ||
	    (semi = strchr(v, ';')) == NULL ||
	    dsn_xtext_decode(semi + 1, strlen(semi + 1), dec, sizeof(dec)) < 0)
		return NULL;
	snprintf(buf, size, "%.*s;%s", (int)(semi - v), v, dec);
	return buf;
}

/* The host name part of "host[addr]:port", into buf; NULL if none. */
static const char *
mta_host(const char *mta, char *buf, size_t size)
{
	size_t n;

	if (mta == NULL || strcmp(mta, "local") == 0 ||
	    strcmp(mta, "none") == 0)
		return NULL;
	n = strcspn(mta, "[");
	if (n == 0 || n >= size)
		return NULL;
	memcpy(buf, mta, n);
	buf[n] = '\0';
	return buf;
}

/* Fill one report entry from a recipient's state. */
static void
fill_rcpt(struct dsn_rcpt *d, const struct qmgr_msg *m, size_t i, int kind,
    char enh[16], char host[1300])
{
	const struct qmgr_rstate *rs = &m->rs[i];
	const char *reason = rs->reason != NULL ? rs->reason : "4.0.0 unknown";
	size_t el = strcspn(reason, " ");
	int local = rs->mta != NULL && strcmp(rs->mta, "local") == 0;

	snprintf(enh, 16, "%.*s", (int)(el < 15 ? el : 15), reason);
	memset(d, 0, sizeof(*d));
	d->final_rcpt = m->env->rcpts[i].addr;
	d->orig_rcpt = orig_rcpt(m->env->rcpts[i].dsn, host + 256, 1044);
	d->action = kind == QMGR_NOTICE_FAILURE ? "failed" :
	    kind == QMGR_NOTICE_DELAY ? "delayed" : local ? "delivered" :
	    "relayed";
	d->status = enh;
	d->remote_mta = mta_host(rs->mta, host, 256);
	if (rs->diag != NULL) {
		d->diag = rs->diag;
		d->diag_type = "smtp";
	} else {
		d->diag = reason[el] ? reason + el + 1 : reason;
		d->diag_type = "x-petrel";
	}
	d->last_attempt = time(NULL);
	if (kind == QMGR_NOTICE_DELAY)
		d->retry_until = m->env->arrival_sec + var_maximal_queue_lifetime;
}

/* Compose the report text into out; 0 or -1. */
static int
compose(struct buf *out, struct qmgr_msg *m, int kind, const char *to)
{
	struct dsn_rcpt *dr = xcalloc(m->env->nrcpts, sizeof(*dr));
	char (*enh)[16] = xcalloc(m->env->nrcpts, 16);
	char (*host)[1300] = xcalloc(m->env->nrcpts, 1300);
	char envid[1024], ret[16];
	struct dsn_report rep;
	struct qfile_content *it;
	const char *err = NULL;
	size_t n = 0;
	int r = -1;

	for (size_t i = 0; i < m->env->nrcpts; i++)
		if (in_report(m, i, kind)) {
			fill_rcpt(&dr[n], m, i, kind, enh[n], host[n]);
			n++;
		}
	if (n == 0) {
		free(dr);
		free(enh);
		free(host);
		return 1;	/* nobody asked for this notice */
	}
	memset(&rep, 0, sizeof(rep));
	rep.kind = kind == QMGR_NOTICE_FAILURE ? "failure" :
	    kind == QMGR_NOTICE_DELAY ? "delay" : "success";
	rep.envid = attr_value(m, "dsn_envid", envid, sizeof(envid));
	if (attr_value(m, "dsn_ret", ret, sizeof(ret)) != NULL)
		rep.headers_only = strcmp(ret, "HDRS") == 0;
	else
		rep.headers_only = kind == QMGR_NOTICE_SUCCESS;
	rep.myhostname = var_myhostname;
	rep.to = to;
	rep.qid = m->qid;
	rep.orig_sender = m->env->sender;
	rep.arrival = m->env->arrival_sec;
	rep.size_limit = (size_t)var_bounce_size_limit;
	rep.rcpts = dr;
	rep.nrcpts = n;
	if ((it = qfile_content_open(m->fd, m->env)) != NULL) {
		r = dsn_compose(out, &rep, next_chunk, it, &err);
		qfile_content_close(&it);
	}
	if (r < 0)
		log_warn("%s: cannot compose the %s notice: %s", m->qid,
		    rep.kind, err != NULL ? err : "cannot read the message");
	free(dr);
	free(enh);
	free(host);
	return r;
}

/* Write the notice as a queue file; its queue ID into qid_r. */
static int
write_notice(const struct buf *text, const char *to, int to_postmaster,
    char qid_r[QFILE_QID_MAX])
{
	char dir[4096];
	const char *err = NULL;
	struct qfile_writer *w;

	snprintf(dir, sizeof(dir), "%s/%s", var_queue_directory,
	    SPOOL_INCOMING);
	if ((w = qfile_create(dir, &err)) == NULL) {
		log_warn("cannot create a notice in %s: %s", dir, err);
		return -1;
	}
	snprintf(qid_r, QFILE_QID_MAX, "%s", qfile_qid(w));
	if (qfile_put(w, QREC_SENDER, "", 0) < 0 ||
	    (to_postmaster && qfile_put(w, QREC_ATTR, "notice=postmaster",
	    17) < 0) ||
	    qfile_put(w, QREC_ATTR, "origin=bounce", 13) < 0 ||
	    qfile_put_rcpt(w, to) < 0 ||
	    qfile_put_content(w, text->data, text->len) < 0) {
		log_warn("%s: cannot write the notice", qid_r);
		qfile_abort(&w);
		return -1;
	}
	if (qfile_commit(&w, var_sync_directories, &err) < 0) {
		log_warn("%s: cannot commit the notice: %s", qid_r, err);
		return -1;
	}
	return 0;
}

/* Send a failure notice or delay warning about m; 0 or -1. */
int
qmgr_bounce(struct qmgr_msg *m, int kind)
{
	int to_pm = m->env->sender[0] == '\0';
	const char *to = to_pm ? var_bounce_notice_recipient : m->env->sender;
	struct buf *text = buf_new(8192, (size_t)var_bounce_size_limit * 2 +
	    BOUNCE_HEADER_ROOM);
	char qid[QFILE_QID_MAX];
	int r = -1, c = -1;

	if (to[0] != '\0' && (c = compose(text, m, kind, to)) == 1) {
		r = 0;
	} else if (to[0] != '\0' && c == 0 &&
	    write_notice(text, to, to_pm, qid) == 0) {
		log_info("%s: sender %s notification: %s",
		    m->qid, kind == QMGR_NOTICE_FAILURE ?
		    (to_pm ? "postmaster" : "non-delivery") :
		    kind == QMGR_NOTICE_DELAY ? "delay" : "delivery status",
		    qid);
		qmgr_wakeup(qid);
		r = 0;
	}
	buf_free(&text);
	return r;
}
