/*
 * mstore_int.h - internals shared by the imapd/mstore_*.c files (not for the
 * session): on-disk structures, the in-memory folder state, helpers.
 *
 * Files:  mstore_name.c  folder names, modified UTF-7, paths (pure)
 *         mstore_fmt.c   pure parsers/encoders: snapshot, log entries,
 *                        uidlist, keywords, flag letters (fuzzed)
 *         mstore_state.c the in-memory state: apply entries, diff, search
 *         mstore_file.c  file helpers: read whole, atomic write, lock
 *         mstore_scan.c  directory scan and UID assignment
 *         mstore_uidlist.c  the UID map file
 *         mstore_sync.c  open, sync, compaction
 *         mstore_box.c   open, close, sync, the view's accessors, STATUS
 *         mstore_ops.c   store, expunge, open a message
 *         mstore_copy.c  append, copy, move
 *         mstore_cache.c cached strings, keywords
 *         mstore_list.c  folder operations
 * All on-disk binary structures are in host byte order (the index is
 * rebuildable; a foreign-endian file fails its magic and is rebuilt).
 */
#ifndef PETREL_MSTORE_INT_H
#define PETREL_MSTORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "buf.h"
#include "mstore.h"

#define MSTORE_IDX_MAGIC 0x32585049u	/* "IPX2" */
#define MSTORE_LOG_MAGIC 0x31474c50u	/* "PLG1" */
#define MSTORE_FNAME_MAX 255
#define MSTORE_MSGS_MAX 10000000u	/* messages per folder, a sanity bound */
#define MSTORE_VANISHED_MAX 100000u	/* expunge history kept for QRESYNC */
#define MSTORE_LOG_MIN_COMPACT (256 * 1024)
#define MSTORE_FILE_MAX ((size_t)1 << 31)
#define MSTORE_MTIME_SLACK 1000000000LL	/* ns: coarse mtime safety margin */

#define MSTORE_UIDLIST "petrel-uidlist"
#define MSTORE_DC_UIDLIST "dovecot-uidlist"
#define MSTORE_KEYWORDS "dovecot-keywords"
#define MSTORE_INDEX "petrel-index"
#define MSTORE_LOG "petrel-index.log"
#define MSTORE_CACHE "petrel-index.cache"
#define MSTORE_LOCK "petrel-index.lock"
#define MSTORE_SPECIAL "petrel-special-use"

/* Snapshot header (petrel-index). */
struct mstore_ihdr {
	uint32_t magic, hdr_size, rec_size, check;
	uint32_t uidvalidity, uidnext, count, first_recent;
	uint64_t highestmodseq, log_seq, log_off, van_floor;
	uint32_t nvan, names_len;
	int64_t new_mtime, cur_mtime;
	uint64_t uidlist_size;
	uint32_t safe, cache_id;
};

struct mstore_van {
	uint32_t uid, pad;
	uint64_t modseq;
};

/* Log file header and entry (petrel-index.log). */
struct mstore_lhdr {
	uint32_t magic, hdr_size;
	uint64_t seq;
	uint32_t uidvalidity, complete;	/* complete: starts from empty */
	uint64_t base_modseq;		/* MODSEQs in this log exceed it */
};

enum mstore_ltype {
	MSTORE_L_APPEND = 1, MSTORE_L_UPDATE, MSTORE_L_EXPUNGE,
	MSTORE_L_DIRSYNC, MSTORE_L_RECENT, MSTORE_L_CACHE, MSTORE_L_KEYWORDS,
	MSTORE_L_MAX
};

struct mstore_lent {
	uint32_t size;		/* whole entry, name and padding included */
	uint16_t type, name_len;
	uint32_t uid, kw;
	uint8_t flags, pad[3];
	uint32_t check;		/* FNV-1a of the entry with check = 0 */
	uint64_t modseq;
	uint64_t a;		/* APPEND vsize, CACHE offset, DIRSYNC uidlist size */
	int64_t b, c;		/* APPEND idate; DIRSYNC new/ and cur/ mtimes */
};

/* A read-only file mapped copy-on-write (the index snapshot), shared by
 * the states whose records or names point into it. */
struct mstore_map {
	char *addr;
	size_t len;
	unsigned refs;
};

