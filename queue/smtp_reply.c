/*
 * smtp_reply.c - SMTP client side parsers and encoders: multi-line reply
 * parsing with EHLO keyword extraction, and the DATA body encoder (CRLF,
 * dot-stuffing, no bare CR/LF, line length).  See smtp_reply.h.
 *
 * Public: smtp_reply_init, smtp_reply_line, smtp_body_init,
 * smtp_body_encode, smtp_body_finish, smtp_body_has_8bit.
 * Pure functions over (p, len): unit tested and fuzzed.
 */
#include <ctype.h>
#include <string.h>

#include "buf.h"
#include "smtp_reply.h"
#include "strutil.h"

/* A fresh reply. */
void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
}

/* Append text to the reply, cut at the maximum. */
static void
reply_append(struct smtp_reply *r, const char *p, size_t n)
{
	size_t room = sizeof(r->text) - 1 - r->len;

	if (n > room)
		n = room;
	memcpy(r->text + r->len, p, n);
	r->len += n;
	r->text[r->len] = '\0';
}

/* The enhanced status code at the start of text matching class digit. */
static void
reply_enh(struct smtp_reply *r, const char *p, size_t n, char klass)
{
	size_t i = 0, dots = 0, digits = 0;

	if (n < 5 || p[0] != klass || p[1] != '.')
		return;
	for (i = 0; i < n && i < sizeof(r->enh) - 1; i++) {
		if (p[i] == '.') {
			if (digits == 0 || ++dots > 2)
				return;
			digits = 0;
		} else if (isdigit((unsigned char)p[i])) {
			if (++digits > 3)
				return;
		} else {
			break;
		}
	}
	if (dots != 2 || digits == 0 || (i < n && p[i] != ' '))
		return;
	memcpy(r->enh, p, i);
	r->enh[i] = '\0';
}

/* Note an EHLO keyword from a reply line's text. */
static void
reply_ext(struct smtp_reply *r, const char *p, size_t n)
{
	static const struct {
		const char *kw;
		unsigned bit;
	} kws[] = {
		{ "PIPELINING", SMTP_EXT_PIPELINING },
		{ "SIZE", SMTP_EXT_SIZE },
		{ "8BITMIME", SMTP_EXT_8BITMIME },
		{ "STARTTLS", SMTP_EXT_STARTTLS },
		{ "ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCEDSTATUSCODES },
		{ "SMTPUTF8", SMTP_EXT_SMTPUTF8 },
		{ "DSN", SMTP_EXT_DSN },
	};
	size_t kl = 0;
	long size;

	while (kl < n && p[kl] != ' ')
		kl++;
	for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
		if (strlen(kws[i].kw) != kl || strncasecmp(p, kws[i].kw, kl) != 0)
			continue;
		r->ext |= kws[i].bit;
		if (kws[i].bit == SMTP_EXT_SIZE && kl + 1 < n &&
		    str_to_long(p + kl + 1, n - kl - 1, 0, 1L << 40, &size) == 0)
			r->size_limit = (unsigned long)size;
	}
}

/* One reply line; 1 complete, 0 more to come, -1 malformed. */
int
smtp_reply_line(struct smtp_reply *r, const char *p, size_t len)
{
	int code;

	if (len < 3 || !isdigit((unsigned char)p[0]) || p[0] < '2' ||
	    p[0] > '5' || !isdigit((unsigned char)p[1]) ||
	    !isdigit((unsigned char)p[2]) ||
	    (len > 3 && p[3] != ' ' && p[3] != '-'))
		return -1;
	code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (r->lines > 0 && code != r->code)
		return -1;
	if (++r->lines > SMTP_REPLY_LINES)
		return -1;
	r->code = code;
	if (r->lines == 1) {
		reply_append(r, p, len);
		reply_enh(r, len > 4 ? p + 4 : "", len > 4 ? len - 4 : 0, p[0]);
	} else {
		reply_append(r, "; ", 2);
		reply_append(r, len > 4 ? p + 4 : "", len > 4 ? len - 4 : 0);
		if (len > 4)
			reply_ext(r, p + 4, len - 4);
	}
	return len > 3 && p[3] == '-' ? 0 : 1;
}

/* A fresh body encoder. */
void
smtp_body_init(struct smtp_body_enc *e, size_t max_line)
{
	e->bol = 1;
	e->cr = 0;
	e->col = 0;
	e->max_line = max_line < 2 ? 2 : max_line;
}

/* End the current line on the wire. */
static int
body_eol(struct smtp_body_enc *e, struct buf *out)
{
	e->bol = 1;
	e->col = 0;
	return buf_append(out, "\r\n", 2);
}

/* Append one content byte (not CR/LF) to the current line. */
static int
body_byte(struct smtp_body_enc *e, char c, struct buf *out)
{
	if (e->col >= e->max_line && body_eol(e, out) < 0)
		return -1;
	if (e->bol && c == '.' && buf_append_char(out, '.') < 0)
		return -1;
	e->bol = 0;
	e->col++;
	return buf_append_char(out, c);
}

/* Encode a piece of content; -1 when out is full. */
int
smtp_body_encode(struct smtp_body_enc *e, const char *p, size_t n,
    struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '\n') {
			if (e->cr) {	/* CR LF: the CR already ended it */
				e->cr = 0;
				continue;
			}
			if (body_eol(e, out) < 0)
				return -1;
			continue;
		}
		e->cr = 0;
		if (c == '\r') {
			e->cr = 1;
			if (body_eol(e, out) < 0)
				return -1;
			continue;
		}
		if (body_byte(e, c, out) < 0)
			return -1;
	}
	return 0;
}

/* Terminate the body: end the last line, then the "." line. */
int
smtp_body_finish(struct smtp_body_enc *e, struct buf *out)
{
	if (!e->bol && body_eol(e, out) < 0)
		return -1;
	return buf_append(out, ".\r\n", 3);
}

/* 1 if any byte has the high bit set. */
int
smtp_body_has_8bit(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] & 0x80)
			return 1;
	return 0;
}
