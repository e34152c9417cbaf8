/*
 * fuzz_imap_mutf7.c - libFuzzer target for imapd/imap_mutf7.c, the
 * modified UTF-7 mailbox name codec (RFC 3501 5.1.3) that every mailbox
 * name from a client goes through.
 *
 * Input: raw octets, tried in both directions.  Checks (the header's
 * promises): a name that decodes from modified UTF-7 encodes back to the
 * same octets; well-formed UTF-8 encodes to printable ASCII that decodes
 * back to the same UTF-8; a decoder failure leaves out within its
 * maximum; with a small maximum the codec fails cleanly or gives the same
 * result.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "../../imapd/imap_mutf7.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* mUTF-7 -> UTF-8 -> mUTF-7 gives the input back. */
static void
from_mutf7(const char *p, size_t n)
{
	struct buf *u = buf_new(16, 0), *back, *small;
	const char *err;

	if (imap_mutf7_to_utf8(p, n, u, &err) != 0) {
		buf_free(&u);
		return;
	}
	back = buf_new(16, 0);
	if (imap_utf8_to_mutf7(u->data, u->len, back, &err) != 0 ||
	    back->len != n || memcmp(back->data, p, n) != 0)
		abort();
	small = buf_new(4, u->len / 2);
	if (imap_mutf7_to_utf8(p, n, small, &err) == 0 &&
	    (small->len != u->len || memcmp(small->data, u->data, u->len) != 0))
		abort();
	if (small->len > u->len / 2 && u->len / 2 > 0)
		abort();
	buf_free(&small);
	buf_free(&back);
	buf_free(&u);
}

/* UTF-8 -> mUTF-7 (printable ASCII) -> UTF-8 gives the input back. */
static void
from_utf8(const char *p, size_t n)
{
	struct buf *m = buf_new(16, 0), *back;
	const char *err;

	if (imap_utf8_to_mutf7(p, n, m, &err) != 0) {
		buf_free(&m);
		return;
	}
	for (size_t i = 0; i < m->len; i++)
		if (m->data[i] < 0x20 || m->data[i] > 0x7e)
			abort();
	back = buf_new(16, 0);
	if (imap_mutf7_to_utf8(m->data, m->len, back, &err) != 0 ||
	    back->len != n || memcmp(back->data, p, n) != 0)
		abort();
	buf_free(&back);
	buf_free(&m);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	from_mutf7((const char *)data, size);
	from_utf8((const char *)data, size);
	return 0;
}
