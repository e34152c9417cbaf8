/*
 * mstore_box.c - a selected folder as the session sees it: open and close,
 * mstore_sync (catch up, scan only when new/ or cur/ changed, claim
 * \Recent, report the difference to the session's view), and the
 * read-only accessors of the view.
 *
 * Public (mstore.h): mstore_open, mstore_close, mstore_sync,
 * mstore_changes_free, mstore_count, mstore_msg, mstore_seq_of,
 * mstore_msg_name, mstore_is_recent, mstore_uidvalidity, mstore_uidnext,
 * mstore_highestmodseq, mstore_box_status, mstore_vanished_since,
 * mstore_status, mstore_keyword_count, mstore_keyword_name; internal
 * mstore_open_box (which also removes what killed writers left in the
 * folder: maildir_clean_stale).
 * The view changes only in mstore_sync, so sequence numbers stay stable
 * between the session's syncs even when this session expunged.
 * Returns 0 or -1 with *errstr_r.
 * Security: runs as the mailbox owner; folder names are checked by
 * mstore_folder_path before any path is built.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "alloc.h"
#include "maildir.h"
#include "mstore_int.h"

/* Free a box. */
void
mstore_close(struct mstore_box **boxp)
{
	struct mstore_box *box = *boxp;

	if (box == NULL)
		return;
	*boxp = NULL;
	for (int *fd = &box->dirfd; fd <= &box->curfd; fd++)
		if (*fd >= 0)
			close(*fd);
	if (box->lockfd >= 0)
		close(box->lockfd);
	if (box->logfd >= 0)
		close(box->logfd);
	if (box->cachefd >= 0)
		close(box->cachefd);
	mstore_state_free(&box->view);
	box->st.lent = 0;	/* the view that borrowed is gone */
	mstore_state_free(&box->st);
	buf_free(&box->pending);
	buf_free(&box->uidrecs);
	mstore_kw_clear(&box->kw);
	free(box->recent);
	free(box->path);
	free(box);
}

/* Free what mstore_sync returned. */
void
mstore_changes_free(struct mstore_changes *ch)
{
	free(ch->new_uids);
	free(ch->expunged);
	free(ch->changed);
	memset(ch, 0, sizeof(*ch));
}

/* 1 when new/ or cur/ may hold changes the state does not reflect: the
 * mtime differs, or the recorded one was taken within MSTORE_MTIME_SLACK
 * of a change (a coarse mtime could hide a second change in the same
 * tick) and that time has now passed: one scan then confirms it. */
static int
mstore_need_scan(struct mstore_box *box)
{
	int64_t now = mstore_now_ns();

	return mstore_dir_mtime(box->newfd) != box->st.new_mtime ||
	    mstore_dir_mtime(box->curfd) != box->st.cur_mtime ||
	    (!(box->st.safe & 1) && now - box->st.new_mtime > MSTORE_MTIME_SLACK) ||
	    (!(box->st.safe & 2) && now - box->st.cur_mtime > MSTORE_MTIME_SLACK);
}

/* 1 when this RDWR session should claim \Recent UIDs. */
static int
mstore_need_recent(const struct mstore_box *box)
{
	return (box->flags & MSTORE_RDWR) && box->st.count > 0 &&
	    box->st.msgs[box->st.count - 1].uid >= box->st.first_recent;
}

/* Claim [first_recent, uidnext) as our \Recent UIDs (lock held). */
static int
mstore_claim_recent(struct mstore_box *box)
{
	struct mstore_lent e;
	uint32_t lo = box->st.first_recent > 0 ? box->st.first_recent : 1;

	if (!mstore_need_recent(box))
		return 0;
	box->recent = xreallocarray(box->recent, box->nrecent + 1,
	    sizeof(*box->recent));
	box->recent[box->nrecent].lo = lo;
	box->recent[box->nrecent++].hi = box->st.uidnext;
	memset(&e, 0, sizeof(e));
	e.type = MSTORE_L_RECENT;
	e.uid = box->st.uidnext;
	return mstore_log_add(box, &e, NULL, 0);
}

/* 1 when a RDWR session finds messages still in new/. */
static int
mstore_need_move(const struct mstore_box *box)
{
	if (!(box->flags & MSTORE_RDWR))
		return 0;
	for (size_t i = 0; i < box->st.count; i++)
		if (box->st.msgs[i].flags & MSTORE_F_NEWDIR)
			return 1;
	return 0;
}

/* Move known messages from new/ to cur/ (RDWR, lock held). */
static int
mstore_move_new(struct mstore_box *box)
{
	struct mstore_lent e;
	char from[MSTORE_FNAME_MAX + 1], to[MSTORE_FNAME_MAX + 8];

	for (size_t i = 0; i < box->st.count; i++) {
		struct mstore_msg *m = &box->st.msgs[i];

		if (!(m->flags & MSTORE_F_NEWDIR))
			continue;
		memcpy(from, mstore_state_name(&box->st, m), m->name_len);
		from[m->name_len] = '\0';
		if (mstore_flag_name(from, m->name_len, m->flags & MSTORE_F_ALL,
		    m->kw, to, sizeof(to)) < 0 ||
		    renameat(box->newfd, from, box->curfd, to) < 0)
			continue;	/* gone or renamed: the next scan sees */
		memset(&e, 0, sizeof(e));
		e.type = MSTORE_L_UPDATE;
		e.uid = m->uid;
		e.flags = m->flags & MSTORE_F_ALL;
		e.kw = m->kw;
		e.modseq = m->modseq;
		if (mstore_log_add(box, &e, to, strlen(to)) < 0)
			return -1;
	}
	return 0;
}

