/*
 * utf8.c - well-formed UTF-8 checks (see utf8.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "utf8.h"

/* Decode the well-formed sequence at p: its length (1-4) with the code
 * point in *cp_r, or 0. */
size_t
utf8_decode(const char *p, size_t len, uint32_t *cp_r)
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
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
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

/* Length of the well-formed UTF-8 sequence at p, or 0. */
size_t
utf8_seq_len(const char *p, size_t len)
{
	uint32_t cp;

	return utf8_decode(p, len, &cp);
}

/* Offset of the first ill-formed octet in p/len, or len. */
static size_t
utf8_first_bad(const char *p, size_t len)
{
	size_t i = 0, n;

	while (i < len && (n = utf8_seq_len(p + i, len - i)) > 0)
		i += n;
	return i;
}

/* Replace ill-formed octets of b->data[from..] with U+FFFD. */
int
utf8_sanitize(struct buf *b, size_t from)
{
	size_t bad = from + utf8_first_bad(b->data + from, b->len - from);
	size_t len, i, n;
	char *copy;
	int rc = 0;

	if (bad == b->len)
		return 0;
	len = b->len - bad;
	copy = xmalloc(len);
	memcpy(copy, b->data + bad, len);
	b->len = bad;
	for (i = 0; i < len && rc == 0; i += n) {
		if ((n = utf8_seq_len(copy + i, len - i)) == 0) {
			n = 1;
			rc = buf_append(b, "\xef\xbf\xbd", 3);
		} else {
			rc = buf_append(b, copy + i, n);
		}
	}
	free(copy);
	return rc;
}
