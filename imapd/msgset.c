/*
 * msgset.c - which messages of the selected mailbox a command's sequence
 * set names: by sequence number, by UID (the UID forms), or "$", the
 * saved SEARCHRES result (RFC 5182).
 *
 * Public: imapd_msgset(s, arg, uid, &idx, &n, &errtext) - the 0-based view
 * positions, ascending and each once, in the command's pool; 0, or -1
 * with a text for BAD (a malformed set, a sequence number past EXISTS).
 * A UID that names no message is skipped, never mapped to another one
 * (research pitfall 14); "n:*" always includes the highest UID (RFC 9051
 * 6.4.8).
 * Security: the set comes from the client; work is bounded by the view's
 * size plus the number of ranges.
 */
#include <string.h>

#include "imap_seqset.h"
#include "mstore.h"
#include "session.h"

/* Positions of the UIDs of a resolved set, by walking view and ranges. */
static size_t
msgset_by_uid(const struct imapd_session *s, const struct imap_seqset *set,
    size_t *idx)
{
	size_t n = mstore_count(s->box), k = 0, r = 0;

	for (size_t i = 0; i < n && r < set->count; i++) {
		uint32_t uid = mstore_msg(s->box, i)->uid;

		while (r < set->count && set->ranges[r].hi < uid)
			r++;
		if (r < set->count && set->ranges[r].lo <= uid)
			idx[k++] = i;
	}
	return k;
}

/* Positions of the saved SEARCHRES UIDs still in the view. */
static size_t
msgset_saved(const struct imapd_session *s, size_t *idx)
{
	size_t k = 0;
	long pos;

	for (size_t i = 0; i < s->n_searchres; i++)
		if ((pos = mstore_seq_of(s->box, s->searchres[i])) >= 0)
			idx[k++] = (size_t)pos;
	return k;
}

/* The messages a sequence set (or UID set) names. */
int
imapd_msgset(struct imapd_session *s, const struct imap_arg *arg, int uid,
    size_t **idx_r, size_t *n_r, const char **errtext_r)
{
	struct imap_seqset *set;
	struct imap_seqset_iter it;
	size_t count = mstore_count(s->box), k = 0, *idx;
	uint32_t v, max;

	if (imap_seqset_from_arg(arg, s->pool, IMAP_SEQSET_SEARCHRES, &set,
	    errtext_r) != 0)
		return -1;
	idx = imap_pool_alloc_array(s->pool, count + 1, sizeof(*idx));
	if (idx == NULL) {
		*errtext_r = "Too many messages.";
		return -1;
	}
	if (set->searchres) {
		k = msgset_saved(s, idx);
	} else if (uid) {
		max = count > 0 ? mstore_msg(s->box, count - 1)->uid : 0;
		imap_seqset_resolve(set, max);
		k = count > 0 ? msgset_by_uid(s, set, idx) : 0;
	} else {
		if (imap_seqset_highest(set) > count) {
			*errtext_r = "Invalid messageset (message numbers past "
			    "EXISTS).";
			return -1;
		}
		imap_seqset_resolve(set, (uint32_t)count);
		for (imap_seqset_iter_init(&it, set);
		    imap_seqset_iter_next(&it, &v) && v <= count;)
			if (v >= 1)
				idx[k++] = v - 1;
	}
	*idx_r = idx;
	*n_r = k;
	return 0;
}
