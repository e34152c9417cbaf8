/*
 * imap_mbox_args.h - arguments of the mailbox commands: LIST (RFC 9051
 * 6.3.9, RFC 5258 LIST-EXTENDED, RFC 6154 SPECIAL-USE, RFC 5819
 * LIST-STATUS), STATUS (6.3.11, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE),
 * SELECT/EXAMINE parameters (RFC 7162 CONDSTORE, QRESYNC) and CREATE
 * (RFC 6154 CREATE-SPECIAL-USE).
 *
 * Each function takes the command's arguments (cmd.args, cmd.count), the
 * session's UTF-8 mode (IMAP4rev2 or UTF8=ACCEPT enabled) and the pool;
 * it returns 0, or -1 with a text for BAD.  Mailbox names come back in the
 * internal form of imap_mailbox.h.
 *
 * Public:
 *   imap_list_parse(args, count, utf8, pool, &la_r, &errstr_r)
 *        [(selection)] reference (pattern | (patterns)) [RETURN (opts)].
 *        RECURSIVEMATCH alone is refused, as RFC 5258 requires.
 *   imap_status_items_parse(arg, &items_r, &errstr_r)  a "(MESSAGES ...)"
 *        list to IMAP_STATUS_* bits (also LIST's RETURN STATUS).
 *   imap_status_parse(args, count, utf8, pool, &name_r, &items_r, &errstr_r)
 *   imap_select_parse(args, count, utf8, pool, &sa_r, &errstr_r)
 *        mailbox [(CONDSTORE) | (QRESYNC (uidvalidity modseq [known-uids
 *        [(seq-match uid-match)]]))].
 *   imap_create_parse(args, count, utf8, pool, &name_r, &use_r, &errstr_r)
 *        mailbox [(USE (\Sent ...))]; use_r gets IMAP_USE_* bits.
 * Security: untrusted input; all lists come from the bounded arg tree.
 */
#ifndef PETREL_IMAP_MBOX_ARGS_H
#define PETREL_IMAP_MBOX_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include "log.h"
#include "imap_parse.h"
#include "imap_seqset.h"

#define IMAP_LIST_SEL_SUBSCRIBED	0x01
#define IMAP_LIST_SEL_REMOTE		0x02
#define IMAP_LIST_SEL_RECURSIVEMATCH	0x04
#define IMAP_LIST_SEL_SPECIAL_USE	0x08

#define IMAP_LIST_RET_SUBSCRIBED	0x01
#define IMAP_LIST_RET_CHILDREN		0x02
#define IMAP_LIST_RET_SPECIAL_USE	0x04
#define IMAP_LIST_RET_STATUS		0x08

#define IMAP_STATUS_MESSAGES		0x01
#define IMAP_STATUS_UIDNEXT		0x02
#define IMAP_STATUS_UIDVALIDITY		0x04
#define IMAP_STATUS_UNSEEN		0x08
#define IMAP_STATUS_DELETED		0x10
#define IMAP_STATUS_SIZE		0x20
#define IMAP_STATUS_RECENT		0x40
#define IMAP_STATUS_HIGHESTMODSEQ	0x80

#define IMAP_USE_ALL		0x01
#define IMAP_USE_ARCHIVE	0x02
#define IMAP_USE_DRAFTS		0x04
#define IMAP_USE_FLAGGED	0x08
#define IMAP_USE_JUNK		0x10
#define IMAP_USE_SENT		0x20
#define IMAP_USE_TRASH		0x40

struct imap_list_args {
	int extended;		/* selection options or RETURN were given */
	unsigned select;	/* IMAP_LIST_SEL_* */
	unsigned ret;		/* IMAP_LIST_RET_* */
	unsigned status_items;	/* with IMAP_LIST_RET_STATUS */
	const char *reference;
	const char **patterns;
	size_t pattern_count;
};

struct imap_select_args {
	const char *mailbox;
	int condstore;
	int qresync;
	uint32_t uidvalidity;
	uint64_t modseq;
	struct imap_seqset *known_uids;		/* NULL when absent */
	struct imap_seqset *seq_match;		/* NULL when absent */
	struct imap_seqset *uid_match;
};

int imap_list_parse(const struct imap_arg *args, size_t count, int utf8,
    struct imap_pool *pool, struct imap_list_args *la_r,
    const char **errstr_r) WARN_UNUSED;
int imap_status_items_parse(const struct imap_arg *arg, unsigned *items_r,
    const char **errstr_r) WARN_UNUSED;
int imap_status_parse(const struct imap_arg *args, size_t count, int utf8,
    struct imap_pool *pool, const char **name_r, unsigned *items_r,
    const char **errstr_r) WARN_UNUSED;
int imap_select_parse(const struct imap_arg *args, size_t count, int utf8,
    struct imap_pool *pool, struct imap_select_args *sa_r,
    const char **errstr_r) WARN_UNUSED;
int imap_create_parse(const struct imap_arg *args, size_t count, int utf8,
    struct imap_pool *pool, const char **name_r, unsigned *use_r,
    const char **errstr_r) WARN_UNUSED;

#endif
