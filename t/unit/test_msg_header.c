/*
 * test_msg_header.c - unit tests for the RFC 5322 header reader and its
 * helpers (common/msg_header*.c): field names with blanks before the
 * colon, folded values unfolded, LF and CRLF line ends, the empty line,
 * a body with no header, lines that are no field (kept, or ending the
 * block with MSG_HEADER_NONFIELD_ENDS), the field length and count bounds,
 * raw offsets and sizes; RFC 2047 encoded-words (Q, B, joined words,
 * unknown charsets and malformed words kept); RFC 5322 address lists
 * (display names, quoted strings, comments, groups, routes, missing
 * domains).  Every reader case is fed whole, split in two at every byte
 * and one byte at a time, and all must give the same transcript.
 */
#include "harness.h"
#include "msg_header.h"

struct rcase {
	size_t field_max, count_max;
	int flags;
	const char *want;
};

/* Append one result to the transcript. */
static void
note(struct buf *t, enum msg_header_result r, const struct msg_header_field *f)
{
	int bad = 0;

	switch (r) {
	case MSG_HEADER_FIELD:
		bad |= buf_printf(t, "[%.*s|%.*s|%zu+%zu]",
		    (f->flags & MSG_HEADER_F_NONFIELD) ? 1 : (int)f->name_len,
		    (f->flags & MSG_HEADER_F_NONFIELD) ? "!" : f->name,
		    (int)f->value_len, f->value, f->offset, f->size);
		if (f->raw_len != f->size)
			bad |= buf_append_str(t, "RAW?");
		break;
	case MSG_HEADER_TOO_LONG:
		bad |= buf_printf(t, "[%.*s:LONG|%zu+%zu]", (int)f->name_len,
		    f->name, f->offset, f->size);
		break;
	case MSG_HEADER_TOO_MANY:
		bad |= buf_append_str(t, "[MANY]");
		break;
	case MSG_HEADER_END:
		bad |= buf_printf(t, "@%zu", f->offset);
		break;
	case MSG_HEADER_MORE:
		break;
	}
	if (bad)
		abort();
}

/* Feed one chunk; 1 when the block ended. */
static int
feed(struct msg_header *h, const char *p, size_t len, struct buf *t)
{
	struct msg_header_field f;
	size_t used;

	while (len > 0) {
		enum msg_header_result r = msg_header_feed(h, p, len, &used,
		    &f);

		note(t, r, &f);
		if (r == MSG_HEADER_END)
			return 1;
		p += used;
		len -= used;
	}
	return 0;
}

/* Finish the input: the remaining results. */
static void
finish(struct msg_header *h, struct buf *t)
{
	struct msg_header_field f;
	enum msg_header_result r;

	do {
		r = msg_header_finish(h, &f);
		note(t, r, &f);
	} while (r != MSG_HEADER_END);
}

static int
split_case(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	const struct rcase *c = ctx;
	struct msg_header *h = msg_header_new(c->field_max, c->count_max,
	    c->flags);
	struct buf *t = buf_new(256, 0);
	int bad;

	if (!feed(h, a, alen, t) && !feed(h, b, blen, t))
		finish(h, t);
	bad = strcmp(buf_cstr(t), c->want) != 0;
	msg_header_free(&h);
	buf_free(&t);
	return bad;
}

/* Whole, split at every byte, and byte by byte: the number of misses. */
static int
all_ways(const char *in, size_t field_max, size_t count_max, int flags,
    const char *want)
{
	struct rcase c = { field_max, count_max, flags, want };
	struct msg_header *h = msg_header_new(field_max, count_max, flags);
	struct buf *t = buf_new(256, 0);
	size_t i, n = strlen(in);
	int bad;

	for (i = 0; i < n; i++)
		if (feed(h, in + i, 1, t))
			break;
	if (i == n)
		finish(h, t);
	bad = strcmp(buf_cstr(t), want) != 0;
	if (bad)
		printf("# bytewise got %s\n", buf_cstr(t));
	msg_header_free(&h);
	buf_free(&t);
	return bad + test_split_feed(in, n, split_case, &c);
}

static void
test_fields_and_end(void)
{
	CHECK(all_ways("Subject: hi\nDelivered-To : a@b\nX:\n\nbody\n",
	    1000, 0, 0, "[Subject|hi|0+12][Delivered-To|a@b|12+19][X||31+3]"
	    "@35") == 0);
}

static void
test_folding(void)
{
	CHECK(all_ways("Delivered-To:\n  user@x\nSubject: a\n\tb  \n\nB",
	    1000, 0, 0, "[Delivered-To|user@x|0+23][Subject|a\tb|23+16]@40")
	    == 0);
}

