/*
 * imap_search_args.c - SEARCH programs into a normalised AST.
 *
 * Public: see imap_search_args.h.  A table maps each search-key name to
 * its node type and argument shape; NOT, OR and parenthesised groups
 * recurse with a depth bound.  Memory from the caller's pool; never fatal.
 * Security: untrusted input; IMAP_SEARCH_KEYS_MAX and IMAP_SEARCH_DEPTH_MAX
 * bound the work, numbers are range-checked, strings must be astrings.
 */
#include <string.h>

#include "imap_flags.h"
#include "imap_search_args.h"
#include "strutil.h"

enum shape {
	SH_NONE, SH_FLAG, SH_UNFLAG, SH_NEW, SH_OLD, SH_STR, SH_KW, SH_UNKW,
	SH_DATE, SH_NUM, SH_HEADER, SH_UID, SH_NOT, SH_OR, SH_MODSEQ
};

static const struct {
	const char *name;
	enum imap_search_type type;
	enum shape shape;
	unsigned flag;
} keys[] = {
	{ "ALL", IMAP_SK_ALL, SH_NONE, 0 },
	{ "ANSWERED", IMAP_SK_FLAG, SH_FLAG, IMAP_FLAG_ANSWERED },
	{ "DELETED", IMAP_SK_FLAG, SH_FLAG, IMAP_FLAG_DELETED },
	{ "DRAFT", IMAP_SK_FLAG, SH_FLAG, IMAP_FLAG_DRAFT },
	{ "FLAGGED", IMAP_SK_FLAG, SH_FLAG, IMAP_FLAG_FLAGGED },
	{ "RECENT", IMAP_SK_FLAG, SH_FLAG, IMAP_FLAG_RECENT },
	{ "SEEN", IMAP_SK_FLAG, SH_FLAG, IMAP_FLAG_SEEN },
	{ "UNANSWERED", IMAP_SK_FLAG, SH_UNFLAG, IMAP_FLAG_ANSWERED },
	{ "UNDELETED", IMAP_SK_FLAG, SH_UNFLAG, IMAP_FLAG_DELETED },
	{ "UNDRAFT", IMAP_SK_FLAG, SH_UNFLAG, IMAP_FLAG_DRAFT },
	{ "UNFLAGGED", IMAP_SK_FLAG, SH_UNFLAG, IMAP_FLAG_FLAGGED },
	{ "UNSEEN", IMAP_SK_FLAG, SH_UNFLAG, IMAP_FLAG_SEEN },
	{ "NEW", IMAP_SK_AND, SH_NEW, 0 },
	{ "OLD", IMAP_SK_NOT, SH_OLD, 0 },
	{ "BCC", IMAP_SK_BCC, SH_STR, 0 },
	{ "BODY", IMAP_SK_BODY, SH_STR, 0 },
	{ "CC", IMAP_SK_CC, SH_STR, 0 },
	{ "FROM", IMAP_SK_FROM, SH_STR, 0 },
	{ "SUBJECT", IMAP_SK_SUBJECT, SH_STR, 0 },
	{ "TEXT", IMAP_SK_TEXT, SH_STR, 0 },
	{ "TO", IMAP_SK_TO, SH_STR, 0 },
	{ "KEYWORD", IMAP_SK_KEYWORD, SH_KW, 0 },
	{ "UNKEYWORD", IMAP_SK_KEYWORD, SH_UNKW, 0 },
	{ "BEFORE", IMAP_SK_BEFORE, SH_DATE, 0 },
	{ "ON", IMAP_SK_ON, SH_DATE, 0 },
	{ "SINCE", IMAP_SK_SINCE, SH_DATE, 0 },
	{ "SENTBEFORE", IMAP_SK_SENTBEFORE, SH_DATE, 0 },
	{ "SENTON", IMAP_SK_SENTON, SH_DATE, 0 },
	{ "SENTSINCE", IMAP_SK_SENTSINCE, SH_DATE, 0 },
	{ "LARGER", IMAP_SK_LARGER, SH_NUM, 0 },
	{ "SMALLER", IMAP_SK_SMALLER, SH_NUM, 0 },
	{ "HEADER", IMAP_SK_HEADER, SH_HEADER, 0 },
	{ "UID", IMAP_SK_UID, SH_UID, 0 },
	{ "NOT", IMAP_SK_NOT, SH_NOT, 0 },
	{ "OR", IMAP_SK_OR, SH_OR, 0 },
	{ "MODSEQ", IMAP_SK_MODSEQ, SH_MODSEQ, 0 },
};

