/*
 * mstore_cache.c - per-folder keywords (dovecot-keywords) and the cache of
 * strings the session keeps per message (petrel-index.cache).
 *
 * Public (mstore.h): mstore_cache_get, mstore_cache_put; internal
 * (mstore_int.h): mstore_kw_load, mstore_kw_lookup.
 * Keywords: letter a+i in a file name is keyword i of dovecot-keywords
 * ("<i> <name>" lines, Dovecot's format); a new keyword takes the first free
 * slot under the lock, the file is replaced atomically and a KEYWORDS log
 * entry tells other sessions to re-read it.  At most 26 keywords.
 * Cache: append-only records {magic, uid, field, len, prev, check} + data,
 * chained per message through prev; the head offset travels in CACHE log
 * entries and in the snapshot.  The file carries an id; a cache file that
 * is missing, foreign or past MSTORE_CACHE_MAX is started afresh (a CACHE
 * entry with uid 0 resets every offset).  Not fsynced: losing it only
 * costs parsing the message again.  Reads check magic, uid, field, bounds
 * and checksum, so a torn or stale record is a miss, never wrong data.
 * Returns 0 / -1 (get: -1 = not cached).
 * Security: runs as the mailbox owner; cache contents are untrusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "mstore_int.h"

#define MSTORE_CACHE_MAGIC 0x31414350u	/* "PCA1" */
#define MSTORE_CACHE_MAX ((off_t)512 * 1024 * 1024)
#define MSTORE_CACHE_DATA_MAX (1024 * 1024)

struct mstore_crec {
	uint32_t magic, uid;
	uint16_t field, pad;
	uint32_t len;
	uint64_t prev;
	uint32_t check, id;
};

/* (Re)read dovecot-keywords; a missing file is an empty list. */
int
mstore_kw_load(struct mstore_box *box)
{
	struct buf *b;

	if (mstore_read_all(box->dirfd, MSTORE_KEYWORDS, 65536, &b) < 0) {
		mstore_kw_clear(&box->kw);
		return errno == ENOENT ? 0 : -1;
	}
	if (mstore_kw_parse(b->data, b->len, &box->kw) < 0) {
		log_warn("mstore: %s: dovecot-keywords malformed, ignored",
		    box->path);
		mstore_kw_clear(&box->kw);
	}
	buf_free(&b);
	return 0;
}

