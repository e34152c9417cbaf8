/*
 * fuzz_dsn_param.c - libFuzzer target for common/dsn_param.c, the RFC 3461
 * DSN parameters smtpd checks in MAIL/RCPT and the queue manager reads
 * back from queue files ('O' records).
 *
 * Input: the first byte sets the output buffer size (1-64), the rest is
 * the parameter text.  Checks:
 *   - NOTIFY: a parsed mask is non-zero, within the four bits, NEVER
 *     alone, and its text form parses back to the same mask;
 *   - xtext: a decoded value is printable ASCII, NUL-terminated within the
 *     buffer, no longer than the input, and re-encoded it decodes to the
 *     same; dsn_xtext_valid agrees with the decoder;
 *   - dsn_field / dsn_rcpt_notify on the text as an 'O' record stay
 *     inside their buffers and give a valid mask.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dsn_param.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ALL_BITS (DSN_NOTIFY_NEVER | DSN_NOTIFY_SUCCESS | \
	DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY)

/* NOTIFY parse -> text -> parse. */
static void
fuzz_notify(const char *p, size_t n)
{
	char text[64];
	int m = dsn_notify_parse(p, n), back;

	if (m == -1)
		return;
	if (m <= 0 || (m & ~ALL_BITS) != 0 ||
	    ((m & DSN_NOTIFY_NEVER) && m != DSN_NOTIFY_NEVER))
		abort();
	dsn_notify_text(m, text, sizeof(text));
	back = dsn_notify_parse(text, strlen(text));
	if (back != m)
		abort();
}

/* Encode p/n as xtext: '+', '=' and non-printables as +HH. */
static size_t
xtext_encode(const char *p, size_t n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < '!' || c > '~' || c == '+' || c == '=') {
			out[o++] = '+';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	return o;
}

/* xtext decode, its bounds and its round trip. */
static void
fuzz_xtext(const char *p, size_t n, size_t size)
{
	char *out = malloc(size), *big = malloc(n + 1), *enc, *again;
	long r = dsn_xtext_decode(p, n, out, size);
	long full = dsn_xtext_decode(p, n, big, n + 1);

	if (dsn_xtext_valid(p, n) != (n > 0 && n < 1024 && full >= 0))
		abort();
	if (r >= 0 && ((size_t)r >= size || (size_t)r > n || out[r] != '\0' ||
	    full != r || memcmp(out, big, (size_t)r) != 0))
		abort();
	if (full >= 0) {
		for (long i = 0; i < full; i++)
			if (big[i] < 0x20 || big[i] == 0x7f)
				abort();
		enc = malloc((size_t)full * 3 + 1);
		again = malloc((size_t)full + 1);
		size_t el = xtext_encode(big, (size_t)full, enc);
		if (dsn_xtext_decode(enc, el, again, (size_t)full + 1) != full ||
		    memcmp(again, big, (size_t)full) != 0)
			abort();
		free(enc);
		free(again);
	}
	(void)dsn_orcpt_valid(p, n);
	free(out);
	free(big);
}

/* The 'O' record readers on a NUL-terminated copy. */
static void
fuzz_record(const char *p, size_t n, size_t size)
{
	char *rec = malloc(n + 1), *out = malloc(size + 1);
	int m;

	memcpy(rec, p, n);
	rec[n] = '\0';
	out[size] = 'X';
	if (dsn_field(rec, "notify", out, size) == 1 &&
	    (strlen(out) >= size || out[size] != 'X'))
		abort();
	(void)dsn_field(rec, "orcpt", out, size);
	m = dsn_rcpt_notify(rec);
	if (m < 0 || (m & ~ALL_BITS) != 0)
		abort();
	free(rec);
	free(out);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n, bufsize;

	if (size == 0 || size > 4096)
		return 0;
	n = size - 1;
	bufsize = (size_t)(data[0] % 64) + 1;
	fuzz_notify(p, n);
	fuzz_xtext(p, n, bufsize);
	fuzz_record(p, n, bufsize);
	return 0;
}
