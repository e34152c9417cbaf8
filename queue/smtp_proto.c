/*
 * smtp_proto.c - one SMTP client session (RFC 5321): the greeting,
 * EHLO (HELO when EHLO is refused), STARTTLS per the TLS level (RFC 3207),
 * and mail transactions - MAIL, every RCPT and DATA sent in one write when
 * the server offers PIPELINING (RFC 2920), one by one otherwise.
 *
 * Public: smtp_proto_open(s, job, why, len), smtp_proto_transaction(s, job,
 * why, len), smtp_proto_quit(s).  Returns (see smtp.h): 0 done, -1 the
 * session failed before any recipient had an answer (try the next host),
 * -2 lost after answers began (pending recipients deferred here), -3 (open
 * only) the TLS handshake failed at level "may": retry without TLS.
 * Policies: a 4xx or 5xx greeting, or HELO refused, is a session failure
 * (the next host is tried; 5xx is not final, as Postfix skips 5xx
 * greeters).  MAIL refused: every recipient gets that answer.  SIZE is
 * declared when offered, and a message over the server's SIZE fails
 * 5.3.4.  8-bit content goes with BODY=8BITMIME; a server without 8BITMIME
 * gets it converted to 7-bit MIME (quoted-printable, smtp_downgrade.c),
 * or, when that cannot be done or disable_mime_output_conversion is set,
 * it is returned 5.6.3 (RFC 6152 section 3 allows both).  SMTPUTF8 mail
 * goes with SMTPUTF8 to a server that offers it; with UTF-8 addresses to
 * one that does not, it fails 5.6.7 (RFC 6531 3.4).  DSN parameters (RET, ENVID, NOTIFY, ORCPT)
 * are passed on when the server offers DSN, which then owns the notices.
 * Every stage has its own timeout
 * (smtp_*_timeout).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "mime7.h"
#include "conn.h"
#include "dsn_param.h"
#include "params.h"
#include "smtp.h"
#include "tls.h"

#define BODY_CHUNK 65536

/* Read one reply within timeout: 0, or -1 on EOF/timeout/garbage. */
static int
read_reply(struct smtp_session *s, long timeout, struct smtp_reply *r)
{
	const char *line;
	size_t len;
	enum line_ending end;
	enum conn_status st;
	int rr;

	smtp_reply_init(r);
	s->c->timeout = (int)timeout;
	for (;;) {
		st = conn_read_line(s->c, &line, &len, &end);
		if (st != CONN_LINE)
			return -1;
		if ((rr = smtp_reply_line(r, line, len)) < 0)
			return -1;
		if (rr == 1)
			return 0;
	}
}

/* "lost connection" / "timed out" text for a failed read or write. */
static void
lost(struct smtp_session *s, const char *stage, char *why, size_t whylen)
{
	s->dead = 1;
	if (s->c->timed_out)
		snprintf(why, whylen, "4.4.2 conversation with %s timed out "
		    "while %s", s->mta, stage);
	else
		snprintf(why, whylen, "4.4.2 lost connection with %s while %s",
		    s->mta, stage);
}

/* A session-level refusal: always temporary, the server's detail kept. */
static void
refused(struct smtp_session *s, const struct smtp_reply *r, const char *cmd,
    char *why, size_t whylen)
{
	const char *enh = r->enh[0] ? r->enh + 1 : ".0.0";

	snprintf(why, whylen, "4%s host %s refused to talk to me: %s (in reply "
	    "to %s)", enh, s->mta, r->text, cmd);
}

/* Send a command and read its reply; 0 or -1 (why set). */
static int
command(struct smtp_session *s, const char *cmd, long timeout,
    struct smtp_reply *r, const char *stage, char *why, size_t whylen)
{
	conn_printf(s->c, "%s\r\n", cmd);
	if (conn_flush(s->c) < 0 || read_reply(s, timeout, r) < 0) {
		lost(s, stage, why, whylen);
		return -1;
	}
	return 0;
}

