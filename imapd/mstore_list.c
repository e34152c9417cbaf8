/*
 * mstore_list.c - folder operations on a user's Maildir++ tree: LIST with
 * attributes, CREATE (with SPECIAL-USE), DELETE, RENAME, subscriptions and
 * the default folders of a new user.
 *
 * Public (mstore.h): mstore_folder_path, mstore_list, mstore_list_free,
 * mstore_create, mstore_delete, mstore_rename, mstore_subscribe,
 * mstore_subscriptions, mstore_names_free, mstore_make_defaults.
 * DELETE renames the folder to "..petrel-deleted.<pid>.<n>" (never a
 * folder name: valid names have no '.') and removes it there, so a
 * half-done delete never shows as a folder; a folder with children loses
 * only its own directory and lists as \NoSelect (RFC 9051 6.3.4); a
 * \NoSelect name with children is refused.  RENAME moves the children;
 * RENAME INBOX creates the target and moves every message file into it
 * (flags and keywords kept, UIDs new), leaving INBOX empty.  Special-use
 * is the file petrel-special-use inside the folder, so it moves with it.
 * Subscriptions: root/subscriptions, one UTF-8 name per line, rewritten
 * atomically under flock(subscriptions.lock).
 * Returns 0 or -1 with *errstr_r (static text).
 * Security: every name passes mstore_name_check before a path is made.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "mstore_int.h"

static const struct {
	const char *name;
	unsigned su;
} mstore_su[] = {
	{ "\\Sent", MSTORE_SU_SENT }, { "\\Drafts", MSTORE_SU_DRAFTS },
	{ "\\Trash", MSTORE_SU_TRASH }, { "\\Junk", MSTORE_SU_JUNK },
	{ "\\Archive", MSTORE_SU_ARCHIVE },
};
#define MSTORE_NSU (sizeof(mstore_su) / sizeof(mstore_su[0]))

static char mstore_list_err[256];

/* Format a static error text. */
static const char *
mstore_lerr(const char *what, int err)
{
	snprintf(mstore_list_err, sizeof(mstore_list_err), "%s: %s", what,
	    strerror(err != 0 ? err : EIO));
	return mstore_list_err;
}

/* Path of a folder: root for INBOX, root/.A.B otherwise. */
int
mstore_folder_path(const char *root, const char *name, char **path_r,
    const char **errstr_r)
{
	struct buf *b;

	if (mstore_is_inbox(name)) {
		*path_r = xstrdup(root);
		return 0;
	}
	if (mstore_name_check(name, errstr_r) < 0)
		return -1;
	b = buf_new(256, 4096);
	if (buf_append_str(b, root) < 0 || buf_append_char(b, '/') < 0 ||
	    mstore_name_to_dir(name, b) < 0 || b->len > 4000) {
		buf_free(&b);
		*errstr_r = "mailbox name too long";
		return -1;
	}
	*path_r = xstrdup(buf_cstr(b));
	buf_free(&b);
	return 0;
}

/* Create path as a maildir folder (maildirfolder, tmp, new, cur). */
static int
mstore_mkfolder(const char *path, unsigned special, const char **errstr_r)
{
	int dfd, fd;
	char line[64] = "";

	if (mkdir(path, 0700) < 0) {
		*errstr_r = errno == EEXIST ? "mailbox already exists" :
		    mstore_lerr("create mailbox", errno);
		return -1;
	}
	if (maildir_create(path, errstr_r) < 0 ||
	    (dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	fd = openat(dfd, "maildirfolder", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < MSTORE_NSU; i++)
		if (special & mstore_su[i].su)
			snprintf(line + strlen(line), sizeof(line) - strlen(line),
			    "%s\n", mstore_su[i].name);
	if (fd < 0 || (line[0] != '\0' && mstore_write_atomic(dfd,
	    MSTORE_SPECIAL, line, strlen(line), 1) < 0) || fsync(dfd) < 0) {
		*errstr_r = mstore_lerr("create mailbox", errno);
		close(dfd);
		return -1;
	}
	close(dfd);
	return 0;
}

/* fsync a directory by path (best effort on filesystems that need it). */
static void
mstore_sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* CREATE a folder, optionally with a special-use attribute. */
int
mstore_create(const char *root, const char *name, unsigned special,
    const char **errstr_r)
{
	char *path;
	int r;

	if (mstore_is_inbox(name)) {
		*errstr_r = "mailbox already exists";
		return -1;
	}
	if (mstore_folder_path(root, name, &path, errstr_r) < 0)
		return -1;
	r = mstore_mkfolder(path, special, errstr_r);
	free(path);
	if (r == 0)
		mstore_sync_dir(root);
	return r;
}

/* Remove a folder directory tree (two levels: files, tmp/new/cur). */
static int
mstore_rmtree(int pfd, const char *name, int depth)
{
	int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC |
	    O_NOFOLLOW);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return unlinkat(pfd, name, 0);
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno == EISDIR &&
		    depth < 2)
			(void)mstore_rmtree(dirfd(d), de->d_name, depth + 1);
	}
	closedir(d);
	return unlinkat(pfd, name, AT_REMOVEDIR);
}

/* 1 if some folder directory below "dir" (".A") exists in root. */
static int
mstore_has_children(const char *root, const char *dir)
{
	DIR *d = opendir(root);
	struct dirent *de;
	size_t l = strlen(dir);
	int found = 0;

	while (d != NULL && !found && (de = readdir(d)) != NULL)
		found = strncmp(de->d_name, dir, l) == 0 && de->d_name[l] == '.';
	if (d != NULL)
		closedir(d);
	return found;
}

