/*
 * fuzz_hopcount.c - libFuzzer target for common/hopcount.c.
 *
 * Input: the first byte picks a chunk size (1..64); the rest is a message.
 * Checks: whole and chunked feeding agree on the count and on the end of
 * the header section; the count never exceeds the number of lines; once
 * done, more input changes nothing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hopcount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	struct hopcount a, b;
	size_t len, step, lines = 1;

	if (size < 1)
		return 0;
	len = size - 1;
	step = (size_t)(data[0] % 64) + 1;
	hopcount_init(&a);
	hopcount_feed(&a, p, len);
	hopcount_init(&b);
	for (size_t i = 0; i < len; i += step)
		hopcount_feed(&b, p + i, len - i < step ? len - i : step);
	if (a.received != b.received || a.done != b.done)
		abort();
	for (size_t i = 0; i < len; i++)
		lines += p[i] == '\n';
	if ((size_t)a.received > lines)
		abort();
	if (a.done) {
		long before = a.received;

		hopcount_feed(&a, "Received: more\n", 15);
		if (a.received != before)
			abort();
	}
	hopcount_free(&a);
	hopcount_free(&b);
	return 0;
}
