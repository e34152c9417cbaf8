/*
 * test_imap_parse.c - unit tests for imapd/imap_frame.c, imap_parse.c,
 * imap_pool.c and imap_num.c: literal markers, command assembly fed split
 * at every byte through a linereader, tags, names, the argument tree
 * (atoms, numbers, NIL, quoted, literal, literal8, lists, section atoms),
 * the bounds, and the accessors.
 */
#include <string.h>

#include "harness.h"
#include "linereader.h"
#include "../../imapd/imap_frame.h"
#include "../../imapd/imap_num.h"
#include "../../imapd/imap_parse.h"

static struct imap_pool *pool;

/* Parse a C string as a whole command. */
static int
cmd(const char *s, struct imap_cmd *c, const char **err)
{
	imap_pool_clear(pool);
	*err = NULL;
	return imap_parse_cmd(s, strlen(s), pool, c, err);
}

/* Literal markers at the end of one line. */
static void
test_frame_marker(void)
{
	struct imap_literal_mark m;
	const char *err;

	CHECK(imap_frame_literal("a LOGIN {5}", 11, &m, &err) == 0);
	CHECK(m.kind == IMAP_LIT_SYNC && m.size == 5 && !m.binary);
	CHECK(m.offset == 8);
	CHECK(imap_frame_literal("a APPEND x {12+}", 16, &m, &err) == 0);
	CHECK(m.kind == IMAP_LIT_NONSYNC && m.size == 12);
	CHECK(imap_frame_literal("a APPEND x ~{0}", 15, &m, &err) == 0);
	CHECK(m.kind == IMAP_LIT_SYNC && m.binary && m.size == 0);
	CHECK(m.offset == 11);
	CHECK(imap_frame_literal("a APPEND x ~{7+}", 16, &m, &err) == 0);
	CHECK(m.kind == IMAP_LIT_NONSYNC && m.binary && m.size == 7);
	CHECK(imap_frame_literal("a NOOP", 6, &m, &err) == 0);
	CHECK(m.kind == IMAP_LIT_NONE);
	CHECK(imap_frame_literal("a CREATE x}", 11, &m, &err) == 0);
	CHECK(m.kind == IMAP_LIT_NONE);
	CHECK(imap_frame_literal("a X {}", 6, &m, &err) == 0);
	CHECK(m.kind == IMAP_LIT_NONE);
	CHECK(imap_frame_literal("a X {+}", 7, &m, &err) == 0);
	CHECK(m.kind == IMAP_LIT_NONE);
	CHECK(imap_frame_literal("{3}", 3, &m, &err) == 0 && m.size == 3);
	CHECK(imap_frame_literal("a X {9223372036854775807}", 25, &m,
	    &err) == 0 && m.size == 9223372036854775807ull);
	CHECK(imap_frame_literal("a X {9223372036854775808}", 25, &m,
	    &err) == -1);
	CHECK(imap_frame_literal("a X {99999999999999999999999}", 29, &m,
	    &err) == -1);
}

static const char wire[] =
    "A1 LOGIN {4}\r\nj\0e \"pw\"\r\n"
    "A2 APPEND INBOX (\\Seen) {3+}\r\nab\n ~{2}\r\n\r\n\r\n"
    "A3 NOOP\r\n";

struct split_result {
	int ncmd;
	size_t lens[3];
	char data[3][64];
};

/* Run wire bytes through a linereader and an assembler. */
static int
drive(struct linereader *lr, struct imap_asm *a, struct split_result *r)
{
	const char *line;
	size_t len;
	enum line_ending end;
	struct imap_literal_mark m;
	const char *err;

	for (;;) {
		if (imap_asm_literal_left(a) != 0) {
			char tmp[8];
			size_t want = sizeof(tmp);
			if (imap_asm_literal_left(a) < want)
				want = (size_t)imap_asm_literal_left(a);
			size_t n = linereader_take(lr, tmp, want);
			if (n == 0)
				return 0;
			if (imap_asm_literal(a, tmp, n) != n)
				return -1;
			continue;
		}
		if (linereader_get(lr, &line, &len, &end) != LINE_OK)
			return 0;
		int st = imap_asm_line(a, line, len, &m, &err);
		if (st < 0)
			return -1;
		if (st == IMAP_ASM_DONE) {
			const char *d = imap_asm_data(a, &len);
			if (r->ncmd >= 3 || len > sizeof(r->data[0]))
				return -1;
			memcpy(r->data[r->ncmd], d, len);
			r->lens[r->ncmd++] = len;
			imap_asm_reset(a);
		}
	}
}

