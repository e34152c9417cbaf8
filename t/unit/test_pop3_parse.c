/*
 * test_pop3_parse.c - unit tests for pop3d/pop3_parse.c: verbs, arguments,
 * message numbers, refusal of NUL/control bytes and over-long verbs, and
 * every command line fed through a linereader split at every byte.
 */
#include <string.h>

#include "harness.h"
#include "linereader.h"
#include "../../pop3d/pop3_parse.h"

/* Parse a C string as one command line. */
static int
parse(const char *s, struct pop3_cmdline *cmd)
{
	return pop3_parse_line(s, strlen(s), cmd);
}

/* Verbs are upper-cased and the rest follows the first space. */
static void
test_verbs(void)
{
	struct pop3_cmdline c;

	CHECK(parse("user Joe@Example.Test", &c) == 0);
	CHECK(strcmp(c.verb, "USER") == 0);
	CHECK(c.rest_len == 16 && memcmp(c.rest, "Joe@Example.Test", 16) == 0);
	CHECK(parse("QUIT", &c) == 0 && strcmp(c.verb, "QUIT") == 0);
	CHECK(c.rest_len == 0);
	CHECK(parse("pass a b  c ", &c) == 0 && c.rest_len == 7);
	CHECK(memcmp(c.rest, "a b  c ", 7) == 0);
	CHECK(parse("Top 1 10", &c) == 0 && strcmp(c.verb, "TOP") == 0);
	CHECK(parse("STAT ", &c) == 0 && c.rest_len == 0);
}

/* Empty lines, long verbs, NUL and control bytes are refused. */
static void
test_refused(void)
{
	struct pop3_cmdline c;

	CHECK(parse("", &c) == -1);
	CHECK(parse(" USER x", &c) == -1);
	CHECK(parse("ABCDEFGHI", &c) == -1);
	CHECK(parse("ABCDEFGH", &c) == 0);
	CHECK(pop3_parse_line("PASS a\0b", 8, &c) == -1);
	CHECK(parse("PASS a\001b", &c) == -1);
	CHECK(parse("US\tER", &c) == -1);
	CHECK(parse("PASS \x7f", &c) == -1);
	CHECK(parse("PASS caf\xc3\xa9", &c) == 0);
}

/* Arguments split on runs of blanks, bounded in number. */
static void
test_args(void)
{
	struct pop3_arg a[2];

	CHECK(pop3_parse_args("", 0, a, 2) == 0);
	CHECK(pop3_parse_args("   ", 3, a, 2) == 0);
	CHECK(pop3_parse_args("1", 1, a, 2) == 1 && a[0].len == 1);
	CHECK(pop3_parse_args(" 12  34 ", 8, a, 2) == 2);
	CHECK(a[0].len == 2 && memcmp(a[0].p, "12", 2) == 0);
	CHECK(a[1].len == 2 && memcmp(a[1].p, "34", 2) == 0);
	CHECK(pop3_parse_args("1 2 3", 5, a, 2) == -1);
	CHECK(pop3_parse_args("1\t2", 3, a, 2) == 2);
}

/* Message numbers are 1-based, decimal, bounded; line counts may be 0. */
static void
test_numbers(void)
{
	long n = -5;

	CHECK(pop3_parse_msgnum("1", 1, &n) == 0 && n == 1);
	CHECK(pop3_parse_msgnum("007", 3, &n) == 0 && n == 7);
	CHECK(pop3_parse_msgnum("0", 1, &n) == -1);
	CHECK(pop3_parse_msgnum("-1", 2, &n) == -1);
	CHECK(pop3_parse_msgnum("+1", 2, &n) == -1);
	CHECK(pop3_parse_msgnum("1x", 2, &n) == -1);
	CHECK(pop3_parse_msgnum("", 0, &n) == -1);
	CHECK(pop3_parse_msgnum("2000000000", 10, &n) == 0);
	CHECK(pop3_parse_msgnum("2000000001", 10, &n) == -1);
	CHECK(pop3_parse_msgnum("99999999999999999999999", 23, &n) == -1);
	CHECK(pop3_parse_lines("0", 1, &n) == 0 && n == 0);
	CHECK(pop3_parse_lines("10", 2, &n) == 0 && n == 10);
	CHECK(pop3_parse_lines("-0", 2, &n) == -1);
}

struct split_ctx {
	const char *verb;
	const char *rest;
};

/* Feed a, ask for a line, feed b; the line must parse as expected. */
static int
split_one(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	const struct split_ctx *want = ctx;
	struct linereader *lr = linereader_new(POP3_LINE_MAX + 2);
	struct pop3_cmdline c;
	enum line_ending end;
	enum line_status st;
	const char *line;
	size_t len;
	int bad = 1;

	if (linereader_feed(lr, a, alen) != alen)
		goto out;
	st = linereader_get(lr, &line, &len, &end);
	if (st == LINE_NEED_MORE) {
		if (linereader_feed(lr, b, blen) != blen)
			goto out;
		st = linereader_get(lr, &line, &len, &end);
	} else if (blen != 0) {
		goto out;
	}
	if (st == LINE_OK && pop3_parse_line(line, len, &c) == 0 &&
	    strcmp(c.verb, want->verb) == 0 &&
	    c.rest_len == strlen(want->rest) &&
	    memcmp(c.rest, want->rest, c.rest_len) == 0)
		bad = 0;
out:
	linereader_free(&lr);
	return bad;
}

