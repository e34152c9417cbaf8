/*
 * mstore.h - the IMAP mail store of petrel-imapd: Maildir++ folders, UIDs
 * and a fast per-folder index.  This is the one public header.
 *
 * Usage summary (the session process already runs as the mailbox owner):
 *   mstore_make_defaults(root)              once for a new user
 *   mstore_list(root, &folders, &n)         LIST (attributes included)
 *   mstore_create/delete/rename(root, ...)  CREATE / DELETE / RENAME
 *   mstore_subscribe / mstore_subscriptions SUBSCRIBE / LSUB
 *   mstore_status(root, name, &st)          STATUS (no message file read)
 *   mstore_open(root, name, MSTORE_RDWR, &box)    SELECT (RDWR) / EXAMINE
 *     mstore_count, mstore_msg(box, i)      the view: records by sequence
 *     mstore_seq_of(box, uid), mstore_is_recent(box, uid)
 *     mstore_sync_unless_expunged(box, &ch) the same after FETCH/STORE/SEARCH
 *                                           by number: 1 (nothing taken) when
 *                                           an expunge would have to be told
 *     mstore_sync(box, &changes)            NOOP/IDLE/after each command:
 *                                           new UIDs (EXISTS), expunged UIDs
 *                                           (EXPUNGE/VANISHED), changed flags
 *     mstore_store / mstore_expunge / mstore_append / mstore_copy /
 *     mstore_move                           durable when they return 0;
 *                                           COPY/MOVE return 1 (nothing
 *                                           done) when a message of the
 *                                           set was expunged meanwhile
 *     mstore_view_take(box, uid)            the session's own STORE into
 *                                           its view (mstore_view.c)
 *     mstore_watch(box, inotify_fd)         IDLE's wake-ups (mstore_watch.c)
 *     mstore_open_msg(box, uid, &fd)        FETCH BODY[]
 *     mstore_cache_get/put                  ENVELOPE, BODYSTRUCTURE, headers
 *     mstore_vanished_since(box, modseq)    QRESYNC VANISHED (EARLIER)
 *   mstore_close(&box)
 * Every fallible function returns 0 or -1 with *errstr_r (static text, valid
 * until the next call) unless it says otherwise; mstore_last_errno() then
 * says why (ENOSPC, EDQUOT: no room).  A change that fails for lack of
 * space loses nothing stored: a short log or uidlist write is cut off
 * under the lock, the state is reloaded from disk, and an APPEND or COPY
 * that cannot be recorded takes its new files back.  A STORE whose log
 * write fails may have renamed some files already: those flags stand (the
 * maildir is the truth) and the next sync reports them.  Nothing here is fatal
 * except allocation failure (alloc.h).
 *
 * Layout.  INBOX is the maildir root; folder "A/B" is root/.A.B/ with the
 * name in modified UTF-7 (RFC 3501 5.1.3) and '.' as the separator, as
 * Maildir++ and Dovecot store it.  The API speaks UTF-8 with '/'.  A name
 * with '.', a control character, '%' or '*', an empty component or more
 * than MSTORE_NAME_MAX bytes is refused, so no component can be "." or
 * ".." and no path can leave the root.  A folder made here has
 * maildirfolder, tmp/, new/ and cur/.  Per-folder files:
 *   petrel-uidlist      the precious UID map (format below)
 *   dovecot-keywords    "<index> <name>" lines, keyword letters a-z (shared
 *                       format with Dovecot; at most 26 keywords)
 *   petrel-special-use  one line "\Sent" etc. (moves with RENAME)
 *   petrel-index        snapshot of the index (rebuildable)
 *   petrel-index.log    append-only change log (rebuildable)
 *   petrel-index.cache  cached strings per message (may be dropped)
 *   petrel-index.lock   flock() target: the folder's one exclusive lock
 * and root/subscriptions: one UTF-8 name per line, replaced atomically.
 *
 * UID map (petrel-uidlist) uses Dovecot's version-3 text format, so one
 * parser reads both it and an imported dovecot-uidlist: header
 * "3 V<uidvalidity> N<uidnext>", records "<uid> :<base name>" (base = the
 * file name before ":2,").  UIDs are assigned only under the folder lock,
 * appended, and the file is fdatasync'ed before any UID is shown to anyone
 * (one sync per batch).  A record with a UID below what the index already
 * reported is never reused for a new file (a file that reappears gets a new
 * UID), so a UID never names two messages under one UIDVALIDITY.  A torn
 * last line is ignored.  Rewritten (tmp + fsync + rename) when mostly dead.
 * A lost map is written again from the index when that survived (same
 * UIDVALIDITY); with both lost the UIDVALIDITY changes (log_warn).
 *
 * Index.  petrel-index is a header, fixed 48-byte records sorted by UID
 * (flags, keyword bitmap, MODSEQ, size with CRLF, INTERNALDATE, cache
 * offset, file name), the expunge history (UID, MODSEQ) for QRESYNC and the
 * file names; read in one go and checksummed.  petrel-index.log holds
 * checksummed fixed-size entries (+ a name): APPEND, UPDATE, EXPUNGE,
 * DIRSYNC (the new/ cur/ mtimes the state reflects), RECENT, CACHE,
 * KEYWORDS.  Writers hold the lock and append one write() per transaction;
 * readers take no lock and stop at an incomplete entry.  When the log
 * grows past a bound the lock holder writes a new snapshot (fsync, rename)
 * then starts log seq+1; a reader that fell behind by more than one log
 * reloads the snapshot and diffs.  A missing or corrupt index is rebuilt
 * from the UID map and a directory scan (log_warn); MODSEQs then restart
 * from the current time in microseconds, above any value given out before
 * (modseqs start from the creation time and grow by one per change).
 *
 * Sync.  mstore_sync reads the log tail, then stats new/ and cur/: only
 * when an mtime differs from the last DIRSYNC does it lock and scan new/
 * then cur/.  A recorded mtime taken less than MSTORE_MTIME_SLACK (1 s)
 * after a change could hide a second change in the same clock tick, so it
 * is marked unsafe and, once that second has passed, one more scan
 * confirms it (as Dovecot does after its own changes): a foreign change
 * in the very tick of ours shows up within about a second, never later.
 * Our own STORE/EXPUNGE/APPEND/COPY record the directories' new mtimes
 * (when the state matched them before), so they cost no rescan.
 * Known messages missing from a scan are looked for in a second scan
 * (readdir may miss a file being renamed) before they count as expunged;
 * a message opened by UID whose file moved is found by its base name.
 * In RDWR mode new/ files move to cur/.  \Recent: the first RDWR session
 * to sync a UID claims [first_recent, uidnext) under the lock (RECENT
 * entry).  New files get UIDs in delivery-time order (from the name).
 *
 * Durability: STORE renames, EXPUNGE unlinks, APPEND/COPY links, then the
 * log and UID map are fdatasync'ed before return (on ext4/XFS that journal
 * commit also carries the renames, links and utimensat; directories are
 * not fsynced).  Syncs per call: STORE/EXPUNGE one (the log), COPY two for
 * the whole set (UID map, log), APPEND three (the message as local
 * delivery does, the UID map, the log; the last two share a journal
 * commit).  A log tail cut off after a crash moves HIGHESTMODSEQ past
 * every value handed out.  A message file without ,W= is read once, when
 * it gets its UID, to count its line ends; SELECT and FETCH FLAGS never
 * open a message file.  Delivery takes no lock.
 * Security: runs as the mailbox owner; names, on-disk files and file names
 * are untrusted input (parsers are pure and fuzzed, t/fuzz/fuzz_mstore_index).
 */
