/*
 * cmd_select.c - opening and closing the selected mailbox: SELECT and
 * EXAMINE (RFC 9051 6.3.2/6.3.3, RFC 3501 6.3.1/6.3.2), CLOSE (6.4.1),
 * UNSELECT (RFC 3691, RFC 9051 6.4.2) and CHECK (RFC 3501 6.4.1).
 *
 * Public: cmd_select (SELECT and EXAMINE), cmd_close, cmd_unselect,
 * cmd_check (session.h).
 * SELECT answers FLAGS, PERMANENTFLAGS (with \* : clients may make
 * keywords), EXISTS, UIDVALIDITY, UIDNEXT (always: research pitfall 2),
 * and before IMAP4rev2 also RECENT and UNSEEN; after ENABLE IMAP4rev2 an
 * untagged LIST instead, and "OK [CLOSED]" when it replaces a selected
 * mailbox.  A SELECT that fails leaves no mailbox selected (6.3.2).
 * CLOSE expunges \Deleted messages silently unless the mailbox is
 * read-only; UNSELECT does not.
 * Security: the mailbox name is checked by the store (no path escapes).
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "imap_mbox_args.h"
#include "log.h"
#include "mstore.h"
#include "session.h"

/* "\Answered ... kw" for FLAGS and PERMANENTFLAGS. */
static void
select_flag_names(struct imapd_session *s, struct buf *b)
{
	size_t nkw = mstore_keyword_count(s->box);

	buf_put_str(b, "\\Answered \\Flagged \\Deleted \\Seen "
	    "\\Draft");
	for (size_t i = 0; i < nkw; i++)
		if (mstore_keyword_name(s->box, i) != NULL)
			buf_putf(b, " %s", mstore_keyword_name(s->box, i));
	s->keywords_shown = nkw;
}

/* FLAGS and PERMANENTFLAGS: at SELECT, and again when a keyword appears
 * (RFC 9051 7.3.5: the client learns the new set). */
void
imapd_flags_report(struct imapd_session *s)
{
	struct buf *b = buf_new(256, 0);

	select_flag_names(s, b);
	imapd_reply(s, "* FLAGS (%s)", buf_cstr(b));
	imapd_reply(s, "* OK [PERMANENTFLAGS (%s%s)] %s", s->readonly ? "" :
	    buf_cstr(b), s->readonly ? "" : " \\*", s->readonly ?
	    "Read-only mailbox." : "Flags permitted.");
	buf_free(&b);
}

/* The sequence number of the first unseen message, 0 when none. */
static size_t
select_first_unseen(const struct imapd_session *s)
{
	size_t n = mstore_count(s->box);

	for (size_t i = 0; i < n; i++)
		if (!(mstore_msg(s->box, i)->flags & MSTORE_F_SEEN))
			return i + 1;
	return 0;
}

/* The untagged data of a successful SELECT/EXAMINE. */
static void
select_report(struct imapd_session *s)
{
	struct mstore_status st;
	struct buf *b = buf_new(256, 0);
	size_t unseen;

	mstore_box_status(s->box, &st);
	imapd_flags_report(s);
	imapd_reply(s, "* %zu EXISTS", mstore_count(s->box));
	if (!(s->enabled & EN_IMAP4REV2)) {
		imapd_reply(s, "* %lu RECENT", (unsigned long)st.recent);
		if ((unseen = select_first_unseen(s)) > 0)
			imapd_reply(s, "* OK [UNSEEN %zu] First unseen.", unseen);
	}
	imapd_reply(s, "* OK [UIDVALIDITY %lu] UIDs valid",
	    (unsigned long)mstore_uidvalidity(s->box));
	imapd_reply(s, "* OK [UIDNEXT %lu] Predicted next UID",
	    (unsigned long)mstore_uidnext(s->box));
	if (s->enabled & EN_CONDSTORE)
		imapd_reply(s, "* OK [HIGHESTMODSEQ %llu] Highest",
		    (unsigned long long)mstore_highestmodseq(s->box));
	buf_free(&b);
}

