/*
 * diskspace.h - free space and inodes of a filesystem, and the spool's
 * admission rule (queue_minfree, queue_minfree_inodes).
 *
 * Rule (Postfix's queue_minfree, plus an inode floor): new mail is taken
 * only while the queue file system has at least
 *   max(queue_minfree, 1.5 * message_size_limit)            bytes free, and
 *   queue_minfree + 1.5 * SIZE  when the client declared SIZE (RFC 1870),
 * and at least queue_minfree_inodes free inodes (a filesystem that reports
 * no inode count, e.g. btrfs, passes that part).  "Free" is what an
 * unprivileged writer may use (f_bavail, f_favail), not root's reserve.
 *
 * Public:
 *   diskspace_get(path, &ds)      statvfs; 0, or -1 with errno.
 *   diskspace_need(minfree, size_limit, declared)  pure: bytes the rule
 *                                 needs (declared < 0: no SIZE).
 *   diskspace_enough(&ds, need_bytes, need_inodes)  pure: 1 or 0.
 *   diskspace_queue_ok(declared, &why)  the rule for $queue_directory,
 *                                 with the measurement cached for one second
 *                                 per process (one statvfs a second at
 *                                 most); 1 ok, 0 short (why says what is
 *                                 short, also logged at most once a minute).
 *                                 A statvfs that fails is logged and counts
 *                                 as ok: the write itself will tell.
 * Security: no input from the network; any user may call statvfs on a
 * directory it can reach.
 */
#ifndef PETREL_DISKSPACE_H
#define PETREL_DISKSPACE_H

#include "log.h"

struct diskspace {
	unsigned long long bytes_free;	/* for unprivileged writers */
	unsigned long long inodes_free;
	int inodes_known;		/* 0: the filesystem has no inode count */
};

int diskspace_get(const char *path, struct diskspace *ds_r) WARN_UNUSED;
unsigned long long diskspace_need(long minfree, long size_limit,
    long declared);
int diskspace_enough(const struct diskspace *ds, unsigned long long need_bytes,
    unsigned long long need_inodes);
int diskspace_queue_ok(long declared, const char **why_r);

#endif
