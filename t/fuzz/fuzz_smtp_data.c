/*
 * fuzz_smtp_data.c - libFuzzer target for smtpd/smtp_data.c.
 *
 * Input: the first byte picks a chunk size (1..64); the rest is decoded
 * once whole and once in chunks.  Checks: both runs agree on output,
 * consumed bytes, flags and size; output never exceeds input; the end is
 * reported only right after a CRLF "." CRLF in the input (or ".\r\n" at
 * the very start); without bare CR/LF, the output never holds a CR.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../smtpd/smtp_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decode p in chunks of step bytes; returns the input bytes consumed. */
static size_t
decode_chunks(struct smtp_data *d, const char *p, size_t len, size_t step,
    char *out, size_t *out_len_r)
{
	size_t used = 0, o = 0, n, c;

	smtp_data_init(d);
	while (used < len && !d->done) {
		c = len - used < step ? len - used : step;
		c = smtp_data_decode(d, p + used, c, out + o, &n);
		if (n > c)
			abort();
		used += c;
		o += n;
	}
	*out_len_r = o;
	return used;
}

/* 1 when the message may legitimately end after used bytes. */
static int
valid_end(const char *p, size_t used)
{
	if (used == 3)
		return memcmp(p, ".\r\n", 3) == 0;
	return used >= 5 && memcmp(p + used - 5, "\r\n.\r\n", 5) == 0;
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_data d1, d2;
	char *o1, *o2;
	size_t n1, n2, u1, u2, step;
	const char *p = (const char *)data + 1;

	if (size < 1)
		return 0;
	step = (size_t)(data[0] % 64) + 1;
	size--;
	o1 = malloc(size + 1);
	o2 = malloc(size + 1);
	if (o1 == NULL || o2 == NULL)
		abort();
	u1 = decode_chunks(&d1, p, size, size + 1, o1, &n1);
	u2 = decode_chunks(&d2, p, size, step, o2, &n2);
	if (u1 != u2 || n1 != n2 || memcmp(o1, o2, n1) != 0 ||
	    d1.done != d2.done || d1.bare != d2.bare || d1.size != n1 ||
	    d2.size != n2 || n1 > u1)
		abort();
	if (d1.done && !valid_end(p, u1))
		abort();
	if (!d1.bare && memchr(o1, '\r', n1) != NULL)
		abort();
	free(o1);
	free(o2);
	return 0;
}
