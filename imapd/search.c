/*
 * search.c - the SEARCH evaluator (see search.h).
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "fetch_msg.h"
#include "imap_date.h"
#include "imap_flags.h"
#include "imap_search_args.h"
#include "imap_seqset.h"
#include "mime_decode.h"
#include "mime_parse.h"
#include "msg_header.h"
#include "mstore.h"
#include "search.h"
#include "session.h"

struct search_ctx {
	struct imapd_session *s;
	struct fetch_msg fm;
	size_t loaded;			/* view index + 1 of fm's message */
	int load_failed;
	struct buf *body;		/* decoded body text of that message */
	int body_ready;
	struct buf *tmp, *val;
};

/* A new evaluator for one command. */
struct search_ctx *
search_new(struct imapd_session *s)
{
	struct search_ctx *sc = xcalloc(1, sizeof(*sc));

	sc->s = s;
	sc->body = buf_new(4096, SEARCH_TEXT_MAX);
	sc->tmp = buf_new(1024, SEARCH_TEXT_MAX);
	sc->val = buf_new(1024, SEARCH_TEXT_MAX);
	return sc;
}

/* Free it. */
void
search_free(struct search_ctx **scp)
{
	struct search_ctx *sc = *scp;

	if (sc == NULL)
		return;
	fetch_msg_free(&sc->fm);
	buf_free(&sc->body);
	buf_free(&sc->tmp);
	buf_free(&sc->val);
	free(sc);
	*scp = NULL;
}

/* Case-insensitive (ASCII) substring search; an empty needle matches. */
static int
search_contains(const char *h, size_t hl, const char *n, size_t nl)
{
	unsigned char f;

	if (nl == 0)
		return 1;
	f = (unsigned char)n[0];
	for (size_t i = 0; i + nl <= hl; i++) {
		unsigned char c = (unsigned char)h[i];

		if ((c | 0x20) != (f | 0x20) && c != f)
			continue;
		if (strncasecmp(h + i, n, nl) == 0)
			return 1;
	}
	return 0;
}

/* Load message i's file (once); 0, or -1 when it is gone. */
static int
search_load(struct search_ctx *sc, size_t i)
{
	const char *err = NULL;

	if (sc->loaded == i + 1)
		return sc->load_failed ? -1 : 0;
	sc->loaded = i + 1;
	sc->body_ready = 0;
	sc->load_failed = fetch_msg_load(&sc->fm, sc->s->box,
	    mstore_msg(sc->s->box, i)->uid, &err) != 0;
	return sc->load_failed ? -1 : 0;
}

struct hdr_find {
	struct search_ctx *sc;
	const char *field;		/* NULL: every field (TEXT) */
	const char *str;
	size_t len;
	int found;
	time_t date;
	int tz;
	int date_ok;
};

/* msg_header_each callback: decode the field's value, look for str. */
static int
hdr_one(void *arg, enum msg_header_result r, const struct msg_header_field *f)
{
	struct hdr_find *hf = arg;

	if (r == MSG_HEADER_END)
		return 1;
	if (r != MSG_HEADER_FIELD || (f->flags & MSG_HEADER_F_NONFIELD) ||
	    (hf->field != NULL &&
	    !msg_header_name_is(f->name, f->name_len, hf->field)))
		return 0;
	if (hf->str == NULL) {		/* the Date: header */
		hf->date_ok = imap_rfc5322_date_parse(f->value, f->value_len,
		    &hf->date, &hf->tz) == 0;
		return 1;
	}
	buf_reset(hf->sc->val);
	if (msg_header_decode_words(f->value, f->value_len, hf->sc->val) != 0)
		return 0;
	if (search_contains(hf->sc->val->data, hf->sc->val->len, hf->str,
	    hf->len) || (hf->field != NULL && hf->len == 0)) {
		hf->found = 1;
		return 1;
	}
	return 0;
}

/* Whether a header field (NULL: any) of the message contains str. */
static int
search_header(struct search_ctx *sc, size_t i, const char *field,
    const char *str, size_t len)
{
	struct hdr_find hf;
	const struct mime_part *top;

	if (search_load(sc, i) != 0)
		return 0;
	top = &fetch_msg_mime(&sc->fm)->parts[0];
	memset(&hf, 0, sizeof(hf));
	hf.sc = sc;
	hf.field = field;
	hf.str = str;
	hf.len = len;
	if (msg_header_each(sc->fm.data + top->header_offset,
	    top->header_size, MIME_PARSE_FIELD_MAX, 0, hdr_one, &hf) < 0)
		return 0;
	return hf.found;
}

