/*
 * mstore_view.c - the session's own changes, taken into its view at once.
 *
 * Public (mstore.h): mstore_view_take(box, uid) - after this session's
 * STORE (or the \Seen a FETCH sets) the session reports the new flags
 * itself; copying the current flags, keywords and MODSEQ of uid into the
 * view means the next mstore_sync does not report them a second time.
 * Returns the view's record, or NULL when uid is not in both the view
 * and the current state (expunged meanwhile).  Nothing else of the view
 * changes: expunges and new messages still wait for mstore_sync.
 * Security: no input from outside; indexes come from the binary search.
 */
#include "mstore_int.h"

/* Bring uid's flags, keywords and MODSEQ into the view. */
const struct mstore_msg *
mstore_view_take(struct mstore_box *box, uint32_t uid)
{
	long i = mstore_state_find(&box->view, uid);
	long j = mstore_state_find(&box->st, uid);
	struct mstore_msg *v;
	const struct mstore_msg *c;

	if (i < 0 || j < 0)
		return NULL;
	v = &box->view.msgs[i];
	c = &box->st.msgs[j];
	v->flags = (uint8_t)((v->flags & ~MSTORE_F_ALL) | (c->flags & MSTORE_F_ALL));
	v->kw = c->kw;
	v->modseq = c->modseq;
	return v;
}
