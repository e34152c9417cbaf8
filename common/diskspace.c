/*
 * diskspace.c - measure a filesystem's free space and apply the spool's
 * admission rule (see diskspace.h for the rule and the public functions).
 *
 * Returns: diskspace_get 0/-1 (errno); the rest never fail.
 * Cost: diskspace_queue_ok is called for every MAIL command, so the
 * measurement is kept for one second per process; a burst of sessions in
 * one worker costs one statvfs per second.  Under the floor a warning is
 * logged at most once a minute per process, so a full disk does not also
 * fill the log.
 * Security: runs in smtpd workers and petrel-postdrop; reads nothing but
 * statvfs of $queue_directory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "diskspace.h"
#include "log.h"
#include "params.h"

#define DISKSPACE_CACHE_SECONDS 1
#define DISKSPACE_WARN_SECONDS 60

/* Measure the filesystem that holds path. */
int
diskspace_get(const char *path, struct diskspace *ds_r)
{
	struct statvfs sv;

	if (statvfs(path, &sv) < 0)
		return -1;
	ds_r->bytes_free = (unsigned long long)sv.f_bavail *
	    (unsigned long long)(sv.f_frsize != 0 ? sv.f_frsize : sv.f_bsize);
	ds_r->inodes_free = (unsigned long long)sv.f_favail;
	ds_r->inodes_known = sv.f_files != 0;
	return 0;
}

/* Bytes the rule needs: max(minfree, 1.5 limit, minfree + 1.5 declared). */
unsigned long long
diskspace_need(long minfree, long size_limit, long declared)
{
	unsigned long long m = minfree > 0 ? (unsigned long long)minfree : 0;
	unsigned long long l = size_limit > 0 ? (unsigned long long)size_limit :
	    0;
	unsigned long long need = m, v;

	/* Parameters are bounded (LONG_MAX / 4): nothing here overflows. */
	v = l + l / 2;
	if (v > need)
		need = v;
	if (declared > 0) {
		v = m + (unsigned long long)declared +
		    (unsigned long long)declared / 2;
		if (v > need)
			need = v;
	}
	return need;
}

/* 1 if ds has need_bytes and need_inodes free (unknown inodes pass). */
int
diskspace_enough(const struct diskspace *ds, unsigned long long need_bytes,
    unsigned long long need_inodes)
{
	if (ds->bytes_free < need_bytes)
		return 0;
	if (ds->inodes_known && ds->inodes_free < need_inodes)
		return 0;
	return 1;
}

/* The queue filesystem, measured at most once a second; 0 or -1. */
static int
diskspace_queue_measure(struct diskspace *ds_r)
{
	static struct diskspace cached;
	static time_t cached_at;
	static int cached_ok;
	time_t now = time(NULL);

	if (cached_ok && now >= cached_at &&
	    now - cached_at < DISKSPACE_CACHE_SECONDS) {
		*ds_r = cached;
		return 0;
	}
	cached_ok = 0;
	if (diskspace_get(var_queue_directory, &cached) < 0)
		return -1;
	cached_ok = 1;
	cached_at = now;
	*ds_r = cached;
	return 0;
}

/* Log a message at most once a minute per process. */
static void
diskspace_warn(const char *why)
{
	static time_t last;
	time_t now = time(NULL);

	if (last != 0 && now >= last && now - last < DISKSPACE_WARN_SECONDS)
		return;
	last = now;
	log_warn("%s", why);
}

/* The admission rule for $queue_directory; 1 ok, 0 short (see .h). */
int
diskspace_queue_ok(long declared, const char **why_r)
{
	static char why[256];
	struct diskspace ds;
	unsigned long long need = diskspace_need(var_queue_minfree,
	    var_message_size_limit, declared);
	unsigned long long inodes = (unsigned long long)var_queue_minfree_inodes;

	*why_r = NULL;
	if (diskspace_queue_measure(&ds) < 0) {
		snprintf(why, sizeof(why), "statvfs %s: %s", var_queue_directory,
		    strerror(errno));
		diskspace_warn(why);
		return 1;
	}
	if (diskspace_enough(&ds, need, inodes))
		return 1;
	snprintf(why, sizeof(why), "not enough space in the queue file system "
	    "%s: %llu bytes and %llu inodes free, %llu bytes and %llu inodes "
	    "needed (queue_minfree, message_size_limit, queue_minfree_inodes)",
	    var_queue_directory, ds.bytes_free, ds.inodes_known ?
	    ds.inodes_free : 0, need, ds.inodes_known ? inodes : 0);
	diskspace_warn(why);
	*why_r = why;
	return 0;
}
