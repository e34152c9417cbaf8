/*
 * imap_mutf7.c - modified UTF-7 <-> UTF-8 for IMAP mailbox names.
 *
 * Public: see imap_mutf7.h.  Encoded runs are UTF-16BE in a base64 variant
 * with "," for "/" and no padding.  Never fatal.
 * Security: untrusted input; every non-canonical form is refused so that
 * one mailbox has exactly one wire name (no aliasing through encodings).
 */
#include <stdint.h>
#include <string.h>

#include "imap_mutf7.h"
#include "imap_num.h"
#include "utf8.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* The value of a modified base64 letter, or -1. */
static int
b64_val(char c)
{
	const char *q = c != '\0' ? strchr(b64, c) : NULL;

	return q != NULL ? (int)(q - b64) : -1;
}

/* Append one code point as UTF-8. */
static int
put_utf8(struct buf *out, uint32_t cp)
{
	char s[4];
	size_t n;

	if (cp < 0x80) {
		s[0] = (char)cp; n = 1;
	} else if (cp < 0x800) {
		s[0] = (char)(0xc0 | (cp >> 6)); n = 2;
	} else if (cp < 0x10000) {
		s[0] = (char)(0xe0 | (cp >> 12)); n = 3;
	} else {
		s[0] = (char)(0xf0 | (cp >> 18)); n = 4;
	}
	for (size_t i = 1; i < n; i++)
		s[i] = (char)(0x80 | ((cp >> (6 * (n - 1 - i))) & 0x3f));
	return buf_append(out, s, n);
}

/* Emit one UTF-16 unit, pairing surrogates; *hi holds a pending one. */
static int
put_unit(struct buf *out, uint32_t u, uint32_t *hi, const char **errstr_r)
{
	uint32_t cp = u;

	if (*hi != 0) {
		if (u < 0xdc00 || u > 0xdfff)
			goto bad;
		cp = 0x10000 + ((*hi - 0xd800) << 10) + (u - 0xdc00);
		*hi = 0;
	} else if (u >= 0xd800 && u <= 0xdbff) {
		*hi = u;
		return 0;
	} else if (u >= 0xdc00 && u <= 0xdfff) {
		goto bad;
	}
	if ((cp >= 0x20 && cp <= 0x7e) || cp == 0)
		goto bad;		/* direct, or NUL: never encoded */
	if (put_utf8(out, cp) < 0) {
		*errstr_r = "Mailbox name too long";
		return -1;
	}
	return 0;
bad:
	*errstr_r = "Invalid modified UTF-7 in mailbox name";
	return -1;
}

/* Decode one "&...-" run starting after "&"; *i ends after "-". */
static int
decode_run(const char *p, size_t len, size_t *i, struct buf *out,
    const char **errstr_r)
{
	uint32_t bits = 0, hi = 0;
	unsigned nbits = 0;
	size_t start = *i;
	int v;

	for (; *i < len && p[*i] != '-'; (*i)++) {
		if ((v = b64_val(p[*i])) < 0)
			goto bad;
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits >= 16) {
			nbits -= 16;
			if (put_unit(out, (bits >> nbits) & 0xffff, &hi,
			    errstr_r) < 0)
				return -1;
		}
	}
	if (*i == len || *i == start || hi != 0 || nbits >= 6 ||
	    (bits & ((1u << nbits) - 1)) != 0)
		goto bad;
	(*i)++;
	return 0;
bad:
	*errstr_r = "Invalid modified UTF-7 in mailbox name";
	return -1;
}

/* Modified UTF-7 to UTF-8, strictly canonical. */
int
imap_mutf7_to_utf8(const char *p, size_t len, struct buf *out,
    const char **errstr_r)
{
	size_t i = 0;
	int prev_run = 0;

	*errstr_r = "Invalid modified UTF-7 in mailbox name";
	while (i < len) {
		unsigned char c = (unsigned char)p[i++];
		if (c < 0x20 || c > 0x7e)
			return -1;
		if (c != '&') {
			prev_run = 0;
			if (buf_append_char(out, (char)c) < 0)
				goto full;
			continue;
		}
		if (i < len && p[i] == '-') {
			i++;
			prev_run = 0;
			if (buf_append_char(out, '&') < 0)
				goto full;
			continue;
		}
		if (prev_run || decode_run(p, len, &i, out, errstr_r) < 0)
			return -1;
		prev_run = 1;
	}
	return 0;
full:
	*errstr_r = "Mailbox name too long";
	return -1;
}

/* Append the base64 of UTF-16 units, then "-". */
static int
encode_run(const char *p, size_t len, size_t *i, struct buf *out)
{
	uint32_t bits = 0, cp;
	unsigned nbits = 0;
	size_t n;

	while (*i < len && ((unsigned char)p[*i] < 0x20 ||
	    (unsigned char)p[*i] > 0x7e)) {
		uint32_t u[2];
		int nu = 1;
		if ((n = utf8_decode(p + *i, len - *i, &cp)) == 0 || cp == 0)
			return -1;
		*i += n;
		u[0] = cp;
		if (cp >= 0x10000) {
			u[0] = 0xd800 + ((cp - 0x10000) >> 10);
			u[1] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
			nu = 2;
		}
		for (int k = 0; k < nu; k++) {
			bits = (bits << 16) | u[k];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				if (buf_append_char(out,
				    b64[(bits >> nbits) & 0x3f]) < 0)
					return -1;
			}
		}
	}
	if (nbits > 0 && buf_append_char(out,
	    b64[(bits << (6 - nbits)) & 0x3f]) < 0)
		return -1;
	return buf_append_char(out, '-');
}

/* UTF-8 to modified UTF-7. */
int
imap_utf8_to_mutf7(const char *p, size_t len, struct buf *out,
    const char **errstr_r)
{
	size_t i = 0;

	*errstr_r = "Invalid UTF-8 in mailbox name";
	while (i < len) {
		unsigned char c = (unsigned char)p[i];
		int r;
		if (c >= 0x20 && c <= 0x7e) {
			r = c == '&' ? buf_append(out, "&-", 2) :
			    buf_append_char(out, (char)c);
			i++;
		} else {
			r = buf_append_char(out, '&') < 0 ? -1 :
			    encode_run(p, len, &i, out);
		}
		if (r < 0)
			return -1;
	}
	return 0;
}