/* Every line parses the same whatever the split point. */
static void
test_split(void)
{
	static const struct { const char *in, *verb, *rest; } cases[] = {
		{ "USER u@example.test\r\n", "USER", "u@example.test" },
		{ "pass s3cret with space\r\n", "PASS", "s3cret with space" },
		{ "top 1 0\n", "TOP", "1 0" },
		{ "QUIT\r\n", "QUIT", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct split_ctx ctx = { cases[i].verb, cases[i].rest };

		CHECK(test_split_feed(cases[i].in, strlen(cases[i].in),
		    split_one, &ctx) == 0);
	}
}

/* Pipelined commands in one chunk come out one by one. */
static void
test_pipelined(void)
{
	const char *in = "STAT\r\nLIST 1\r\nUIDL\r\nQUIT\r\n";
	const char *want[] = { "STAT", "LIST", "UIDL", "QUIT" };
	struct linereader *lr = linereader_new(POP3_LINE_MAX + 2);
	struct pop3_cmdline c;
	enum line_ending end;
	const char *line;
	size_t len;

	CHECK(linereader_feed(lr, in, strlen(in)) == strlen(in));
	for (int i = 0; i < 4; i++) {
		CHECK(linereader_get(lr, &line, &len, &end) == LINE_OK);
		CHECK(pop3_parse_line(line, len, &c) == 0);
		CHECK(strcmp(c.verb, want[i]) == 0);
	}
	CHECK(linereader_get(lr, &line, &len, &end) == LINE_NEED_MORE);
	linereader_free(&lr);
}

/* Strict base64 for SASL responses. */
static void
test_base64(void)
{
	char out[64];

	CHECK(pop3_parse_base64("", 0, out, sizeof(out)) == 0);
	CHECK(pop3_parse_base64("YWJj", 4, out, sizeof(out)) == 3 &&
	    memcmp(out, "abc", 3) == 0);
	CHECK(pop3_parse_base64("YWI=", 4, out, sizeof(out)) == 2 &&
	    memcmp(out, "ab", 2) == 0);
	CHECK(pop3_parse_base64("YQ==", 4, out, sizeof(out)) == 1 &&
	    out[0] == 'a');
	CHECK(pop3_parse_base64("AGFsaWNlAHNlY3JldA==", 20, out,
	    sizeof(out)) == 13 && memcmp(out, "\0alice\0secret", 13) == 0);
	CHECK(pop3_parse_base64("YQ=", 3, out, sizeof(out)) == -1);
	CHECK(pop3_parse_base64("Y===", 4, out, sizeof(out)) == -1);
	CHECK(pop3_parse_base64("YQ=a", 4, out, sizeof(out)) == -1);
	CHECK(pop3_parse_base64("Y=Q=", 4, out, sizeof(out)) == -1);
	CHECK(pop3_parse_base64("YW*j", 4, out, sizeof(out)) == -1);
	CHECK(pop3_parse_base64("YW j", 4, out, sizeof(out)) == -1);
	CHECK(pop3_parse_base64("YWJjYWJj", 8, out, 5) == -1);
}

/* SASL PLAIN message fields. */
static void
test_sasl_plain(void)
{
	struct pop3_sasl_plain r;

	CHECK(pop3_parse_sasl_plain("\0alice\0secret", 13, &r) == 0 &&
	    r.authzid_len == 0 && r.authcid_len == 5 &&
	    memcmp(r.authcid, "alice", 5) == 0 && r.passwd_len == 6 &&
	    memcmp(r.passwd, "secret", 6) == 0);
	CHECK(pop3_parse_sasl_plain("bob\0alice\0pw", 12, &r) == 0 &&
	    r.authzid_len == 3 && r.passwd_len == 2);
	CHECK(pop3_parse_sasl_plain("alice\0secret", 12, &r) == -1);
	CHECK(pop3_parse_sasl_plain("\0\0secret", 8, &r) == -1);
	CHECK(pop3_parse_sasl_plain("\0alice\0", 7, &r) == -1);
	CHECK(pop3_parse_sasl_plain("\0alice\0se\0x", 12, &r) == -1);
	CHECK(pop3_parse_sasl_plain("", 0, &r) == -1);
}

int
main(void)
{
	TEST_RUN(test_verbs);
	TEST_RUN(test_refused);
	TEST_RUN(test_args);
	TEST_RUN(test_numbers);
	TEST_RUN(test_split);
	TEST_RUN(test_pipelined);
	TEST_RUN(test_base64);
	TEST_RUN(test_sasl_plain);
	TEST_EXIT();
}
