/*
 * mstore_copy.c - new messages in a selected folder: APPEND (through
 * maildir_deliver, common/maildir.c), COPY (hard links, copying the file
 * when the filesystem refuses a link) and MOVE (COPY, then expunge in the
 * source).
 *
 * Public (mstore.h): mstore_append, mstore_copy, mstore_move.
 * Durability: maildir_deliver returns with the file fsynced in new/; then,
 * under the destination's lock, INTERNALDATE is set (utimensat), the file
 * renamed into cur/ with its flags, the UID record appended to the
 * uidlist and fdatasync'ed, and the APPEND log entry written and
 * fdatasync'ed (one journal commit on ext4/XFS for all of it).  A copy's
 * name is "<sec>.V<dev>I<ino>M<usec>P<pid>Q<n>.<host>,S=<size>,W=<vsize>"
 * (maildir.c's shape plus P/Q, since a hard link shares dev/ino).
 * Returns 0 or -1 with *errstr_r; on failure no half-made message stays.
 * Security: runs as the mailbox owner; the message stream is untrusted
 * but only copied.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "alloc.h"
#include "mstore_int.h"
#include "unnamed.h"

static unsigned long mstore_copy_counter;

struct mstore_newmsg {
	uint8_t flags;
	uint32_t kw;
	int64_t idate;
	uint64_t vsize;
	char name[MSTORE_FNAME_MAX + 1];	/* in cur/ */
};

/* Give a file now in cur/ a UID: a uidlist record for the end of the
 * transaction (synced before the log), and the APPEND entry. */
static int
mstore_add_uid(struct mstore_box *box, const struct mstore_newmsg *nm,
    uint32_t *uid_r)
{
	struct mstore_lent e;
	size_t nlen = strlen(nm->name);
	uint32_t uid = box->st.uidnext;

	if (box->uidrecs->len == 0 && mstore_uidlist_next(box, &uid) < 0)
		return -1;
	if (buf_printf(box->uidrecs, "%u :%.*s\n", uid,
	    (int)mstore_base_len(nm->name, nlen), nm->name) < 0)
		return -1;
	memset(&e, 0, sizeof(e));
	e.type = MSTORE_L_APPEND;
	e.uid = uid;
	e.flags = nm->flags;
	e.kw = nm->kw;
	e.modseq = mstore_next_modseq(box);
	e.a = nm->vsize;
	e.b = nm->idate;
	*uid_r = uid;
	return mstore_log_add(box, &e, nm->name, nlen);
}

/* Move the delivered new/ file into cur/ with flags and date (locked). */
static int
mstore_append_place(struct mstore_box *box, const char *dname,
    struct mstore_newmsg *nm)
{
	struct timespec ts[2];
	struct maildir_name_info info;
	struct stat st;

