/*
 * qfile.c - queue files: the record codec and the writer used by injection.
 *
 * Public: qfile_valid_qid, qfile_make_qid, qfile_varint_encode,
 * qfile_record_header, qfile_create, qfile_qid, qfile_put, qfile_put_rcpt,
 * qfile_put_content, qfile_commit, qfile_abort, qfile_error.  The reader
 * lives in qfile_read.c.  Record format and completion rule: see qfile.h.
 *
 * Durability (DESIGN.md spool rule 1): the file is created unnamed
 * (O_TMPFILE) and its queue ID comes from its inode at once; commit writes
 * the end records, chmods the file complete, links it into the directory
 * under its queue ID and then calls fsync exactly once.  On ext4/XFS with a
 * journal that one fsync commits the transaction holding the link; ext4
 * without a journal syncs the parent of a newly linked inode inside fsync
 * itself; sync_dir adds an explicit directory fsync for other filesystems.
 * An unnamed file needs no directory lock while it is written (less
 * contention between concurrent writers) and vanishes by itself if the
 * writer dies.  Where O_TMPFILE is not supported the file is created under
 * a temporary name and renamed to its queue ID at once, as before.
 * Recycling: before allocating a new inode the writer tries to take a
 * finished queue file the queue manager left in the sibling directory
 * free/ (qfile_free.c: an flock() decides which writer gets it), checks it
 * is a plain file of ours and overwrites it from the start where it is
 * (its old blocks are reused: no block is freed and allocated again); at
 * commit the old tail is cut off, the file is marked complete (it usually
 * still is, from its last message) and renamed from free/ to its queue ID
 * in incoming/ just before the one fsync: one rename per message.  A
 * recycled file never carries a queue ID while it is being written, so
 * neither its old contents nor a half-written message can be taken for a
 * message, and a file that left free/ meanwhile makes the commit fail
 * instead of losing mail.  Any failure removes the file (a recycled one
 * stays in free/): a caller never reports success for a file that may be
 * incomplete.
 *
 * Returns: 0/-1 (errstr set) or NULL; never fatal except on out-of-memory.
 * Security: runs in petrel-inject (group petrel-spool); payloads are opaque
 * bytes with their length, so nothing here parses untrusted text.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "qfile.h"
#include "qfile_int.h"
#include "unnamed.h"

#define QFILE_OUTBUF 65536
#define QFILE_RENAME_TRIES 50

struct qfile_writer {
	int fd;
	int dirfd;		/* O_PATH; cached per directory, not ours to close */
	int unnamed;		/* O_TMPFILE: linked only at commit */
	int recycled;		/* from free/: renamed to incoming/ at commit */
	char free_name[64];	/* the recycled file's name in free/ */
	mode_t free_mode;	/* ... its mode when taken */
	ino_t free_ino;		/* ... its inode */
	off_t old_size;		/* recycled: its size when taken */
	off_t written;		/* bytes written so far */
	int failed;
	int content_started;
	char qid[QFILE_QID_MAX];
	struct timeval tv;
	unsigned long long content_len;
	size_t out_len;
	size_t stage_len;
	unsigned char out[QFILE_OUTBUF];
	unsigned char stage[QFILE_CHUNK];
};

static char qfile_errbuf[256];
static unsigned long qfile_counter;

/* Format an error message with errno text into the static error buffer. */
static const char *
qfile_err(const char *what, int err)
{
	snprintf(qfile_errbuf, sizeof(qfile_errbuf), "%s: %s", what,
	    strerror(err != 0 ? err : EIO));
	return qfile_errbuf;
}

/* 1 if name has queue-ID syntax: upper-case hex, usec part plus inode. */
int
qfile_valid_qid(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i >= QFILE_QID_MAX - 1)
			return 0;
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'A' && name[i] <= 'F')))
			return 0;
	}
	return i >= 6;
}

/* The queue ID of a file that arrived at usec with inode ino. */
void
qfile_make_qid(char qid_r[QFILE_QID_MAX], long usec, ino_t ino)
{
	snprintf(qid_r, QFILE_QID_MAX, "%05lX%lX", (unsigned long)usec,
	    (unsigned long)ino);
}

/* Encode n (< 2^28) as a base-128 varint; returns its length. */
size_t
qfile_varint_encode(size_t n, unsigned char out[4])
{
	size_t i = 0;

	ASSERT(n < ((size_t)1 << 28));
	do {
		out[i] = n & 0x7f;
		n >>= 7;
		if (n != 0)
			out[i] |= 0x80;
		i++;
	} while (n != 0);
	return i;
}