#ifndef PETREL_MSTORE_H
#define PETREL_MSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "log.h"
#include "maildir.h"

#define MSTORE_NAME_MAX 200	/* bytes of a UTF-8 folder name */
#define MSTORE_KW_MAX 26	/* keywords per folder (letters a-z) */
#define MSTORE_KW_NAME_MAX 100

/* System flags (struct mstore_msg.flags). */
#define MSTORE_F_SEEN 0x01
#define MSTORE_F_ANSWERED 0x02
#define MSTORE_F_FLAGGED 0x04
#define MSTORE_F_DELETED 0x08
#define MSTORE_F_DRAFT 0x10
#define MSTORE_F_ALL 0x1f
#define MSTORE_F_NEWDIR 0x40	/* internal: the file is in new/ */
#define MSTORE_F_GONE 0x80	/* internal: expunged, about to be dropped */

/* Folder attributes (LIST) and special-use. */
#define MSTORE_SU_SENT 0x01
#define MSTORE_SU_DRAFTS 0x02
#define MSTORE_SU_TRASH 0x04
#define MSTORE_SU_JUNK 0x08
#define MSTORE_SU_ARCHIVE 0x10
#define MSTORE_A_NOSELECT 0x100
#define MSTORE_A_HASCHILDREN 0x200
#define MSTORE_A_HASNOCHILDREN 0x400
#define MSTORE_A_SUBSCRIBED 0x800

