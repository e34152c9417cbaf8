/*
 * test_imap_fetch_args.c - unit tests for imapd/imap_fetch_args.c: simple
 * items, macros, BODY/BINARY sections and partials, the \Seen rule,
 * CHANGEDSINCE/VANISHED, refusals, and response names of sections.
 */
#include <string.h>

#include "harness.h"
#include "../../imapd/imap_fetch_args.h"

static struct imap_pool *pool;
static struct imap_fetch_args fa;

/* Parse "a FETCH 1 <s>" (UID FETCH when uid) into fa. */
static int
fetch(const char *s, int uid)
{
	char line[512];
	struct imap_cmd c;
	const char *err = NULL;

	imap_pool_clear(pool);
	snprintf(line, sizeof(line), "a %sFETCH 1 %s", uid ? "UID " : "", s);
	if (imap_parse_cmd(line, strlen(line), pool, &c, &err) < 0)
		return -2;
	if (imap_fetch_parse(c.args + 1, c.count - 1, c.uid, pool, &fa,
	    &err) < 0)
		return err != NULL ? -1 : -3;
	return 0;
}

/* The name of section i, as a C string. */
static const char *
name(size_t i)
{
	static char out[256];
	struct buf *b = buf_new(64, 255);

	out[0] = '\0';
	if (imap_fetch_section_name(&fa.sections[i], b) == 0) {
		memcpy(out, b->data, b->len);
		out[b->len] = '\0';
	}
	buf_free(&b);
	return out;
}

/* Simple items and macros. */
static void
test_items(void)
{
	CHECK(fetch("FLAGS", 0) == 0 && fa.items == IMAP_FETCH_FLAGS);
	CHECK(fetch("(uid rfc822.size ENVELOPE)", 0) == 0);
	CHECK(fa.items == (IMAP_FETCH_UID | IMAP_FETCH_RFC822_SIZE |
	    IMAP_FETCH_ENVELOPE) && !fa.sets_seen);
	CHECK(fetch("FAST", 0) == 0 && fa.items == (IMAP_FETCH_FLAGS |
	    IMAP_FETCH_INTERNALDATE | IMAP_FETCH_RFC822_SIZE));
	CHECK(fetch("ALL", 0) == 0 && (fa.items & IMAP_FETCH_ENVELOPE));
	CHECK(!(fa.items & IMAP_FETCH_BODY));
	CHECK(fetch("FULL", 0) == 0 && (fa.items & IMAP_FETCH_BODY));
	CHECK(fetch("FLAGS", 1) == 0 && (fa.items & IMAP_FETCH_UID));
	CHECK(fetch("(RFC822)", 0) == 0 && fa.sets_seen);
	CHECK(fetch("RFC822.HEADER", 0) == 0 && !fa.sets_seen);
	CHECK(fetch("(BODY BODYSTRUCTURE MODSEQ RFC822.TEXT)", 0) == 0);
	CHECK(fa.sets_seen && (fa.items & IMAP_FETCH_MODSEQ));
	CHECK(fetch("(ALL)", 0) == -1);
	CHECK(fetch("(FLAGS ALL)", 0) == -1);
	CHECK(fetch("()", 0) == -1);
	CHECK(fetch("BOGUS", 0) == -1);
	CHECK(fetch("\"FLAGS\"", 0) == -1);
	CHECK(fetch("FLAGS FLAGS", 0) == -1);
}