static void
test_crlf(void)
{
	CHECK(all_ways("A: 1\r\nB: 2\r\n x\r\n\r\nbody\r\n", 1000, 0, 0,
	    "[A|1|0+6][B|2 x|6+10]@18") == 0);
}

static void
test_no_header(void)
{
	CHECK(all_ways("\nbody\n", 1000, 0, 0, "@1") == 0);
	CHECK(all_ways("\r\nbody\n", 1000, 0, 0, "@2") == 0);
	CHECK(all_ways("", 1000, 0, 0, "@0") == 0);
}

static void
test_no_blank_line(void)
{
	CHECK(all_ways("A: 1\nB: 2", 1000, 0, 0, "[A|1|0+5][B|2|5+4]@9") == 0);
	CHECK(all_ways("A: 1\n", 1000, 0, 0, "[A|1|0+5]@5") == 0);
	CHECK(all_ways("A: 1\n\r", 1000, 0, 0, "[A|1|0+5]@5") == 0);
}

static void
test_nonfield(void)
{
	/* kept as a line that is no field, in the block */
	CHECK(all_ways("A: 1\nno field here\n x\nBad Name: 2\n\n", 1000, 0,
	    0, "[A|1|0+5][!|no field here x|5+17][!|Bad Name: 2|22+12]@35")
	    == 0);
	/* a leading continuation has no field to continue */
	CHECK(all_ways(" x: 1\n\n", 1000, 0, 0, "[!|x: 1|0+6]@7") == 0);
	/* or the body starts at it */
	CHECK(all_ways("A: 1\nthis is body\nC: 3\n\n", 1000, 0,
	    MSG_HEADER_NONFIELD_ENDS, "[A|1|0+5]@5") == 0);
	CHECK(all_ways("body only", 1000, 0, MSG_HEADER_NONFIELD_ENDS, "@0")
	    == 0);
}

static void
test_too_long(void)
{
	CHECK(all_ways("Short: 1\nLongname: 0123456789\n 0123456789\nC: 3\n\n",
	    20, 0, 0, "[Short|1|0+9][Longname:LONG|9+33][C|3|42+5]@48") == 0);
	/* a name longer than the bound */
	CHECK(all_ways("Averyveryverylongname: x\n\n", 8, 0, 0,
	    "[:LONG|0+25]@26") == 0);
}

static void
test_too_many(void)
{
	CHECK(all_ways("A: 1\nB: 2\nC: 3\nD: 4\n\nx", 1000, 2, 0,
	    "[A|1|0+5][B|2|5+5][MANY]@21") == 0);
}

static void
test_name_is_unfold(void)
{
	struct buf *b = buf_new(16, 64);

	CHECK(msg_header_name_is("RECEIVED", 8, "Received"));
	CHECK(!msg_header_name_is("Receive", 7, "Received"));
	CHECK(!msg_header_name_is("Received-SPF", 12, "Received"));
	CHECK(msg_header_unfold("a\r\n b\n\tc\rd", 10, b) == 0);
	CHECK(b->len == 7 && memcmp(b->data, "a b\tc\rd", 7) == 0);
	buf_free(&b);
	b = buf_new(4, 4);
	CHECK(msg_header_unfold("abcdef", 6, b) < 0);
	buf_free(&b);
}

/* decode_words(in) == want */
static int
words(const char *in, const char *want)
{
	struct buf *b = buf_new(64, 4096);
	int bad = msg_header_decode_words(in, strlen(in), b) != 0 ||
	    strcmp(buf_cstr(b), want) != 0;

	if (bad)
		printf("# words got '%s' want '%s'\n", buf_cstr(b), want);
	buf_free(&b);
	return bad;
}

static void
test_encoded_words(void)
{
	CHECK(words("=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xc3\xa9 Pirard")
	    == 0);
	CHECK(words("=?utf-8?B?w6k=?=", "\xc3\xa9") == 0);
	CHECK(words("=?utf-8?b?w6k?=", "\xc3\xa9") == 0);	/* unpadded */
	CHECK(words("=?US-ASCII?Q?a_b?= =?US-ASCII?Q?c?=", "a bc") == 0);
	CHECK(words("(=?ISO-8859-1?Q?a?= b)", "(a b)") == 0);
	/* a UTF-8 character split across two words */
	CHECK(words("=?utf-8?Q?=C3?= =?utf-8?Q?=A9?=", "\xc3\xa9") == 0);
	CHECK(words("=?x-unknown?Q?abc?= d", "=?x-unknown?Q?abc?= d") == 0);
	CHECK(words("=?utf-8?X?abc?=", "=?utf-8?X?abc?=") == 0);
	CHECK(words("=?utf-8?B?!!!!?=", "=?utf-8?B?!!!!?=") == 0);
	CHECK(words("=?utf-8?Q?open", "=?utf-8?Q?open") == 0);
	CHECK(words("=?utf-8*en?Q?lang?=", "lang") == 0);
	CHECK(words("=?utf-8?Q?=FF?=", "\xef\xbf\xbd") == 0);
	CHECK(words("plain  text", "plain  text") == 0);
}

