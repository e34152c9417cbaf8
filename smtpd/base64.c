/*
 * base64.c - the strict base64 decoder (RFC 4648 section 4) that AUTH
 * needs for client responses (RFC 4954 4).
 *
 * Public: smtpd_b64_decode(src, len, dst, size, &len_r) - 0, or -1 when the
 * input is not canonical base64 (length not a multiple of 4, a character
 * outside the alphabet, misplaced '=') or the result does not fit in size
 * bytes.  The result is NUL-terminated when there is room (it may itself
 * contain NULs, as PLAIN's does).
 * Pure: no I/O, no allocation; src is untrusted network data.
 */
#include <stddef.h>

#include "smtpd.h"

/* The value of one base64 character, or -1. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode one group of four characters into 1-3 bytes; the count or -1. */
static int
b64_group(const char *p, int last, unsigned char out[3])
{
	int v[4], n = 3;

	for (int i = 0; i < 4; i++) {
		v[i] = b64_value((unsigned char)p[i]);
		if (v[i] >= 0)
			continue;
		/* '=' only in the last group, as "x==" or "xx=" */
		if (p[i] != '=' || !last || i < 2 || (i == 2 && p[3] != '='))
			return -1;
		v[i] = 0;
		n = n < i - 1 ? n : i - 1;
	}
	out[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
	out[1] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
	out[2] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	return n;
}

/* Decode strict base64; 0 or -1 (see the header). */
int
smtpd_b64_decode(const char *src, size_t len, char *dst, size_t size,
    size_t *len_r)
{
	unsigned char grp[3];
	size_t used = 0;
	int n;

	*len_r = 0;
	if (len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		if ((n = b64_group(src + i, i + 4 == len, grp)) < 0)
			return -1;
		if (used + (size_t)n > size)
			return -1;
		for (int k = 0; k < n; k++)
			dst[used++] = (char)grp[k];
	}
	if (used < size)
		dst[used] = '\0';
	*len_r = used;
	return 0;
}