/* The in-memory state of a folder.  Records and the expunge history are
 * owned when cap / vcap > 0; otherwise they point into the snapshot
 * mapping (changed in place: its pages are private) or, for the view, into
 * the current state that lent them (mstore_state_lend).  File names live
 * in names_base (the snapshot's, never changed) below names_base_len, and
 * in the names arena above it. */
struct mstore_state {
	struct mstore_msg *msgs;
	size_t count, cap;
	struct mstore_msg *spare;	/* own records kept while borrowing */
	size_t spare_cap;
	struct buf *names;
	const char *names_base;
	uint32_t names_base_len;
	struct mstore_map *map;
	struct mstore_van *van;
	size_t nvan, vcap;
	int lent;		/* records lent to the view: copy before change */
	uint64_t van_floor, highestmodseq;
	uint32_t uidvalidity, uidnext, first_recent;
	int64_t new_mtime, cur_mtime;
	uint32_t safe;		/* 1: new/ mtime safe, 2: cur/ mtime safe */
	uint32_t cache_id;
	uint64_t uidlist_size;
	uint64_t log_seq, log_off;
	int gone;		/* entries marked MSTORE_F_GONE pending */
};

struct mstore_kwlist {
	char *names[MSTORE_KW_MAX];
	size_t count;
};

struct mstore_box {
	char *path;
	int dirfd, newfd, curfd;
	int lockfd, locked;
	int logfd;
	dev_t log_dev;
	ino_t log_ino;
	unsigned flags;
	struct mstore_state st;		/* what is known now */
	struct mstore_state view;	/* what the session was told */
	struct mstore_range { uint32_t lo, hi; } *recent;
	size_t nrecent;
	struct mstore_kwlist kw;
	struct buf *pending;	/* log entries of the open transaction */
	struct buf *uidrecs;	/* its uidlist records (APPEND/COPY) */
	int64_t pre_new, pre_cur;	/* dir mtimes when it began */
	int cachefd;
	char errbuf[256];
};

/* One uidlist record as parsed. */
struct mstore_uidrec {
	uint32_t uid;
	const char *base;
	size_t base_len;
};

typedef int mstore_uidrec_fn(void *ctx, const struct mstore_uidrec *r);

/* mstore_name.c */
int mstore_name_check(const char *name, const char **errstr_r) WARN_UNUSED;
int mstore_name_to_dir(const char *name, struct buf *out) WARN_UNUSED;
int mstore_dir_to_name(const char *p, size_t len, struct buf *out)
    WARN_UNUSED;
int mstore_is_inbox(const char *name);

/* mstore_fmt.c (pure) */
uint32_t mstore_fnv(const void *p, size_t n, uint32_t h);
uint32_t mstore_fnv_wide(const void *p, size_t n, uint32_t h);
int mstore_uidlist_parse(const char *p, size_t len, uint32_t *uidvalidity_r,
    uint32_t *uidnext_r, mstore_uidrec_fn *fn, void *ctx) WARN_UNUSED;
int mstore_uidlist_records(const char *p, size_t len, mstore_uidrec_fn *fn,
    void *ctx, size_t *used_r) WARN_UNUSED;
int mstore_kw_parse(const char *p, size_t len, struct mstore_kwlist *kw)
    WARN_UNUSED;
void mstore_kw_clear(struct mstore_kwlist *kw);
int mstore_lent_parse(const char *p, size_t len, struct mstore_lent *e_r,
    const char **name_r) WARN_UNUSED;
int mstore_lent_encode(struct buf *out, const struct mstore_lent *e,
    const char *name, size_t name_len) WARN_UNUSED;
int mstore_snapshot_parse(char *p, size_t len, struct mstore_state *st)
    WARN_UNUSED;
int mstore_snapshot_encode(const struct mstore_state *st, struct buf *out)
    WARN_UNUSED;
void mstore_name_flags(const char *name, size_t len, uint8_t *flags_r,
    uint32_t *kw_r);
size_t mstore_base_len(const char *name, size_t len);
int mstore_flag_name(const char *old, size_t oldlen, uint8_t flags,
    uint32_t kw, char *out, size_t size);

/* mstore_state.c */
void *mstore_dup(const void *p, size_t n);
void mstore_state_init(struct mstore_state *st);
void mstore_state_clear(struct mstore_state *st);
void mstore_state_free(struct mstore_state *st);
void mstore_state_lend(struct mstore_state *view, struct mstore_state *src);
void mstore_state_unlend(struct mstore_state *src, struct mstore_state *view);
long mstore_state_find(const struct mstore_state *st, uint32_t uid);
int mstore_state_apply(struct mstore_state *st, const struct mstore_lent *e,
    const char *name) WARN_UNUSED;