/* mstore_open flags. */
#define MSTORE_RDWR 0x01

/* One message of the view; names point into the box (do not keep). */
struct mstore_msg {
	uint32_t uid;
	uint8_t flags;		/* MSTORE_F_* */
	uint8_t pad;
	uint16_t name_len;
	uint32_t kw;		/* bit i: keyword i */
	uint32_t name_off;	/* internal: file name in the box */
	uint64_t modseq;
	uint64_t vsize;		/* RFC822.SIZE (CRLF line ends) */
	int64_t idate;		/* INTERNALDATE, seconds since the epoch */
	uint64_t cache_off;	/* internal */
};

struct mstore_folder {
	char *name;		/* UTF-8, '/' separated; "INBOX" for the root */
	unsigned attrs;		/* MSTORE_A_* | MSTORE_SU_* */
};

struct mstore_change {
	uint32_t uid;
	uint64_t modseq;
};

struct mstore_changes {
	uint32_t *new_uids;	/* ascending: EXISTS */
	size_t n_new;
	uint32_t *expunged;	/* ascending, were in the view */
	size_t n_expunged;
	struct mstore_change *changed;	/* flags/keywords changed */
	size_t n_changed;
};

struct mstore_status {
	uint32_t messages, unseen, recent, deleted, uidnext, uidvalidity;
	uint64_t size, highestmodseq;
};

enum mstore_store_mode { MSTORE_ADD, MSTORE_REMOVE, MSTORE_REPLACE };

struct mstore_box;

/* Folders (mstore_list.c). */
int mstore_list(const char *root, struct mstore_folder **list_r,
    size_t *count_r, const char **errstr_r) WARN_UNUSED;
void mstore_list_free(struct mstore_folder **list, size_t count);
int mstore_create(const char *root, const char *name, unsigned special,
    const char **errstr_r) WARN_UNUSED;
int mstore_delete(const char *root, const char *name, const char **errstr_r)
    WARN_UNUSED;
int mstore_rename(const char *root, const char *from, const char *to,
    const char **errstr_r) WARN_UNUSED;
int mstore_subscribe(const char *root, const char *name, int on,
    const char **errstr_r) WARN_UNUSED;
int mstore_subscriptions(const char *root, char ***names_r, size_t *count_r,
    const char **errstr_r) WARN_UNUSED;
void mstore_names_free(char ***names, size_t count);
int mstore_make_defaults(const char *root, const char **errstr_r) WARN_UNUSED;
int mstore_folder_path(const char *root, const char *name, char **path_r,
    const char **errstr_r) WARN_UNUSED;
