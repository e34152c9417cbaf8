/*
 * imap_num.c - checked IMAP numbers and UTF-8 validation.
 *
 * Public: see imap_num.h.  Pure functions, no allocation, never fatal.
 * Security: every input is untrusted network data; numbers are bounded
 * before they are multiplied, so nothing wraps.
 */
#include "imap_num.h"

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

/* Decode one well-formed UTF-8 sequence; its length or 0. */
size_t
imap_utf8_decode(const char *p, size_t len, uint32_t *cp_r)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t n;
	uint32_t cp, min;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp_r = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2; cp = s[0] & 0x1f; min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3; cp = s[0] & 0x0f; min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4; cp = s[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_r = cp;
	return n;
}

/* 1 when the whole of p is well-formed UTF-8. */
int
imap_utf8_valid(const char *p, size_t len)
{
	size_t i = 0;
	uint32_t cp;

	while (i < len) {
		size_t n = imap_utf8_decode(p + i, len - i, &cp);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}
