/*
 * mstore_scan.c - directory scan of a folder and UID assignment, always
 * under the folder lock with the log caught up.
 *
 * Public (mstore_int.h): mstore_scan, mstore_uidlist_init,
 * mstore_uidlist_append, mstore_uidlist_next, mstore_uidlist_rewrite,
 * mstore_uidlist_write,
 * mstore_find_file.
 * mstore_scan reads new/ then cur/ (a file moving new/ -> cur/ meanwhile
 * is seen at least once), matches files to records by base name, logs
 * renames as UPDATE (new MODSEQ only when flags or keywords changed),
 * looks for missing files in a second scan (readdir may skip a file being
 * renamed) before logging EXPUNGE, and gives unknown files UIDs: the UID a
 * not yet reflected uidlist record holds (a crash between the uidlist
 * sync and the log write), else UIDNEXT.  In RDWR mode new/ files move to
 * cur/ first.  The uidlist is fdatasync'ed before the log entries that
 * show the UIDs are written.
 * The uidlist itself is read and written by mstore_uidlist.c.
 * Returns 0 or -1 (errno; the box's error text set).
 * Security: file names are untrusted; names starting with '.', with '/' or
 * longer than 255 bytes are ignored.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "mstore_int.h"


/* Hash of a base name. */
static size_t
mstore_hash(const char *p, size_t len)
{
	return mstore_fnv(p, len, 0x5bd1e995u);
}

/* Read one directory into the set. */
static int
mstore_readdir(int dfd, int innew, struct mstore_scanset *s)
{
	int fd = dup(dfd);
	DIR *d;
	struct dirent *de;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len > MSTORE_FNAME_MAX)
			continue;
		if (s->n == s->cap) {
			s->cap = s->cap < 256 ? 256 : s->cap * 2;
			s->e = xreallocarray(s->e, s->cap, sizeof(*s->e));
		}
		s->e[s->n].name = xstrndup(de->d_name, len);
		s->e[s->n].len = len;
		s->e[s->n].base_len = mstore_base_len(de->d_name, len);
		s->e[s->n].innew = innew;
		s->e[s->n++].used = 0;
	}
	closedir(d);
	return 0;
}

/* Build the base-name hash of the set (first entry of a base wins). */
void
mstore_set_hash(struct mstore_scanset *s)
{
	s->hsize = 64;
	while (s->hsize < s->n * 2)
		s->hsize *= 2;
	s->hash = xcalloc(s->hsize, sizeof(*s->hash));
	for (size_t i = 0; i < s->n; i++) {
		size_t h = mstore_hash(s->e[i].name, s->e[i].base_len) &
		    (s->hsize - 1);
		int dup = 0;

		for (; s->hash[h] != 0; h = (h + 1) & (s->hsize - 1)) {
			struct mstore_sent *o = &s->e[s->hash[h] - 1];
			if (o->base_len == s->e[i].base_len &&
			    memcmp(o->name, s->e[i].name, o->base_len) == 0)
				dup = 1;
		}
		if (!dup)
			s->hash[h] = i + 1;
		else
			s->e[i].used = 1;	/* same base twice: a move in flight */
	}
}

/* Entry with this base, or NULL. */
struct mstore_sent *
mstore_set_find(const struct mstore_scanset *s, const char *base, size_t len)
{
	size_t h;

	if (s->hsize == 0)
		return NULL;
	for (h = mstore_hash(base, len) & (s->hsize - 1); s->hash[h] != 0;
	    h = (h + 1) & (s->hsize - 1)) {
		struct mstore_sent *o = &s->e[s->hash[h] - 1];
		if (o->base_len == len && memcmp(o->name, base, len) == 0)
			return o;
	}
	return NULL;
}

/* Free a scan set. */
void
mstore_set_free(struct mstore_scanset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].name);
	free(s->e);
	free(s->hash);
	memset(s, 0, sizeof(*s));
}

