/*
 * maildir.h - maildir writing and file-name parsing.
 *
 * Delivery follows the maildir specification and DESIGN.md rule 1: write
 * tmp/<unique>, link() into new/<unique> (EEXIST counts as success), unlink
 * the tmp name, then fsync the file and check close(); only then is success
 * returned.  Unique names are "<sec>.V<dev hex>I<ino hex>M<usec>.<host>,S=<size>,W=<vsize>"
 * where S is the file size and W the size with CRLF line ends (POP3/IMAP
 * sizes without reading the file).  The caller has already switched to the
 * mailbox owner's identity.  Every failure is temporary (4.x.x).
 *
 * Public:
 *   maildir_create(path, &errstr)   make path/{tmp,new,cur} (mode 0700) as the
 *                                   current user, parents included.
 *   maildir_deliver(path, prepend, prepend_len, next, ctx, sync_dir,
 *                   &name_r, &errstr)
 *                   next(ctx, &p, &n) yields content (1 chunk, 0 end, -1 error).
 *                   *name_r: malloced base name in new/.  0 or -1;
 *                   after -1 errno tells why (ENOSPC: no room, EDQUOT:
 *                   over quota) and nothing is left in tmp/ or new/.
 *   maildir_parse_name(name, &info)  pure: sizes and flags from a name;
 *                                   0 or -1 when it is not ours to parse
 *                                   (missing sizes are left as -1).
 *   maildir_hostname()              host part with '/' and ':' escaped.
 *   maildir_clean_stale(dirfd, now) remove what killed writers left in
 *                                   the folder at dirfd: tmp/ files older
 *                                   than MAILDIR_TMP_STALE, "*.tmp.<pid>"
 *                                   of dead pids (maildir_clean.c); the
 *                                   number removed.
 */
#ifndef PETREL_MAILDIR_H
#define PETREL_MAILDIR_H

#include <stddef.h>
#include <sys/types.h>
#include "log.h"

#include <time.h>

#define MAILDIR_TMP_STALE (36 * 3600)	/* seconds: a tmp/ file is junk */

typedef int (*maildir_next_fn)(void *ctx, const char **p_r, size_t *n_r);

struct maildir_name_info {
	long long size;		/* S=, or -1 */
	long long vsize;	/* W=, or -1 */
	size_t base_len;	/* length of the unique part (before ',' or ':') */
	char flags[32];		/* after ":2," ("" when none) */
};

int maildir_create(const char *path, const char **errstr_r) WARN_UNUSED;
int maildir_deliver(const char *path, const char *prepend, size_t prepend_len,
    maildir_next_fn next, void *ctx, int sync_dir, char **name_r,
    const char **errstr_r) WARN_UNUSED;
int maildir_parse_name(const char *name, struct maildir_name_info *info_r)
    WARN_UNUSED;
const char *maildir_hostname(void);

int maildir_clean_stale(int dirfd, time_t now);

#endif