/* 1 if t is one of the record types of qfile.h. */
static int
qfile_known_type(int t)
{
	return t != '\0' && strchr("VTFAROMCZE", t) != NULL;
}

/* Parse one record header: 1 complete, 0 need more, -1 malformed. */
int
qfile_record_header(const unsigned char *p, size_t len, int *type_r,
    size_t *paylen_r, size_t *hdrlen_r)
{
	size_t n = 0, i;

	if (len == 0)
		return 0;
	if (!qfile_known_type(p[0]))
		return -1;
	for (i = 0; i < 4; i++) {
		if (1 + i >= len)
			return 0;
		n |= (size_t)(p[1 + i] & 0x7f) << (7 * i);
		if ((p[1 + i] & 0x80) == 0) {
			/* A zero last group is a non-canonical encoding. */
			if (i > 0 && p[1 + i] == 0)
				return -1;
			*type_r = p[0];
			*paylen_r = n;
			*hdrlen_r = i + 2;
			return 1;
		}
	}
	return -1;
}

/* Write all of the output buffer plus (p, n) with writev; 0 or -1. */
static int
qfile_write_all(struct qfile_writer *w, const void *p, size_t n)
{
	struct iovec iov[2];
	ssize_t r;

	iov[0].iov_base = w->out;
	iov[0].iov_len = w->out_len;
	iov[1].iov_base = (void *)(uintptr_t)p;
	iov[1].iov_len = n;
	while (iov[0].iov_len + iov[1].iov_len > 0) {
		r = writev(w->fd, iov, 2);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		w->written += r;
		for (int k = 0; k < 2 && r > 0; k++) {
			size_t t = (size_t)r < iov[k].iov_len ? (size_t)r :
			    iov[k].iov_len;
			iov[k].iov_base = (char *)iov[k].iov_base + t;
			iov[k].iov_len -= t;
			r -= (ssize_t)t;
		}
	}
	w->out_len = 0;
	return 0;
}

