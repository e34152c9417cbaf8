/*
 * mstore_ops.c - changes to a selected folder: STORE (rename with the
 * flag letters), EXPUNGE (unlink), and opening a message file by UID.
 * APPEND, COPY and MOVE are in mstore_copy.c.
 *
 * Public (mstore.h): mstore_store, mstore_expunge, mstore_open_msg;
 * internal mstore_expunge_uids.
 * Each change runs as one transaction (mstore_begin/mstore_end) and
 * returns only after the log (and for new UIDs the uidlist) has been
 * fdatasync'ed: on ext4/XFS that journal commit carries the renames and
 * unlinks done before it.  A file renamed by someone else meanwhile is
 * found again by its base name (mstore_find_file); a file gone is left to
 * the next scan to report as expunged.
 * Returns 0 or -1 with *errstr_r.
 * Security: runs as the mailbox owner; names are built from the index and
 * never contain '/'.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "mstore_int.h"

/* The directory fd holding m's file. */
static int
mstore_msg_dir(const struct mstore_box *box, const struct mstore_msg *m)
{
	return (m->flags & MSTORE_F_NEWDIR) ? box->newfd : box->curfd;
}

/* Copy m's file name into out (NUL-terminated). */
static void
mstore_name_copy(const struct mstore_box *box, const struct mstore_msg *m,
    char *out)
{
	memcpy(out, mstore_state_name(&box->st, m), m->name_len);
	out[m->name_len] = '\0';
}

/* New flags and keywords of one message for a STORE. */
static void
mstore_new_flags(const struct mstore_msg *m, enum mstore_store_mode mode,
    unsigned flags, uint32_t mask, uint8_t *f_r, uint32_t *kw_r)
{
	uint8_t f = m->flags & MSTORE_F_ALL;

	flags &= MSTORE_F_ALL;
	if (mode == MSTORE_ADD) {
		*f_r = (uint8_t)(f | flags);
		*kw_r = m->kw | mask;
	} else if (mode == MSTORE_REMOVE) {
		*f_r = (uint8_t)(f & ~flags);
		*kw_r = m->kw & ~mask;
	} else {
		*f_r = (uint8_t)flags;
		*kw_r = mask;
	}
}

/* STORE one UID (lock held); 1 = failed UNCHANGEDSINCE.  A file renamed
 * by someone else is found again and its new flags are the base of ours. */
static int
mstore_store_one(struct mstore_box *box, uint32_t uid,
    enum mstore_store_mode mode, unsigned flags, uint32_t mask,
    uint64_t unchangedsince)
{
	long i = mstore_state_find(&box->st, uid);
	struct mstore_msg *m;
	struct mstore_lent e;
	char from[MSTORE_FNAME_MAX + 1], to[MSTORE_FNAME_MAX + 40];

	if (i < 0)
		return 0;	/* expunged meanwhile */
	m = &box->st.msgs[i];
	for (int tries = 0; tries < 2; tries++) {
		if (unchangedsince != 0 && m->modseq > unchangedsince)
			return 1;
		memset(&e, 0, sizeof(e));
		mstore_new_flags(m, mode, flags, mask, &e.flags, &e.kw);
		if (e.flags == (m->flags & MSTORE_F_ALL) && e.kw == m->kw)
			return 0;
		mstore_name_copy(box, m, from);
		if (mstore_flag_name(from, m->name_len, e.flags, e.kw, to,
		    sizeof(to)) < 0) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (renameat(mstore_msg_dir(box, m), from, box->curfd, to) == 0) {
			e.type = MSTORE_L_UPDATE;
			e.uid = uid;
			e.modseq = mstore_next_modseq(box);
			return mstore_log_add(box, &e, to, strlen(to));
		}
		if (errno != ENOENT)
			return -1;
		if (mstore_refind(box, m) < 0)
			return errno == ENOENT ? 0 : -1;
	}
	return 0;
}

