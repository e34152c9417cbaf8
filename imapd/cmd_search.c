/*
 * cmd_search.c - SEARCH and UID SEARCH (RFC 9051 6.4.4, RFC 3501 6.4.4),
 * with ESEARCH results (RFC 4731; always after ENABLE IMAP4rev2), SEARCHRES
 * (RFC 5182: RETURN (SAVE) and "$") and the MODSEQ key (RFC 7162 3.1.5).
 *
 * Public: cmd_search (session.h).
 * Answers: "* SEARCH n ..." (with "(MODSEQ m)" when a MODSEQ key was
 * used), or "* ESEARCH (TAG "t") [UID] MIN a MAX b COUNT c ALL set" for a
 * RETURN option or under IMAP4rev2; RETURN () means ALL.  SAVE keeps the
 * matches (as UIDs) for "$"; SAVE alone sends no ESEARCH.  A charset
 * other than UTF-8 and US-ASCII: "NO [BADCHARSET (UTF-8 US-ASCII)]".
 * Security: the program comes from the client; its size is bounded by
 * the parser and its cost by the view's size (search.c).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imap_search_args.h"
#include "mstore.h"
#include "search.h"
#include "session.h"

/* The classic "* SEARCH ..." line. */
static void
search_reply_plain(struct imapd_session *s, const uint32_t *res, size_t n,
    const struct imap_search_args *sa, uint64_t modseq)
{
	struct buf *b = buf_new(256, 0);

	buf_put_str(b, "* SEARCH");
	for (size_t i = 0; i < n; i++)
		buf_putf(b, " %lu", (unsigned long)res[i]);
	if (sa->uses_modseq && n > 0)
		buf_putf(b, " (MODSEQ %llu)", (unsigned long long)modseq);
	buf_put_str(b, "\r\n");
	imapd_write(s, b->data, b->len);
	buf_free(&b);
}

/* The "* ESEARCH ..." line. */
static void
search_reply_esearch(struct imapd_session *s, int uid, const uint32_t *res,
    size_t n, unsigned opts, const struct imap_search_args *sa,
    uint64_t modseq)
{
	struct buf *b = buf_new(256, 0);

	/* A tag has no quoted-specials (RFC 9051 9: tag is ASTRING-CHARs). */
	buf_putf(b, "* ESEARCH (TAG \"%s\")", s->tag);
	if (uid)
		buf_put_str(b, " UID");
	if ((opts & IMAP_SEARCH_RET_MIN) && n > 0)
		buf_putf(b, " MIN %lu", (unsigned long)res[0]);
	if ((opts & IMAP_SEARCH_RET_MAX) && n > 0)
		buf_putf(b, " MAX %lu", (unsigned long)res[n - 1]);
	if (opts & IMAP_SEARCH_RET_COUNT)
		buf_putf(b, " COUNT %zu", n);
	if ((opts & IMAP_SEARCH_RET_ALL) && n > 0) {
		buf_put_str(b, " ALL ");
		imapd_uidset(b, res, n);
	}
	if (sa->uses_modseq && n > 0)
		buf_putf(b, " MODSEQ %llu", (unsigned long long)modseq);
	buf_put_str(b, "\r\n");
	imapd_write(s, b->data, b->len);
	buf_free(&b);
}

/* Keep the matches' UIDs for "$". */
static void
search_save(struct imapd_session *s, const size_t *hits, size_t n)
{
	free(s->searchres);
	s->searchres = n > 0 ? calloc(n, sizeof(*s->searchres)) : NULL;
	s->n_searchres = s->searchres != NULL ? n : 0;
	for (size_t i = 0; i < s->n_searchres; i++)
		s->searchres[i] = mstore_msg(s->box, hits[i])->uid;
}

/* SAVE keeps all matches, or with MIN/MAX alone only those (RFC 5182
 * 2.4). */
static void
search_save_result(struct imapd_session *s, unsigned opts, const size_t *hits,
    size_t n)
{
	size_t two[2], k = 0;

	if ((opts & (IMAP_SEARCH_RET_ALL | IMAP_SEARCH_RET_COUNT)) ||
	    !(opts & (IMAP_SEARCH_RET_MIN | IMAP_SEARCH_RET_MAX)) || n == 0) {
		search_save(s, hits, n);
		return;
	}
	if (opts & IMAP_SEARCH_RET_MIN)
		two[k++] = hits[0];
	if ((opts & IMAP_SEARCH_RET_MAX) && (k == 0 || hits[n - 1] != two[0]))
		two[k++] = hits[n - 1];
	search_save(s, two, k);
}

/* Answer with the matches. */
static void
search_answer(struct imapd_session *s, const struct imap_cmd *cmd,
    const struct imap_search_args *sa, const size_t *hits, size_t n,
    uint64_t modseq)
{
	uint32_t *res = imap_pool_alloc_array(s->pool, n + 1, sizeof(*res));
	unsigned opts = sa->return_opts;

	for (size_t i = 0; res != NULL && i < n; i++)
		res[i] = cmd->uid ? mstore_msg(s->box, hits[i])->uid :
		    (uint32_t)(hits[i] + 1);
	if (res == NULL) {
		imapd_tagged(s, "NO [LIMIT] Too many results.");
		return;
	}
	if (opts & IMAP_SEARCH_RET_SAVE)
		search_save_result(s, opts, hits, n);
	if (sa->return_given && opts == 0)
		opts = IMAP_SEARCH_RET_ALL;
	if (!sa->return_given && (s->enabled & EN_IMAP4REV2))
		opts = IMAP_SEARCH_RET_ALL;
	if (sa->return_given || (s->enabled & EN_IMAP4REV2)) {
		if (opts != IMAP_SEARCH_RET_SAVE)
			search_reply_esearch(s, cmd->uid, res, n,
			    opts & ~(unsigned)IMAP_SEARCH_RET_SAVE, sa, modseq);
	} else
		search_reply_plain(s, res, n, sa, modseq);
	imapd_tagged(s, "OK Search completed.");
}

/* SEARCH and UID SEARCH. */
void
cmd_search(struct imapd_session *s, const struct imap_cmd *cmd)
{
	struct imap_search_args sa;
	struct search_ctx *sc;
	const char *err = NULL;
	size_t n = mstore_count(s->box), k = 0, *hits;
	uint64_t modseq = 0;
	int r;

	r = imap_search_parse(cmd->args, cmd->count, s->pool, &sa, &err);
	if (r == IMAP_SEARCH_BADCHARSET) {
		imapd_tagged(s, "NO [BADCHARSET (UTF-8 US-ASCII)] %s",
		    err != NULL ? err : "Unsupported charset.");
		return;
	}
	if (r != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid SEARCH arguments.");
		return;
	}
	if (sa.uses_modseq)
		s->enabled |= EN_CONDSTORE;
	hits = imap_pool_alloc_array(s->pool, n + 1, sizeof(*hits));
	if (hits == NULL) {
		imapd_tagged(s, "NO [LIMIT] Mailbox too large to search.");
		return;
	}
	sc = search_new(s);
	for (size_t i = 0; i < n; i++) {
		if (!search_match(sc, sa.root, i))
			continue;
		hits[k++] = i;
		if (mstore_msg(s->box, i)->modseq > modseq)
			modseq = mstore_msg(s->box, i)->modseq;
	}
	search_answer(s, cmd, &sa, hits, k, modseq);
	search_free(&sc);
}
