/*
 * mime_parse.c - the MIME structure of a message held in memory (mmapped
 * or read); see mime_parse.h for the tree, the offsets and what broken
 * structure yields.
 *
 * Public: mime_parse, mime_message_free, mime_part_section, mime_part_is.
 * Top down: a part's header is read with msg_header, its MIME fields kept;
 * a multipart's body is cut at its own boundary lines (the extent of each
 * enclosing part is already known, so an outer boundary ends the inner
 * multipart by construction) and each piece parsed as a part; a
 * message/rfc822 body is parsed as a message.  Recursion depth is bounded
 * by MIME_PARSE_DEPTH, the tree by MIME_PARSE_PARTS.
 * Security: the message is untrusted; memory is the parts array and the
 * MIME fields' copies (bounded by MIME_PARSE_FIELD_MAX each).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "mime_parse.h"
#include "msg_header.h"

struct ctx {
	const char *msg;
	struct mime_message *m;
};

static size_t parse_part(struct ctx *c, size_t start, size_t end,
    size_t parent, int depth, int digest);

/* LF count of p[0..n) and how many of them have no CR before them. */
static void
count_lines(const char *p, size_t n, size_t *lines_r, size_t *bare_r)
{
	const char *s = p, *e = p + n, *nl;

	*lines_r = *bare_r = 0;
	while (s < e && (nl = memchr(s, '\n', (size_t)(e - s))) != NULL) {
		(*lines_r)++;
		if (nl == p || nl[-1] != '\r')
			(*bare_r)++;
		s = nl + 1;
	}
}

/* A new part under parent, or MIME_PART_NONE when the tree is full. */
static size_t
new_part(struct ctx *c, size_t parent, int depth)
{
	struct mime_message *m = c->m;
	struct mime_part *pt;

	if (m->nparts >= MIME_PARSE_PARTS) {
		m->truncated = 1;
		return MIME_PART_NONE;
	}
	m->parts = xreallocarray(m->parts, m->nparts + 1, sizeof(*m->parts));
	pt = &m->parts[m->nparts];
	memset(pt, 0, sizeof(*pt));
	pt->parent = parent;
	pt->first_child = pt->next = MIME_PART_NONE;
	pt->depth = depth;
	return m->nparts++;
}

/* The first token of a value (CTE), comments skipped. */
static char *
first_token(const char *v, size_t n)
{
	const char *t;
	size_t tl = mime_value_token(v, n, &t);

	return xstrndup(t, tl);
}

/* Keep a copy of the value in *slot unless an earlier field set it. */
static void
keep(char **slot, const struct msg_header_field *f)
{
	if (*slot == NULL)
		*slot = xstrndup(f->value, f->value_len);
}

/* Content-Disposition: its value and parameters. */
static void
disposition(struct mime_part *pt, const struct msg_header_field *f)
{
	const char *semi = memchr(f->value, ';', f->value_len);
	size_t n = semi != NULL ? (size_t)(semi - f->value) : f->value_len;

	if (pt->disposition != NULL)
		return;
	while (n > 0 && (f->value[n - 1] == ' ' || f->value[n - 1] == '\t'))
		n--;
	pt->disposition = xstrndup(f->value, n);
	if (semi != NULL && mime_param_parse(semi,
	    f->value_len - (size_t)(semi - f->value), &pt->disp_params,
	    &pt->ndisp_params) < 0)
		pt->flags |= MIME_PART_PARAMS_CUT;
}

/* One header field of a part: keep it when it is a MIME field (the
 * first Content-Type counts). */
static void
mime_field(struct mime_part *pt, const struct msg_header_field *f)
{
	const char *n = f->name;
	size_t nl = f->name_len;

	if (nl < 8 || strncasecmp(n, "content-", 8) != 0)
		return;
	n += 8;
	nl -= 8;
	if (msg_header_name_is(n, nl, "type") && !pt->ct_seen) {
		pt->ct_seen = 1;
		if (mime_content_type(f->value, f->value_len, &pt->ct) < 0)
			pt->flags |= MIME_PART_PARAMS_CUT;
	} else if (msg_header_name_is(n, nl, "transfer-encoding")) {
		if (pt->encoding == NULL)
			pt->encoding = first_token(f->value, f->value_len);
	} else if (msg_header_name_is(n, nl, "id"))
		keep(&pt->id, f);
	else if (msg_header_name_is(n, nl, "description"))
		keep(&pt->description, f);
	else if (msg_header_name_is(n, nl, "md5"))
		keep(&pt->md5, f);
	else if (msg_header_name_is(n, nl, "location"))
		keep(&pt->location, f);
	else if (msg_header_name_is(n, nl, "language"))
		keep(&pt->language, f);
	else if (msg_header_name_is(n, nl, "disposition"))
		disposition(pt, f);
}