/* Feed a, drive, feed b, drive: the same three commands come out. */
static int
split_frame(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	struct imap_asm_limits lim = { 1000, 4, 0 };
	struct linereader *lr = linereader_new(200);
	struct imap_asm *as = imap_asm_new(&lim);
	struct split_result r = { 0 };
	int bad = 1;

	(void)ctx;
	if (linereader_feed(lr, a, alen) != alen || drive(lr, as, &r) < 0 ||
	    linereader_feed(lr, b, blen) != blen || drive(lr, as, &r) < 0)
		goto out;
	if (r.ncmd != 3 || r.lens[0] != 24 ||
	    memcmp(r.data[0], "A1 LOGIN {4}\r\nj\0e \"pw\"\r\n", 24) != 0)
		goto out;
	if (r.lens[1] != 44 || memcmp(r.data[1], wire + 24, 44) != 0)
		goto out;
	if (r.lens[2] != 9 || memcmp(r.data[2], "A3 NOOP\r\n", 9) != 0)
		goto out;
	bad = 0;
out:
	imap_asm_free(&as);
	linereader_free(&lr);
	return bad;
}

/* The assembler gives the exact wire bytes however the input is split. */
static void
test_frame_split(void)
{
	CHECK(test_split_feed(wire, sizeof(wire) - 1, split_frame, NULL) == 0);
}

/* The assembler's limits: bytes, literal count, LITERAL-. */
static void
test_frame_limits(void)
{
	struct imap_asm_limits lim = { 64, 1, 1 };
	struct imap_asm *a = imap_asm_new(&lim);
	struct imap_literal_mark m;
	const char *err = NULL;

	CHECK(imap_asm_line(a, "a X {4097+}", 11, &m, &err) == -1);
	CHECK(m.kind == IMAP_LIT_NONSYNC && m.size == 4097 && err != NULL);
	imap_asm_reset(a);
	CHECK(imap_asm_line(a, "a X {60}", 8, &m, &err) == -1);
	imap_asm_reset(a);
	CHECK(imap_asm_line(a, "a X {3}", 7, &m, &err) == IMAP_ASM_LITERAL);
	CHECK(imap_asm_literal(a, "abcdef", 6) == 3);
	CHECK(imap_asm_literal_left(a) == 0);
	CHECK(imap_asm_line(a, " {1}", 4, &m, &err) == -1);
	imap_asm_reset(a);
	CHECK(imap_asm_line(a, "a X {0}", 7, &m, &err) == IMAP_ASM_LITERAL);
	CHECK(imap_asm_line(a, "", 0, &m, &err) == IMAP_ASM_DONE);
	imap_asm_reset(a);
	CHECK(imap_asm_line(a, "a X {4+}", 8, &m, &err) == IMAP_ASM_LITERAL);
	CHECK(imap_asm_line(a, "a", 1, &m, &err) == -1);
	imap_asm_free(&a);
	CHECK(a == NULL);
}

