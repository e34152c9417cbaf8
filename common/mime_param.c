/*
 * mime_param.c - MIME header parameters (RFC 2045 5.1) with RFC 2231
 * continuations and charset/language, and the Content-Type value.
 *
 * Public: mime_param_parse, mime_param_get, mime_param_free,
 * mime_content_type, mime_content_type_free, mime_value_token (see
 * mime_parse.h).
 * Sections are first collected as written ("name", "name*", "name*0",
 * "name*1*", ...), then joined per name in index order up to the first
 * gap; a name written both plainly and in sections keeps the sections.
 * Lenient where mail is: comments anywhere, junk skipped to the next ';'.
 * mime_param_parse returns -1 (with the first MIME_PARAM_MAX parameters
 * kept) when there were more.
 * Security: untrusted input; at most MIME_PARAM_MAX * 4 sections, index
 * below 1000; every string bounded by the input.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "buf.h"
#include "mime_parse.h"
#include "strutil.h"

#define SECTIONS_MAX (MIME_PARAM_MAX * 4)

struct section {
	const char *name;
	size_t name_len;
	long index;		/* -1: not a continuation */
	int ext;		/* name*... = charset'lang'%XX */
	struct buf *value;	/* as written, unquoted */
	int used;
};

struct cursor {
	const char *p, *end;
};

/* Append, panicking only if an unbounded buffer refuses (impossible). */
static void
put(struct buf *b, const char *p, size_t n)
{
	if (buf_append(b, p, n) < 0)
		log_panic("mime_param: unbounded buffer refused bytes");
}

/* RFC 2045 token character. */
static int
token_char(char c)
{
	return (unsigned char)c > 32 && (unsigned char)c < 127 &&
	    strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Skip white space and (nested) comments. */
static void
skip_cfws(struct cursor *c)
{
	size_t depth = 0;

	for (; c->p < c->end; c->p++) {
		if (*c->p == '(')
			depth++;
		else if (*c->p == ')' && depth > 0)
			depth--;
		else if (depth > 0 && *c->p == '\\' && c->p + 1 < c->end)
			c->p++;
		else if (depth == 0 && *c->p != ' ' && *c->p != '\t' &&
		    *c->p != '\r' && *c->p != '\n')
			return;
	}
}

/* A token; returns its length (0: none). */
static size_t
token(struct cursor *c, const char **tok_r)
{
	*tok_r = c->p;
	while (c->p < c->end && token_char(*c->p))
		c->p++;
	return (size_t)(c->p - *tok_r);
}

/* A token or quoted-string value onto out (unquoted). */
static void
value(struct cursor *c, struct buf *out)
{
	const char *t;
	size_t n;

	if (c->p >= c->end || *c->p != '"') {
		n = token(c, &t);
		put(out, t, n);
		return;
	}
	for (c->p++; c->p < c->end && *c->p != '"'; c->p++) {
		if (*c->p == '\\' && c->p + 1 < c->end)
			c->p++;
		else if (*c->p == '\r' || *c->p == '\n')
			continue;
		put(out, c->p, 1);
	}
	if (c->p < c->end)
		c->p++;
}

/* Split "name*3*" into name, index and ext. */
static void
section_name(struct section *s, const char *t, size_t n)
{
	const char *star = memchr(t, '*', n);
	long idx;

	s->name = t;
	s->name_len = n;
	s->index = -1;
	s->ext = 0;
	if (star == NULL)
		return;
	s->name_len = (size_t)(star - t);
	s->ext = t[n - 1] == '*';
	if (star + 1 < t + n - s->ext && str_to_long(star + 1,
	    (size_t)(t + n - s->ext - star - 1), 0, 999, &idx) == 0)
		s->index = idx;
}

/* Collect the sections as written; the number found. */
static size_t
collect(struct cursor *c, struct section *secs)
{
	size_t n = 0;

	for (;;) {
		const char *t;
		size_t tl;

		while (c->p < c->end && *c->p != ';')
			c->p++;		/* junk up to the next parameter */
		if (c->p >= c->end || n >= SECTIONS_MAX)
			return n;
		c->p++;
		skip_cfws(c);
		tl = token(c, &t);
		skip_cfws(c);
		if (tl == 0 || c->p >= c->end || *c->p != '=')
			continue;
		c->p++;
		skip_cfws(c);
		section_name(&secs[n], t, tl);
		secs[n].value = buf_new(64, 0);
		secs[n].used = 0;
		value(c, secs[n].value);
		n++;
	}
}

/* Decode %XX onto out; a '%' without two hex digits stays. */
static void
pct_decode(const char *p, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		int h, l;
		char ch = p[i];

		if (ch == '%' && i + 2 < n && (h = str_hexval(p[i + 1])) >= 0 &&
		    (l = str_hexval(p[i + 2])) >= 0) {
			ch = (char)(h * 16 + l);
			i += 2;
		}
		put(out, &ch, 1);
	}
}

/* Section idx of name (by position in order), or NULL. */
static struct section *
find_section(struct section *secs, size_t n, const char *name, size_t nl,
    long idx)
{
	for (size_t i = 0; i < n; i++)
		if (!secs[i].used && secs[i].index == idx &&
		    secs[i].name_len == nl &&
		    strncasecmp(secs[i].name, name, nl) == 0)
			return &secs[i];
	return NULL;
}

