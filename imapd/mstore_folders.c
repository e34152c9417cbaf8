/*
 * mstore_folders.c - LIST of a Maildir++ tree, subscriptions and the
 * default folders of a new user.
 *
 * Public (mstore.h): mstore_list, mstore_list_free, mstore_subscribe,
 * mstore_subscriptions, mstore_names_free, mstore_make_defaults.
 * LIST returns every folder, INBOX first, the rest sorted by name, with
 * \HasChildren/\HasNoChildren, \NoSelect for a parent that exists only
 * through its children, \Subscribed, and the special-use bits.  Pattern
 * matching is the session's.  Directory entries that do not decode to a
 * valid name (foreign or "..petrel-deleted.*") are skipped.
 * Returns 0 or -1 with *errstr_r.
 * Security: directory names are untrusted; they are decoded and checked
 * with the same rules as client names.
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

#define MSTORE_FOLDERS_MAX 100000
#define MSTORE_SUBS "subscriptions"

struct mstore_flist {
	struct mstore_folder *f;
	size_t n, cap;
};

/* Add a folder to the list. */
static void
mstore_flist_add(struct mstore_flist *l, const char *name, unsigned attrs)
{
	if (l->n == l->cap) {
		l->cap = l->cap < 16 ? 16 : l->cap * 2;
		l->f = xreallocarray(l->f, l->cap, sizeof(*l->f));
	}
	l->f[l->n].name = xstrdup(name);
	l->f[l->n++].attrs = attrs;
}

/* Special-use bits of a folder directory. */
static unsigned
mstore_dir_special(int rfd, const char *dir)
{
	char p[300];
	struct buf *b;
	unsigned su = 0;
	static const char *names[] = { "\\Sent", "\\Drafts", "\\Trash",
	    "\\Junk", "\\Archive" };

	snprintf(p, sizeof(p), "%s/" MSTORE_SPECIAL, dir);
	if (mstore_read_all(rfd, p, 1024, &b) < 0)
		return 0;
	for (unsigned i = 0; i < 5; i++)
		if (memmem(b->data, b->len, names[i], strlen(names[i])) != NULL)
			su |= 1u << i;
	buf_free(&b);
	return su;
}

/* Read the folder directories of root into l. */
static int
mstore_list_dirs(const char *root, struct mstore_flist *l)
{
	DIR *d = opendir(root);
	struct dirent *de;
	struct buf *nm = buf_new(256, 4096);
	struct stat st;

	if (d == NULL) {
		buf_free(&nm);
		return -1;
	}
	while ((de = readdir(d)) != NULL && l->n < MSTORE_FOLDERS_MAX) {
		const char *err;

		buf_reset(nm);
		if (de->d_name[0] != '.' || mstore_dir_to_name(de->d_name,
		    strlen(de->d_name), nm) < 0 ||
		    mstore_name_check(buf_cstr(nm), &err) < 0 ||
		    mstore_is_inbox(buf_cstr(nm)) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		mstore_flist_add(l, buf_cstr(nm),
		    mstore_dir_special(dirfd(d), de->d_name));
	}
	closedir(d);
	buf_free(&nm);
	return 0;
}

/* Order folders by name. */
static int
mstore_folder_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mstore_folder *)a)->name,
	    ((const struct mstore_folder *)b)->name);
}

/* Index of name in the sorted first n entries of l, or -1. */
static long
mstore_flist_find(const struct mstore_flist *l, size_t n, const char *name)
{
	struct mstore_folder key = { (char *)name, 0 }, *f;

	f = bsearch(&key, l->f, n, sizeof(*l->f), mstore_folder_cmp);
	return f != NULL ? f - l->f : -1;
}

/* Add \NoSelect parents that exist only through their children. */
static void
mstore_list_parents(struct mstore_flist *l)
{
	size_t n, o = 0;

	qsort(l->f, l->n, sizeof(*l->f), mstore_folder_cmp);
	n = l->n;
	for (size_t i = 0; i < n; i++) {
		char *p = xstrdup(l->f[i].name), *s;

		while ((s = strrchr(p, '/')) != NULL) {
			*s = '\0';
			if (mstore_flist_find(l, n, p) >= 0)
				break;
			mstore_flist_add(l, p, MSTORE_A_NOSELECT);
		}
		free(p);
	}
	qsort(l->f, l->n, sizeof(*l->f), mstore_folder_cmp);
	for (size_t i = 0; i < l->n; i++) {
		if (o > 0 && strcmp(l->f[o - 1].name, l->f[i].name) == 0) {
			free(l->f[i].name);
			continue;
		}
		l->f[o++] = l->f[i];
	}
	l->n = o;
}

/* Set \HasChildren / \HasNoChildren and \Subscribed. */
static void
mstore_list_attrs(const char *root, struct mstore_flist *l)
{
	char **subs = NULL;
	size_t nsubs = 0;
	const char *err;

	for (size_t i = 0; i < l->n; i++) {
		size_t len = strlen(l->f[i].name);
		int kids = i + 1 < l->n &&
		    strncmp(l->f[i + 1].name, l->f[i].name, len) == 0 &&
		    l->f[i + 1].name[len] == '/';

		l->f[i].attrs |= kids ? MSTORE_A_HASCHILDREN :
		    MSTORE_A_HASNOCHILDREN;
	}
	if (mstore_subscriptions(root, &subs, &nsubs, &err) < 0)
		return;
	for (size_t i = 0; i < nsubs; i++) {
		long k = mstore_flist_find(l, l->n, subs[i]);
		if (k >= 0)
			l->f[k].attrs |= MSTORE_A_SUBSCRIBED;
	}
	mstore_names_free(&subs, nsubs);
}

