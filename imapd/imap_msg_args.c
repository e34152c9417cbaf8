/*
 * imap_msg_args.c - STORE, APPEND, ENABLE, ID and AUTHENTICATE arguments.
 *
 * Public: see imap_msg_args.h.  Memory from the caller's pool; never fatal.
 * Security: untrusted input, partly pre-login (ID, AUTHENTICATE); counts
 * and lengths are checked against the RFC limits and our own bounds.
 */
#include <string.h>

#include "imap_date.h"
#include "imap_mailbox.h"
#include "imap_msg_args.h"
#include "strutil.h"

/* (UNCHANGEDSINCE n) of STORE. */
static int
store_modifiers(const struct imap_arg *l, struct imap_store_args *st)
{
	if (l->count != 2 || !imap_arg_atom_is(&l->list[0], "UNCHANGEDSINCE") ||
	    imap_arg_number64(&l->list[1], 0, &st->unchangedsince) < 0)
		return -1;
	st->unchangedsince_set = 1;
	return 0;
}

/* [+|-]FLAGS[.SILENT]. */
static int
store_item(const struct imap_arg *a, struct imap_store_args *st)
{
	const char *p = a->str;
	size_t n = a->len;

	if (a->type != IMAP_ARG_ATOM || a->has_section || n == 0)
		return -1;
	if (p[0] == '+' || p[0] == '-') {
		st->op = p[0] == '+' ? IMAP_STORE_ADD : IMAP_STORE_REMOVE;
		p++;
		n--;
	}
	if (str_casecmp_n(p, n, "FLAGS.SILENT") == 0)
		st->silent = 1;
	else if (str_casecmp_n(p, n, "FLAGS") != 0)
		return -1;
	return 0;
}

/* STORE's arguments after the sequence set. */
int
imap_store_parse(const struct imap_arg *args, size_t count,
    struct imap_pool *pool, struct imap_store_args *st_r,
    const char **errstr_r)
{
	size_t i = 0;

	memset(st_r, 0, sizeof(*st_r));
	*errstr_r = "Invalid STORE arguments";
	if (count > 0 && args[0].type == IMAP_ARG_LIST) {
		if (store_modifiers(&args[0], st_r) < 0)
			return -1;
		i = 1;
	}
	if (count - i < 2 || store_item(&args[i], st_r) < 0)
		return -1;
	i++;
	if (args[i].type == IMAP_ARG_LIST) {
		if (count - i != 1)
			return -1;
		return imap_flags_from_list(&args[i], pool, &st_r->flags,
		    errstr_r);
	}
	return imap_flags_parse(args + i, count - i, pool, &st_r->flags,
	    errstr_r);
}

/* One APPEND message: [flag-list] [date-time] literal. */
static int
append_msg(const struct imap_arg *args, size_t count, size_t *i,
    struct imap_pool *pool, struct imap_append_msg *m, const char **errstr_r)
{
	const struct imap_arg *a = &args[*i];

	if (a->type == IMAP_ARG_LIST) {
		if (imap_flags_from_list(a, pool, &m->flags, errstr_r) < 0)
			return -1;
		if (++(*i) >= count)
			goto bad;
		a = &args[*i];
	}
	if (a->type == IMAP_ARG_QUOTED) {
		if (imap_datetime_parse(a->str, a->len, &m->date,
		    &m->tzoff) < 0) {
			*errstr_r = "Invalid APPEND date-time";
			return -1;
		}
		m->has_date = 1;
		if (++(*i) >= count)
			goto bad;
		a = &args[*i];
	}
	if (a->type != IMAP_ARG_LITERAL && a->type != IMAP_ARG_LITERAL8)
		goto bad;
	m->binary = a->type == IMAP_ARG_LITERAL8;
	m->data = a->str;
	m->len = a->len;
	(*i)++;
	return 0;
bad:
	*errstr_r = "Invalid APPEND arguments";
	return -1;
}

/* APPEND mailbox message [message ...] (MULTIAPPEND). */
int
imap_append_parse(const struct imap_arg *args, size_t count, int utf8,
    struct imap_pool *pool, struct imap_append_args *aa_r,
    const char **errstr_r)
{
	size_t i = 1, max = count < IMAP_APPEND_MSGS_MAX + 1 ? count :
	    IMAP_APPEND_MSGS_MAX + 1;

	memset(aa_r, 0, sizeof(*aa_r));
	if (count < 2) {
		*errstr_r = "Invalid APPEND arguments";
		return -1;
	}
	if (imap_mailbox_from_arg(&args[0], utf8, pool, &aa_r->mailbox,
	    errstr_r) < 0)
		return -1;
	aa_r->msgs = imap_pool_alloc_array(pool, max, sizeof(*aa_r->msgs));
	if (aa_r->msgs == NULL) {
		*errstr_r = "Command too complex";
		return -1;
	}
	while (i < count) {
		if (aa_r->count == IMAP_APPEND_MSGS_MAX) {
			*errstr_r = "Too many messages in one APPEND";
			return -1;
		}
		if (append_msg(args, count, &i, pool,
		    &aa_r->msgs[aa_r->count++], errstr_r) < 0)
			return -1;
	}
	return 0;
}