/* STORE flags/keywords on a set of UIDs (see mstore.h). */
int
mstore_store(struct mstore_box *box, const uint32_t *uids, size_t n,
    enum mstore_store_mode mode, unsigned flags, const char *const *kw,
    size_t nkw, uint64_t unchangedsince, uint32_t **failed_r,
    size_t *nfailed_r, const char **errstr_r)
{
	uint32_t mask = 0;
	int r = 0;

	*failed_r = NULL;
	*nfailed_r = 0;
	if (mstore_begin(box) < 0) {
		*errstr_r = box->errbuf;
		return -1;
	}
	if (mstore_kw_lookup(box, kw, nkw, &mask) < 0)
		r = -1;
	for (size_t k = 0; k < n && r >= 0; k++) {
		r = mstore_store_one(box, uids[k], mode, flags, mask,
		    unchangedsince);
		if (r == 1) {
			*failed_r = xreallocarray(*failed_r, *nfailed_r + 1,
			    sizeof(**failed_r));
			(*failed_r)[(*nfailed_r)++] = uids[k];
			r = 0;
		} else if (r < 0 && box->errbuf[0] == '\0')
			mstore_err(box, "store flags", errno);
	}
	if (r < 0 && errno != 0)
		mstore_err(box, "store flags", errno);
	if (mstore_end(box, r == 0, 1) < 0 || r < 0) {
		*errstr_r = box->errbuf;
		free(*failed_r);
		*failed_r = NULL;
		*nfailed_r = 0;
		return -1;
	}
	return 0;
}

/* Unlink m's file and log the expunge (lock held). */
static int
mstore_expunge_one(struct mstore_box *box, struct mstore_msg *m)
{
	char name[MSTORE_FNAME_MAX + 1];
	struct mstore_lent e;

	for (int tries = 0; tries < 2; tries++) {
		mstore_name_copy(box, m, name);
		if (unlinkat(mstore_msg_dir(box, m), name, 0) == 0 ||
		    errno != ENOENT)
			break;
		if (mstore_refind(box, m) < 0) {
			if (errno != ENOENT)
				return -1;
			errno = 0;
			break;
		}
	}
	if (errno != 0 && errno != ENOENT)
		return -1;
	memset(&e, 0, sizeof(e));
	e.type = MSTORE_L_EXPUNGE;
	e.uid = m->uid;
	e.modseq = mstore_next_modseq(box);
	return mstore_log_add(box, &e, NULL, 0);
}

/* Expunge messages among uids (all when NULL): \Deleted ones, or every
 * one when force (MOVE). */
int
mstore_expunge_uids(struct mstore_box *box, const uint32_t *uids, size_t n,
    int force, const char **errstr_r)
{
	int r = 0;

	if (mstore_begin(box) < 0) {
		*errstr_r = box->errbuf;
		return -1;
	}
	if (uids == NULL)
		n = box->st.count;
	for (size_t k = 0; k < n && r == 0; k++) {
		long i = uids == NULL ? (long)k : mstore_state_find(&box->st,
		    uids[k]);
		struct mstore_msg *m = i >= 0 ? &box->st.msgs[i] : NULL;

		errno = 0;
		if (m != NULL && (force || (m->flags & MSTORE_F_DELETED)) &&
		    !(m->flags & MSTORE_F_GONE))
			r = mstore_expunge_one(box, m);
	}
	if (r < 0)
		mstore_err(box, "expunge", errno);
	if (mstore_end(box, r == 0, 1) < 0 || r < 0) {
		*errstr_r = box->errbuf;
		return -1;
	}
	return 0;
}

/* EXPUNGE / UID EXPUNGE: \Deleted messages, all or those among uids. */
int
mstore_expunge(struct mstore_box *box, const uint32_t *uids, size_t n,
    const char **errstr_r)
{
	return mstore_expunge_uids(box, uids, n, 0, errstr_r);
}

/* Open a message's file read-only by UID, following renames (the scan
 * that the rename's mtime change triggers records it). */
int
mstore_open_msg(struct mstore_box *box, uint32_t uid, int *fd_r,
    const char **errstr_r)
{
	long i = mstore_state_find(&box->st, uid);
	char name[MSTORE_FNAME_MAX + 1];
	int dfd, innew;

	*errstr_r = "message has been expunged";
	if (i < 0)
		return -1;
	mstore_name_copy(box, &box->st.msgs[i], name);
	dfd = mstore_msg_dir(box, &box->st.msgs[i]);
	for (int tries = 0; tries < 2; tries++) {
		*fd_r = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (*fd_r >= 0)
			return 0;
		if (errno != ENOENT) {
			*errstr_r = mstore_err(box, "open message", errno);
			return -1;
		}
		if (mstore_find_file(box, &box->st.msgs[i], name, &innew) < 0)
			return -1;
		dfd = innew ? box->newfd : box->curfd;
	}
	return -1;
}
