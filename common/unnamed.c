/*
 * unnamed.c - unnamed (O_TMPFILE) files and their naming; see unnamed.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "unnamed.h"

/* Whether /proc/self/fd can name a descriptor: -1 unknown, 0 no, 1 yes. */
static int unnamed_proc = -1;

int
unnamed_unsupported(int err)
{
	return err == EOPNOTSUPP || err == EISDIR || err == EINVAL;
}

int
unnamed_open(int dirfd, const char *dir, mode_t mode)
{
	if (unnamed_proc < 0)
		unnamed_proc = access("/proc/self/fd", X_OK) == 0;
	if (!unnamed_proc) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return openat(dirfd, dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
}

int
unnamed_link(int fd, int dirfd, const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, path, dirfd, name, AT_SYMLINK_FOLLOW);
}