/* msg_header_each callback: one field of a part's header. */
static int
header_field(void *arg, enum msg_header_result r,
    const struct msg_header_field *f)
{
	struct mime_part *pt = arg;

	if (r == MSG_HEADER_FIELD)
		mime_field(pt, f);
	return 0;
}

/* Read the part's header from start; returns where its body starts. */
static size_t
read_header(struct ctx *c, struct mime_part *pt, size_t start, size_t end)
{
	long b = msg_header_each(c->msg + start, end - start,
	    MIME_PARSE_FIELD_MAX, 0, header_field, pt);

	return start + (b < 0 ? 0 : (size_t)b);	/* b >= 0: never stopped */
}

/* Replace the part's type with type/subtype (and charset=us-ascii). */
static void
set_type(struct mime_part *pt, const char *type, const char *subtype)
{
	mime_content_type_free(&pt->ct);
	pt->ct.type = xstrdup(type);
	pt->ct.subtype = xstrdup(subtype);
	if (strcmp(type, "text") != 0)
		return;
	pt->ct.params = xcalloc(1, sizeof(*pt->ct.params));
	pt->ct.params[0].name = xstrdup("charset");
	pt->ct.params[0].value = xstrdup("us-ascii");
	pt->ct.params[0].value_len = 8;
	pt->ct.params[0].raw = xstrdup("us-ascii");
	pt->ct.nparams = 1;
}

/* The usable boundary of a multipart, or NULL (then it is broken). */
static const struct mime_param *
boundary_of(const struct mime_part *pt)
{
	const struct mime_param *b = mime_param_get(pt->ct.params,
	    pt->ct.nparams, "boundary");

	if (b == NULL || b->value_len == 0 || b->value_len > MIME_BOUNDARY_MAX)
		return NULL;
	return b;
}

/* 1 if the line at p is a boundary line of b; *close for "--b--". */
static int
is_boundary(const char *p, size_t n, const struct mime_param *b, int *close)
{
	size_t bl = b->value_len;

	if (n < bl + 2 || p[0] != '-' || p[1] != '-' ||
	    memcmp(p + 2, b->value, bl) != 0)
		return 0;
	*close = n >= bl + 4 && p[bl + 2] == '-' && p[bl + 3] == '-';
	return 1;
}

/* Where a part before the boundary line at ls ends: before its line end. */
static size_t
part_end(const char *msg, size_t part_start, size_t ls)
{
	if (ls > part_start && msg[ls - 1] == '\n')
		ls--;
	if (ls > part_start && msg[ls - 1] == '\r')
		ls--;
	return ls;
}

/* Link child as the last child of parent (last_r tracks the last). */
static void
link_child(struct ctx *c, size_t parent, size_t child, size_t *last_r)
{
	struct mime_part *pp = &c->m->parts[parent];

	if (*last_r == MIME_PART_NONE)
		pp->first_child = child;
	else
		c->m->parts[*last_r].next = child;
	pp->children++;
	*last_r = child;
}

/* Cut a multipart body [b, e) at its boundary lines into child parts. */
static void
split_multipart(struct ctx *c, size_t idx, size_t b, size_t e,
    const struct mime_param *bd, int digest)
{
	size_t ls = b, ps = MIME_PART_NONE, last = MIME_PART_NONE, child;
	int depth = c->m->parts[idx].depth + 1, close = 0, found = 0;

	while (ls < e && !close) {
		const char *nl = memchr(c->msg + ls, '\n', e - ls);
		size_t le = nl != NULL ? (size_t)(nl - c->msg) + 1 : e;

		if (is_boundary(c->msg + ls, le - ls, bd, &close)) {
			found = 1;
			if (ps != MIME_PART_NONE) {
				child = parse_part(c, ps, part_end(c->msg, ps,
				    ls), idx, depth, digest);
				if (child == MIME_PART_NONE)
					return;
				link_child(c, idx, child, &last);
			}
			ps = le;
		}
		ls = le;
	}
	if (ps != MIME_PART_NONE && !close) {
		c->m->parts[idx].flags |= MIME_PART_NO_END;
		child = parse_part(c, ps, e, idx, depth, digest);
		if (child != MIME_PART_NONE)
			link_child(c, idx, child, &last);
	}
	if (!found)
		c->m->parts[idx].flags |= MIME_PART_NO_PARTS;
}

/* 1 when a message/rfc822 body with this encoding can be parsed. */
static int
plain_encoding(const char *enc)
{
	return enc == NULL || strcasecmp(enc, "7bit") == 0 ||
	    strcasecmp(enc, "8bit") == 0 || strcasecmp(enc, "binary") == 0;
}

