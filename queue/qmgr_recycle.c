/*
 * qmgr_recycle.c - finished queue files are kept in free/ for the injection
 * service to reuse instead of being unlinked.
 *
 * Public: qmgr_retire(qid, recyclable) - retire a finished active/QID file
 * (recyclable 0: a delivery agent that timed out or died may still read
 * it, so it is unlinked, never reused);
 * qmgr_recycle_scan() - recount free/ and trim it to the limit;
 * qmgr_recycle_taken() - a new message came in (most likely in a file
 * the injection service took from free/).
 *
 * Why: every message otherwise costs the filesystem one inode allocation
 * and one inode release.  On ext4 without a journal the allocator skips
 * inodes released in the last 60-300 seconds, scanning past each of them,
 * so at a few thousand messages a second allocation dominates the
 * injection service's CPU time.  A recycled file keeps its inode; the
 * injection service rewrites it in free/ under its lock and renames it to
 * incoming/ at commit (qfile_free.c), so the trim skips locked files.
 * At most queue_file_recycle_limit files wait in free/ (0 turns recycling
 * off), and only files of at most QMGR_RECYCLE_MAX_SIZE bytes are kept, so
 * free/ holds at most limit x 64 KB of data blocks (the default 10000 is
 * a burst of 10000 messages queued at once); the count is an estimate: the
 * injection service takes files without telling us, so each message that
 * comes in counts as one taken (without that, the estimate would reach
 * the limit within a second of a recount during a long burst, and files
 * would be unlinked while free/ was in fact running empty, costing new
 * inodes later); recounting free/ at most once a second when the estimate
 * reaches the limit, and at every deferred-queue run, corrects it.
 * Durability: nothing here needs a sync: a file lost from free/ by a crash
 * is only an inode not reused, and a finished message whose rename was lost
 * is delivered again (at-least-once).  On a filesystem without a journal a
 * crash can even keep active/A while the inode already holds a newer
 * message B (renames are not ordered there): then B is delivered twice,
 * once under A's queue ID - a duplicate, never a loss.
 * Security: runs as qmgr_user; free/ is writable by the spool group, and
 * the injection service checks what it takes from there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "params.h"
#include "qfile.h"
#include "qmgr.h"
#include "spool.h"

static long recycle_count;	/* files believed to wait in free/ */
static time_t recycle_counted;	/* when free/ was last counted */

/* Unlink one file of free/ unless a writer holds its lock (it is being
 * rewritten there and will be renamed to incoming/ at its commit). */
static void
trim_one(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		(void)unlink(path);
	close(fd);
}

/* Count free/ and unlink what exceeds the limit. */
void
qmgr_recycle_scan(void)
{
	char path[4096], name[4096];
	struct dirent *de;
	DIR *d;
	long n = 0;

	recycle_counted = time(NULL);
	if (spool_path(path, sizeof(path), SPOOL_FREE, "") < 0 ||
	    (d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!qfile_valid_qid(de->d_name))
			continue;
		if (n < var_queue_file_recycle_limit) {
			n++;
			continue;
		}
		if (spool_path(name, sizeof(name), SPOOL_FREE, de->d_name) == 0)
			trim_one(name);
	}
	closedir(d);
	recycle_count = n;
}

/* A message came in through incoming/: one file fewer in free/. */
void
qmgr_recycle_taken(void)
{
	if (recycle_count > 0)
		recycle_count--;
}

/* Move a finished active/QID to free/, or unlink it. */
void
qmgr_retire(const char *qid, int recyclable)
{
	char from[4096], to[4096];

	if (spool_path(from, sizeof(from), SPOOL_ACTIVE, qid) < 0)
		return;
	if (recycle_count >= var_queue_file_recycle_limit &&
	    var_queue_file_recycle_limit > 0 && recycle_counted != time(NULL))
		qmgr_recycle_scan();
	if (recyclable && recycle_count < var_queue_file_recycle_limit &&
	    spool_path(to, sizeof(to), SPOOL_FREE, qid) == 0 &&
	    rename(from, to) == 0) {
		recycle_count++;
		return;
	}
	if (unlink(from) < 0 && errno != ENOENT)
		log_warn("%s: unlink %s: %m", qid, from);
}
