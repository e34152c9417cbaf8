/*
 * qfile_free.c - reuse of finished queue files (see qmgr_recycle.c for why):
 * the queue manager leaves them in free/, next to incoming/, and the writer
 * takes one instead of allocating a new inode.
 *
 * Public (qfile.c only, through qfile_int.h): qfile_free_open(incoming_dir)
 * opens free/ once per process; qfile_free_take(name, size, &st) claims a
 * file and returns its descriptor (name: its name in free/, st: its fstat),
 * or -1 when free/ has nothing (then the caller creates a new file);
 * qfile_free_commit(name, dirfd, qid) renames it to incoming/QID.
 * Claiming: the writer opens free/NAME, takes an exclusive flock() on it
 * without waiting (another writer holding it means it is taken), and then
 * checks that free/NAME is still that file (a writer that held it may have
 * committed it under its queue ID and let go of the lock), a plain, singly
 * linked file owned by us.  The file stays in free/ while it is rewritten
 * and gets its queue-ID name in incoming/ only at commit, by one rename
 * (RENAME_NOREPLACE) just before the fsync, so neither its old contents nor
 * a half-written message is ever taken for a message; if the file left
 * free/ meanwhile (the queue manager trimming free/), the rename fails and
 * the commit with it, instead of losing mail.  A writer that gives up just
 * closes the file, which stays in free/ for the next one.
 * Names are read from free/ in batches of 64 through a directory stream
 * kept open, so each batch continues where the last one stopped (rereading
 * from the start would walk past every entry already taken, and every
 * writer would race for the same first names); at the end the stream is
 * rewound.  A name another writer took first means the others are
 * working on the same stretch: the writer drops its batch and skips a
 * random number of further names, so that concurrent writers spread out
 * instead of racing in step.  After QFILE_FREE_TRIES misses the writer
 * allocates a new file.  An empty free/ is looked at again at most once a
 * second.
 * Security: runs in petrel-inject; free/ is writable by the spool group, so
 * anything found there is opened without following links and checked
 * before use.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "qfile.h"
#include "qfile_int.h"

#define QFILE_FREE_BATCH 64
#define QFILE_FREE_TRIES 64

/* The names waiting in free/, read in batches. */
static struct {
	int dirfd;		/* O_RDONLY on free/, -1 when absent */
	DIR *stream;		/* on a dup of dirfd; NULL until first use */
	char path[4096];
	char names[QFILE_FREE_BATCH][QFILE_QID_MAX];
	size_t n, next;
	size_t start;		/* per-process rotation of the batch */
	time_t empty_at;	/* last refill found nothing */
} qfile_free = { -1, NULL, "", { "" }, 0, 0, 0, 0 };

/* Open free/ next to dir (incoming/) once; absent is fine. */
void
qfile_free_open(const char *dir)
{
	char path[4096];
	const char *slash = strrchr(dir, '/');

	if (slash == NULL || (size_t)(slash - dir) + 6 > sizeof(path))
		return;
	snprintf(path, sizeof(path), "%.*s/free", (int)(slash - dir), dir);
	if (qfile_free.dirfd >= 0 && strcmp(path, qfile_free.path) == 0)
		return;
	if (qfile_free.stream != NULL)
		closedir(qfile_free.stream);
	qfile_free.stream = NULL;
	if (qfile_free.dirfd >= 0)
		close(qfile_free.dirfd);
	qfile_free.n = qfile_free.next = 0;
	qfile_free.dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(qfile_free.path, sizeof(qfile_free.path), "%s", path);
}

/* Append up to a batch of valid names from the stream; at its end, 1. */
static int
qfile_free_read(void)
{
	struct dirent *de;

	while (qfile_free.n < QFILE_FREE_BATCH) {
		if ((de = readdir(qfile_free.stream)) == NULL)
			return 1;
		size_t len = strlen(de->d_name);

		if (len < QFILE_QID_MAX && qfile_valid_qid(de->d_name))
			memcpy(qfile_free.names[qfile_free.n++], de->d_name,
			    len + 1);
	}
	return 0;
}

/* Another writer took a name of this batch: drop the batch and skip up to
 * a batch of further names. */
static void
qfile_free_miss(void)
{
	static unsigned int seed;
	unsigned int skip;

	if (seed == 0)
		seed = (unsigned int)getpid() * 2654435761u + 1;
	skip = (unsigned int)rand_r(&seed) % QFILE_FREE_BATCH;
	qfile_free.next = qfile_free.n;
	while (skip-- > 0 && qfile_free.stream != NULL &&
	    readdir(qfile_free.stream) != NULL)
		;
}

/* Read the next batch of names from free/, going on from the last batch
 * and starting over at the end (not more than once a second while free/
 * is empty). */
static void
qfile_free_refill(void)
{
	int fd;

	qfile_free.n = qfile_free.next = 0;
	if (qfile_free.empty_at == time(NULL))
		return;
	if (qfile_free.stream == NULL) {
		if ((fd = dup(qfile_free.dirfd)) < 0)
			return;
		if ((qfile_free.stream = fdopendir(fd)) == NULL) {
			close(fd);
			return;
		}
	}
	if (qfile_free_read() && qfile_free.n == 0) {
		rewinddir(qfile_free.stream);
		(void)qfile_free_read();
	}
	if (qfile_free.n == 0)
		qfile_free.empty_at = time(NULL);
	else	/* writers may read the same batch: start at different places */
		qfile_free.start = (size_t)getpid() % qfile_free.n;
}

/* Claim one file from free/ (see the head comment): its descriptor, with
 * its name in name[size] and its fstat in *st_r, or -1 when there is none
 * to take. */
int
qfile_free_take(char *name, size_t size, struct stat *st_r)
{
	const char *cand;
	struct stat by_name;
	int fd;

	if (qfile_free.dirfd < 0)
		return -1;
	for (int tries = 0; tries < QFILE_FREE_TRIES; tries++) {
		if (qfile_free.next >= qfile_free.n)
			qfile_free_refill();
		if (qfile_free.next >= qfile_free.n)
			return -1;
		cand = qfile_free.names[(qfile_free.start + qfile_free.next++) %
		    qfile_free.n];
		fd = openat(qfile_free.dirfd, cand, O_RDWR | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd < 0) {
			qfile_free_miss();	/* another writer took it */
			continue;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0 ||
		    fstatat(qfile_free.dirfd, cand, &by_name,
		    AT_SYMLINK_NOFOLLOW) < 0 || fstat(fd, st_r) < 0 ||
		    by_name.st_ino != st_r->st_ino ||
		    by_name.st_dev != st_r->st_dev) {
			close(fd);
			qfile_free_miss();
			continue;
		}
		if (!S_ISREG(st_r->st_mode) || st_r->st_nlink != 1 ||
		    st_r->st_uid != geteuid() || strlen(cand) >= size) {
			(void)unlinkat(qfile_free.dirfd, cand, 0);
			close(fd);
			continue;
		}
		memcpy(name, cand, strlen(cand) + 1);
		return fd;
	}
	return -1;
}

/* Rename free/name to qid in dirfd without replacing anything (where
 * renameat2 is missing: link, then unlink the free/ name). */
int
qfile_free_commit(const char *name, int dirfd, const char *qid)
{
	if (renameat2(qfile_free.dirfd, name, dirfd, qid, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (linkat(qfile_free.dirfd, name, dirfd, qid, 0) < 0)
		return -1;
	(void)unlinkat(qfile_free.dirfd, name, 0);
	return 0;
}