/* Scan new/ then cur/ into a hashed set. */
static int
mstore_scan_dirs(struct mstore_box *box, struct mstore_scanset *s)
{
	memset(s, 0, sizeof(*s));
	if (mstore_readdir(box->newfd, 1, s) < 0 ||
	    mstore_readdir(box->curfd, 0, s) < 0) {
		mstore_set_free(s);
		return -1;
	}
	mstore_set_hash(s);
	return 0;
}

/* Log an UPDATE when the file of m is now name (renamed or moved). */
static int
mstore_note_file(struct mstore_box *box, struct mstore_msg *m,
    const char *name, size_t len, int innew)
{
	struct mstore_lent e;
	const char *old = mstore_state_name(&box->st, m);

	if (len == m->name_len && memcmp(old, name, len) == 0 &&
	    !innew == !(m->flags & MSTORE_F_NEWDIR))
		return 0;
	memset(&e, 0, sizeof(e));
	e.type = MSTORE_L_UPDATE;
	e.uid = m->uid;
	mstore_name_flags(name, len, &e.flags, &e.kw);
	if (innew)
		e.flags |= MSTORE_F_NEWDIR;
	e.modseq = (e.flags & MSTORE_F_ALL) != (m->flags & MSTORE_F_ALL) ||
	    e.kw != m->kw ? mstore_next_modseq(box) : m->modseq;
	return mstore_log_add(box, &e, name, len);
}

/* Log an UPDATE when the file of m is now f. */
static int
mstore_scan_match(struct mstore_box *box, struct mstore_msg *m,
    struct mstore_sent *f)
{
	f->used = 1;
	return mstore_note_file(box, m, f->name, f->len, f->innew);
}

