/*
 * test_imap_seqset.c - unit tests for imapd/imap_seqset.c: the grammar
 * (ranges, "*", "$", bounds, numbers past 2^32-1), resolution of "*",
 * sorting and merging, membership, counting and iteration.
 */
#include <string.h>

#include "harness.h"
#include "../../imapd/imap_seqset.h"

static struct imap_pool *pool;

/* Parse a C string with flags; NULL on failure. */
static struct imap_seqset *
parse(const char *s, unsigned flags)
{
	struct imap_seqset *set;
	const char *err = NULL;

	if (imap_seqset_parse(s, strlen(s), pool, flags, &set, &err) < 0) {
		if (err == NULL)
			return (struct imap_seqset *)1;	/* makes CHECKs fail */
		return NULL;
	}
	return set;
}

/* Render a resolved set as "a-b,c" for comparison. */
static const char *
show(const struct imap_seqset *set)
{
	static char out[256];
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < set->count && o < sizeof(out) - 32; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%u-%u",
		    i ? "," : "", set->ranges[i].lo, set->ranges[i].hi);
	return out;
}

/* The grammar: what parses and what is refused. */
static void
test_grammar(void)
{
	struct imap_seqset *s;

	REQUIRE((s = parse("1", 0)) != NULL && s->count == 1);
	CHECK(s->ranges[0].lo == 1 && s->ranges[0].hi == 1);
	REQUIRE((s = parse("5,3:1,*", 0)) != NULL && s->count == 3);
	CHECK(s->ranges[1].lo == 3 && s->ranges[1].hi == 1);
	CHECK(s->ranges[2].lo == IMAP_SEQ_STAR);
	REQUIRE((s = parse("1:*", 0)) != NULL &&
	    s->ranges[0].hi == IMAP_SEQ_STAR);
	REQUIRE((s = parse("4294967295", 0)) != NULL);
	CHECK(s->ranges[0].lo == 4294967295u);
	CHECK(parse("4294967296", 0) == NULL);
	CHECK(parse("1:99999999999999999999", 0) == NULL);
	CHECK(parse("0", 0) == NULL);
	CHECK(parse("0:5", 0) == NULL);
	CHECK(parse("", 0) == NULL);
	CHECK(parse(",", 0) == NULL);
	CHECK(parse("1,", 0) == NULL);
	CHECK(parse(",1", 0) == NULL);
	CHECK(parse("1:", 0) == NULL);
	CHECK(parse(":1", 0) == NULL);
	CHECK(parse("1:2:3", 0) == NULL);
	CHECK(parse("1 2", 0) == NULL);
	CHECK(parse("-1", 0) == NULL);
	CHECK(parse("**", 0) == NULL);
	CHECK(parse("1:*", IMAP_SEQSET_NO_STAR) == NULL);
	CHECK(parse("$", 0) == NULL);
	REQUIRE((s = parse("$", IMAP_SEQSET_SEARCHRES)) != NULL &&
	    s->searchres);
	CHECK(parse("1,$", IMAP_SEQSET_SEARCHRES) == NULL);
	REQUIRE((s = parse("7,2:9", 0)) != NULL && imap_seqset_highest(s) == 9);
}

/* The range bound is enforced before allocation. */
static void
test_bound(void)
{
	size_t n = 2 * IMAP_SEQSET_RANGES_MAX + 1;
	char *big = malloc(n + 2);

	for (size_t i = 0; i < n; i += 2)
		memcpy(big + i, "1,", 2);
	big[n - 2] = '\0';		/* IMAP_SEQSET_RANGES_MAX ranges */
	CHECK(parse(big, 0) != NULL);
	memcpy(big + n - 2, ",1", 3);	/* one more */
	CHECK(parse(big, 0) == NULL);
	free(big);
}

/* "*" becomes max; ranges are ordered, sorted and merged. */
static void
test_resolve(void)
{
	struct imap_seqset *s;

	REQUIRE((s = parse("5,3:1,*", 0)) != NULL);
	imap_seqset_resolve(s, 10);
	CHECK(strcmp(show(s), "1-3,5-5,10-10") == 0);
	REQUIRE((s = parse("559:*", 0)) != NULL);
	imap_seqset_resolve(s, 100);
	CHECK(strcmp(show(s), "100-559") == 0);
	REQUIRE((s = parse("1:4,5,7:6,2,8:9,20", 0)) != NULL);
	imap_seqset_resolve(s, 30);
	CHECK(strcmp(show(s), "1-9,20-20") == 0);
	CHECK(imap_seqset_count(s) == 10);
	CHECK(imap_seqset_contains(s, 1) && imap_seqset_contains(s, 9));
	CHECK(!imap_seqset_contains(s, 10) && imap_seqset_contains(s, 20));
	CHECK(!imap_seqset_contains(s, 0) && !imap_seqset_contains(s, 21));
	REQUIRE((s = parse("4294967295,1:4294967295", 0)) != NULL);
	imap_seqset_resolve(s, 3);
	CHECK(strcmp(show(s), "1-4294967295") == 0);
	CHECK(imap_seqset_count(s) == 4294967295ull);
	REQUIRE((s = parse("*", 0)) != NULL);
	imap_seqset_resolve(s, 0);
	CHECK(!imap_seqset_contains(s, 1));
}

/* Iteration yields each number once, ascending, even at 2^32-1. */
static void
test_iter(void)
{
	struct imap_seqset_iter it;
	struct imap_seqset *s;
	uint32_t n, got[16] = { 0 };
	int k = 0;

	REQUIRE((s = parse("9,2:3,*,3", 0)) != NULL);
	imap_seqset_resolve(s, 4294967295u);
	imap_seqset_iter_init(&it, s);
	while (k < 16 && imap_seqset_iter_next(&it, &n))
		got[k++] = n;
	CHECK(k == 4 && got[0] == 2 && got[1] == 3 && got[2] == 9);
	CHECK(got[3] == 4294967295u);
	CHECK(!imap_seqset_iter_next(&it, &n));
	REQUIRE((s = parse("4294967294:*", 0)) != NULL);
	imap_seqset_resolve(s, 4294967295u);
	imap_seqset_iter_init(&it, s);
	k = 0;
	while (k < 16 && imap_seqset_iter_next(&it, &n))
		got[k++] = n;
	CHECK(k == 2 && got[1] == 4294967295u);
}

/* Sets given as parsed arguments. */
static void
test_from_arg(void)
{
	struct imap_arg *args;
	struct imap_seqset *s;
	size_t count;
	const char *err;

	CHECK(imap_parse_args("1:3 17 \"1\" (1) BODY[]", 21, pool, &args,
	    &count, &err) == 0 && count == 5);
	CHECK(imap_seqset_from_arg(&args[0], pool, 0, &s, &err) == 0);
	CHECK(imap_seqset_from_arg(&args[1], pool, 0, &s, &err) == 0);
	CHECK(imap_seqset_from_arg(&args[2], pool, 0, &s, &err) == -1);
	CHECK(imap_seqset_from_arg(&args[3], pool, 0, &s, &err) == -1);
	CHECK(imap_seqset_from_arg(&args[4], pool, 0, &s, &err) == -1);
}

int
main(void)
{
	pool = imap_pool_new(0);
	TEST_RUN(test_grammar);
	TEST_RUN(test_bound);
	TEST_RUN(test_resolve);
	TEST_RUN(test_iter);
	TEST_RUN(test_from_arg);
	imap_pool_free(&pool);
	TEST_EXIT();
}
