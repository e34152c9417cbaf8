/*
 * imap_seqset.h - IMAP sequence sets (RFC 9051 section 9 sequence-set,
 * RFC 5182 "$" SEARCHRES): parsing, "*" resolution, membership, iteration.
 *
 * Usage:
 *	struct imap_seqset *set;
 *	if (imap_seqset_from_arg(&cmd.args[0], pool, IMAP_SEQSET_SEARCHRES,
 *	    &set, &err) < 0)  -> BAD err
 *	if (set->searchres)   -> use the saved result instead
 *	imap_seqset_resolve(set, uid ? max_uid : exists);
 *	for (imap_seqset_iter_init(&it, set); imap_seqset_iter_next(&it, &n);)
 *		...  (ascending, each number once)
 *
 * Public:
 *   imap_seqset_parse(p, len, pool, flags, &set_r, &errstr_r)  0, or -1 for
 *        a zero, a number past 2^32-1, an empty element, junk, "$" where
 *        IMAP_SEQSET_SEARCHRES is not given, "*" with IMAP_SEQSET_NO_STAR,
 *        or more than IMAP_SEQSET_RANGES_MAX ranges.  Ranges are kept as
 *        written ("*" is IMAP_SEQ_STAR, lo may exceed hi).
 *   imap_seqset_from_arg(arg, pool, flags, &set_r, &errstr_r)  the same for
 *        a parsed argument (an atom or a number).
 *   imap_seqset_highest(set)   the largest explicit number (0 when none), so
 *        the session can refuse message numbers past EXISTS.
 *   imap_seqset_resolve(set, max)  "*" becomes max, each range is ordered,
 *        then ranges are sorted and merged.  max 0 (empty mailbox) leaves 0,
 *        which no message has.
 *   After resolve: imap_seqset_contains(set, n), imap_seqset_count(set),
 *        imap_seqset_iter_init/imap_seqset_iter_next.
 * Security: untrusted input; the range count is bounded and nothing wraps.
 */
#ifndef PETREL_IMAP_SEQSET_H
#define PETREL_IMAP_SEQSET_H

#include <stddef.h>
#include <stdint.h>
#include "log.h"
#include "imap_parse.h"
#include "imap_pool.h"

#define IMAP_SEQ_STAR		0u
#define IMAP_SEQSET_RANGES_MAX	65536

#define IMAP_SEQSET_SEARCHRES	0x1	/* "$" allowed */
#define IMAP_SEQSET_NO_STAR	0x2	/* "*" refused */

struct imap_seq_range {
	uint32_t lo;
	uint32_t hi;
};

struct imap_seqset {
	struct imap_seq_range *ranges;
	size_t count;
	int searchres;		/* the set was "$" */
	int resolved;
};

struct imap_seqset_iter {
	const struct imap_seqset *set;
	size_t i;
	uint64_t next;
};

int imap_seqset_parse(const char *p, size_t len, struct imap_pool *pool,
    unsigned flags, struct imap_seqset **set_r, const char **errstr_r)
    WARN_UNUSED;
int imap_seqset_from_arg(const struct imap_arg *arg, struct imap_pool *pool,
    unsigned flags, struct imap_seqset **set_r, const char **errstr_r)
    WARN_UNUSED;
uint32_t imap_seqset_highest(const struct imap_seqset *set);
void imap_seqset_resolve(struct imap_seqset *set, uint32_t max);
int imap_seqset_contains(const struct imap_seqset *set, uint32_t n);
uint64_t imap_seqset_count(const struct imap_seqset *set);
void imap_seqset_iter_init(struct imap_seqset_iter *it,
    const struct imap_seqset *set);
int imap_seqset_iter_next(struct imap_seqset_iter *it, uint32_t *n_r);

#endif
