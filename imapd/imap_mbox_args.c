/*
 * imap_mbox_args.c - LIST, STATUS, SELECT/EXAMINE and CREATE arguments.
 *
 * Public: see imap_mbox_args.h.  Option lists are matched against small
 * name -> bit tables.  Memory from the caller's pool; never fatal.
 * Security: untrusted input; numbers are bounded (uidvalidity 32 bits,
 * modseq 63 bits), mailbox names go through imap_mailbox.c.
 */
#include <string.h>

#include "imap_mailbox.h"
#include "imap_mbox_args.h"

struct name_bit {
	const char *name;
	unsigned bit;
};

static const struct name_bit sel_opts[] = {
	{ "SUBSCRIBED", IMAP_LIST_SEL_SUBSCRIBED },
	{ "REMOTE", IMAP_LIST_SEL_REMOTE },
	{ "RECURSIVEMATCH", IMAP_LIST_SEL_RECURSIVEMATCH },
	{ "SPECIAL-USE", IMAP_LIST_SEL_SPECIAL_USE },
	{ NULL, 0 } };

static const struct name_bit ret_opts[] = {
	{ "SUBSCRIBED", IMAP_LIST_RET_SUBSCRIBED },
	{ "CHILDREN", IMAP_LIST_RET_CHILDREN },
	{ "SPECIAL-USE", IMAP_LIST_RET_SPECIAL_USE },
	{ NULL, 0 } };

static const struct name_bit status_items[] = {
	{ "MESSAGES", IMAP_STATUS_MESSAGES },
	{ "UIDNEXT", IMAP_STATUS_UIDNEXT },
	{ "UIDVALIDITY", IMAP_STATUS_UIDVALIDITY },
	{ "UNSEEN", IMAP_STATUS_UNSEEN },
	{ "DELETED", IMAP_STATUS_DELETED },
	{ "SIZE", IMAP_STATUS_SIZE },
	{ "RECENT", IMAP_STATUS_RECENT },
	{ "HIGHESTMODSEQ", IMAP_STATUS_HIGHESTMODSEQ },
	{ NULL, 0 } };

static const struct name_bit use_flags[] = {
	{ "\\All", IMAP_USE_ALL },
	{ "\\Archive", IMAP_USE_ARCHIVE },
	{ "\\Drafts", IMAP_USE_DRAFTS },
	{ "\\Flagged", IMAP_USE_FLAGGED },
	{ "\\Junk", IMAP_USE_JUNK },
	{ "\\Sent", IMAP_USE_SENT },
	{ "\\Trash", IMAP_USE_TRASH },
	{ NULL, 0 } };

/* The bit of one atom in a table, or 0. */
static unsigned
name_bit(const struct imap_arg *a, const struct name_bit *t)
{
	for (; t->name != NULL; t++)
		if (imap_arg_atom_is(a, t->name))
			return t->bit;
	return 0;
}

/* A list of atoms, each from the table, to bits. */
static int
list_bits(const struct imap_arg *l, const struct name_bit *t, int allow_empty,
    unsigned *bits_r)
{
	unsigned bit;

	if (l->type != IMAP_ARG_LIST || (l->count == 0 && !allow_empty))
		return -1;
	*bits_r = 0;
	for (size_t i = 0; i < l->count; i++) {
		if ((bit = name_bit(&l->list[i], t)) == 0)
			return -1;
		*bits_r |= bit;
	}
	return 0;
}

/* STATUS's item list. */
int
imap_status_items_parse(const struct imap_arg *arg, unsigned *items_r,
    const char **errstr_r)
{
	if (list_bits(arg, status_items, 0, items_r) < 0) {
		*errstr_r = "Invalid STATUS items";
		return -1;
	}
	return 0;
}

/* STATUS mailbox (items). */
int
imap_status_parse(const struct imap_arg *args, size_t count, int utf8,
    struct imap_pool *pool, const char **name_r, unsigned *items_r,
    const char **errstr_r)
{
	if (count != 2) {
		*errstr_r = "STATUS takes a mailbox and an item list";
		return -1;
	}
	if (imap_mailbox_from_arg(&args[0], utf8, pool, name_r, errstr_r) < 0)
		return -1;
	return imap_status_items_parse(&args[1], items_r, errstr_r);
}

/* LIST's RETURN options, including STATUS (items). */
static int
list_return(const struct imap_arg *l, struct imap_list_args *la,
    const char **errstr_r)
{
	*errstr_r = "Invalid LIST RETURN options";
	if (l->type != IMAP_ARG_LIST)
		return -1;
	for (size_t i = 0; i < l->count; i++) {
		const struct imap_arg *a = &l->list[i];
		unsigned bit = name_bit(a, ret_opts);
		if (bit != 0) {
			la->ret |= bit;
		} else if (imap_arg_atom_is(a, "STATUS") && i + 1 < l->count &&
		    !(la->ret & IMAP_LIST_RET_STATUS)) {
			la->ret |= IMAP_LIST_RET_STATUS;
			if (imap_status_items_parse(&a[1], &la->status_items,
			    errstr_r) < 0)
				return -1;
			i++;
		} else {
			return -1;
		}
	}
	return 0;
}

/* LIST's pattern or list of patterns. */
static int
list_patterns(const struct imap_arg *a, int utf8, struct imap_pool *pool,
    struct imap_list_args *la, const char **errstr_r)
{
	const struct imap_arg *p = a;
	size_t n = 1;

