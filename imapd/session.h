/*
 * session.h - one logged-in IMAP connection (the authenticated and
 * selected states of RFC 9051), served by a process running as the
 * mailbox owner.
 *
 * Public (inside imapd/ only):
 *   imapd_session_main()  (imapd.h) the session's life.
 *   imapd_reply(s, fmt, ...)   queue one untagged or continuation line
 *                              (CRLF added).
 *   imapd_write(s, p, n)       queue raw bytes (literal contents).
 *   imapd_tagged(s, fmt, ...)  the current command's completion: pending
 *                              mailbox changes are announced first (as the
 *                              command's table entry allows), then
 *                              "<tag> " + the text.
 *   imapd_bad(s, text)         tagged BAD that counts against the error
 *                              budget (IMAPD_ERROR_LIMIT, then BYE).
 *   imapd_announce(s, expunge_ok)  sync the selected mailbox and send
 *                              EXISTS / EXPUNGE or VANISHED / FETCH FLAGS
 *                              for what changed (RFC 9051 7.5, 5.5).
 *   imapd_unselect(s)          close the selected mailbox.
 *   imapd_terminating()        1 after SIGTERM (finish, then BYE).
 *   imapd_flags_report(s)      FLAGS + PERMANENTFLAGS (cmd_select.c).
 *   imapd_vanished_earlier, imapd_qresync_select  QRESYNC (qresync.c).
 *   imapd_flags_text(s, m, buf)  "(\Seen $Junk)" of a message.
 *   imapd_utf8(s)              1 when mailbox names travel in UTF-8
 *                              (IMAP4rev2 or UTF8=ACCEPT enabled), else
 *                              modified UTF-7.
 *   imapd_msgset(s, arg, uid, &idx, &n, &errtext)  the view positions a
 *                              sequence or UID set names (msgset.c).
 *   imapd_store_bits(imap)     MSTORE_F_* of IMAP_FLAG_* bits (cmd_store.c).
 *   imapd_uidset(b, uids, n)   "1:3,5" (runs compressed) (cmd_store.c).
 *   imapd_store_code()         "OVERQUOTA" after a change refused for lack
 *                              of space, else "SERVERBUG" (cmd_store.c).
 *   imapd_list_one(s, name)    the untagged LIST line of one mailbox.
 *   imapd_expunge_deleted(s, only, n, &uids, &n, &err)  expunge \Deleted
 *                              messages (of the UID set only, when given).
 * The command handlers live in cmd_*.c and are listed in session.c's
 * table { name, handler, states, flags }.
 * Security: the process can reach only this user's maildir; every
 * argument is untrusted and bounded by the parser and the table.
 */
#ifndef PETREL_IMAPD_SESSION_H
#define PETREL_IMAPD_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "imap_parse.h"

#define IMAPD_ERROR_LIMIT	20	/* BAD commands before BYE */

enum imapd_state { ST_AUTH = 1, ST_SELECTED = 2 };

/* Extensions a client switched on with ENABLE (or by using them). */
#define EN_IMAP4REV2	0x01
#define EN_CONDSTORE	0x02
#define EN_QRESYNC	0x04
#define EN_UTF8		0x08

struct buf;
struct conn;
struct mstore_box;
struct mstore_msg;
struct imap_seqset;

struct imapd_session {
	struct conn *conn;
	char *user;
	char *root;			/* the maildir, ending in '/' */
	char rip[64];
	char lip[64];
	int tls;
	enum imapd_state state;
	unsigned enabled;		/* EN_* */
	struct imap_asm *asm;
	struct imap_pool *pool;
	struct mstore_box *box;		/* ST_SELECTED */
	char *box_name;			/* its UTF-8 name */
	int readonly;			/* EXAMINE */
	uint32_t *searchres;		/* SEARCHRES "$": UIDs */
	size_t n_searchres;
	const char *tag;		/* the command being run */
	int expunge_ok;			/* its completion may send EXPUNGE */
	int bad_commands;
	int logout;
	time_t started;
	unsigned long fetched, stored, expunged, appended;
	char *hidden_caps;		/* imapd_capability_maps entry, or NULL */
	size_t keywords_shown;		/* keywords in the last FLAGS sent */
};

void imapd_reply(struct imapd_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void imapd_write(struct imapd_session *s, const void *p, size_t n);
void imapd_tagged(struct imapd_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void imapd_bad(struct imapd_session *s, const char *text);
int imapd_announce(struct imapd_session *s, int expunge_ok);
void imapd_unselect(struct imapd_session *s);
int imapd_terminating(void);
void imapd_flags_report(struct imapd_session *s);
void imapd_vanished_earlier(struct imapd_session *s, uint64_t modseq,
    const struct imap_seqset *limit);
struct imap_select_args;
void imapd_qresync_select(struct imapd_session *s,
    const struct imap_select_args *sa);
const char *imapd_flags_text(const struct imapd_session *s,
    const struct mstore_msg *m, struct buf *b);
int imapd_utf8(const struct imapd_session *s);
int imapd_msgset(struct imapd_session *s, const struct imap_arg *arg,
    int uid, size_t **idx_r, size_t *n_r, const char **errtext_r)
    WARN_UNUSED;
void imapd_list_one(struct imapd_session *s, const char *name);
const char *imapd_store_code(void);
int imapd_expunge_deleted(struct imapd_session *s, const uint32_t *only,
    size_t nonly, uint32_t **uids_r, size_t *n_r, const char **errstr_r)
    WARN_UNUSED;

/* Handlers (cmd_*.c): each answers the command itself. */
typedef void (*imapd_handler)(struct imapd_session *, const struct imap_cmd *);

void cmd_capability(struct imapd_session *, const struct imap_cmd *);
void cmd_noop(struct imapd_session *, const struct imap_cmd *);
void cmd_logout(struct imapd_session *, const struct imap_cmd *);
void cmd_id(struct imapd_session *, const struct imap_cmd *);
void cmd_enable(struct imapd_session *, const struct imap_cmd *);
void cmd_namespace(struct imapd_session *, const struct imap_cmd *);
void cmd_select(struct imapd_session *, const struct imap_cmd *);
void cmd_close(struct imapd_session *, const struct imap_cmd *);
void cmd_unselect(struct imapd_session *, const struct imap_cmd *);
void cmd_check(struct imapd_session *, const struct imap_cmd *);
void cmd_create(struct imapd_session *, const struct imap_cmd *);
void cmd_delete(struct imapd_session *, const struct imap_cmd *);
void cmd_rename(struct imapd_session *, const struct imap_cmd *);
void cmd_subscribe(struct imapd_session *, const struct imap_cmd *);
void cmd_list(struct imapd_session *, const struct imap_cmd *);
void cmd_status(struct imapd_session *, const struct imap_cmd *);
void cmd_fetch(struct imapd_session *, const struct imap_cmd *);
void cmd_store(struct imapd_session *, const struct imap_cmd *);
void cmd_expunge(struct imapd_session *, const struct imap_cmd *);
void cmd_copy(struct imapd_session *, const struct imap_cmd *);
void cmd_append(struct imapd_session *, const struct imap_cmd *);
void cmd_search(struct imapd_session *, const struct imap_cmd *);
void cmd_idle(struct imapd_session *, const struct imap_cmd *);
unsigned imapd_store_bits(unsigned imap_flags);
void imapd_uidset(struct buf *b, const uint32_t *uids, size_t n);

#endif
