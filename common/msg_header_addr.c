/*
 * msg_header_addr.c - the RFC 5322 address-list parser behind IMAP's
 * ENVELOPE (see msg_header.h: msg_header_addr_parse).
 *
 * Recursive descent over the unfolded or folded value: an address is read
 * as a phrase first; what follows decides what it was (":" a group, "<"
 * a name-addr, anything else an addr-spec read again from its start).
 * Obsolete syntax (RFC 5322 4.4): dots and comments in phrases and local
 * parts, routes "@a,@b:" before the addr-spec, empty list elements.
 * Quoted strings lose their quotes and backslashes; phrase words are joined
 * by one space; a comment after an addr-spec without display name becomes
 * the name (as mail readers show it).  A piece that cannot be parsed is
 * skipped up to the next ',' (or ';' in a group).
 * Public: msg_header_addr_parse, msg_header_addr_free.
 * Security: untrusted input; the list holds at most max entries, every
 * string is bounded by the input length; no recursion on input nesting.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "msg_header.h"

struct ap {
	const char *p, *end;
	struct buf *comment;	/* the last comment seen */
	struct msg_header_addr *list;
	size_t n, max;
};

/* Append to a buffer without a maximum (bounded by the input). */
static void
put(struct buf *b, const char *p, size_t n)
{
	if (buf_append(b, p, n) < 0)
		log_panic("msg_header_addr: unbounded buffer refused bytes");
}

/* Append one byte, as put(). */
static void
put_char(struct buf *b, char c)
{
	put(b, &c, 1);
}

/* RFC 5322 atext. */
static int
is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (unsigned char)c >= 128 ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Skip white space and comments; the last comment's text is kept. */
static void
skip_cfws(struct ap *a)
{
	while (a->p < a->end) {
		size_t depth = 0;

		if (*a->p == ' ' || *a->p == '\t' || *a->p == '\r' ||
		    *a->p == '\n') {
			a->p++;
			continue;
		}
		if (*a->p != '(')
			return;
		buf_reset(a->comment);
		for (; a->p < a->end; a->p++) {
			char c = *a->p;

			if (c == '\\' && a->p + 1 < a->end)
				c = *++a->p;
			else if (c == '(' && depth++ == 0)
				continue;
			else if (c == ')' && --depth == 0) {
				a->p++;
				break;
			}
			if (c != '\r' && c != '\n')
				put_char(a->comment, c);
		}
	}
}

/* A quoted string at a->p (the quote) onto out, unquoted. */
static void
quoted(struct ap *a, struct buf *out)
{
	for (a->p++; a->p < a->end && *a->p != '"'; a->p++) {
		if (*a->p == '\\' && a->p + 1 < a->end)
			a->p++;
		else if (*a->p == '\r' || *a->p == '\n')
			continue;
		put_char(out, *a->p);
	}
	if (a->p < a->end)
		a->p++;
}

/* One word (atom, with dots if dots; or quoted string) onto out; 0 when
 * there was none. */
static int
word(struct ap *a, struct buf *out, int dots)
{
	const char *s = a->p;

	if (a->p < a->end && *a->p == '"') {
		quoted(a, out);
		return 1;
	}
	while (a->p < a->end && (is_atext(*a->p) || (dots && *a->p == '.')))
		a->p++;
	put(out, s, (size_t)(a->p - s));
	return a->p > s;
}

/* A phrase (display name, obs-phrase) onto out, words joined by SP. */
static void
phrase(struct ap *a, struct buf *out)
{
	for (;;) {
		size_t mark = out->len;

		skip_cfws(a);
		if (mark > 0)
			put_char(out, ' ');
		if (!word(a, out, 1)) {
			out->len = mark;
			return;
		}
	}
}

/* Dot-separated words (local part or domain) onto out, no spaces. */
static void
dotted(struct ap *a, struct buf *out)
{
	skip_cfws(a);
	if (a->p < a->end && *a->p == '[') {	/* domain literal */
		const char *e = memchr(a->p, ']', (size_t)(a->end - a->p));
		const char *s = a->p;

		a->p = e != NULL ? e + 1 : a->end;
		put(out, s, (size_t)(a->p - s));
		return;
	}
	while (word(a, out, 0)) {
		skip_cfws(a);
		if (a->p >= a->end || *a->p != '.')
			return;
		a->p++;
		put_char(out, '.');
		skip_cfws(a);
	}
}

/* A copy of b as a C string, NULL when empty. */
static char *
dup_or_nil(const struct buf *b)
{
	return b->len > 0 ? xstrndup(b->data, b->len) : NULL;
}

