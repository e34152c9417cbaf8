/*
 * test_maps.c - unit tests for lookup maps (common/maps*.c): building
 * hash:/btree: maps from text sources in a temporary directory, lookups,
 * case folding, comments and continuation lines, alias syntax, malformed
 * sources (file:line errors, old map kept), reopening after a rebuild,
 * texthash:, map lists, and the text parser fed split at every byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "buf.h"
#include "log.h"
#include "maps.h"
#include "maps_int.h"

static char dir[64];

/* Write a file under the temp dir; returns its path (static). */
static const char *
put(const char *name, const char *content)
{
	static char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	if (fp == NULL)
		return path;
	fputs(content, fp);
	fclose(fp);
	return path;
}

/* Spec "type:<dir>/name" in a static buffer. */
static const char *
spec(const char *type, const char *name)
{
	static char s[256];

	snprintf(s, sizeof(s), "%s:%s/%s", type, dir, name);
	return s;
}

/* Lookup helper: 1 if key maps to want (want NULL: not found). */
static int
has(struct map *m, const char *key, const char *want)
{
	const char *v = NULL, *err = NULL;
	int rc = map_lookup(m, key, &v, &err);

	if (want == NULL)
		return rc == 0;
	return rc == 1 && strcmp(v, want) == 0;
}

static const char src1[] =
    "# comment\n"
    "Alice@Example.TEST   maildir/alice/\n"
    "\n"
    "bob value with  spaces   \n"
    "long first\n"
    "  second\n"
    "\tthird\r\n"
    "   # indented comment\n"
    "dup one\n"
    "dup two\n"
    "last no-newline";

/* Check the entries of src1 in an opened map. */
static int
check_src1(struct map *m)
{
	return has(m, "alice@example.test", "maildir/alice/") &&
	    has(m, "ALICE@EXAMPLE.TEST", "maildir/alice/") &&
	    has(m, "bob", "value with  spaces") &&
	    has(m, "long", "first second third") &&
	    has(m, "dup", "one") && has(m, "last", "no-newline") &&
	    has(m, "nobody", NULL) && has(m, "", NULL) && has(m, "#", NULL);
}

static void
test_hash_build_lookup(void)
{
	const char *err = NULL;
	struct map *m;

	put("m1", src1);
	CHECK(map_build(spec("hash", "m1"), NULL, 0, &err) == 0);
	m = map_open(spec("hash", "m1"), &err);
	CHECK(m != NULL);
	if (m != NULL)
		CHECK(check_src1(m));
	map_close(&m);
	CHECK(m == NULL);
}

static void
test_btree_and_texthash(void)
{
	const char *err = NULL;
	struct map *m;

	put("m2", src1);
	CHECK(map_build(spec("btree", "m2"), NULL, 0, &err) == 0);
	m = map_open(spec("btree", "m2"), &err);
	CHECK(m != NULL && check_src1(m));
	map_close(&m);
	m = map_open(spec("texthash", "m2"), &err);
	CHECK(m != NULL && check_src1(m));
	map_close(&m);
	CHECK(map_open(spec("hash", "missing"), &err) == NULL);
	CHECK(map_open("bogus:/x", &err) == NULL);
	CHECK(map_open("nocolon", &err) == NULL);
}

static void
test_alias_syntax(void)
{
	const char *err = NULL;
	struct map *m;

	put("aliases", "Postmaster: root\n"
	    "list: a@example.test,\n"
	    "    b,\n"
	    "    c\n"
	    "# x\n"
	    "prog : \"|/bin/cat\"\n");
	CHECK(map_build(spec("hash", "aliases"), NULL, MAP_BUILD_ALIASES,
	    &err) == 0);
	m = map_open(spec("hash", "aliases"), &err);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK(has(m, "postmaster", "root"));
	CHECK(has(m, "list", "a@example.test, b, c"));
	CHECK(has(m, "prog", "\"|/bin/cat\""));
	map_close(&m);
}

static void
test_malformed(void)
{
	const char *err = NULL;
	struct map *m;

	put("bad", "ok 1\n");
	CHECK(map_build(spec("hash", "bad"), NULL, 0, &err) == 0);
	put("bad", "ok 2\nfine 3\nnovalue\n");
	CHECK(map_build(spec("hash", "bad"), NULL, 0, &err) == -1);
	CHECK(err != NULL && strstr(err, "/bad:3:") != NULL);
	put("bad", "  leading continuation\n");
	CHECK(map_build(spec("hash", "bad"), NULL, 0, &err) == -1);
	CHECK(err != NULL && strstr(err, "/bad:1:") != NULL);
	put("bad", "x: y\nno colon here\n");
	CHECK(map_build(spec("hash", "bad"), NULL, MAP_BUILD_ALIASES,
	    &err) == -1);
	CHECK(err != NULL && strstr(err, "/bad:2:") != NULL);
	/* the old map is still there and intact */
	m = map_open(spec("hash", "bad"), &err);
	CHECK(m != NULL && has(m, "ok", "1"));
	map_close(&m);
	CHECK(map_build(spec("hash", "nosource"), NULL, 0, &err) == -1);
}

static void
test_mode_kept(void)
{
	const char *err = NULL;
	char db[300];
	struct stat st;

	put("secret", "u@d.test $y$x\n");
	snprintf(db, sizeof(db), "%s/secret", dir);
	CHECK(chmod(db, 0640) == 0);
	CHECK(map_build(spec("hash", "secret"), NULL, 0, &err) == 0);
	snprintf(db, sizeof(db), "%s/secret.db", dir);
	CHECK(stat(db, &st) == 0 && (st.st_mode & 0777) == 0640);
}

