/*
 * session_view.c - what a session shows of its selected mailbox as it
 * changes under it: untagged EXISTS, EXPUNGE (or VANISHED under QRESYNC)
 * and FETCH FLAGS for the changes other sessions, POP3 and delivery made
 * (RFC 9051 5.2, 7.5), and the text of a message's flags.
 *
 * Public: imapd_announce, imapd_unselect, imapd_flags_text (session.h).
 * imapd_announce syncs the mailbox (mstore_sync); after a command by
 * sequence number, where expunges may not be announced, it takes new mail
 * and flag changes only when nothing was expunged meanwhile
 * (mstore_sync_unless_expunged), else nothing, so the numbers the client
 * holds stay valid until a later command (NOOP, IDLE, a UID command...)
 * may shift them.
 * Expunged messages are announced in ascending UID order, each with its
 * sequence number in the view as already reduced by the EXPUNGEs before
 * it; then EXISTS (and RECENT before IMAP4rev2), then FETCH with the new
 * flags (with UID under IMAP4rev2 and MODSEQ under CONDSTORE).
 * Security: nothing here reads client input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "mstore.h"
#include "session.h"

static const struct {
	unsigned bit;
	const char *name;
} view_flags[] = {
	{ MSTORE_F_ANSWERED, "\\Answered" },
	{ MSTORE_F_FLAGGED, "\\Flagged" },
	{ MSTORE_F_DELETED, "\\Deleted" },
	{ MSTORE_F_SEEN, "\\Seen" },
	{ MSTORE_F_DRAFT, "\\Draft" },
};

/* "(\Seen \Recent kw ...)" of a message into b; returns b's text. */
const char *
imapd_flags_text(const struct imapd_session *s, const struct mstore_msg *m,
    struct buf *b)
{
	const char *sep = "";
	size_t nkw = mstore_keyword_count(s->box);

	buf_reset(b);
	buf_put_char(b, '(');
	for (size_t i = 0; i < sizeof(view_flags) / sizeof(view_flags[0]); i++)
		if (m->flags & view_flags[i].bit) {
			buf_putf(b, "%s%s", sep, view_flags[i].name);
			sep = " ";
		}
	if (!(s->enabled & EN_IMAP4REV2) && mstore_is_recent(s->box, m->uid)) {
		buf_putf(b, "%s\\Recent", sep);
		sep = " ";
	}
	for (size_t i = 0; i < nkw && i < 32; i++)
		if (m->kw & (1u << i)) {
			buf_putf(b, "%s%s", sep,
			    mstore_keyword_name(s->box, i));
			sep = " ";
		}
	buf_put_char(b, ')');
	return buf_cstr(b);
}

/* Sequence number an expunged UID had, given the EXPUNGEs sent before. */
static unsigned long
view_expunge_seq(const struct mstore_box *box, uint32_t uid)
{
	size_t lo = 0, hi = mstore_count(box);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mstore_msg(box, mid)->uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (unsigned long)lo + 1;
}

/* EXPUNGE lines, or one VANISHED under QRESYNC. */
static void
view_expunges(struct imapd_session *s, const struct mstore_changes *ch)
{
	struct buf *b;

	if (ch->n_expunged == 0)
		return;
	if (!(s->enabled & EN_QRESYNC)) {
		for (size_t i = 0; i < ch->n_expunged; i++)
			imapd_reply(s, "* %lu EXPUNGE",
			    view_expunge_seq(s->box, ch->expunged[i]));
		return;
	}
	b = buf_new(256, 0);
	for (size_t i = 0; i < ch->n_expunged; i++)
		buf_putf(b, "%s%lu", i ? "," : "",
		    (unsigned long)ch->expunged[i]);
	imapd_reply(s, "* VANISHED %s", buf_cstr(b));
	buf_free(&b);
}

/* FETCH FLAGS for messages whose flags changed elsewhere. */
static void
view_flag_changes(struct imapd_session *s, const struct mstore_changes *ch)
{
	struct buf *b = buf_new(128, 0);
	const struct mstore_msg *m;
	long seq;

	for (size_t i = 0; i < ch->n_changed; i++) {
		if ((seq = mstore_seq_of(s->box, ch->changed[i].uid)) < 0)
			continue;
		m = mstore_msg(s->box, (size_t)seq++);
		imapd_flags_text(s, m, b);
		if (s->enabled & EN_CONDSTORE)
			imapd_reply(s, "* %ld FETCH (UID %lu FLAGS %s MODSEQ "
			    "(%llu))", seq, (unsigned long)m->uid, b->data,
			    (unsigned long long)m->modseq);
		else if (s->enabled & EN_IMAP4REV2)
			imapd_reply(s, "* %ld FETCH (UID %lu FLAGS %s)", seq,
			    (unsigned long)m->uid, b->data);
		else
			imapd_reply(s, "* %ld FETCH (FLAGS %s)", seq, b->data);
	}
	buf_free(&b);
}

/* Sync the selected mailbox and announce what changed; 0 or -1. */
int
imapd_announce(struct imapd_session *s, int expunge_ok)
{
	struct mstore_changes ch;
	struct mstore_status st;
	const char *err = NULL;
	int rc;

	if (s->box == NULL)
		return 0;
	memset(&ch, 0, sizeof(ch));
	rc = expunge_ok ? mstore_sync(s->box, &ch, &err) :
	    mstore_sync_unless_expunged(s->box, &ch, &err);
	if (rc > 0)
		return 0;	/* expunges pending: all of it waits */
	if (rc != 0) {
		log_warn("imap(%s): sync of %s: %s", s->user, s->box_name,
		    err != NULL ? err : "error");
		return -1;
	}
	if (mstore_keyword_count(s->box) != s->keywords_shown)
		imapd_flags_report(s);
	view_expunges(s, &ch);
	if (ch.n_new > 0) {
		imapd_reply(s, "* %zu EXISTS", mstore_count(s->box));
		if (!(s->enabled & EN_IMAP4REV2)) {
			mstore_box_status(s->box, &st);
			imapd_reply(s, "* %lu RECENT", (unsigned long)st.recent);
		}
	}
	view_flag_changes(s, &ch);
	s->expunged += ch.n_expunged;
	mstore_changes_free(&ch);
	return 0;
}

/* Close the selected mailbox (if any) and forget the SEARCHRES result. */
void
imapd_unselect(struct imapd_session *s)
{
	if (s->box != NULL)
		mstore_close(&s->box);
	free(s->box_name);
	s->box_name = NULL;
	free(s->searchres);
	s->searchres = NULL;
	s->n_searchres = 0;
	s->state = ST_AUTH;
}
