/*
 * test_imap_mutf7.c - unit tests for imapd/imap_mutf7.c and
 * imap_mailbox.c: modified UTF-7 both ways with every non-canonical form
 * refused, UTF-8 mode, INBOX rules, and LIST pattern matching (including
 * a pattern that would be exponential for a backtracking matcher).
 */
#include <string.h>

#include "harness.h"
#include "../../imapd/imap_mailbox.h"
#include "../../imapd/imap_mutf7.h"

/* Decode s; returns the UTF-8 (static) or NULL. */
static const char *
dec(const char *s)
{
	static char out[256];
	struct buf *b = buf_new(64, 200);
	const char *err = NULL, *r = NULL;

	if (imap_mutf7_to_utf8(s, strlen(s), b, &err) == 0) {
		memcpy(out, b->data, b->len);
		out[b->len] = '\0';
		r = out;
	}
	buf_free(&b);
	return r;
}

/* Encode s; returns the mUTF-7 (static) or NULL. */
static const char *
enc(const char *s)
{
	static char out[256];
	struct buf *b = buf_new(64, 200);
	const char *err = NULL, *r = NULL;

	if (imap_utf8_to_mutf7(s, strlen(s), b, &err) == 0) {
		memcpy(out, b->data, b->len);
		out[b->len] = '\0';
		r = out;
	}
	buf_free(&b);
	return r;
}

/* The RFC 3501 example and other round trips. */
static void
test_roundtrip(void)
{
	static const char *const pairs[][2] = {
		{ "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
		  "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e" },
		{ "&-", "&" },
		{ "a&-b&-", "a&b&" },
		{ "Entw&APw-rfe", "Entw\xc3\xbcrfe" },
		{ "&2D3eAA-", "\xf0\x9f\x98\x80" },
		{ "", "" },
		{ "plain", "plain" },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		const char *d = dec(pairs[i][0]);
		CHECK(d != NULL && strcmp(d, pairs[i][1]) == 0);
		const char *e = enc(pairs[i][1]);
		CHECK(e != NULL && strcmp(e, pairs[i][0]) == 0);
	}
}

/* Non-canonical or malformed modified UTF-7 is refused. */
static void
test_refused(void)
{
	CHECK(dec("&") == NULL);		/* unterminated */
	CHECK(dec("&AGE") == NULL);		/* unterminated run */
	CHECK(dec("&AGE-") == NULL);		/* "a" encoded */
	CHECK(dec("&AOQ-&AOQ-") == NULL);	/* adjacent runs */
	CHECK(dec("&AOQ-x&AOQ-") != NULL);
	CHECK(dec("&AOR-") == NULL);		/* non-zero padding bits */
	CHECK(dec("&AOQA-") == NULL);		/* six spare bits */
	CHECK(dec("&2D0-") == NULL);		/* lone high surrogate */
	CHECK(dec("&3gA-") == NULL);		/* lone low surrogate */
	CHECK(dec("&A/Q-") == NULL);		/* "/" is not modified base64 */
	CHECK(dec("caf\xc3\xa9") == NULL);	/* raw 8-bit */
	CHECK(dec("a\tb") == NULL);
	CHECK(dec("&AAA-") == NULL);		/* U+0000 */
	CHECK(dec("&AAk-") != NULL);		/* U+0009, encoded */
	CHECK(enc("caf\xe9") == NULL);		/* bad UTF-8 */
	CHECK(enc("\xed\xa0\x80") == NULL);	/* surrogate in UTF-8 */
}

