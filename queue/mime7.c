/*
 * mime7.c - 8-bit to 7-bit MIME conversion (see mime7.h for the contract).
 *
 * One line-oriented parser serves both passes.  Header blocks are kept
 * whole (bounded) until their blank line, then classified: leaf part,
 * multipart (its boundary goes on a stack) or message/rfc822 (a nested
 * header block follows).  Body lines inside a multipart are held up to
 * MIME7_PEEK bytes to recognise boundary lines; longer lines cannot be
 * boundaries and stream through.  Header blocks are read with the shared
 * header reader (msg_header.h) and Content-Type with the shared MIME
 * parameter parser (mime_parse.h).  The analysis pass marks the leaf parts
 * that need quoted-printable; the emitting pass replays the same walk,
 * rewrites those parts' headers and encodes their bodies.
 * Security: the input is a message from the network; every buffer is
 * bounded (header blocks MIME7_HEAD_MAX, peek MIME7_PEEK, depth, parts).
 */
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include "alloc.h"
#include "mime7.h"
#include "mime_parse.h"
#include "msg_header.h"
#include "strutil.h"

#define MIME7_PEEK 256		/* longer body lines are no boundaries */
#define MIME7_BOUNDARY_MAX MIME_BOUNDARY_MAX
#define MIME7_LINE_MAX 998	/* RFC 5322 2.1.1 */
#define QP_WIDTH 76		/* RFC 2045 6.7 (5) */

enum body_mode { BODY_PASS, BODY_QP, BODY_OUTSIDE };
enum part_kind { KIND_LEAF, KIND_MULTI, KIND_MESSAGE };

struct level {
	char boundary[MIME7_BOUNDARY_MAX];
	size_t len;
	int digest;		/* parts default to message/rfc822 */
};

struct mime7 {
	struct mime7_plan *plan;
	int emit;
	/* header block */
	int in_head;
	int head_message;	/* a message's header (else a part's) */
	int head_digest;	/* part of a multipart/digest */
	struct buf *head;
	size_t line_start;	/* offset of the current header line */
	/* body */
	int mode;
	size_t leaf;		/* current leaf part (analysis and emit) */
	size_t next_leaf;
	int leaf_encoded;	/* declared base64 / quoted-printable */
	struct level lv[MIME7_DEPTH];
	size_t depth;
	char line[MIME7_PEEK];
	size_t llen;
	int streaming;		/* current line passed the peek window */
	size_t linelen;
	/* quoted-printable state */
	size_t col;
	char pend_ws;
};

struct part_head {
	enum part_kind kind;
	int declared8;		/* CTE 8bit or binary */
	int encoded;		/* CTE base64 or quoted-printable */
	int plain;		/* a message header without MIME-Version */
	int has_ct;
	int has_version;
	char boundary[MIME7_BOUNDARY_MAX];
	size_t blen;
	int digest;
};

static const char hexdigits[] = "0123456789ABCDEF";

void
mime7_plan_init(struct mime7_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
}

void
mime7_plan_free(struct mime7_plan *plan)
{
	free(plan->encode);
	memset(plan, 0, sizeof(*plan));
}

/* Start one pass: analysis (emit 0) fills plan, emit 1 follows it. */
struct mime7 *
mime7_new(struct mime7_plan *plan, int emit)
{
	struct mime7 *m = xcalloc(1, sizeof(*m));

	m->plan = plan;
	m->emit = emit;
	m->in_head = 1;
	m->head_message = 1;
	m->head = buf_new(1024, MIME7_HEAD_MAX);
	return m;
}

void
mime7_free(struct mime7 **mp)
{
	if (*mp == NULL)
		return;
	buf_free(&(*mp)->head);
	free(*mp);
	*mp = NULL;
}

/* Analysis: remember the first reason the message cannot be 7-bit. */
static void
refuse(struct mime7 *m, const char *why)
{
	if (m->plan->why == NULL)
		m->plan->why = why;
}

static int
has_8bit(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] & 0x80)
			return 1;
	return 0;
}

/* --- quoted-printable --------------------------------------------- */

/* One encoded token of width w, after a soft break if it would not fit. */
static int
qp_token(struct mime7 *m, struct buf *out, const char *tok, size_t w)
{
	if (m->col + w > QP_WIDTH - 1) {
		if (buf_append(out, "=\n", 2) < 0)
			return -1;
		m->col = 0;
	}
	m->col += w;
	return buf_append(out, tok, w);
}

static int
qp_hex(struct mime7 *m, struct buf *out, unsigned char c)
{
	char t[3] = { '=', hexdigits[c >> 4], hexdigits[c & 15] };

	return qp_token(m, out, t, 3);
}

