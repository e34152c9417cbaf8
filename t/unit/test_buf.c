/*
 * test_buf.c - unit tests for common/buf.c: growth, the hard maximum,
 * printf, consume and cstr.
 */
#include <errno.h>
#include <stdint.h>

#include "harness.h"
#include "buf.h"

/* Appends grow the buffer and keep the content. */
static void
test_grow(void)
{
	struct buf *b = buf_new(1, 0);

	for (int i = 0; i < 10000; i++)
		CHECK(buf_append_char(b, (char)('a' + i % 26)) == 0);
	CHECK(b->len == 10000);
	CHECK(b->data[9999] == 'a' + 9999 % 26);
	CHECK(strlen(buf_cstr(b)) == 10000);
	buf_free(&b);
	CHECK(b == NULL);
}

/* Appending past max fails with EMSGSIZE and leaves the buffer unchanged. */
static void
test_max(void)
{
	struct buf *b = buf_new(4, 10);

	CHECK(buf_append(b, "0123456789", 10) == 0);
	errno = 0;
	CHECK(buf_append(b, "x", 1) == -1 && errno == EMSGSIZE);
	CHECK(b->len == 10 && memcmp(b->data, "0123456789", 10) == 0);
	CHECK(strcmp(buf_cstr(b), "0123456789") == 0);
	CHECK(buf_append(b, "", 0) == 0);
	CHECK(buf_append(b, "x", SIZE_MAX) == -1 && errno == EMSGSIZE);
	buf_consume(b, 4);
	CHECK(b->len == 6 && memcmp(b->data, "456789", 6) == 0);
	CHECK(buf_printf(b, "%s", "abcde") == -1 && errno == EMSGSIZE);
	CHECK(b->len == 6 && strcmp(buf_cstr(b), "456789") == 0);
	CHECK(buf_printf(b, "%d", 1234) == 0 && b->len == 10);
	buf_consume(b, 100);
	CHECK(b->len == 0);
	buf_free(&b);
}

/* buf_printf handles output larger than the current capacity. */
static void
test_printf(void)
{
	struct buf *b = buf_new(2, 0);
	char big[3000];

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(buf_printf(b, "<%s>%d", big, 42) == 0);
	CHECK(b->len == sizeof(big) - 1 + 4);
	CHECK(b->data[0] == '<' && memcmp(b->data + b->len - 3, ">42", 3) == 0);
	buf_reset(b);
	CHECK(b->len == 0 && buf_cstr(b)[0] == '\0');
	CHECK(buf_append_str(b, "hi") == 0 && strcmp(buf_cstr(b), "hi") == 0);
	buf_free(&b);
	buf_free(&b);
}

/* Run the buf tests. */
int
main(void)
{
	TEST_RUN(test_grow);
	TEST_RUN(test_max);
	TEST_RUN(test_printf);
	TEST_EXIT();
}