/* Catch up, scan when needed, claim \Recent; the state is then current. */
static int
mstore_refresh(struct mstore_box *box)
{
	int r;

	if (mstore_log_catch_up(box) < 0) {
		mstore_err(box, "read index log", errno);
		return -1;
	}
	if (!mstore_need_scan(box) && !mstore_need_recent(box) &&
	    !mstore_need_move(box))
		return 0;
	if (mstore_begin(box) < 0)
		return -1;
	r = mstore_need_scan(box) ? mstore_scan(box) : 0;
	if (r == 0 && mstore_need_move(box))
		r = mstore_move_new(box);
	if (r == 0)
		r = mstore_claim_recent(box);
	return mstore_end(box, r == 0, 1);
}

/* Sync the folder and report what changed since the last sync. */
int
mstore_sync(struct mstore_box *box, struct mstore_changes *ch_r,
    const char **errstr_r)
{
	memset(ch_r, 0, sizeof(*ch_r));
	if (mstore_refresh(box) < 0) {
		*errstr_r = box->errbuf;
		return -1;
	}
	if (box->view.log_seq == box->st.log_seq &&
	    box->view.log_off == box->st.log_off)
		return 0;
	if (box->view.uidvalidity != 0)	/* else the first sync, at open */
		mstore_state_diff(&box->view, &box->st, ch_r);
	mstore_state_lend(&box->view, &box->st);
	return 0;
}

/* The UID map is gone but the index knows every UID: write it again from
 * the index rather than change UIDVALIDITY (mstore_scan would otherwise
 * find no uidlist to read). */
static int
mstore_uidlist_recover(struct mstore_box *box)
{
	int r;

	if (faccessat(box->dirfd, MSTORE_UIDLIST, F_OK, 0) == 0 ||
	    box->st.uidvalidity == 0 || mstore_begin(box) < 0)
		return 0;
	r = 0;
	if (faccessat(box->dirfd, MSTORE_UIDLIST, F_OK, 0) < 0 &&
	    errno == ENOENT) {
		log_warn("mstore: %s: petrel-uidlist missing, written again from "
		    "the index (UIDVALIDITY %u kept)", box->path,
		    box->st.uidvalidity);
		box->st.uidlist_size = 0;
		r = mstore_uidlist_write(box, box->st.uidnext);
	}
	if (mstore_end(box, r == 0, 1) < 0)
		r = -1;
	return r;
}

/* Sync as mstore_sync does, unless something in the view was expunged:
 * then nothing is taken into the view and 1 is returned (the session may
 * not announce expunges now, and a view must not show new messages or
 * flags without the expunges before them).  0 synced, -1 error. */
int
mstore_sync_unless_expunged(struct mstore_box *box, struct mstore_changes *ch_r,
    const char **errstr_r)
{
	memset(ch_r, 0, sizeof(*ch_r));
	if (mstore_refresh(box) < 0) {
		*errstr_r = box->errbuf;
		return -1;
	}
	if (box->view.log_seq == box->st.log_seq &&
	    box->view.log_off == box->st.log_off)
		return 0;
	mstore_state_diff(&box->view, &box->st, ch_r);
	if (ch_r->n_expunged > 0) {
		mstore_changes_free(ch_r);
		memset(ch_r, 0, sizeof(*ch_r));
		return 1;
	}
	mstore_state_lend(&box->view, &box->st);
	return 0;
}

/* The error text of a box about to be freed, kept where it outlives the
 * box (the caller reports it after mstore_close). */
static const char *
mstore_open_failed(struct mstore_box *box, const char *what, int err)
{
	static char text[sizeof(box->errbuf)];

	snprintf(text, sizeof(text), "%s", box->errbuf[0] ? box->errbuf :
	    mstore_err(box, what, err));
	return text;
}