/* Tags, names and UID. */
static void
test_cmd_names(void)
{
	struct imap_cmd c;
	const char *err;

	CHECK(cmd("a1 noop", &c, &err) == 0);
	CHECK(strcmp(c.tag, "a1") == 0 && strcmp(c.name, "NOOP") == 0);
	CHECK(c.count == 0 && !c.uid);
	CHECK(cmd("x] Capability\r\n", &c, &err) == 0 && c.count == 0);
	CHECK(strcmp(c.tag, "x]") == 0);
	CHECK(cmd("t uid fetch 1:* FLAGS", &c, &err) == 0 && c.uid);
	CHECK(strcmp(c.name, "FETCH") == 0 && c.count == 2);
	CHECK(cmd("t UID", &c, &err) == -1 && strcmp(c.tag, "t") == 0);
	CHECK(cmd("a+b NOOP", &c, &err) == -1 && c.tag == NULL);
	CHECK(cmd("a*b NOOP", &c, &err) == -1 && c.tag == NULL);
	CHECK(cmd("+ NOOP", &c, &err) == -1 && c.tag == NULL);
	CHECK(cmd("* NOOP", &c, &err) == -1 && c.tag == NULL);
	CHECK(cmd("a\"b NOOP", &c, &err) == -1 && c.tag == NULL);
	CHECK(cmd("", &c, &err) == -1 && err != NULL);
	CHECK(cmd("tag", &c, &err) == -1 && strcmp(c.tag, "tag") == 0);
	CHECK(cmd("tag ", &c, &err) == -1);
	CHECK(cmd("t  NOOP", &c, &err) == -1);
	CHECK(cmd("t NO(OP", &c, &err) == -1);
	CHECK(cmd("t NOOP ", &c, &err) == 0);
	CHECK(cmd("t NOOP  \r\n", &c, &err) == 0);
	CHECK(cmd("t NOOP\r\nx", &c, &err) == -1);
	char tag[IMAP_TAG_MAX + 8];
	memset(tag, 'a', sizeof(tag));
	memcpy(tag + IMAP_TAG_MAX, " X", 3);
	CHECK(cmd(tag, &c, &err) == 0);
	memcpy(tag + IMAP_TAG_MAX, "a X", 4);
	CHECK(cmd(tag, &c, &err) == -1);
}

/* Atoms, numbers, NIL, quoted strings, lists. */
static void
test_args_basic(void)
{
	struct imap_cmd c;
	const char *err, *p;
	size_t n;
	uint32_t v;

	CHECK(cmd("a X atom 42 nil \"q \\\"x\\\\\" (1 (2) ()) \\Seen 1:*,3 %/*",
	    &c, &err) == 0);
	CHECK(c.count == 8);
	CHECK(c.args[0].type == IMAP_ARG_ATOM && strcmp(c.args[0].str,
	    "atom") == 0);
	CHECK(c.args[1].type == IMAP_ARG_NUMBER && c.args[1].len == 2);
	CHECK(imap_arg_number32(&c.args[1], 1, &v) == 0 && v == 42);
	CHECK(c.args[2].type == IMAP_ARG_NIL);
	CHECK(c.args[3].type == IMAP_ARG_QUOTED && c.args[3].len == 5);
	CHECK(memcmp(c.args[3].str, "q \"x\\", 5) == 0);
	CHECK(c.args[4].type == IMAP_ARG_LIST && c.args[4].count == 3);
	CHECK(c.args[4].list[1].type == IMAP_ARG_LIST);
	CHECK(c.args[4].list[1].count == 1 && c.args[4].list[2].count == 0);
	CHECK(c.args[5].type == IMAP_ARG_ATOM && c.args[5].len == 5);
	CHECK(strcmp(c.args[6].str, "1:*,3") == 0);
	CHECK(imap_arg_list_mailbox(&c.args[7], &p, &n) == 0 && n == 3);
	CHECK(imap_arg_astring(&c.args[7], &p, &n) == -1);
	CHECK(imap_arg_astring(&c.args[2], &p, &n) == 0 && n == 3);
	CHECK(imap_arg_nstring(&c.args[2], &p, &n) == 0 && p == NULL);
	CHECK(imap_arg_astring(&c.args[4], &p, &n) == -1);
	CHECK(imap_arg_astring(&c.args[5], &p, &n) == -1);
	CHECK(imap_arg_string(&c.args[0], &p, &n) == -1);
	CHECK(imap_arg_atom_is(&c.args[0], "ATOM"));
	CHECK(!imap_arg_atom_is(&c.args[3], "ATOM"));
	CHECK(cmd("a X \"\"", &c, &err) == 0 && c.args[0].len == 0);
	CHECK(cmd("a X \"caf\xc3\xa9\"", &c, &err) == 0);
	CHECK(cmd("a X \"caf\xe9\"", &c, &err) == -1);
	CHECK(cmd("a X \"\xc0\xaf\"", &c, &err) == -1);
	CHECK(cmd("a X \"a\\b\"", &c, &err) == -1);
	CHECK(cmd("a X \"abc", &c, &err) == -1);
	CHECK(cmd("a X \"a\rb\"", &c, &err) == -1);
	CHECK(cmd("a X (a b", &c, &err) == -1);
	CHECK(cmd("a X a b)", &c, &err) == -1);
	CHECK(cmd("a X ( a)", &c, &err) == -1);
	CHECK(cmd("a X (a )", &c, &err) == -1);
	CHECK(cmd("a X a  b", &c, &err) == -1);
	CHECK(cmd("a X a\tb", &c, &err) == -1);
	CHECK(cmd("a X a{b", &c, &err) == -1);
	CHECK(cmd("a X \\", &c, &err) == -1);
	CHECK(cmd("a X foo[bar] x]", &c, &err) == 0 && c.count == 2);
	CHECK(strcmp(c.args[0].str, "foo[bar]") == 0 && !c.args[0].has_section);
	CHECK(imap_arg_astring(&c.args[1], &p, &n) == 0 && n == 2);
}

