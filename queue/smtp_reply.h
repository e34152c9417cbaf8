/*
 * smtp_reply.h - SMTP client side: the reply parser (RFC 5321 4.2) and the
 * message body encoder for DATA.  Both are pure (no I/O).
 *
 * Replies:
 *   smtp_reply_init(&r)
 *   smtp_reply_line(&r, p, len)  one line without CRLF: 1 the reply is
 *        complete (r.code, r.enh, r.text), 0 more lines follow ("250-"),
 *        -1 malformed (no 3-digit code in 2xx-5xx, a code that changes
 *        between lines, more than SMTP_REPLY_LINES lines).  r.text holds
 *        the whole reply, lines joined by "; " after the first, cut at
 *        SMTP_REPLY_TEXT_MAX-1 bytes; r.enh the RFC 3463 code of the first
 *        line when its class matches the reply's, else "".
 *        EHLO keywords are collected in r.ext (SMTP_EXT_* bits) and
 *        r.size_limit (SIZE argument, 0 = none given).
 * Body encoder (queued content has LF line ends):
 *   smtp_body_init(&e, max_line)
 *   smtp_body_encode(&e, p, n, out)  appends the wire form to out: every LF
 *        (and a CR LF pair) becomes CRLF, a bare CR becomes CRLF too (so
 *        no bare CR or LF ever reaches the next hop: no smuggling), a line
 *        starting with "." gets another "." (dot-stuffing), a line longer
 *        than max_line is broken with CRLF.  -1 when out is full.
 *   smtp_body_finish(&e, out)        ends an unterminated last line and
 *        appends ".\r\n".
 *   smtp_body_has_8bit(p, n)         1 if any byte has the high bit set.
 */
#ifndef PETREL_SMTP_REPLY_H
#define PETREL_SMTP_REPLY_H

#include <stddef.h>
#include "log.h"

#define SMTP_REPLY_TEXT_MAX 1024
#define SMTP_REPLY_LINES 100

#define SMTP_EXT_PIPELINING 0x01
#define SMTP_EXT_SIZE 0x02
#define SMTP_EXT_8BITMIME 0x04
#define SMTP_EXT_STARTTLS 0x08
#define SMTP_EXT_ENHANCEDSTATUSCODES 0x10
#define SMTP_EXT_SMTPUTF8 0x20
#define SMTP_EXT_DSN 0x40

struct buf;

struct smtp_reply {
	int code;
	char enh[16];
	char text[SMTP_REPLY_TEXT_MAX];
	size_t len;
	int lines;
	unsigned ext;
	unsigned long size_limit;
};

struct smtp_body_enc {
	int bol;		/* at the beginning of a line */
	int cr;			/* the previous byte was a CR */
	size_t col;		/* bytes on the current line */
	size_t max_line;
};

void smtp_reply_init(struct smtp_reply *r);
int smtp_reply_line(struct smtp_reply *r, const char *p, size_t len)
    WARN_UNUSED;

void smtp_body_init(struct smtp_body_enc *e, size_t max_line);
int smtp_body_encode(struct smtp_body_enc *e, const char *p, size_t n,
    struct buf *out) WARN_UNUSED;
int smtp_body_finish(struct smtp_body_enc *e, struct buf *out) WARN_UNUSED;
int smtp_body_has_8bit(const char *p, size_t n);

#endif
