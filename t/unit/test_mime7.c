/*
 * test_mime7.c - unit tests for the 8-bit to 7-bit MIME converter
 * (queue/mime7.c): plain messages get MIME headers and quoted-printable,
 * multipart trees keep their structure while only the 8-bit leaves are
 * encoded, 8bit labels become 7bit, trailing white space, "=" and long
 * lines are encoded per RFC 2045, and what cannot be converted (8-bit
 * headers, preambles, encoded parts) is refused with a reason.  Every case
 * runs both passes with the input whole, split at every byte, and one byte
 * at a time, and the output must be 7-bit with lines of at most 76 bytes
 * in the encoded parts.
 */
#include "harness.h"
#include "../../queue/mime7.h"

/* Both passes over the input fed as (a, b); the output, or NULL when the
 * message was refused (*why set). */
static char *
convert2(const char *a, size_t alen, const char *b, size_t blen,
    const char **why)
{
	struct mime7_plan plan;
	struct mime7 *m;
	struct buf *out = buf_new(256, 0);
	char *res = NULL;
	int r;

	mime7_plan_init(&plan);
	m = mime7_new(&plan, 0);
	r = mime7_feed(m, a, alen, NULL) | mime7_feed(m, b, blen, NULL) |
	    mime7_finish(m, NULL);
	mime7_free(&m);
	*why = plan.why;
	if (r == 0 && plan.why == NULL) {
		m = mime7_new(&plan, 1);
		if (mime7_feed(m, a, alen, out) == 0 &&
		    mime7_feed(m, b, blen, out) == 0 &&
		    mime7_finish(m, out) == 0)
			res = strdup(buf_cstr(out));
		mime7_free(&m);
	}
	mime7_plan_free(&plan);
	buf_free(&out);
	return res;
}

/* The same, one byte at a time. */
static char *
convert_bytewise(const char *in, const char **why)
{
	struct mime7_plan plan;
	struct mime7 *m;
	struct buf *out = buf_new(256, 0);
	size_t n = strlen(in);
	char *res = NULL;

	mime7_plan_init(&plan);
	int r = 0;

	m = mime7_new(&plan, 0);
	for (size_t i = 0; i < n; i++)
		r |= mime7_feed(m, in + i, 1, NULL);
	r |= mime7_finish(m, NULL);
	mime7_free(&m);
	*why = plan.why;
	if (r == 0 && plan.why == NULL) {

		m = mime7_new(&plan, 1);
		for (size_t i = 0; i < n; i++)
			r |= mime7_feed(m, in + i, 1, out);
		r |= mime7_finish(m, out);
		if (r == 0)
			res = strdup(buf_cstr(out));
		mime7_free(&m);
	}
	mime7_plan_free(&plan);
	buf_free(&out);
	return res;
}

struct want {
	const char *out;	/* NULL: refused */
	const char *why_part;	/* substring of the reason when refused */
};

static int
matches(const char *got, const char *why, const struct want *w)
{
	if (w->out == NULL)
		return got == NULL && why != NULL &&
		    strstr(why, w->why_part) != NULL;
	return got != NULL && strcmp(got, w->out) == 0;
}

static int
split_case(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	const char *why;
	char *got = convert2(a, alen, b, blen, &why);
	int bad = !matches(got, why, ctx);

	free(got);
	return bad;
}

/* Whole, split everywhere and byte by byte must all give w. */
static int
all_ways(const char *in, const struct want *w)
{
	const char *why;
	char *got = convert_bytewise(in, &why);
	int bad = !matches(got, why, w);

	free(got);
	return bad + test_split_feed(in, strlen(in), split_case, (void *)w);
}

/* 1 if every byte is 7-bit. */
static int
seven_bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s & 0x80)
			return 0;
	return 1;
}

