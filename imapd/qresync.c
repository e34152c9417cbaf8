/*
 * qresync.c - quick resynchronisation (RFC 7162 3.2): what a client that
 * remembers UIDVALIDITY and a MODSEQ missed, as VANISHED (EARLIER) and
 * FETCH responses.
 *
 * Public (session.h):
 *   imapd_vanished_earlier(s, modseq, limit)  "* VANISHED (EARLIER) set"
 *        of the UIDs expunged after modseq, within limit (a resolved UID
 *        set, or NULL for all UIDs below UIDNEXT).  When the folder's
 *        expunge history does not reach back to modseq, every UID of
 *        limit that the mailbox no longer holds is reported instead, as
 *        RFC 7162 3.2.5.2 allows.
 *   imapd_qresync_select(s, sa)  after SELECT/EXAMINE with QRESYNC: when
 *        the UIDVALIDITY matches, the VANISHED (EARLIER) line, then FETCH
 *        (UID FLAGS MODSEQ) of every message changed after the MODSEQ.
 * Security: the client's sets are bounded by the parser; the work by the
 * view's size and the expunge history's.
 */
#include <stdlib.h>

#include "buf.h"
#include "imap_mbox_args.h"
#include "imap_seqset.h"
#include "mstore.h"
#include "session.h"

/* Ascending order for the expunge history's UIDs. */
static int
qr_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Whether the view holds uid. */
static int
qr_present(const struct imapd_session *s, uint32_t uid)
{
	return mstore_seq_of(s->box, uid) >= 0;
}

/* Append lo:hi (or lo) to the set text. */
static void
qr_range(struct buf *b, uint32_t lo, uint32_t hi)
{
	buf_putf(b, "%s%lu", b->len ? "," : "", (unsigned long)lo);
	if (hi > lo)
		buf_putf(b, ":%lu", (unsigned long)hi);
}

/* The gaps of the view within [lo, hi], as ranges. */
static void
qr_gaps(const struct imapd_session *s, uint32_t lo, uint32_t hi,
    struct buf *b)
{
	size_t n = mstore_count(s->box);
	uint32_t next = lo;

	for (size_t i = 0; i < n && next <= hi; i++) {
		uint32_t uid = mstore_msg(s->box, i)->uid;

		if (uid < next)
			continue;
		if (uid > hi)
			break;
		if (uid > next)
			qr_range(b, next, uid - 1);
		if (uid == UINT32_MAX)
			return;
		next = uid + 1;
	}
	if (next <= hi)
		qr_range(b, next, hi);
}

/* VANISHED (EARLIER) for UIDs expunged after modseq, within limit. */
void
imapd_vanished_earlier(struct imapd_session *s, uint64_t modseq,
    const struct imap_seqset *limit)
{
	struct buf *b = buf_new(128, 0);
	uint32_t *uids = NULL, top = mstore_uidnext(s->box) - 1;
	size_t n = 0;

	if (mstore_vanished_since(s->box, modseq, &uids, &n) == 0) {
		qsort(uids, n, sizeof(*uids), qr_cmp);
		for (size_t i = 0; i < n; i++)
			if (!qr_present(s, uids[i]) && (limit == NULL ||
			    imap_seqset_contains(limit, uids[i])))
				qr_range(b, uids[i], uids[i]);
	} else if (limit == NULL) {
		if (top > 0)
			qr_gaps(s, 1, top, b);
	} else {
		for (size_t r = 0; r < limit->count; r++)
			if (limit->ranges[r].lo <= top)
				qr_gaps(s, limit->ranges[r].lo,
				    limit->ranges[r].hi < top ?
				    limit->ranges[r].hi : top, b);
	}
	if (b->len > 0)
		imapd_reply(s, "* VANISHED (EARLIER) %s", buf_cstr(b));
	free(uids);
	buf_free(&b);
}

/* SELECT ... (QRESYNC (...)): what the client missed. */
void
imapd_qresync_select(struct imapd_session *s,
    const struct imap_select_args *sa)
{
	struct buf *fl;
	size_t n = mstore_count(s->box);
	const struct mstore_msg *m;

	if (sa->uidvalidity != mstore_uidvalidity(s->box))
		return;
	if (sa->known_uids != NULL)
		imap_seqset_resolve(sa->known_uids, mstore_uidnext(s->box) - 1);
	imapd_vanished_earlier(s, sa->modseq, sa->known_uids);
	fl = buf_new(128, 0);
	for (size_t i = 0; i < n; i++) {
		m = mstore_msg(s->box, i);
		if (m->modseq <= sa->modseq)
			continue;	/* known-uids limits VANISHED only */
		imapd_reply(s, "* %zu FETCH (UID %lu FLAGS %s MODSEQ (%llu))",
		    i + 1, (unsigned long)m->uid, imapd_flags_text(s, m, fl),
		    (unsigned long long)m->modseq);
	}
	buf_free(&fl);
}
