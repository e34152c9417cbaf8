/*
 * imap_num.c - checked IMAP numbers and UTF-8 validation.
 *
 * Public: see imap_num.h.  Pure functions, no allocation, never fatal.
 * Security: every input is untrusted network data; numbers are bounded
 * before they are multiplied, so nothing wraps.
 */
#include "imap_num.h"
#include "utf8.h"

/* Parse 1*DIGIT into a value no greater than max. */
static int
parse_bounded(const char *p, size_t len, uint64_t max, int nonzero,
    uint64_t *val_r)
{
	uint64_t v = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)p[i] - '0';
		if (d > 9)
			return -1;
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (nonzero && v == 0)
		return -1;
	*val_r = v;
	return 0;
}

/* A 32-bit IMAP number (or nz-number when nonzero is set). */
int
imap_num_parse32(const char *p, size_t len, int nonzero, uint32_t *val_r)
{
	uint64_t v;

	if (parse_bounded(p, len, IMAP_NUM32_MAX, nonzero, &v) < 0)
		return -1;
	*val_r = (uint32_t)v;
	return 0;
}

/* A 63-bit IMAP number64 (or nz-number64 / mod-sequence-value). */
int
imap_num_parse64(const char *p, size_t len, int nonzero, uint64_t *val_r)
{
	return parse_bounded(p, len, IMAP_NUM64_MAX, nonzero, val_r);
}

/* 1 when the whole of p is well-formed UTF-8. */
int
imap_utf8_valid(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq_len(p + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}