/* DELETE a folder (see the file comment). */
int
mstore_delete(const char *root, const char *name, const char **errstr_r)
{
	static unsigned long n;
	char *path, trash[64];
	int rfd, r;

	if (mstore_is_inbox(name)) {
		*errstr_r = "INBOX cannot be deleted";
		return -1;
	}
	if (mstore_folder_path(root, name, &path, errstr_r) < 0)
		return -1;
	if ((rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		free(path);
		*errstr_r = mstore_lerr("open root", errno);
		return -1;
	}
	snprintf(trash, sizeof(trash), "..petrel-deleted.%ld.%lu",
	    (long)getpid(), n++);
	r = renameat(rfd, strrchr(path, '/') + 1, rfd, trash);
	if (r < 0) {
		*errstr_r = errno != ENOENT ? mstore_lerr("delete", errno) :
		    mstore_has_children(root, strrchr(path, '/') + 1) ?
		    "mailbox has children and no messages of its own" :
		    "no such mailbox";
	} else {
		(void)fsync(rfd);
		(void)mstore_rmtree(rfd, trash, 0);
	}
	close(rfd);
	free(path);
	return r;
}

/* Move every file of INBOX's new/ and cur/ into the folder at path. */
static int
mstore_move_files(const char *root, const char *path)
{
	static const char *sub[] = { "new", "cur" };
	char from[4096], to[4096];
	int r = 0;

	for (int i = 0; i < 2 && r == 0; i++) {
		snprintf(from, sizeof(from), "%s/%s", root, sub[i]);
		snprintf(to, sizeof(to), "%s/%s", path, sub[i]);
		DIR *d = opendir(from);
		int tfd = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct dirent *de;

		while (d != NULL && tfd >= 0 && (de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' && renameat(dirfd(d),
			    de->d_name, tfd, de->d_name) < 0 && errno != ENOENT)
				r = -1;
		if (d == NULL || tfd < 0)
			r = -1;
		if (tfd >= 0 && fsync(tfd) < 0)
			r = -1;
		if (tfd >= 0)
			close(tfd);
		if (d != NULL)
			closedir(d);
	}
	return r;
}

/* RENAME INBOX: a new folder gets all of INBOX's messages. */
static int
mstore_rename_inbox(const char *root, const char *to, const char **errstr_r)
{
	char *path, kw[4096];
	struct buf *b;
	int r;

	if (mstore_folder_path(root, to, &path, errstr_r) < 0)
		return -1;
	r = mstore_mkfolder(path, 0, errstr_r);
	snprintf(kw, sizeof(kw), "%s/" MSTORE_KEYWORDS, root);
	if (r == 0 && mstore_read_all(AT_FDCWD, kw, 65536, &b) == 0) {
		int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || mstore_write_atomic(dfd, MSTORE_KEYWORDS, b->data,
		    b->len, 1) < 0)
			r = -1;
		if (dfd >= 0)
			close(dfd);
		buf_free(&b);
	}
	if (r == 0 && mstore_move_files(root, path) < 0)
		r = -1;
	if (r < 0 && *errstr_r == NULL)
		*errstr_r = mstore_lerr("rename INBOX", errno);
	free(path);
	return r;
}

/* Rename ".from" and every ".from.*" directory to ".to...". */
static int
mstore_rename_dirs(const char *root, const char *fd_, const char *td,
    const char **errstr_r)
{
	int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0, n = 0;
	DIR *d = rfd < 0 ? NULL : opendir(root);
	size_t fl = strlen(fd_);
	struct dirent *de;
	char to[1024];

	while (d != NULL && (de = readdir(d)) != NULL && r == 0) {
		if (strncmp(de->d_name, fd_, fl) != 0 ||
		    (de->d_name[fl] != '\0' && de->d_name[fl] != '.'))
			continue;
		if ((size_t)snprintf(to, sizeof(to), "%s%s", td,
		    de->d_name + fl) >= sizeof(to) || strlen(to) > 255) {
			errno = ENAMETOOLONG;
			r = -1;
		} else if (renameat(rfd, de->d_name, rfd, to) < 0)
			r = -1;
		n++;
	}
	if (d == NULL || r < 0)
		*errstr_r = mstore_lerr("rename", errno);
	else if (n == 0) {
		*errstr_r = "no such mailbox";
		r = -1;
	} else
		(void)fsync(rfd);
	if (d != NULL)
		closedir(d);
	if (rfd >= 0)
		close(rfd);
	return r;
}

/* RENAME a folder and its children (INBOX: see mstore_rename_inbox). */
int
mstore_rename(const char *root, const char *from, const char *to,
    const char **errstr_r)
{
	char *fp, *tp;
	struct stat st;
	int r = -1;

	*errstr_r = NULL;
	if (mstore_is_inbox(to) || mstore_name_check(to, errstr_r) < 0) {
		*errstr_r = "invalid target mailbox name";
		return -1;
	}
	if (mstore_is_inbox(from))
		return mstore_rename_inbox(root, to, errstr_r);
	if (mstore_folder_path(root, from, &fp, errstr_r) < 0)
		return -1;
	if (mstore_folder_path(root, to, &tp, errstr_r) < 0) {
		free(fp);
		return -1;
	}
	size_t fl = strlen(from);
	if (lstat(tp, &st) == 0 || mstore_has_children(root,
	    strrchr(tp, '/') + 1))
		*errstr_r = "target mailbox already exists";
	else if (strncmp(to, from, fl) == 0 && to[fl] == '/')
		*errstr_r = "cannot rename a mailbox into itself";
	else
		r = mstore_rename_dirs(root, strrchr(fp, '/') + 1,
		    strrchr(tp, '/') + 1, errstr_r);
	free(fp);
	free(tp);
	return r;
}