/* Encode bytes of one line (the line end comes through qp_eol). */
static int
qp_bytes(struct mime7 *m, struct buf *out, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (m->pend_ws != 0) {
			char ws = m->pend_ws;

			m->pend_ws = 0;
			if (qp_token(m, out, &ws, 1) < 0)
				return -1;
		}
		if (c == ' ' || c == '\t')
			m->pend_ws = (char)c;
		else if (c >= 33 && c <= 126 && c != '=') {
			if (qp_token(m, out, (const char *)&p[i], 1) < 0)
				return -1;
		} else if (qp_hex(m, out, c) < 0)
			return -1;
	}
	return 0;
}

/* End an encoded line: trailing white space is encoded (RFC 2045 6.7 (3)). */
static int
qp_eol(struct mime7 *m, struct buf *out, int newline)
{
	if (m->pend_ws != 0) {
		unsigned char ws = (unsigned char)m->pend_ws;

		m->pend_ws = 0;
		if (qp_hex(m, out, ws) < 0)
			return -1;
	}
	m->col = 0;
	return newline ? buf_append(out, "\n", 1) : 0;
}

/* --- header blocks ------------------------------------------------ */

/* Call fn for each field of the held header block (the shared reader,
 * msg_header.h); *end_r is where the reader's block ended (a CR-only line
 * may end it early; the caller passes the rest through). */
static int
each_field(struct mime7 *m, msg_header_fn fn, void *arg, size_t *end_r)
{
	long r = msg_header_each(m->head->data, m->head->len, MIME7_HEAD_MAX,
	    0, fn, arg);

	*end_r = r < 0 ? m->head->len : (size_t)r;
	return r < 0 ? -1 : 0;
}

/* 1 if the field is the named one (any case, "Name :" too). */
static int
field_is(const struct msg_header_field *f, const char *name)
{
	return msg_header_name_is(f->name, f->name_len, name);
}

/* Content-Type: the kind of part and the boundary parameter. */
static void
parse_content_type(const char *p, size_t len, struct part_head *h)
{
	struct mime_content_type ct;
	const struct mime_param *b;

	if (mime_content_type(p, len, &ct) < 0) {
		/* over MIME_PARAM_MAX parameters: the first ones are kept */
	}
	if (ct.type == NULL) {
		mime_content_type_free(&ct);
		return;
	}
	if (strcasecmp(ct.type, "message") == 0 &&
	    strcasecmp(ct.subtype, "rfc822") == 0)
		h->kind = KIND_MESSAGE;
	else if (strcasecmp(ct.type, "multipart") == 0) {
		h->kind = KIND_MULTI;
		h->digest = strcasecmp(ct.subtype, "digest") == 0;
	} else
		h->kind = KIND_LEAF;
	b = mime_param_get(ct.params, ct.nparams, "boundary");
	if (b != NULL && b->value_len > 0 && b->value_len <= MIME7_BOUNDARY_MAX) {
		memcpy(h->boundary, b->value, b->value_len);
		h->blen = b->value_len;
	}
	mime_content_type_free(&ct);
	if (h->kind == KIND_MULTI && h->blen == 0)
		h->kind = KIND_LEAF;	/* no usable boundary: opaque */
}

/* One field of the block being classified. */
static int
head_field(void *arg, enum msg_header_result r,
    const struct msg_header_field *f)
{
	struct part_head *h = arg;
	const char *t;
	size_t tl;

	(void)r;
	if (field_is(f, "Content-Type") && !h->has_ct) {
		h->has_ct = 1;
		parse_content_type(f->value, f->value_len, h);
	} else if (field_is(f, "Content-Transfer-Encoding")) {
		tl = mime_value_token(f->value, f->value_len, &t);
		h->declared8 = str_casecmp_n(t, tl, "8bit") == 0 ||
		    str_casecmp_n(t, tl, "binary") == 0;
		h->encoded = str_casecmp_n(t, tl, "base64") == 0 ||
		    str_casecmp_n(t, tl, "quoted-printable") == 0;
	} else if (field_is(f, "MIME-Version"))
		h->has_version = 1;
	return 0;
}

/* Classify the header block in m->head. */
static void
parse_head(struct mime7 *m, struct part_head *h)
{
	size_t end;

	memset(h, 0, sizeof(*h));
	h->kind = m->head_digest ? KIND_MESSAGE : KIND_LEAF;
	(void)each_field(m, head_field, h, &end);
	/* A message header without MIME-Version or Content-Type is plain
	 * RFC 5322 text: one leaf. */
	h->plain = m->head_message && !h->has_version;
	if (h->plain && !h->has_ct)
		h->kind = KIND_LEAF;
}

struct copy_ctx {
	struct mime7 *m;
	struct buf *out;
};

