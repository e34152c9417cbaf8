/*
 * data.c - the DATA command of petrel-smtpd: open a queue transaction at
 * the injection service, answer 354, stream the decoded body into it and
 * answer 250 only when the service says the message is durable.
 *
 * Public: smtpd_cmd_data, smtpd_inject_keep, smtpd_inject_connect,
 * smtpd_inject_start (shared with BDAT and ETRN), smtpd_data_refuse.
 * DATA after BDAT in the same transaction is refused (503, RFC 3030 3).
 * The envelope carries the DSN parameters (ATTR dsn_ret, dsn_envid, and
 * an RDSN line after each recipient that had NOTIFY/ORCPT) and, for an
 * SMTPUTF8 transaction, ATTR smtputf8=1.
 * The body is read raw (conn_read_raw) and decoded by the pure state
 * machine in smtpd/smtp_data.c: only CRLF.CRLF ends it; a bare CR or LF
 * anywhere refuses the message (SMTP smuggling protection) and a message
 * over message_size_limit is refused too, but in both cases the rest is
 * still consumed up to the real end so that the session stays in step.
 * Bytes read past the end marker (pipelined commands) are handed back to
 * the connection's line reader; reads are sized so that they always fit.
 * DATA answers 354 as soon as the envelope is on its way to the service
 * and reads the queue ID (needed for Received:) only then, so the client
 * sends the body while the service opens the queue file; a refusal of the
 * envelope is then answered at the end of the data.
 * Injection: one connection, reused by the worker's later transactions and
 * sessions (smtpd_inject_keep), which saves a connect and an accept per
 * message when every message comes on a new SMTP connection; a refused or
 * failed message closes it, which makes the service discard the
 * transaction.  An idle connection the service has since closed (after
 * inject_timeout) is noticed before use and replaced.
 * Security: the body is untrusted and never held whole in memory (chunks
 * of at least 32 KB go to the service); the Received: header only holds
 * validated HELO/recipient text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "conn.h"
#include "inject.h"
#include "linereader.h"
#include "log.h"
#include "params.h"
#include "smtp_data.h"
#include "smtpd.h"

#define SMTPD_INJECT_CHUNK (32 * 1024)

struct smtpd_body {
	struct smtp_data dec;
	char *raw;		/* bytes as read from the client */
	size_t raw_size;
	char *acc;		/* decoded bytes waiting for inject_data */
	size_t acc_len;
	size_t acc_size;
	int failed;		/* inject_data failed: answer 451 */
	char reply[512];	/* the service's refusal of the envelope */
};

/* The injection socket path: inject_listen without "unix:". */
static const char *
smtpd_inject_path(void)
{
	const char *p = var_inject_listen != NULL ? var_inject_listen : "";

	return strncmp(p, "unix:", 5) == 0 ? p + 5 : p;
}

/* The idle injection connection a finished session left for the next. */
static struct inject *smtpd_kept_inject;

/* Keep the session's idle injection connection for the next session. */
void
smtpd_inject_keep(struct inject **ijp)
{
	if (*ijp == NULL)
		return;
	inject_close(&smtpd_kept_inject);
	smtpd_kept_inject = *ijp;
	*ijp = NULL;
}

/* Drop the injection connection (aborts an open transaction). */
static void
smtpd_inject_abort(struct smtpd_session *s)
{
	inject_close(&s->ij);
}

/* The transaction's DSN and SMTPUTF8 attributes; 0 or -1. */
static int
smtpd_inject_ext_attrs(struct smtpd_session *s)
{
	const struct smtpd_mail_params *mp = &s->mail_opts;

	if (mp->ret != 0 && inject_attr(s->ij, "dsn_ret",
	    mp->ret == SMTPD_RET_HDRS ? "HDRS" : "FULL") < 0)
		return -1;
	if (mp->envid[0] != '\0' &&
	    inject_attr(s->ij, "dsn_envid", mp->envid) < 0)
		return -1;
	if (mp->smtputf8 && inject_attr(s->ij, "smtputf8", "1") < 0)
		return -1;
	return 0;
}

