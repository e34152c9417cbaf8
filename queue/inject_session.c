/*
 * inject_session.c - the petrel-inject protocol (see common/inject.h): one
 * connection carries any number of messages; each becomes a queue file in
 * $queue_directory/incoming, written while it streams in.
 *
 * Public: inject_session(fd_in, fd_out, peer).
 * Besides messages, "ETRN <domain>" (outside a message) asks the queue
 * manager to flush the domain's deferred mail.
 *
 * Every transaction gets exactly two replies: "QID <qid>" (or "ERR ...")
 * right after MAIL, and "OK <qid>" (or "ERR ...") after the final "0"
 * frame.  After an error the rest of the transaction is read and dropped,
 * so the stream stays in step.  "OK" is sent only after qfile_commit()
 * returned, i.e. after the one fsync (DESIGN.md spool rule 1).  A session
 * that ends in the middle of a message (EOF, timeout, protocol breakage)
 * removes the partial file.  A write that fails for lack of space (ENOSPC,
 * EDQUOT) answers "452 4.3.1 Insufficient system storage" and leaves no
 * file (qfile.c removes it); the next message tries again, so the service
 * recovers by itself when space returns.
 * Bounds: lines 2 KB, addresses 256 octets, 100000 recipients, 1000
 * attributes, frames INJECT_CHUNK_MAX bytes, message_size_limit for the
 * text, inject_timeout for each read/write, and a deadline per message.
 * Mail loops: a message with more than hopcount_limit Received: header
 * fields (counting the one smtpd added) is refused 554 5.4.6 (RFC 5321
 * 6.3), whichever way it came in (smtpd, sendmail).
 * Security: runs as $inject_user; everything read is untrusted (the
 * socket is only reachable by root and smtpd workers, which may be
 * compromised); client text is sanitised before it is logged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "alloc.h"
#include "conn.h"
#include "dsn_param.h"
#include "hopcount.h"
#include "inject.h"
#include "inject_session.h"
#include "log.h"
#include "params.h"
#include "qfile.h"
#include "spool.h"
#include "strutil.h"
#include "trigger.h"

/* Room for the trace headers the client (smtpd) adds in front of a
 * message it has already held to message_size_limit (RFC 1870: a message
 * within the advertised SIZE must not be refused for it). */
#define INJ_HEADER_ALLOWANCE 8192

#define INJ_LINE_MAX 2048
#define INJ_ADDR_MAX 256
#define INJ_RCPT_MAX 100000
#define INJ_ATTR_MAX 1000
#define INJ_READ_BUF 65536

#define ERR_IO "451 4.3.0 Queue file write error"
#define ERR_NOSPACE "452 4.3.1 Insufficient system storage"
#define ERR_SIZE "552 5.3.4 Message size exceeds fixed limit"
#define ERR_NORCPT "503 5.5.1 Error: need RCPT command"
#define ERR_PROTO "503 5.5.1 Error: protocol error"
#define ERR_SENDER "501 5.1.7 Bad sender address syntax"
#define ERR_RCPT "501 5.1.3 Bad recipient address syntax"
#define ERR_NRCPT "452 4.5.3 Error: too many recipients"
#define ERR_ATTR "501 5.5.4 Bad attribute syntax"
#define ERR_LONG "500 5.5.2 Error: line too long"
#define ERR_ETRN "501 5.5.4 Error: bad ETRN domain"
#define ERR_HOPS "554 5.4.6 Error: too many hops"
#define INJ_ETRN_MAX 120

enum inj_state { INJ_IDLE = 1, INJ_ENVELOPE = 2 };

struct inj_session {
	struct conn *c;
	enum inj_state state;
	struct qfile_writer *w;
	const char *err;		/* first error of this message */
	char sender[INJ_ADDR_MAX + 1];
	char qid[QFILE_QID_MAX];
	long nrcpt;
	long rdsn_at;		/* nrcpt when the last RDSN came (one each) */
	long nattr;
	long long size;
	struct hopcount hops;	/* Received: fields so far */
	char *rbuf;
};

