/*
 * privs.h - giving up root for good, and (local delivery only) acting as a
 * mailbox owner for a while.
 *
 * Public:
 *   privs_drop(user, &errstr)      initgroups, setgid, setuid in that order,
 *                                  then checks that setuid(0) and setgid(0)
 *                                  fail.  -1 with a reason (the caller is
 *                                  expected to log_fatal).
 *   privs_drop_ids(uid, gid, &errstr) the same for ids (no supplementary
 *                                  groups but gid); refuses uid/gid 0.
 *   privs_lookup(user, &uid, &gid) 0 or -1 (unknown user).
 *   privs_become(uid, gid, &errstr) no supplementary groups (from the
 *                                  first call on), effective gid and uid
 *                                  (the saved uid stays root) - used
 *                                  by the root local delivery worker around
 *                                  one delivery; refuses uid 0.
 *                                  Free when already acting as them.
 *   privs_restore(&errstr)         back to effective root (free when
 *                                  already there).
 *   privs_is_root()                geteuid() == 0.
 */
#ifndef PETREL_PRIVS_H
#define PETREL_PRIVS_H

#include <sys/types.h>
#include "log.h"

int privs_drop(const char *user, const char **errstr_r) WARN_UNUSED;
int privs_drop_ids(uid_t uid, gid_t gid, const char **errstr_r) WARN_UNUSED;
int privs_lookup(const char *user, uid_t *uid_r, gid_t *gid_r) WARN_UNUSED;
int privs_become(uid_t uid, gid_t gid, const char **errstr_r) WARN_UNUSED;
int privs_restore(const char **errstr_r) WARN_UNUSED;
int privs_is_root(void);

#endif