/* Decide the part's kind and parse what it encloses. */
static void
parse_body(struct ctx *c, size_t idx, size_t end)
{
	struct mime_part *pt = &c->m->parts[idx];
	const struct mime_param *bd;
	size_t b = pt->body_offset, child, last = MIME_PART_NONE;

	if (mime_part_is(pt, "multipart", NULL)) {
		if ((bd = boundary_of(pt)) == NULL)
			pt->flags |= MIME_PART_MULTIPART |
			    MIME_PART_BROKEN_BOUNDARY | MIME_PART_NO_PARTS;
		else if (pt->depth + 1 >= MIME_PARSE_DEPTH)
			c->m->truncated = 1;
		else {
			pt->flags |= MIME_PART_MULTIPART;
			split_multipart(c, idx, b, end, bd,
			    mime_part_is(pt, "multipart", "digest"));
		}
		return;
	}
	if ((mime_part_is(pt, "message", "rfc822") ||
	    mime_part_is(pt, "message", "global")) &&
	    plain_encoding(pt->encoding)) {
		if (pt->depth + 1 >= MIME_PARSE_DEPTH) {
			c->m->truncated = 1;
			return;
		}
		pt->flags |= MIME_PART_MESSAGE;
		child = parse_part(c, b, end, idx, pt->depth + 1, 0);
		if (child != MIME_PART_NONE)
			link_child(c, idx, child, &last);
	}
}

/* Parse the part in [start, end); its index or MIME_PART_NONE. */
static size_t
parse_part(struct ctx *c, size_t start, size_t end, size_t parent,
    int depth, int digest)
{
	size_t idx = new_part(c, parent, depth), b, bare;
	struct mime_part *pt;

	if (idx == MIME_PART_NONE)
		return idx;
	pt = &c->m->parts[idx];
	b = read_header(c, pt, start, end);
	pt->header_offset = start;
	pt->header_size = b - start;
	count_lines(c->msg + start, b - start, &pt->header_lines, &bare);
	pt->header_vsize = pt->header_size + bare;
	pt->body_offset = b;
	pt->body_size = end - b;
	count_lines(c->msg + b, end - b, &pt->body_lines, &bare);
	pt->body_vsize = pt->body_size + bare;
	if (pt->ct.type == NULL) {
		pt->flags |= MIME_PART_CT_DEFAULT;
		if (digest)
			set_type(pt, "message", "rfc822");
		else
			set_type(pt, "text", "plain");
	}
	parse_body(c, idx, end);
	return idx;
}

/* The MIME tree of the message p[0..len); see mime_parse.h. */
struct mime_message *
mime_parse(const char *p, size_t len)
{
	struct mime_message *m = xcalloc(1, sizeof(*m));
	struct ctx c = { p, m };

	(void)parse_part(&c, 0, len, MIME_PART_NONE, 0, 0);
	return m;
}

/* Free the tree and NULL the pointer. */
void
mime_message_free(struct mime_message **msgp)
{
	struct mime_message *m = *msgp;

	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nparts; i++) {
		struct mime_part *pt = &m->parts[i];

		mime_content_type_free(&pt->ct);
		free(pt->encoding);
		free(pt->id);
		free(pt->description);
		free(pt->md5);
		free(pt->location);
		free(pt->disposition);
		free(pt->language);
		mime_param_free(&pt->disp_params, pt->ndisp_params);
	}
	free(m->parts);
	free(m);
	*msgp = NULL;
}

/* 1 if the part is type/subtype (ASCII case-insensitive; subtype NULL
 * matches any). */
int
mime_part_is(const struct mime_part *part, const char *type,
    const char *subtype)
{
	return part->ct.type != NULL && strcasecmp(part->ct.type, type) == 0 &&
	    (subtype == NULL || strcasecmp(part->ct.subtype, subtype) == 0);
}

/* The n-th (1-based) child of part idx, or MIME_PART_NONE. */
static size_t
nth_child(const struct mime_message *m, size_t idx, long n)
{
	size_t k = m->parts[idx].first_child;

	while (k != MIME_PART_NONE && --n > 0)
		k = m->parts[k].next;
	return k;
}

/* The part an IMAP section number ("1.2.3", RFC 3501 6.4.5) names: in a
 * message, a multipart body's parts count from 1 and a single-part body
 * is part 1; a message/rfc822 part's numbers go on inside the enclosed
 * message.  The empty section is the message itself.  NULL if none. */
const struct mime_part *
mime_part_section(const struct mime_message *m, const char *s, size_t len)
{
	size_t cur = 0, i = 0;
	int in_message = 1;

	while (i < len) {
		long n = 0;

		while (i < len && s[i] >= '0' && s[i] <= '9' && n < 100000)
			n = n * 10 + (s[i++] - '0');
		if (n == 0 || (i < len && (s[i++] != '.' || i == len)))
			return NULL;
		if (!in_message && (m->parts[cur].flags & MIME_PART_MESSAGE)) {
			cur = m->parts[cur].first_child;
			in_message = 1;
		}
		if (m->parts[cur].flags & MIME_PART_MULTIPART)
			cur = nth_child(m, cur, n);
		else if (!in_message || n != 1)
			return NULL;
		in_message = 0;
		if (cur == MIME_PART_NONE)
			return NULL;
	}
	return &m->parts[cur];
}