struct sctx {
	struct imap_pool *pool;
	struct imap_search_args *sa;
	size_t keys;
	const char *err;
};

static int parse_key(struct sctx *c, const struct imap_arg *args,
    size_t count, size_t *i, int depth, struct imap_search_key *k);

/* Record an error; always -1. */
static int
serr(struct sctx *c, const char *err)
{
	if (c->err == NULL)
		c->err = err;
	return -1;
}

/* Allocate n zeroed keys, counting them against the bound. */
static struct imap_search_key *
new_keys(struct sctx *c, size_t n)
{
	struct imap_search_key *k;

	if (n > IMAP_SEARCH_KEYS_MAX - c->keys) {
		serr(c, "Too many search keys");
		return NULL;
	}
	c->keys += n;
	k = imap_pool_alloc_array(c->pool, n, sizeof(*k));
	if (k == NULL)
		serr(c, "Command too complex");
	return k;
}

/* Turn k into NOT(copy of k). */
static int
wrap_not(struct sctx *c, struct imap_search_key *k)
{
	struct imap_search_key *child = new_keys(c, 1);

	if (child == NULL)
		return -1;
	*child = *k;
	memset(k, 0, sizeof(*k));
	k->type = IMAP_SK_NOT;
	k->children = child;
	k->child_count = 1;
	return 0;
}

/* Take the next argument, or fail with "Missing argument". */
static const struct imap_arg *
next_arg(struct sctx *c, const struct imap_arg *args, size_t count, size_t *i)
{
	if (*i >= count) {
		serr(c, "Missing search argument");
		return NULL;
	}
	return &args[(*i)++];
}

/* Parse a date argument (atom or quoted). */
static int
arg_date(struct sctx *c, const struct imap_arg *a, struct imap_date *d)
{
	if ((a->type != IMAP_ARG_ATOM && a->type != IMAP_ARG_QUOTED) ||
	    a->has_section || imap_date_parse(a->str, a->len, d) < 0)
		return serr(c, "Invalid search date");
	return 0;
}

/* NEW: AND(FLAG RECENT, NOT FLAG SEEN). */
static int
make_new(struct sctx *c, struct imap_search_key *k)
{
	struct imap_search_key *ch = new_keys(c, 2);

	if (ch == NULL)
		return -1;
	ch[0].type = IMAP_SK_FLAG;
	ch[0].flag = IMAP_FLAG_RECENT;
	ch[1].type = IMAP_SK_FLAG;
	ch[1].flag = IMAP_FLAG_SEEN;
	k->type = IMAP_SK_AND;
	k->children = ch;
	k->child_count = 2;
	return wrap_not(c, &ch[1]);
}

/* MODSEQ [entry-name entry-type-req] mod-sequence-valzer (RFC 7162). */
static int
parse_modseq(struct sctx *c, const struct imap_arg *args, size_t count,
    size_t *i, struct imap_search_key *k)
{
	const struct imap_arg *a = next_arg(c, args, count, i);

	if (a == NULL)
		return -1;
	c->sa->uses_modseq = 1;
	if (a->type == IMAP_ARG_QUOTED) {
		if (a->len < 8 || !str_has_prefix_ci(a->str, a->len, "/flags/"))
			return serr(c, "Invalid MODSEQ entry name");
		k->entry_name = a->str;
		if ((a = next_arg(c, args, count, i)) == NULL)
			return -1;
		if (imap_arg_atom_is(a, "priv"))
			k->entry_type = IMAP_ENTRY_PRIV;
		else if (imap_arg_atom_is(a, "shared"))
			k->entry_type = IMAP_ENTRY_SHARED;
		else if (!imap_arg_atom_is(a, "all"))
			return serr(c, "Invalid MODSEQ entry type");
		if ((a = next_arg(c, args, count, i)) == NULL)
			return -1;
	}
	if (imap_arg_number64(a, 0, &k->number) < 0)
		return serr(c, "Invalid MODSEQ value");
	return 0;
}

