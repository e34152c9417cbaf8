/*
 * test_imap_search_args.c - unit tests for imapd/imap_search_args.c:
 * every RFC 3501/9051 key and its normalised node, groups, NOT/OR,
 * sequence sets and "$", MODSEQ, CHARSET (BADCHARSET), RETURN, and the
 * key-count and depth bounds.
 */
#include <string.h>

#include "harness.h"
#include "../../imapd/imap_flags.h"
#include "../../imapd/imap_search_args.h"

static struct imap_pool *pool;
static struct imap_search_args sa;
static const struct imap_search_key *k0;

/* Parse "a SEARCH <s>"; k0 is the first top-level key. */
static int
search(const char *s)
{
	struct imap_cmd c;
	const char *err = NULL;
	int r;

	imap_pool_clear(pool);
	if (imap_parse_cmd(s, strlen(s), pool, &c, &err) < 0)
		return -3;
	r = imap_search_parse(c.args, c.count, pool, &sa, &err);
	if (r < 0 && err == NULL)
		return -4;
	k0 = r == 0 ? &sa.root->children[0] : NULL;
	return r;
}

/* Flag keys, their negations, NEW and OLD. */
static void
test_flags(void)
{
	CHECK(search("a SEARCH ALL") == 0 && k0->type == IMAP_SK_ALL);
	CHECK(sa.root->type == IMAP_SK_AND && sa.root->child_count == 1);
	REQUIRE(search("a SEARCH seen") == 0 && k0->type == IMAP_SK_FLAG);
	CHECK(k0->flag == IMAP_FLAG_SEEN);
	REQUIRE(search("a SEARCH UNDELETED") == 0 && k0->type == IMAP_SK_NOT);
	CHECK(k0->children[0].type == IMAP_SK_FLAG);
	CHECK(k0->children[0].flag == IMAP_FLAG_DELETED);
	REQUIRE(search("a SEARCH NEW") == 0 && k0->type == IMAP_SK_AND);
	CHECK(k0->children[0].flag == IMAP_FLAG_RECENT);
	CHECK(k0->children[1].type == IMAP_SK_NOT);
	CHECK(search("a SEARCH OLD") == 0 && k0->type == IMAP_SK_NOT);
	CHECK(search("a SEARCH ANSWERED DRAFT FLAGGED RECENT UNANSWERED "
	    "UNDRAFT UNFLAGGED UNSEEN DELETED") == 0);
	CHECK(sa.root->child_count == 9);
	REQUIRE(search("a SEARCH KEYWORD $Forwarded UNKEYWORD Junk") == 0);
	CHECK(k0->type == IMAP_SK_KEYWORD && k0->str_len == 10);
	CHECK(sa.root->children[1].type == IMAP_SK_NOT);
	CHECK(search("a SEARCH KEYWORD \\Seen") == -1);
	CHECK(search("a SEARCH KEYWORD") == -1);
	CHECK(search("a SEARCH BOGUS") == -1);
	CHECK(search("a SEARCH") == -1);
}

/* String, date, number and header keys. */
static void
test_values(void)
{
	REQUIRE(search("a SEARCH FROM smith SUBJECT \"hi there\" TO {2}\r\nme "
	    "CC x BCC y BODY z TEXT w") == 0);
	CHECK(k0->type == IMAP_SK_FROM && k0->str_len == 5);
	CHECK(sa.root->children[1].type == IMAP_SK_SUBJECT);
	CHECK(sa.root->children[2].str_len == 2);
	CHECK(sa.root->child_count == 7);
	REQUIRE(search("a SEARCH HEADER X-Spam \"\"") == 0);
	CHECK(k0->type == IMAP_SK_HEADER && strcmp(k0->field, "X-Spam") == 0);
	CHECK(k0->str_len == 0);
	CHECK(search("a SEARCH HEADER X") == -1);
	REQUIRE(search("a SEARCH SINCE 1-Feb-1994 BEFORE \"3-Mar-2000\" ON "
	    "1-Jan-2020 SENTSINCE 1-Feb-1994 SENTBEFORE 1-Feb-1994 SENTON "
	    "1-Feb-1994") == 0);
	CHECK(k0->type == IMAP_SK_SINCE && k0->date.year == 1994);
	CHECK(sa.root->children[1].date.mon == 3);
	CHECK(sa.root->children[5].type == IMAP_SK_SENTON);
	CHECK(search("a SEARCH SINCE 30-Feb-1994") == -1);
	CHECK(search("a SEARCH SINCE (1-Feb-1994)") == -1);
	REQUIRE(search("a SEARCH LARGER 100 SMALLER 9223372036854775807") == 0);
	CHECK(k0->number == 100);
	CHECK(search("a SEARCH LARGER 9223372036854775808") == -1);
	CHECK(search("a SEARCH LARGER x") == -1);
	CHECK(search("a SEARCH FROM (a)") == -1);
}

