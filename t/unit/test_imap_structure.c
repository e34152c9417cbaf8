/*
 * test_imap_structure.c - unit tests for the IMAP ENVELOPE, BODY and
 * BODYSTRUCTURE writers (imapd/imap_envelope.c, imap_bodystructure.c)
 * against goldens from a real Dovecot: every t/unit/data/mime/<name>.eml
 * is rendered and compared byte for byte with <name>.envelope, .body and
 * .bodystructure (made by make_goldens.py), or with <name>.<item>.petrel
 * where Petrel deliberately differs (each difference and its reason is in
 * t/unit/data/mime/DIFFERENCES).  Also: the writers stop cleanly at the
 * output buffer's maximum, the corpus is not empty, and a NUL in header
 * text never reaches the client inside a literal.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "harness.h"
#include "../../imapd/imap_bodystructure.h"
#include "../../imapd/imap_envelope.h"

static char datadir[4096];

/* The whole file, or NULL; *len_r its length. */
static char *
slurp(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	struct buf *b;
	char chunk[8192], *res;
	size_t n;

	if (f == NULL)
		return NULL;
	b = buf_new(8192, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(b, chunk, n) < 0)
			abort();
	fclose(f);
	*len_r = b->len;
	res = malloc(b->len + 1);
	memcpy(res, buf_cstr(b), b->len + 1);
	buf_free(&b);
	return res;
}

/* The golden for name.item: the .petrel override when there is one. */
static char *
golden(const char *name, const char *item, size_t *len_r, int *override)
{
	char path[8300];
	char *g;

	snprintf(path, sizeof(path), "%s/%s.%s.petrel", datadir, name, item);
	*override = (g = slurp(path, len_r)) != NULL;
	if (g == NULL) {
		snprintf(path, sizeof(path), "%s/%s.%s", datadir, name, item);
		g = slurp(path, len_r);
	}
	return g;
}

/* Render one item of the message; compare; 0 when equal. */
static int
check_item(const char *name, const char *msg, size_t len, const char *item)
{
	struct buf *b = buf_new(1024, 0);
	size_t glen = 0;
	int override, bad, r;
	char *g = golden(name, item, &glen, &override);

	if (strcmp(item, "envelope") == 0)
		r = imap_envelope_append(b, msg, len, 0);
	else
		r = imap_bodystructure_append(b, msg, len,
		    strcmp(item, "bodystructure") == 0, 0);
	bad = g == NULL || r != 0 || b->len != glen ||
	    memcmp(b->data, g, glen) != 0;
	if (bad)
		printf("# %s.%s%s\n#  got  %.*s\n#  want %.*s\n", name, item,
		    override ? ".petrel" : "", (int)(b->len > 600 ? 600 : b->len),
		    buf_cstr(b), g ? (int)(glen > 600 ? 600 : glen) : 4,
		    g ? g : "NONE");
	free(g);
	buf_free(&b);
	return bad;
}

/* Every .eml in the corpus against its goldens. */
static void
test_goldens(void)
{
	DIR *d = opendir(datadir);
	struct dirent *de;
	int n = 0, bad = 0;

	CHECK(d != NULL);
	while (d != NULL && (de = readdir(d)) != NULL) {
		size_t nl = strlen(de->d_name), len;
		char path[8300], name[512];
		char *msg;

		if (nl < 5 || nl >= sizeof(name) ||
		    strcmp(de->d_name + nl - 4, ".eml") != 0)
			continue;
		memcpy(name, de->d_name, nl - 4);
		name[nl - 4] = '\0';
		snprintf(path, sizeof(path), "%s/%s", datadir, de->d_name);
		msg = slurp(path, &len);
		CHECK(msg != NULL);
		if (msg == NULL)
			continue;
		bad += check_item(name, msg, len, "envelope");
		bad += check_item(name, msg, len, "body");
		bad += check_item(name, msg, len, "bodystructure");
		free(msg);
		n++;
	}
	if (d != NULL)
		closedir(d);
	CHECK(n >= 25);
	CHECK(bad == 0);
}

/* Render with output maximum max: the result, and the length. */
static int
render(const char *m, size_t len, int envelope, size_t max, size_t *out_r)
{
	struct buf *b = buf_new(1, max);
	int r = envelope ? imap_envelope_append(b, m, len, 0) :
	    imap_bodystructure_append(b, m, len, 1, 0);

	*out_r = b->len;
	buf_free(&b);
	return r;
}

/* Below the length they need, the writers fail and never overrun. */
static void
test_bounded(void)
{
	const char *m = "From: A <a@b>\nSubject: x\nContent-Type: multipart/"
	    "mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nx\n--b--\n";
	size_t len = strlen(m), need, got;

	for (int env = 0; env < 2; env++) {
		CHECK(render(m, len, env, 0, &need) == 0 && need > 20);
		for (size_t max = 1; max < need; max++) {
			CHECK(render(m, len, env, max, &got) < 0);
			CHECK(got <= max);
		}
		CHECK(render(m, len, env, need, &got) == 0 && got == need);
	}
}

/* 8-bit text is quoted under UTF8=ACCEPT, a literal otherwise. */
static void
test_utf8(void)
{
	const char *m = "Subject: Gr\xc3\xbc\xc3\x9f" "e\n\n";
	struct buf *b = buf_new(256, 0);

	CHECK(imap_envelope_append(b, m, strlen(m), 1) == 0);
	CHECK(strncmp(buf_cstr(b), "(NIL \"Gr\xc3\xbc\xc3\x9f" "e\" NIL", 14)
	    == 0);
	buf_reset(b);
	CHECK(imap_envelope_append(b, m, strlen(m), 0) == 0);
	CHECK(strncmp(buf_cstr(b), "(NIL {7}\r\nGr", 12) == 0);
	buf_free(&b);
}

/* A NUL in header text goes out as 0x80 in a literal, never as NUL
 * (found by fuzz_imap_structure: a literal held the raw NUL). */
static void
test_nul(void)
{
	static const char m[] = "Subject: a\0b\nFrom: \"x\0y\" <u@h>\n\n";
	struct buf *b = buf_new(256, 0);

	CHECK(imap_envelope_append(b, m, sizeof(m) - 1, 1) == 0);
	CHECK(memchr(b->data, '\0', b->len) == NULL);
	CHECK(strncmp(buf_cstr(b), "(NIL {3}\r\na\x80" "b ((", 16) == 0);
	buf_reset(b);
	/* the same in a subject rewritten "for humans" (folded) */
	CHECK(imap_envelope_append(b, "Subject: a\0\n b\n\n", 16, 0) == 0);
	CHECK(memchr(b->data, '\0', b->len) == NULL);
	CHECK(strncmp(buf_cstr(b), "(NIL {4}\r\na\x80 b NIL", 18) == 0);
	buf_free(&b);
}

int
main(void)
{
	const char *top = getenv("PETREL_TOP");

	snprintf(datadir, sizeof(datadir), "%s/t/unit/data/mime",
	    top != NULL ? top : ".");
	TEST_RUN(test_goldens);
	TEST_RUN(test_bounded);
	TEST_RUN(test_utf8);
	TEST_RUN(test_nul);
	TEST_EXIT();
}
