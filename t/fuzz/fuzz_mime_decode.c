/*
 * fuzz_mime_decode.c - libFuzzer target for common/mime_decode.c (body
 * transfer encodings, charsets to UTF-8, what IMAP SEARCH reads message
 * text through) and the strict SASL base64 decoder common/base64.c.
 *
 * Input: the first byte picks a charset from a fixed list, the rest is
 * the text.  Checks:
 *   - quoted-printable never grows the text; base64 (lenient) gives at
 *     most 3 octets per 4 input octets; 7bit/unknown/NULL copy exactly;
 *   - output stops cleanly at the buffer's maximum (-1, nothing past it);
 *   - mime_to_utf8 with a charset iconv knows gives valid UTF-8 (bad
 *     octets become U+FFFD), an unknown one copies the octets;
 *   - base64_decode (strict) accepts only what re-encodes to the same
 *     text, with the length 3/4 of the input less the padding.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "mime_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const charsets[] = {
	NULL, "utf-8", "iso-8859-1", "windows-1252", "iso-2022-jp", "utf-7",
	"utf-16", "gb18030", "shift_jis", "big5", "koi8-r", "euc-kr",
	"us-ascii", "x-unknown-charset", "UTF-32BE", "iso-8859-15",
};

/* Length of the valid UTF-8 sequence at p (RFC 3629), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Aborts unless p/n is valid UTF-8. */
static void
check_utf8(const char *p, size_t n)
{
	for (size_t i = 0, l; i < n; i += l)
		if ((l = utf8_seq((const unsigned char *)p + i, n - i)) == 0)
			abort();
}

/* Encode p/n as padded base64 into out (4 * ((n + 2) / 3) octets). */
static size_t
b64_encode(const unsigned char *p, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = abc[(v >> 18) & 63];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = i + 1 < n ? abc[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? abc[v & 63] : '=';
	}
	return o;
}

/* The body decoders and their output bounds. */
static void
fuzz_body(const char *p, size_t n)
{
	static const char *const enc[] = { "quoted-printable", "BASE64",
	    "7bit", "x-unknown", NULL };
	struct buf *b, *small;

	for (size_t e = 0; e < sizeof(enc) / sizeof(enc[0]); e++) {
		b = buf_new(16, 0);
		if (mime_decode_body(enc[e], p, n, b) != 0)
			abort();
		if ((e == 0 && b->len > n) || (e == 1 && b->len > n / 4 * 3 + 2) ||
		    (e >= 2 && (b->len != n || memcmp(b->data, p, n) != 0)))
			abort();
		small = buf_new(4, 7);
		if (mime_decode_body(enc[e], p, n, small) == 0) {
			if (small->len != b->len ||
			    memcmp(small->data, b->data, b->len) != 0)
				abort();
		} else if (b->len <= 7) {
			abort();
		}
		if (small->len > 7)
			abort();
		buf_free(&small);
		buf_free(&b);
	}
}

/* Charset conversion: valid UTF-8 out for a known charset. */
static void
fuzz_charset(const char *cs, const char *p, size_t n)
{
	struct buf *b = buf_new(16, 0);
	int known = cs != NULL && mime_charset_known(cs);

	if (mime_to_utf8(cs, p, n, b) != 0)
		abort();
	if (known)
		check_utf8(b->data, b->len);
	else if (b->len != n || memcmp(b->data, p, n) != 0)
		abort();
	buf_free(&b);
}

/* The strict decoder: what it accepts re-encodes to the input. */
static void
fuzz_base64(const char *p, size_t n)
{
	char *out = malloc(n + 1), *again = malloc(n + 8);
	long r = base64_decode(p, n, out, n + 1);

	if (r >= 0) {
		/* the last letter before '=' may carry non-zero pad bits
		 * (RFC 4648 3.5 lets decoders accept them) */
		if (n % 4 != 0 || (size_t)r > n / 4 * 3 ||
		    b64_encode((unsigned char *)out, (size_t)r, again) != n)
			abort();
		for (size_t i = 0; i < n; i++)
			if (again[i] != p[i] && (i + 1 >= n || p[i + 1] != '=' ||
			    again[i + 1] != '='))
				abort();
		if (r > 0 && base64_decode(p, n, out, (size_t)r - 1) != -1)
			abort();
	}
	free(out);
	free(again);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n = size - 1;

	if (size == 0 || size > 65536)
		return 0;
	fuzz_body(p, n);
	fuzz_charset(charsets[data[0] % (sizeof(charsets) /
	    sizeof(charsets[0]))], p, n);
	fuzz_base64(p, n);
	return 0;
}
