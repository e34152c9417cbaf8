/*
 * qfile_free.c - reuse of finished queue files (see qmgr_recycle.c for why):
 * the queue manager leaves them in free/, next to incoming/, and the writer
 * takes one instead of allocating a new inode.
 *
 * Public (qfile.c only, through qfile_int.h): qfile_free_open(incoming_dir)
 * opens free/ once per process; qfile_free_take(dirfd, tmp, size, &counter,
 * &old_size) claims a file by renaming it to the temporary name tmp in
 * incoming/ (the rename decides between concurrent writers), checks that
 * it is a plain, singly linked file owned by us and marks it incomplete
 * (mode 0660); it returns the descriptor with the file's size (the writer
 * overwrites it and cuts the rest at commit), or -1 when free/ has
 * nothing (then the caller creates a new file).
 * Names are read from free/ in batches of 64 through a directory stream
 * kept open, so each batch continues where the last one stopped (rereading
 * from the start would walk past every entry already taken, and every
 * writer would race for the same first names); at the end the stream is
 * rewound.  A name is looked up before it is renamed (a lookup takes no
 * lock; a cross-directory rename takes the filesystem's rename lock even
 * when it fails).  A name another writer took first means the others are
 * working on the same stretch: the writer drops its batch and skips a
 * random number of further names, so that concurrent writers spread out
 * instead of racing in step.  After QFILE_FREE_TRIES misses the writer
 * allocates a new file.  An empty
 * free/ is looked at again at most once a second.
 * Security: runs in petrel-inject; free/ is writable by the spool group, so
 * anything found there is checked before use and removed when it fails.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Claim one file from free/ under the temporary name tmp in the directory
 * dirfd and make it an incomplete file of ours; fd (its size in
 * *old_size_r) or -1 when there is none to take. */
int
qfile_free_take(int dirfd, char *tmp, size_t size, unsigned long *counter,
    off_t *old_size_r)
{
	const char *name;
	struct stat st;
	long pid = (long)getpid();
	int fd;

	if (qfile_free.dirfd < 0)
		return -1;
	for (int tries = 0; tries < QFILE_FREE_TRIES; tries++) {
		if (qfile_free.next >= qfile_free.n)
			qfile_free_refill();
		if (qfile_free.next >= qfile_free.n)
			return -1;
		name = qfile_free.names[(qfile_free.start + qfile_free.next++) %
		    qfile_free.n];
		if (fstatat(qfile_free.dirfd, name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0) {
			qfile_free_miss();	/* another writer took it */
			continue;
		}
		snprintf(tmp, size, ".t%ld.%lu", pid, (*counter)++);
		if (renameat(qfile_free.dirfd, name, dirfd, tmp) < 0) {
			qfile_free_miss();
			continue;
		}
		fd = openat(dirfd, tmp, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_nlink == 1 && st.st_uid == geteuid() &&
		    fchmod(fd, QFILE_MODE_WRITING) == 0) {
			*old_size_r = st.st_size;
			return fd;
		}
		if (fd >= 0)
			close(fd);
		(void)unlinkat(dirfd, tmp, 0);
	}
	return -1;
}