/* EHLO, or HELO when EHLO is refused; 0 or -1. */
static int
greet(struct smtp_session *s, char *why, size_t whylen)
{
	struct smtp_reply r;
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "EHLO %s", var_smtp_helo_name);
	if (command(s, cmd, var_smtp_helo_timeout, &r, "sending EHLO", why,
	    whylen) < 0)
		return -1;
	if (r.code / 100 == 2) {
		s->ext = r.ext;
		s->size_limit = r.size_limit;
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "HELO %s", var_smtp_helo_name);
	if (command(s, cmd, var_smtp_helo_timeout, &r, "sending HELO", why,
	    whylen) < 0)
		return -1;
	if (r.code / 100 != 2) {
		refused(s, &r, "HELO command", why, whylen);
		return -1;
	}
	s->ext = 0;
	return 0;
}

/* STARTTLS and the handshake; 0, -1 (why set) or -3 (retry plaintext). */
static int
start_tls(struct smtp_session *s, struct smtp_job *j, char *why,
    size_t whylen)
{
	int verify = j->tls_level == SMTP_TLS_VERIFY;
	struct smtp_reply r;
	const char *err = NULL;

	if (command(s, "STARTTLS", var_smtp_helo_timeout, &r,
	    "sending STARTTLS", why, whylen) < 0)
		return -1;
	if (r.code != 220) {
		if (j->tls_level == SMTP_TLS_MAY)
			return 0;
		snprintf(why, whylen, "4.7.5 TLS is required, but host %s "
		    "refused to start TLS: %s", s->mta, r.text);
		return -1;
	}
	s->c->timeout = (int)var_smtp_helo_timeout;
	if (conn_starttls_client(s->c, smtp_tls_ctx, s->host, verify ?
	    CONN_TLS_VERIFY_NAME : CONN_TLS_VERIFY_NONE, &err) < 0) {
		snprintf(why, whylen, "4.7.5 TLS with %s failed: %s", s->mta,
		    err != NULL ? err : "handshake failed");
		return j->tls_level == SMTP_TLS_MAY ? -3 : -1;
	}
	s->tls = 1;
	return greet(s, why, whylen);
}

/* Greeting, EHLO/HELO and TLS on a fresh connection. */
int
smtp_proto_open(struct smtp_session *s, struct smtp_job *j, char *why,
    size_t whylen)
{
	struct smtp_reply r;

	if (read_reply(s, var_smtp_helo_timeout, &r) < 0) {
		lost(s, "receiving the initial server greeting", why, whylen);
		return -1;
	}
	if (r.code != 220) {
		refused(s, &r, "the initial greeting", why, whylen);
		return -1;
	}
	if (greet(s, why, whylen) < 0)
		return -1;
	if (j->tls_level == SMTP_TLS_NONE)
		return 0;
	if (s->ext & SMTP_EXT_STARTTLS)
		return start_tls(s, j, why, whylen);
	if (j->tls_level == SMTP_TLS_MAY)
		return 0;
	snprintf(why, whylen, "4.7.4 TLS is required, but was not offered by "
	    "host %s", s->mta);
	return -1;
}

/* Record a server reply as the result of recipient r. */
static void
rcpt_from_reply(struct smtp_session *s, struct smtp_rcpt *r,
    const struct smtp_reply *rep, const char *cmd)
{
	int klass = rep->code / 100 == 5 ? 5 : rep->code / 100 == 2 ? 2 : 4;
	char enh[16], text[600];

	if (rep->enh[0] && rep->enh[0] - '0' == klass)
		snprintf(enh, sizeof(enh), "%s", rep->enh);
	else
		snprintf(enh, sizeof(enh), "%d.0.0", klass);
	if (klass == 2)
		snprintf(text, sizeof(text), "%.590s", rep->text);
	else
		snprintf(text, sizeof(text), "host %.200s said: %.300s (in reply "
		    "to %s command)", s->mta, rep->text, cmd);
	smtp_rcpt_set(r, klass, enh, text, rep->text);
	snprintf(r->mta, sizeof(r->mta), "%s", s->mta);
}

/* Every not yet answered recipient gets the same reply. */
static void
all_from_reply(struct smtp_session *s, struct smtp_job *j,
    const struct smtp_reply *rep, const char *cmd, int accepted_only)
{
	for (size_t i = 0; i < j->nrcpts; i++) {
		struct smtp_rcpt *r = &j->rcpts[i];
		if (r->done || (accepted_only && !r->accepted))
			continue;
		rcpt_from_reply(s, r, rep, cmd);
	}
}