/* Copy one field unless it is a Content-Transfer-Encoding. */
static int
copy_field(void *arg, enum msg_header_result r,
    const struct msg_header_field *f)
{
	struct copy_ctx *cc = arg;
	struct buf *out = cc->out;
	const char *p = cc->m->head->data + f->offset;

	(void)r;
	if (field_is(f, "Content-Transfer-Encoding"))
		return 0;
	if (buf_append(out, p, f->size) < 0 ||
	    (p[f->size - 1] != '\n' && buf_append(out, "\n", 1) < 0))
		return -1;
	return 0;
}

/* Write the header block, its Content-Transfer-Encoding replaced by
 * cte (NULL: unchanged); a message header that becomes quoted-printable
 * also gets the MIME headers it lacks. */
static int
write_head(struct mime7 *m, struct buf *out, const struct part_head *h,
    const char *cte)
{
	struct copy_ctx cc = { m, out };
	size_t end;

	if (cte == NULL)
		return buf_append(out, m->head->data, m->head->len);
	if (each_field(m, copy_field, &cc, &end) < 0 ||
	    buf_append(out, m->head->data + end, m->head->len - end) < 0)
		return -1;
	if (h->plain && strcmp(cte, "quoted-printable") == 0 &&
	    (buf_append_str(out, "MIME-Version: 1.0\n") < 0 ||
	    (!h->has_ct && buf_append_str(out,
	    "Content-Type: text/plain; charset=unknown-8bit\n") < 0)))
		return -1;
	return buf_printf(out, "Content-Transfer-Encoding: %s\n", cte);
}

/* The header block ended (blank: by an empty line, which follows). */
static int
head_done(struct mime7 *m, struct buf *out, int blank)
{
	struct part_head h;
	const char *cte = NULL;

	parse_head(m, &h);
	m->in_head = 0;
	m->mode = BODY_PASS;
	switch (h.kind) {
	case KIND_LEAF:
		if (!m->emit) {
			if (m->plan->parts >= MIME7_PARTS) {
				refuse(m, "too many MIME parts to convert");
				break;
			}
			m->plan->encode = xreallocarray(m->plan->encode,
			    m->plan->parts + 1, 1);
			m->leaf = m->plan->parts++;
			m->plan->encode[m->leaf] = 0;
			m->leaf_encoded = h.encoded;
			break;
		}
		m->leaf = m->next_leaf++;
		if (m->leaf < m->plan->parts && m->plan->encode[m->leaf]) {
			cte = "quoted-printable";
			m->mode = BODY_QP;
		} else if (h.declared8)
			cte = "7bit";
		break;
	case KIND_MULTI:
		if (m->depth >= MIME7_DEPTH) {
			refuse(m, "MIME parts nested too deep to convert");
			break;
		}
		memcpy(m->lv[m->depth].boundary, h.boundary, h.blen);
		m->lv[m->depth].len = h.blen;
		m->lv[m->depth].digest = h.digest;
		m->depth++;
		m->mode = BODY_OUTSIDE;
		cte = h.declared8 ? "7bit" : NULL;
		break;
	case KIND_MESSAGE:
		cte = h.declared8 ? "7bit" : NULL;
		break;
	}
	if (m->emit && (write_head(m, out, &h, cte) < 0 ||
	    (blank && buf_append(out, "\n", 1) < 0)))
		return -1;
	buf_reset(m->head);
	m->line_start = 0;
	if (h.kind == KIND_MESSAGE && blank) {
		m->in_head = 1;	/* the enclosed message's header */
		m->head_message = 1;
		m->head_digest = 0;
	}
	return 0;
}

/* --- boundaries and body lines ------------------------------------ */

/* The level whose boundary line this is (innermost first), or -1. */
static int
boundary_level(const struct mime7 *m, const char *p, size_t n, int *close)
{
	if (n < 3 || p[0] != '-' || p[1] != '-')
		return -1;
	for (size_t k = m->depth; k-- > 0;) {
		const struct level *l = &m->lv[k];
		size_t i = 2 + l->len;

		if (n < i || memcmp(p + 2, l->boundary, l->len) != 0)
			continue;
		*close = n >= i + 2 && p[i] == '-' && p[i + 1] == '-';
		if (*close)
			i += 2;
		while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
			i++;
		if (i == n)
			return (int)k;
	}
	return -1;
}

/* A boundary line of level k: pass it on, then a part header or the
 * epilogue follows. */
static int
at_boundary(struct mime7 *m, struct buf *out, int k, int close,
    const char *p, size_t n)
{
	if (m->emit && (buf_append(out, p, n) < 0 ||
	    buf_append(out, "\n", 1) < 0))
		return -1;
	m->depth = (size_t)k + 1;
	if (close) {
		m->depth = (size_t)k;
		m->mode = BODY_OUTSIDE;
		return 0;
	}
	m->in_head = 1;
	m->head_message = 0;
	m->head_digest = m->lv[k].digest;
	buf_reset(m->head);
	m->line_start = 0;
	return 0;
}

