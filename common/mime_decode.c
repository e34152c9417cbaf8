/*
 * mime_decode.c - transfer encodings and charsets (see mime_decode.h).
 */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "mime_decode.h"
#include "strutil.h"
#include "utf8.h"

/* Quoted-printable body text (RFC 2045 6.7). */
static int
decode_qp(const char *p, size_t len, struct buf *out)
{
	size_t i = 0, start = 0;
	int hi, lo;

	while (i < len) {
		if (p[i] != '=') {
			i++;
			continue;
		}
		if (buf_append(out, p + start, i - start) != 0)
			return -1;
		if (i + 1 < len && p[i + 1] == '\n')
			i += 2;				/* soft break */
		else if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n')
			i += 3;
		else if (i + 2 < len && (hi = str_hexval(p[i + 1])) >= 0 &&
		    (lo = str_hexval(p[i + 2])) >= 0) {
			if (buf_append_char(out, (char)(hi * 16 + lo)) != 0)
				return -1;
			i += 3;
		} else {
			if (buf_append_char(out, '=') != 0)	/* as written */
				return -1;
			i++;
		}
		start = i;
	}
	return buf_append(out, p + start, len - start);
}

/* Base64 body text, lenient about line breaks and junk. */
static int
decode_base64(const char *p, size_t len, struct buf *out)
{
	unsigned long acc = 0;
	int bits = 0, v;

	for (size_t i = 0; i < len && p[i] != '='; i++) {
		if ((v = base64_value((unsigned char)p[i])) < 0)
			continue;
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (buf_append_char(out, (char)(acc >> bits)) != 0)
				return -1;
			acc &= (1ul << bits) - 1;
		}
	}
	return 0;
}

/* Decode a body by its Content-Transfer-Encoding. */
int
mime_decode_body(const char *encoding, const char *p, size_t len,
    struct buf *out)
{
	if (encoding != NULL && strcasecmp(encoding, "quoted-printable") == 0)
		return decode_qp(p, len, out);
	if (encoding != NULL && strcasecmp(encoding, "base64") == 0)
		return decode_base64(p, len, out);
	return buf_append(out, p, len);
}

/* 1 if iconv knows the charset. */
int
mime_charset_known(const char *charset)
{
	iconv_t cd = iconv_open("UTF-8", charset);

	if (cd == (iconv_t)-1)
		return 0;
	iconv_close(cd);
	return 1;
}

/* Convert through an open descriptor; bad octets become U+FFFD. */
static int
convert_with(iconv_t cd, const char *p, size_t len, struct buf *out)
{
	char chunk[256];

	while (len > 0) {
		char *in = (char *)(uintptr_t)p, *o = chunk;
		size_t il = len, ol = sizeof(chunk);
		size_t r = iconv(cd, &in, &il, &o, &ol);
		int bad = r == (size_t)-1 && errno != E2BIG;

		if (buf_append(out, chunk, (size_t)(o - chunk)) < 0)
			return -1;
		p = in;
		len = il;
		if (bad) {
			if (buf_append(out, "\xef\xbf\xbd", 3) < 0)
				return -1;
			p++;
			len--;
		}
	}
	return 0;
}

/* Convert text in charset to UTF-8. */
int
mime_to_utf8(const char *charset, const char *p, size_t len, struct buf *out)
{
	iconv_t cd;
	size_t from;
	int rc;

	if (charset == NULL ||
	    (cd = iconv_open("UTF-8", charset)) == (iconv_t)-1)
		return buf_append(out, p, len);
	from = out->len;
	rc = convert_with(cd, p, len, out);
	iconv_close(cd);
	/* glibc passes UTF-8 past U+10FFFF through (found by
	 * fuzz_mime_decode): what comes out must be well-formed */
	return rc == 0 ? utf8_sanitize(out, from) : rc;
}
