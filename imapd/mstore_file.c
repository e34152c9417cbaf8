/*
 * mstore_file.c - file helpers of the mail store: read a control file in
 * one go, map the index snapshot copy-on-write, replace a file atomically (tmp, optional fsync, rename), and the
 * folder's exclusive lock (flock on petrel-index.lock: released by the
 * kernel when a holder dies, so a SIGKILL never leaves a stale lock).
 *
 * Public (mstore_int.h): mstore_map_file, mstore_map_ref, mstore_map_unref,
 * mstore_read_all, mstore_write_atomic,
 * mstore_write_full, mstore_lock, mstore_unlock, mstore_err, mstore_now_ns,
 * mstore_dir_mtime, mstore_errno_note; (mstore.h) mstore_last_errno,
 * mstore_errno_reset.
 * Returns 0 / -1 with errno; mstore_read_all sets errno ENOENT for a
 * missing file and EFBIG past max.
 * Security: runs as the mailbox owner; files are opened relative to the
 * folder's directory fd with O_NOFOLLOW.  A mapped file is never changed
 * in place (every writer replaces it by rename), so the mapping stays
 * whole for as long as it is held.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
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

static int mstore_errno_last;	/* errno of the last recorded failure */

/* Remember why a change failed, for mstore_last_errno. */
void
mstore_errno_note(int err)
{
	mstore_errno_last = err;
}

/* errno of the last failure recorded since mstore_errno_reset (0: none);
 * imapd answers ENOSPC/EDQUOT with [OVERQUOTA]. */
int
mstore_last_errno(void)
{
	return mstore_errno_last;
}

/* Forget the last failure (at the start of a command). */
void
mstore_errno_reset(void)
{
	mstore_errno_last = 0;
}

/* Format "what: strerror" into the box's error buffer. */
const char *
mstore_err(struct mstore_box *box, const char *what, int err)
{
	mstore_errno_note(err);
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

/* Map file name (relative to dirfd) privately: read in one pass
 * (populated while read-only, so no page is copied), then writable, a
 * page being copied only when written.  -1 with errno (EFBIG past max,
 * EINVAL when empty). */
int
mstore_map_file(int dirfd, const char *name, size_t max,
    struct mstore_map **map_r)
{
	struct stat st;
	struct mstore_map *map;
	void *p;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), e;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || (size_t)st.st_size > max) {
		e = st.st_size <= 0 ? EINVAL : EFBIG;
		close(fd);
		errno = e;
		return -1;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
	    fd, 0);
	e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		errno = e;
		return -1;
	}
	if (mprotect(p, (size_t)st.st_size, PROT_READ | PROT_WRITE) < 0) {
		e = errno;
		(void)munmap(p, (size_t)st.st_size);
		errno = e;
		return -1;
	}
	map = xmalloc(sizeof(*map));
	map->addr = p;
	map->len = (size_t)st.st_size;
	map->refs = 1;
	*map_r = map;
	return 0;
}

/* One more holder of map (NULL passes through). */
struct mstore_map *
mstore_map_ref(struct mstore_map *map)
{
	if (map != NULL)
		map->refs++;
	return map;
}

/* Drop a holder; the last one unmaps. */
void
mstore_map_unref(struct mstore_map **mapp)
{
	struct mstore_map *map = *mapp;

	*mapp = NULL;
	if (map == NULL || --map->refs > 0)
		return;
	(void)munmap(map->addr, map->len);
	free(map);
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