/* Send the envelope: ATTRs, RCPTs and their RDSNs; 0 or -1 on I/O error. */
static int
smtpd_inject_envelope(struct smtpd_session *s)
{
	size_t i;

	if (inject_attr(s->ij, "client_address", s->addr) < 0 ||
	    inject_attr(s->ij, "client_name", s->name) < 0 ||
	    inject_attr(s->ij, "helo", s->helo) < 0 ||
	    inject_attr(s->ij, "protocol", smtpd_proto(s)) < 0 ||
	    smtpd_inject_ext_attrs(s) < 0)
		return -1;
	for (i = 0; i < s->nrcpt; i++) {
		if (inject_rcpt(s->ij, s->rcpt[i]) < 0)
			return -1;
		if (s->rcpt_dsn[i] != NULL &&
		    inject_rcpt_dsn(s->ij, s->rcpt_dsn[i]) < 0)
			return -1;
	}
	return 0;
}

/* Connect to the injection service unless an idle connection (this
 * session's or one a previous session left) is still open; 0, or -1
 * after a 451 reply. */
int
smtpd_inject_connect(struct smtpd_session *s)
{
	const char *err = NULL;

	if (s->ij == NULL && smtpd_kept_inject != NULL) {
		s->ij = smtpd_kept_inject;
		smtpd_kept_inject = NULL;
	}
	if (s->ij != NULL && !inject_alive(s->ij))
		inject_close(&s->ij);	/* timed out by the service */
	if (s->ij == NULL && (s->ij = inject_connect(smtpd_inject_path(),
	    &err)) == NULL) {
		log_warn("connect to injection service %s: %s",
		    smtpd_inject_path(), err != NULL ? err : "error");
		smtpd_reply(s, "451 4.3.0 Error: queue service unavailable");
		return -1;
	}
	return 0;
}

/* Send the envelope to the service without waiting for its answer; 0, or
 * -1 after an error reply. */
static int
smtpd_inject_send(struct smtpd_session *s)
{
	if (smtpd_inject_connect(s) < 0)
		return -1;
	/* The whole envelope goes out before the QID reply is read: one
	 * round trip to the service per message, not two. */
	if (inject_begin(s->ij, s->sender) == 0 &&
	    smtpd_inject_envelope(s) == 0 && inject_flush(s->ij) == 0)
		return 0;
	smtpd_reply(s, "451 4.3.0 Error: queue file write error");
	smtpd_inject_abort(s);
	return -1;
}

/* Read the queue ID the service chose; 0, or -1 with the reply for the
 * client copied into reply. */
static int
smtpd_inject_qid(struct smtpd_session *s, char *reply, size_t size)
{
	const char *err = NULL, *qid = inject_qid(s->ij, &err);

	if (qid == NULL) {
		snprintf(reply, size, "%s", err != NULL ? err :
		    "451 4.3.0 Error: queue file write error");
		return -1;
	}
	snprintf(s->qid, sizeof(s->qid), "%s", qid);
	if (s->auth_user[0] != '\0')
		log_info("%s: client=%s[%s], sasl_method=%s, sasl_username=%s",
		    s->qid, s->name, s->addr, s->auth_method, s->auth_user);
	else
		log_info("%s: client=%s[%s]", s->qid, s->name, s->addr);
	return 0;
}

/* Open the queue transaction; 0, or -1 after an error reply. */
int
smtpd_inject_start(struct smtpd_session *s)
{
	char reply[512];

	if (smtpd_inject_send(s) < 0)
		return -1;
	if (smtpd_inject_qid(s, reply, sizeof(reply)) < 0) {
		smtpd_reply(s, "%s", reply);
		smtpd_inject_abort(s);
		return -1;
	}
	return 0;
}

/* Pass the decoded bytes on once there are enough (or force). */
static void
smtpd_body_push(struct smtpd_session *s, struct smtpd_body *b, int force)
{
	if (b->acc_len == 0 || (!force && b->acc_len < SMTPD_INJECT_CHUNK))
		return;
	if (!b->failed && !b->dec.bare &&
	    b->dec.size <= (size_t)var_message_size_limit &&
	    inject_data(s->ij, b->acc, b->acc_len) < 0)
		b->failed = 1;
	b->acc_len = 0;
}

/* Read one chunk that is sure to fit back into the line reader. */
static long
smtpd_body_read(struct smtpd_session *s, struct smtpd_body *b)
{
	size_t want = conn_input_pending(s->conn);

	if (want == 0)
		want = linereader_size(s->conn->in);
	if (want > b->raw_size)
		want = b->raw_size;
	return conn_read_raw(s->conn, b->raw, want);
}