/* A fixed result for every not yet answered recipient, with the MTA. */
static void
all_fixed(struct smtp_session *s, struct smtp_job *j, int klass,
    const char *why)
{
	size_t el = strcspn(why, " ");
	char enh[16];

	snprintf(enh, sizeof(enh), "%.*s", (int)(el < 15 ? el : 15), why);
	for (size_t i = 0; i < j->nrcpts; i++) {
		if (j->rcpts[i].done)
			continue;
		smtp_rcpt_set(&j->rcpts[i], klass, enh, why[el] ? why + el + 1 :
		    why, NULL);
		snprintf(j->rcpts[i].mta, sizeof(j->rcpts[i].mta), "%s",
		    s->mta);
	}
}

/* Queue MAIL FROM with its parameters. */
static void
put_mail(struct smtp_session *s, struct smtp_job *j)
{
	conn_printf(s->c, "MAIL FROM:<%s>", j->sender);
	if (s->ext & SMTP_EXT_SIZE)
		conn_printf(s->c, " SIZE=%lld", j->downgrading ? j->down_size :
		    (long long)j->env->content_len);
	if (j->has_8bit && !j->downgrading)
		conn_puts(s->c, " BODY=8BITMIME");
	if (j->smtputf8 && (s->ext & SMTP_EXT_SMTPUTF8))
		conn_puts(s->c, " SMTPUTF8");
	if ((s->ext & SMTP_EXT_DSN) && j->dsn_ret != NULL)
		conn_printf(s->c, " RET=%s", j->dsn_ret);
	if ((s->ext & SMTP_EXT_DSN) && j->dsn_envid != NULL)
		conn_printf(s->c, " ENVID=%s", j->dsn_envid);
	conn_puts(s->c, "\r\n");
}

/* Queue RCPT TO with its DSN parameters when the server does DSN. */
static void
put_rcpt(struct smtp_session *s, const struct smtp_rcpt *r)
{
	char v[1100];

	conn_printf(s->c, "RCPT TO:<%s>", r->addr);
	if ((s->ext & SMTP_EXT_DSN) && r->dsn != NULL) {
		if (dsn_field(r->dsn, "notify", v, sizeof(v)))
			conn_printf(s->c, " NOTIFY=%s", v);
		if (dsn_field(r->dsn, "orcpt", v, sizeof(v)))
			conn_printf(s->c, " ORCPT=%s", v);
	}
	conn_puts(s->c, "\r\n");
}

/* 1 if s holds a byte outside ASCII. */
static int
non_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s & 0x80)
			return 1;
	return 0;
}

/* Pass content through the 7-bit converter when it is on; the bytes to
 * send are then in conv.  0 or -1. */
static int
convert_chunk(struct mime7 *m, struct buf *conv, const char **p, size_t *n,
    int last)
{
	if (m == NULL)
		return 0;
	buf_reset(conv);
	if ((last ? mime7_finish(m, conv) : mime7_feed(m, *p, *n, conv)) < 0)
		return -1;
	*p = conv->data;
	*n = conv->len;
	return 0;
}

/* Wire-encode content into out, a slice at a time, writing out whenever
 * it holds BODY_CHUNK bytes (converted content can be several times the
 * size of the chunk it came from); 0 or -1. */
static int
encode_slices(struct smtp_session *s, struct smtp_body_enc *e,
    const char *p, size_t n, struct buf *out)
{
	while (n > 0) {
		size_t k = n < BODY_CHUNK ? n : BODY_CHUNK;

		if (smtp_body_encode(e, p, k, out) < 0)
			return -1;
		p += k;
		n -= k;
		if (out->len >= BODY_CHUNK) {
			conn_write(s->c, out->data, out->len);
			buf_reset(out);
			if (conn_flush(s->c) < 0)
				return -1;
		}
	}
	return 0;
}

/* Send the message body, dot-stuffed with CRLF line ends, in as few
 * writes as possible (the end-of-data dot goes with the last piece),
 * converted to 7-bit when the transaction needs it; 0 or -1. */