/* Sections, parts, header lists, partials. */
static void
test_sections(void)
{
	CHECK(fetch("BODY[]", 0) == 0 && fa.section_count == 1);
	CHECK(fa.sets_seen && !fa.sections[0].peek);
	CHECK(strcmp(name(0), "BODY[]") == 0);
	CHECK(fetch("(BODY.PEEK[1.2.HEADER.FIELDS (From \"Subject\")]<10.20>"
	    " BINARY.PEEK[1] binary.size[] body[2.MIME])", 0) == 0);
	CHECK(fa.section_count == 4 && fa.sets_seen);
	const struct imap_fetch_section *s = &fa.sections[0];
	CHECK(s->peek && s->kind == IMAP_SECTION_BODY && s->part_count == 2);
	CHECK(s->part[0] == 1 && s->part[1] == 2);
	CHECK(s->text == IMAP_SECTION_HEADER_FIELDS && s->field_count == 2);
	CHECK(strcmp(s->fields[1], "Subject") == 0);
	CHECK(s->partial && s->offset == 10 && s->length == 20);
	CHECK(strcmp(name(0), "BODY[1.2.HEADER.FIELDS (From Subject)]<10>")
	    == 0);
	CHECK(fa.sections[1].kind == IMAP_SECTION_BINARY);
	CHECK(strcmp(name(1), "BINARY[1]") == 0);
	CHECK(fa.sections[2].kind == IMAP_SECTION_BINARY_SIZE);
	CHECK(strcmp(name(2), "BINARY.SIZE[]") == 0);
	CHECK(fa.sections[3].text == IMAP_SECTION_MIME);
	CHECK(strcmp(name(3), "BODY[2.MIME]") == 0);
	CHECK(fetch("BODY.PEEK[HEADER.FIELDS.NOT (X-A)]", 0) == 0);
	CHECK(!fa.sets_seen && strcmp(name(0),
	    "BODY[HEADER.FIELDS.NOT (X-A)]") == 0);
	CHECK(fetch("BODY.PEEK[TEXT]<0.4294967296>", 0) == 0);
	CHECK(fa.sections[0].length == 4294967296ull);
	CHECK(fetch("BODY[4294967295]", 0) == 0);
	CHECK(fetch("BODY[4294967296]", 0) == -1);
	CHECK(fetch("BODY[0]", 0) == -1);
	CHECK(fetch("BODY[MIME]", 0) == -1);
	CHECK(fetch("BODY[1.]", 0) == -1);
	CHECK(fetch("BODY[HEADER.FIELDS]", 0) == -1);
	CHECK(fetch("BODY[HEADER.FIELDS ()]", 0) == -1);
	CHECK(fetch("BODY[HEADER.FIELDS (a:b)]", 0) == -1);
	CHECK(fetch("BODY[HEADER (a)]", 0) == -1);
	CHECK(fetch("BODY[FOO]", 0) == -1);
	CHECK(fetch("BINARY[HEADER]", 0) == -1);
	CHECK(fetch("BINARY.SIZE[1]<0.1>", 0) == -1);
	CHECK(fetch("BODY[]<0.0>", 0) == -1);
	CHECK(fetch("BODY[]<1>", 0) == -1);
	CHECK(fetch("BODY[]<a.1>", 0) == -1);
	CHECK(fetch("BODY[]<0.1", 0) == -1);
	CHECK(fetch("BODY[]<9223372036854775808.1>", 0) == -1);
	char deep[200];
	size_t o = 5;
	memcpy(deep, "BODY[", 5);
	for (int i = 0; i < IMAP_PART_DEPTH_MAX; i++, o += 2)
		memcpy(deep + o, "1.", 2);
	memcpy(deep + o, "1]", 3);
	CHECK(fetch(deep, 0) == -1);
}

/* CHANGEDSINCE and VANISHED (RFC 7162). */
static void
test_modifiers(void)
{
	CHECK(fetch("FLAGS (CHANGEDSINCE 12345)", 0) == 0);
	CHECK(fa.changedsince_set && fa.changedsince == 12345);
	CHECK(fa.items & IMAP_FETCH_MODSEQ);
	CHECK(fetch("FLAGS (CHANGEDSINCE 9 VANISHED)", 1) == 0 && fa.vanished);
	CHECK(fetch("FLAGS (VANISHED CHANGEDSINCE 9)", 1) == 0 && fa.vanished);
	CHECK(fetch("FLAGS (CHANGEDSINCE 9 VANISHED)", 0) == -1);
	CHECK(fetch("FLAGS (VANISHED)", 1) == -1);
	CHECK(fetch("FLAGS (CHANGEDSINCE)", 0) == -1);
	CHECK(fetch("FLAGS (CHANGEDSINCE 9223372036854775808)", 0) == -1);
	CHECK(fetch("FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)", 0) == -1);
	CHECK(fetch("FLAGS (FOO)", 0) == -1);
	CHECK(fetch("FLAGS ()", 0) == -1);
}

int
main(void)
{
	pool = imap_pool_new(0);
	TEST_RUN(test_items);
	TEST_RUN(test_sections);
	TEST_RUN(test_modifiers);
	imap_pool_free(&pool);
	TEST_EXIT();
}
