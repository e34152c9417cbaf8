/*
 * test_hopcount.c - unit tests for the Received: field counter
 * (common/hopcount.c): names matched case-insensitively with blanks
 * before the colon, look-alikes (X-Received:, Received-SPF:, folded
 * continuation lines, "Received:" in the body) not counted, the empty
 * line ending the header section.  Every case is fed whole, split in two
 * at every byte, and one byte at a time.
 */
#include "harness.h"
#include "hopcount.h"

struct want {
	long received;
	int done;
};

static int
split_case(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	const struct want *w = ctx;
	struct hopcount h;

	hopcount_init(&h);
	hopcount_feed(&h, a, alen);
	hopcount_feed(&h, b, blen);
	hopcount_free(&h);
	return h.received == w->received && h.done == w->done ? 0 : 1;
}

static int
all_ways(const char *in, long received, int done)
{
	struct want w = { received, done };
	struct hopcount h;
	int bad = 0;

	hopcount_init(&h);
	for (size_t i = 0; in[i]; i++)
		hopcount_feed(&h, in + i, 1);
	hopcount_free(&h);
	if (h.received != received || h.done != done)
		bad++;
	return bad + test_split_feed(in, strlen(in), split_case, &w);
}

static void
test_counts_received(void)
{
	CHECK(all_ways("Received: a\nreceived: b\nRECEIVED :c\n"
	    "Received\t: d\n\tfolded\nSubject: x\n\nbody\n", 4, 1) == 0);
}

static void
test_lookalikes(void)
{
	CHECK(all_ways("X-Received: a\nReceived-SPF: pass\nReceivedx: y\n"
	    "Receive: z\n received: folded\nReceived\n", 0, 0) == 0);
}

static void
test_body_not_counted(void)
{
	CHECK(all_ways("Received: one\n\nReceived: in the body\n", 1, 1) == 0);
	CHECK(all_ways("\nReceived: body only\n", 0, 1) == 0);
}

static void
test_no_end(void)
{
	CHECK(all_ways("Received: a\nReceived: b", 2, 0) == 0);
	CHECK(all_ways("", 0, 0) == 0);
}

int
main(void)
{
	TEST_RUN(test_counts_received);
	TEST_RUN(test_lookalikes);
	TEST_RUN(test_body_not_counted);
	TEST_RUN(test_no_end);
	TEST_EXIT();
}
