/*
 * imap_fetch_args.c - FETCH items, sections, partials and modifiers.
 *
 * Public: see imap_fetch_args.h.  Pure; memory from the caller's pool.
 * Security: untrusted input; part paths, partials and modseqs are bounded
 * numbers (never wrapped), every list comes from the bounded arg tree.
 */
#include <string.h>

#include "imap_fetch_args.h"
#include "imap_num.h"
#include "strutil.h"

static const struct {
	const char *name;
	unsigned bits;
} simple_items[] = {
	{ "FLAGS", IMAP_FETCH_FLAGS },
	{ "UID", IMAP_FETCH_UID },
	{ "INTERNALDATE", IMAP_FETCH_INTERNALDATE },
	{ "RFC822.SIZE", IMAP_FETCH_RFC822_SIZE },
	{ "ENVELOPE", IMAP_FETCH_ENVELOPE },
	{ "BODY", IMAP_FETCH_BODY },
	{ "BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE },
	{ "RFC822", IMAP_FETCH_RFC822 },
	{ "RFC822.HEADER", IMAP_FETCH_RFC822_HEADER },
	{ "RFC822.TEXT", IMAP_FETCH_RFC822_TEXT },
	{ "MODSEQ", IMAP_FETCH_MODSEQ },
};

#define FAST (IMAP_FETCH_FLAGS | IMAP_FETCH_INTERNALDATE | \
    IMAP_FETCH_RFC822_SIZE)
#define ALL (FAST | IMAP_FETCH_ENVELOPE)

/* Parse the leading "n.n.n" part numbers; returns the rest's offset. */
static int
parse_part(const char *p, size_t len, struct imap_fetch_section *sec,
    size_t *rest_r, const char **errstr_r)
{
	size_t i = 0;

	while (i < len && p[i] >= '0' && p[i] <= '9') {
		size_t s = i;
		while (i < len && p[i] >= '0' && p[i] <= '9')
			i++;
		if (sec->part_count >= IMAP_PART_DEPTH_MAX ||
		    imap_num_parse32(p + s, i - s, 1,
		    &sec->part[sec->part_count++]) < 0) {
			*errstr_r = "Invalid section part number";
			return -1;
		}
		if (i == len)
			break;
		if (p[i] != '.' || i + 1 == len) {
			*errstr_r = "Invalid section";
			return -1;
		}
		i++;
	}
	*rest_r = i;
	return 0;
}

/* 1 for a valid RFC 5322 field name (printable, no colon). */
static int
field_name_ok(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f || p[i] == ':')
			return 0;
	return len != 0;
}

/* Parse HEADER.FIELDS[.NOT]'s header list. */
static int
parse_fields(const struct imap_arg *l, struct imap_pool *pool,
    struct imap_fetch_section *sec, const char **errstr_r)
{
	const char *p;
	size_t n;

	if (l->type != IMAP_ARG_LIST || l->count == 0) {
		*errstr_r = "Invalid header list";
		return -1;
	}
	sec->fields = imap_pool_alloc_array(pool, l->count, sizeof(char *));
	if (sec->fields == NULL) {
		*errstr_r = "Command too complex";
		return -1;
	}
	for (size_t i = 0; i < l->count; i++) {
		if (imap_arg_astring(&l->list[i], &p, &n) < 0 ||
		    !field_name_ok(p, n) ||
		    (sec->fields[i] = imap_pool_strndup(pool, p, n)) == NULL) {
			*errstr_r = "Invalid header field name";
			return -1;
		}
	}
	sec->field_count = l->count;
	return 0;
}

/* Map the text after the part path to a section-text kind. */
static int
section_text(const char *p, size_t len, struct imap_fetch_section *sec)
{
	static const struct {
		const char *name;
		enum imap_section_text text;
	} t[] = {
		{ "", IMAP_SECTION_WHOLE },
		{ "HEADER", IMAP_SECTION_HEADER },
		{ "HEADER.FIELDS", IMAP_SECTION_HEADER_FIELDS },
		{ "HEADER.FIELDS.NOT", IMAP_SECTION_HEADER_FIELDS_NOT },
		{ "TEXT", IMAP_SECTION_TEXT },
		{ "MIME", IMAP_SECTION_MIME } };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (str_casecmp_n(p, len, t[i].name) == 0) {
			sec->text = t[i].text;
			return 0;
		}
	return -1;
}

/* Parse the inside of [...] for BODY and BINARY. */
static int
parse_section(const struct imap_arg *a, struct imap_pool *pool,
    struct imap_fetch_section *sec, const char **errstr_r)
{
	const struct imap_arg *s = a->list;
	size_t rest = 0;
	int fields;

