/*
 * fuzz_deliver.c - libFuzzer target for the delivery-agent protocol decoder
 * (common/deliver.c).  The first input byte picks request or reply framing;
 * the rest is fed in pieces whose sizes come from the input itself, so
 * split records are exercised.  Any input must decode or be refused with an
 * error, never crash, and a decoder that says "complete" must be resettable.
 */
#include <stdint.h>
#include <stdlib.h>

#include "deliver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feed data in chunks of 1..17 bytes until it is used up or refused. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deliver_decoder *d;
	const char *p = (const char *)data, *err;
	size_t off = 1, step, took;
	int r = 0;

	if (size < 1)
		return 0;
	d = deliver_decoder_new((data[0] & 1) ? DELIVER_REQUEST : DELIVER_REPLY);
	while (off < size && r >= 0) {
		step = 1 + data[off] % 17;
		if (step > size - off)
			step = size - off;
		took = deliver_decoder_feed(d, p + off, step);
		off += took;
		r = deliver_decoder_run(d, &err);
		if (r == 1)
			deliver_decoder_reset(d);
		else if (r == 0 && took == 0)
			break;		/* full buffer without a record: refused */
	}
	deliver_decoder_free(&d);
	return 0;
}
