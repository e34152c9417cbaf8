/*
 * test_mime_parse.c - unit tests for the MIME structure parser
 * (common/mime_parse.c, common/mime_param.c): header and body offsets,
 * sizes, virtual (CRLF) sizes and line counts; multipart preamble,
 * epilogue, nesting, message/rfc822 inside a multipart; the broken cases
 * (no boundary parameter, no boundary line, no final boundary, too deep);
 * multipart/digest defaults; the MIME fields; RFC 2231 continuations and
 * charsets; IMAP section numbers.  The parser takes a whole message, so
 * instead of split feeding every test message is also parsed cut at every
 * byte, and every tree must stay inside its input.
 */
#include "buf.h"
#include "harness.h"
#include "mime_parse.h"

/* Pre-order dump: type/subtype[hoff+hsize,boff+bsize,lines](children). */
static void
dump(const struct mime_message *m, size_t i, struct buf *t)
{
	const struct mime_part *pt = &m->parts[i];

	if (buf_printf(t, "%s/%s[%zu+%zu,%zu+%zu,%zu]", pt->ct.type,
	    pt->ct.subtype, pt->header_offset, pt->header_size,
	    pt->body_offset, pt->body_size, pt->body_lines) < 0)
		abort();
	if (pt->first_child == MIME_PART_NONE)
		return;
	if (buf_append_char(t, '(') < 0)
		abort();
	for (size_t k = pt->first_child; k != MIME_PART_NONE;
	    k = m->parts[k].next)
		dump(m, k, t);
	if (buf_append_char(t, ')') < 0)
		abort();
}

/* 1 when every part of the tree lies inside [0, len). */
static int
inside(const struct mime_message *m, size_t len)
{
	for (size_t i = 0; i < m->nparts; i++) {
		const struct mime_part *pt = &m->parts[i];

		if (pt->header_offset + pt->header_size != pt->body_offset ||
		    pt->body_offset + pt->body_size > len ||
		    pt->ct.type == NULL || pt->ct.subtype == NULL)
			return 0;
	}
	return m->nparts > 0;
}

/* Parse in and compare the dump; also parse every prefix. */
static int
tree_is(const char *in, const char *want, int flags0)
{
	size_t len = strlen(in);
	struct mime_message *m = mime_parse(in, len);
	struct buf *t = buf_new(256, 0);
	int bad;

	dump(m, 0, t);
	bad = strcmp(buf_cstr(t), want) != 0 || !inside(m, len) ||
	    (flags0 >= 0 && m->parts[0].flags != flags0);
	if (bad)
		printf("# got  %s flags %d\n# want %s\n", buf_cstr(t),
		    m->parts[0].flags, want);
	mime_message_free(&m);
	for (size_t i = 0; i < len; i++) {
		m = mime_parse(in, i);
		bad += !inside(m, i);
		mime_message_free(&m);
	}
	buf_free(&t);
	return bad;
}

static const char nested[] =
    "From: a@b\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\n"
    "\n"
    "preamble\n"
    "--outer\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "\n"
    "one\n"
    "two\n"
    "--outer\n"
    "Content-Type: multipart/alternative; boundary=inner\n"
    "\n"
    "--inner\n"
    "\n"
    "plain\n"
    "--inner\n"
    "Content-Type: text/html\n"
    "\n"
    "<p>\n"
    "--inner--\n"
    "--outer\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "Subject: inner\n"
    "\n"
    "body\n"
    "--outer--\n"
    "epilogue\n";

static void
test_nested(void)
{
	CHECK(tree_is(nested,
	    "multipart/mixed[0+59,59+267,25]("
	    "text/plain[76+41,117+7,1]"
	    "multipart/alternative[133+53,186+61,7]("
	    "text/plain[194+1,195+5,0]text/html[209+25,234+3,0])"
	    "message/rfc822[256+30,286+20,2]("
	    "text/plain[286+16,302+4,0]))", MIME_PART_MULTIPART) == 0);
}

static void
test_plain_and_crlf(void)
{
	const char *in = "Subject: x\r\n\r\nline\r\nline2\r\n";
	struct mime_message *m = mime_parse(in, strlen(in));

	CHECK(m->nparts == 1 && m->parts[0].header_size == 14);
	CHECK(m->parts[0].body_size == 13 && m->parts[0].body_vsize == 13);
	CHECK(m->parts[0].body_lines == 2 && m->parts[0].header_lines == 2);
	CHECK(m->parts[0].flags == MIME_PART_CT_DEFAULT);
	CHECK(strcmp(m->parts[0].ct.params[0].value, "us-ascii") == 0);
	mime_message_free(&m);
	in = "Subject: x\n\nline\nline2";
	m = mime_parse(in, strlen(in));
	CHECK(m->parts[0].header_vsize == 14 && m->parts[0].body_vsize == 11);
	CHECK(m->parts[0].body_lines == 1);
	mime_message_free(&m);
	CHECK(tree_is("", "text/plain[0+0,0+0,0]", MIME_PART_CT_DEFAULT) == 0);
	CHECK(tree_is("no header at all\n", "text/plain[0+17,17+0,0]", -1)
	    == 0);
}