/* The decoded text of every text part of the message, once. */
static void
search_body_text(struct search_ctx *sc)
{
	const struct mime_message *msg = fetch_msg_mime(&sc->fm);
	const struct mime_param *cs;

	if (sc->body_ready)
		return;
	sc->body_ready = 1;
	buf_reset(sc->body);
	for (size_t k = 0; k < msg->nparts; k++) {
		const struct mime_part *p = &msg->parts[k];

		if (p->first_child != MIME_PART_NONE ||
		    (p->flags & MIME_PART_MULTIPART) ||
		    !mime_part_is(p, "text", NULL) ||
		    p->body_offset > sc->fm.len ||
		    p->body_size > sc->fm.len - p->body_offset)
			continue;
		buf_reset(sc->tmp);
		if (mime_decode_body(p->encoding, sc->fm.data + p->body_offset,
		    p->body_size, sc->tmp) != 0)
			continue;
		cs = mime_param_get(p->ct.params, p->ct.nparams, "charset");
		if (mime_to_utf8(cs != NULL ? cs->value : NULL, sc->tmp->data,
		    sc->tmp->len, sc->body) != 0 ||
		    buf_append_char(sc->body, '\n') != 0)
			break;
	}
}

/* BODY / TEXT. */
static int
search_text(struct search_ctx *sc, size_t i, const struct imap_search_key *k)
{
	if (search_load(sc, i) != 0)
		return 0;
	if (k->type == IMAP_SK_TEXT &&
	    search_header(sc, i, NULL, k->str, k->str_len))
		return 1;
	search_body_text(sc);
	return search_contains(sc->body->data, sc->body->len, k->str,
	    k->str_len);
}

/* SENTBEFORE/SENTON/SENTSINCE against the Date: header's day. */
static int
search_sent(struct search_ctx *sc, size_t i, const struct imap_search_key *k)
{
	struct hdr_find hf;
	const struct mime_part *top;
	long long day, want = imap_date_days(&k->date);

	if (search_load(sc, i) != 0)
		return 0;
	top = &fetch_msg_mime(&sc->fm)->parts[0];
	memset(&hf, 0, sizeof(hf));
	hf.sc = sc;
	hf.field = "Date";
	if (msg_header_each(sc->fm.data + top->header_offset,
	    top->header_size, MIME_PARSE_FIELD_MAX, 0, hdr_one, &hf) < 0 ||
	    !hf.date_ok)
		return 0;
	day = ((long long)hf.date + hf.tz * 60LL) / 86400;
	if ((long long)hf.date + hf.tz * 60LL < 0 && day * 86400 !=
	    (long long)hf.date + hf.tz * 60LL)
		day--;
	return k->type == IMAP_SK_SENTBEFORE ? day < want :
	    k->type == IMAP_SK_SENTON ? day == want : day >= want;
}

/* Whether a key reads the message file. */
static int
search_costly(const struct imap_search_key *k)
{
	switch (k->type) {
	case IMAP_SK_AND:
	case IMAP_SK_OR:
	case IMAP_SK_NOT:
		for (size_t c = 0; c < k->child_count; c++)
			if (search_costly(&k->children[c]))
				return 1;
		return 0;
	case IMAP_SK_SENTBEFORE: case IMAP_SK_SENTON: case IMAP_SK_SENTSINCE:
	case IMAP_SK_HEADER: case IMAP_SK_BCC: case IMAP_SK_BODY:
	case IMAP_SK_CC: case IMAP_SK_FROM: case IMAP_SK_SUBJECT:
	case IMAP_SK_TEXT: case IMAP_SK_TO:
		return 1;
	default:
		return 0;
	}
}

