/*
 * fuzz_msg_header.c - libFuzzer target for common/msg_header*.c: the
 * streaming header reader, encoded-word decoding and the address parser.
 *
 * Input: the first byte picks a chunk size (1..64) and the reader's flags;
 * the rest is a header block.  Checks: whole and chunked feeding give the
 * same transcript (results, names, values, offsets); every field lies
 * inside the input, fields follow each other, the body offset is within
 * the input; decoding and address parsing of every value stay within
 * their bounds and never fail on an unbounded buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check one field and exercise the value helpers on it. */
static void
check_field(const struct msg_header_field *f, size_t len, size_t *next)
{
	struct buf *b = buf_new(64, 0);
	struct msg_header_addr *l;
	size_t n;

	if (f->offset != *next || f->offset + f->size > len ||
	    f->raw_len > f->size || f->value_len > f->raw_len)
		abort();
	*next = f->offset + f->size;
	if (msg_header_decode_words(f->value, f->value_len, b) < 0)
		abort();
	if (msg_header_addr_parse(f->value, f->value_len, 50, &l, &n) == 0 &&
	    n > 50)
		abort();
	for (size_t i = 0; i < n; i++)
		if (l[i].kind == MSG_HEADER_ADDR_MAILBOX && l[i].mailbox == NULL)
			abort();
	msg_header_addr_free(&l, n);
	buf_free(&b);
}

/* Note one result onto the transcript t. */
static void
note(struct buf *t, enum msg_header_result r, const struct msg_header_field *f,
    size_t len, size_t *next)
{
	if (r == MSG_HEADER_MORE)
		return;		/* how often depends on the chunking */
	if (r == MSG_HEADER_FIELD)
		check_field(f, len, next);
	else if (r == MSG_HEADER_TOO_LONG || r == MSG_HEADER_TOO_MANY)
		*next = f->offset + f->size;
	else if (r == MSG_HEADER_END && f->offset > len)
		abort();
	if (buf_printf(t, "%d/%zu/%zu/", (int)r, f->offset, f->size) < 0 ||
	    (r == MSG_HEADER_FIELD && (buf_append(t, f->name, f->name_len) < 0 ||
	    buf_append(t, f->value, f->value_len) < 0)))
		abort();
}

/* The whole transcript of reading p in chunks of step. */
static struct buf *
run(const char *p, size_t len, size_t step, int flags)
{
	struct msg_header *h = msg_header_new(200, 20, flags);
	struct buf *t = buf_new(256, 0);
	struct msg_header_field f;
	enum msg_header_result r = MSG_HEADER_MORE;
	size_t off = 0, used, next = 0;

	while (off < len && r != MSG_HEADER_END) {
		size_t n = len - off < step ? len - off : step;

		r = msg_header_feed(h, p + off, n, &used, &f);
		note(t, r, &f, len, &next);
		off += used;
	}
	while (r != MSG_HEADER_END) {
		r = msg_header_finish(h, &f);
		note(t, r, &f, len, &next);
	}
	msg_header_free(&h);
	return t;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf *a, *b;
	int flags;

	if (size < 1)
		return 0;
	flags = (data[0] & 0x80) ? MSG_HEADER_NONFIELD_ENDS : 0;
	a = run((const char *)data + 1, size - 1, size, flags);
	b = run((const char *)data + 1, size - 1, (size_t)(data[0] % 64) + 1,
	    flags);
	if (a->len != b->len || memcmp(a->data, b->data, a->len) != 0)
		abort();
	buf_free(&a);
	buf_free(&b);
	return 0;
}
