/*
 * base64.c - the strict base64 decoder (RFC 4648 section 4, padded) shared
 * by the SASL exchanges of smtpd (AUTH, RFC 4954) and pop3d (AUTH, RFC
 * 5034).
 *
 * Public: base64_decode(p, len, out, outsize) - the decoded length, or -1
 * for a letter outside the alphabet, misplaced or excess '=' padding, a
 * length not a multiple of 4, or more than outsize octets.  Decoded data
 * may contain NULs; nothing is NUL-terminated.
 * Pure: no I/O, no allocation; the input is untrusted network data.
 */
#include <stddef.h>

#include "base64.h"

/* The 6-bit value of a base64 letter, or -1. */
int
base64_value(unsigned char c)
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

/* Strict base64 (RFC 4648 4, padded) into out; the decoded length or -1. */
long
base64_decode(const char *p, size_t len, char *out, size_t outsize)
{
	size_t i, o = 0, pad = 0;
	unsigned long acc = 0;
	int v;

	if (len % 4 != 0 || len / 4 * 3 > outsize)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] == '=' && i + 2 >= len && len - i <= 2) {
			pad++;
			v = 0;
		} else if (pad > 0 || (v = base64_value((unsigned char)p[i])) < 0) {
			return -1;
		}
		acc = (acc << 6) | (unsigned long)v;
		if (i % 4 == 3) {
			out[o++] = (char)(acc >> 16);
			out[o++] = (char)(acc >> 8);
			out[o++] = (char)acc;
			acc = 0;
		}
	}
	return (long)(o - pad);
}