/* Literals and literal8 point into the buffer; NUL only in literal8. */
static void
test_args_literal(void)
{
	static const char in[] = "a X {3}\r\nab\0 ~{3+}\r\na\0b {0}\r\n (x)\r\n";
	static const char in2[] = "a X {3}\r\na\0b\r\n";
	struct imap_cmd c;
	const char *err, *p;
	size_t n;

	imap_pool_clear(pool);
	CHECK(imap_parse_cmd(in, 9, pool, &c, &err) == -1);
	CHECK(imap_parse_cmd(in, sizeof(in) - 1, pool, &c, &err) == -1);
	CHECK(strcmp(err, "NUL in literal (use literal8)") == 0);
	CHECK(imap_parse_cmd(in2, sizeof(in2) - 1, pool, &c, &err) == -1);
	CHECK(cmd("a X {3}\r\nabc ~{3+}\r\nxyz {0}\r\n (x)\r\n", &c, &err)
	    == 0);
	CHECK(c.count == 4 && c.args[0].type == IMAP_ARG_LITERAL);
	CHECK(c.args[0].len == 3 && memcmp(c.args[0].str, "abc", 3) == 0);
	CHECK(c.args[1].type == IMAP_ARG_LITERAL8 && c.args[1].len == 3);
	CHECK(c.args[2].type == IMAP_ARG_LITERAL && c.args[2].len == 0);
	CHECK(imap_arg_astring(&c.args[0], &p, &n) == 0 && n == 3);
	CHECK(imap_arg_astring(&c.args[1], &p, &n) == -1);
	CHECK(cmd("a X {4}\r\nab\r\n", &c, &err) == 0 && c.args[0].len == 4);
	CHECK(cmd("a X {5}\r\nab\r\n", &c, &err) == -1);
	CHECK(cmd("a X {2}x\r\nab", &c, &err) == -1);
	CHECK(cmd("a X {2}\r\nabc", &c, &err) == -1);
	CHECK(cmd("a X {-2}\r\nab", &c, &err) == -1);
	CHECK(cmd("a X {99999999999999999999}\r\nab", &c, &err) == -1);
	CHECK(cmd("a X {18446744073709551615}\r\nab", &c, &err) == -1);
	CHECK(cmd("a X (~{2}\r\na\0)", &c, &err) == -1);
}

/* Section atoms: BODY[...]<...> and friends, with lists inside. */
static void
test_args_section(void)
{
	struct imap_cmd c;
	const char *err;

	CHECK(cmd("a FETCH 1 (BODY.PEEK[HEADER.FIELDS (From \"To\" {2}\r\n"
	    "Cc)]<0.100> BODY[] binary[1.2] RFC822)", &c, &err) == 0);
	CHECK(c.count == 2 && c.args[1].count == 4);
	const struct imap_arg *b = &c.args[1].list[0];
	CHECK(b->has_section && strcmp(b->str, "BODY.PEEK") == 0);
	CHECK(b->count == 2 && strcmp(b->list[0].str, "HEADER.FIELDS") == 0);
	CHECK(b->list[1].type == IMAP_ARG_LIST && b->list[1].count == 3);
	CHECK(b->list[1].list[2].type == IMAP_ARG_LITERAL);
	CHECK(b->partial_len == 7 && memcmp(b->partial, "<0.100>", 7) == 0);
	b = &c.args[1].list[1];
	CHECK(b->has_section && b->count == 0 && b->partial_len == 0);
	b = &c.args[1].list[2];
	CHECK(b->has_section && b->count == 1 && strcmp(b->list[0].str,
	    "1.2") == 0);
	CHECK(cmd("a FETCH 1 BODY[TEXT", &c, &err) == -1);
	CHECK(cmd("a FETCH 1 BODY[TEXT]x", &c, &err) == 0);
	CHECK(cmd("a FETCH 1 BODY[TEXT]]", &c, &err) == -1);
	CHECK(cmd("a FETCH 1 BODY[a]b[c]", &c, &err) == -1);
	CHECK(cmd("a FETCH 1 XBODY[TEXT]", &c, &err) == 0);
	CHECK(!c.args[1].has_section);
}

