/*
 * qtool_check.c - check and repair the spool (root only).
 *
 * Public: qt_check() - one pass, printing one line per finding and a
 * summary; returns 0, or 1 when something could not be repaired.
 *   - incoming/ and maildrop/: entries without a queue-ID name or not yet
 *     complete, older than stale_temp_file_time, are removed (a writer
 *     that old is gone; a live one would fail its commit, never report
 *     success for a lost file);
 *   - incoming/, maildrop/, active/, deferred/, hold/: a complete file
 *     that fails qfile_read_envelope, and anything that is not a regular
 *     file or has no queue-ID name in active/, deferred/, hold/, is moved
 *     to corrupt/ (kept, never deleted);
 *   - a queue ID in two queues is reported (left alone);
 *   - defer/: a QID file whose message is in no queue (orphan), and stale
 *     temporary files, are removed.
 * Security: runs as root; everything is lstat'ed and opened O_NOFOLLOW, so
 * a symlink planted in a group-writable directory is moved, not followed.
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

#include "params.h"
#include "spool.h"
#include "qtool.h"

struct qt_check_state {
	const char *queue;
	time_t now;
	unsigned long fixed;
	unsigned long failed;
};

/* Move an entry to corrupt/ under its own name (suffixed if taken). */
static void
qt_to_corrupt(struct qt_check_state *st, const char *name, const char *why)
{
	char a[4096], b[4096], alt[300];
	struct stat sb;

	if (spool_path(a, sizeof(a), st->queue, name) < 0 ||
	    spool_path(b, sizeof(b), SPOOL_CORRUPT, name) < 0)
		return;
	if (lstat(b, &sb) == 0) {
		snprintf(alt, sizeof(alt), "%s.%lld", name, (long long)st->now);
		if (spool_path(b, sizeof(b), SPOOL_CORRUPT, alt) < 0)
			return;
	}
	if (rename(a, b) == 0) {
		printf("%s/%s: %s: moved to corrupt/\n", st->queue, name, why);
		st->fixed++;
	} else {
		printf("%s/%s: %s: cannot move to corrupt/: %s\n", st->queue,
		    name, why, strerror(errno));
		st->failed++;
	}
}

/* Remove a stale entry. */
static void
qt_remove(struct qt_check_state *st, const char *dir, const char *name,
    const char *why)
{
	char path[4096];

	if (spool_path(path, sizeof(path), dir, name) < 0)
		return;
	if (unlink(path) == 0) {
		printf("%s/%s: %s: removed\n", dir, name, why);
		st->fixed++;
	} else if (errno != ENOENT) {
		printf("%s/%s: %s: cannot remove: %s\n", dir, name, why,
		    strerror(errno));
		st->failed++;
	}
}

/* 1 if the complete file cannot be read as a queue file. */
static int
qt_unreadable(const char *path, const char **why_r)
{
	struct qfile_env *env;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		*why_r = errno == ENOENT ? NULL : "cannot open";
		return errno != ENOENT;
	}
	if (qfile_read_envelope(fd, &env, why_r) < 0) {
		close(fd);
		return 1;
	}
	qfile_env_free(&env);
	close(fd);
	return 0;
}

/* Check one directory entry of a queue. */
static void
qt_check_entry(struct qt_check_state *st, const char *name)
{
	char path[4096];
	const char *why = NULL, *other;
	struct stat sb;
	int temp_ok = strcmp(st->queue, SPOOL_INCOMING) == 0 ||
	    strcmp(st->queue, SPOOL_MAILDROP) == 0;

	if (spool_path(path, sizeof(path), st->queue, name) < 0 ||
	    lstat(path, &sb) < 0)
		return;
	if (!S_ISREG(sb.st_mode)) {
		qt_to_corrupt(st, name, "not a regular file");
		return;
	}
	if (!qfile_valid_qid(name) || (sb.st_mode & 0100) == 0) {
		if (!temp_ok)
			qt_to_corrupt(st, name, "not a queue file name");
		else if (st->now - sb.st_mtime >= var_stale_temp_file_time)
			qt_remove(st, st->queue, name, "stale temporary file");
		return;
	}
	if (qt_unreadable(path, &why)) {
		qt_to_corrupt(st, name, why != NULL ? why : "unreadable");
		return;
	}
	if (qt_find(name, &other) == 0 && strcmp(other, st->queue) != 0)
		printf("%s/%s: also in %s/ (left alone)\n", st->queue, name,
		    other);
}

/* Check one defer/ entry: orphans and stale temporary files. */
static void
qt_check_defer(struct qt_check_state *st, const char *name)
{
	char path[4096];
	const char *queue;
	struct stat sb;

	if (spool_path(path, sizeof(path), SPOOL_DEFER, name) < 0 ||
	    lstat(path, &sb) < 0)
		return;
	if (qfile_valid_qid(name)) {
		if (qt_find(name, &queue) < 0)
			qt_remove(st, SPOOL_DEFER, name, "orphan (no message)");
	} else if (st->now - sb.st_mtime >= var_stale_temp_file_time) {
		qt_remove(st, SPOOL_DEFER, name, "stale temporary file");
	}
}

/* Run fn over every entry (no dot entries) of one spool directory. */
static void
qt_check_dir(struct qt_check_state *st, const char *dir,
    void (*fn)(struct qt_check_state *, const char *))
{
	char path[4096];
	struct dirent **names;
	int n;

	st->queue = dir;
	if (spool_path(path, sizeof(path), dir, "") < 0 ||
	    (n = scandir(path, &names, NULL, alphasort)) < 0) {
		printf("%s/: cannot read: %s\n", dir, strerror(errno));
		st->failed++;
		return;
	}
	for (int i = 0; i < n; i++) {
		if (strcmp(names[i]->d_name, ".") != 0 &&
		    strcmp(names[i]->d_name, "..") != 0)
			fn(st, names[i]->d_name);
		free(names[i]);
	}
	free(names);
}

/* Check and repair the whole spool. */
int
qt_check(void)
{
	struct qt_check_state st = { NULL, time(NULL), 0, 0 };

	for (int i = 0; qt_queues[i] != NULL; i++)
		qt_check_dir(&st, qt_queues[i], qt_check_entry);
	qt_check_dir(&st, SPOOL_DEFER, qt_check_defer);
	printf("petrel-qtool: check: %lu repaired, %lu failed\n", st.fixed,
	    st.failed);
	return st.failed > 0 ? QT_EX_FAIL : QT_EX_OK;
}