/* Append one entry; 0 when the list is full. */
static int
add(struct ap *a, enum msg_header_addr_kind kind, char *name, char *route,
    char *mailbox, char *host)
{
	struct msg_header_addr *e;

	if (a->n >= a->max) {
		free(name);
		free(route);
		free(mailbox);
		free(host);
		return 0;
	}
	a->list = xreallocarray(a->list, a->n + 1, sizeof(*a->list));
	e = &a->list[a->n++];
	e->kind = kind;
	e->name = name;
	e->route = route;
	e->mailbox = mailbox;
	e->host = host;
	return 1;
}

/* addr-spec (and the closing '>' of an angle-addr) into an entry. */
static int
addr_spec(struct ap *a, struct buf *name, int angle)
{
	struct buf *route = buf_new(64, 0), *local = buf_new(64, 0);
	struct buf *dom = buf_new(64, 0);
	int host = 0, r;

	skip_cfws(a);
	if (angle && a->p < a->end && *a->p == '@') {	/* obs-route */
		const char *colon = memchr(a->p, ':', (size_t)(a->end - a->p));
		const char *gt = memchr(a->p, '>', (size_t)(a->end - a->p));

		if (colon != NULL && (gt == NULL || colon < gt)) {
			put(route, a->p, (size_t)(colon - a->p));
			a->p = colon + 1;
		}
	}
	dotted(a, local);
	skip_cfws(a);
	if (a->p < a->end && *a->p == '@') {
		a->p++;
		dotted(a, dom);
		host = 1;
	}
	skip_cfws(a);
	if (angle && a->p < a->end && *a->p == '>')
		a->p++;
	if (!angle && name->len == 0 && a->comment->len > 0)
		put(name, a->comment->data, a->comment->len);
	r = add(a, MSG_HEADER_ADDR_MAILBOX, dup_or_nil(name),
	    dup_or_nil(route), xstrndup(local->data, local->len),
	    host ? xstrndup(dom->data, dom->len) : NULL);
	buf_free(&route);
	buf_free(&local);
	buf_free(&dom);
	return r;
}

/* One mailbox (or group when groups): 0 when the list is full. */
static int
address(struct ap *a, int groups)
{
	struct buf *name = buf_new(64, 0);
	const char *start;
	int r;

	buf_reset(a->comment);
	skip_cfws(a);
	start = a->p;
	phrase(a, name);
	skip_cfws(a);
	if (a->p < a->end && *a->p == '<') {
		a->p++;
		r = addr_spec(a, name, 1);
	} else if (groups && a->p < a->end && *a->p == ':') {
		a->p++;
		r = add(a, MSG_HEADER_ADDR_GROUP_START, NULL, NULL,
		    xstrndup(name->data, name->len), NULL);
		while (r && a->p < a->end && *a->p != ';')
			r = address(a, 0);
		if (a->p < a->end)
			a->p++;
		r = r && add(a, MSG_HEADER_ADDR_GROUP_END, NULL, NULL, NULL,
		    NULL);
	} else if (a->p > start || (a->p < a->end && *a->p == '@')) {
		a->p = start;
		buf_reset(name);
		r = addr_spec(a, name, 0);
	} else
		r = 1;
	buf_free(&name);
	skip_cfws(a);
	while (a->p < a->end && *a->p != ',' && (groups || *a->p != ';'))
		a->p++;	/* junk up to the next element */
	if (a->p < a->end && *a->p == ',')
		a->p++;
	return r;
}

/* Parse an address-list; see msg_header.h. */
int
msg_header_addr_parse(const char *p, size_t len, size_t max,
    struct msg_header_addr **list_r, size_t *n_r)
{
	struct ap a = { p, p + len, buf_new(64, len + 1), NULL, 0, max };
	int full = 0;

	if (a.max == 0 || a.max > MSG_HEADER_ADDR_MAX)
		a.max = MSG_HEADER_ADDR_MAX;
	for (skip_cfws(&a); a.p < a.end && !full; skip_cfws(&a))
		full = !address(&a, 1);
	buf_free(&a.comment);
	*list_r = a.list;
	*n_r = a.n;
	return full ? -1 : 0;
}

/* Free a list from msg_header_addr_parse and NULL the pointer. */
void
msg_header_addr_free(struct msg_header_addr **listp, size_t n)
{
	struct msg_header_addr *l = *listp;

	if (l == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(l[i].name);
		free(l[i].route);
		free(l[i].mailbox);
		free(l[i].host);
	}
	free(l);
	*listp = NULL;
}