/* ENABLE capability names. */
int
imap_enable_parse(const struct imap_arg *args, size_t count,
    struct imap_pool *pool, struct imap_enable_args *en_r,
    const char **errstr_r)
{
	static const struct { const char *name; unsigned bit; } caps[] = {
		{ "CONDSTORE", IMAP_CAP_CONDSTORE },
		{ "QRESYNC", IMAP_CAP_QRESYNC },
		{ "UTF8=ACCEPT", IMAP_CAP_UTF8_ACCEPT },
		{ "IMAP4REV2", IMAP_CAP_IMAP4REV2 } };

	memset(en_r, 0, sizeof(*en_r));
	*errstr_r = "Invalid ENABLE arguments";
	if (count == 0 ||
	    (en_r->names = imap_pool_alloc_array(pool, count,
	    sizeof(char *))) == NULL)
		return -1;
	for (size_t i = 0; i < count; i++) {
		const struct imap_arg *a = &args[i];
		if (a->type != IMAP_ARG_ATOM || a->has_section ||
		    a->str[0] == '\\')
			return -1;
		en_r->names[i] = a->str;
		for (size_t j = 0; j < sizeof(caps) / sizeof(caps[0]); j++)
			if (imap_arg_atom_is(a, caps[j].name))
				en_r->known |= caps[j].bit;
	}
	en_r->count = count;
	return 0;
}

/* One ID field/value pair into pool strings. */
static int
id_pair(const struct imap_arg *f, const struct imap_arg *v,
    struct imap_pool *pool, const char **field_r, const char **value_r)
{
	const char *p;
	size_t n;

	if (imap_arg_string(f, &p, &n) < 0 || n > IMAP_ID_FIELD_MAX ||
	    memchr(p, '\0', n) != NULL ||
	    (*field_r = imap_pool_strndup(pool, p, n)) == NULL)
		return -1;
	if (imap_arg_nstring(v, &p, &n) < 0 || n > IMAP_ID_VALUE_MAX)
		return -1;
	*value_r = NULL;
	if (p != NULL && (memchr(p, '\0', n) != NULL ||
	    (*value_r = imap_pool_strndup(pool, p, n)) == NULL))
		return -1;
	return 0;
}

/* ID NIL | ID (field value ...). */
int
imap_id_parse(const struct imap_arg *args, size_t count,
    struct imap_pool *pool, struct imap_id_args *id_r, const char **errstr_r)
{
	const struct imap_arg *l;
	size_t n;

	memset(id_r, 0, sizeof(*id_r));
	*errstr_r = "Invalid ID arguments";
	if (count != 1)
		return -1;
	l = &args[0];
	if (l->type == IMAP_ARG_NIL) {
		id_r->nil = 1;
		return 0;
	}
	if (l->type != IMAP_ARG_LIST || l->count % 2 != 0 ||
	    (n = l->count / 2) > IMAP_ID_PAIRS_MAX)
		return -1;
	id_r->fields = imap_pool_alloc_array(pool, n + 1, sizeof(char *));
	id_r->values = imap_pool_alloc_array(pool, n + 1, sizeof(char *));
	if (id_r->fields == NULL || id_r->values == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (id_pair(&l->list[2 * i], &l->list[2 * i + 1], pool,
		    &id_r->fields[i], &id_r->values[i]) < 0)
			return -1;
	id_r->count = n;
	return 0;
}

/* 1 when p is made of base64 letters and padding only. */
static int
base64_chars(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
			return 0;
	}
	return 1;
}

/* AUTHENTICATE mechanism [initial-response]. */
int
imap_authenticate_parse(const struct imap_arg *args, size_t count,
    struct imap_pool *pool, struct imap_auth_args *au_r,
    const char **errstr_r)
{
	char *mech;

	memset(au_r, 0, sizeof(*au_r));
	*errstr_r = "Invalid AUTHENTICATE arguments";
	if (count < 1 || count > 2 || args[0].type != IMAP_ARG_ATOM ||
	    args[0].has_section || args[0].str[0] == '\\' ||
	    (mech = imap_pool_strndup(pool, args[0].str, args[0].len)) == NULL)
		return -1;
	for (char *q = mech; *q != '\0'; q++)
		if (*q >= 'a' && *q <= 'z')
			*q = (char)(*q - 'a' + 'A');
	au_r->mech = mech;
	if (count == 1)
		return 0;
	if ((args[1].type != IMAP_ARG_ATOM && args[1].type != IMAP_ARG_NUMBER) ||
	    args[1].has_section || !base64_chars(args[1].str, args[1].len))
		return -1;
	au_r->has_ir = 1;
	au_r->ir = args[1].str;
	au_r->ir_len = args[1].len;
	if (au_r->ir_len == 1 && au_r->ir[0] == '=') {
		au_r->ir = "";
		au_r->ir_len = 0;
	}
	return 0;
}
