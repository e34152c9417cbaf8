/*
 * spool.c - create and repair the spool tree described in spool.h, with
 * its owners and modes, and build paths inside it.
 *
 * Public:
 *   spool_setup(&errstr)  idempotent; 0, or -1 with a reason when a
 *                         directory cannot be created or is not a directory.
 *                         A missing user or group only skips that chown,
 *                         with a warning.  As non-root, ownership is left
 *                         alone and the modes are applied where we can.
 *   spool_path(buf, size, dir, name)  "$queue_directory/dir/name"
 *                         (name NULL or "": the directory); -1 if too long.
 * Security: runs as root before any privilege drop.  Every directory is
 * opened with O_NOFOLLOW|O_DIRECTORY and fixed through its descriptor, so a
 * symlink planted in the spool is refused, never followed.  The one
 * exception is queue_directory itself, which the administrator may make a
 * symbolic link to the real directory: it is followed when the link is
 * root's and sits in a directory only root can change (or a sticky one),
 * and refused with a message that says it is a symbolic link otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "params.h"
#include "spool.h"

/* Owner kinds: root, a user parameter's user, or a group by name. */
struct spool_dir {
	const char *name;	/* NULL: the queue directory itself */
	char **user;		/* NULL: root */
	char **group;		/* NULL: the user's primary group (root: 0) */
	mode_t mode;
};

static char spool_err[PATH_MAX + 256];
static int spool_warned;	/* one warning about missing users per setup */

/* Record a failure reason and return -1. */
static int
spool_fail(const char **errstr_r, const char *what, const char *path)
{
	snprintf(spool_err, sizeof(spool_err), "%s %s: %s", what, path,
	    strerror(errno));
	*errstr_r = spool_err;
	return -1;
}

/* Build "$queue_directory/dir/name". */
int
spool_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n;

	if (name == NULL || *name == '\0')
		n = snprintf(buf, size, "%s/%s", var_queue_directory, dir);
	else
		n = snprintf(buf, size, "%s/%s/%s", var_queue_directory, dir,
		    name);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Warn once per setup that a user or group is missing. */
static void
spool_missing(const char *kind, const char *name)
{
	if (spool_warned++)
		return;
	log_warn("spool: %s \"%s\" does not exist; run \"petrel setup\" "
	    "(ownership left alone)", kind, name);
}

/* Resolve the owner of an entry; -1 (after a warning) when unknown. */
static int
spool_owner(char **user, char **group, uid_t *uid_r, gid_t *gid_r)
{
	struct passwd *pw;
	struct group *gr;

	*uid_r = 0;
	*gid_r = 0;
	if (user != NULL) {
		if ((pw = getpwnam(*user)) == NULL) {
			spool_missing("user", *user);
			return -1;
		}
		*uid_r = pw->pw_uid;
		*gid_r = pw->pw_gid;
	}
	if (group != NULL) {
		if ((gr = getgrnam(*group)) == NULL) {
			spool_missing("group", *group);
			return -1;
		}
		*gid_r = gr->gr_gid;
	}
	return 0;
}

/* Give an open spool entry its owner (as root) and mode. */
static int
spool_fix(int fd, const char *path, char **user, char **group, mode_t mode,
    const char **errstr_r)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() == 0 && spool_owner(user, group, &uid, &gid) == 0 &&
	    fchown(fd, uid, gid) != 0)
		return spool_fail(errstr_r, "chown", path);
	if (fchmod(fd, mode) != 0) {
		if (errno == EPERM && geteuid() != 0)
			return 0;	/* someone else's: leave it */
		return spool_fail(errstr_r, "chmod", path);
	}
	return 0;
}

/* mkdir -p for the queue directory's parents; warn if not traversable. */
static int
spool_parents(const char *dir, const char **errstr_r)
{
	char path[PATH_MAX];
	struct stat st;
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path)) {
		*errstr_r = "queue_directory is empty or too long";
		return -1;
	}
	memcpy(path, dir, len + 1);
	for (char *p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return spool_fail(errstr_r, "mkdir", path);
		if (stat(path, &st) == 0 && (st.st_mode & S_IXOTH) == 0)
			log_warn("spool: %s is not searchable by others; the "
			    "daemons' users cannot reach the spool "
			    "(chmod o+x %s)", path, path);
		*p = '/';
	}
	return 0;
}

/* 1 when a symbolic link can only have been made by root (or by us, as
 * non-root): its owner, and a directory that others cannot write (or a
 * sticky one, where they cannot replace a link that is not theirs). */
static int
spool_link_trusted(const char *path, const struct stat *lst)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t len = slash != NULL ? (size_t)(slash - path) : 0;
	struct stat st;

	if (lst->st_uid != 0 && lst->st_uid != geteuid())
		return 0;
	if (len >= sizeof(dir))
		return 0;
	memcpy(dir, path, len);
	dir[len] = '\0';
	if (stat(len > 0 ? dir : "/", &st) != 0)
		return 0;
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    (st.st_mode & S_ISVTX) == 0))
		return 0;
	return 1;
}