/* Index of keyword name, or -1. */
static int
mstore_kw_find(const struct mstore_kwlist *kw, const char *name)
{
	for (size_t i = 0; i < kw->count; i++)
		if (kw->names[i] != NULL && strcasecmp(kw->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Add a keyword in the first free slot and publish the file (locked). */
static int
mstore_kw_add(struct mstore_box *box, const char *name)
{
	struct mstore_lent e;
	struct buf *b;
	size_t i;
	int r;

	for (i = 0; i < MSTORE_KW_MAX && box->kw.names[i] != NULL; i++)
		;
	if (i == MSTORE_KW_MAX)
		return -1;
	box->kw.names[i] = xstrdup(name);
	if (i + 1 > box->kw.count)
		box->kw.count = i + 1;
	b = buf_new(1024, 0);
	for (size_t k = 0; k < box->kw.count; k++)
		if (box->kw.names[k] != NULL &&
		    buf_printf(b, "%zu %s\n", k, box->kw.names[k]) < 0)
			break;
	r = mstore_write_atomic(box->dirfd, MSTORE_KEYWORDS, b->data, b->len,
	    0);
	buf_free(&b);
	memset(&e, 0, sizeof(e));
	e.type = MSTORE_L_KEYWORDS;
	return r < 0 ? -1 : mstore_log_add(box, &e, NULL, 0);
}

/* Keyword names to a bitmap, adding new ones (the lock is held). */
int
mstore_kw_lookup(struct mstore_box *box, const char *const *kw, size_t nkw,
    uint32_t *mask_r)
{
	int reloaded = 0, i;

	*mask_r = 0;
	for (size_t k = 0; k < nkw; k++) {
		size_t len = strlen(kw[k]);
		struct mstore_kwlist chk = { { NULL }, 0 };
		char line[MSTORE_KW_NAME_MAX + 8];

		snprintf(line, sizeof(line), "0 %.*s\n", (int)(len >
		    MSTORE_KW_NAME_MAX ? 0 : len), kw[k]);
		if (len > MSTORE_KW_NAME_MAX ||
		    mstore_kw_parse(line, strlen(line), &chk) < 0) {
			mstore_err(box, "invalid keyword", EINVAL);
			return -1;
		}
		mstore_kw_clear(&chk);
		if ((i = mstore_kw_find(&box->kw, kw[k])) < 0 && !reloaded) {
			reloaded = 1;
			if (mstore_kw_load(box) < 0)
				return -1;
			i = mstore_kw_find(&box->kw, kw[k]);
		}
		if (i < 0 && mstore_kw_add(box, kw[k]) < 0) {
			mstore_err(box, "too many keywords in this folder",
			    ENOSPC);
			return -1;
		}
		if (i < 0)
			i = mstore_kw_find(&box->kw, kw[k]);
		ASSERT(i >= 0);		/* mstore_kw_add() just stored it */
		*mask_r |= 1u << i;
	}
	return 0;
}

/* Open the cache file when its id matches the state's; fd or -1. */
static int
mstore_cache_fd(struct mstore_box *box)
{
	struct mstore_crec h;

	if (box->cachefd >= 0 && pread(box->cachefd, &h, sizeof(h), 0) ==
	    (ssize_t)sizeof(h) && h.id == box->st.cache_id)
		return box->cachefd;
	if (box->cachefd >= 0)
		close(box->cachefd);
	box->cachefd = openat(box->dirfd, MSTORE_CACHE, O_RDWR | O_APPEND |
	    O_CLOEXEC | O_NOFOLLOW);
	if (box->cachefd < 0)
		return -1;
	if (pread(box->cachefd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    h.magic != MSTORE_CACHE_MAGIC || h.id != box->st.cache_id ||
	    h.id == 0) {
		close(box->cachefd);
		box->cachefd = -1;
	}
	return box->cachefd;
}

/* Look up a cached string; 0 with a malloced copy, or -1 (a miss). */
int
mstore_cache_get(struct mstore_box *box, uint32_t uid, uint16_t field,
    char **data_r, size_t *len_r)
{
	long i = mstore_state_find(&box->st, uid);
	uint64_t off = i >= 0 ? box->st.msgs[i].cache_off : 0;
	struct mstore_crec c;
	int fd = off != 0 ? mstore_cache_fd(box) : -1;

	for (int hops = 0; fd >= 0 && off != 0 && hops < 64; hops++) {
		uint32_t check;

		if (pread(fd, &c, sizeof(c), (off_t)off) != (ssize_t)sizeof(c) ||
		    c.magic != MSTORE_CACHE_MAGIC || c.uid != uid ||
		    c.len > MSTORE_CACHE_DATA_MAX || c.prev >= off)
			return -1;
		if (c.field != field) {
			off = c.prev;
			continue;
		}
		char *d = xmalloc(c.len + 1);
		check = c.check;
		c.check = 0;
		if (pread(fd, d, c.len, (off_t)(off + sizeof(c))) != (ssize_t)c.len ||
		    mstore_fnv(d, c.len, mstore_fnv(&c, sizeof(c), 0)) != check) {
			free(d);
			return -1;
		}
		d[c.len] = '\0';
		*data_r = d;
		*len_r = c.len;
		return 0;
	}
	return -1;
}

/* Start a new cache file with a fresh id (locked). */
static int
mstore_cache_reset(struct mstore_box *box)
{
	struct mstore_crec h;
	struct mstore_lent e;

	memset(&h, 0, sizeof(h));
	h.magic = MSTORE_CACHE_MAGIC;
	h.id = (uint32_t)mstore_now_ns() | 1u;
	if (h.id == box->st.cache_id)
		h.id += 2;
	if (mstore_write_atomic(box->dirfd, MSTORE_CACHE, &h, sizeof(h), 0) < 0)
		return -1;
	memset(&e, 0, sizeof(e));
	e.type = MSTORE_L_CACHE;
	e.c = h.id;
	if (mstore_log_add(box, &e, NULL, 0) < 0)
		return -1;
	return mstore_cache_fd(box) < 0 ? -1 : 0;
}

/* Append one record and point the message at it (locked). */
static int
mstore_cache_add(struct mstore_box *box, struct mstore_msg *m,
    uint16_t field, const char *data, size_t len)
{
	struct mstore_crec c;
	struct mstore_lent e;
	struct stat st;
	int fd = mstore_cache_fd(box);

	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > MSTORE_CACHE_MAX)
		fd = -1;
	if (fd < 0 && (mstore_cache_reset(box) < 0 ||
	    (fd = mstore_cache_fd(box)) < 0 || fstat(fd, &st) < 0))
		return -1;
	memset(&c, 0, sizeof(c));
	c.magic = MSTORE_CACHE_MAGIC;
	c.uid = m->uid;
	c.field = field;
	c.len = (uint32_t)len;
	c.prev = m->cache_off;
	c.id = box->st.cache_id;
	c.check = mstore_fnv(data, len, mstore_fnv(&c, sizeof(c), 0));
	if (mstore_write_full(fd, &c, sizeof(c)) < 0 ||
	    mstore_write_full(fd, data, len) < 0)
		return -1;
	memset(&e, 0, sizeof(e));
	e.type = MSTORE_L_CACHE;
	e.uid = m->uid;
	e.a = (uint64_t)st.st_size;
	e.c = box->st.cache_id;
	return mstore_log_add(box, &e, NULL, 0);
}

/* Keep a string for (uid, field); not synced (the cache is expendable). */
int
mstore_cache_put(struct mstore_box *box, uint32_t uid, uint16_t field,
    const char *data, size_t len, const char **errstr_r)
{
	long i;
	int r = -1;

	if (len > MSTORE_CACHE_DATA_MAX || field == 0) {
		*errstr_r = "cache value too large";
		return -1;
	}
	if (mstore_begin(box) < 0) {
		*errstr_r = box->errbuf;
		return -1;
	}
	if ((i = mstore_state_find(&box->st, uid)) >= 0)
		r = mstore_cache_add(box, &box->st.msgs[i], field, data, len);
	else
		errno = ENOENT;
	if (r < 0)
		*errstr_r = mstore_err(box, "cache", errno);
	if (mstore_end(box, r == 0, 0) < 0 && r == 0) {
		*errstr_r = box->errbuf;
		r = -1;
	}
	return r;
}