/* HEADER field-name string. */
static int
parse_header(struct sctx *c, const struct imap_arg *args, size_t count,
    size_t *i, struct imap_search_key *k)
{
	const struct imap_arg *f = next_arg(c, args, count, i);
	const struct imap_arg *v = f != NULL ? next_arg(c, args, count, i) : NULL;
	const char *p;
	size_t n;

	if (v == NULL)
		return -1;
	if (imap_arg_astring(f, &p, &n) < 0 || n == 0 ||
	    (k->field = imap_pool_strndup(c->pool, p, n)) == NULL ||
	    imap_arg_astring(v, &k->str, &k->str_len) < 0)
		return serr(c, "Invalid HEADER search");
	return 0;
}

/* The argument(s) of keys taking one simple value. */
static int
parse_value(struct sctx *c, enum shape sh, const struct imap_arg *a,
    struct imap_search_key *k)
{
	switch (sh) {
	case SH_STR:
		if (imap_arg_astring(a, &k->str, &k->str_len) < 0)
			return serr(c, "Invalid search string");
		return 0;
	case SH_KW:
	case SH_UNKW:
		if (a->type != IMAP_ARG_ATOM || a->has_section ||
		    !imap_keyword_valid(a->str, a->len))
			return serr(c, "Invalid keyword");
		k->str = a->str;
		k->str_len = a->len;
		return sh == SH_UNKW ? wrap_not(c, k) : 0;
	case SH_DATE:
		return arg_date(c, a, &k->date);
	case SH_NUM:
		if (imap_arg_number64(a, 0, &k->number) < 0)
			return serr(c, "Invalid search number");
		return 0;
	default:
		if (imap_seqset_from_arg(a, c->pool, IMAP_SEQSET_SEARCHRES,
		    &k->set, &c->err) < 0)
			return -1;
		c->sa->uses_searchres |= k->set->searchres;
		return 0;
	}
}

/* Parse the keys of args[0..count) as an AND. */
static int
parse_and(struct sctx *c, const struct imap_arg *args, size_t count,
    int depth, struct imap_search_key *k)
{
	size_t i = 0;

	if (count == 0)
		return serr(c, "Missing search key");
	k->type = IMAP_SK_AND;
	if ((k->children = new_keys(c, count)) == NULL)
		return -1;
	while (i < count)
		if (parse_key(c, args, count, &i, depth,
		    &k->children[k->child_count++]) < 0)
			return -1;
	return 0;
}

/* Parse NOT's or OR's operand(s). */
static int
parse_logic(struct sctx *c, const struct imap_arg *args, size_t count,
    size_t *i, int depth, size_t n, struct imap_search_key *k)
{
	if ((k->children = new_keys(c, n)) == NULL)
		return -1;
	k->child_count = n;
	for (size_t j = 0; j < n; j++)
		if (parse_key(c, args, count, i, depth + 1,
		    &k->children[j]) < 0)
			return -1;
	return 0;
}

/* Parse the key named by table entry t. */
static int
parse_named(struct sctx *c, size_t t, const struct imap_arg *args,
    size_t count, size_t *i, int depth, struct imap_search_key *k)
{
	const struct imap_arg *a;

	k->type = keys[t].type;
	k->flag = keys[t].flag;
	switch (keys[t].shape) {
	case SH_NONE:
	case SH_FLAG:
		return 0;
	case SH_UNFLAG:
		return wrap_not(c, k);
	case SH_NEW:
		return make_new(c, k);
	case SH_OLD:
		k->type = IMAP_SK_FLAG;
		k->flag = IMAP_FLAG_RECENT;
		return wrap_not(c, k);
	case SH_NOT:
		return parse_logic(c, args, count, i, depth, 1, k);
	case SH_OR:
		return parse_logic(c, args, count, i, depth, 2, k);
	case SH_MODSEQ:
		return parse_modseq(c, args, count, i, k);
	case SH_HEADER:
		return parse_header(c, args, count, i, k);
	default:
		if ((a = next_arg(c, args, count, i)) == NULL)
			return -1;
		return parse_value(c, keys[t].shape, a, k);
	}
}

