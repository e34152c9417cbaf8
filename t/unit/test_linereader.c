/*
 * test_linereader.c - unit tests for common/linereader.c: every split
 * position, one byte at a time, CRLF vs bare LF, CR inside a line, the
 * maxline boundary, over-long lines (reported once, rest discarded), raw
 * take and discard.
 */
#include <stdio.h>

#include "buf.h"
#include "harness.h"
#include "linereader.h"

/* One run: the reader and a transcript of the events it produced. */
struct run {
	size_t maxline;
	const char *expect;
	struct linereader *lr;
	struct buf *got;
};

/* Drain every available line into the transcript. */
static void
drain(struct run *r)
{
	const char *line;
	size_t len;
	enum line_ending e;
	enum line_status st;

	while ((st = linereader_get(r->lr, &line, &len, &e)) != LINE_NEED_MORE) {
		if (st == LINE_TOO_LONG) {
			(void)!buf_append_str(r->got, "[LONG]");
			continue;
		}
		(void)!buf_append_char(r->got, '<');
		(void)!buf_append(r->got, line, len);
		(void)!buf_append_str(r->got, e == LINE_END_CRLF ? ">C" : ">L");
	}
}

/* Feed p/n into the reader, draining whenever it is full. */
static void
feed_all(struct run *r, const char *p, size_t n)
{
	while (n > 0) {
		size_t k = linereader_feed(r->lr, p, n);
		p += k;
		n -= k;
		drain(r);
	}
}

/* test_split_feed callback: feed two pieces, compare the transcript. */
static int
split_cb(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	struct run *r = ctx;
	int bad;

	r->lr = linereader_new(r->maxline);
	r->got = buf_new(64, 0);
	feed_all(r, a, alen);
	feed_all(r, b, blen);
	bad = strcmp(buf_cstr(r->got), r->expect) != 0;
	if (bad)
		printf("# split %zu: got %s want %s\n", alen,
		    buf_cstr(r->got), r->expect);
	buf_free(&r->got);
	linereader_free(&r->lr);
	return bad;
}

/* Feed one byte at a time; 0 when the transcript matches. */
static int
bytewise(struct run *r, const char *in, size_t n)
{
	int bad;

	r->lr = linereader_new(r->maxline);
	r->got = buf_new(64, 0);
	for (size_t i = 0; i < n; i++)
		feed_all(r, in + i, 1);
	bad = strcmp(buf_cstr(r->got), r->expect) != 0;
	buf_free(&r->got);
	linereader_free(&r->lr);
	return bad;
}

/* Check one input/expectation pair split every way. */
static int
check_all(size_t maxline, const char *in, size_t n, const char *expect)
{
	struct run r = { maxline, expect, NULL, NULL };

	return test_split_feed(in, n, split_cb, &r) + bytewise(&r, in, n);
}

#define CHECK_ALL(max, in, want) \
	CHECK(check_all(max, in, sizeof(in) - 1, want) == 0)

/* CRLF, bare LF, CR inside a line, empty lines, no final terminator. */
static void
test_endings(void)
{
	CHECK_ALL(100, "HELO a\r\nMAIL\nx\ry\r\n\r\n\nlast",
	    "<HELO a>C<MAIL>L<x\ry>C<>C<>L");
	CHECK_ALL(100, "\r\r\n", "<\r>C");
	CHECK_ALL(100, "a\0b\r\n", "<a\0b>C");
	CHECK_ALL(100, "", "");
}

/* Lines of exactly maxline bytes pass; one more byte is too long. */
static void
test_boundary(void)
{
	CHECK_ALL(10, "12345678\r\nok\r\n", "<12345678>C<ok>C");
	CHECK_ALL(10, "123456789\nok\r\n", "<123456789>L<ok>C");
	CHECK_ALL(10, "123456789\r\nok\r\n", "[LONG]<ok>C");
	CHECK_ALL(10, "1234567890\nok\n", "[LONG]<ok>L");
}

/* Over-long lines are reported once and discarded through the next LF. */
static void
test_too_long(void)
{
	char big[5000];
	const char *tail = "\r\nnext\r\n";

	CHECK_ALL(10, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\nok\r\nx\n",
	    "[LONG]<ok>C<x>L");
	CHECK_ALL(4, "abcdefgh\nabcdefgh\nab\n", "[LONG][LONG]<ab>L");
	memset(big, 'x', sizeof(big));
	memcpy(big + sizeof(big) - strlen(tail) - 1, tail, strlen(tail) + 1);
	CHECK(check_all(100, big, strlen(big), "[LONG]<next>C") == 0);
	CHECK(check_all(100, big, strlen(big) - 8, "[LONG]") == 0);
}

/* Raw take returns buffered bytes first; discard empties the reader. */
static void
test_take_discard(void)
{
	struct linereader *lr = linereader_new(16);
	const char *line;
	size_t len;
	enum line_ending e;
	char raw[8];
	char *space;

	CHECK(linereader_feed(lr, "A\r\nBCDEF\r\nG", 11) == 11);
	CHECK(linereader_get(lr, &line, &len, &e) == LINE_OK && len == 1);
	CHECK(linereader_pending(lr) == 8);
	CHECK(linereader_take(lr, raw, 3) == 3 && memcmp(raw, "BCD", 3) == 0);
	CHECK(linereader_get(lr, &line, &len, &e) == LINE_OK && len == 2 &&
	    memcmp(line, "EF", 2) == 0);
	CHECK(linereader_get(lr, &line, &len, &e) == LINE_NEED_MORE);
	linereader_discard(lr);
	CHECK(linereader_pending(lr) == 0);
	space = linereader_space(lr, &len);
	CHECK(len >= 16);
	memcpy(space, "hi\n", 3);
	linereader_commit(lr, 3);
	CHECK(linereader_get(lr, &line, &len, &e) == LINE_OK && len == 2 &&
	    e == LINE_END_LF);
	linereader_free(&lr);
	CHECK(lr == NULL);
}

/* A full buffer accepts no more bytes until lines are taken out. */
static void
test_full(void)
{
	struct linereader *lr = linereader_new(4);
	char in[4096];
	size_t n, total = 0;
	const char *line;
	size_t len;
	enum line_ending e;

	memset(in, 'a', sizeof(in));
	for (int i = 0; i < 8; i++)
		total += linereader_feed(lr, in, sizeof(in));
	n = linereader_pending(lr);
	CHECK(total == n && n < sizeof(in) * 8);
	CHECK(n == linereader_size(lr));
	CHECK(linereader_get(lr, &line, &len, &e) == LINE_TOO_LONG);
	CHECK(linereader_get(lr, &line, &len, &e) == LINE_NEED_MORE);
	CHECK(linereader_feed(lr, "zz\nok\n", 6) == 6);
	CHECK(linereader_get(lr, &line, &len, &e) == LINE_OK && len == 2 &&
	    memcmp(line, "ok", 2) == 0);
	linereader_free(&lr);
}

/* Run the linereader tests. */
int
main(void)
{
	TEST_RUN(test_endings);
	TEST_RUN(test_boundary);
	TEST_RUN(test_too_long);
	TEST_RUN(test_take_discard);
	TEST_RUN(test_full);
	TEST_EXIT();
}
