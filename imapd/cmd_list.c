/*
 * cmd_list.c - finding mailboxes and asking about them: LIST (RFC 9051
 * 6.3.9, with RFC 5258 LIST-EXTENDED, RFC 6154 SPECIAL-USE, RFC 5819
 * LIST-STATUS, RFC 3348 CHILDREN), LSUB (RFC 3501 6.3.9) and STATUS
 * (RFC 9051 6.3.11, with RFC 8438 SIZE and RFC 7162 HIGHESTMODSEQ).
 *
 * Public: cmd_list (LIST and LSUB), cmd_status, imapd_list_one,
 * imapd_utf8 (session.h).
 * A pattern is the reference followed by the pattern (RFC 9051 6.3.9);
 * "INBOX" matches in any case.  Every listed mailbox carries
 * \HasChildren or \HasNoChildren, \Noselect (a parent that is only a
 * level of the hierarchy) and its special-use attribute; \Subscribed
 * when the client asked for subscriptions.  With the SUBSCRIBED selection
 * option a subscribed name that no longer exists is \NonExistent.
 * STATUS of the selected mailbox answers from the session's view; any
 * other comes from that folder's index, opening no message file.
 * Security: patterns are matched by imap_list_match (never exponential).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imap_mailbox.h"
#include "imap_mbox_args.h"
#include "imap_string.h"
#include "log.h"
#include "mstore.h"
#include "session.h"

struct list_ctx {
	struct imapd_session *s;
	const struct imap_list_args *la;
	const char **pats;		/* reference + pattern, INBOX folded */
	char **subs;			/* subscriptions, when asked */
	size_t nsubs;
	int lsub;
	struct buf *b;
};

/* Mailbox names travel in UTF-8 after ENABLE IMAP4rev2 / UTF8=ACCEPT. */
int
imapd_utf8(const struct imapd_session *s)
{
	return (s->enabled & (EN_IMAP4REV2 | EN_UTF8)) != 0;
}

/* Append a mailbox name in its wire form, quoted as needed. */
static void
list_name(struct imapd_session *s, struct buf *b, const char *name)
{
	struct buf *w = buf_new(64, 4096);
	const char *err = NULL;

	if (imap_mailbox_to_wire(name, strlen(name), imapd_utf8(s), w,
	    &err) != 0)
		buf_reset(w);		/* a stored name is always valid */
	if (imap_string_append_u(b, w->data, w->len, imapd_utf8(s)) != 0)
		log_panic("list_name: unbounded buffer full");
	buf_free(&w);
}

static const struct {
	unsigned bit;
	const char *name;
} list_attrs[] = {
	{ MSTORE_A_NOSELECT, "\\Noselect" },
	{ MSTORE_A_HASCHILDREN, "\\HasChildren" },
	{ MSTORE_A_HASNOCHILDREN, "\\HasNoChildren" },
	{ MSTORE_A_SUBSCRIBED, "\\Subscribed" },
	{ MSTORE_SU_SENT, "\\Sent" },
	{ MSTORE_SU_DRAFTS, "\\Drafts" },
	{ MSTORE_SU_TRASH, "\\Trash" },
	{ MSTORE_SU_JUNK, "\\Junk" },
	{ MSTORE_SU_ARCHIVE, "\\Archive" },
};

/* One "* LIST (attrs) "/" name" line. */
static void
list_line(struct imapd_session *s, const char *verb, unsigned attrs,
    int nonexistent, const char *name)
{
	struct buf *b = buf_new(128, 0);
	const char *sep = "";

	buf_putf(b, "* %s (", verb);
	if (nonexistent) {
		buf_put_str(b, "\\NonExistent");
		sep = " ";
	}
	for (size_t i = 0; i < sizeof(list_attrs) / sizeof(list_attrs[0]); i++)
		if (attrs & list_attrs[i].bit) {
			buf_putf(b, "%s%s", sep, list_attrs[i].name);
			sep = " ";
		}
	buf_put_str(b, ") \"/\" ");
	list_name(s, b, name);
	buf_put_str(b, "\r\n");
	imapd_write(s, b->data, b->len);
	buf_free(&b);
}

/* The LIST line of one mailbox (SELECT under IMAP4rev2). */
void
imapd_list_one(struct imapd_session *s, const char *name)
{
	struct mstore_folder *f = NULL;
	const char *err = NULL;
	unsigned attrs = 0;
	size_t n = 0;

	if (mstore_list(s->root, &f, &n, &err) == 0)
		for (size_t i = 0; i < n; i++)
			if (strcmp(f[i].name, name) == 0)
				attrs = f[i].attrs;
	mstore_list_free(&f, n);
	list_line(s, "LIST", attrs, 0, name);
}