	if (a->type == IMAP_ARG_LIST) {
		la->extended = 1;
		p = a->list;
		n = a->count;
		if (n == 0) {
			*errstr_r = "Empty pattern list";
			return -1;
		}
	}
	la->patterns = imap_pool_alloc_array(pool, n, sizeof(char *));
	if (la->patterns == NULL) {
		*errstr_r = "Command too complex";
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (imap_pattern_from_arg(&p[i], utf8, pool, &la->patterns[i],
		    errstr_r) < 0)
			return -1;
	la->pattern_count = n;
	return 0;
}

/* LIST [(selection)] reference patterns [RETURN (options)]. */
int
imap_list_parse(const struct imap_arg *args, size_t count, int utf8,
    struct imap_pool *pool, struct imap_list_args *la_r,
    const char **errstr_r)
{
	size_t i = 0;

	memset(la_r, 0, sizeof(*la_r));
	if (count > 0 && args[0].type == IMAP_ARG_LIST) {
		la_r->extended = 1;
		if (list_bits(&args[0], sel_opts, 1, &la_r->select) < 0 ||
		    la_r->select == IMAP_LIST_SEL_RECURSIVEMATCH) {
			*errstr_r = "Invalid LIST selection options";
			return -1;
		}
		i = 1;
	}
	if (count - i != 2 && count - i != 4) {
		*errstr_r = "Invalid LIST arguments";
		return -1;
	}
	if (imap_pattern_from_arg(&args[i], utf8, pool, &la_r->reference,
	    errstr_r) < 0 ||
	    list_patterns(&args[i + 1], utf8, pool, la_r, errstr_r) < 0)
		return -1;
	if (count - i == 4) {
		la_r->extended = 1;
		if (!imap_arg_atom_is(&args[i + 2], "RETURN")) {
			*errstr_r = "Invalid LIST arguments";
			return -1;
		}
		return list_return(&args[i + 3], la_r, errstr_r);
	}
	return 0;
}

/* (known-sequence-set known-uid-set) of QRESYNC. */
static int
qresync_match(const struct imap_arg *m, struct imap_pool *pool,
    struct imap_select_args *sa, const char **errstr_r)
{
	if (m->type != IMAP_ARG_LIST || m->count != 2)
		return -1;
	if (imap_seqset_from_arg(&m->list[0], pool, IMAP_SEQSET_NO_STAR,
	    &sa->seq_match, errstr_r) < 0 ||
	    imap_seqset_from_arg(&m->list[1], pool, IMAP_SEQSET_NO_STAR,
	    &sa->uid_match, errstr_r) < 0)
		return -1;
	return 0;
}

/* QRESYNC (uidvalidity modseq [known-uids [seq-match-data]]). */
static int
qresync_params(const struct imap_arg *q, struct imap_pool *pool,
    struct imap_select_args *sa, const char **errstr_r)
{
	if (q->type != IMAP_ARG_LIST || q->count < 2 || q->count > 4 ||
	    imap_arg_number32(&q->list[0], 1, &sa->uidvalidity) < 0 ||
	    imap_arg_number64(&q->list[1], 1, &sa->modseq) < 0)
		goto bad;
	if (q->count >= 3 && imap_seqset_from_arg(&q->list[2], pool, 0,
	    &sa->known_uids, errstr_r) < 0)
		goto bad;
	if (q->count == 4 && qresync_match(&q->list[3], pool, sa,
	    errstr_r) < 0)
		goto bad;
	sa->qresync = 1;
	return 0;
bad:
	*errstr_r = "Invalid QRESYNC parameters";
	return -1;
}

/* SELECT/EXAMINE mailbox [(CONDSTORE | QRESYNC (...))]. */
int
imap_select_parse(const struct imap_arg *args, size_t count, int utf8,
    struct imap_pool *pool, struct imap_select_args *sa_r,
    const char **errstr_r)
{
	const struct imap_arg *l;

	memset(sa_r, 0, sizeof(*sa_r));
	if (count < 1 || count > 2) {
		*errstr_r = "Invalid SELECT arguments";
		return -1;
	}
	if (imap_mailbox_from_arg(&args[0], utf8, pool, &sa_r->mailbox,
	    errstr_r) < 0)
		return -1;
	if (count == 1)
		return 0;
	l = &args[1];
	*errstr_r = "Invalid SELECT parameters";
	if (l->type != IMAP_ARG_LIST || l->count == 0)
		return -1;
	for (size_t i = 0; i < l->count; i++) {
		if (imap_arg_atom_is(&l->list[i], "CONDSTORE") &&
		    !sa_r->condstore) {
			sa_r->condstore = 1;
		} else if (imap_arg_atom_is(&l->list[i], "QRESYNC") &&
		    !sa_r->qresync && i + 1 < l->count) {
			if (qresync_params(&l->list[++i], pool, sa_r,
			    errstr_r) < 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

/* CREATE mailbox [(USE (special-use flags))]. */
int
imap_create_parse(const struct imap_arg *args, size_t count, int utf8,
    struct imap_pool *pool, const char **name_r, unsigned *use_r,
    const char **errstr_r)
{
	const struct imap_arg *l;

	*use_r = 0;
	if (count < 1 || count > 2) {
		*errstr_r = "Invalid CREATE arguments";
		return -1;
	}
	if (imap_mailbox_from_arg(&args[0], utf8, pool, name_r, errstr_r) < 0)
		return -1;
	if (count == 1)
		return 0;
	l = &args[1];
	if (l->type != IMAP_ARG_LIST || l->count != 2 ||
	    !imap_arg_atom_is(&l->list[0], "USE") ||
	    list_bits(&l->list[1], use_flags, 0, use_r) < 0) {
		*errstr_r = "Invalid CREATE parameters";
		return -1;
	}
	return 0;
}