/* LIST every folder of root (see the file comment). */
int
mstore_list(const char *root, struct mstore_folder **list_r,
    size_t *count_r, const char **errstr_r)
{
	struct mstore_flist l = { NULL, 0, 0 };

	mstore_flist_add(&l, "INBOX", 0);
	if (mstore_list_dirs(root, &l) < 0) {
		*errstr_r = "cannot read the mail directory";
		mstore_list_free(&l.f, l.n);
		return -1;
	}
	mstore_list_parents(&l);
	mstore_list_attrs(root, &l);
	/* INBOX first */
	long k = mstore_flist_find(&l, l.n, "INBOX");
	if (k > 0) {
		struct mstore_folder in = l.f[k];
		memmove(l.f + 1, l.f, (size_t)k * sizeof(*l.f));
		l.f[0] = in;
	}
	*list_r = l.f;
	*count_r = l.n;
	return 0;
}

/* Free a folder list. */
void
mstore_list_free(struct mstore_folder **list, size_t count)
{
	for (size_t i = 0; *list != NULL && i < count; i++)
		free((*list)[i].name);
	free(*list);
	*list = NULL;
}

/* Free a list of names. */
void
mstore_names_free(char ***names, size_t count)
{
	for (size_t i = 0; *names != NULL && i < count; i++)
		free((*names)[i]);
	free(*names);
	*names = NULL;
}

/* Subscribed names (valid lines of root/subscriptions). */
int
mstore_subscriptions(const char *root, char ***names_r, size_t *count_r,
    const char **errstr_r)
{
	char p[4096];
	struct buf *b;
	size_t off = 0, n = 0;
	const char *nl, *err;

	*names_r = NULL;
	*count_r = 0;
	snprintf(p, sizeof(p), "%s/" MSTORE_SUBS, root);
	if (mstore_read_all(AT_FDCWD, p, 1024 * 1024, &b) < 0) {
		*errstr_r = "cannot read subscriptions";
		return errno == ENOENT ? 0 : -1;
	}
	*names_r = xcalloc(b->len / 2 + 1, sizeof(char *));
	while ((nl = memchr(b->data + off, '\n', b->len - off)) != NULL) {
		char *s = xstrndup(b->data + off, (size_t)(nl - b->data) - off);

		off = (size_t)(nl - b->data) + 1;
		if (mstore_is_inbox(s) || mstore_name_check(s, &err) == 0)
			(*names_r)[n++] = s;
		else
			free(s);
	}
	buf_free(&b);
	*count_r = n;
	return 0;
}

/* Rewrite the subscriptions with name added or removed (locked); a
 * no-op (every login subscribes the default folders) writes nothing. */
static int
mstore_subs_write(const char *root, const char *name, int on)
{
	char **subs;
	size_t n;
	const char *err;
	struct buf *b = buf_new(1024, 0);
	int r, rfd, seen = 0;

	if (mstore_subscriptions(root, &subs, &n, &err) < 0) {
		buf_free(&b);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(subs[i], name) == 0) {
			seen = 1;
			if (!on)
				continue;
		}
		if (buf_printf(b, "%s\n", subs[i]) < 0)
			break;
	}
	if (on && !seen && buf_printf(b, "%s\n", name) < 0)
		errno = ENOMEM;
	mstore_names_free(&subs, n);
	if (seen == on) {	/* nothing changes: no rewrite, no fsync */
		buf_free(&b);
		return 0;
	}
	rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = rfd < 0 ? -1 : mstore_write_atomic(rfd, MSTORE_SUBS, b->data,
	    b->len, 1);
	if (rfd >= 0)
		close(rfd);
	buf_free(&b);
	return r;
}

/* SUBSCRIBE (on) / UNSUBSCRIBE (off) a name. */
int
mstore_subscribe(const char *root, const char *name, int on,
    const char **errstr_r)
{
	char p[4096];
	int fd, r;

	if (!mstore_is_inbox(name) && mstore_name_check(name, errstr_r) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/" MSTORE_SUBS ".lock", root);
	if ((fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0 ||
	    flock(fd, LOCK_EX) < 0) {
		*errstr_r = "cannot lock subscriptions";
		if (fd >= 0)
			close(fd);
		return -1;
	}
	r = mstore_subs_write(root, mstore_is_inbox(name) ? "INBOX" : name, on);
	if (r < 0)
		*errstr_r = "cannot write subscriptions";
	close(fd);
	return r;
}

/* Make INBOX's maildir and the default folders, subscribed - once, for a
 * new user: a maildir that has a subscriptions file (ours, or Dovecot's
 * from before a move) is left as its user arranged it, so a folder the
 * user deleted or unsubscribed stays so. */
int
mstore_make_defaults(const char *root, const char **errstr_r)
{
	static const struct { const char *name; unsigned su; } defs[] = {
		{ "Drafts", MSTORE_SU_DRAFTS }, { "Sent", MSTORE_SU_SENT },
		{ "Trash", MSTORE_SU_TRASH }, { "Junk", MSTORE_SU_JUNK },
		{ "Archive", MSTORE_SU_ARCHIVE },
	};
	char path[4096];

	if (snprintf(path, sizeof(path), "%s/subscriptions", root) <
	    (int)sizeof(path) && access(path, F_OK) == 0)
		return 0;
	if (maildir_create(root, errstr_r) < 0 ||
	    mstore_subscribe(root, "INBOX", 1, errstr_r) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		if (mstore_create(root, defs[i].name, defs[i].su, errstr_r) < 0 &&
		    strcmp(*errstr_r, "mailbox already exists") != 0)
			return -1;
		if (mstore_subscribe(root, defs[i].name, 1, errstr_r) < 0)
			return -1;
	}
	return 0;
}
