/*
 * mstore_sync.c - opening a folder, reading and writing its change log,
 * rebuilding a lost index, compaction, and mstore_sync (what changed
 * since the session's last look).  See mstore.h for the design.
 *
 * Public (mstore.h): mstore_open, mstore_close, mstore_sync,
 * mstore_changes_free.  Internal (mstore_int.h): mstore_open_box,
 * mstore_log_catch_up, mstore_log_add, mstore_commit, mstore_next_modseq,
 * mstore_begin, mstore_end.
 * Transactions: mstore_begin (lock, read the log tail), mstore_log_add
 * (encode an entry and apply it to the state at once), mstore_end (the
 * transaction's uidlist records appended and fdatasync'ed, then one write
 * of all log entries, fdatasync when asked, compaction, unlock).  A
 * failed transaction reloads the state from disk.
 * Returns 0 or -1 with the reason in *errstr_r / the box's error text.
 * Security: runs as the mailbox owner; the index files are untrusted and
 * only ever parsed by mstore_fmt.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "mstore_int.h"

static int mstore_load(struct mstore_box *box);

/* Next MODSEQ to hand out. */
uint64_t
mstore_next_modseq(struct mstore_box *box)
{
	return box->st.highestmodseq + 1;
}

/* Encode an entry into the open transaction and apply it to the state. */
int
mstore_log_add(struct mstore_box *box, const struct mstore_lent *e,
    const char *name, size_t name_len)
{
	struct mstore_lent c = *e;

	ASSERT(box->locked > 0);
	if (mstore_lent_encode(box->pending, e, name, name_len) < 0)
		return -1;
	c.name_len = (uint16_t)name_len;
	return mstore_state_apply(&box->st, &c, name);
}

/* Open the current log; fills hdr; -1 when missing or not a log. */
static int
mstore_log_open(struct mstore_box *box, struct mstore_lhdr *hdr)
{
	struct stat st;
	int fd = openat(box->dirfd, MSTORE_LOG, O_RDWR | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW);

	if (fd < 0)
		return -1;
	if (pread(fd, hdr, sizeof(*hdr), 0) != (ssize_t)sizeof(*hdr) ||
	    hdr->magic != MSTORE_LOG_MAGIC || hdr->hdr_size != sizeof(*hdr) ||
	    hdr->uidvalidity == 0 || fstat(fd, &st) < 0) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if (box->logfd >= 0)
		close(box->logfd);
	box->logfd = fd;
	box->log_dev = st.st_dev;
	box->log_ino = st.st_ino;
	return 0;
}

/* Replace the log by an empty one (lock held); seq, base from st. */
static int
mstore_log_create(struct mstore_box *box, int complete)
{
	struct mstore_lhdr h;

	memset(&h, 0, sizeof(h));
	h.magic = MSTORE_LOG_MAGIC;
	h.hdr_size = sizeof(h);
	h.seq = box->st.log_seq;
	h.uidvalidity = box->st.uidvalidity;
	h.complete = (uint32_t)complete;
	h.base_modseq = box->st.highestmodseq;
	if (mstore_write_atomic(box->dirfd, MSTORE_LOG, &h, sizeof(h), 1) < 0 ||
	    mstore_log_open(box, &h) < 0)
		return -1;
	box->st.log_off = sizeof(h);
	return 0;
}

/* Apply the entries in (p, len); bytes consumed, -1 on a corrupt one. */
static long
mstore_log_apply(struct mstore_box *box, const char *p, size_t len)
{
	size_t off = 0;
	struct mstore_lent e;
	const char *name;
	int n;

	while ((n = mstore_lent_parse(p + off, len - off, &e, &name)) > 0) {
		if (mstore_state_apply(&box->st, &e, name) < 0)
			return -1;
		if (e.type == MSTORE_L_KEYWORDS && mstore_kw_load(box) < 0)
			return -1;
		off += (size_t)n;
	}
	return n < 0 ? -1 : (long)off;
}