/* Sets, "$", UID, groups, NOT and OR. */
static void
test_structure(void)
{
	REQUIRE(search("a SEARCH 1:5,7 UID 3:* $") == 0);
	CHECK(k0->type == IMAP_SK_SEQSET && k0->set->count == 2);
	CHECK(sa.root->children[1].type == IMAP_SK_UID);
	CHECK(sa.root->children[2].set->searchres && sa.uses_searchres);
	CHECK(search("a SEARCH 0") == -1);
	CHECK(search("a SEARCH 4294967296") == -1);
	CHECK(search("a SEARCH UID 1:4294967296") == -1);
	REQUIRE(search("a SEARCH OR SEEN (FLAGGED NOT DELETED)") == 0);
	CHECK(k0->type == IMAP_SK_OR && k0->child_count == 2);
	CHECK(k0->children[1].type == IMAP_SK_AND);
	CHECK(k0->children[1].child_count == 2);
	CHECK(k0->children[1].children[1].type == IMAP_SK_NOT);
	CHECK(search("a SEARCH OR SEEN") == -1);
	CHECK(search("a SEARCH NOT") == -1);
	CHECK(search("a SEARCH ()") == -1);
	CHECK(search("a SEARCH NOT NOT NOT SEEN") == 0);

	char *nots = malloc(9 + 4 * 40 + 5);
	memcpy(nots, "a SEARCH ", 9);
	for (int i = 0; i < 40; i++)
		memcpy(nots + 9 + 4 * i, "NOT ", 4);
	memcpy(nots + 9 + 4 * 40, "SEEN", 5);
	CHECK(search(nots) == -1);
	memcpy(nots + 9 + 4 * 20, "SEEN", 5);
	CHECK(search(nots) == 0);
	free(nots);

	size_t n = IMAP_SEARCH_KEYS_MAX + 1, len = 9 + 5 * n;
	char *many = malloc(len + 1);
	memcpy(many, "a SEARCH ", 9);
	for (size_t i = 0; i < n; i++)
		memcpy(many + 9 + 5 * i, "SEEN ", 5);
	many[len - 1] = '\0';
	CHECK(search(many) == -1);
	many[len - 6] = '\0';
	CHECK(search(many) == -1);	/* the root counts as a key */
	many[len - 11] = '\0';
	CHECK(search(many) == 0);
	free(many);
}

/* MODSEQ, CHARSET and RETURN. */
static void
test_extensions(void)
{
	REQUIRE(search("a SEARCH MODSEQ 620162338") == 0 && sa.uses_modseq);
	CHECK(k0->type == IMAP_SK_MODSEQ && k0->number == 620162338);
	CHECK(k0->entry_name == NULL);
	REQUIRE(search("a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338") ==
	    0);
	CHECK(strcmp(k0->entry_name, "/flags/\\draft") == 0);
	CHECK(k0->entry_type == IMAP_ENTRY_ALL);
	REQUIRE(search("a SEARCH MODSEQ \"/flags/x\" priv 0") == 0);
	CHECK(k0->entry_type == IMAP_ENTRY_PRIV && k0->number == 0);
	CHECK(search("a SEARCH MODSEQ \"/flags/x\" other 1") == -1);
	CHECK(search("a SEARCH MODSEQ \"/other/x\" all 1") == -1);
	CHECK(search("a SEARCH MODSEQ") == -1);
	REQUIRE(search("a SEARCH CHARSET UTF-8 TEXT x") == 0);
	CHECK(strcmp(sa.charset, "UTF-8") == 0 && k0->type == IMAP_SK_TEXT);
	CHECK(search("a SEARCH CHARSET \"us-ascii\" ALL") == 0);
	CHECK(search("a SEARCH CHARSET KOI8-R TEXT x") ==
	    IMAP_SEARCH_BADCHARSET);
	CHECK(search("a SEARCH CHARSET") == -1);
	CHECK(search("a SEARCH RETURN (MIN MAX COUNT) UNSEEN") == 0);
	CHECK(sa.return_given && sa.return_opts == (IMAP_SEARCH_RET_MIN |
	    IMAP_SEARCH_RET_MAX | IMAP_SEARCH_RET_COUNT));
	CHECK(search("a SEARCH RETURN () ALL") == 0);
	CHECK(sa.return_opts == IMAP_SEARCH_RET_ALL);
	CHECK(search("a SEARCH RETURN (SAVE ALL) CHARSET UTF-8 ALL") == 0);
	CHECK(sa.return_opts == (IMAP_SEARCH_RET_SAVE | IMAP_SEARCH_RET_ALL));
	CHECK(search("a SEARCH RETURN (PARTIAL) ALL") == -1);
	CHECK(search("a SEARCH CHARSET UTF-8 RETURN (MIN) ALL") == -1);
	CHECK(search("a SEARCH ALL") == 0 && !sa.return_given);
}

int
main(void)
{
	pool = imap_pool_new(0);
	TEST_RUN(test_flags);
	TEST_RUN(test_values);
	TEST_RUN(test_structure);
	TEST_RUN(test_extensions);
	imap_pool_free(&pool);
	TEST_EXIT();
}
