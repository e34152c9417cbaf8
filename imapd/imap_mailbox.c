/*
 * imap_mailbox.c - mailbox names: wire <-> internal, INBOX, LIST matching.
 *
 * Public: see imap_mailbox.h.  Never fatal.
 * Security: untrusted input; lengths are bounded by IMAP_MAILBOX_MAX, the
 * matcher is a dynamic programme with two rows on the stack (no
 * backtracking, no recursion).
 */
#include <string.h>

#include "imap_mailbox.h"
#include "imap_mutf7.h"
#include "imap_num.h"
#include "strutil.h"

/* 1 for INBOX in any case. */
int
imap_mailbox_is_inbox(const char *p, size_t len)
{
	return str_casecmp_n(p, len, "INBOX") == 0;
}

/* Upper-case a leading "inbox" that is the whole name or its first level. */
static void
canon_inbox(char *s, size_t len)
{
	if (len >= 5 && str_has_prefix_ci(s, len, "INBOX") &&
	    (len == 5 || s[5] == IMAP_HIER_SEP))
		memcpy(s, "INBOX", 5);
}

/* Convert a wire name (already unquoted) to the internal form. */
static int
wire_to_internal(const char *p, size_t len, int utf8, int pattern,
    struct imap_pool *pool, const char **name_r, const char **errstr_r)
{
	struct buf *b = buf_new(len + 1, IMAP_MAILBOX_MAX);
	char *s = NULL;
	int r = -1;

	if (utf8) {
		if (!imap_utf8_valid(p, len))
			*errstr_r = "Mailbox name is not valid UTF-8";
		else if (buf_append(b, p, len) < 0)
			*errstr_r = "Mailbox name too long";
		else
			r = 0;
	} else {
		r = imap_mutf7_to_utf8(p, len, b, errstr_r);
	}
	for (size_t i = 0; r == 0 && i < b->len; i++)
		if ((unsigned char)b->data[i] < 0x20 || b->data[i] == 0x7f) {
			*errstr_r = "Control character in mailbox name";
			r = -1;
		}
	if (r == 0 && !pattern && b->len == 0) {
		*errstr_r = "Empty mailbox name";
		r = -1;
	}
	if (r == 0 && (s = imap_pool_strndup(pool, b->data, b->len)) == NULL) {
		*errstr_r = "Command too complex";
		r = -1;
	}
	if (r == 0) {
		canon_inbox(s, b->len);
		*name_r = s;
	}
	buf_free(&b);
	return r;
}

/* A mailbox argument (astring) to its internal name. */
int
imap_mailbox_from_arg(const struct imap_arg *arg, int utf8,
    struct imap_pool *pool, const char **name_r, const char **errstr_r)
{
	const char *p;
	size_t n;

	if (imap_arg_astring(arg, &p, &n) < 0) {
		*errstr_r = "Invalid mailbox name";
		return -1;
	}
	return wire_to_internal(p, n, utf8, 0, pool, name_r, errstr_r);
}

/* A LIST reference or pattern (list-mailbox) to the internal form. */
int
imap_pattern_from_arg(const struct imap_arg *arg, int utf8,
    struct imap_pool *pool, const char **pat_r, const char **errstr_r)
{
	const char *p;
	size_t n;

	if (imap_arg_list_mailbox(arg, &p, &n) < 0) {
		*errstr_r = "Invalid mailbox pattern";
		return -1;
	}
	return wire_to_internal(p, n, utf8, 1, pool, pat_r, errstr_r);
}

/* An internal name to its wire form. */
int
imap_mailbox_to_wire(const char *name, size_t len, int utf8, struct buf *out,
    const char **errstr_r)
{
	if (!utf8)
		return imap_utf8_to_mutf7(name, len, out, errstr_r);
	if (buf_append(out, name, len) < 0) {
		*errstr_r = "Mailbox name too long";
		return -1;
	}
	return 0;
}

/* LIST matching: "*" any octets, "%" any octets but the separator. */
int
imap_list_match(const char *pat, size_t plen, const char *name, size_t nlen)
{
	unsigned char rows[2][IMAP_MAILBOX_MAX + 1];
	unsigned char *cur = rows[0], *next = rows[1], *t;

	if (plen > IMAP_MAILBOX_MAX || nlen > IMAP_MAILBOX_MAX)
		return 0;
	cur[0] = 1;
	for (size_t j = 0; j < plen; j++)
		cur[j + 1] = cur[j] && (pat[j] == '*' || pat[j] == '%');
	for (size_t i = 0; i < nlen; i++) {
		char c = name[i];
		next[0] = 0;
		for (size_t j = 0; j < plen; j++) {
			if (pat[j] == '*')
				next[j + 1] = next[j] || cur[j + 1];
			else if (pat[j] == '%')
				next[j + 1] = next[j] ||
				    (cur[j + 1] && c != IMAP_HIER_SEP);
			else
				next[j + 1] = cur[j] && pat[j] == c;
		}
		t = cur;
		cur = next;
		next = t;
	}
	return cur[plen];
}
