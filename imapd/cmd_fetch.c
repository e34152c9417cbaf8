/*
 * cmd_fetch.c - FETCH and UID FETCH (RFC 9051 6.4.5, RFC 3501 6.4.5, RFC
 * 7162 CHANGEDSINCE/VANISHED).
 *
 * Public: cmd_fetch (session.h).
 * Items come out in one fixed order (UID, FLAGS, INTERNALDATE,
 * RFC822.SIZE, MODSEQ, ENVELOPE, BODY, BODYSTRUCTURE, the sections in the
 * order asked, RFC822*), each literal with its exact CRLF size.
 * Everything but ENVELOPE, BODY[STRUCTURE] and the body sections comes
 * from the index and reads no message file; ENVELOPE and BODYSTRUCTURE
 * are cached in the index after the first fetch (fetch_struct.c).
 * A non-PEEK body section (or RFC822, RFC822.TEXT) sets \Seen first, in
 * one store for all the messages, and those messages report their FLAGS
 * (RFC 9051 6.4.5).  A message whose file disappeared under us (expunged
 * by another session, not yet announced) is left out and the command ends
 * "NO [EXPUNGEISSUED]".  UID FETCH always includes UID.
 * Security: output sizes follow the files; nothing is held beyond one
 * message at a time (plus the output buffer, which conn.c flushes).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conn.h"
#include "fetch_msg.h"
#include "fetch_struct.h"
#include "imap_date.h"
#include "imap_fetch_args.h"
#include "imap_seqset.h"
#include "log.h"
#include "mstore.h"
#include "session.h"

#define FETCH_STRUCT (IMAP_FETCH_ENVELOPE | IMAP_FETCH_BODY | \
	IMAP_FETCH_BODYSTRUCTURE)

struct fetch_ctx {
	struct imapd_session *s;
	const struct imap_fetch_args *fa;
	struct fetch_msg fm;
	struct buf *out;		/* one response, flushed per literal */
	struct buf *sec;		/* one section's bytes */
	struct buf *tmp;
	size_t plen;			/* length of "* n FETCH (" */
	int stripped;			/* the first item's space is gone */
	uint32_t *seen_uids;		/* \Seen set by this command */
	size_t n_seen;
	int missing;
};

