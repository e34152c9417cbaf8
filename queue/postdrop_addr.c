/*
 * postdrop_addr.c - split an RFC 5322 address-list header value (To:, Cc:,
 * Bcc:) into addresses for "sendmail -t".  Pure: no I/O.
 *
 * Public: pd_addr_list(p, len, fn, arg) calls fn(arg, addr, addr_len) for
 * every mailbox: the text inside <...> when there is one (display names,
 * comments and group names dropped), else the mailbox text with comments
 * and blanks removed; "group: a, b;" yields a and b; empty elements are
 * skipped.  Returns 0, or the first non-zero value fn returned, or -1 when
 * an address is longer than PD_ADDR_MAX.
 * Security: the value is untrusted; quotes, comments (nested, bounded
 * depth) and angle brackets are tracked byte by byte, everything bounded.
 */
#include <string.h>

#include "postdrop.h"

#define PD_COMMENT_DEPTH 16

struct pd_split {
	char plain[PD_ADDR_MAX];	/* mailbox text outside <> */
	size_t plain_len;
	char angle[PD_ADDR_MAX];	/* text inside <> */
	size_t angle_len;
	int had_angle;
	int quoted, comment, in_angle, escape;
	int overflow;
};

/* Add one byte to the part of the current element it belongs to. */
static void
pd_split_add(struct pd_split *s, char c)
{
	if (s->in_angle) {
		if (s->angle_len + 1 >= sizeof(s->angle))
			s->overflow = 1;
		else
			s->angle[s->angle_len++] = c;
	} else if (s->plain_len + 1 >= sizeof(s->plain)) {
		s->overflow = 1;
	} else {
		s->plain[s->plain_len++] = c;
	}
}

/* Report the element collected so far and start the next one. */
static int
pd_split_emit(struct pd_split *s, pd_addr_fn fn, void *arg)
{
	int r = 0;

	if (s->overflow)
		r = -1;
	else if (s->had_angle && s->angle_len > 0)
		r = fn(arg, s->angle, s->angle_len);
	else if (!s->had_angle && s->plain_len > 0)
		r = fn(arg, s->plain, s->plain_len);
	s->plain_len = s->angle_len = 0;
	s->had_angle = s->overflow = 0;
	return r;
}

/* Inside a quoted string or a comment: 1 when the byte was consumed. */
static int
pd_split_nested(struct pd_split *s, char c)
{
	if (s->escape) {
		s->escape = 0;
		if (s->quoted)
			pd_split_add(s, c);
		return 1;
	}
	if (s->quoted) {
		if (c == '\\')
			s->escape = 1;
		else if (c == '"')
			s->quoted = 0;
		pd_split_add(s, c);
		return 1;
	}
	if (s->comment) {
		if (c == '\\')
			s->escape = 1;
		else if (c == '(' && s->comment < PD_COMMENT_DEPTH)
			s->comment++;
		else if (c == ')')
			s->comment--;
		return 1;
	}
	return 0;
}

/* Handle one byte outside quotes and comments; non-zero ends the scan. */
static int
pd_split_byte(struct pd_split *s, char c, pd_addr_fn fn, void *arg)
{
	switch (c) {
	case '"':
		s->quoted = 1;
		pd_split_add(s, c);
		return 0;
	case '(':
		s->comment = 1;
		return 0;
	case '<':
		s->in_angle = s->had_angle = 1;
		s->angle_len = 0;
		return 0;
	case '>':
		s->in_angle = 0;
		return 0;
	case ':':
		if (s->in_angle) {	/* source route "<@a:b@c>" */
			pd_split_add(s, c);
			return 0;
		}
		s->plain_len = 0;	/* a group's display name */
		return 0;
	case ',':
	case ';':
		if (s->in_angle) {
			pd_split_add(s, c);
			return 0;
		}
		return pd_split_emit(s, fn, arg);
	case ' ':
	case '\t':
	case '\r':
	case '\n':
		return 0;
	default:
		pd_split_add(s, c);
		return 0;
	}
}

/* Split an address-list value and call fn for every address. */
int
pd_addr_list(const char *p, size_t len, pd_addr_fn fn, void *arg)
{
	struct pd_split s;
	int r;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < len; i++) {
		if (pd_split_nested(&s, p[i]))
			continue;
		if ((r = pd_split_byte(&s, p[i], fn, arg)) != 0)
			return r;
	}
	return pd_split_emit(&s, fn, arg);
}