int mstore_status(const char *root, const char *name,
    struct mstore_status *st_r, const char **errstr_r) WARN_UNUSED;

/* A selected folder (mstore_sync.c). */
int mstore_open(const char *root, const char *name, unsigned flags,
    struct mstore_box **box_r, const char **errstr_r) WARN_UNUSED;
void mstore_close(struct mstore_box **boxp);
int mstore_sync(struct mstore_box *box, struct mstore_changes *ch_r,
    const char **errstr_r) WARN_UNUSED;
int mstore_sync_unless_expunged(struct mstore_box *box,
    struct mstore_changes *ch_r, const char **errstr_r) WARN_UNUSED;
void mstore_changes_free(struct mstore_changes *ch);
size_t mstore_count(const struct mstore_box *box);
const struct mstore_msg *mstore_msg(const struct mstore_box *box, size_t i);
long mstore_seq_of(const struct mstore_box *box, uint32_t uid);
const char *mstore_msg_name(const struct mstore_box *box,
    const struct mstore_msg *m);
int mstore_is_recent(const struct mstore_box *box, uint32_t uid);
uint32_t mstore_uidvalidity(const struct mstore_box *box);
uint32_t mstore_uidnext(const struct mstore_box *box);
uint64_t mstore_highestmodseq(const struct mstore_box *box);
void mstore_box_status(const struct mstore_box *box,
    struct mstore_status *st_r);
int mstore_vanished_since(const struct mstore_box *box, uint64_t modseq,
    uint32_t **uids_r, size_t *n_r);
size_t mstore_keyword_count(const struct mstore_box *box);
const char *mstore_keyword_name(const struct mstore_box *box, size_t i);

/* Changes (mstore_ops.c); each durable when it returns 0. */
int mstore_store(struct mstore_box *box, const uint32_t *uids, size_t n,
    enum mstore_store_mode mode, unsigned flags, const char *const *kw,
    size_t nkw, uint64_t unchangedsince, uint32_t **failed_r,
    size_t *nfailed_r, const char **errstr_r) WARN_UNUSED;
int mstore_expunge(struct mstore_box *box, const uint32_t *uids, size_t n,
    const char **errstr_r) WARN_UNUSED;
/* Why the last change failed (mstore_file.c): errno, 0 when unknown.
 * ENOSPC/EDQUOT: the disk or quota is full.  Reset before a command. */
int mstore_last_errno(void);
void mstore_errno_reset(void);
int mstore_append(struct mstore_box *box, maildir_next_fn next, void *ctx,
    unsigned flags, const char *const *kw, size_t nkw, time_t idate,
    uint32_t *uid_r, const char **errstr_r) WARN_UNUSED;
int mstore_copy(struct mstore_box *src, const uint32_t *uids, size_t n,
    struct mstore_box *dst, uint32_t **new_uids_r, const char **errstr_r)
    WARN_UNUSED;
int mstore_move(struct mstore_box *src, const uint32_t *uids, size_t n,
    struct mstore_box *dst, uint32_t **new_uids_r, const char **errstr_r)
    WARN_UNUSED;
const struct mstore_msg *mstore_view_take(struct mstore_box *box,
    uint32_t uid);
int mstore_watch(const struct mstore_box *box, int inotify_fd) WARN_UNUSED;
int mstore_open_msg(struct mstore_box *box, uint32_t uid, int *fd_r,
    const char **errstr_r) WARN_UNUSED;

/* Cached strings (mstore_cache.c): field ids are the session's, 1..65535. */
int mstore_cache_get(struct mstore_box *box, uint32_t uid, uint16_t field,
    char **data_r, size_t *len_r);
int mstore_cache_put(struct mstore_box *box, uint32_t uid, uint16_t field,
    const char *data, size_t len, const char **errstr_r) WARN_UNUSED;

#endif
