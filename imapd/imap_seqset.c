/*
 * imap_seqset.c - IMAP sequence sets: parse, resolve "*", test, iterate.
 *
 * Public: see imap_seqset.h.  Pure; memory from the caller's pool; never
 * fatal (ASSERT only for calling the post-resolve functions too early).
 * Security: untrusted input; numbers are checked against 2^32-1 and the
 * number of ranges is bounded before anything is allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "imap_num.h"
#include "imap_seqset.h"

/* Parse one seq-number: nz-number or "*". */
static int
parse_seqnum(const char *p, size_t len, unsigned flags, uint32_t *n_r,
    const char **errstr_r)
{
	if (len == 1 && p[0] == '*') {
		if (flags & IMAP_SEQSET_NO_STAR) {
			*errstr_r = "\"*\" not allowed here";
			return -1;
		}
		*n_r = IMAP_SEQ_STAR;
		return 0;
	}
	if (imap_num_parse32(p, len, 1, n_r) < 0) {
		*errstr_r = "Invalid sequence set";
		return -1;
	}
	return 0;
}

/* Parse one element: seq-number or seq-number ":" seq-number. */
static int
parse_range(const char *p, size_t len, unsigned flags,
    struct imap_seq_range *r, const char **errstr_r)
{
	const char *colon = memchr(p, ':', len);
	size_t l1 = colon != NULL ? (size_t)(colon - p) : len;

	if (parse_seqnum(p, l1, flags, &r->lo, errstr_r) < 0)
		return -1;
	if (colon == NULL) {
		r->hi = r->lo;
		return 0;
	}
	return parse_seqnum(colon + 1, len - l1 - 1, flags, &r->hi, errstr_r);
}

/* Count the comma-separated elements, refusing too many. */
static int
count_ranges(const char *p, size_t len, size_t *n_r, const char **errstr_r)
{
	size_t n = 1;

	for (size_t i = 0; i < len; i++)
		if (p[i] == ',' && ++n > IMAP_SEQSET_RANGES_MAX) {
			*errstr_r = "Sequence set too long";
			return -1;
		}
	*n_r = n;
	return 0;
}

/* Parse a sequence-set (or "$") into the pool. */
int
imap_seqset_parse(const char *p, size_t len, struct imap_pool *pool,
    unsigned flags, struct imap_seqset **set_r, const char **errstr_r)
{
	struct imap_seqset *set = imap_pool_alloc(pool, sizeof(*set));
	size_t n, start = 0;

	if (set == NULL || count_ranges(p, len, &n, errstr_r) < 0)
		goto toolong;
	if (len == 1 && p[0] == '$') {
		if (!(flags & IMAP_SEQSET_SEARCHRES)) {
			*errstr_r = "\"$\" not allowed here";
			return -1;
		}
		set->searchres = 1;
		*set_r = set;
		return 0;
	}
	set->ranges = imap_pool_alloc_array(pool, n, sizeof(*set->ranges));
	if (set->ranges == NULL)
		goto toolong;
	for (size_t i = 0; i < n; i++) {
		const char *c = memchr(p + start, ',', len - start);
		size_t end = c != NULL ? (size_t)(c - p) : len;
		if (parse_range(p + start, end - start, flags, &set->ranges[i],
		    errstr_r) < 0)
			return -1;
		start = end + 1;
	}
	set->count = n;
	*set_r = set;
	return 0;
toolong:
	*errstr_r = "Sequence set too long";
	return -1;
}

/* Parse a sequence set given as a parsed argument. */
int
imap_seqset_from_arg(const struct imap_arg *arg, struct imap_pool *pool,
    unsigned flags, struct imap_seqset **set_r, const char **errstr_r)
{
	if ((arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_NUMBER) ||
	    arg->has_section) {
		*errstr_r = "Invalid sequence set";
		return -1;
	}
	return imap_seqset_parse(arg->str, arg->len, pool, flags, set_r,
	    errstr_r);
}

/* The largest number written explicitly in the set. */
uint32_t
imap_seqset_highest(const struct imap_seqset *set)
{
	uint32_t max = 0;

	for (size_t i = 0; i < set->count; i++) {
		if (set->ranges[i].lo > max)
			max = set->ranges[i].lo;
		if (set->ranges[i].hi > max)
			max = set->ranges[i].hi;
	}
	return max;
}

/* qsort order: by low end. */
static int
range_cmp(const void *a, const void *b)
{
	const struct imap_seq_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Replace "*" by max, order, sort and merge the ranges. */
void
imap_seqset_resolve(struct imap_seqset *set, uint32_t max)
{
	size_t o = 0;

	for (size_t i = 0; i < set->count; i++) {
		struct imap_seq_range *r = &set->ranges[i];
		if (r->lo == IMAP_SEQ_STAR)
			r->lo = max;
		if (r->hi == IMAP_SEQ_STAR)
			r->hi = max;
		if (r->lo > r->hi) {
			uint32_t t = r->lo;
			r->lo = r->hi;
			r->hi = t;
		}
	}
	if (set->count > 1)
		qsort(set->ranges, set->count, sizeof(*set->ranges), range_cmp);
	for (size_t i = 0; i < set->count; i++) {
		struct imap_seq_range *r = &set->ranges[i];
		if (o > 0 && (uint64_t)set->ranges[o - 1].hi + 1 >= r->lo) {
			if (r->hi > set->ranges[o - 1].hi)
				set->ranges[o - 1].hi = r->hi;
		} else {
			set->ranges[o++] = *r;
		}
	}
	set->count = o;
	set->resolved = 1;
}

/* 1 when n is in the resolved set (binary search). */
int
imap_seqset_contains(const struct imap_seqset *set, uint32_t n)
{
	size_t lo = 0, hi = set->count;

	ASSERT(set->resolved || set->count == 0);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (n < set->ranges[mid].lo)
			hi = mid;
		else if (n > set->ranges[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/* How many distinct numbers the resolved set holds. */
uint64_t
imap_seqset_count(const struct imap_seqset *set)
{
	uint64_t n = 0;

	ASSERT(set->resolved || set->count == 0);
	for (size_t i = 0; i < set->count; i++)
		n += (uint64_t)set->ranges[i].hi - set->ranges[i].lo + 1;
	return n;
}

/* Start iterating a resolved set in ascending order. */
void
imap_seqset_iter_init(struct imap_seqset_iter *it,
    const struct imap_seqset *set)
{
	ASSERT(set->resolved || set->count == 0);
	it->set = set;
	it->i = 0;
	it->next = set->count != 0 ? set->ranges[0].lo : 0;
}

/* The next number: 1 with *n_r set, or 0 when the set is exhausted. */
int
imap_seqset_iter_next(struct imap_seqset_iter *it, uint32_t *n_r)
{
	const struct imap_seqset *set = it->set;

	if (it->i >= set->count)
		return 0;
	*n_r = (uint32_t)it->next;
	if (it->next >= set->ranges[it->i].hi) {
		if (++it->i < set->count)
			it->next = set->ranges[it->i].lo;
	} else {
		it->next++;
	}
	return 1;
}
