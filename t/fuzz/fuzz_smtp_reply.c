/*
 * fuzz_smtp_reply.c - libFuzzer target for queue/smtp_reply.c.
 *
 * Input: server reply lines separated by LF, fed to the reply parser until
 * it completes or fails (checking the text stays terminated and bounded),
 * and the same bytes through the DATA body encoder, whose output must
 * never hold a bare CR or LF and must end with the only CRLF.CRLF.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "../../queue/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse LF-separated lines as one reply after another. */
static void
fuzz_replies(const char *p, size_t len)
{
	struct smtp_reply r;
	const char *nl;
	size_t n;

	smtp_reply_init(&r);
	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl != NULL ? (size_t)(nl - p) : len;
		if (smtp_reply_line(&r, p, n) != 0)
			smtp_reply_init(&r);
		if (r.len >= sizeof(r.text) || r.text[r.len] != '\0')
			abort();
		p += n + (nl != NULL);
		len -= n + (nl != NULL);
	}
}

/* Encode and check the wire form. */
static void
fuzz_body(const char *p, size_t len)
{
	struct buf *out = buf_new(256, 8 * 1024 * 1024);
	struct smtp_body_enc e;
	size_t col = 0;

	smtp_body_init(&e, 78);
	if (smtp_body_encode(&e, p, len, out) < 0 ||
	    smtp_body_finish(&e, out) < 0)
		abort();
	for (size_t i = 0; i < out->len; i++) {
		if (out->data[i] == '\r' &&
		    (i + 1 >= out->len || out->data[i + 1] != '\n'))
			abort();
		if (out->data[i] == '\n' && (i == 0 || out->data[i - 1] != '\r'))
			abort();
		col = out->data[i] == '\n' ? 0 : col + 1;
		if (col > 80)
			abort();
		if (i + 5 <= out->len - 3 && i > 0 &&
		    memcmp(out->data + i - 1, "\n.\r\n", 4) == 0)
			abort();	/* an early end of data */
	}
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_replies((const char *)data, size);
	fuzz_body((const char *)data, size);
	return 0;
}