static void
test_broken_boundaries(void)
{
	/* no boundary parameter: a multipart without parts */
	CHECK(tree_is("Content-Type: multipart/mixed\n\n--x\n\nA\n--x--\n",
	    "multipart/mixed[0+31,31+13,4]", MIME_PART_MULTIPART |
	    MIME_PART_BROKEN_BOUNDARY | MIME_PART_NO_PARTS) == 0);
	CHECK(tree_is("Content-Type: multipart/mixed; boundary=\"\"\n\nA\n",
	    "multipart/mixed[0+44,44+2,1]", MIME_PART_MULTIPART |
	    MIME_PART_BROKEN_BOUNDARY | MIME_PART_NO_PARTS) == 0);
	/* no boundary line: no parts */
	CHECK(tree_is("Content-Type: multipart/mixed; boundary=b\n\nA\n",
	    "multipart/mixed[0+43,43+2,1]",
	    MIME_PART_MULTIPART | MIME_PART_NO_PARTS) == 0);
	/* no final boundary: the last part runs to the end */
	CHECK(tree_is("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nA\n"
	    "--b\n\nB\n", "multipart/mixed[0+43,43+14,6](text/plain[47+1,48+1,0]"
	    "text/plain[54+1,55+2,1])",
	    MIME_PART_MULTIPART | MIME_PART_NO_END) == 0);
	/* an outer boundary ends an unterminated inner multipart */
	CHECK(tree_is("Content-Type: multipart/mixed; boundary=o\n\n--o\n"
	    "Content-Type: multipart/mixed; boundary=i\n\n--i\n\nA\n--o\n\nB\n"
	    "--o--\n", "multipart/mixed[0+43,43+67,10](multipart/mixed"
	    "[47+43,90+6,2](text/plain[94+1,95+1,0])text/plain[101+1,102+1,0])",
	    MIME_PART_MULTIPART) == 0);
	/* a boundary line with text after it still counts (RFC 2046 prefix) */
	CHECK(tree_is("Content-Type: multipart/mixed; boundary=b\n\n--b  x\n\nA"
	    "\n--b--junk\n", "multipart/mixed[0+43,43+20,4](text/plain"
	    "[50+1,51+1,0])", MIME_PART_MULTIPART) == 0);
}

static void
test_depth_bound(void)
{
	struct buf *b = buf_new(4096, 0);
	struct mime_message *m;
	int bad = 0;

	for (int i = 0; i < 60; i++)
		bad |= buf_printf(b, "Content-Type: multipart/mixed; "
		    "boundary=b%dx\n\n--b%dx\n", i, i);
	bad |= buf_append_str(b, "\nleaf\n");
	CHECK(bad == 0);
	m = mime_parse(b->data, b->len);
	CHECK(m->truncated && m->nparts == MIME_PARSE_DEPTH);
	CHECK(inside(m, b->len));
	mime_message_free(&m);
	buf_free(&b);
}

static void
test_digest_default(void)
{
	CHECK(tree_is("Content-Type: multipart/digest; boundary=d\n\n--d\n\n"
	    "Subject: s\n\nx\n--d\nContent-Type: text/plain\n\ny\n--d--\n",
	    "multipart/digest[0+44,44+57,10](message/rfc822[48+1,49+13,2]"
	    "(text/plain[49+12,61+1,0])text/plain[67+26,93+1,0])",
	    MIME_PART_MULTIPART) == 0);
}

static void
test_fields(void)
{
	const char *in = "Content-Type: TEXT/Plain (c); charset=\"ISO-8859-1\";"
	    "\n format=flowed\nContent-Transfer-Encoding: Quoted-Printable"
	    " (x)\nContent-ID: <id@x>\nContent-Description: desc\n"
	    "Content-Disposition: attachment; filename=\"a b.txt\"\n"
	    "Content-Language: en, de\nContent-Location: http://x/\n"
	    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n"
	    "Content-Type: text/html\n\nbody\n";
	struct mime_message *m = mime_parse(in, strlen(in));
	const struct mime_part *pt = &m->parts[0];

	CHECK(strcmp(pt->ct.type, "TEXT") == 0 &&
	    strcmp(pt->ct.subtype, "Plain") == 0);
	CHECK(pt->ct.nparams == 2);
	CHECK(strcmp(mime_param_get(pt->ct.params, 2, "CHARSET")->value,
	    "ISO-8859-1") == 0);
	CHECK(strcmp(pt->ct.params[1].name, "format") == 0);
	CHECK(strcmp(pt->encoding, "Quoted-Printable") == 0);
	CHECK(strcmp(pt->id, "<id@x>") == 0);
	CHECK(strcmp(pt->description, "desc") == 0);
	CHECK(strcmp(pt->disposition, "attachment") == 0);
	CHECK(pt->ndisp_params == 1 &&
	    strcmp(pt->disp_params[0].value, "a b.txt") == 0);
	CHECK(strcmp(pt->language, "en, de") == 0);
	CHECK(strcmp(pt->location, "http://x/") == 0);
	CHECK(strcmp(pt->md5, "Q2hlY2sgSW50ZWdyaXR5IQ==") == 0);
	mime_message_free(&m);
}