/* Mailbox arguments: INBOX, UTF-8 mode, control characters. */
static void
test_mailbox_arg(void)
{
	struct imap_pool *pool = imap_pool_new(0);
	struct imap_arg *a;
	size_t n;
	const char *err, *name;
	static const char in[] = "inbox InBox/Sub INBOXES &AOQ- \"caf\xc3\xa9\" "
	    "\"\" \"a\\\\b\" foo* {3}\r\na\x01" "b";

	CHECK(imap_parse_args(in, sizeof(in) - 1, pool, &a, &n, &err) == 0);
	CHECK(n == 9);
	CHECK(imap_mailbox_from_arg(&a[0], 0, pool, &name, &err) == 0);
	CHECK(strcmp(name, "INBOX") == 0);
	CHECK(imap_mailbox_from_arg(&a[1], 0, pool, &name, &err) == 0);
	CHECK(strcmp(name, "INBOX/Sub") == 0);
	CHECK(imap_mailbox_from_arg(&a[2], 0, pool, &name, &err) == 0);
	CHECK(strcmp(name, "INBOXES") == 0);
	CHECK(imap_mailbox_from_arg(&a[3], 0, pool, &name, &err) == 0);
	CHECK(strcmp(name, "\xc3\xa4") == 0);
	CHECK(imap_mailbox_from_arg(&a[3], 1, pool, &name, &err) == 0);
	CHECK(strcmp(name, "&AOQ-") == 0);
	CHECK(imap_mailbox_from_arg(&a[4], 0, pool, &name, &err) == -1);
	CHECK(imap_mailbox_from_arg(&a[4], 1, pool, &name, &err) == 0);
	CHECK(imap_mailbox_from_arg(&a[5], 1, pool, &name, &err) == -1);
	CHECK(imap_pattern_from_arg(&a[5], 1, pool, &name, &err) == 0);
	CHECK(imap_mailbox_from_arg(&a[6], 0, pool, &name, &err) == 0);
	CHECK(strcmp(name, "a\\b") == 0);
	CHECK(imap_mailbox_from_arg(&a[7], 0, pool, &name, &err) == -1);
	CHECK(imap_pattern_from_arg(&a[7], 0, pool, &name, &err) == 0);
	CHECK(imap_mailbox_from_arg(&a[8], 0, pool, &name, &err) == -1);

	struct buf *b = buf_new(16, 64);
	CHECK(imap_mailbox_to_wire("\xc3\xa4&", 3, 0, b, &err) == 0);
	CHECK(b->len == 7 && memcmp(b->data, "&AOQ-&-", 7) == 0);
	buf_reset(b);
	CHECK(imap_mailbox_to_wire("\xc3\xa4&", 3, 1, b, &err) == 0);
	CHECK(b->len == 3);
	buf_free(&b);
	CHECK(imap_mailbox_is_inbox("iNbOx", 5) && !imap_mailbox_is_inbox(
	    "INBOX/", 6));
	imap_pool_free(&pool);
}

/* Match a C-string pattern against a C-string name. */
static int
match(const char *p, const char *n)
{
	return imap_list_match(p, strlen(p), n, strlen(n));
}

/* LIST wildcards: "*" crosses levels, "%" does not. */
static void
test_list_match(void)
{
	CHECK(match("*", "a/b/c") && match("%", "abc") && !match("%", "a/b"));
	CHECK(match("a/%", "a/b") && !match("a/%", "a/b/c"));
	CHECK(match("a/*", "a/b/c") && !match("a/*", "a"));
	CHECK(match("a*", "a") && match("%/%", "x/y") && !match("%/%", "x"));
	CHECK(match("INBOX", "INBOX") && !match("INBOX", "INBOXX"));
	CHECK(match("", "") && !match("", "a") && match("*", ""));
	CHECK(match("a%c", "abbc") && !match("a%c", "ab/c"));
	CHECK(match("*b*c", "xbyc") && !match("*b*c", "xbyd"));

	char pat[200], name[1000];
	for (size_t i = 0; i < 100; i++)
		memcpy(pat + 2 * i, "*a", 2);
	memcpy(pat + 198, "*b", 2);
	memset(name, 'a', sizeof(name));
	CHECK(imap_list_match(pat, sizeof(pat), name, sizeof(name)) == 0);
	name[sizeof(name) - 1] = 'b';
	CHECK(imap_list_match(pat, sizeof(pat), name, sizeof(name)) == 1);
	char big[IMAP_MAILBOX_MAX + 1];
	memset(big, 'x', sizeof(big));
	CHECK(imap_list_match("*", 1, big, sizeof(big)) == 0);
}

int
main(void)
{
	TEST_RUN(test_roundtrip);
	TEST_RUN(test_refused);
	TEST_RUN(test_mailbox_arg);
	TEST_RUN(test_list_match);
	TEST_EXIT();
}