static int
send_body(struct smtp_session *s, struct smtp_job *j)
{
	struct qfile_content *it = qfile_content_open(j->qfd, j->env);
	struct buf *out = buf_new(BODY_CHUNK * 2 + 16, BODY_CHUNK * 4);
	struct mime7 *m = j->downgrading ? mime7_new(&j->down_plan, 1) : NULL;
	struct buf *conv = m != NULL ? buf_new(BODY_CHUNK, 0) : NULL;
	struct smtp_body_enc e;
	const char *p = NULL;
	size_t n = 0;
	int r = it != NULL ? 0 : -1, more;

	smtp_body_init(&e, 998);
	s->c->timeout = (int)var_smtp_data_xfer_timeout;
	while (r == 0 && (more = qfile_content_next(it, &p, &n)) != 0)
		if (more < 0 || convert_chunk(m, conv, &p, &n, 0) < 0 ||
		    encode_slices(s, &e, p, n, out) < 0)
			r = -1;
	if (r == 0 && convert_chunk(m, conv, &p, &n, 1) == 0 &&
	    (m == NULL || encode_slices(s, &e, p, n, out) == 0) &&
	    smtp_body_finish(&e, out) == 0) {
		conn_write(s->c, out->data, out->len);
		r = conn_flush(s->c);
	} else {
		r = -1;
	}
	qfile_content_close(&it);
	mime7_free(&m);
	buf_free(&conv);
	buf_free(&out);
	return r;
}

/* Checks before MAIL: size and 8-bit; 1 if the job is settled. */
static int
precheck(struct smtp_session *s, struct smtp_job *j)
{
	char text[512];

	if ((s->ext & SMTP_EXT_SIZE) && s->size_limit > 0 &&
	    (unsigned long long)j->env->content_len > s->size_limit) {
		snprintf(text, sizeof(text), "5.3.4 message size %lld exceeds "
		    "size limit %lu of server %s", (long long)j->env->content_len,
		    s->size_limit, s->mta);
		all_fixed(s, j, 5, text);
		return 1;
	}
	if (j->smtputf8 && !(s->ext & SMTP_EXT_SMTPUTF8)) {
		int utf8 = non_ascii(j->sender);
		for (size_t i = 0; i < j->nrcpts && !utf8; i++)
			utf8 = !j->rcpts[i].done && non_ascii(j->rcpts[i].addr);
		if (utf8) {
			snprintf(text, sizeof(text), "5.6.7 the message needs "
			    "SMTPUTF8, but server %s does not support it",
			    s->mta);
			all_fixed(s, j, 5, text);
			return 1;
		}
	}
	j->downgrading = 0;
	if (j->has_8bit && !(s->ext & SMTP_EXT_8BITMIME)) {
		int ok = smtp_downgrade_check(j);

		if (ok < 0) {
			all_fixed(s, j, 4, "4.3.0 cannot read the queue file");
			return 1;
		}
		if (ok == 0) {
			snprintf(text, sizeof(text), "5.6.3 the message has 8-bit "
			    "content that is not converted to 7-bit (%s), and "
			    "server %s does not support 8BITMIME", j->down_why,
			    s->mta);
			all_fixed(s, j, 5, text);
			return 1;
		}
		j->downgrading = 1;
		log_info("%s: converting 8-bit content to 7-bit MIME for %s",
		    j->qid, s->mta);
	}
	return 0;
}

/* Read the RCPT replies (pipelined or one by one); -1 on a lost session. */
static int
rcpt_replies(struct smtp_session *s, struct smtp_job *j, int pipelined,
    int mail_ok, size_t *accepted)
{
	struct smtp_reply rep;

	for (size_t i = 0; i < j->nrcpts; i++) {
		struct smtp_rcpt *r = &j->rcpts[i];
		if (!r->sent_rcpt)
			continue;
		if (!pipelined) {
			put_rcpt(s, r);
			if (conn_flush(s->c) < 0)
				return -1;
		}
		if (read_reply(s, var_smtp_rcpt_timeout, &rep) < 0)
			return -1;
		if (!mail_ok)
			continue;
		if (rep.code / 100 == 2) {
			r->accepted = 1;
			(*accepted)++;
		} else {
			rcpt_from_reply(s, r, &rep, "RCPT TO");
		}
	}
	return 0;
}

static int data(struct smtp_session *s, struct smtp_job *j, int pipelined,
    size_t accepted, char *why, size_t whylen);