/* Match the state's records to the scan; missing ones get a 2nd look. */
static int
mstore_scan_known(struct mstore_box *box, struct mstore_scanset *s)
{
	struct mstore_scanset again;
	size_t nmiss = 0;
	int r = 0;

	for (size_t i = 0; i < box->st.count && r == 0; i++) {
		struct mstore_msg *m = &box->st.msgs[i];
		const char *nm = mstore_state_name(&box->st, m);
		struct mstore_sent *f = mstore_set_find(s, nm,
		    mstore_base_len(nm, m->name_len));

		if (m->flags & MSTORE_F_GONE)
			continue;
		if (f != NULL)
			r = mstore_scan_match(box, m, f);
		else
			nmiss++;
	}
	if (r < 0 || nmiss == 0)
		return r;
	if (mstore_scan_dirs(box, &again) < 0)
		return -1;
	for (size_t i = 0; i < box->st.count && r == 0; i++) {
		struct mstore_msg *m = &box->st.msgs[i];
		const char *nm = mstore_state_name(&box->st, m);
		size_t bl = mstore_base_len(nm, m->name_len);
		struct mstore_lent e;

		if ((m->flags & MSTORE_F_GONE) || mstore_set_find(s, nm, bl))
			continue;
		struct mstore_sent *f = mstore_set_find(&again, nm, bl);
		if (f != NULL) {
			r = mstore_scan_match(box, m, f);
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.type = MSTORE_L_EXPUNGE;
		e.uid = m->uid;
		e.modseq = mstore_next_modseq(box);
		r = mstore_log_add(box, &e, NULL, 0);
	}
	mstore_set_free(&again);
	return r;
}

/* Size with CRLF line ends: from ,W= or by counting LFs. */
static uint64_t
mstore_vsize(int fd, const char *name, uint64_t size)
{
	struct maildir_name_info info;
	char b[65536];
	ssize_t r;
	uint64_t lfs = 0;
	int f;

	if (maildir_parse_name(name, &info) == 0 && info.vsize >= 0)
		return (uint64_t)info.vsize;
	if ((f = openat(fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return size;
	while ((r = read(f, b, sizeof(b))) > 0)
		for (char *q = b; (q = memchr(q, '\n', (size_t)r - (size_t)(q - b)))
		    != NULL; q++)
			lfs++;
	close(f);
	return size + lfs;
}

/* Move a new/ file to cur/ (RDWR); 0, or -1 when it vanished. */
static int
mstore_scan_move(struct mstore_box *box, struct mstore_sent *f)
{
	char to[MSTORE_FNAME_MAX + 8];
	int n = mstore_flag_name(f->name, f->len, 0, 0, to, sizeof(to));

	if (n < 0)
		return 0;	/* cannot be renamed: leave it in new/ */
	if (renameat(box->newfd, f->name, box->curfd, to) < 0)
		return errno == ENOENT ? -1 : 0;
	free(f->name);
	f->name = xstrndup(to, (size_t)n);
	f->len = (size_t)n;
	f->innew = 0;
	return 0;
}

/* Delivery time in a name "<sec>.[...]M<usec>..." as sec * 1e6 + usec. */
static uint64_t
mstore_name_time(const char *name)
{
	uint64_t sec = 0, usec = 0;
	const char *p = name, *m;

	for (; *p >= '0' && *p <= '9' && sec < 1000000000000ULL; p++)
		sec = sec * 10 + (uint64_t)(*p - '0');
	if (*p == '.' && (m = strchr(p, 'M')) != NULL &&
	    (size_t)(m - p) < 40 && memchr(p + 1, '.', (size_t)(m - p - 1)) == NULL)
		for (m++; *m >= '0' && *m <= '9' && usec < 1000000; m++)
			usec = usec * 10 + (uint64_t)(*m - '0');
	return sec * 1000000 + usec;
}

/* Order new files by delivery time, then name. */
static int
mstore_sent_cmp(const void *a, const void *b)
{
	const struct mstore_sent *x = *(struct mstore_sent *const *)a;
	const struct mstore_sent *y = *(struct mstore_sent *const *)b;
	uint64_t tx = mstore_name_time(x->name), ty = mstore_name_time(y->name);

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Give a UID to one new file (reused when uid != 0) and log its APPEND. */
static int
mstore_scan_new(struct mstore_box *box, struct mstore_sent *f,
    uint32_t uid, struct mstore_reuse *u, struct buf *recs)
{
	struct mstore_lent e;
	struct stat st;
	int dfd;

	if ((box->flags & MSTORE_RDWR) && f->innew &&
	    mstore_scan_move(box, f) < 0)
		return 0;
	dfd = f->innew ? box->newfd : box->curfd;
	if (fstatat(dfd, f->name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return 0;
	memset(&e, 0, sizeof(e));
	e.type = MSTORE_L_APPEND;
	e.uid = uid;
	if (uid == 0) {
		e.uid = u->next++;
		if (buf_printf(recs, "%u :%.*s\n", e.uid, (int)f->base_len,
		    f->name) < 0)
			return -1;
	}
	mstore_name_flags(f->name, f->len, &e.flags, &e.kw);
	if (f->innew)
		e.flags |= MSTORE_F_NEWDIR;
	e.modseq = mstore_next_modseq(box);
	e.a = mstore_vsize(dfd, f->name, (uint64_t)st.st_size);
	e.b = st.st_mtime;
	return mstore_log_add(box, &e, f->name, f->len);
}

/* UIDs for the unmatched files: recorded ones first, then new ones in
 * name order. */
static int
mstore_scan_assign(struct mstore_box *box, struct mstore_scanset *s)
{
	struct mstore_sent **v = xcalloc(s->n + 1, sizeof(*v));
	struct mstore_reuse u;
	struct buf *recs = buf_new(4096, 0);
	uint32_t floor = box->st.uidnext, *reuse = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < s->n; i++)
		if (!s->e[i].used)
			v[n++] = &s->e[i];
	if (n > 0 && mstore_reuse_load(box, &u) < 0)
		r = -1;
	if (n > 0 && r == 0) {
		qsort(v, n, sizeof(*v), mstore_sent_cmp);
		reuse = xcalloc(n, sizeof(*reuse));
		for (size_t i = 0; i < n; i++)
			reuse[i] = mstore_reuse_uid(&u, v[i], floor);
		for (size_t i = 0; i < n && r == 0; i++)
			if (reuse[i] != 0)
				r = mstore_scan_new(box, v[i], reuse[i], &u, recs);
		for (size_t i = 0; i < n && r == 0; i++)
			if (reuse[i] == 0)
				r = mstore_scan_new(box, v[i], 0, &u, recs);
		if (r == 0 && recs->len > 0)
			r = mstore_uidlist_append(box, recs);
		if (u.next > box->st.uidnext)
			box->st.uidnext = u.next;
		mstore_set_free(&u.set);
		free(reuse);
	}
	buf_free(&recs);
	free(v);
	return r;
}

/* Log the mtimes this scan reflects; safe when older than the slack. */
static int
mstore_scan_dirsync(struct mstore_box *box, int64_t t0,
    const struct stat *sn, const struct stat *sc)
{
	struct mstore_lent e;

	memset(&e, 0, sizeof(e));
	e.type = MSTORE_L_DIRSYNC;
	e.uid = box->st.uidnext;
	e.b = (int64_t)sn->st_mtim.tv_sec * 1000000000 + sn->st_mtim.tv_nsec;
	e.c = (int64_t)sc->st_mtim.tv_sec * 1000000000 + sc->st_mtim.tv_nsec;
	e.flags = (uint8_t)((t0 - e.b > MSTORE_MTIME_SLACK ? 1 : 0) |
	    (t0 - e.c > MSTORE_MTIME_SLACK ? 2 : 0));
	e.a = box->st.uidlist_size;
	if (e.b == box->st.new_mtime && e.c == box->st.cur_mtime &&
	    e.flags == box->st.safe && e.uid <= box->st.uidnext &&
	    e.a == box->st.uidlist_size && box->pending->len == 0)
		return 0;
	return mstore_log_add(box, &e, NULL, 0);
}

/* Full scan (see the file comment); the caller holds the lock. */
int
mstore_scan(struct mstore_box *box)
{
	struct mstore_scanset s;
	struct stat sn, sc;
	int64_t t0 = mstore_now_ns();
	int r;

	if (fstat(box->newfd, &sn) < 0 || fstat(box->curfd, &sc) < 0 ||
	    mstore_scan_dirs(box, &s) < 0) {
		mstore_err(box, "scan maildir", errno);
		return -1;
	}
	r = mstore_scan_known(box, &s);
	if (r == 0)
		r = mstore_scan_assign(box, &s);
	if (r == 0)
		r = mstore_scan_dirsync(box, t0, &sn, &sc);
	mstore_set_free(&s);
	if (r < 0)
		mstore_err(box, "sync maildir", errno);
	return r;
}

/* Find m's file by base name in cur/ and new/ (after ENOENT): its name
 * (MSTORE_FNAME_MAX + 1 bytes) and directory; the state is not changed. */
int
mstore_find_file(struct mstore_box *box, const struct mstore_msg *m,
    char *name_r, int *innew_r)
{
	struct mstore_scanset s;
	const char *nm = mstore_state_name(&box->st, m);
	struct mstore_sent *f;
	int r = -1;

	if (mstore_scan_dirs(box, &s) < 0)
		return -1;
	f = mstore_set_find(&s, nm, mstore_base_len(nm, m->name_len));
	if (f != NULL) {
		memcpy(name_r, f->name, f->len + 1);
		*innew_r = f->innew;
		r = 0;
	} else
		errno = ENOENT;
	mstore_set_free(&s);
	return r;
}

/* Find m's file again and log what changed about it (lock held): a
 * rename by someone else is a flag change like any other. */
int
mstore_refind(struct mstore_box *box, struct mstore_msg *m)
{
	char name[MSTORE_FNAME_MAX + 1];
	int innew;

	if (mstore_find_file(box, m, name, &innew) < 0)
		return -1;
	return mstore_note_file(box, m, name, strlen(name), innew);
}

