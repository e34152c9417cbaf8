/*
 * maildir_clean.c - what killed writers leave in a maildir folder, found
 * and removed when a session opens the folder (imapd's mstore_open_box).
 *
 * Public (maildir.h): maildir_clean_stale(dirfd, now).
 *   - tmp/: a regular file not modified for MAILDIR_TMP_STALE seconds (36
 *     hours, the maildir convention) belongs to a delivery or an APPEND
 *     that died: no writer keeps a tmp/ file that long.
 *   - the folder itself: "<name>.tmp.<pid>", the temporary file of an
 *     atomic replace (mstore_write_atomic) whose process is gone
 *     (kill(pid, 0) says ESRCH).  A live process of that pid, ours or a
 *     stranger that reused the number, keeps the file until it is gone.
 * Bounds: at most MAILDIR_CLEAN_SCAN entries looked at per directory and
 * call, so a folder flooded with junk costs a bounded time per open (the
 * rest goes at later opens).  Errors are ignored: cleaning is best effort
 * and never fails an open.
 * Security: runs as the mailbox owner; unlinkat on names read from the
 * directory itself, never following a symlink (regular files only).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "maildir.h"

#define MAILDIR_CLEAN_SCAN 1000

/* The pid of a "<name>.tmp.<pid>" file name, or 0. */
static pid_t
stale_tmp_pid(const char *name)
{
	const char *p = strstr(name, ".tmp.");
	long pid = 0;

	if (p == NULL || p == name)
		return 0;
	for (p += 5; *p >= '0' && *p <= '9' && pid < 100000000; p++)
		pid = pid * 10 + (*p - '0');
	return *p == '\0' ? (pid_t)pid : 0;
}

/* 1 when the directory entry should go (see the file header). */
static int
clean_wanted(int fd, const char *name, int in_tmp, time_t now)
{
	struct stat st;
	pid_t pid;

	if (name[0] == '.')
		return 0;
	if (!in_tmp && (pid = stale_tmp_pid(name)) <= 0)
		return 0;
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode))
		return 0;
	if (in_tmp)
		return now - st.st_mtime >= MAILDIR_TMP_STALE;
	return pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH;
}

/* Clean one directory (fd is consumed); the number of files removed. */
static int
clean_dir(int fd, int in_tmp, time_t now)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int seen = 0, removed = 0;

	if (d == NULL) {
		close(fd);
		return 0;
	}
	while (seen++ < MAILDIR_CLEAN_SCAN && (de = readdir(d)) != NULL)
		if (clean_wanted(dirfd(d), de->d_name, in_tmp, now) &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
	closedir(d);
	return removed;
}

/* Remove stale files from the folder at dirfd and its tmp/ (see above). */
int
maildir_clean_stale(int dirfd, time_t now)
{
	int fd, removed = 0;

	fd = openat(dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	if (fd >= 0)
		removed += clean_dir(fd, 1, now);
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		removed += clean_dir(fd, 0, now);
	return removed;
}