/* Open the queue directory itself.  The administrator may have made it a
 * symbolic link to a directory elsewhere (another filesystem): follow it
 * when only root could have made or can replace the link, else refuse,
 * saying so (O_NOFOLLOW alone would fail with a misleading ENOTDIR). */
static int
spool_open_top(const char *path, const char **errstr_r)
{
	struct stat lst;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || (errno != ENOTDIR && errno != ELOOP) ||
	    lstat(path, &lst) != 0 || !S_ISLNK(lst.st_mode)) {
		if (fd < 0)
			(void)spool_fail(errstr_r, "open", path);
		return fd;
	}
	if (!spool_link_trusted(path, &lst)) {
		snprintf(spool_err, sizeof(spool_err), "queue_directory %s is "
		    "a symbolic link that a user other than root owns or can "
		    "replace; refusing to follow it (make the link and its "
		    "directory root's, or name the real directory)", path);
		*errstr_r = spool_err;
		return -1;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		(void)spool_fail(errstr_r, "open (a symbolic link)", path);
	return fd;
}

/* Create (if needed) and fix one directory of the tree. */
static int
spool_dir(const struct spool_dir *d, const char **errstr_r)
{
	char path[PATH_MAX];
	int fd, rc;

	if (d->name == NULL)
		rc = snprintf(path, sizeof(path), "%s", var_queue_directory);
	else
		rc = spool_path(path, sizeof(path), d->name, NULL);
	if (rc < 0 || (size_t)rc >= sizeof(path)) {
		*errstr_r = "spool path too long";
		return -1;
	}
	if (mkdir(path, d->mode) != 0 && errno != EEXIST)
		return spool_fail(errstr_r, "mkdir", path);
	if (d->name == NULL)
		fd = spool_open_top(path, errstr_r);
	else
		fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0)
		return d->name == NULL ? -1 : spool_fail(errstr_r, "open",
		    path);
	rc = spool_fix(fd, path, d->user, d->group, d->mode, errstr_r);
	close(fd);
	return rc;
}

/* The queue manager's trigger FIFO: qmgr_user:spool_group 0620. */
static int
spool_fifo(const char **errstr_r)
{
	const char *path = var_qmgr_fifo;
	struct stat st;
	int fd, rc;

	if (path == NULL || *path == '\0')
		return 0;
	if (mkfifo(path, 0620) != 0 && errno != EEXIST)
		return spool_fail(errstr_r, "mkfifo", path);
	if (lstat(path, &st) != 0)
		return spool_fail(errstr_r, "lstat", path);
	if (!S_ISFIFO(st.st_mode)) {
		errno = EEXIST;
		return spool_fail(errstr_r, "not a FIFO:", path);
	}
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return spool_fail(errstr_r, "open", path);
	rc = spool_fix(fd, path, &var_qmgr_user, &var_spool_group, 0620,
	    errstr_r);
	close(fd);
	return rc;
}

/* Create or repair the whole tree. */
int
spool_setup(const char **errstr_r)
{
	const struct spool_dir dirs[] = {
		{ NULL, NULL, NULL, 0755 },
		{ SPOOL_INCOMING, &var_qmgr_user, &var_spool_group, 0770 },
		{ SPOOL_ACTIVE, &var_qmgr_user, &var_spool_group, 0750 },
		{ SPOOL_DEFERRED, &var_qmgr_user, &var_spool_group, 0750 },
		{ SPOOL_HOLD, &var_qmgr_user, &var_spool_group, 0750 },
		{ SPOOL_CORRUPT, &var_qmgr_user, &var_spool_group, 0750 },
		{ SPOOL_DEFER, &var_qmgr_user, &var_spool_group, 02750 },
		{ SPOOL_FREE, &var_qmgr_user, &var_spool_group, 0770 },
		{ SPOOL_MAILDROP, &var_qmgr_user, &var_spool_group, 01730 },
		{ SPOOL_PUBLIC, NULL, NULL, 0755 },
		{ SPOOL_PRIVATE, NULL, NULL, 0711 },
		{ SPOOL_PID, NULL, NULL, 0755 },
	};

	if (var_queue_directory == NULL || var_queue_directory[0] != '/') {
		*errstr_r = "queue_directory must be an absolute path";
		return -1;
	}
	spool_warned = 0;
	if (spool_parents(var_queue_directory, errstr_r) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (spool_dir(&dirs[i], errstr_r) != 0)
			return -1;
	return spool_fifo(errstr_r);
}

/* Move a file between spool directories; 0, or -1 (errno). */
int
spool_move(const char *from, const char *to, const char *name)
{
	char a[4096], b[4096];

	if (spool_path(a, sizeof(a), from, name) < 0 ||
	    spool_path(b, sizeof(b), to, name) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return rename(a, b);
}