struct inj_cmd {
	const char *verb;
	int (*fn)(struct inj_session *s, const char *arg, size_t len);
	int states;
};

/* Remember the first error of the message; the rest is dropped. */
static void
inj_fail(struct inj_session *s, const char *err)
{
	if (s->err == NULL)
		s->err = err;
}

/* The reply for a failed queue-file write with errno err: a full
 * filesystem (or quota) is "452 4.3.1" (RFC 3463: mail system full), any
 * other error 451 4.3.0. */
static const char *
inj_io_error(int err)
{
	return err == ENOSPC || err == EDQUOT ? ERR_NOSPACE : ERR_IO;
}

/* 1 if p/len holds only printable ASCII (no controls, no NUL, no DEL). */
static int
inj_clean(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] == 0x7f)
			return 0;
	return 1;
}

/* MAIL <sender>: create the queue file and tell its ID at once. */
static int
inj_mail(struct inj_session *s, const char *arg, size_t len)
{
	char dir[4096];
	const char *why = NULL;

	s->state = INJ_ENVELOPE;
	s->err = NULL;
	s->nrcpt = s->nattr = 0;
	s->rdsn_at = 0;
	s->size = 0;
	hopcount_free(&s->hops);
	hopcount_init(&s->hops);
	s->qid[0] = '\0';
	conn_set_deadline(s->c, time(NULL) + var_smtpd_session_time_limit +
	    var_inject_timeout);
	if (len > INJ_ADDR_MAX || !inj_clean(arg, len)) {
		inj_fail(s, ERR_SENDER);
		conn_printf(s->c, "ERR %s\n", ERR_SENDER);
		return conn_flush(s->c);
	}
	memcpy(s->sender, arg, len);
	s->sender[len] = '\0';
	snprintf(dir, sizeof(dir), "%s/%s", var_queue_directory, SPOOL_INCOMING);
	s->w = qfile_create(dir, &why);
	if (s->w == NULL || qfile_put(s->w, QREC_SENDER, arg, len) < 0) {
		int e = s->w != NULL ? qfile_error(s->w) : errno;

		log_warn("cannot create queue file in %s: %s", dir,
		    why != NULL ? why : strerror(e));
		qfile_abort(&s->w);
		inj_fail(s, inj_io_error(e));
		conn_printf(s->c, "ERR %s\n", s->err);
		return conn_flush(s->c);
	}
	snprintf(s->qid, sizeof(s->qid), "%s", qfile_qid(s->w));
	conn_printf(s->c, "QID %s\n", s->qid);
	return conn_flush(s->c);
}

/* ATTR <name>=<value>: an envelope attribute. */
static int
inj_attr(struct inj_session *s, const char *arg, size_t len)
{
	const char *eq = memchr(arg, '=', len);

	if (s->err != NULL)
		return 0;
	if (eq == NULL || eq == arg || !inj_clean(arg, len) ||
	    memchr(arg, ' ', (size_t)(eq - arg)) != NULL) {
		inj_fail(s, ERR_ATTR);
		return 0;
	}
	if (++s->nattr > INJ_ATTR_MAX) {
		inj_fail(s, ERR_ATTR);
		return 0;
	}
	if (qfile_put(s->w, QREC_ATTR, arg, len) < 0)
		inj_fail(s, inj_io_error(qfile_error(s->w)));
	return 0;
}

/* RCPT <address>: one recipient, pending. */
static int
inj_rcpt(struct inj_session *s, const char *arg, size_t len)
{
	char addr[INJ_ADDR_MAX + 1];

	if (s->err != NULL)
		return 0;
	if (len == 0 || len > INJ_ADDR_MAX || !inj_clean(arg, len)) {
		inj_fail(s, ERR_RCPT);
		return 0;
	}
	if (++s->nrcpt > INJ_RCPT_MAX) {
		inj_fail(s, ERR_NRCPT);
		return 0;
	}
	memcpy(addr, arg, len);
	addr[len] = '\0';
	if (qfile_put_rcpt(s->w, addr) < 0)
		inj_fail(s, inj_io_error(qfile_error(s->w)));
	return 0;
}

