/*
 * unnamed.h - files written without a name (O_TMPFILE) and named only when
 * complete, shared by the queue-file writer and the maildir writer.
 *
 *   unnamed_open(dirfd, dir, mode)  an unnamed writable file in the
 *                              directory dir (relative to dirfd, as openat);
 *                              fd, or -1 with errno (EOPNOTSUPP
 *                              when the filesystem or the kernel cannot, or
 *                              /proc is not mounted: the caller then
 *                              creates a named temporary file instead)
 *   unnamed_link(fd, dirfd, name)  give it its first name (relative to
 *                              dirfd); 0 or -1/errno
 *
 * Why: no directory entry is made or removed while the file is written,
 * so writers in one directory do not take its lock, and a writer that dies
 * leaves nothing behind.  Naming goes through /proc/self/fd (linkat with
 * AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH).
 */
#ifndef PETREL_UNNAMED_H
#define PETREL_UNNAMED_H

#include <sys/types.h>

int unnamed_open(int dirfd, const char *dir, mode_t mode);
int unnamed_link(int fd, int dirfd, const char *name);
/* True when errno from unnamed_open means "not supported here". */
int unnamed_unsupported(int err);

#endif