/* Nesting and node-count bounds. */
static void
test_args_bounds(void)
{
	char deep[2 * IMAP_PARSE_DEPTH_MAX + 16];
	struct imap_cmd c;
	const char *err;
	size_t i, o = 0;

	memcpy(deep, "a X ", 4);
	o = 4;
	for (i = 0; i < IMAP_PARSE_DEPTH_MAX; i++)
		deep[o++] = '(';
	for (i = 0; i < IMAP_PARSE_DEPTH_MAX; i++)
		deep[o++] = ')';
	deep[o] = '\0';
	CHECK(cmd(deep, &c, &err) == 0);
	memmove(deep + 5, deep + 4, o - 4);
	deep[4] = '(';
	deep[o + 1] = ')';
	deep[o + 2] = '\0';
	CHECK(cmd(deep, &c, &err) == -1);

	size_t big = 4 + 2 * (IMAP_PARSE_ARGS_MAX + 1);
	char *many = malloc(big + 1);
	memcpy(many, "a X ", 4);
	for (i = 4; i < big; i += 2)
		memcpy(many + i, "x ", 2);
	many[big - 1] = '\0';
	CHECK(cmd(many, &c, &err) == -1 && strcmp(err,
	    "Command too complex") == 0);
	many[big - 3] = '\0';
	CHECK(cmd(many, &c, &err) == 0 && c.count == IMAP_PARSE_ARGS_MAX);
	free(many);

	struct imap_pool *small = imap_pool_new(256);
	CHECK(imap_parse_cmd("a X (1 2 3 4 5 6 7 8 9 10)", 26, small, &c,
	    &err) == -1);
	imap_pool_free(&small);
	CHECK(small == NULL);
}

/* Checked numbers and UTF-8. */
static void
test_numbers(void)
{
	uint32_t v;
	uint64_t w;

	CHECK(imap_num_parse32("4294967295", 10, 1, &v) == 0 && v == 4294967295u);
	CHECK(imap_num_parse32("4294967296", 10, 1, &v) == -1);
	CHECK(imap_num_parse32("0", 1, 1, &v) == -1);
	CHECK(imap_num_parse32("0", 1, 0, &v) == 0 && v == 0);
	CHECK(imap_num_parse32("", 0, 0, &v) == -1);
	CHECK(imap_num_parse32("+1", 2, 0, &v) == -1);
	CHECK(imap_num_parse64("9223372036854775807", 19, 1, &w) == 0);
	CHECK(imap_num_parse64("9223372036854775808", 19, 1, &w) == -1);
	CHECK(imap_utf8_valid("\xf4\x8f\xbf\xbf", 4));
	CHECK(!imap_utf8_valid("\xf4\x90\x80\x80", 4));
	CHECK(!imap_utf8_valid("\xed\xa0\x80", 3));
	CHECK(!imap_utf8_valid("\xe0\x80\xaf", 3));
	CHECK(!imap_utf8_valid("\xc3", 1));
}

int
main(void)
{
	pool = imap_pool_new(0);
	TEST_RUN(test_frame_marker);
	TEST_RUN(test_frame_split);
	TEST_RUN(test_frame_limits);
	TEST_RUN(test_cmd_names);
	TEST_RUN(test_args_basic);
	TEST_RUN(test_args_literal);
	TEST_RUN(test_args_section);
	TEST_RUN(test_args_bounds);
	TEST_RUN(test_numbers);
	imap_pool_free(&pool);
	TEST_EXIT();
}
