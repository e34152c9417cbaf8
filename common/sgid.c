/*
 * sgid.c - helpers for the set-group-ID spool tools (petrel-postdrop and
 * petrel-qtool, installed setgid spool_group): keep the spool group only
 * while it is needed, and never read a configuration file that the
 * invoking user controls.
 *
 * Public:
 *   sgid_init()              at the start of main(): remember the
 *                            privileged effective gid and switch the
 *                            effective gid to the real gid (the saved
 *                            set-group-ID keeps the privilege for later).
 *   sgid_is_setgid()         1 when the process runs with a group it was
 *                            not invoked with (the real gid differs).
 *   sgid_raise() / sgid_lower()  effective gid = privileged / real gid;
 *                            0 or -1 (errno).
 *   sgid_drop()              give the privilege up for good (real,
 *                            effective and saved gid = real gid).
 *   sgid_config_load(path, &errstr)  load petrel.conf: "path" (from -C) or
 *                            $PETREL_CONF when the process is not setgid
 *                            or the real uid is root; otherwise only when
 *                            the file passes sgid_trusted_file(); else the
 *                            default /etc/petrel/petrel.conf.  -1 on a
 *                            config error or an untrusted explicit path.
 *   sgid_trusted_file(path)  1 if path is a regular file owned by root,
 *                            not writable by group or others, and every
 *                            directory above it is owned by root and not
 *                            writable by group/others unless sticky: only
 *                            root could have put it there.
 * Security: a setgid program must not let its caller choose a
 * configuration that points queue_directory (or the FIFO) somewhere else,
 * so an explicit configuration must be one only root could have written
 * (a private test instance under /tmp made by root qualifies; a file the
 * user wrote does not).  The file is read with the real gid only.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "sanitizer.h"
#include "sgid.h"

#define SGID_DEFAULT_CONF "/etc/petrel/petrel.conf"

static gid_t sgid_priv_gid;
static gid_t sgid_real_gid;
static int sgid_inited;

/* Remember the privileged gid and run with the real one from now on. */
void
sgid_init(void)
{
	sgid_real_gid = getgid();
	sgid_priv_gid = getegid();
	sgid_inited = 1;
	if (sgid_priv_gid != sgid_real_gid && setegid(sgid_real_gid) < 0)
		log_fatal("setegid: %m");
}

/* 1 when the program was started set-group-ID. */
int
sgid_is_setgid(void)
{
	return sgid_inited && sgid_priv_gid != sgid_real_gid;
}

/* Take the spool group back for a spool operation. */
int
sgid_raise(void)
{
	if (!sgid_is_setgid())
		return 0;
	return setegid(sgid_priv_gid);
}

/* Return to the caller's own group between spool operations. */
int
sgid_lower(void)
{
	if (!sgid_is_setgid())
		return 0;
	return setegid(sgid_real_gid);
}

/* Give the spool group up for good (saved gid included). */
void
sgid_drop(void)
{
	if (!sgid_is_setgid())
		return;
	if (setresgid(sgid_real_gid, sgid_real_gid, sgid_real_gid) < 0)
		log_fatal("setresgid: %m");
	sgid_priv_gid = sgid_real_gid;
	/* LeakSanitizer can trace a non-root caller's process again only
	 * now that no saved gid differs (sanitizer.h). */
	sanitizer_keep_dumpable();
}

/* 1 if st belongs to root and others cannot replace or change it. */
static int
sgid_safe_stat(const struct stat *st, int is_dir)
{
	if (st->st_uid != 0)
		return 0;
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return 1;
	return is_dir && (st->st_mode & S_ISVTX) != 0;
}

/* 1 if only root could have written path (see the header). */
int
sgid_trusted_file(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (path == NULL || path[0] != '/' || strlen(path) >= sizeof(dir) ||
	    lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !sgid_safe_stat(&st, 0))
		return 0;
	snprintf(dir, sizeof(dir), "%s", path);
	while ((slash = strrchr(dir, '/')) != NULL) {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) ||
		    !sgid_safe_stat(&st, 1))
			return 0;
		if (strcmp(dir, "/") == 0)
			break;
	}
	return 1;
}

/* Load the configuration, trusting a caller-chosen path only when safe. */
int
sgid_config_load(const char *path, const char **errstr_r)
{
	if (path == NULL || *path == '\0')
		path = getenv("PETREL_CONF");
	if (path == NULL || *path == '\0')
		path = SGID_DEFAULT_CONF;
	if (sgid_is_setgid() && getuid() != 0 &&
	    strcmp(path, SGID_DEFAULT_CONF) != 0 && !sgid_trusted_file(path)) {
		*errstr_r = "configuration file not trusted (it must belong to "
		    "root in root-owned directories)";
		return -1;
	}
	return config_load(path, errstr_r);
}