static void
test_rebuild_reopen(void)
{
	const char *err = NULL;
	struct map *m;

	put("re", "k old\n");
	CHECK(map_build(spec("hash", "re"), NULL, 0, &err) == 0);
	m = map_open(spec("hash", "re"), &err);
	CHECK(m != NULL && has(m, "k", "old"));
	put("re", "k new\nk2 v2\n");
	CHECK(map_build(spec("hash", "re"), NULL, 0, &err) == 0);
	sleep(1);
	CHECK(m != NULL && has(m, "k", "new") && has(m, "k2", "v2"));
	map_close(&m);
}

static void
test_maplist(void)
{
	const char *err = NULL, *v = NULL;
	struct maplist *l;
	char specs[600];

	put("l1", "a 1\n");
	put("l2", "a 2\nb 3\n");
	CHECK(map_build(spec("hash", "l1"), NULL, 0, &err) == 0);
	snprintf(specs, sizeof(specs), "%s, ", spec("hash", "l1"));
	snprintf(specs + strlen(specs), sizeof(specs) - strlen(specs), "%s",
	    spec("texthash", "l2"));
	l = maplist_open(specs, &err);
	CHECK(l != NULL);
	if (l == NULL)
		return;
	CHECK(maplist_lookup(l, "A", &v, &err) == 1 && strcmp(v, "1") == 0);
	CHECK(maplist_lookup(l, "b", &v, &err) == 1 && strcmp(v, "3") == 0);
	CHECK(maplist_lookup(l, "c", &v, &err) == 0);
	maplist_close(&l);
	l = maplist_open("", &err);
	CHECK(l != NULL && maplist_lookup(l, "a", &v, &err) == 0);
	maplist_close(&l);
	CHECK(maplist_open("hash:/nonexistent/x", &err) == NULL);
}

/* Collect parsed entries as "key=value;" */
static int
collect(void *ctx, const char *key, const char *value, const char **errstr_r)
{
	struct buf *b = ctx;

	(void)errstr_r;
	return buf_printf(b, "%s=%s;", key, value) < 0 ? -1 : 0;
}

struct split_ctx {
	int flags;
	const char *want;	/* NULL: expect an error */
};

/* Parse a + b as two feeds; 0 when the result matches. */
static int
split_parse(const char *a, size_t alen, const char *b, size_t blen,
    void *vctx)
{
	struct split_ctx *sc = vctx;
	struct buf *out = buf_new(64, 0);
	struct map_text_parser *p = map_text_new(sc->flags, collect, out);
	const char *err = NULL;
	int rc = map_text_feed(p, a, alen, &err);
	int ok;

	if (rc == 0)
		rc = map_text_feed(p, b, blen, &err);
	if (rc == 0)
		rc = map_text_finish(p, &err);
	if (sc->want == NULL)
		ok = rc < 0;
	else
		ok = rc == 0 && strcmp(buf_cstr(out), sc->want) == 0;
	map_text_free(&p);
	buf_free(&out);
	return ok ? 0 : 1;
}

static void
test_split_feed_parser(void)
{
	struct split_ctx sc = { 0, "alice@example.test=maildir/alice/;"
	    "bob=value with  spaces;long=first second third;dup=one;"
	    "dup=two;last=no-newline;" };
	struct split_ctx al = { MAP_BUILD_ALIASES,
	    "postmaster=root;list=a, b, c;" };
	static const char asrc[] = "Postmaster:root\r\nlist : a,\n b,\n\n\tc\n";
	struct split_ctx bad = { 0, NULL };
	static const char bsrc[] = "a b\nc\n";

	CHECK(test_split_feed(src1, strlen(src1), split_parse, &sc) == 0);
	CHECK(test_split_feed(asrc, strlen(asrc), split_parse, &al) == 0);
	CHECK(test_split_feed(bsrc, strlen(bsrc), split_parse, &bad) == 0);
}

static void
test_parser_bounds(void)
{
	struct buf *out = buf_new(64, 0);
	struct map_text_parser *p = map_text_new(0, collect, out);
	const char *err = NULL;
	char *big = malloc(MAP_LINE_MAX + 10);
	int rc;

	memset(big, 'x', MAP_LINE_MAX + 10);
	rc = map_text_feed(p, big, MAP_LINE_MAX + 10, &err);
	CHECK(rc == -1 && err != NULL && strstr(err, "too long") != NULL);
	map_text_free(&p);
	p = map_text_new(0, collect, out);
	CHECK(map_text_feed(p, "a\0b c\n", 6, &err) == -1);
	map_text_free(&p);
	free(big);
	buf_free(&out);
}

/* Remove the temp dir's files (best effort). */
static void
cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/petrel-maps-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	log_init("test_maps", 1);
	TEST_RUN(test_hash_build_lookup);
	TEST_RUN(test_btree_and_texthash);
	TEST_RUN(test_alias_syntax);
	TEST_RUN(test_malformed);
	TEST_RUN(test_mode_kept);
	TEST_RUN(test_rebuild_reopen);
	TEST_RUN(test_maplist);
	TEST_RUN(test_split_feed_parser);
	TEST_RUN(test_parser_bounds);
	cleanup();
	TEST_EXIT();
}
