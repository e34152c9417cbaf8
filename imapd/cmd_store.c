/*
 * cmd_store.c - changing messages of the selected mailbox: STORE (RFC 9051
 * 6.4.6, RFC 7162 UNCHANGEDSINCE), EXPUNGE and UID EXPUNGE (6.4.3, RFC
 * 4315), COPY (6.4.7, with RFC 4315 COPYUID) and MOVE (RFC 6851).
 *
 * Public: cmd_store, cmd_expunge, cmd_copy (COPY and MOVE), imapd_uidset,
 * imapd_store_code (session.h).
 * Each change is on disk when the store returns (mstore.h), so OK means
 * durable.  STORE answers with the new flags (unless .SILENT), taken into
 * the session's view so the next sync does not repeat them; with
 * UNCHANGEDSINCE the messages that changed meanwhile are left alone and
 * named in "OK [MODIFIED ...]".  The expunges of EXPUNGE and MOVE are
 * announced by the completion's sync (session_view.c), in the order RFC
 * 9051 7.5.1 asks.  COPY and MOVE into a mailbox that does not exist get
 * "NO [TRYCREATE]"; they answer COPYUID with the source and destination
 * UIDs in the same order.  A change refused for lack of space answers
 * "NO [OVERQUOTA]" and loses nothing already stored (mstore.h).
 * Security: the target name is checked by the store.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imap_flags.h"
#include "imap_mailbox.h"
#include "imap_msg_args.h"
#include "log.h"
#include "mstore.h"
#include "session.h"

static const struct {
	unsigned imap;
	unsigned store;
} store_flags[] = {
	{ IMAP_FLAG_ANSWERED, MSTORE_F_ANSWERED },
	{ IMAP_FLAG_FLAGGED, MSTORE_F_FLAGGED },
	{ IMAP_FLAG_DELETED, MSTORE_F_DELETED },
	{ IMAP_FLAG_SEEN, MSTORE_F_SEEN },
	{ IMAP_FLAG_DRAFT, MSTORE_F_DRAFT },
};

/* The store's bits for a parsed flag list. */
unsigned
imapd_store_bits(unsigned imap)
{
	unsigned bits = 0;

	for (size_t i = 0; i < sizeof(store_flags) / sizeof(store_flags[0]); i++)
		if (imap & store_flags[i].imap)
			bits |= store_flags[i].store;
	return bits;
}

/* The RFC 5530 code for a change the store refused: a full disk or quota
 * (ENOSPC, EDQUOT) is OVERQUOTA, as Dovecot answers both; anything else
 * is SERVERBUG.  Call mstore_errno_reset() before the change. */
const char *
imapd_store_code(void)
{
	int e = mstore_last_errno();

	return e == ENOSPC || e == EDQUOT ? "OVERQUOTA" : "SERVERBUG";
}

/* "1:3,5" of ascending-or-not UIDs, runs of +1 compressed. */
void
imapd_uidset(struct buf *b, const uint32_t *uids, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		for (j = i; j + 1 < n && uids[j + 1] == uids[j] + 1; j++)
			continue;
		buf_putf(b, "%s%lu", i ? "," : "", (unsigned long)uids[i]);
		if (j > i)
			buf_putf(b, ":%lu", (unsigned long)uids[j]);
		i = j + 1;
	}
}

/* The UIDs of view positions. */
static uint32_t *
store_uids(struct imapd_session *s, const size_t *idx, size_t n)
{
	uint32_t *uids = imap_pool_alloc_array(s->pool, n + 1, sizeof(*uids));

	for (size_t i = 0; uids != NULL && i < n; i++)
		uids[i] = mstore_msg(s->box, idx[i])->uid;
	return uids;
}

/* Whether uid is in a (short, unsorted) list. */
static int
store_in(const uint32_t *list, size_t n, uint32_t uid)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == uid)
			return 1;
	return 0;
}

/* The FETCH answers of a STORE. */
static void
store_report(struct imapd_session *s, const struct imap_cmd *cmd,
    const struct imap_store_args *st, const size_t *idx, size_t n,
    const uint32_t *failed, size_t nfailed)
{
	struct buf *fl = buf_new(128, 0), *line = buf_new(256, 0);
	const struct mstore_msg *m;
	uint32_t uid;

	for (size_t i = 0; i < n; i++) {
		uid = mstore_msg(s->box, idx[i])->uid;
		if (store_in(failed, nfailed, uid) ||
		    (m = mstore_view_take(s->box, uid)) == NULL)
			continue;
		if (st->silent && !(s->enabled & EN_CONDSTORE))
			continue;
		buf_reset(line);
		buf_putf(line, "* %zu FETCH (", idx[i] + 1);
		if (cmd->uid || (s->enabled & EN_IMAP4REV2))
			buf_putf(line, "UID %lu ", (unsigned long)uid);
		if (!st->silent)
			buf_putf(line, "FLAGS %s ", imapd_flags_text(s, m, fl));
		if (s->enabled & EN_CONDSTORE)
			buf_putf(line, "MODSEQ (%llu) ",
			    (unsigned long long)m->modseq);
		line->len--;		/* the last space */
		buf_put_str(line, ")\r\n");
		imapd_write(s, line->data, line->len);
	}
	buf_free(&fl);
	buf_free(&line);
}