	if (a->count == 0)
		return 0;
	if ((s->type != IMAP_ARG_ATOM && s->type != IMAP_ARG_NUMBER) ||
	    s->has_section || a->count > 2)
		goto bad;
	if (parse_part(s->str, s->len, sec, &rest, errstr_r) < 0)
		return -1;
	if (section_text(s->str + rest, s->len - rest, sec) < 0)
		goto bad;
	if (sec->kind != IMAP_SECTION_BODY && sec->text != IMAP_SECTION_WHOLE)
		goto bad;
	if (sec->text == IMAP_SECTION_MIME && sec->part_count == 0)
		goto bad;
	fields = sec->text == IMAP_SECTION_HEADER_FIELDS ||
	    sec->text == IMAP_SECTION_HEADER_FIELDS_NOT;
	if (fields != (a->count == 2))
		goto bad;
	return fields ? parse_fields(&a->list[1], pool, sec, errstr_r) : 0;
bad:
	*errstr_r = "Invalid section";
	return -1;
}

/* Parse "<offset.length>". */
static int
parse_partial(const char *p, size_t len, struct imap_fetch_section *sec,
    const char **errstr_r)
{
	const char *dot;

	if (len == 0)
		return 0;
	dot = len > 2 ? memchr(p, '.', len) : NULL;
	if (p[0] != '<' || p[len - 1] != '>' || dot == NULL ||
	    imap_num_parse64(p + 1, (size_t)(dot - p) - 1, 0,
	    &sec->offset) < 0 ||
	    imap_num_parse64(dot + 1, len - (size_t)(dot - p) - 2, 1,
	    &sec->length) < 0) {
		*errstr_r = "Invalid partial";
		return -1;
	}
	sec->partial = 1;
	return 0;
}

/* Parse one BODY[...], BINARY[...] or BINARY.SIZE[...] item. */
static int
parse_section_item(const struct imap_arg *a, struct imap_pool *pool,
    struct imap_fetch_section *sec, const char **errstr_r)
{
	const char *n = a->str;
	size_t len = a->len;

	memset(sec, 0, sizeof(*sec));
	if (str_casecmp_n(n, len, "BODY.PEEK") == 0 ||
	    str_casecmp_n(n, len, "BINARY.PEEK") == 0)
		sec->peek = 1;
	if (str_has_prefix_ci(n, len, "BINARY.SIZE"))
		sec->kind = IMAP_SECTION_BINARY_SIZE;
	else if (str_has_prefix_ci(n, len, "BINARY"))
		sec->kind = IMAP_SECTION_BINARY;
	if (parse_section(a, pool, sec, errstr_r) < 0)
		return -1;
	if (sec->kind == IMAP_SECTION_BINARY_SIZE && a->partial_len != 0) {
		*errstr_r = "BINARY.SIZE takes no partial";
		return -1;
	}
	return parse_partial(a->partial, a->partial_len, sec, errstr_r);
}

/* Parse one simple item (not a macro) into bits. */
static int
simple_item(const struct imap_arg *a, unsigned *items)
{
	if (a->type != IMAP_ARG_ATOM || a->has_section)
		return -1;
	for (size_t i = 0; i < sizeof(simple_items) / sizeof(simple_items[0]);
	    i++)
		if (imap_arg_atom_is(a, simple_items[i].name)) {
			*items |= simple_items[i].bits;
			return 0;
		}
	return -1;
}

/* Parse one fetch-att. */
static int
parse_att(const struct imap_arg *a, struct imap_pool *pool,
    struct imap_fetch_args *fa, const char **errstr_r)
{
	struct imap_fetch_section *sec;

	if (!a->has_section) {
		if (simple_item(a, &fa->items) == 0)
			return 0;
		*errstr_r = "Unknown FETCH item";
		return -1;
	}
	sec = &fa->sections[fa->section_count];
	if (parse_section_item(a, pool, sec, errstr_r) < 0)
		return -1;
	fa->section_count++;
	if (!sec->peek && sec->kind != IMAP_SECTION_BINARY_SIZE)
		fa->sets_seen = 1;
	return 0;
}

/* Parse the items: a macro, one fetch-att, or a list of them. */
static int
parse_items(const struct imap_arg *a, struct imap_pool *pool,
    struct imap_fetch_args *fa, const char **errstr_r)
{
	const struct imap_arg *list = a;
	size_t n = 1;

