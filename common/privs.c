/*
 * privs.c - giving up root for good (every daemon worker) and, for the
 * local delivery worker only, acting as a mailbox owner for one delivery.
 *
 * Public: privs_drop, privs_lookup, privs_become, privs_restore,
 * privs_is_root.  All return 0 or -1 with a reason in *errstr_r (lookup:
 * -1 for an unknown user); callers treat a failed drop as fatal.
 *
 * Security: privs_drop sets the supplementary groups, then the gid, then
 * the uid (real, effective and saved), and then proves that neither uid 0
 * nor gid 0 can be regained.  It refuses to "drop" to uid 0.
 * privs_become only changes the effective ids (the saved uid stays 0 so
 * privs_restore can return); it refuses uid 0 and gid 0, so a delivery
 * never runs as root.  It remembers whom it acts as: asking again for the
 * same ids is free, so the local delivery worker stays the last mailbox
 * owner between deliveries and calls privs_restore only where it needs
 * root (another owner, forwarding, a map file to look at again).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "privs.h"
#include "sanitizer.h"

static char privs_err[256];

static int privs_set_ids(uid_t uid, gid_t gid, const char **errstr_r);

/* Format a reason with errno into the static buffer. */
static int
privs_fail(const char *what, const char **errstr_r)
{
	snprintf(privs_err, sizeof(privs_err), "%s: %s", what, strerror(errno));
	*errstr_r = privs_err;
	return -1;
}

/* Find a user's uid and primary gid. */
int
privs_lookup(const char *user, uid_t *uid_r, gid_t *gid_r)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL)
		return -1;
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
	return 0;
}

/* Become user permanently and check that root cannot be regained. */
int
privs_drop(const char *user, const char **errstr_r)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		snprintf(privs_err, sizeof(privs_err), "unknown user %s", user);
		*errstr_r = privs_err;
		return -1;
	}
	if (pw->pw_uid == 0) {
		snprintf(privs_err, sizeof(privs_err),
		    "user %s has uid 0; refusing to run as root", user);
		*errstr_r = privs_err;
		return -1;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) < 0)
		return privs_fail("initgroups", errstr_r);
	return privs_set_ids(pw->pw_uid, pw->pw_gid, errstr_r);
}

/* setgid, setuid, then prove that neither root id can be regained. */
static int
privs_set_ids(uid_t uid, gid_t gid, const char **errstr_r)
{
	if (setgid(gid) < 0)
		return privs_fail("setgid", errstr_r);
	if (setuid(uid) < 0)
		return privs_fail("setuid", errstr_r);
	if (setuid(0) == 0 || seteuid(0) == 0) {
		*errstr_r = "privilege drop failed: uid 0 can be regained";
		return -1;
	}
	if (gid != 0 && (setgid(0) == 0 || setegid(0) == 0)) {
		*errstr_r = "privilege drop failed: gid 0 can be regained";
		return -1;
	}
	sanitizer_keep_dumpable();
	return 0;
}

/* Become uid/gid for good with no supplementary groups (a mailbox owner
 * known by its ids, e.g. the vmail user of a virtual mailbox). */
int
privs_drop_ids(uid_t uid, gid_t gid, const char **errstr_r)
{
	if (uid == 0 || gid == 0) {
		*errstr_r = "refusing to run as uid 0 or gid 0";
		return -1;
	}
	if (setgroups(1, &gid) < 0)
		return privs_fail("setgroups", errstr_r);
	return privs_set_ids(uid, gid, errstr_r);
}

static uid_t privs_acting_uid;	/* 0: effective root */
static gid_t privs_acting_gid;

/* Sanitizer builds: effective root again before LeakSanitizer's check at
 * exit (registered before main, so it runs after this), whose tracing
 * task has the process's ids and needs root's to attach to it. */
static void
privs_restore_at_exit(void)
{
	const char *err;

	if (privs_restore(&err) < 0)
		log_warn("at exit: %s", err);
}

/* Act as uid/gid for a while (effective ids only).  Acting as them
 * already costs nothing, so a caller may stay until it needs root again
 * (privs_restore), and deliveries to one owner in a row switch once.
 * The first call empties the process's supplementary groups for good:
 * root needs none (its access does not depend on them), and the mailbox
 * owner then acts with its gid alone, as with setgroups({gid}), without
 * two more credential changes per delivery. */
int
privs_become(uid_t uid, gid_t gid, const char **errstr_r)
{
	static int groups_cleared;

	if (uid == 0 || gid == 0) {
		*errstr_r = "refusing to act as uid 0 or gid 0";
		return -1;
	}
	if (privs_acting_uid == uid && privs_acting_gid == gid &&
	    geteuid() == uid)
		return 0;
	if (privs_restore(errstr_r) < 0)
		return -1;
	if (geteuid() != 0) {
		*errstr_r = "privs_become needs effective root";
		return -1;
	}
	if (!groups_cleared) {
		if (setgroups(0, NULL) < 0)
			return privs_fail("setgroups", errstr_r);
		groups_cleared = 1;
		if (SANITIZER_BUILD)
			(void)atexit(privs_restore_at_exit);
	}
	if (setegid(gid) < 0)
		return privs_fail("setegid", errstr_r);
	privs_acting_gid = gid;
	if (seteuid(uid) < 0)
		return privs_fail("seteuid", errstr_r);
	privs_acting_uid = uid;
	return 0;
}

/* Return to effective root after privs_become (nothing to do when no
 * privs_become is in force). */
int
privs_restore(const char **errstr_r)
{
	if (privs_acting_uid == 0 && privs_acting_gid == 0)
		return 0;
	if (seteuid(0) < 0)
		return privs_fail("seteuid(0)", errstr_r);
	privs_acting_uid = 0;
	if (setegid(0) < 0)
		return privs_fail("setegid(0)", errstr_r);
	privs_acting_gid = 0;
	return 0;
}

/* Is the effective uid root? */
int
privs_is_root(void)
{
	return geteuid() == 0;
}
