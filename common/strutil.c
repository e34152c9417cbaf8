/*
 * strutil.c - small checked string helpers shared by every parser.
 *
 * Public: str_to_long, str_casecmp_n, str_lower, str_trim,
 * str_has_prefix_ci, str_split_ws, str_hexval.
 * str_to_long accepts decimal digits only (a leading '-' only when min < 0),
 * the whole counted input, and checks overflow before it happens; it returns
 * 0, or -1 with errno EINVAL (junk/empty) or ERANGE (out of range).
 * Everything here is pure and ASCII-only (locale-independent), safe for
 * untrusted input.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "strutil.h"

/* ASCII lower-case of one byte, independent of the locale. */
static int
lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Parse a whole counted decimal number within [min, max]. */
int
str_to_long(const char *p, size_t len, long min, long max, long *val_r)
{
	unsigned long acc = 0, lim;
	int neg = 0;
	size_t i = 0;

	if (len > 0 && p[0] == '-' && min < 0) {
		neg = 1;
		i = 1;
	}
	if (i == len) {
		errno = EINVAL;
		return -1;
	}
	lim = neg ? (unsigned long)LONG_MAX + 1 : (unsigned long)LONG_MAX;
	for (; i < len; i++) {
		unsigned d = (unsigned char)p[i] - '0';
		if (d > 9) {
			errno = EINVAL;
			return -1;
		}
		if (acc > (lim - d) / 10) {
			errno = ERANGE;
			return -1;
		}
		acc = acc * 10 + d;
	}
	if (neg)
		*val_r = acc == (unsigned long)LONG_MAX + 1 ? LONG_MIN :
		    -(long)acc;
	else
		*val_r = (long)acc;
	if (*val_r < min || *val_r > max) {
		errno = ERANGE;
		return -1;
	}
	return 0;
}

/* Compare a counted string with a C string, ignoring ASCII case; 0 if equal. */
int
str_casecmp_n(const char *a, size_t alen, const char *b)
{
	size_t i;

	for (i = 0; i < alen; i++) {
		int ca = lc((unsigned char)a[i]), cb = lc((unsigned char)b[i]);
		if (cb == '\0')
			return 1;
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return b[alen] == '\0' ? 0 : -1;
}

/* Lower-case an ASCII C string in place. */
char *
str_lower(char *s)
{
	for (char *t = s; *t != '\0'; t++)
		*t = (char)lc((unsigned char)*t);
	return s;
}

/* Strip leading and trailing SP/HTAB from a counted string. */
const char *
str_trim(const char *p, size_t *len)
{
	size_t n = *len;

	while (n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	*len = n;
	return p;
}

/* 1 if the counted string starts with prefix (ASCII case-insensitive). */
int
str_has_prefix_ci(const char *p, size_t len, const char *prefix)
{
	size_t i;

	for (i = 0; prefix[i] != '\0'; i++) {
		if (i >= len)
			return 0;
		if (lc((unsigned char)p[i]) != lc((unsigned char)prefix[i]))
			return 0;
	}
	return 1;
}

/* Split a writable string on SP/HTAB/CR/LF into at most maxargs words
 * (words beyond maxargs are ignored; every returned word is terminated). */
int
str_split_ws(char *s, char **argv, int maxargs)
{
	int n = 0;

	while (*s != '\0' && n < maxargs) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			*s++ = '\0';
		if (*s == '\0')
			break;
		argv[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' &&
		    *s != '\n')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
	return n;
}

/* The value of a hex digit in either case, or -1. */
int
str_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)lc((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 64-bit FNV-1a of len bytes, continuing from h. */
uint64_t
str_fnv1a64(const void *p, size_t len, uint64_t h)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
