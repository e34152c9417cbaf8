/*
 * fuzz_imap_seqset.c - libFuzzer target for imapd/imap_seqset.c.
 *
 * Input: one flags byte, four bytes of "max" (big-endian), then a sequence
 * set.  Checks: after resolve the ranges are sorted, disjoint and
 * non-adjacent; iteration is strictly ascending, every number is
 * contained, and the count matches imap_seqset_count (iteration is cut
 * after 100000 numbers).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../imapd/imap_seqset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check the resolved ranges' shape. */
static void
check_ranges(const struct imap_seqset *s)
{
	for (size_t i = 0; i < s->count; i++) {
		if (s->ranges[i].lo > s->ranges[i].hi)
			abort();
		if (i > 0 && (uint64_t)s->ranges[i - 1].hi + 1 >=
		    s->ranges[i].lo)
			abort();
	}
}

/* Iterate and compare with contains and count. */
static void
check_iter(const struct imap_seqset *s)
{
	struct imap_seqset_iter it;
	uint64_t seen = 0;
	uint32_t n, prev = 0;

	imap_seqset_iter_init(&it, s);
	while (seen < 100000 && imap_seqset_iter_next(&it, &n)) {
		if ((seen > 0 && n <= prev) || !imap_seqset_contains(s, n))
			abort();
		prev = n;
		seen++;
	}
	if (seen < 100000 && seen != imap_seqset_count(s))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_pool *pool;
	struct imap_seqset *s;
	const char *err;
	uint32_t max;

	if (size < 5)
		return 0;
	max = (uint32_t)data[1] << 24 | (uint32_t)data[2] << 16 |
	    (uint32_t)data[3] << 8 | data[4];
	pool = imap_pool_new(0);
	if (imap_seqset_parse((const char *)data + 5, size - 5, pool,
	    data[0] & 3, &s, &err) == 0 && !s->searchres) {
		if (imap_seqset_highest(s) == 0 && s->count != 0 &&
		    (data[0] & 2))
			abort();	/* NO_STAR: every number is explicit */
		imap_seqset_resolve(s, max);
		check_ranges(s);
		check_iter(s);
	}
	imap_pool_free(&pool);
	return 0;
}
