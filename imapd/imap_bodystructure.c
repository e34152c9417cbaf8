/*
 * imap_bodystructure.c - BODY and BODYSTRUCTURE (see
 * imap_bodystructure.h).
 *
 * Public: imap_bodystructure_append, imap_bodystructure_part.
 * One writer walks the mime_parse tree: a multipart is its children back
 * to back, then its subtype (and with extension data its parameters,
 * disposition, language and location); a leaf is its basic fields, the
 * line count of a text part, the envelope, structure and line count of
 * an enclosed message, then (extended) MD5, disposition, language and
 * location.  Recursion follows the tree, whose depth mime_parse bounds.
 * Security: untrusted message; output bounded by b's maximum.
 */
#include <string.h>
#include <strings.h>

#include "imap_bodystructure.h"
#include "imap_envelope.h"
#include "imap_string.h"

struct bs {
	struct buf *b;
	const struct mime_message *m;
	const char *msg;
	int ext;
	int utf8;
};

static const char empty_text_basic[] =
    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0";

static int part(const struct bs *s, size_t idx);

/* A C string (NULL: NIL). */
static int
str(const struct bs *s, const char *p)
{
	return imap_string_append_u(s->b, p, p != NULL ? strlen(p) : 0,
	    s->utf8);
}

/* " " and a C string. */
static int
sp_str(const struct bs *s, const char *p)
{
	return buf_append_char(s->b, ' ') < 0 ? -1 : str(s, p);
}

/* 1 if a plain (not RFC 2231) charset parameter is there. */
static int
has_charset(const struct mime_param *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!l[i].extended && strcasecmp(l[i].name, "charset") == 0)
			return 1;
	return 0;
}

/* One parameter: name (name* for RFC 2231) and value. */
static int
param(const struct bs *s, const struct mime_param *pm)
{
	struct buf *b = s->b;
	size_t nl = strlen(pm->name);

	if (buf_append_char(b, '"') < 0 || buf_append(b, pm->name, nl) < 0 ||
	    (pm->extended && buf_append_char(b, '*') < 0) ||
	    buf_append_str(b, "\" ") < 0)
		return -1;
	if (pm->extended)
		return str(s, pm->raw);
	return imap_string_append_u(b, pm->value, pm->value_len, s->utf8);
}

/* A parameter list or NIL; text adds the default charset. */
static int
params(const struct bs *s, const struct mime_param *l, size_t n, int text)
{
	int add = text && !has_charset(l, n);

	if (n == 0 && !add)
		return buf_append_str(s->b, "NIL");
	if (buf_append_char(s->b, '(') < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && buf_append_char(s->b, ' ') < 0) ||
		    param(s, &l[i]) < 0)
			return -1;
	if (add && buf_append_str(s->b, n > 0 ? " \"charset\" \"us-ascii\"" :
	    "\"charset\" \"us-ascii\"") < 0)
		return -1;
	return buf_append_char(s->b, ')');
}

/* Content-Disposition: (type params) or NIL. */
static int
disposition(const struct bs *s, const struct mime_part *pt)
{
	if (pt->disposition == NULL)
		return buf_append_str(s->b, "NIL");
	if (buf_append_char(s->b, '(') < 0 || str(s, pt->disposition) < 0 ||
	    buf_append_char(s->b, ' ') < 0 ||
	    params(s, pt->disp_params, pt->ndisp_params, 0) < 0)
		return -1;
	return buf_append_char(s->b, ')');
}

/* Content-Language: a list of its tags, or NIL. */
static int
language(const struct bs *s, const struct mime_part *pt)
{
	const char *p = pt->language, *t;
	int n = 0;

	if (p == NULL)
		return buf_append_str(s->b, "NIL");
	while (*p != '\0') {
		size_t tl = mime_value_token(p, strlen(p), &t);

		if (tl > 0 && (buf_append_str(s->b, n++ ? " " : "(") < 0 ||
		    imap_string_append_u(s->b, t, tl, s->utf8) < 0))
			return -1;
		p = tl > 0 ? t + tl : p + 1;
	}
	return buf_append_str(s->b, n > 0 ? ")" : "NIL");
}