/* Open the folder directory at path (see mstore_open). */
int
mstore_open_box(const char *path, unsigned flags, struct mstore_box **box_r,
    const char **errstr_r)
{
	struct mstore_box *box = xcalloc(1, sizeof(*box));
	struct mstore_changes ch;

	box->path = xstrdup(path);
	box->flags = flags;
	box->lockfd = box->logfd = box->cachefd = -1;
	box->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	box->newfd = box->dirfd < 0 ? -1 : openat(box->dirfd, "new",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	box->curfd = box->dirfd < 0 ? -1 : openat(box->dirfd, "cur",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	mstore_state_init(&box->st);
	mstore_state_init(&box->view);
	box->pending = buf_new(4096, 0);
	box->uidrecs = buf_new(1024, 0);
	if (box->curfd < 0 || box->newfd < 0) {
		*errstr_r = errno == ENOENT ? "no such mailbox" :
		    mstore_open_failed(box, "open mailbox", errno);
		mstore_close(&box);
		return -1;
	}
	/* what killed sessions and deliveries left (maildir_clean.c) */
	(void)maildir_clean_stale(box->dirfd, time(NULL));
	if (mstore_kw_load(box) < 0 || mstore_log_catch_up(box) < 0 ||
	    mstore_uidlist_recover(box) < 0 || mstore_sync(box, &ch, errstr_r) < 0) {
		*errstr_r = mstore_open_failed(box, "open mailbox", errno);
		mstore_close(&box);
		return -1;
	}
	mstore_changes_free(&ch);
	*box_r = box;
	return 0;
}

/* Open (select) a folder by name. */
int
mstore_open(const char *root, const char *name, unsigned flags,
    struct mstore_box **box_r, const char **errstr_r)
{
	char *path;
	int r;

	if (mstore_folder_path(root, name, &path, errstr_r) < 0)
		return -1;
	r = mstore_open_box(path, flags, box_r, errstr_r);
	free(path);
	return r;
}

/* Messages in the view. */
size_t
mstore_count(const struct mstore_box *box)
{
	return box->view.count;
}

/* Record i (0-based sequence) of the view. */
const struct mstore_msg *
mstore_msg(const struct mstore_box *box, size_t i)
{
	return i < box->view.count ? &box->view.msgs[i] : NULL;
}

/* 0-based sequence of uid in the view, or -1. */
long
mstore_seq_of(const struct mstore_box *box, uint32_t uid)
{
	return mstore_state_find(&box->view, uid);
}

/* File name of a view record (NUL-terminated, valid until the next sync). */
const char *
mstore_msg_name(const struct mstore_box *box, const struct mstore_msg *m)
{
	return mstore_state_name(&box->view, m);
}

/* 1 if uid is \Recent in this session. */
int
mstore_is_recent(const struct mstore_box *box, uint32_t uid)
{
	for (size_t i = 0; i < box->nrecent; i++)
		if (uid >= box->recent[i].lo && uid < box->recent[i].hi)
			return 1;
	return 0;
}

/* UIDVALIDITY of the folder. */
uint32_t
mstore_uidvalidity(const struct mstore_box *box)
{
	return box->view.uidvalidity;
}

/* UIDNEXT as of the view. */
uint32_t
mstore_uidnext(const struct mstore_box *box)
{
	return box->view.uidnext;
}

/* HIGHESTMODSEQ as of the view. */
uint64_t
mstore_highestmodseq(const struct mstore_box *box)
{
	return box->view.highestmodseq;
}

/* STATUS values from the current state (no message file read). */
void
mstore_box_status(const struct mstore_box *box, struct mstore_status *st_r)
{
	const struct mstore_state *st = &box->st;

	memset(st_r, 0, sizeof(*st_r));
	for (size_t i = 0; i < st->count; i++) {
		const struct mstore_msg *m = &st->msgs[i];

		st_r->messages++;
		st_r->unseen += !(m->flags & MSTORE_F_SEEN);
		st_r->deleted += (m->flags & MSTORE_F_DELETED) != 0;
		st_r->recent += m->uid >= st->first_recent;
		st_r->size += m->vsize;
	}
	st_r->uidnext = st->uidnext;
	st_r->uidvalidity = st->uidvalidity;
	st_r->highestmodseq = st->highestmodseq;
}

/* STATUS of a folder by name (opened read-only, synced, closed). */
int
mstore_status(const char *root, const char *name, struct mstore_status *st_r,
    const char **errstr_r)
{
	struct mstore_box *box;

	if (mstore_open(root, name, 0, &box, errstr_r) < 0)
		return -1;
	mstore_box_status(box, st_r);
	mstore_close(&box);
	return 0;
}

/* Order UIDs. */
static int
mstore_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* UIDs expunged after modseq (QRESYNC), ascending; 1 when the history
 * does not reach back that far (the session then answers from the
 * client's known UIDs, RFC 7162 3.2.5.2). */
int
mstore_vanished_since(const struct mstore_box *box, uint64_t modseq,
    uint32_t **uids_r, size_t *n_r)
{
	const struct mstore_state *st = &box->view;
	size_t n = 0;

	*uids_r = NULL;
	*n_r = 0;
	if (modseq < st->van_floor)
		return 1;
	*uids_r = xcalloc(st->nvan + 1, sizeof(**uids_r));
	for (size_t i = 0; i < st->nvan; i++)
		if (st->van[i].modseq > modseq)
			(*uids_r)[n++] = st->van[i].uid;
	qsort(*uids_r, n, sizeof(**uids_r), mstore_u32_cmp);
	*n_r = n;
	return 0;
}

/* Number of keyword slots (some may be unnamed). */
size_t
mstore_keyword_count(const struct mstore_box *box)
{
	return box->kw.count;
}

/* Name of keyword i, or NULL. */
const char *
mstore_keyword_name(const struct mstore_box *box, size_t i)
{
	return i < box->kw.count ? box->kw.names[i] : NULL;
}