/* Read and apply the log from st.log_off to its end. */
static int
mstore_log_read(struct mstore_box *box)
{
	struct stat st;
	char *p;
	size_t len;
	ssize_t r;
	long used;

	if (fstat(box->logfd, &st) < 0)
		return -1;
	if ((uint64_t)st.st_size <= box->st.log_off)
		return 0;
	if ((uint64_t)st.st_size - box->st.log_off > MSTORE_FILE_MAX) {
		errno = EFBIG;
		return -1;
	}
	len = (size_t)((uint64_t)st.st_size - box->st.log_off);
	mstore_state_unlend(&box->st, &box->view);
	p = xmalloc(len);
	r = pread(box->logfd, p, len, (off_t)box->st.log_off);
	used = r < 0 ? -1 : mstore_log_apply(box, p, (size_t)r);
	free(p);
	if (used < 0 && box->locked) {
		uint64_t now = (uint64_t)mstore_now_ns() / 1000;

		log_warn("mstore: %s: torn log tail at %llu cut off", box->path,
		    (unsigned long long)box->st.log_off);
		/* entries cut off may have shown MODSEQs: go past them all */
		if (box->st.highestmodseq < now)
			box->st.highestmodseq = now;
		used = 0;
		if (ftruncate(box->logfd, (off_t)box->st.log_off) < 0)
			return -1;
	}
	if (used < 0)
		return 0;	/* a writer will cut the tail under the lock */
	if (box->locked && r == (ssize_t)len && (size_t)used < len) {
		/* Under the lock no writer is busy: an incomplete last entry
		 * is a write that failed (ENOSPC) or died, never confirmed;
		 * the next append must not land behind it. */
		log_warn("mstore: %s: incomplete log entry at %llu cut off",
		    box->path, (unsigned long long)box->st.log_off +
		    (unsigned long long)used);
		if (ftruncate(box->logfd, (off_t)(box->st.log_off +
		    (uint64_t)used)) < 0)
			return -1;
	}
	box->st.log_off += (uint64_t)used;
	mstore_state_compact(&box->st);
	return 0;
}