/* Parse one search key starting at args[*i]. */
static int
parse_key(struct sctx *c, const struct imap_arg *args, size_t count,
    size_t *i, int depth, struct imap_search_key *k)
{
	const struct imap_arg *a = next_arg(c, args, count, i);

	if (a == NULL)
		return -1;
	if (depth > IMAP_SEARCH_DEPTH_MAX)
		return serr(c, "Search program too deeply nested");
	if (a->type == IMAP_ARG_LIST)
		return parse_and(c, a->list, a->count, depth + 1, k);
	if (a->type == IMAP_ARG_NUMBER || (a->type == IMAP_ARG_ATOM &&
	    !a->has_section && (a->str[0] == '*' || a->str[0] == '$' ||
	    (a->str[0] >= '0' && a->str[0] <= '9')))) {
		k->type = IMAP_SK_SEQSET;
		return parse_value(c, SH_UID, a, k);
	}
	for (size_t t = 0; t < sizeof(keys) / sizeof(keys[0]); t++)
		if (imap_arg_atom_is(a, keys[t].name))
			return parse_named(c, t, args, count, i, depth, k);
	return serr(c, "Unknown search key");
}

/* RETURN (opts): the ESEARCH result options (RFC 4731, RFC 5182). */
static int
parse_return(struct sctx *c, const struct imap_arg *l)
{
	static const char *const names[] = { "MIN", "MAX", "ALL", "COUNT",
	    "SAVE" };

	if (l->type != IMAP_ARG_LIST)
		return serr(c, "Invalid RETURN options");
	c->sa->return_given = 1;
	for (size_t i = 0; i < l->count; i++) {
		size_t j = 0;
		while (j < 5 && !imap_arg_atom_is(&l->list[i], names[j]))
			j++;
		if (j == 5)
			return serr(c, "Unknown RETURN option");
		c->sa->return_opts |= 1u << j;
	}
	if (l->count == 0)
		c->sa->return_opts = IMAP_SEARCH_RET_ALL;
	return 0;
}

/* CHARSET name: UTF-8 and US-ASCII are supported. */
static int
parse_charset(struct sctx *c, const struct imap_arg *a)
{
	const char *p;
	size_t n;

	if (imap_arg_astring(a, &p, &n) < 0)
		return serr(c, "Invalid CHARSET");
	c->sa->charset = imap_pool_strndup(c->pool, p, n);
	if (c->sa->charset == NULL)
		return serr(c, "Command too complex");
	if (str_casecmp_n(p, n, "UTF-8") != 0 &&
	    str_casecmp_n(p, n, "US-ASCII") != 0) {
		c->err = "Unsupported charset";
		return IMAP_SEARCH_BADCHARSET;
	}
	return 0;
}

/* Parse SEARCH's arguments: [RETURN (...)] [CHARSET x] keys. */
int
imap_search_parse(const struct imap_arg *args, size_t count,
    struct imap_pool *pool, struct imap_search_args *sa_r,
    const char **errstr_r)
{
	struct sctx c = { .pool = pool, .sa = sa_r };
	size_t i = 0;
	int r = -1;

	memset(sa_r, 0, sizeof(*sa_r));
	if (count >= 2 && imap_arg_atom_is(&args[0], "RETURN")) {
		if (parse_return(&c, &args[1]) < 0)
			goto out;
		i = 2;
	}
	if (count - i >= 2 && imap_arg_atom_is(&args[i], "CHARSET")) {
		if ((r = parse_charset(&c, &args[i + 1])) < 0)
			goto out;
		i += 2;
	}
	r = -1;
	if (i == count) {
		serr(&c, "Missing search key");
		goto out;
	}
	if ((sa_r->root = new_keys(&c, 1)) == NULL ||
	    parse_and(&c, args + i, count - i, 0, sa_r->root) < 0)
		goto out;
	return 0;
out:
	*errstr_r = c.err;
	return r;
}
