/*
 * mstore_file.c - file helpers of the mail store: read a control file in
 * one go, replace one atomically (tmp, optional fsync, rename), and the
 * folder's exclusive lock (flock on petrel-index.lock: released by the
 * kernel when a holder dies, so a SIGKILL never leaves a stale lock).
 *
 * Public (mstore_int.h): mstore_read_all, mstore_write_atomic,
 * mstore_write_full, mstore_lock, mstore_unlock, mstore_err, mstore_now_ns,
 * mstore_dir_mtime.
 * Returns 0 / -1 with errno; mstore_read_all sets errno ENOENT for a
 * missing file and EFBIG past max.
 * Security: runs as the mailbox owner; files are opened relative to the
 * folder's directory fd with O_NOFOLLOW.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mstore_int.h"

/* Current time in nanoseconds. */
int64_t
mstore_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Modification time of a directory fd in ns, or -1. */
int64_t
mstore_dir_mtime(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	return (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
}

/* Format "what: strerror" into the box's error buffer. */
const char *
mstore_err(struct mstore_box *box, const char *what, int err)
{
	snprintf(box->errbuf, sizeof(box->errbuf), "%s: %s", what,
	    strerror(err != 0 ? err : EIO));
	return box->errbuf;
}

/* Write all of p; 0 or -1. */
int
mstore_write_full(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t r;

	while (n > 0) {
		r = write(fd, s, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Read file name (relative to dirfd) into a new buffer, up to the size
 * fstat reported (a file that grows meanwhile is read again later). */
int
mstore_read_all(int dirfd, const char *name, size_t max, struct buf **b_r)
{
	struct stat st;
	struct buf *b;
	ssize_t r = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || (size_t)st.st_size > max) {
		if ((size_t)st.st_size > max)
			errno = EFBIG;
		close(fd);
		return -1;
	}
	b = buf_new((size_t)st.st_size + 1, 0);
	while (b->len < (size_t)st.st_size) {
		r = read(fd, b->data + b->len, (size_t)st.st_size - b->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		b->len += (size_t)r;
	}
	close(fd);
	if (r < 0) {
		buf_free(&b);
		return -1;
	}
	*b_r = b;
	return 0;
}

/* Replace name with (p, n): tmp file, optional fsync, rename. */
int
mstore_write_atomic(int dirfd, const char *name, const void *p, size_t n,
    int sync)
{
	char tmp[300];
	int fd, e;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", name,
	    (long)getpid()) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (mstore_write_full(fd, p, n) < 0 || (sync && fsync(fd) < 0) ||
	    close(fd) < 0) {
		e = errno;
		(void)unlinkat(dirfd, tmp, 0);
		errno = e;
		return -1;
	}
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		e = errno;
		(void)unlinkat(dirfd, tmp, 0);
		errno = e;
		return -1;
	}
	return 0;
}

/* Take the folder's exclusive lock (blocking; held for short spans). */
int
mstore_lock(struct mstore_box *box)
{
	if (box->locked++ > 0)
		return 0;
	if (box->lockfd < 0) {
		box->lockfd = openat(box->dirfd, MSTORE_LOCK, O_RDWR | O_CREAT |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
		if (box->lockfd < 0) {
			box->locked = 0;
			return -1;
		}
	}
	while (flock(box->lockfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			box->locked = 0;
			return -1;
		}
	}
	return 0;
}

/* Release one level of the lock. */
void
mstore_unlock(struct mstore_box *box)
{
	ASSERT(box->locked > 0);
	if (--box->locked == 0)
		(void)flock(box->lockfd, LOCK_UN);
}
