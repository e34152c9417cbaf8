/*
 * postdrop_msg.c - the message of a local submission: its header section
 * and the copy into the queue file.
 *
 * Public:
 *   pd_read_headers(in, env, m)  reads the header section with the shared
 *        header reader (up to the blank line, or up to the first line that
 *        is no header field, which then starts the body), converting CRLF to LF and dropping bare CRs;
 *        with env->extract (-t) adds the To/Cc/Bcc addresses to env and
 *        drops Bcc fields; notes Date/From/Message-ID.  Fatal (exit 65) when
 *        the section passes PD_HEADER_MAX or a line PD_LINE_MAX, or when
 *        with our own Received: it would hold more than hopcount_limit
 *        Received: fields (a mail loop, RFC 5321 6.3).
 *   pd_write_message(w, in, env, m)  writes "Received:", the header
 *        section, the missing Date:/From:/Message-ID: fields, the blank
 *        line and the body (streamed, LF line ends, a final LF added when
 *        missing), enforcing message_size_limit (exit 65 when passed).
 * Security: all input is the caller's; every size is bounded; the full
 * name is restricted to printable ASCII by the frame parser and quoted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "dsn.h"
#include "hopcount.h"
#include "msg_header.h"
#include "params.h"
#include "postdrop.h"

/* Refuse a looping message: ours would be one Received: too many. */
static void
pd_check_hops(const struct pd_msg *m)
{
	struct hopcount h;

	hopcount_init(&h);
	hopcount_feed(&h, m->headers->data, m->headers->len);
	hopcount_free(&h);
	if (h.received + 1 > var_hopcount_limit)
		pd_fail(PD_EX_DATAERR, "too many hops: %ld Received: header "
		    "fields (hopcount_limit %ld), a mail loop?", h.received,
		    var_hopcount_limit);
}

/* Copy a line, CRLF -> LF, bare CR dropped; returns the output length. */
static size_t
pd_clean_line(const char *p, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\r')
			continue;
		out[o++] = p[i];
	}
	return o;
}

/* Address callback for -t: add one recipient or fail. */
static int
pd_extract_one(void *arg, const char *p, size_t len)
{
	const char *err;

	if (pd_add_rcpt(arg, p, len, &err) < 0)
		pd_fail(PD_EX_DATAERR, "bad recipient address in header: %s", err);
	return 0;
}

/* One complete (possibly folded) field: note it, keep or drop it. */
static void
pd_field(const struct msg_header_field *f, struct pd_env *env,
    struct pd_msg *m)
{
	const char *n = f->name;
	size_t nl = f->name_len;
	int drop = 0;

	if (msg_header_name_is(n, nl, "date"))
		m->has_date = 1;
	else if (msg_header_name_is(n, nl, "from"))
		m->has_from = 1;
	else if (msg_header_name_is(n, nl, "message-id"))
		m->has_msgid = 1;
	if (env->extract && (msg_header_name_is(n, nl, "to") ||
	    msg_header_name_is(n, nl, "cc") || msg_header_name_is(n, nl, "bcc"))) {
		(void)pd_addr_list(f->value, f->value_len, pd_extract_one, env);
		drop = msg_header_name_is(n, nl, "bcc");
	}
	if (!drop && buf_append(m->headers, f->raw, f->raw_len) < 0)
		pd_fail(PD_EX_DATAERR, "message header section too large");
}

/* Feed one clean line to the header reader; 1 when the section ended
 * (a line that is no field then starts the body). */
static int
pd_header_line(struct msg_header *h, const char *p, size_t n,
    struct pd_env *env, struct pd_msg *m)
{
	struct msg_header_field f;
	size_t used, off = 0;

	while (off < n) {
		switch (msg_header_feed(h, p + off, n - off, &used, &f)) {
		case MSG_HEADER_FIELD:
			pd_field(&f, env, m);
			break;
		case MSG_HEADER_TOO_LONG:
		case MSG_HEADER_TOO_MANY:
			pd_fail(PD_EX_DATAERR, "header field too long");
		case MSG_HEADER_END:
			if (n > 1 && buf_append(m->first, p, n) < 0)
				pd_fail(PD_EX_SOFTWARE, "internal buffer");
			return 1;
		case MSG_HEADER_MORE:
			break;
		}
		off += used;
	}
	return 0;
}

/* The input ended inside the header section: its last field. */
static void
pd_header_finish(struct msg_header *h, struct pd_env *env, struct pd_msg *m)
{
	struct msg_header_field f;
	enum msg_header_result r;

	while ((r = msg_header_finish(h, &f)) != MSG_HEADER_END) {
		if (r != MSG_HEADER_FIELD)
			pd_fail(PD_EX_DATAERR, "header field too long");
		pd_field(&f, env, m);
	}
}

/* Read the header section; see the file header.  The shared reader
 * (msg_header.h) takes "Name :" and folded fields, and with
 * MSG_HEADER_NONFIELD_ENDS a line that is no field starts the body. */