void mstore_state_compact(struct mstore_state *st);
const char *mstore_state_name(const struct mstore_state *st,
    const struct mstore_msg *m);
int mstore_state_setname(struct mstore_state *st, struct mstore_msg *m,
    const char *name, size_t len) WARN_UNUSED;
void mstore_state_diff(const struct mstore_state *old,
    const struct mstore_state *cur, struct mstore_changes *ch);

/* mstore_file.c */
int mstore_map_file(int dirfd, const char *name, size_t max,
    struct mstore_map **map_r) WARN_UNUSED;
struct mstore_map *mstore_map_ref(struct mstore_map *map);
void mstore_map_unref(struct mstore_map **mapp);
int mstore_read_all(int dirfd, const char *name, size_t max, struct buf **b_r)
    WARN_UNUSED;
int mstore_write_atomic(int dirfd, const char *name, const void *p, size_t n,
    int sync) WARN_UNUSED;
int mstore_lock(struct mstore_box *box) WARN_UNUSED;
void mstore_unlock(struct mstore_box *box);
const char *mstore_err(struct mstore_box *box, const char *what, int err);
void mstore_errno_note(int err);
int64_t mstore_now_ns(void);
int64_t mstore_dir_mtime(int fd);
int mstore_write_full(int fd, const void *p, size_t n) WARN_UNUSED;

/* mstore_sync.c */
int mstore_log_catch_up(struct mstore_box *box) WARN_UNUSED;
int mstore_log_add(struct mstore_box *box, const struct mstore_lent *e,
    const char *name, size_t name_len) WARN_UNUSED;
int mstore_commit(struct mstore_box *box, int sync) WARN_UNUSED;
uint64_t mstore_next_modseq(struct mstore_box *box);
int mstore_open_box(const char *path, unsigned flags,
    struct mstore_box **box_r, const char **errstr_r) WARN_UNUSED;
int mstore_begin(struct mstore_box *box) WARN_UNUSED;
int mstore_end(struct mstore_box *box, int ok, int sync) WARN_UNUSED;

/* mstore_scan.c */
struct mstore_sent {
	char *name;
	size_t len, base_len;
	int innew, used;
};

struct mstore_scanset {
	struct mstore_sent *e;
	size_t n, cap;
	size_t *hash;		/* index + 1, 0 = empty */
	size_t hsize;
};

struct mstore_reuse {
	struct mstore_scanset set;	/* base -> UID (the UID rides in .innew) */
	uint32_t next;
};

void mstore_set_hash(struct mstore_scanset *s);
struct mstore_sent *mstore_set_find(const struct mstore_scanset *s,
    const char *base, size_t len);
void mstore_set_free(struct mstore_scanset *s);
int mstore_scan(struct mstore_box *box) WARN_UNUSED;
int mstore_find_file(struct mstore_box *box, const struct mstore_msg *m,
    char *name_r, int *innew_r) WARN_UNUSED;
int mstore_refind(struct mstore_box *box, struct mstore_msg *m) WARN_UNUSED;

/* mstore_uidlist.c */
int mstore_uidlist_append(struct mstore_box *box, const struct buf *recs)
    WARN_UNUSED;
int mstore_uidlist_init(struct mstore_box *box) WARN_UNUSED;
int mstore_uidlist_next(struct mstore_box *box, uint32_t *next_r) WARN_UNUSED;
int mstore_uidlist_rewrite(struct mstore_box *box) WARN_UNUSED;
int mstore_uidlist_write(struct mstore_box *box, uint32_t next) WARN_UNUSED;
int mstore_reuse_load(struct mstore_box *box, struct mstore_reuse *u)
    WARN_UNUSED;
uint32_t mstore_reuse_uid(const struct mstore_reuse *u,
    const struct mstore_sent *f, uint32_t floor);

/* mstore_ops.c */
int mstore_expunge_uids(struct mstore_box *box, const uint32_t *uids,
    size_t n, int force, const char **errstr_r) WARN_UNUSED;

/* mstore_cache.c */
int mstore_kw_load(struct mstore_box *box) WARN_UNUSED;
int mstore_kw_lookup(struct mstore_box *box, const char *const *kw,
    size_t nkw, uint32_t *mask_r) WARN_UNUSED;

#endif
