/*
 * test_smtp_data.c - unit tests for the SMTP DATA stream decoder
 * (smtpd/smtp_data.c): end marker, dot-unstuffing, CRLF -> LF, bare CR/LF
 * detection (SMTP smuggling), size counting, bytes after the end.  Every
 * case is fed whole, split in two at every byte, and one byte at a time.
 */
#include "harness.h"
#include "../../smtpd/smtp_data.h"

struct expect {
	const char *out;	/* decoded body */
	int done;
	int bare;
	size_t consumed;	/* input bytes consumed */
};

/* Decode a and then b (stopping at the end marker); compare with ctx. */
static int
check_split(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	const struct expect *e = ctx;
	struct smtp_data d;
	char out[4096];
	size_t o1 = 0, o2 = 0, used;

	smtp_data_init(&d);
	used = smtp_data_decode(&d, a, alen, out, &o1);
	if (!d.done)
		used += smtp_data_decode(&d, b, blen, out + o1, &o2);
	if (d.done != e->done || d.bare != e->bare || used != e->consumed)
		return 1;
	if (o1 + o2 != strlen(e->out) || memcmp(out, e->out, o1 + o2) != 0)
		return 1;
	return d.size == o1 + o2 ? 0 : 1;
}

/* Feed the input one byte at a time. */
static int
check_bytewise(const char *in, size_t len, const struct expect *e)
{
	struct smtp_data d;
	char out[4096];
	size_t o = 0, n, used = 0, i;

	smtp_data_init(&d);
	for (i = 0; i < len && !d.done; i++) {
		used += smtp_data_decode(&d, in + i, 1, out + o, &n);
		o += n;
	}
	if (d.done != e->done || d.bare != e->bare || used != e->consumed)
		return 1;
	return o == strlen(e->out) && memcmp(out, e->out, o) == 0 ? 0 : 1;
}

/* Run one case every way. */
static int
run_case(const char *in, const char *out, int done, int bare, size_t consumed)
{
	struct expect e = { out, done, bare, consumed };
	size_t len = strlen(in);

	return test_split_feed(in, len, check_split, &e) +
	    check_bytewise(in, len, &e);
}

/* A plain two-line message. */
static void
test_simple(void)
{
	const char *in = "Subject: x\r\n\r\nbody\r\n.\r\n";
	CHECK(run_case(in, "Subject: x\n\nbody\n", 1, 0, strlen(in)) == 0);
}

/* ".\r\n" right after DATA is an empty body. */
static void
test_empty(void)
{
	CHECK(run_case(".\r\n", "", 1, 0, 3) == 0);
}

/* Leading dots are removed, ".." becomes ".". */
static void
test_unstuff(void)
{
	const char *in = "..\r\n.x\r\n...y\r\na.b\r\n.\r\n";
	CHECK(run_case(in, ".\nx\n..y\na.b\n", 1, 0, strlen(in)) == 0);
}

/* Bytes after the end marker are not consumed (PIPELINING). */
static void
test_trailing(void)
{
	const char *in = "a\r\n.\r\nQUIT\r\n";
	CHECK(run_case(in, "a\n", 1, 0, strlen(in) - 6) == 0);
}

/* A bare LF never ends the message but marks it. */
static void
test_bare_lf(void)
{
	const char *in = "a\n.\nb\r\n.\r\n";
	CHECK(run_case(in, "a\n.\nb\n", 1, SMTP_DATA_BARE_LF, strlen(in)) == 0);
	in = "a\r\n.\nMAIL FROM:<x>\r\n.\r\n";
	CHECK(run_case(in, "a\n\nMAIL FROM:<x>\n", 1, SMTP_DATA_BARE_LF,
	    strlen(in)) == 0);
}

/* A bare CR never ends the message but marks it. */
static void
test_bare_cr(void)
{
	const char *in = "a\r.\r\nb\r\n.\r\n";
	CHECK(run_case(in, "a.\nb\n", 1, SMTP_DATA_BARE_CR, strlen(in)) == 0);
	in = "a\r\n.\rx\r\n.\r\n";
	CHECK(run_case(in, "a\nx\n", 1, SMTP_DATA_BARE_CR, strlen(in)) == 0);
	in = "a\r\r\n.\r\n";
	CHECK(run_case(in, "a\n", 1, SMTP_DATA_BARE_CR, strlen(in)) == 0);
}

/* "\n.\r\n" (bare LF before the dot) does not end the message. */
static void
test_lf_dot_crlf(void)
{
	const char *in = "a\n.\r\nb\r\n.\r\n";
	CHECK(run_case(in, "a\n.\nb\n", 1, SMTP_DATA_BARE_LF, strlen(in)) == 0);
}

/* Without the end marker the decoder keeps waiting. */
static void
test_unterminated(void)
{
	const char *in = "a\r\n.\r";
	CHECK(run_case(in, "a\n", 0, 0, strlen(in)) == 0);
	in = "a\r\n..\r\n";
	CHECK(run_case(in, "a\n.\n", 0, 0, strlen(in)) == 0);
}

/* Long lines are fine; size counts decoded bytes. */
static void
test_long_line(void)
{
	static char in[3000], out[3000];
	memset(in, 'x', 2990);
	memcpy(in + 2990, "\r\n.\r\n", 6);
	memset(out, 'x', 2990);
	out[2990] = '\n';
	out[2991] = '\0';
	CHECK(run_case(in, out, 1, 0, strlen(in)) == 0);
}

/* Nothing more is consumed once done. */
static void
test_after_done(void)
{
	struct smtp_data d;
	char out[16];
	size_t n;
	smtp_data_init(&d);
	CHECK(smtp_data_decode(&d, ".\r\n", 3, out, &n) == 3 && d.done);
	CHECK(smtp_data_decode(&d, "abc", 3, out, &n) == 0 && n == 0);
}

/* Main: run every test. */
int
main(void)
{
	TEST_RUN(test_simple);
	TEST_RUN(test_empty);
	TEST_RUN(test_unstuff);
	TEST_RUN(test_trailing);
	TEST_RUN(test_bare_lf);
	TEST_RUN(test_bare_cr);
	TEST_RUN(test_lf_dot_crlf);
	TEST_RUN(test_unterminated);
	TEST_RUN(test_long_line);
	TEST_RUN(test_after_done);
	TEST_EXIT();
}