	if (fstatat(box->newfd, dname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (nm->idate > 0) {
		ts[0].tv_sec = ts[1].tv_sec = nm->idate;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		if (utimensat(box->newfd, dname, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return -1;
	} else
		nm->idate = st.st_mtime;
	nm->vsize = (uint64_t)st.st_size;
	if (maildir_parse_name(dname, &info) == 0 && info.vsize >= 0)
		nm->vsize = (uint64_t)info.vsize;
	if (mstore_flag_name(dname, strlen(dname), nm->flags, nm->kw, nm->name,
	    sizeof(nm->name)) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return renameat(box->newfd, dname, box->curfd, nm->name);
}

/* APPEND a message (see mstore.h); *uid_r for APPENDUID. */
int
mstore_append(struct mstore_box *box, maildir_next_fn next, void *ctx,
    unsigned flags, const char *const *kw, size_t nkw, time_t idate,
    uint32_t *uid_r, const char **errstr_r)
{
	struct mstore_newmsg nm;
	char *dname = NULL;
	int r, placed = 0;

	memset(&nm, 0, sizeof(nm));
	nm.flags = (uint8_t)(flags & MSTORE_F_ALL);
	nm.idate = idate;
	if (maildir_deliver(box->path, NULL, 0, next, ctx, 0, &dname,
	    errstr_r) < 0) {
		mstore_errno_note(errno);
		return -1;
	}
	if (mstore_begin(box) < 0) {
		*errstr_r = box->errbuf;
		(void)unlinkat(box->newfd, dname, 0);
		free(dname);
		return -1;
	}
	r = mstore_kw_lookup(box, kw, nkw, &nm.kw);
	if (r == 0 && (r = mstore_append_place(box, dname, &nm)) == 0)
		placed = 1;
	if (r == 0)
		r = mstore_add_uid(box, &nm, uid_r);
	if (r < 0) {
		mstore_err(box, "append", errno);
		(void)unlinkat(placed ? box->curfd : box->newfd,
		    placed ? nm.name : dname, 0);
	}
	free(dname);
	if (mstore_end(box, r == 0, 1) < 0 || r < 0) {
		/* Not recorded (the log or uidlist write failed, e.g. ENOSPC):
		 * take the file back, or it would turn up after the NO. */
		if (r == 0)
			(void)unlinkat(box->curfd, nm.name, 0);
		*errstr_r = box->errbuf;
		return -1;
	}
	return 0;
}

/* Copy the content of src into a new file dst/cur/name (no link). */
static int
mstore_copy_data(int sfd, struct mstore_box *dst, const char *name)
{
	char b[65536];
	ssize_t r;
	int fd = openat(dst->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int out = fd < 0 ? -1 : unnamed_open(fd, ".", 0600);

	if (fd >= 0)
		close(fd);
	if (out < 0)
		return -1;
	while ((r = read(sfd, b, sizeof(b))) > 0)
		if (mstore_write_full(out, b, (size_t)r) < 0) {
			r = -1;
			break;
		}
	if (r < 0 || unnamed_link(out, dst->curfd, name) < 0 ||
	    fsync(out) < 0) {
		close(out);
		return -1;
	}
	return close(out);
}

/* Link (or copy) one source message into dst/cur (dst locked). */
static int
mstore_copy_file(struct mstore_box *src, const struct mstore_msg *m,
    struct mstore_box *dst, struct mstore_newmsg *nm)
{
	struct timeval tv;
	struct stat st;
	const char *err;
	int sfd, r;
	char base[MSTORE_FNAME_MAX + 1];

	if (mstore_open_msg(src, m->uid, &sfd, &err) < 0)
		return errno == ENOENT || errno == 0 ? 1 : -1;
	gettimeofday(&tv, NULL);
	if (fstat(sfd, &st) < 0 || (size_t)snprintf(base, sizeof(base),
	    "%lld.V%llxI%llxM%06ldP%ldQ%lu.%s,S=%lld,W=%llu",
	    (long long)tv.tv_sec, (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino, (long)tv.tv_usec, (long)getpid(),
	    mstore_copy_counter++, maildir_hostname(), (long long)st.st_size,
	    (unsigned long long)m->vsize) >= sizeof(base) ||
	    mstore_flag_name(base, strlen(base), nm->flags, nm->kw, nm->name,
	    sizeof(nm->name)) < 0) {
		close(sfd);
		errno = ENAMETOOLONG;
		return -1;
	}
	r = linkat(m->flags & MSTORE_F_NEWDIR ? src->newfd : src->curfd,
	    mstore_state_name(&src->st, m), dst->curfd, nm->name, 0);
	if (r < 0 && (errno == EXDEV || errno == EPERM || errno == EMLINK ||
	    errno == ENOENT))
		r = mstore_copy_data(sfd, dst, nm->name);
	close(sfd);
	return r;
}

/* Translate m's keywords from src's list to dst's (dst locked). */
static int
mstore_copy_kw(struct mstore_box *src, const struct mstore_msg *m,
    struct mstore_box *dst, uint32_t *kw_r)
{
	const char *names[MSTORE_KW_MAX];
	size_t n = 0;

	for (size_t i = 0; i < MSTORE_KW_MAX; i++)
		if ((m->kw & (1u << i)) && i < src->kw.count &&
		    src->kw.names[i] != NULL)
			names[n++] = src->kw.names[i];
	return mstore_kw_lookup(dst, names, n, kw_r);
}

/* COPY one UID into dst (locked); *uid_r = 0 when it was gone.  The new
 * file's name goes to made (NUL-separated) so that a failed COPY can take
 * its files back. */
static int
mstore_copy_one(struct mstore_box *src, uint32_t uid,
    struct mstore_box *dst, uint32_t *uid_r, struct buf *made)
{
	long i = mstore_state_find(&src->st, uid);
	struct mstore_msg m;
	struct mstore_newmsg nm;
	int r;

	*uid_r = 0;
	if (i < 0)
		return 0;
	m = src->st.msgs[i];
	memset(&nm, 0, sizeof(nm));
	nm.flags = m.flags & MSTORE_F_ALL;
	nm.idate = m.idate;
	nm.vsize = m.vsize;
	if (mstore_copy_kw(src, &m, dst, &nm.kw) < 0)
		return -1;
	if ((r = mstore_copy_file(src, &src->st.msgs[i], dst, &nm)) != 0)
		return r > 0 ? 0 : -1;
	if (buf_append(made, nm.name, strlen(nm.name) + 1) < 0 ||
	    mstore_add_uid(dst, &nm, uid_r) < 0)
		return -1;
	return 0;
}

/* Remove the files a failed COPY made. */
static void
mstore_copy_undo(struct mstore_box *dst, const struct buf *made)
{
	for (size_t o = 0; o < made->len; o += strlen(made->data + o) + 1)
		(void)unlinkat(dst->curfd, made->data + o, 0);
}

/* COPY uids from src to dst; *new_uids_r[k] is uids[k]'s copy.  All or
 * nothing: 1 (nothing copied) when one of them was expunged meanwhile,
 * as RFC 9051 wants a failed COPY to leave the target as it was. */
int
mstore_copy(struct mstore_box *src, const uint32_t *uids, size_t n,
    struct mstore_box *dst, uint32_t **new_uids_r, const char **errstr_r)
{
	uint32_t *out = xcalloc(n + 1, sizeof(*out));
	struct buf *made = buf_new(1024, 0);
	int r = 0;

	*new_uids_r = NULL;
	if (mstore_log_catch_up(src) < 0 || mstore_begin(dst) < 0) {
		*errstr_r = mstore_err(src, "copy", errno);
		free(out);
		buf_free(&made);
		return -1;
	}
	for (size_t k = 0; k < n && r == 0; k++)
		r = mstore_copy_one(src, uids[k], dst, &out[k], made);
	for (size_t k = 0; k < n && r == 0; k++)
		if (out[k] == 0)
			r = 1;	/* expunged meanwhile: copy none of them */
	if (r > 0) {
		mstore_copy_undo(dst, made);	/* before the lock goes */
		if (mstore_end(dst, 0, 1) < 0)	/* always: nothing to commit */
			errno = 0;
		*errstr_r = "Some of the requested messages no longer exist.";
		free(out);
		buf_free(&made);
		return 1;
	}
	if (r < 0)
		mstore_err(dst, "copy", errno);
	if (r < 0)
		mstore_copy_undo(dst, made);	/* before the lock goes */
	if (mstore_end(dst, r == 0, 1) < 0 || r < 0) {
		if (r == 0)
			mstore_copy_undo(dst, made);
		*errstr_r = dst->errbuf;
		free(out);
		buf_free(&made);
		return -1;
	}
	buf_free(&made);
	*new_uids_r = out;
	return 0;
}

/* MOVE: COPY, then expunge the copied messages from src. */
int
mstore_move(struct mstore_box *src, const uint32_t *uids, size_t n,
    struct mstore_box *dst, uint32_t **new_uids_r, const char **errstr_r)
{
	uint32_t *done;
	size_t nd = 0;
	int r;

	if ((r = mstore_copy(src, uids, n, dst, new_uids_r, errstr_r)) != 0)
		return r;
	done = xcalloc(n + 1, sizeof(*done));
	for (size_t k = 0; k < n; k++)
		if ((*new_uids_r)[k] != 0)
			done[nd++] = uids[k];
	r = mstore_expunge_uids(src, done, nd, 1, errstr_r);
	free(done);
	return r;
}
