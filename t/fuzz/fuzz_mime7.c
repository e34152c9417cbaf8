/*
 * fuzz_mime7.c - libFuzzer target for queue/mime7.c, the 8-bit to 7-bit
 * MIME converter.
 *
 * Input: the first byte picks a chunk size (1..64); the rest is a message
 * (LF line ends).  Both passes run once whole and once in chunks.  Checks:
 * the two runs agree on the verdict and on the output; a message that is
 * not refused comes out with no 8-bit byte at all.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../queue/mime7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Both passes in chunks of step; the output (NULL when refused). */
static struct buf *
convert(const char *p, size_t len, size_t step, const char **why)
{
	struct mime7_plan plan;
	struct mime7 *m;
	struct buf *out = NULL;
	int r = 0;

	mime7_plan_init(&plan);
	for (int emit = 0; emit < 2; emit++) {
		if (emit && (r != 0 || plan.why != NULL))
			break;
		if (emit)
			out = buf_new(256, 0);
		m = mime7_new(&plan, emit);
		for (size_t i = 0; i < len; i += step)
			r |= mime7_feed(m, p + i, len - i < step ? len - i : step,
			    out);
		r |= mime7_finish(m, out);
		mime7_free(&m);
	}
	if (r != 0)
		abort();	/* an unbounded buffer never refuses bytes */
	*why = plan.why;
	mime7_plan_free(&plan);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why1, *why2, *p = (const char *)data + 1;
	struct buf *a, *b;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	a = convert(p, len, len ? len : 1, &why1);
	b = convert(p, len, (size_t)(data[0] % 64) + 1, &why2);
	if ((why1 == NULL) != (why2 == NULL) || (a == NULL) != (b == NULL))
		abort();
	if (a != NULL) {
		if (a->len != b->len || memcmp(a->data, b->data, a->len) != 0)
			abort();
		for (size_t i = 0; i < a->len; i++)
			if ((unsigned char)a->data[i] & 0x80)
				abort();
	}
	buf_free(&a);
	buf_free(&b);
	return 0;
}
