/*
 * test_utf8.c - unit tests for common/utf8.c (well-formed UTF-8) and the
 * charset conversion of common/mime_decode.c that relies on it.
 */
#include "buf.h"
#include "harness.h"
#include "mime_decode.h"
#include "utf8.h"

#define S(x) x, strlen(x)

/* Sequence lengths, and every ill-formed kind refused. */
static void
test_seq_len(void)
{
	CHECK(utf8_seq_len(S("a")) == 1);
	CHECK(utf8_seq_len(S("\xc3\xa9")) == 2);
	CHECK(utf8_seq_len(S("\xe2\x82\xac")) == 3);
	CHECK(utf8_seq_len(S("\xf0\x9f\x98\x80")) == 4);
	CHECK(utf8_seq_len(S("\xf4\x8f\xbf\xbf")) == 4);	/* U+10FFFF */
	CHECK(utf8_seq_len("", 0) == 0);
	CHECK(utf8_seq_len(S("\x80")) == 0);		/* continuation */
	CHECK(utf8_seq_len(S("\xc0\xaf")) == 0);	/* overlong */
	CHECK(utf8_seq_len(S("\xe0\x80\xaf")) == 0);	/* overlong */
	CHECK(utf8_seq_len(S("\xed\xa0\x80")) == 0);	/* surrogate */
	CHECK(utf8_seq_len(S("\xf4\x90\x80\x80")) == 0);	/* > U+10FFFF */
	CHECK(utf8_seq_len(S("\xe2\x82")) == 0);	/* truncated */
}

/* Ill-formed octets become U+FFFD; the part before from is kept. */
static void
test_sanitize(void)
{
	struct buf *b = buf_new(8, 0);

	CHECK(buf_append(b, S("\xff" "ok\xc3\xa9")) == 0);
	CHECK(utf8_sanitize(b, 1) == 0 && b->len == 5);
	CHECK(buf_append(b, S("x\xf4\xb1y")) == 0);
	CHECK(utf8_sanitize(b, 1) == 0);
	CHECK(strcmp(buf_cstr(b), "\xff" "ok\xc3\xa9x\xef\xbf\xbd\xef\xbf\xbdy")
	    == 0);
	buf_free(&b);
	b = buf_new(3, 3);
	CHECK(buf_append(b, S("a\x80")) == 0);
	CHECK(utf8_sanitize(b, 0) == -1 && b->len <= 3);
	buf_free(&b);
}

/* Found by fuzz_mime_decode: glibc's iconv passed F4 B1 B6 B7 (past
 * U+10FFFF) through as "UTF-8"; mime_to_utf8 must give well-formed text. */
static void
test_mime_to_utf8(void)
{
	struct buf *b = buf_new(8, 0);

	CHECK(mime_to_utf8("utf-8", S("H\xf4\xb1\xb6\xb7H"), b) == 0);
	CHECK(b->len == 14 && memcmp(b->data, "H\xef\xbf\xbd", 4) == 0 &&
	    b->data[13] == 'H');
	buf_reset(b);
	CHECK(mime_to_utf8("iso-8859-1", S("caf\xe9"), b) == 0);
	CHECK(strcmp(buf_cstr(b), "caf\xc3\xa9") == 0);
	buf_free(&b);
}

int
main(void)
{
	TEST_RUN(test_seq_len);
	TEST_RUN(test_sanitize);
	TEST_RUN(test_mime_to_utf8);
	TEST_EXIT();
}