/* Whether name matches one of the patterns. */
static int
list_matches(const struct list_ctx *lc, const char *name)
{
	for (size_t i = 0; i < lc->la->pattern_count; i++)
		if (imap_list_match(lc->pats[i], strlen(lc->pats[i]), name,
		    strlen(name)))
			return 1;
	return 0;
}

/* Whether name is subscribed. */
static int
list_subscribed(const struct list_ctx *lc, const char *name)
{
	for (size_t i = 0; i < lc->nsubs; i++)
		if (strcmp(lc->subs[i], name) == 0)
			return 1;
	return 0;
}

/* reference + pattern, with a leading INBOX in any case folded. */
static const char *
list_full_pattern(struct imapd_session *s, const char *ref, const char *pat)
{
	size_t rl = strlen(ref), pl = strlen(pat);
	char *p = imap_pool_alloc(s->pool, rl + pl + 1);

	if (p == NULL)
		return pat;
	memcpy(p, ref, rl);
	memcpy(p + rl, pat, pl + 1);
	if (strncasecmp(p, "INBOX", 5) == 0 && (p[5] == '\0' || p[5] == '/'))
		memcpy(p, "INBOX", 5);
	return p;
}

/* STATUS items of one mailbox into b as "(MESSAGES n ...)"; 0 or -1. */
static int
status_items(struct imapd_session *s, const char *name, unsigned items,
    struct buf *b, const char **errstr_r)
{
	struct mstore_status st;
	const char *sep = "";

	if (s->box != NULL && strcmp(s->box_name, name) == 0)
		mstore_box_status(s->box, &st);
	else if (mstore_status(s->root, name, &st, errstr_r) != 0)
		return -1;
	buf_put_char(b, '(');
#define ITEM(bit, fmt, val) if (items & (bit)) { \
	buf_putf(b, "%s" fmt, sep, val); sep = " "; }
	ITEM(IMAP_STATUS_MESSAGES, "MESSAGES %lu", (unsigned long)st.messages)
	ITEM(IMAP_STATUS_UIDNEXT, "UIDNEXT %lu", (unsigned long)st.uidnext)
	ITEM(IMAP_STATUS_UIDVALIDITY, "UIDVALIDITY %lu",
	    (unsigned long)st.uidvalidity)
	ITEM(IMAP_STATUS_UNSEEN, "UNSEEN %lu", (unsigned long)st.unseen)
	ITEM(IMAP_STATUS_DELETED, "DELETED %lu", (unsigned long)st.deleted)
	ITEM(IMAP_STATUS_SIZE, "SIZE %llu", (unsigned long long)st.size)
	ITEM(IMAP_STATUS_RECENT, "RECENT %lu", (unsigned long)st.recent)
	ITEM(IMAP_STATUS_HIGHESTMODSEQ, "HIGHESTMODSEQ %llu",
	    (unsigned long long)st.highestmodseq)
#undef ITEM
	buf_put_char(b, ')');
	return 0;
}

/* "* STATUS name (...)" after a LIST line (LIST-STATUS). */
static void
list_status(struct imapd_session *s, const char *name, unsigned items)
{
	struct buf *b = buf_new(128, 0);
	const char *err = NULL;

	buf_put_str(b, "* STATUS ");
	list_name(s, b, name);
	buf_put_char(b, ' ');
	if (status_items(s, name, items, b, &err) == 0) {
		buf_put_str(b, "\r\n");
		imapd_write(s, b->data, b->len);
	}
	buf_free(&b);
}

/* List one existing folder if the request selects it. */
static void
list_folder(struct list_ctx *lc, const struct mstore_folder *f)
{
	const struct imap_list_args *la = lc->la;
	unsigned attrs = f->attrs & ~MSTORE_A_SUBSCRIBED;
	int sub = list_subscribed(lc, f->name);

	if (!list_matches(lc, f->name))
		return;
	if ((lc->lsub || (la->select & IMAP_LIST_SEL_SUBSCRIBED)) && !sub)
		return;
	if ((la->select & IMAP_LIST_SEL_SPECIAL_USE) &&
	    !(attrs & (MSTORE_SU_SENT | MSTORE_SU_DRAFTS | MSTORE_SU_TRASH |
	    MSTORE_SU_JUNK | MSTORE_SU_ARCHIVE)))
		return;
	if (sub && (lc->lsub || (la->select & IMAP_LIST_SEL_SUBSCRIBED) ||
	    (la->ret & IMAP_LIST_RET_SUBSCRIBED)))
		attrs |= MSTORE_A_SUBSCRIBED;
	if (lc->lsub)
		attrs &= ~(MSTORE_A_HASCHILDREN | MSTORE_A_HASNOCHILDREN |
		    MSTORE_A_SUBSCRIBED);
	list_line(lc->s, lc->lsub ? "LSUB" : "LIST", attrs, 0, f->name);
	if ((la->ret & IMAP_LIST_RET_STATUS) && !(attrs & MSTORE_A_NOSELECT))
		list_status(lc->s, f->name, la->status_items);
}