/* A set of sequence numbers or UIDs (or "$"). */
static int
search_in_set(struct search_ctx *sc, const struct imap_search_key *k,
    size_t i, const struct mstore_msg *m)
{
	const struct imapd_session *s = sc->s;
	size_t n = mstore_count(s->box);

	if (k->set->searchres) {
		for (size_t j = 0; j < s->n_searchres; j++)
			if (s->searchres[j] == m->uid)
				return 1;
		return 0;
	}
	if (!k->set->resolved)
		imap_seqset_resolve(k->set, k->type == IMAP_SK_UID ?
		    (n > 0 ? mstore_msg(s->box, n - 1)->uid : 0) : (uint32_t)n);
	return imap_seqset_contains(k->set, k->type == IMAP_SK_UID ? m->uid :
	    (uint32_t)(i + 1));
}

/* The INTERNALDATE day comparisons. */
static int
search_idate(const struct imap_search_key *k, const struct mstore_msg *m)
{
	long long day = m->idate >= 0 ? m->idate / 86400 :
	    -((-m->idate + 86399) / 86400);
	long long want = imap_date_days(&k->date);

	return k->type == IMAP_SK_BEFORE ? day < want :
	    k->type == IMAP_SK_ON ? day == want : day >= want;
}

/* A flag key (the parser's IMAP_FLAG_* bits, \Recent included). */
static int
search_flag(struct search_ctx *sc, const struct imap_search_key *k,
    const struct mstore_msg *m)
{
	if (k->flag == IMAP_FLAG_RECENT)
		return mstore_is_recent(sc->s->box, m->uid);
	return (m->flags & imapd_store_bits(k->flag)) != 0;
}

/* A keyword key: set when the folder knows it and the message has it. */
static int
search_keyword(struct search_ctx *sc, const struct imap_search_key *k,
    const struct mstore_msg *m)
{
	size_t n = mstore_keyword_count(sc->s->box);

	for (size_t j = 0; j < n && j < 32; j++)
		if (strcasecmp(mstore_keyword_name(sc->s->box, j), k->str) == 0)
			return (m->kw & (1u << j)) != 0;
	return 0;
}

/* AND: the cheap children first, then the costly ones. */
static int
search_and(struct search_ctx *sc, const struct imap_search_key *k, size_t i)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t c = 0; c < k->child_count; c++)
			if (search_costly(&k->children[c]) == pass &&
			    !search_match(sc, &k->children[c], i))
				return 0;
	return 1;
}

static const char *const search_fields[] = {
	[IMAP_SK_BCC] = "Bcc", [IMAP_SK_CC] = "Cc", [IMAP_SK_FROM] = "From",
	[IMAP_SK_SUBJECT] = "Subject", [IMAP_SK_TO] = "To",
};

/* Whether message i matches key. */
int
search_match(struct search_ctx *sc, const struct imap_search_key *k, size_t i)
{
	const struct mstore_msg *m = mstore_msg(sc->s->box, i);

	switch (k->type) {
	case IMAP_SK_AND:
		return search_and(sc, k, i);
	case IMAP_SK_OR:
		return search_match(sc, &k->children[0], i) ||
		    search_match(sc, &k->children[1], i);
	case IMAP_SK_NOT:
		return !search_match(sc, &k->children[0], i);
	case IMAP_SK_ALL:
		return 1;
	case IMAP_SK_FLAG:
		return search_flag(sc, k, m);
	case IMAP_SK_KEYWORD:
		return search_keyword(sc, k, m);
	case IMAP_SK_SEQSET:
	case IMAP_SK_UID:
		return search_in_set(sc, k, i, m);
	case IMAP_SK_BEFORE: case IMAP_SK_ON: case IMAP_SK_SINCE:
		return search_idate(k, m);
	case IMAP_SK_SENTBEFORE: case IMAP_SK_SENTON: case IMAP_SK_SENTSINCE:
		return search_sent(sc, i, k);
	case IMAP_SK_LARGER:
		return m->vsize > k->number;
	case IMAP_SK_SMALLER:
		return m->vsize < k->number;
	case IMAP_SK_MODSEQ:
		return m->modseq >= k->number;
	case IMAP_SK_HEADER:
		return search_header(sc, i, k->field, k->str, k->str_len);
	case IMAP_SK_BODY:
	case IMAP_SK_TEXT:
		return search_text(sc, i, k);
	default:
		return search_header(sc, i, search_fields[k->type], k->str,
		    k->str_len);
	}
}
