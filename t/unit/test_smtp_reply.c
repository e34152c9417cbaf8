/*
 * test_smtp_reply.c - unit tests for queue/smtp_reply.c: SMTP client reply
 * parsing (multi-line, enhanced codes, EHLO keywords, malformed replies)
 * and the DATA body encoder (CRLF, dot-stuffing, bare CR/LF, long lines),
 * each encoder input also fed split at every byte.
 */
#include "buf.h"
#include "harness.h"
#include "../../queue/smtp_reply.h"

/* Feed lines (separated by '\n') to a fresh reply; last return value. */
static int
parse(struct smtp_reply *r, const char *text)
{
	const char *p = text, *nl;
	int rc = -1;

	smtp_reply_init(r);
	while (*p) {
		nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		rc = smtp_reply_line(r, p, n);
		if (rc != 0)
			return rc;
		p += n + (nl != NULL);
	}
	return rc;
}

static void
test_single_line(void)
{
	struct smtp_reply r;

	CHECK(parse(&r, "250 2.1.0 Ok") == 1);
	CHECK(r.code == 250);
	CHECK(strcmp(r.enh, "2.1.0") == 0);
	CHECK(strcmp(r.text, "250 2.1.0 Ok") == 0);
	CHECK(parse(&r, "550 5.1.1 <x@y>: no such user") == 1);
	CHECK(strcmp(r.enh, "5.1.1") == 0);
	CHECK(parse(&r, "451 4.3.0") == 1);	/* code alone at the end */
	CHECK(strcmp(r.enh, "4.3.0") == 0);
	CHECK(parse(&r, "354") == 1 && r.code == 354);
	CHECK(parse(&r, "550 4.1.1 class mismatch") == 1 && r.enh[0] == '\0');
	CHECK(parse(&r, "250 2.1.0x nope") == 1 && r.enh[0] == '\0');
}

static void
test_ehlo(void)
{
	struct smtp_reply r;

	CHECK(parse(&r, "250-mx.example Hello\n250-PIPELINING\n"
	    "250-SIZE 1000000\n250-8BITMIME\n250-starttls\n"
	    "250 ENHANCEDSTATUSCODES") == 1);
	CHECK(r.lines == 6);
	CHECK(r.ext == (SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_8BITMIME |
	    SMTP_EXT_STARTTLS | SMTP_EXT_ENHANCEDSTATUSCODES));
	CHECK(r.size_limit == 1000000);
	CHECK(parse(&r, "250-mx\n250 SIZE") == 1 && r.size_limit == 0 &&
	    (r.ext & SMTP_EXT_SIZE));
	/* a keyword on the first line is the greeting text, not an extension */
	CHECK(parse(&r, "250 PIPELINING") == 1 && r.ext == 0);
	CHECK(parse(&r, "250-mx\n250 PIPELININGX") == 1 && r.ext == 0);
}

static void
test_malformed(void)
{
	struct smtp_reply r;

	CHECK(parse(&r, "25") == -1);
	CHECK(parse(&r, "abc def") == -1);
	CHECK(parse(&r, "150 what") == -1);
	CHECK(parse(&r, "650 what") == -1);
	CHECK(parse(&r, "250x") == -1);
	CHECK(parse(&r, "250-a\n251 b") == -1);	/* code changes */
	smtp_reply_init(&r);
	for (int i = 0; i < SMTP_REPLY_LINES; i++)
		CHECK(smtp_reply_line(&r, "250-x", 5) == 0);
	CHECK(smtp_reply_line(&r, "250-x", 5) == -1);
}

static void
test_long_text_cut(void)
{
	struct smtp_reply r;
	char line[3000];

	memset(line, 'a', sizeof(line));
	memcpy(line, "250-", 4);
	smtp_reply_init(&r);
	CHECK(smtp_reply_line(&r, line, sizeof(line)) == 0);
	line[3] = ' ';
	CHECK(smtp_reply_line(&r, line, sizeof(line)) == 1);
	CHECK(r.len == SMTP_REPLY_TEXT_MAX - 1);
	CHECK(strlen(r.text) == r.len);
}

struct enc_case {
	const char *in;
	const char *out;
	size_t max_line;
};

/* Encode a then b with one encoder; 0 when the output matches. */
static int
enc_split(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	const struct enc_case *c = ctx;
	struct buf *out = buf_new(64, 1 << 20);
	struct smtp_body_enc e;
	int bad;

	smtp_body_init(&e, c->max_line);
	bad = smtp_body_encode(&e, a, alen, out) < 0 ||
	    smtp_body_encode(&e, b, blen, out) < 0 ||
	    smtp_body_finish(&e, out) < 0 || out->len != strlen(c->out) ||
	    memcmp(out->data, c->out, out->len) != 0;
	buf_free(&out);
	return bad;
}

static void
test_body(void)
{
	static const struct enc_case cases[] = {
		{ "a\nb\n", "a\r\nb\r\n.\r\n", 998 },
		{ "", ".\r\n", 998 },
		{ "no newline", "no newline\r\n.\r\n", 998 },
		{ ".\n..x\n.", "..\r\n...x\r\n..\r\n.\r\n", 998 },
		{ "x\n.\nafter\n", "x\r\n..\r\nafter\r\n.\r\n", 998 },
		/* smuggling: bare CR and LF never reach the wire as such */
		{ "a\r.\rb\n", "a\r\n..\r\nb\r\n.\r\n", 998 },
		{ "a\r\n.\r\nb", "a\r\n..\r\nb\r\n.\r\n", 998 },
		{ "abcdef\n", "abc\r\ndef\r\n.\r\n", 3 },
		{ "abc.def", "abc\r\n..de\r\nf\r\n.\r\n", 3 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(test_split_feed(cases[i].in, strlen(cases[i].in),
		    enc_split, (void *)&cases[i]) == 0);
}

static void
test_body_full(void)
{
	struct buf *out = buf_new(8, 8);
	struct smtp_body_enc e;

	smtp_body_init(&e, 998);
	CHECK(smtp_body_encode(&e, "0123456789", 10, out) < 0);
	buf_free(&out);
	CHECK(smtp_body_has_8bit("abc\xc3\xa9", 5) == 1);
	CHECK(smtp_body_has_8bit("abc", 3) == 0);
}

int
main(void)
{
	TEST_RUN(test_single_line);
	TEST_RUN(test_ehlo);
	TEST_RUN(test_malformed);
	TEST_RUN(test_long_text_cut);
	TEST_RUN(test_body);
	TEST_RUN(test_body_full);
	TEST_EXIT();
}