void
pd_read_headers(struct pd_in *in, struct pd_env *env, struct pd_msg *m)
{
	struct msg_header *h = msg_header_new(PD_HEADER_MAX, 0,
	    MSG_HEADER_NONFIELD_ENDS);
	char *clean = xmalloc(PD_LINE_MAX + 1);
	const char *line;
	size_t len, n;
	int r, ended = 0;

	m->headers = buf_new(4096, PD_HEADER_MAX);
	m->first = buf_new(256, PD_LINE_MAX + 2);
	while (!ended && (r = pd_in_line(in, &line, &len)) == 1) {
		n = pd_clean_line(line, len, clean);
		if (n == 0 || clean[n - 1] != '\n')
			clean[n++] = '\n';
		ended = pd_header_line(h, clean, n, env, m);
	}
	if (!ended && r < 0)
		pd_fail(PD_EX_DATAERR, "input line too long or read error");
	if (!ended)
		pd_header_finish(h, env, m);
	msg_header_free(&h);
	free(clean);
	pd_check_hops(m);
}

/* Write bytes into the queue file, counting against the size limit. */
static void
pd_put(struct qfile_writer *w, const void *p, size_t n, long *size)
{
	if ((unsigned long)*size + n > (unsigned long)var_message_size_limit)
		pd_fail(PD_EX_DATAERR, "message file too big (message_size_limit "
		    "%ld)", var_message_size_limit);
	*size += (long)n;
	if (qfile_put_content(w, p, n) < 0)
		pd_fail(PD_EX_TEMPFAIL, "queue file write error: %s",
		    strerror(qfile_error(w)));
}

/* "Full Name" as a quoted-string when it holds specials. */
static void
pd_display_name(struct buf *b, const char *name)
{
	if (strpbrk(name, "()<>[]:;@\\,.\"") == NULL) {
		if (buf_printf(b, "%s ", name) < 0)
			pd_fail(PD_EX_SOFTWARE, "internal buffer");
		return;
	}
	if (buf_append_char(b, '"') < 0)
		pd_fail(PD_EX_SOFTWARE, "internal buffer");
	for (; *name != '\0'; name++)
		if ((*name == '"' || *name == '\\') && buf_append_char(b, '\\') < 0)
			pd_fail(PD_EX_SOFTWARE, "internal buffer");
		else if (buf_append_char(b, *name) < 0)
			pd_fail(PD_EX_SOFTWARE, "internal buffer");
	if (buf_append_str(b, "\" ") < 0)
		pd_fail(PD_EX_SOFTWARE, "internal buffer");
}

/* The Received: field and the fields a local submission lacks. */
static void
pd_added_fields(struct buf *top, struct buf *tail, const char *qid,
    const struct pd_env *env, const struct pd_msg *m)
{
	char date[64];
	time_t now = time(NULL);
	int bad = 0;

	if (dsn_rfc5322_date(now, date, sizeof(date)) < 0)
		pd_fail(PD_EX_SOFTWARE, "cannot format the date");
	bad |= buf_printf(top, "Received: by %s (Petrel, from userid %lu)\n"
	    "\tid %s; %s\n", var_myhostname, (unsigned long)env->uid, qid,
	    date);
	if (!m->has_date)
		bad |= buf_printf(tail, "Date: %s\n", date);
	if (!m->has_from && env->sender[0] != '\0') {
		bad |= buf_append_str(tail, "From: ");
		if (env->fullname != NULL && env->fullname[0] != '\0') {
			pd_display_name(tail, env->fullname);
			bad |= buf_printf(tail, "<%s>\n", env->sender);
		} else {
			bad |= buf_printf(tail, "%s\n", env->sender);
		}
	}
	if (!m->has_msgid)
		bad |= buf_printf(tail, "Message-ID: <%lld.%s@%s>\n",
		    (long long)now, qid, var_myhostname);
	if (bad)
		pd_fail(PD_EX_SOFTWARE, "internal buffer");
}

/* Copy the rest of the input as body text: CRLF -> LF, bare CR dropped. */
static void
pd_copy_body(struct qfile_writer *w, struct pd_in *in, long *size)
{
	char raw[16384], out[16384];
	int last = '\n';
	ssize_t r;

	while ((r = pd_in_read(in, raw, sizeof(raw))) > 0) {
		size_t o = 0;

		/* Every CR goes: CRLF becomes LF, a bare CR is dropped. */
		for (ssize_t i = 0; i < r; i++)
			if (raw[i] != '\r')
				out[o++] = raw[i];
		if (o > 0) {
			last = (unsigned char)out[o - 1];
			pd_put(w, out, o, size);
		}
	}
	if (r < 0)
		pd_fail(PD_EX_TEMPFAIL, "read error on the message input");
	if (last != '\n')
		pd_put(w, "\n", 1, size);
}

/* Write the whole message into the queue file. */
void
pd_write_message(struct qfile_writer *w, struct pd_in *in,
    const struct pd_env *env, struct pd_msg *m)
{
	struct buf *top = buf_new(512, 8192), *tail = buf_new(512, 8192);
	long size = 0;

	pd_added_fields(top, tail, qfile_qid(w), env, m);
	pd_put(w, top->data, top->len, &size);
	pd_put(w, m->headers->data, m->headers->len, &size);
	pd_put(w, tail->data, tail->len, &size);
	pd_put(w, "\n", 1, &size);
	if (m->first->len > 0)
		pd_put(w, m->first->data, m->first->len, &size);
	pd_copy_body(w, in, &size);
	buf_free(&top);
	buf_free(&tail);
}