/* Append bytes to the output, writing when the 64 KB buffer would overflow. */
static int
qfile_out(struct qfile_writer *w, const void *p, size_t n)
{
	if (w->failed)
		return -1;
	if (w->out_len + n <= sizeof(w->out)) {
		memcpy(w->out + w->out_len, p, n);
		w->out_len += n;
		return 0;
	}
	if (qfile_write_all(w, p, n) < 0) {
		w->failed = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

/* Buffered write of one record of the given type. */
int
qfile_put(struct qfile_writer *w, int type, const void *p, size_t n)
{
	unsigned char hdr[5];
	size_t h;

	if (w->failed || n >= ((size_t)1 << 28) || !qfile_known_type(type)) {
		if (!w->failed)
			w->failed = EINVAL;
		return -1;
	}
	hdr[0] = (unsigned char)type;
	h = qfile_varint_encode(n, hdr + 1);
	if (qfile_out(w, hdr, h + 1) < 0)
		return -1;
	return qfile_out(w, p, n);
}

/* Write a recipient record with pending status. */
int
qfile_put_rcpt(struct qfile_writer *w, const char *addr)
{
	size_t n = strlen(addr);
	char *rec;
	int r;

	if (n >= QFILE_CHUNK) {
		w->failed = EINVAL;
		return -1;
	}
	rec = xmalloc(n + 1);
	rec[0] = QFILE_RCPT_PENDING;
	memcpy(rec + 1, addr, n);
	r = qfile_put(w, QREC_RCPT, rec, n + 1);
	free(rec);
	return r;
}

/* Emit the staged content as one 'C' record. */
static int
qfile_flush_stage(struct qfile_writer *w)
{
	int r = 0;

	if (w->stage_len > 0)
		r = qfile_put(w, QREC_CONTENT, w->stage, w->stage_len);
	w->stage_len = 0;
	return r;
}

/* Add content: 'M' first, then full-size 'C' records regardless of framing. */
int
qfile_put_content(struct qfile_writer *w, const void *p, size_t n)
{
	const unsigned char *s = p;

	if (!w->content_started) {
		if (qfile_put(w, QREC_CONTENT_START, "", 0) < 0)
			return -1;
		w->content_started = 1;
	}
	w->content_len += n;
	while (n > 0) {
		size_t room = sizeof(w->stage) - w->stage_len;
		size_t t = n < room ? n : room;

		memcpy(w->stage + w->stage_len, s, t);
		w->stage_len += t;
		s += t;
		n -= t;
		if (w->stage_len == sizeof(w->stage) && qfile_flush_stage(w) < 0)
			return -1;
	}
	return w->failed ? -1 : 0;
}

/* Create the file unnamed, or else under a temporary name; fd or -1. */
static int
qfile_open_temp(struct qfile_writer *w, char *tmp, size_t size)
{
	struct stat st;
	int fd;

	if ((fd = qfile_free_take(w->free_name, sizeof(w->free_name),
	    &st)) >= 0) {
		w->recycled = 1;
		w->old_size = st.st_size;
		w->free_mode = st.st_mode & 07777;
		w->free_ino = st.st_ino;
		return fd;
	}
	fd = unnamed_open(w->dirfd, ".", QFILE_MODE_WRITING);
	if (fd >= 0) {
		w->unnamed = 1;
		return fd;
	}
	if (!unnamed_unsupported(errno))
		return -1;
	snprintf(tmp, size, ".t%ld.%lu", (long)getpid(), qfile_counter++);
	fd = openat(w->dirfd, tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
	    QFILE_MODE_WRITING);
	if (fd < 0)
		return -1;
	if (fchmod(fd, QFILE_MODE_WRITING) < 0) {
		int e = errno;
		close(fd);
		unlinkat(w->dirfd, tmp, 0);
		errno = e;
		return -1;
	}
	return fd;
}

/* Rename without replacing; falls back to link+unlink without renameat2. */
static int
qfile_rename_noreplace(int dirfd, const char *from, const char *to)
{
	if (renameat2(dirfd, from, dirfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (linkat(dirfd, from, dirfd, to, 0) < 0)
		return -1;
	(void)unlinkat(dirfd, from, 0);
	return 0;
}

/* Give the temp file its queue-ID name, retrying on a name collision. */
static int
qfile_name(struct qfile_writer *w, const char *tmp, const char **errstr_r)
{
	struct stat st;

	if (w->recycled)
		st.st_ino = w->free_ino;
	else if (fstat(w->fd, &st) < 0) {
		*errstr_r = qfile_err("fstat queue file", errno);
		return -1;
	}
	for (int i = 0; i < QFILE_RENAME_TRIES; i++) {
		if (gettimeofday(&w->tv, NULL) < 0) {
			*errstr_r = qfile_err("gettimeofday", errno);
			return -1;
		}
		qfile_make_qid(w->qid, (long)w->tv.tv_usec, st.st_ino);
		if (w->unnamed || w->recycled)
			return 0;	/* named at commit (qfile_link) */
		if (qfile_rename_noreplace(w->dirfd, tmp, w->qid) == 0)
			return 0;
		if (errno != EEXIST) {
			*errstr_r = qfile_err("rename queue file", errno);
			return -1;
		}
		usleep(1);
	}
	*errstr_r = "rename queue file: queue ID collision";
	return -1;
}

/* Write the version and arrival time records. */
static int
qfile_put_head(struct qfile_writer *w)
{
	char t[64];
	int n;

	n = snprintf(t, sizeof(t), "%lld.%06ld", (long long)w->tv.tv_sec,
	    (long)w->tv.tv_usec);
	if (qfile_put(w, QREC_VERSION, QFILE_VERSION, strlen(QFILE_VERSION)) < 0)
		return -1;
	return qfile_put(w, QREC_TIME, t, (size_t)n);
}

/* Release the writer's descriptors and memory; errno is kept, so the
 * caller still sees why the write failed (ENOSPC: 452 4.3.1). */
static void
qfile_writer_free(struct qfile_writer **wp)
{
	struct qfile_writer *w = *wp;
	int e = errno;

	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
	*wp = NULL;
	errno = e;
}

/* An O_PATH descriptor of dir, opened once per process and directory
 * (O_PATH needs no read permission on the directory). */
static int
qfile_dirfd(const char *dir)
{
	static char cached_dir[4096];
	static int cached_fd = -1;

	if (cached_fd >= 0 && strcmp(cached_dir, dir) == 0)
		return cached_fd;
	if (strlen(dir) >= sizeof(cached_dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (cached_fd >= 0)
		close(cached_fd);
	cached_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cached_fd >= 0)
		snprintf(cached_dir, sizeof(cached_dir), "%s", dir);
	return cached_fd;
}

/* Give an unnamed (O_TMPFILE) or recycled file its queue-ID name. */
static int
qfile_link(struct qfile_writer *w)
{
	if (w->recycled) {
		if (qfile_free_commit(w->free_name, w->dirfd, w->qid) < 0)
			return -1;
		w->recycled = 0;
		return 0;
	}
	if (unnamed_link(w->fd, w->dirfd, w->qid) < 0)
		return -1;
	w->unnamed = 0;
	return 0;
}

/* fsync the directory (sync_directories = yes): O_PATH cannot do it. */
static int
qfile_sync_dir(int dirfd)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* New queue file for dir with its queue ID chosen; NULL on error. */
struct qfile_writer *
qfile_create(const char *dir, const char **errstr_r)
{
	struct qfile_writer *w = xmalloc(sizeof(*w));
	char tmp[64];

	/* The two 64 KB buffers are written before they are read: zero only
	 * the fields (calloc would clear 128 KB per message). */
	memset(w, 0, offsetof(struct qfile_writer, out));
	w->fd = -1;
	w->dirfd = qfile_dirfd(dir);
	qfile_free_open(dir);
	if (w->dirfd < 0) {
		*errstr_r = qfile_err("open queue directory", errno);
		qfile_writer_free(&w);
		return NULL;
	}
	w->fd = qfile_open_temp(w, tmp, sizeof(tmp));
	if (w->fd < 0) {
		*errstr_r = qfile_err("create queue file", errno);
		qfile_writer_free(&w);
		return NULL;
	}
	if (qfile_name(w, tmp, errstr_r) < 0) {
		if (!w->unnamed && !w->recycled)
			(void)unlinkat(w->dirfd, tmp, 0);
		qfile_writer_free(&w);
		return NULL;
	}
	if (qfile_put_head(w) < 0) {
		*errstr_r = qfile_err("write queue file", w->failed);
		qfile_abort(&w);
		return NULL;
	}
	return w;
}

/* The queue ID (file name in the directory). */
const char *
qfile_qid(const struct qfile_writer *w)
{
	return w->qid;
}

/* Write the trailing records and push everything to the kernel. */
static int
qfile_finish(struct qfile_writer *w)
{
	char z[32];
	int n;

	if (qfile_flush_stage(w) < 0)
		return -1;
	if (!w->content_started &&
	    qfile_put(w, QREC_CONTENT_START, "", 0) < 0)
		return -1;
	n = snprintf(z, sizeof(z), "%llu", w->content_len);
	if (qfile_put(w, QREC_CONTENT_END, z, (size_t)n) < 0 ||
	    qfile_put(w, QREC_END, "", 0) < 0)
		return -1;
	if (w->out_len > 0 && qfile_write_all(w, "", 0) < 0) {
		w->failed = errno ? errno : EIO;
		return -1;
	}
	/* A recycled file was overwritten in place: cut its old tail. */
	if (w->old_size > w->written && ftruncate(w->fd, w->written) < 0) {
		w->failed = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

/* Finish, mark complete, fsync once (dir too if asked), close; frees *wp. */
int
qfile_commit(struct qfile_writer **wp, int sync_dir, const char **errstr_r)
{
	struct qfile_writer *w = *wp;
	int fd;

	if (w->failed || qfile_finish(w) < 0) {
		*errstr_r = qfile_err("write queue file", w->failed);
		errno = w->failed != 0 ? w->failed : EIO;
		qfile_abort(wp);
		return -1;
	}
	if (!(w->recycled && w->free_mode == QFILE_MODE_COMPLETE) &&
	    fchmod(w->fd, QFILE_MODE_COMPLETE) < 0) {
		*errstr_r = qfile_err("chmod queue file", errno);
		qfile_abort(wp);
		return -1;
	}
	if ((w->unnamed || w->recycled) && qfile_link(w) < 0) {
		*errstr_r = qfile_err("link queue file", errno);
		qfile_abort(wp);
		return -1;
	}
	if (fsync(w->fd) < 0) {
		*errstr_r = qfile_err("sync queue file", errno);
		qfile_abort(wp);
		return -1;
	}
	if (sync_dir && qfile_sync_dir(w->dirfd) < 0) {
		*errstr_r = qfile_err("sync queue directory", errno);
		qfile_abort(wp);
		return -1;
	}
	fd = w->fd;
	w->fd = -1;
	if (close(fd) < 0) {
		*errstr_r = qfile_err("close queue file", errno);
		qfile_abort(wp);
		return -1;
	}
	qfile_writer_free(wp);
	return 0;
}

/* Give up on the file: unlink its name and free the writer. */
void
qfile_abort(struct qfile_writer **wp)
{
	struct qfile_writer *w = *wp;

	int e = errno;

	if (w == NULL)
		return;
	if (w->recycled)
		;	/* still in free/, where the next writer finds it */
	else if (w->qid[0] != '\0' && w->dirfd >= 0 && !w->unnamed)
		(void)unlinkat(w->dirfd, w->qid, 0);
	errno = e;
	qfile_writer_free(wp);
}

/* The errno of the first failed write, or 0. */
int
qfile_error(const struct qfile_writer *w)
{
	return w->failed;
}