/* Subscribed names without a folder (SUBSCRIBED selection, LSUB). */
static void
list_orphans(struct list_ctx *lc, const struct mstore_folder *f, size_t n)
{
	size_t i, j;

	if (!lc->lsub && !(lc->la->select & IMAP_LIST_SEL_SUBSCRIBED))
		return;
	for (i = 0; i < lc->nsubs; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(f[j].name, lc->subs[i]) == 0)
				break;
		if (j < n || !list_matches(lc, lc->subs[i]))
			continue;
		list_line(lc->s, lc->lsub ? "LSUB" : "LIST", lc->lsub ?
		    MSTORE_A_NOSELECT : MSTORE_A_SUBSCRIBED, !lc->lsub,
		    lc->subs[i]);
	}
}

/* LIST "" "": the hierarchy separator. */
static int
list_separator_only(struct imapd_session *s, const struct imap_list_args *la,
    int lsub)
{
	if (lsub || la->extended || la->pattern_count != 1 ||
	    la->patterns[0][0] != '\0')
		return 0;
	imapd_reply(s, "* LIST (\\Noselect) \"/\" \"\"");
	return 1;
}

/* LIST and LSUB. */
void
cmd_list(struct imapd_session *s, const struct imap_cmd *cmd)
{
	struct imap_list_args la;
	struct list_ctx lc;
	struct mstore_folder *f = NULL;
	const char *err = NULL;
	size_t n = 0;

	memset(&lc, 0, sizeof(lc));
	lc.lsub = strcmp(cmd->name, "LSUB") == 0;
	if (imap_list_parse(cmd->args, cmd->count, imapd_utf8(s), s->pool,
	    &la, &err) != 0 || (lc.lsub && la.extended)) {
		imapd_bad(s, err != NULL ? err : "Invalid LSUB arguments.");
		return;
	}
	if (list_separator_only(s, &la, lc.lsub)) {
		imapd_tagged(s, "OK List completed.");
		return;
	}
	lc.s = s;
	lc.la = &la;
	lc.pats = imap_pool_alloc_array(s->pool, la.pattern_count + 1,
	    sizeof(*lc.pats));
	for (size_t i = 0; lc.pats != NULL && i < la.pattern_count; i++)
		lc.pats[i] = list_full_pattern(s, la.reference, la.patterns[i]);
	if (lc.pats == NULL || mstore_list(s->root, &f, &n, &err) != 0 ||
	    mstore_subscriptions(s->root, &lc.subs, &lc.nsubs, &err) != 0) {
		imapd_tagged(s, "NO [SERVERBUG] %s", err != NULL ? err :
		    "Cannot list mailboxes.");
		mstore_list_free(&f, n);
		return;
	}
	for (size_t i = 0; i < n; i++)
		list_folder(&lc, &f[i]);
	list_orphans(&lc, f, n);
	mstore_list_free(&f, n);
	mstore_names_free(&lc.subs, lc.nsubs);
	imapd_tagged(s, "OK %s completed.", lc.lsub ? "Lsub" : "List");
}

/* STATUS mailbox (items). */
void
cmd_status(struct imapd_session *s, const struct imap_cmd *cmd)
{
	struct buf *b;
	const char *name = NULL, *err = NULL;
	unsigned items = 0;

	if (imap_status_parse(cmd->args, cmd->count, imapd_utf8(s), s->pool,
	    &name, &items, &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid STATUS arguments.");
		return;
	}
	b = buf_new(128, 0);
	buf_put_str(b, "* STATUS ");
	list_name(s, b, name);
	buf_put_char(b, ' ');
	if (status_items(s, name, items, b, &err) != 0) {
		imapd_tagged(s, "NO [NONEXISTENT] %s", err != NULL ? err :
		    "Mailbox doesn't exist.");
	} else {
		buf_put_str(b, "\r\n");
		imapd_write(s, b->data, b->len);
		imapd_tagged(s, "OK Status completed.");
	}
	buf_free(&b);
}
