/*
 * fuzz_imap_parse.c - libFuzzer target for petrel-imapd's command parsing:
 * the literal-marker check on every line, the assembler, the generic
 * parser, and the typed parser the command name selects (FETCH, SEARCH,
 * STORE, LIST, STATUS, SELECT/EXAMINE, CREATE, APPEND, ENABLE, ID,
 * AUTHENTICATE), plus mailbox-name conversions and dates on the
 * arguments.  Links imapd's modules through build-fuzz/libimapd.a.
 *
 * Checks: nothing crashes or leaks; a decoded modified UTF-7 name encodes
 * back to the same octets; section names format; date-times format back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../imapd/imap_date.h"
#include "../../imapd/imap_fetch_args.h"
#include "../../imapd/imap_frame.h"
#include "../../imapd/imap_mailbox.h"
#include "../../imapd/imap_mbox_args.h"
#include "../../imapd/imap_msg_args.h"
#include "../../imapd/imap_mutf7.h"
#include "../../imapd/imap_search_args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct imap_pool *pool;

/* Run each line through the marker check and the assembler. */
static void
fuzz_frame(const char *p, size_t n)
{
	struct imap_asm_limits lim = { 65536, 8, p[0] & 1 };
	struct imap_asm *a = imap_asm_new(&lim);
	struct imap_literal_mark m;
	const char *err;
	size_t i = 0;

	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t len = nl != NULL ? (size_t)(nl - p - i) : n - i;
		int r = imap_asm_line(a, p + i, len, &m, &err);
		i += len + (nl != NULL);
		if (r == IMAP_ASM_LITERAL)
			i += imap_asm_literal(a, p + i, n - i);
		else if (r < 0 || r == IMAP_ASM_DONE)
			imap_asm_reset(a);
	}
	imap_asm_free(&a);
}

/* Mailbox conversions and their round trip on one argument. */
static void
fuzz_mailbox(const struct imap_arg *arg)
{
	const char *name, *err;
	struct buf *b = buf_new(64, IMAP_MAILBOX_MAX * 4);
	const char *p;
	size_t n;

	if (imap_mailbox_from_arg(arg, 0, pool, &name, &err) == 0) {
		if (imap_mailbox_to_wire(name, strlen(name), 0, b, &err) != 0)
			abort();
		(void)imap_list_match("*%a*", 4, name, strlen(name));
	}
	buf_reset(b);
	if (imap_arg_astring(arg, &p, &n) == 0 &&
	    imap_mutf7_to_utf8(p, n, b, &err) == 0) {
		struct buf *back = buf_new(64, 0);
		if (imap_utf8_to_mutf7(b->data, b->len, back, &err) != 0 ||
		    back->len != n || memcmp(back->data, p, n) != 0)
			abort();
		buf_free(&back);
	}
	buf_free(&b);
}

/* Dates on a quoted or atom argument. */
static void
fuzz_dates(const struct imap_arg *arg)
{
	char out[IMAP_DATETIME_LEN + 1];
	struct imap_date d;
	time_t t;
	int tz;

	if (arg->type != IMAP_ARG_QUOTED && arg->type != IMAP_ARG_ATOM)
		return;
	if (imap_date_parse(arg->str, arg->len, &d) == 0)
		(void)imap_date_days(&d);
	if (imap_datetime_parse(arg->str, arg->len, &t, &tz) == 0 &&
	    imap_datetime_format(t, tz, out) != 0)
		abort();
	(void)imap_rfc5322_date_parse(arg->str, arg->len, &t, &tz);
}

/* FETCH and its section names. */
static void
fuzz_fetch(const struct imap_cmd *c)
{
	struct imap_fetch_args fa;
	const char *err;

	if (c->count < 1 || imap_fetch_parse(c->args + 1, c->count - 1,
	    c->uid, pool, &fa, &err) != 0)
		return;
	for (size_t i = 0; i < fa.section_count; i++) {
		struct buf *b = buf_new(64, 0);
		if (imap_fetch_section_name(&fa.sections[i], b) != 0)
			abort();
		buf_free(&b);
	}
}

/* Call the typed parser the command name selects. */
static void
fuzz_typed(const struct imap_cmd *c)
{
	const char *err, *name;
	unsigned u;
	union {
		struct imap_search_args s; struct imap_store_args st;
		struct imap_list_args l; struct imap_select_args sel;
		struct imap_append_args a; struct imap_enable_args e;
		struct imap_id_args id; struct imap_auth_args au;
	} r;
	struct imap_seqset *set;

	if (strcmp(c->name, "FETCH") == 0)
		fuzz_fetch(c);
	else if (strcmp(c->name, "SEARCH") == 0)
		(void)imap_search_parse(c->args, c->count, pool, &r.s, &err);
	else if (strcmp(c->name, "STORE") == 0 && c->count > 0)
		(void)imap_store_parse(c->args + 1, c->count - 1, pool, &r.st,
		    &err);
	else if (strcmp(c->name, "LIST") == 0)
		(void)imap_list_parse(c->args, c->count, c->uid, pool, &r.l,
		    &err);
	else if (strcmp(c->name, "STATUS") == 0)
		(void)imap_status_parse(c->args, c->count, 0, pool, &name, &u,
		    &err);
	else if (strcmp(c->name, "SELECT") == 0)
		(void)imap_select_parse(c->args, c->count, c->uid, pool,
		    &r.sel, &err);
	else if (strcmp(c->name, "CREATE") == 0)
		(void)imap_create_parse(c->args, c->count, 0, pool, &name, &u,
		    &err);
	else if (strcmp(c->name, "APPEND") == 0)
		(void)imap_append_parse(c->args, c->count, 0, pool, &r.a, &err);
	else if (strcmp(c->name, "ENABLE") == 0)
		(void)imap_enable_parse(c->args, c->count, pool, &r.e, &err);
	else if (strcmp(c->name, "ID") == 0)
		(void)imap_id_parse(c->args, c->count, pool, &r.id, &err);
	else if (strcmp(c->name, "AUTHENTICATE") == 0)
		(void)imap_authenticate_parse(c->args, c->count, pool, &r.au,
		    &err);
	else if (c->count > 0 && imap_seqset_from_arg(&c->args[0], pool,
	    IMAP_SEQSET_SEARCHRES, &set, &err) == 0 && !set->searchres)
		imap_seqset_resolve(set, 100);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *err;
	struct imap_cmd c;

	if (size == 0 || size > 65536)
		return 0;
	if (pool == NULL)
		pool = imap_pool_new(1024 * 1024);
	fuzz_frame(p, size);
	imap_pool_clear(pool);
	if (imap_parse_cmd(p, size, pool, &c, &err) != 0)
		return 0;
	fuzz_typed(&c);
	for (size_t i = 0; i < c.count && i < 8; i++) {
		fuzz_mailbox(&c.args[i]);
		fuzz_dates(&c.args[i]);
	}
	return 0;
}