/* SELECT and EXAMINE. */
void
cmd_select(struct imapd_session *s, const struct imap_cmd *cmd)
{
	int examine = strcmp(cmd->name, "EXAMINE") == 0;
	struct imap_select_args sa;
	const char *err = NULL;

	if (imap_select_parse(cmd->args, cmd->count, imapd_utf8(s), s->pool,
	    &sa, &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid arguments.");
		return;
	}
	if (sa.qresync && !(s->enabled & EN_QRESYNC)) {
		imapd_bad(s, "QRESYNC needs ENABLE QRESYNC first.");
		return;
	}
	if (sa.condstore)
		s->enabled |= EN_CONDSTORE;
	if (s->box != NULL) {
		imapd_unselect(s);
		if (s->enabled & (EN_IMAP4REV2 | EN_QRESYNC))
			imapd_reply(s, "* OK [CLOSED] Previous mailbox closed.");
	}
	if (mstore_open(s->root, sa.mailbox, examine ? 0 : MSTORE_RDWR,
	    &s->box, &err) != 0) {
		imapd_tagged(s, "NO [NONEXISTENT] %s", err != NULL ? err :
		    "Mailbox doesn't exist.");
		return;
	}
	s->box_name = xstrdup(sa.mailbox);
	s->readonly = examine;
	s->state = ST_SELECTED;
	select_report(s);
	if (s->enabled & EN_IMAP4REV2)
		imapd_list_one(s, s->box_name);
	if (sa.qresync)
		imapd_qresync_select(s, &sa);
	s->expunge_ok = 0;	/* nothing to announce: the view is new */
	imapd_tagged(s, "OK [%s] %s completed.", examine ? "READ-ONLY" :
	    "READ-WRITE", examine ? "Examine" : "Select");
}

/* Expunge \Deleted messages without a word (CLOSE, and EXPUNGE's core). */
int
imapd_expunge_deleted(struct imapd_session *s, const uint32_t *only,
    size_t nonly, uint32_t **uids_r, size_t *n_r, const char **errstr_r)
{
	size_t n = mstore_count(s->box), k = 0;
	uint32_t *uids = malloc((n ? n : 1) * sizeof(*uids));
	const struct mstore_msg *m;
	int rc;

	if (uids == NULL) {
		*errstr_r = "out of memory";
		return -1;
	}
	for (size_t i = 0, j = 0; i < n; i++) {
		m = mstore_msg(s->box, i);
		if (!(m->flags & MSTORE_F_DELETED))
			continue;
		while (only != NULL && j < nonly && only[j] < m->uid)
			j++;
		if (only != NULL && (j == nonly || only[j] != m->uid))
			continue;
		uids[k++] = m->uid;
	}
	rc = k == 0 ? 0 : mstore_expunge(s->box, uids, k, errstr_r);
	*uids_r = uids;
	*n_r = k;
	return rc;
}

/* CLOSE: expunge silently (read-write only), then deselect. */
void
cmd_close(struct imapd_session *s, const struct imap_cmd *cmd)
{
	const char *err = NULL;
	uint32_t *uids = NULL;
	size_t n = 0;

	(void)cmd;
	if (!s->readonly && imapd_expunge_deleted(s, NULL, 0, &uids, &n,
	    &err) != 0)
		log_warn("imap(%s): CLOSE expunge in %s: %s", s->user,
		    s->box_name, err != NULL ? err : "error");
	s->expunged += n;
	free(uids);
	imapd_unselect(s);
	imapd_tagged(s, "OK Close completed.");
}

/* UNSELECT: deselect without expunging. */
void
cmd_unselect(struct imapd_session *s, const struct imap_cmd *cmd)
{
	(void)cmd;
	imapd_unselect(s);
	imapd_tagged(s, "OK Unselect completed.");
}

/* CHECK (IMAP4rev1): everything is on disk already; a sync point. */
void
cmd_check(struct imapd_session *s, const struct imap_cmd *cmd)
{
	(void)cmd;
	imapd_tagged(s, "OK Check completed.");
}