/* 1 if p/n is a valid DSN word list: notify=<list> and/or orcpt=<..>. */
static int
inj_dsn_valid(const char *p, size_t n)
{
	size_t i = 0, wl;

	while (i < n) {
		const char *w = p + i;
		wl = 0;
		while (i + wl < n && w[wl] != ' ')
			wl++;
		if (!((wl > 7 && memcmp(w, "notify=", 7) == 0 &&
		    dsn_notify_parse(w + 7, wl - 7) > 0) ||
		    (wl > 6 && memcmp(w, "orcpt=", 6) == 0 &&
		    dsn_orcpt_valid(w + 6, wl - 6))))
			return 0;
		i += wl + 1;
	}
	return n > 0 && p[n - 1] != ' ';
}

/* RDSN <words>: DSN parameters of the recipient just sent. */
static int
inj_rdsn(struct inj_session *s, const char *arg, size_t len)
{
	if (s->err != NULL)
		return 0;
	if (s->nrcpt == 0 || s->nrcpt == s->rdsn_at || len > INJ_ADDR_MAX * 4 ||
	    !inj_clean(arg, len) || !inj_dsn_valid(arg, len)) {
		inj_fail(s, ERR_RCPT);
		return 0;
	}
	s->rdsn_at = s->nrcpt;
	if (qfile_put(s->w, QREC_RCPT_DSN, arg, len) < 0)
		inj_fail(s, inj_io_error(qfile_error(s->w)));
	return 0;
}

/* Read n raw bytes of a frame, writing them unless the message failed. */
static int
inj_frame(struct inj_session *s, long n)
{
	while (n > 0) {
		long r = conn_read_raw(s->c, s->rbuf, (size_t)(n < INJ_READ_BUF ?
		    n : INJ_READ_BUF));

		if (r <= 0)
			return -1;
		n -= r;
		s->size += r;
		if (s->size > var_message_size_limit + INJ_HEADER_ALLOWANCE)
			inj_fail(s, ERR_SIZE);
		hopcount_feed(&s->hops, s->rbuf, (size_t)r);
		if (s->hops.received > var_hopcount_limit)
			inj_fail(s, ERR_HOPS);
		if (s->err == NULL &&
		    qfile_put_content(s->w, s->rbuf, (size_t)r) < 0)
			inj_fail(s, inj_io_error(qfile_error(s->w)));
	}
	return 0;
}

/* Commit the file and wake the queue manager; the reply text or NULL. */
static const char *
inj_commit(struct inj_session *s)
{
	const char *why = NULL;
	char from[INJ_ADDR_MAX + 8];

	if (qfile_commit(&s->w, var_sync_directories, &why) < 0) {
		log_warn("%s: cannot commit queue file: %s", s->qid, why);
		return inj_io_error(errno);
	}
	trigger_qmgr(s->qid);
	log_info("%s: from=<%s>, size=%lld, nrcpt=%ld (queue active)", s->qid,
	    log_sanitize(from, sizeof(from), s->sender, strlen(s->sender)),
	    s->size, s->nrcpt);
	return NULL;
}

/* Finish the message: commit or drop it, and send the one final reply. */
static int
inj_finish(struct inj_session *s)
{
	const char *err = s->err;

	if (err == NULL && s->nrcpt == 0)
		err = ERR_NORCPT;
	if (err == NULL)
		err = inj_commit(s);
	qfile_abort(&s->w);
	if (err != NULL) {
		if (s->qid[0] != '\0')
			log_info("%s: rejected: %s", s->qid, err);
		conn_printf(s->c, "ERR %s\n", err);
	} else
		conn_printf(s->c, "OK %s\n", s->qid);
	s->state = INJ_IDLE;
	conn_set_deadline(s->c, 0);
	return conn_flush(s->c);
}