/* Consume the body up to CRLF.CRLF; 0, or -1 when the input ended. */
static int
smtpd_body_loop(struct smtpd_session *s, struct smtpd_body *b)
{
	size_t used, out, back;
	long n;

	while (!b->dec.done) {
		if ((n = smtpd_body_read(s, b)) <= 0)
			return -1;
		used = smtp_data_decode(&b->dec, b->raw, (size_t)n,
		    b->acc + b->acc_len, &out);
		b->acc_len += out;
		smtpd_body_push(s, b, 0);
		if (used < (size_t)n) {
			back = linereader_feed(s->conn->in, b->raw + used,
			    (size_t)n - used);
			if (back != (size_t)n - used)
				log_warn("lost %zu pipelined bytes after DATA",
				    (size_t)n - used - back);
		}
	}
	smtpd_body_push(s, b, 1);
	return 0;
}

/* Log and answer a refused message (DATA or BDAT). */
void
smtpd_data_refuse(struct smtpd_session *s, const char *reply)
{
	char from[ADDR_MAX + 8];

	smtpd_reply(s, "%s", reply);
	log_sanitize(from, sizeof(from), s->sender, strlen(s->sender));
	log_info("%s: reject: %s from %s[%s]: %s; from=<%s> proto=%s "
	    "helo=<%s>", s->qid[0] != '\0' ? s->qid : "NOQUEUE",
	    s->bdat ? "BDAT" : "DATA", s->name, s->addr,
	    reply, from,
	    smtpd_proto(s), s->helo);
	smtpd_inject_abort(s);	/* last: reply may point into s->ij */
}

/* After the end marker: refuse, or commit and answer 250; 0 or -1. */
static int
smtpd_data_finish(struct smtpd_session *s, struct smtpd_body *b)
{
	char qid[QFILE_QID_MAX];
	const char *reply = NULL;

	if (b->dec.bare) {
		smtpd_data_refuse(s, "550 5.5.2 Message refused: bare <CR> or "
		    "<LF> received (SMTP smuggling protection)");
		return -1;
	}
	if (b->dec.size > (size_t)var_message_size_limit) {
		smtpd_data_refuse(s, "552 5.3.4 Message size exceeds fixed "
		    "limit");
		return -1;
	}
	if (b->reply[0] != '\0') {
		smtpd_data_refuse(s, b->reply);
		return -1;
	}
	if (b->failed || inject_end(s->ij, qid, &reply) < 0) {
		smtpd_data_refuse(s, reply != NULL ? reply :
		    "451 4.3.0 Error: queue file write error");
		return -1;
	}
	smtpd_reply(s, "250 2.0.0 Ok: queued as %s", qid);
	return 0;
}

/* Send the Received: header, then stream the body; 0 or -1. */
static int
smtpd_data_body(struct smtpd_session *s, struct smtpd_body *b)
{
	int len;

	b->raw_size = linereader_size(s->conn->in);
	b->raw = xmalloc(b->raw_size);
	b->acc_size = SMTPD_INJECT_CHUNK + b->raw_size;
	b->acc = xmalloc(b->acc_size);
	smtp_data_init(&b->dec);
	len = smtpd_received(s, b->acc, b->acc_size);
	if (len < 0)
		b->failed = 1;
	else
		b->acc_len = (size_t)len;
	if (smtpd_body_loop(s, b) < 0) {
		smtpd_inject_abort(s);
		smtpd_lost(s);
		return -1;
	}
	return smtpd_data_finish(s, b);
}

/* DATA: the message itself. */
int
smtpd_cmd_data(struct smtpd_session *s, const char *arg, size_t len)
{
	struct smtpd_body b;
	int rc;

	(void)arg;
	if (s->bdat) {
		smtpd_reply(s, "503 5.5.1 Error: DATA after BDAT");
		return -1;
	}
	if (len > 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: DATA");
		return -1;
	}
	if (smtpd_inject_send(s) < 0) {
		smtpd_reset(s);
		return -1;
	}
	smtpd_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	memset(&b, 0, sizeof(b));
	/* The client sends the body while the service opens the file; a
	 * write error shows when the body is read. */
	if (conn_flush(s->conn) < 0 ||
	    smtpd_inject_qid(s, b.reply, sizeof(b.reply)) < 0)
		b.failed = 1;
	rc = smtpd_data_body(s, &b);
	free(b.raw);
	free(b.acc);
	smtpd_reset(s);
	return rc;
}