/* Body bytes that are surely not a boundary line. */
static int
body_out(struct mime7 *m, struct buf *out, const char *p, size_t n)
{
	if (!m->emit || n == 0)
		return 0;
	if (m->mode == BODY_QP)
		return qp_bytes(m, out, p, n);
	return buf_append(out, p, n);
}

/* Analysis of body bytes: what they demand of their part. */
static void
body_scan(struct mime7 *m, const char *p, size_t n)
{
	m->linelen += n;
	if (m->emit || m->plan->why != NULL)
		return;
	if (m->mode == BODY_OUTSIDE) {
		if (has_8bit(p, n))
			refuse(m, "8-bit data outside the MIME parts");
		return;
	}
	if (m->leaf >= m->plan->parts || m->plan->encode[m->leaf])
		return;
	if (has_8bit(p, n)) {
		if (m->leaf_encoded)
			refuse(m, "8-bit data in an encoded MIME part");
		else
			m->plan->encode[m->leaf] = 1;
	} else if (m->linelen > MIME7_LINE_MAX && !m->leaf_encoded)
		m->plan->encode[m->leaf] = 1;
}

static int
body_bytes(struct mime7 *m, struct buf *out, const char *p, size_t n)
{
	body_scan(m, p, n);
	if (m->depth == 0 || m->streaming)
		return body_out(m, out, p, n);
	if (m->llen + n <= sizeof(m->line)) {
		memcpy(m->line + m->llen, p, n);
		m->llen += n;
		return 0;
	}
	m->streaming = 1;
	if (body_out(m, out, m->line, m->llen) < 0)
		return -1;
	m->llen = 0;
	return body_out(m, out, p, n);
}

/* The end of a body line (newline 0: the end of the message). */
static int
body_line_end(struct mime7 *m, struct buf *out, int newline)
{
	int k, close = 0, r = 0;

	if (m->depth > 0 && !m->streaming && newline &&
	    (k = boundary_level(m, m->line, m->llen, &close)) >= 0)
		r = at_boundary(m, out, k, close, m->line, m->llen);
	else if (body_out(m, out, m->line, m->llen) < 0)
		r = -1;
	else if (m->emit && m->mode == BODY_QP)
		r = qp_eol(m, out, newline);
	else if (m->emit && newline)
		r = buf_append(out, "\n", 1);
	m->llen = 0;
	m->streaming = 0;
	m->linelen = 0;
	return r;
}

/* --- header lines ------------------------------------------------- */

static int
head_bytes(struct mime7 *m, const char *p, size_t n)
{
	if (has_8bit(p, n))
		refuse(m, "8-bit data in a message header");
	if (buf_append(m->head, p, n) < 0)
		refuse(m, "a header too large to convert");
	return 0;
}

/* The end of a header line: the blank line, a boundary, or one more. */
static int
head_line_end(struct mime7 *m, struct buf *out)
{
	const char *line = m->head->data + m->line_start;
	size_t n = m->head->len - m->line_start;
	char copy[MIME7_PEEK];
	int k, close = 0;

	if (n == 0)
		return head_done(m, out, 1);
	if (m->depth > 0 && n <= sizeof(copy) &&
	    (k = boundary_level(m, line, n, &close)) >= 0) {
		memcpy(copy, line, n);
		m->head->len = m->line_start;
		if (head_done(m, out, 0) < 0)
			return -1;
		return at_boundary(m, out, k, close, copy, n);
	}
	if (buf_append(m->head, "\n", 1) < 0)
		refuse(m, "a header too large to convert");
	m->line_start = m->head->len;
	return 0;
}

/* --- the public part ---------------------------------------------- */

int
mime7_feed(struct mime7 *m, const char *p, size_t n, struct buf *out)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t seg = nl != NULL ? (size_t)(nl - p) : n;
		int r;

		if (!m->emit && m->plan->why != NULL)
			return 0;	/* the verdict is in */
		if (m->in_head) {
			r = head_bytes(m, p, seg);
			if (r == 0 && nl != NULL)
				r = head_line_end(m, out);
		} else {
			r = body_bytes(m, out, p, seg);
			if (r == 0 && nl != NULL)
				r = body_line_end(m, out, 1);
		}
		if (r < 0)
			return -1;
		seg += nl != NULL;
		p += seg;
		n -= seg;
	}
	return 0;
}

int
mime7_finish(struct mime7 *m, struct buf *out)
{
	if (!m->emit && m->plan->why != NULL)
		return 0;
	if (m->in_head)
		return head_done(m, out, 0);
	return body_line_end(m, out, 0);
}