/* One extended section's value: the charset'lang' prefix (first only). */
static void
ext_value(struct mime_param *pm, struct section *s, int first,
    struct buf *val)
{
	const char *v = s->value->data, *q1, *q2 = NULL;
	size_t n = s->value->len;

	q1 = first ? memchr(v, '\'', n) : NULL;
	if (q1 != NULL)
		q2 = memchr(q1 + 1, '\'', (size_t)(v + n - q1 - 1));
	if (q2 != NULL) {
		pm->charset = xstrndup(v, (size_t)(q1 - v));
		pm->language = xstrndup(q1 + 1, (size_t)(q2 - q1 - 1));
		n -= (size_t)(q2 + 1 - v);
		v = q2 + 1;
	}
	pct_decode(v, n, val);
}

/* Join the sections of s's name into pm. */
static void
join(struct mime_param *pm, struct section *secs, size_t n, struct section *s)
{
	struct buf *val = buf_new(64, 0), *raw = buf_new(64, 0);
	struct section *first = find_section(secs, n, s->name, s->name_len, 0);

	memset(pm, 0, sizeof(*pm));
	pm->name = xstrndup(s->name, s->name_len);
	if (first == NULL)
		first = s;
	for (long i = first->index; first != NULL; ) {
		first->used = 1;
		pm->extended |= first->ext;
		put(raw, first->value->data, first->value->len);
		if (first->ext)
			ext_value(pm, first, i <= 0, val);
		else
			put(val, first->value->data, first->value->len);
		if (i < 0)
			break;
		first = find_section(secs, n, s->name, s->name_len, ++i);
	}
	pm->value_len = val->len;	/* a %00 or NUL may be inside */
	pm->value = xmemdup(buf_cstr(val), val->len + 1);
	pm->raw = xstrndup(raw->data, raw->len);
	buf_free(&val);
	buf_free(&raw);
	/* a plain duplicate of a joined name is dropped */
	while ((s = find_section(secs, n, pm->name, strlen(pm->name), -1)))
		s->used = 1;
}

/* Parse ";name=value" parameters; see mime_parse.h. */
int
mime_param_parse(const char *p, size_t len, struct mime_param **list_r,
    size_t *n_r)
{
	struct section *secs = xcalloc(SECTIONS_MAX, sizeof(*secs));
	struct cursor c = { p, p + len };
	size_t ns = collect(&c, secs), n = 0;
	int over = 0;

	*list_r = NULL;
	for (size_t i = 0; i < ns; i++) {
		if (secs[i].used)
			continue;
		if (n >= MIME_PARAM_MAX) {
			over = 1;
			break;
		}
		*list_r = xreallocarray(*list_r, n + 1, sizeof(**list_r));
		join(&(*list_r)[n++], secs, ns, &secs[i]);
	}
	for (size_t i = 0; i < ns; i++)
		buf_free(&secs[i].value);
	free(secs);
	*n_r = n;
	return over ? -1 : 0;
}

/* The parameter called name (ASCII case-insensitive), or NULL. */
const struct mime_param *
mime_param_get(const struct mime_param *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(list[i].name, name) == 0)
			return &list[i];
	return NULL;
}

/* Free a parameter list and NULL the pointer. */
void
mime_param_free(struct mime_param **listp, size_t n)
{
	struct mime_param *l = *listp;

	if (l == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(l[i].name);
		free(l[i].value);
		free(l[i].raw);
		free(l[i].charset);
		free(l[i].language);
	}
	free(l);
	*listp = NULL;
}

/* The first token of a value after white space and comments (a
 * Content-Transfer-Encoding, a disposition type); its length, 0: none. */
size_t
mime_value_token(const char *p, size_t len, const char **tok_r)
{
	struct cursor c = { p, p + len };

	skip_cfws(&c);
	return token(&c, tok_r);
}

/* Read "type/subtype; params"; type NULL when type/subtype is invalid.
 * Returns -1 only when parameters were dropped (too many). */
int
mime_content_type(const char *p, size_t len, struct mime_content_type *ct)
{
	struct cursor c = { p, p + len };
	const char *t, *s;
	size_t tl, sl;

	memset(ct, 0, sizeof(*ct));
	skip_cfws(&c);
	tl = token(&c, &t);
	skip_cfws(&c);
	if (c.p < c.end && *c.p == '/') {
		c.p++;
		skip_cfws(&c);
		sl = token(&c, &s);
		if (tl > 0 && sl > 0) {
			ct->type = xstrndup(t, tl);
			ct->subtype = xstrndup(s, sl);
		}
	}
	return mime_param_parse(c.p, (size_t)(c.end - c.p), &ct->params,
	    &ct->nparams);
}

/* Free what mime_content_type allocated. */
void
mime_content_type_free(struct mime_content_type *ct)
{
	free(ct->type);
	free(ct->subtype);
	mime_param_free(&ct->params, ct->nparams);
	memset(ct, 0, sizeof(*ct));
}