/* MAIL and RCPT: 1 go on to DATA, 0 settled, -1 lost before answers. */
static int
envelope(struct smtp_session *s, struct smtp_job *j, int pipelined,
    size_t *accepted, char *why, size_t whylen)
{
	struct smtp_reply rep;
	int mail_ok;

	put_mail(s, j);
	for (size_t i = 0; i < j->nrcpts; i++) {
		j->rcpts[i].accepted = 0;
		j->rcpts[i].sent_rcpt = !j->rcpts[i].done;
		if (pipelined && !j->rcpts[i].done)
			put_rcpt(s, &j->rcpts[i]);
	}
	if (pipelined)
		conn_puts(s->c, "DATA\r\n");
	if (conn_flush(s->c) < 0 || read_reply(s, var_smtp_mail_timeout,
	    &rep) < 0) {
		lost(s, "sending MAIL FROM", why, whylen);
		return -1;
	}
	mail_ok = rep.code / 100 == 2;
	if (!mail_ok)
		all_from_reply(s, j, &rep, "MAIL FROM", 0);
	if (!mail_ok && !pipelined)
		return 0;
	if (rcpt_replies(s, j, pipelined, mail_ok, accepted) < 0) {
		lost(s, "sending RCPT TO", why, whylen);
		return mail_ok ? -2 : 0;
	}
	if (!mail_ok)	/* read the pipelined DATA's answer: stay in step */
		(void)data(s, j, 1, 0, why, whylen);
	return mail_ok;
}

/* DATA after the envelope; 0 done, -2 lost (pending deferred). */
static int
data(struct smtp_session *s, struct smtp_job *j, int pipelined,
    size_t accepted, char *why, size_t whylen)
{
	struct smtp_reply rep;

	if (!pipelined) {
		if (accepted == 0)
			return 0;
		conn_puts(s->c, "DATA\r\n");
	}
	if (conn_flush(s->c) < 0 ||
	    read_reply(s, var_smtp_data_init_timeout, &rep) < 0) {
		lost(s, "sending DATA", why, whylen);
		return -2;
	}
	if (rep.code != 354) {
		if (accepted > 0)
			all_from_reply(s, j, &rep, "DATA", 1);
		return 0;
	}
	if (accepted == 0) {	/* 354 with no recipient: send nothing */
		conn_puts(s->c, ".\r\n");
		return conn_flush(s->c) < 0 ||
		    read_reply(s, var_smtp_data_done_timeout, &rep) < 0 ? -2 : 0;
	}
	if (send_body(s, j) < 0) {
		lost(s, "sending message body", why, whylen);
		return -2;
	}
	if (read_reply(s, var_smtp_data_done_timeout, &rep) < 0) {
		lost(s, "sending end of data -- message may be sent more than "
		    "once", why, whylen);
		return -2;
	}
	s->need_rset = 0;
	all_from_reply(s, j, &rep, "end of DATA", 1);
	for (size_t i = 0; i < j->nrcpts; i++)
		if (j->rcpts[i].accepted && (s->ext & SMTP_EXT_DSN))
			j->rcpts[i].dsn_passed = 1;
	return 0;
}

/* One mail transaction for the job's unanswered recipients. */
int
smtp_proto_transaction(struct smtp_session *s, struct smtp_job *j, char *why,
    size_t whylen)
{
	int pipelined = (s->ext & SMTP_EXT_PIPELINING) != 0, r;
	size_t accepted = 0;

	struct smtp_reply rep;

	if (s->need_rset && (command(s, "RSET", var_smtp_helo_timeout, &rep,
	    "sending RSET", why, whylen) < 0 || rep.code / 100 != 2)) {
		s->dead = 1;
		return -1;
	}
	s->need_rset = 0;
	if (precheck(s, j))
		return 0;
	s->need_rset = 1;
	r = envelope(s, j, pipelined, &accepted, why, whylen);
	if (r == 1)
		r = data(s, j, pipelined, accepted, why, whylen);
	if (r == -2) {
		all_fixed(s, j, 4, why);
		return -2;
	}
	return r;
}

/* Say QUIT and read the answer briefly. */
void
smtp_proto_quit(struct smtp_session *s)
{
	struct smtp_reply r;

	if (s->c == NULL || s->c->broken)
		return;
	conn_puts(s->c, "QUIT\r\n");
	if (conn_flush(s->c) == 0)
		(void)read_reply(s, var_smtp_quit_timeout > 5 ? 5 :
		    var_smtp_quit_timeout, &r);
}