static void
test_rfc2231(void)
{
	const char *v = "; title*0*=us-ascii'en'This%20is%20; title*1*=even;"
	    " title*2=\" more\"; name*=utf-8''%E2%82%AC; plain=x; plain*0=y;"
	    " bad@=z; junk ; n*1=second; n*0=first";
	struct mime_param *l;
	size_t n;

	CHECK(mime_param_parse(v, strlen(v), &l, &n) == 0);
	CHECK(n == 4);
	CHECK(strcmp(l[0].name, "title") == 0 &&
	    strcmp(l[0].value, "This is even more") == 0);
	CHECK(l[0].extended && strcmp(l[0].charset, "us-ascii") == 0 &&
	    strcmp(l[0].language, "en") == 0);
	CHECK(strcmp(l[0].raw, "us-ascii'en'This%20is%20even more") == 0);
	CHECK(strcmp(l[1].name, "name") == 0 &&
	    strcmp(l[1].value, "\xe2\x82\xac") == 0 &&
	    strcmp(l[1].charset, "utf-8") == 0);
	CHECK(strcmp(l[2].name, "plain") == 0 && strcmp(l[2].value, "y") == 0);
	CHECK(strcmp(l[3].name, "n") == 0 &&
	    strcmp(l[3].value, "firstsecond") == 0 && !l[3].extended);
	mime_param_free(&l, n);
	CHECK(l == NULL);
}

static void
test_params_bounded(void)
{
	struct buf *b = buf_new(1024, 0);
	struct mime_param *l;
	size_t n;

	for (int i = 0; i < MIME_PARAM_MAX + 5; i++)
		CHECK(buf_printf(b, "; p%d=v", i) == 0);
	CHECK(mime_param_parse(b->data, b->len, &l, &n) < 0);
	CHECK(n == MIME_PARAM_MAX);
	mime_param_free(&l, n);
	buf_free(&b);
}

/* The section's part as "type/subtype@body_offset", or "NONE". */
static int
section_is(const struct mime_message *m, const char *s, const char *want)
{
	const struct mime_part *pt = mime_part_section(m, s, strlen(s));
	char got[128];

	if (pt == NULL)
		snprintf(got, sizeof(got), "NONE");
	else
		snprintf(got, sizeof(got), "%s/%s@%zu", pt->ct.type,
		    pt->ct.subtype, pt->body_offset);
	if (strcmp(got, want) != 0)
		printf("# section %s got %s want %s\n", s, got, want);
	return strcmp(got, want) != 0;
}

static void
test_sections(void)
{
	struct mime_message *m = mime_parse(nested, strlen(nested));

	CHECK(section_is(m, "", "multipart/mixed@59") == 0);
	CHECK(section_is(m, "1", "text/plain@117") == 0);
	CHECK(section_is(m, "2", "multipart/alternative@186") == 0);
	CHECK(section_is(m, "2.2", "text/html@234") == 0);
	CHECK(section_is(m, "3", "message/rfc822@286") == 0);
	CHECK(section_is(m, "3.1", "text/plain@302") == 0);
	CHECK(section_is(m, "3.2", "NONE") == 0);
	CHECK(section_is(m, "1.1", "NONE") == 0);
	CHECK(section_is(m, "4", "NONE") == 0);
	CHECK(section_is(m, "0", "NONE") == 0);
	CHECK(section_is(m, "1.", "NONE") == 0);
	CHECK(section_is(m, "x", "NONE") == 0);
	mime_message_free(&m);
	m = mime_parse("Subject: x\n\nbody\n", 17);
	CHECK(section_is(m, "1", "text/plain@12") == 0);
	CHECK(section_is(m, "2", "NONE") == 0);
	mime_message_free(&m);
}

int
main(void)
{
	TEST_RUN(test_nested);
	TEST_RUN(test_plain_and_crlf);
	TEST_RUN(test_broken_boundaries);
	TEST_RUN(test_depth_bound);
	TEST_RUN(test_digest_default);
	TEST_RUN(test_fields);
	TEST_RUN(test_rfc2231);
	TEST_RUN(test_params_bounded);
	TEST_RUN(test_sections);
	TEST_EXIT();
}