	if (imap_arg_atom_is(a, "ALL") || imap_arg_atom_is(a, "FAST") ||
	    imap_arg_atom_is(a, "FULL")) {
		fa->items = imap_arg_atom_is(a, "FAST") ? FAST : ALL;
		if (imap_arg_atom_is(a, "FULL"))
			fa->items |= IMAP_FETCH_BODY;
		return 0;
	}
	if (a->type == IMAP_ARG_LIST) {
		list = a->list;
		n = a->count;
		if (n == 0) {
			*errstr_r = "Empty FETCH item list";
			return -1;
		}
	}
	fa->sections = imap_pool_alloc_array(pool, n, sizeof(*fa->sections));
	if (fa->sections == NULL) {
		*errstr_r = "Command too complex";
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (parse_att(&list[i], pool, fa, errstr_r) < 0)
			return -1;
	return 0;
}

/* Parse the fetch modifiers: (CHANGEDSINCE n [VANISHED]). */
static int
parse_modifiers(const struct imap_arg *m, int uid, struct imap_fetch_args *fa,
    const char **errstr_r)
{
	*errstr_r = "Invalid FETCH modifier";
	if (m->type != IMAP_ARG_LIST || m->count == 0)
		return -1;
	for (size_t i = 0; i < m->count; i++) {
		const struct imap_arg *a = &m->list[i];
		if (imap_arg_atom_is(a, "CHANGEDSINCE") && !fa->changedsince_set &&
		    i + 1 < m->count) {
			if (imap_arg_number64(&a[1], 0, &fa->changedsince) < 0)
				return -1;
			fa->changedsince_set = 1;
			i++;
		} else if (imap_arg_atom_is(a, "VANISHED") && !fa->vanished) {
			fa->vanished = 1;
		} else {
			return -1;
		}
	}
	if (fa->vanished && (!uid || !fa->changedsince_set)) {
		*errstr_r = "VANISHED needs UID FETCH and CHANGEDSINCE";
		return -1;
	}
	return 0;
}

/* Parse FETCH's arguments after the sequence set. */
int
imap_fetch_parse(const struct imap_arg *args, size_t count, int uid,
    struct imap_pool *pool, struct imap_fetch_args *fa_r,
    const char **errstr_r)
{
	memset(fa_r, 0, sizeof(*fa_r));
	if (count == 0 || count > 2) {
		*errstr_r = count == 0 ? "Missing FETCH items" :
		    "Too many FETCH arguments";
		return -1;
	}
	if (parse_items(&args[0], pool, fa_r, errstr_r) < 0)
		return -1;
	if (count == 2 && parse_modifiers(&args[1], uid, fa_r, errstr_r) < 0)
		return -1;
	if (fa_r->items & (IMAP_FETCH_RFC822 | IMAP_FETCH_RFC822_TEXT))
		fa_r->sets_seen = 1;
	if (uid)
		fa_r->items |= IMAP_FETCH_UID;
	if (fa_r->changedsince_set)
		fa_r->items |= IMAP_FETCH_MODSEQ;
	return 0;
}

/* Append a header field name, quoted when it is not an atom. */
static int
put_field(struct buf *out, const char *f)
{
	size_t n = strlen(f);
	int atom = 1;

	for (size_t i = 0; i < n; i++)
		if (!imap_atom_char((unsigned char)f[i]))
			atom = 0;
	if (atom)
		return buf_append(out, f, n);
	if (buf_append_char(out, '"') < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((f[i] == '"' || f[i] == '\\') &&
		    buf_append_char(out, '\\') < 0)
			return -1;
		else if (buf_append_char(out, f[i]) < 0)
			return -1;
	return buf_append_char(out, '"');
}

/* Append "HEADER.FIELDS (A B)" and the like after the part path. */
static int
put_text(struct buf *out, const struct imap_fetch_section *sec)
{
	static const char *const names[] = { "", "HEADER", "HEADER.FIELDS",
	    "HEADER.FIELDS.NOT", "TEXT", "MIME" };

	if (sec->text == IMAP_SECTION_WHOLE)
		return 0;
	if ((sec->part_count != 0 && buf_append_char(out, '.') < 0) ||
	    buf_append_str(out, names[sec->text]) < 0)
		return -1;
	if (sec->field_count == 0)
		return 0;
	if (buf_append_str(out, " (") < 0)
		return -1;
	for (size_t i = 0; i < sec->field_count; i++)
		if ((i != 0 && buf_append_char(out, ' ') < 0) ||
		    put_field(out, sec->fields[i]) < 0)
			return -1;
	return buf_append_char(out, ')');
}

/* Write the response name of a section item, e.g. BODY[1.MIME]<0>. */
int
imap_fetch_section_name(const struct imap_fetch_section *sec,
    struct buf *out)
{
	static const char *const kinds[] = { "BODY[", "BINARY[",
	    "BINARY.SIZE[" };

	if (buf_append_str(out, kinds[sec->kind]) < 0)
		return -1;
	for (size_t i = 0; i < sec->part_count; i++)
		if (buf_printf(out, i ? ".%u" : "%u", sec->part[i]) < 0)
			return -1;
	if (put_text(out, sec) < 0 || buf_append_char(out, ']') < 0)
		return -1;
	if (sec->partial &&
	    buf_printf(out, "<%llu>", (unsigned long long)sec->offset) < 0)
		return -1;
	return 0;
}