/* Whether this command set \Seen on uid. */
static int
fetch_was_seen_now(const struct fetch_ctx *fc, uint32_t uid)
{
	size_t lo = 0, hi = fc->n_seen;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (fc->seen_uids[mid] == uid)
			return 1;
		if (fc->seen_uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Set \Seen on the messages a non-PEEK body fetch reads. */
static void
fetch_set_seen(struct fetch_ctx *fc, const size_t *idx, size_t n)
{
	struct imapd_session *s = fc->s;
	const struct mstore_msg *m;
	const char *err = NULL;
	uint32_t *failed = NULL;
	size_t k = 0, nfailed = 0;

	if (!fc->fa->sets_seen || s->readonly || n == 0)
		return;
	fc->seen_uids = malloc(n * sizeof(*fc->seen_uids));
	if (fc->seen_uids == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		m = mstore_msg(s->box, idx[i]);
		if (!(m->flags & MSTORE_F_SEEN))
			fc->seen_uids[k++] = m->uid;
	}
	if (k > 0 && mstore_store(s->box, fc->seen_uids, k, MSTORE_ADD,
	    MSTORE_F_SEEN, NULL, 0, 0, &failed, &nfailed, &err) != 0) {
		log_warn("imap(%s): setting \\Seen: %s", s->user,
		    err != NULL ? err : "error");
		k = 0;
	}
	free(failed);
	fc->n_seen = k;
	for (size_t i = 0; i < k; i++)
		(void)mstore_view_take(s->box, fc->seen_uids[i]);
}

/* Items are appended with a space before each; drop the first one's. */
static void
fetch_strip(struct fetch_ctx *fc)
{
	if (fc->stripped || fc->out->len <= fc->plen)
		return;
	if (fc->out->data[fc->plen] == ' ') {
		memmove(fc->out->data + fc->plen, fc->out->data + fc->plen + 1,
		    fc->out->len - fc->plen - 1);
		fc->out->len--;
	}
	fc->stripped = 1;
}

/* Write what the response holds so far, then the literal's bytes. */
static void
fetch_literal(struct fetch_ctx *fc, const char *p, size_t len)
{
	fetch_strip(fc);
	buf_putf(fc->out, "{%zu}\r\n", len);
	imapd_write(fc->s, fc->out->data, fc->out->len);
	buf_reset(fc->out);
	imapd_write(fc->s, p, len);
}

/* One BODY[...]/BINARY section with its partial cut. */
static void
fetch_one_section(struct fetch_ctx *fc, const struct imap_fetch_section *sec)
{
	const char *p;
	size_t len;
	int exists = 1;

	buf_reset(fc->tmp);
	if (imap_fetch_section_name(sec, fc->tmp) != 0)
		buf_put_str(fc->tmp, "BODY[]");
	buf_putf(fc->out, " %s ", buf_cstr(fc->tmp));
	buf_reset(fc->sec);
	if (fetch_section(&fc->fm, sec, fc->sec, &exists) != 0 || !exists) {
		buf_put_str(fc->out, "NIL");
		fetch_strip(fc);
		return;
	}
	p = fc->sec->data;
	len = fc->sec->len;
	if (sec->partial) {
		if (sec->offset >= len)
			len = 0;
		else {
			p += sec->offset;
			len -= (size_t)sec->offset;
		}
		if (len > sec->length)
			len = (size_t)sec->length;
	}
	fetch_literal(fc, p, len);
}

/* RFC822, RFC822.HEADER, RFC822.TEXT. */
static void
fetch_rfc822(struct fetch_ctx *fc, unsigned items)
{
	static const struct {
		unsigned bit;
		const char *name;
		enum imap_section_text text;
	} r822[] = {
		{ IMAP_FETCH_RFC822, "RFC822", IMAP_SECTION_WHOLE },
		{ IMAP_FETCH_RFC822_HEADER, "RFC822.HEADER", IMAP_SECTION_HEADER },
		{ IMAP_FETCH_RFC822_TEXT, "RFC822.TEXT", IMAP_SECTION_TEXT },
	};
	struct imap_fetch_section sec;
	int exists;

	for (size_t i = 0; i < sizeof(r822) / sizeof(r822[0]); i++) {
		if (!(items & r822[i].bit))
			continue;
		memset(&sec, 0, sizeof(sec));
		sec.text = r822[i].text;
		buf_reset(fc->sec);
		if (fetch_section(&fc->fm, &sec, fc->sec, &exists) != 0)
			buf_reset(fc->sec);
		buf_putf(fc->out, " %s ", r822[i].name);
		fetch_literal(fc, fc->sec->data, fc->sec->len);
	}
}

/* The items that come from the index. */
static void
fetch_index_items(struct fetch_ctx *fc, const struct mstore_msg *m,
    int flags)
{
	unsigned items = fc->fa->items;
	char date[IMAP_DATETIME_LEN + 1];

	if (items & IMAP_FETCH_UID)
		buf_putf(fc->out, " UID %lu", (unsigned long)m->uid);
	if (flags)
		buf_putf(fc->out, " FLAGS %s",
		    imapd_flags_text(fc->s, m, fc->tmp));
	if ((items & IMAP_FETCH_INTERNALDATE) &&
	    imap_datetime_format((time_t)m->idate, 0, date) == 0)
		buf_putf(fc->out, " INTERNALDATE \"%s\"", date);
	if (items & IMAP_FETCH_RFC822_SIZE)
		buf_putf(fc->out, " RFC822.SIZE %llu",
		    (unsigned long long)m->vsize);
	if (items & IMAP_FETCH_MODSEQ)
		buf_putf(fc->out, " MODSEQ (%llu)",
		    (unsigned long long)m->modseq);
}

/* One message's response. */
static void
fetch_one(struct fetch_ctx *fc, size_t i)
{
	const struct mstore_msg *m = mstore_msg(fc->s->box, i);
	const struct imap_fetch_args *fa = fc->fa;
	const char *err = NULL;
	int flags = (fa->items & IMAP_FETCH_FLAGS) ||
	    fetch_was_seen_now(fc, m->uid);

	int need_file = fa->section_count > 0 || (fa->items &
	    (IMAP_FETCH_RFC822 | IMAP_FETCH_RFC822_HEADER |
	    IMAP_FETCH_RFC822_TEXT)) || ((fa->items & FETCH_STRUCT) &&
	    !fetch_struct_cached(fc->s, m, fa->items));

	if (need_file && fetch_msg_load(&fc->fm, fc->s->box, m->uid,
	    &err) != 0) {
		fc->missing = 1;
		return;
	}
	buf_reset(fc->out);
	buf_putf(fc->out, "* %zu FETCH (", i + 1);
	fc->plen = fc->out->len;
	fc->stripped = 0;
	fetch_index_items(fc, m, flags);
	fetch_struct_items(fc->s, &fc->fm, m, fa->items, fc->out);
	fetch_strip(fc);
	for (size_t k = 0; k < fa->section_count; k++)
		fetch_one_section(fc, &fa->sections[k]);
	fetch_rfc822(fc, fa->items);
	buf_put_str(fc->out, ")\r\n");
	imapd_write(fc->s, fc->out->data, fc->out->len);
	fetch_msg_release(&fc->fm);
	fc->s->fetched++;
}

/* UID FETCH ... (CHANGEDSINCE m VANISHED): the set's expunged UIDs. */
static void
fetch_vanished(struct imapd_session *s, const struct imap_arg *arg,
    uint64_t modseq)
{
	struct imap_seqset *set;
	const char *err = NULL;

	if (imap_seqset_from_arg(arg, s->pool, IMAP_SEQSET_SEARCHRES, &set,
	    &err) != 0 || set->searchres)
		return;
	imap_seqset_resolve(set, mstore_uidnext(s->box) - 1);
	imapd_vanished_earlier(s, modseq, set);
}

/* FETCH and UID FETCH. */
void
cmd_fetch(struct imapd_session *s, const struct imap_cmd *cmd)
{
	struct imap_fetch_args fa;
	struct fetch_ctx fc;
	const char *err = NULL;
	size_t *idx, n;

	if (cmd->count < 2 || imap_fetch_parse(cmd->args + 1, cmd->count - 1,
	    cmd->uid, s->pool, &fa, &err) != 0 ||
	    imapd_msgset(s, &cmd->args[0], cmd->uid, &idx, &n, &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid FETCH arguments.");
		return;
	}
	for (size_t k = 0; k < fa.section_count; k++)
		if (fa.sections[k].kind != IMAP_SECTION_BODY) {
			imapd_bad(s, "BINARY is not supported (not advertised).");
			return;
		}
	memset(&fc, 0, sizeof(fc));
	fc.s = s;
	fc.fa = &fa;
	fc.out = buf_new(4096, 0);
	fc.sec = buf_new(16384, 0);
	fc.tmp = buf_new(256, 0);
	if (fa.changedsince_set)
		s->enabled |= EN_CONDSTORE;
	if (fa.vanished && !(s->enabled & EN_QRESYNC)) {
		imapd_bad(s, "VANISHED needs ENABLE QRESYNC first.");
		goto out;
	}
	if (fa.vanished)
		fetch_vanished(s, &cmd->args[0], fa.changedsince);
	fetch_set_seen(&fc, idx, n);
	for (size_t i = 0; i < n; i++) {
		if (fa.changedsince_set &&
		    mstore_msg(s->box, idx[i])->modseq <= fa.changedsince)
			continue;
		fetch_one(&fc, idx[i]);
	}
	if (fc.missing)
		imapd_tagged(s, "NO [EXPUNGEISSUED] Some messages were "
		    "expunged meanwhile.");
	else
		imapd_tagged(s, "OK Fetch completed.");
out:
	fetch_msg_free(&fc.fm);
	buf_free(&fc.out);
	buf_free(&fc.sec);
	buf_free(&fc.tmp);
	free(fc.seen_uids);
}