/* Decode quoted-printable text (soft breaks, =XX). */
static char *
qp_decode(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	while (*s) {
		if (s[0] == '=' && s[1] == '\n') {
			s += 2;
		} else if (s[0] == '=' && s[1] && s[2]) {
			char hex[3] = { s[1], s[2], 0 };

			*o++ = (char)strtol(hex, NULL, 16);
			s += 3;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

/* Longest line of s. */
static size_t
longest_line(const char *s)
{
	size_t best = 0, cur = 0;

	for (; *s; s++) {
		cur = *s == '\n' ? 0 : cur + 1;
		if (cur > best)
			best = cur;
	}
	return best;
}

static void
test_ascii_unchanged(void)
{
	const char *in = "Received: x\nSubject: hi\n\nplain text\n.\nend\n";
	struct want w = { in, NULL };

	CHECK(all_ways(in, &w) == 0);
}

static void
test_plain_8bit(void)
{
	const char *in = "Subject: hi\n\nGr\xc3\xbc\xc3\x9f" "e = ok \n\tx\t\n";
	struct want w = { "Subject: hi\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=unknown-8bit\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "Gr=C3=BC=C3=9Fe =3D ok=20\n\tx=09\n", NULL };

	CHECK(all_ways(in, &w) == 0);
}

static void
test_plain_keeps_content_type(void)
{
	const char *in = "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n\xc3\xa9\n";
	struct want w = { "Content-Type: text/plain; charset=utf-8\n"
	    "MIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n=C3=A9\n", NULL };

	CHECK(all_ways(in, &w) == 0);
}

static void
test_no_final_newline(void)
{
	const char *in = "MIME-Version: 1.0\n\n\xe9 ";
	struct want w = { "MIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n=E9=20", NULL };

	CHECK(all_ways(in, &w) == 0);
}

static void
test_long_lines(void)
{
	char in[800], *got;
	const char *why, *body;
	char *dec;
	size_t o;

	o = (size_t)snprintf(in, sizeof(in), "MIME-Version: 1.0\n\n");
	for (int i = 0; i < 150; i++) {
		in[o++] = (char)0xc3;
		in[o++] = (char)0xa9;
		if (i % 37 == 0)
			in[o++] = ' ';
	}
	memcpy(in + o, "\n", 2);
	got = convert2(in, strlen(in), "", 0, &why);
	CHECK(got != NULL && seven_bit(got));
	CHECK(got != NULL && longest_line(got) <= 76);
	body = got != NULL ? strstr(got, "\n\n") : NULL;
	CHECK(body != NULL);
	if (body != NULL) {
		dec = qp_decode(body + 2);
		CHECK(strcmp(dec, strstr(in, "\n\n") + 2) == 0);
		free(dec);
	}
	free(got);
}

static void
test_long_ascii_line_in_8bit_part(void)
{
	char in[3000];
	const char *why;
	char *got;
	size_t o = (size_t)snprintf(in, sizeof(in),
	    "MIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n\n");

	memset(in + o, 'a', 1500);
	memcpy(in + o + 1500, "\n", 2);
	got = convert2(in, strlen(in), "", 0, &why);
	CHECK(got != NULL && strstr(got, "quoted-printable") != NULL);
	CHECK(got != NULL && longest_line(got) <= 76);
	free(got);
}

static const char multi_in[] =
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"=_outer\"\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "preamble\n"
    "--=_outer\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "caf\xc3\xa9\n"
    "--=_outer\n"
    "Content-Type: multipart/alternative;\n boundary=inner (comment)\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain\n"
    "Content-transfer-encoding : 8bit\n"
    "\n"
    "ascii only\n"
    "--inner\n"
    "Content-Type: text/html\n"
    "\n"
    "<p>\xc3\xbc</p>\n"
    "--inner--\n"
    "--=_outer\n"
    "Content-Type: message/rfc822\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "Subject: inner\n"
    "\n"
    "na\xc3\xafve\n"
    "--=_outer\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "AAEC\n"
    "--=_outer--\n"
    "epilogue\n";

static const char multi_out[] =
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"=_outer\"\n"
    "Content-Transfer-Encoding: 7bit\n"
    "\n"
    "preamble\n"
    "--=_outer\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "caf=C3=A9\n"
    "--=_outer\n"
    "Content-Type: multipart/alternative;\n boundary=inner (comment)\n"
    "\n"
    "--inner\n"
    "Content-Type: text/plain\n"
    "Content-Transfer-Encoding: 7bit\n"
    "\n"
    "ascii only\n"
    "--inner\n"
    "Content-Type: text/html\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "<p>=C3=BC</p>\n"
    "--inner--\n"
    "--=_outer\n"
    "Content-Type: message/rfc822\n"
    "Content-Transfer-Encoding: 7bit\n"
    "\n"
    "Subject: inner\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=unknown-8bit\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "na=C3=AFve\n"
    "--=_outer\n"
    "Content-Type: application/octet-stream\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "AAEC\n"
    "--=_outer--\n"
    "epilogue\n";

static void
test_multipart_tree(void)
{
	struct want w = { multi_out, NULL };

	CHECK(all_ways(multi_in, &w) == 0);
}

static void
test_outer_boundary_ends_inner(void)
{
	/* the inner multipart is never closed: the outer boundary ends it */
	const char *in = "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=A\n\n"
	    "--A\nContent-Type: multipart/related; boundary=B\n\n"
	    "--B\n\n\xff\n"
	    "--A\n\n\xfe\n--A--\n";
	struct want w = { "MIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=A\n\n"
	    "--A\nContent-Type: multipart/related; boundary=B\n\n"
	    "--B\nContent-Transfer-Encoding: quoted-printable\n\n=FF\n"
	    "--A\nContent-Transfer-Encoding: quoted-printable\n\n=FE\n"
	    "--A--\n", NULL };

	CHECK(all_ways(in, &w) == 0);
}

static void
test_refused(void)
{
	struct want hdr = { NULL, "header" }, pre = { NULL, "outside" },
	    enc = { NULL, "encoded" };

	CHECK(all_ways("Subject: caf\xc3\xa9\n\nbody\n", &hdr) == 0);
	CHECK(all_ways("MIME-Version: 1.0\nContent-Type: multipart/mixed; "
	    "boundary=x\n\npre \xe9\n--x\n\nhi\n--x--\n", &pre) == 0);
	CHECK(all_ways("MIME-Version: 1.0\nContent-Type: multipart/mixed; "
	    "boundary=x\n\n--x\n\nhi\n--x--\nepi \xe9\n", &pre) == 0);
	CHECK(all_ways("MIME-Version: 1.0\n"
	    "Content-Transfer-Encoding: base64\n\n\xe9\n", &enc) == 0);
	CHECK(all_ways("MIME-Version: 1.0\nContent-Type: multipart/mixed; "
	    "boundary=x\n\n--x\nSubject: caf\xc3\xa9\n\nhi\n--x--\n",
	    &hdr) == 0);
}

static void
test_boundary_lookalikes(void)
{
	/* "--xy" and "--x-" are no boundaries of "x"; "--x  " is (padding) */
	const char *in = "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
	    "boundary=x\n\n--x  \n\n\xe9\n--xy\n--x-\n--x--\n";
	struct want w = { "MIME-Version: 1.0\nContent-Type: multipart/mixed; "
	    "boundary=x\n\n--x  \nContent-Transfer-Encoding: quoted-printable"
	    "\n\n=E9\n--xy\n--x-\n--x--\n", NULL };

	CHECK(all_ways(in, &w) == 0);
}

static void
test_bounds(void)
{
	struct buf *b = buf_new(1024, 0);
	const char *why;
	char *got;

	/* nesting past MIME7_DEPTH */
	CHECK(buf_append_str(b, "MIME-Version: 1.0\n") == 0);
	for (int i = 0; i <= MIME7_DEPTH; i++)
		CHECK(buf_printf(b, "Content-Type: multipart/mixed; "
		    "boundary=b%d\n\n--b%d\n", i, i) == 0);
	CHECK(buf_append_str(b, "\n\xe9\n") == 0);
	got = convert2(b->data, b->len, "", 0, &why);
	CHECK(got == NULL && why != NULL && strstr(why, "deep") != NULL);
	free(got);
	/* a header block past MIME7_HEAD_MAX */
	buf_reset(b);
	while (b->len <= MIME7_HEAD_MAX)
		CHECK(buf_append_str(b, "X-Filler: 0123456789012345678901234"
		    "5678901234567890123456789\n") == 0);
	CHECK(buf_append_str(b, "\n\xe9\n") == 0);
	got = convert2(b->data, b->len, "", 0, &why);
	CHECK(got == NULL && why != NULL && strstr(why, "large") != NULL);
	free(got);
	buf_free(&b);
}

int
main(void)
{
	TEST_RUN(test_ascii_unchanged);
	TEST_RUN(test_plain_8bit);
	TEST_RUN(test_plain_keeps_content_type);
	TEST_RUN(test_no_final_newline);
	TEST_RUN(test_long_lines);
	TEST_RUN(test_long_ascii_line_in_8bit_part);
	TEST_RUN(test_multipart_tree);
	TEST_RUN(test_outer_boundary_ends_inner);
	TEST_RUN(test_refused);
	TEST_RUN(test_boundary_lookalikes);
	TEST_RUN(test_bounds);
	TEST_EXIT();
}