/* Bring the state up to the log's end, following a rotation. */
int
mstore_log_catch_up(struct mstore_box *box)
{
	struct stat st;
	struct mstore_lhdr h;
	uint64_t seq = box->st.log_seq;

	if (box->logfd < 0) {
		mstore_state_unlend(&box->st, &box->view);
		return mstore_load(box);
	}
	if (mstore_log_read(box) < 0)
		return -1;
	if (fstatat(box->dirfd, MSTORE_LOG, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_ino == box->log_ino && st.st_dev == box->log_dev)
		return 0;
	if (mstore_log_open(box, &h) < 0 || h.seq != seq + 1 ||
	    h.uidvalidity != box->st.uidvalidity) {
		mstore_state_unlend(&box->st, &box->view);
		return mstore_load(box);
	}
	box->st.log_seq = h.seq;
	box->st.log_off = sizeof(h);
	return mstore_log_read(box);
}

/* Rebuild the index from the uidlist and a scan (lock held). */
static int
mstore_rebuild(struct mstore_box *box, uint64_t seq, int existed)
{
	struct buf *b;
	uint32_t uv, next;
	uint64_t hms = box->st.highestmodseq, now = (uint64_t)mstore_now_ns() / 1000;

	if (existed && faccessat(box->dirfd, MSTORE_UIDLIST, F_OK, 0) < 0 &&
	    faccessat(box->dirfd, MSTORE_DC_UIDLIST, F_OK, 0) < 0)
		log_warn("mstore: %s: UID map and index lost: new UIDVALIDITY, "
		    "clients will download the folder again", box->path);
	if (mstore_uidlist_init(box) < 0 ||
	    mstore_read_all(box->dirfd, MSTORE_UIDLIST, MSTORE_FILE_MAX, &b) < 0)
		return -1;
	if (mstore_uidlist_parse(b->data, b->len, &uv, &next, NULL, NULL) < 0) {
		log_warn("mstore: %s: petrel-uidlist unreadable, moved aside; "
		    "UIDVALIDITY changes", box->path);
		buf_free(&b);
		if (renameat(box->dirfd, MSTORE_UIDLIST, box->dirfd,
		    MSTORE_UIDLIST ".broken") < 0 || mstore_uidlist_init(box) < 0)
			return -1;
		return mstore_rebuild(box, seq, existed);
	}
	buf_free(&b);
	(void)unlinkat(box->dirfd, MSTORE_INDEX, 0);
	mstore_state_clear(&box->st);
	box->st.uidvalidity = uv;
	box->st.highestmodseq = hms > now ? hms : now;
	box->st.van_floor = box->st.highestmodseq;
	box->st.log_seq = seq;
	if (mstore_log_create(box, 1) < 0 || mstore_scan(box) < 0)
		return -1;
	if (existed)
		log_warn("mstore: %s: index rebuilt from the maildir "
		    "(UIDVALIDITY %u kept)", box->path, uv);
	return 0;
}

/* Load the snapshot and the log when they fit together; 1 when loaded,
 * 0 when the caller must repair under the lock, -1 on error. */
static int
mstore_load_try(struct mstore_box *box, struct mstore_lhdr *h, int *snap_r,
    int *log_r)
{
	struct mstore_map *map = NULL;

	*snap_r = 0;
	if (mstore_map_file(box->dirfd, MSTORE_INDEX, MSTORE_FILE_MAX, &map) == 0) {
		*snap_r = mstore_snapshot_parse(map->addr, map->len, &box->st) == 0;
		if (*snap_r)
			box->st.map = map;	/* st now points into it */
		else
			mstore_map_unref(&map);
	}
	if (!*snap_r)
		mstore_state_clear(&box->st);
	*log_r = mstore_log_open(box, h) == 0;
	if (*log_r && *snap_r && h->seq == box->st.log_seq &&
	    h->uidvalidity == box->st.uidvalidity)
		return mstore_log_read(box) < 0 ? -1 : 1;
	if (*log_r && !*snap_r && h->complete) {
		box->st.uidvalidity = h->uidvalidity;
		box->st.highestmodseq = h->base_modseq;
		box->st.van_floor = h->base_modseq;
		box->st.log_seq = h->seq;
		box->st.log_off = sizeof(*h);
		return mstore_log_read(box) < 0 ? -1 : 1;
	}
	return 0;
}

/* Load the snapshot (if usable) and the log; repair or rebuild under the
 * lock when they fail (after looking again: another process may just have
 * done it). */
static int
mstore_load(struct mstore_box *box)
{
	struct mstore_lhdr h;
	int snap, log, r, existed;

	existed = faccessat(box->dirfd, MSTORE_INDEX, F_OK, 0) == 0 ||
	    faccessat(box->dirfd, MSTORE_LOG, F_OK, 0) == 0;
	if ((r = mstore_load_try(box, &h, &snap, &log)) != 0)
		return r < 0 ? -1 : 0;
	if (mstore_lock(box) < 0)
		return -1;
	if ((r = mstore_load_try(box, &h, &snap, &log)) != 0) {
		mstore_unlock(box);
		return r < 0 ? -1 : 0;
	}
	if (snap && (!log || h.seq < box->st.log_seq)) {
		uint64_t now = (uint64_t)mstore_now_ns() / 1000;
		if (box->st.highestmodseq < now)
			box->st.highestmodseq = now;
		r = mstore_log_create(box, 0);
	} else
		r = mstore_rebuild(box, log ? h.seq + 1 : 1, existed);
	if (r == 0)
		r = mstore_commit(box, 1);
	mstore_unlock(box);
	return r;
}

/* Write a new snapshot and start the next log when the log is long; the
 * uidlist is rewritten first when most of its records are dead. */
static int
mstore_compact(struct mstore_box *box)
{
	struct buf *b;
	size_t min = box->st.count * sizeof(struct mstore_msg);
	uint64_t seq = box->st.log_seq, off = box->st.log_off;
	int r;

	if (box->st.log_off < MSTORE_LOG_MIN_COMPACT || box->st.log_off < min)
		return 0;
	mstore_state_compact(&box->st);
	if (box->st.uidlist_size > 65536 && box->st.uidlist_size / 2 >
	    box->st.count * 80 && mstore_uidlist_rewrite(box) < 0)
		log_warn("mstore: %s: uidlist rewrite failed: %s", box->path,
		    strerror(errno));
	box->st.log_seq++;
	box->st.log_off = sizeof(struct mstore_lhdr);
	b = buf_new(min + 4096, 0);
	r = mstore_snapshot_encode(&box->st, b);
	if (r == 0)
		r = mstore_write_atomic(box->dirfd, MSTORE_INDEX, b->data, b->len,
		    1);
	buf_free(&b);
	if (r < 0) {
		box->st.log_seq = seq;	/* nothing changed on disk */
		box->st.log_off = off;
		return -1;
	}
	if (mstore_log_create(box, 0) < 0) {
		close(box->logfd);	/* the next catch-up reloads */
		box->logfd = -1;
		return -1;
	}
	return 0;
}

/* Write the open transaction's entries to the log (lock held). */
int
mstore_commit(struct mstore_box *box, int sync)
{
	struct buf *p = box->pending;

	ASSERT(box->locked > 0);
	if (p->len == 0)
		return 0;
	if (mstore_write_full(box->logfd, p->data, p->len) < 0 ||
	    (sync && fdatasync(box->logfd) < 0)) {
		mstore_err(box, "write index log", errno);
		buf_reset(p);
		/* A short write (ENOSPC) must not stay in front of the next
		 * writer's entries: cut it while the lock is still ours. */
		if (ftruncate(box->logfd, (off_t)box->st.log_off) < 0)
			log_warn("mstore: %s: cannot cut a failed log write: %s",
			    box->path, strerror(errno));
		return -1;
	}
	box->st.log_off += p->len;
	buf_reset(p);
	mstore_state_compact(&box->st);
	if (mstore_compact(box) < 0)
		log_warn("mstore: %s: index compaction failed: %s", box->path,
		    strerror(errno));
	return 0;
}

/* Start a transaction: lock and catch up with the log. */
int
mstore_begin(struct mstore_box *box)
{
	if (mstore_lock(box) < 0) {
		mstore_err(box, "lock folder", errno);
		return -1;
	}
	buf_reset(box->pending);
	buf_reset(box->uidrecs);
	mstore_state_unlend(&box->st, &box->view);	/* the state may change */
	if (mstore_log_catch_up(box) < 0) {
		mstore_err(box, "read index log", errno);
		mstore_unlock(box);
		return -1;
	}
	box->pre_new = mstore_dir_mtime(box->newfd);
	box->pre_cur = mstore_dir_mtime(box->curfd);
	return 0;
}

/* After our own changes: where the state matched a directory before, it
 * matches its new mtime too (recorded as not yet safe, so one scan checks
 * it once the slack has passed); where it did not, a scan stays due. */
static int
mstore_own_dirsync(struct mstore_box *box)
{
	int64_t post_new = mstore_dir_mtime(box->newfd);
	int64_t post_cur = mstore_dir_mtime(box->curfd);
	struct mstore_lent e;

	if (box->pending->len == 0 || (post_new == box->pre_new &&
	    post_cur == box->pre_cur))
		return 0;
	memset(&e, 0, sizeof(e));
	e.type = MSTORE_L_DIRSYNC;
	e.uid = box->st.uidnext;
	e.a = box->st.uidlist_size;
	e.b = box->st.new_mtime;
	e.c = box->st.cur_mtime;
	e.flags = (uint8_t)box->st.safe;
	if (box->pre_new == box->st.new_mtime && post_new != box->pre_new) {
		e.b = post_new;
		e.flags &= (uint8_t)~1u;
	}
	if (box->pre_cur == box->st.cur_mtime && post_cur != box->pre_cur) {
		e.c = post_cur;
		e.flags &= (uint8_t)~2u;
	}
	return mstore_log_add(box, &e, NULL, 0);
}

/* End a transaction: commit when ok, else forget and reload; unlock. */
int
mstore_end(struct mstore_box *box, int ok, int sync)
{
	int r = ok ? mstore_own_dirsync(box) : -1;

	if (r == 0 && box->uidrecs->len > 0 &&	/* UIDs durable before shown */
	    (r = mstore_uidlist_append(box, box->uidrecs)) < 0)
		mstore_err(box, "write uidlist", errno);
	buf_reset(box->uidrecs);
	if (r == 0)
		r = mstore_commit(box, sync);

	if (r < 0) {
		buf_reset(box->pending);
		if (mstore_load(box) < 0)
			log_warn("mstore: %s: reload failed", box->path);
	}
	mstore_unlock(box);
	return r;
}