/* Disposition, language and location (the shared extension tail). */
static int
ext_tail(const struct bs *s, const struct mime_part *pt)
{
	if (buf_append_char(s->b, ' ') < 0 || disposition(s, pt) < 0 ||
	    buf_append_char(s->b, ' ') < 0 || language(s, pt) < 0)
		return -1;
	return sp_str(s, pt->location);
}

/* A multipart: children, subtype, extension data. */
static int
multipart(const struct bs *s, const struct mime_part *pt)
{
	if (buf_append_char(s->b, '(') < 0)
		return -1;
	if (pt->first_child == MIME_PART_NONE &&
	    (buf_append_str(s->b, empty_text_basic) < 0 ||
	    (s->ext && buf_append_str(s->b, " NIL NIL NIL NIL") < 0) ||
	    buf_append_char(s->b, ')') < 0))
		return -1;
	for (size_t k = pt->first_child; k != MIME_PART_NONE;
	    k = s->m->parts[k].next)
		if (part(s, k) < 0)
			return -1;
	if (sp_str(s, pt->ct.subtype) < 0)
		return -1;
	if (s->ext && (buf_append_char(s->b, ' ') < 0 ||
	    params(s, pt->ct.params, pt->ct.nparams, 0) < 0 ||
	    ext_tail(s, pt) < 0))
		return -1;
	return buf_append_char(s->b, ')');
}

/* The enclosed message of a message/rfc822 part: envelope and body. */
static int
enclosed(const struct bs *s, const struct mime_part *pt)
{
	const struct mime_part *in = &s->m->parts[pt->first_child];

	if (buf_append_char(s->b, ' ') < 0 ||
	    imap_envelope_append(s->b, s->msg + in->header_offset,
	    in->header_size, s->utf8) < 0 || buf_append_char(s->b, ' ') < 0 ||
	    part(s, pt->first_child) < 0)
		return -1;
	return buf_printf(s->b, " %zu", pt->body_lines);
}

/* A leaf part: basic fields, type-specific fields, extension data. */
static int
leaf(const struct bs *s, const struct mime_part *pt)
{
	int text = strcasecmp(pt->ct.type, "text") == 0;

	if (buf_append_char(s->b, '(') < 0 || str(s, pt->ct.type) < 0 ||
	    sp_str(s, pt->ct.subtype) < 0 || buf_append_char(s->b, ' ') < 0 ||
	    params(s, pt->ct.params, pt->ct.nparams, text) < 0 ||
	    sp_str(s, pt->id) < 0 || sp_str(s, pt->description) < 0 ||
	    sp_str(s, pt->encoding != NULL ? pt->encoding : "7bit") < 0 ||
	    buf_printf(s->b, " %zu", pt->body_vsize) < 0)
		return -1;
	if ((pt->flags & MIME_PART_MESSAGE) &&
	    pt->first_child != MIME_PART_NONE && enclosed(s, pt) < 0)
		return -1;
	if (text && buf_printf(s->b, " %zu", pt->body_lines) < 0)
		return -1;
	if (s->ext && (sp_str(s, pt->md5) < 0 || ext_tail(s, pt) < 0))
		return -1;
	return buf_append_char(s->b, ')');
}

/* Part idx, whichever kind it is. */
static int
part(const struct bs *s, size_t idx)
{
	const struct mime_part *pt = &s->m->parts[idx];

	if (pt->flags & MIME_PART_MULTIPART)
		return multipart(s, pt);
	return leaf(s, pt);
}

/* The structure of part idx of a parsed message. */
int
imap_bodystructure_part(struct buf *b, const struct mime_message *msg,
    size_t idx, const char *p, int extended, int utf8)
{
	struct bs s = { b, msg, p, extended, utf8 };

	return part(&s, idx);
}

/* Parse the message and append its structure. */
int
imap_bodystructure_append(struct buf *b, const char *p, size_t len,
    int extended, int utf8)
{
	struct mime_message *m = mime_parse(p, len);
	int r = imap_bodystructure_part(b, m, 0, p, extended, utf8);

	mime_message_free(&m);
	return r;
}