static void
test_words_bounded(void)
{
	struct buf *b = buf_new(4, 4);

	CHECK(msg_header_decode_words("=?utf-8?Q?abcdef?=", 18, b) < 0);
	buf_free(&b);
}

/* The address list as "kind:name/route/mailbox/host;" entries. */
static int
addrs(const char *in, const char *want)
{
	struct msg_header_addr *l;
	struct buf *t = buf_new(64, 0);
	size_t n;
	int bad = msg_header_addr_parse(in, strlen(in), 0, &l, &n) != 0;

	for (size_t i = 0; i < n && !bad; i++)
		bad |= buf_printf(t, "%d:%s/%s/%s/%s;", (int)l[i].kind,
		    l[i].name ? l[i].name : "NIL",
		    l[i].route ? l[i].route : "NIL",
		    l[i].mailbox ? l[i].mailbox : "NIL",
		    l[i].host ? l[i].host : "NIL");
	bad |= strcmp(buf_cstr(t), want) != 0;
	if (bad)
		printf("# addrs got  %s\n# addrs want %s\n", buf_cstr(t), want);
	msg_header_addr_free(&l, n);
	buf_free(&t);
	return bad;
}

static void
test_addresses(void)
{
	CHECK(addrs("a@b.example", "0:NIL/NIL/a/b.example;") == 0);
	CHECK(addrs("John Q. Public <jq@x.example>, \"Doe, J\" <d@y>",
	    "0:John Q. Public/NIL/jq/x.example;0:Doe, J/NIL/d/y;") == 0);
	CHECK(addrs("\"a b\"@c (Comment here)",
	    "0:Comment here/NIL/a b/c;") == 0);
	CHECK(addrs("Undisclosed recipients:;",
	    "1:NIL/NIL/Undisclosed recipients/NIL;2:NIL/NIL/NIL/NIL;") == 0);
	CHECK(addrs("team: a@b, C <c@d>; , e@f",
	    "1:NIL/NIL/team/NIL;0:NIL/NIL/a/b;0:C/NIL/c/d;"
	    "2:NIL/NIL/NIL/NIL;0:NIL/NIL/e/f;") == 0);
	CHECK(addrs("empty: ;", "1:NIL/NIL/empty/NIL;2:NIL/NIL/NIL/NIL;") == 0);
	CHECK(addrs("<@r1,@r2:u@h>", "0:NIL/@r1,@r2/u/h;") == 0);
	CHECK(addrs("nodomain", "0:NIL/NIL/nodomain/NIL;") == 0);
	CHECK(addrs("a . b @ c . d", "0:NIL/NIL/a.b/c.d;") == 0);
	CHECK(addrs("x@[1.2.3.4]", "0:NIL/NIL/x/[1.2.3.4];") == 0);
	CHECK(addrs(",,  , ", "") == 0);
	CHECK(addrs("=?utf-8?Q?J=C3=B6rg?= <j@x>",
	    "0:=?utf-8?Q?J=C3=B6rg?=/NIL/j/x;") == 0);
	CHECK(addrs("A\n (c) <a@b>", "0:A/NIL/a/b;") == 0);
	CHECK(addrs(">junk<, a@b", "0:NIL/NIL/a/b;") == 0);
}

static void
test_addresses_bounded(void)
{
	struct msg_header_addr *l;
	size_t n;

	CHECK(msg_header_addr_parse("a@b, c@d, e@f", 13, 2, &l, &n) < 0);
	CHECK(n == 2);
	msg_header_addr_free(&l, n);
	CHECK(l == NULL);
}

int
main(void)
{
	TEST_RUN(test_fields_and_end);
	TEST_RUN(test_folding);
	TEST_RUN(test_crlf);
	TEST_RUN(test_no_header);
	TEST_RUN(test_no_blank_line);
	TEST_RUN(test_nonfield);
	TEST_RUN(test_too_long);
	TEST_RUN(test_too_many);
	TEST_RUN(test_name_is_unfold);
	TEST_RUN(test_encoded_words);
	TEST_RUN(test_words_bounded);
	TEST_RUN(test_addresses);
	TEST_RUN(test_addresses_bounded);
	TEST_EXIT();
}