/* STORE and UID STORE. */
void
cmd_store(struct imapd_session *s, const struct imap_cmd *cmd)
{
	static const enum mstore_store_mode modes[] = {
		[IMAP_STORE_SET] = MSTORE_REPLACE,
		[IMAP_STORE_ADD] = MSTORE_ADD,
		[IMAP_STORE_REMOVE] = MSTORE_REMOVE,
	};
	struct imap_store_args st;
	const char *err = NULL;
	uint32_t *uids, *failed = NULL;
	size_t *idx, n, nfailed = 0;
	struct buf *b;

	if (cmd->count < 2 ||
	    imapd_msgset(s, &cmd->args[0], cmd->uid, &idx, &n, &err) != 0 ||
	    imap_store_parse(cmd->args + 1, cmd->count - 1, s->pool, &st,
	    &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid STORE arguments.");
		return;
	}
	if (s->readonly) {
		imapd_tagged(s, "NO Mailbox is read-only.");
		return;
	}
	if (st.unchangedsince_set)
		s->enabled |= EN_CONDSTORE;
	uids = store_uids(s, idx, n);
	mstore_errno_reset();
	if (n > 0 && (uids == NULL || mstore_store(s->box, uids, n,
	    modes[st.op], imapd_store_bits(st.flags.system),
	    st.flags.keywords, st.flags.keyword_count,
	    st.unchangedsince_set ? st.unchangedsince + (st.unchangedsince == 0) :
	    0, &failed, &nfailed, &err) != 0)) {
		imapd_tagged(s, "NO [%s] %s", imapd_store_code(),
		    err != NULL ? err : "Cannot store flags.");
		return;
	}
	store_report(s, cmd, &st, idx, n, failed, nfailed);
	s->stored += n - nfailed;
	if (nfailed == 0) {
		imapd_tagged(s, "OK Store completed.");
	} else {
		b = buf_new(64, 0);
		imapd_uidset(b, failed, nfailed);
		imapd_tagged(s, "OK [MODIFIED %s] Conditional STORE failed.",
		    buf_cstr(b));
		buf_free(&b);
	}
	free(failed);
}

/* EXPUNGE and UID EXPUNGE set. */
void
cmd_expunge(struct imapd_session *s, const struct imap_cmd *cmd)
{
	const char *err = NULL;
	uint32_t *only = NULL, *done = NULL;
	size_t *idx, nidx = 0, n = 0;

	if (cmd->uid != (cmd->count == 1) || (cmd->uid &&
	    imapd_msgset(s, &cmd->args[0], 1, &idx, &nidx, &err) != 0)) {
		imapd_bad(s, err != NULL ? err : "Invalid EXPUNGE arguments.");
		return;
	}
	if (s->readonly) {
		imapd_tagged(s, "NO Mailbox is read-only.");
		return;
	}
	if (cmd->uid && (only = store_uids(s, idx, nidx)) == NULL)
		nidx = 0;
	mstore_errno_reset();
	if (imapd_expunge_deleted(s, only, cmd->uid ? nidx : 0, &done, &n,
	    &err) != 0 || (cmd->uid && only == NULL && nidx != 0)) {
		imapd_tagged(s, "NO [%s] %s", imapd_store_code(),
		    err != NULL ? err : "Cannot expunge.");
		free(done);
		return;
	}
	free(done);
	imapd_tagged(s, "OK Expunge completed.");
}

/* Open the target of COPY/MOVE; NULL after answering NO. */
static struct mstore_box *
copy_target(struct imapd_session *s, const struct imap_arg *arg)
{
	struct mstore_box *dst = NULL;
	const char *name = NULL, *err = NULL;

	if (imap_mailbox_from_arg(arg, imapd_utf8(s), s->pool, &name,
	    &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid mailbox name.");
		return NULL;
	}
	if (mstore_open(s->root, name, MSTORE_RDWR, &dst, &err) != 0)
		imapd_tagged(s, "NO [TRYCREATE] Mailbox doesn't exist: %s",
		    err != NULL ? err : "");
	return dst;
}

/* COPY and MOVE (and their UID forms). */
void
cmd_copy(struct imapd_session *s, const struct imap_cmd *cmd)
{
	int move = strcmp(cmd->name, "MOVE") == 0;
	struct mstore_box *dst;
	const char *err = NULL;
	uint32_t *uids, *new_uids = NULL;
	size_t *idx, n;
	struct buf *b;
	int rc;

	if (cmd->count != 2 ||
	    imapd_msgset(s, &cmd->args[0], cmd->uid, &idx, &n, &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid arguments.");
		return;
	}
	if (move && s->readonly) {
		imapd_tagged(s, "NO Mailbox is read-only.");
		return;
	}
	if ((dst = copy_target(s, &cmd->args[1])) == NULL)
		return;
	uids = store_uids(s, idx, n);
	mstore_errno_reset();
	rc = n == 0 ? 0 : uids == NULL ? -1 : move ?
	    mstore_move(s->box, uids, n, dst, &new_uids, &err) :
	    mstore_copy(s->box, uids, n, dst, &new_uids, &err);
	b = buf_new(128, 0);
	if (rc == 0 && n > 0) {
		buf_putf(b, "[COPYUID %lu ", (unsigned long)mstore_uidvalidity(dst));
		imapd_uidset(b, uids, n);
		buf_put_char(b, ' ');
		imapd_uidset(b, new_uids, n);
		buf_put_str(b, "] ");
	}
	mstore_close(&dst);
	if (rc > 0)	/* RFC 5530: another session expunged some */
		imapd_tagged(s, "NO [EXPUNGEISSUED] %s", err);
	else if (rc != 0)
		imapd_tagged(s, "NO [%s] %s", imapd_store_code(),
		    err != NULL ? err : "Cannot copy.");
	else if (move) {
		imapd_reply(s, "* OK %sMoved.", buf_cstr(b));
		imapd_tagged(s, "OK Move completed.");
	} else
		imapd_tagged(s, "OK %sCopy completed.", buf_cstr(b));
	buf_free(&b);
	free(new_uids);
}