/* DATA: frames "<n>\n<n bytes>" until "0", then the final reply. */
static int
inj_data(struct inj_session *s, const char *arg, size_t len)
{
	const char *line;
	size_t n;
	enum line_ending end;
	long chunk;

	if (len != 0 || arg == NULL)
		inj_fail(s, ERR_PROTO);
	for (;;) {
		enum conn_status st = conn_read_line(s->c, &line, &n, &end);

		if (st != CONN_LINE || end != LINE_END_LF ||
		    str_to_long(line, n, 0, INJECT_CHUNK_MAX, &chunk) < 0)
			return -1;	/* out of step: cannot recover */
		if (chunk == 0)
			return inj_finish(s);
		if (inj_frame(s, chunk) < 0)
			return -1;
	}
}

/* ETRN <domain>: ask the queue manager to flush the domain's deferred
 * mail ("D <domain>" on its FIFO; the qid buffer of trigger_qmgr bounds
 * the domain to INJ_ETRN_MAX octets). */
static int
inj_etrn(struct inj_session *s, const char *arg, size_t len)
{
	char line[INJ_ETRN_MAX + 3];

	if (len == 0 || len > INJ_ETRN_MAX || !addr_is_valid_domain(arg, len) ||
	    arg[0] == '[') {
		conn_printf(s->c, "ERR %s\n", ERR_ETRN);
		return conn_flush(s->c);
	}
	snprintf(line, sizeof(line), "D %.*s", (int)len, arg);
	trigger_qmgr(line);
	log_info("ETRN request for %s", line + 2);
	conn_printf(s->c, "OK\n");
	return conn_flush(s->c);
}

static const struct inj_cmd inj_cmds[] = {
	{ "MAIL", inj_mail, INJ_IDLE },
	{ "ATTR", inj_attr, INJ_ENVELOPE },
	{ "RCPT", inj_rcpt, INJ_ENVELOPE },
	{ "RDSN", inj_rdsn, INJ_ENVELOPE },
	{ "DATA", inj_data, INJ_ENVELOPE },
	{ "ETRN", inj_etrn, INJ_IDLE },
	{ NULL, NULL, 0 },
};

/* Dispatch one command line; -1 ends the session. */
static int
inj_dispatch(struct inj_session *s, const char *line, size_t len)
{
	size_t vlen = 0;

	while (vlen < len && line[vlen] != ' ')
		vlen++;
	for (const struct inj_cmd *c = inj_cmds; c->verb != NULL; c++) {
		if (strlen(c->verb) != vlen || memcmp(c->verb, line, vlen) != 0)
			continue;
		if ((c->states & (int)s->state) == 0)
			break;
		if (vlen < len)
			vlen++;
		return c->fn(s, line + vlen, len - vlen);
	}
	if (s->state == INJ_IDLE) {
		log_warn("protocol error: unexpected command outside a message");
		conn_printf(s->c, "ERR %s\n", ERR_PROTO);
		if (conn_flush(s->c) < 0)
			log_warn("cannot send the protocol error reply");
		return -1;
	}
	inj_fail(s, ERR_PROTO);
	return 0;
}

/* Serve one client connection until EOF, timeout or a protocol break. */
void
inject_session(int fd_in, int fd_out, const struct server_peer *peer)
{
	struct inj_session s;
	const char *line;
	size_t len;
	enum line_ending end;
	enum conn_status st;

	(void)peer;
	memset(&s, 0, sizeof(s));
	s.state = INJ_IDLE;
	s.rbuf = xmalloc(INJ_READ_BUF);
	s.c = conn_new(fd_in, fd_out, INJ_LINE_MAX, (int)var_inject_timeout);
	for (;;) {
		st = conn_read_line(s.c, &line, &len, &end);
		if (st == CONN_EOF)
			break;
		if (st == CONN_TOO_LONG) {
			if (s.state == INJ_IDLE)
				break;
			inj_fail(&s, ERR_LONG);
			continue;
		}
		if (inj_dispatch(&s, line, len) < 0)
			break;
	}
	if (s.w != NULL)
		log_warn("%s: session ended in mid-message%s; file removed",
		    s.qid, s.c->timed_out ? " (timeout)" : "");
	qfile_abort(&s.w);
	hopcount_free(&s.hops);
	conn_free(&s.c);
	free(s.rbuf);
}
