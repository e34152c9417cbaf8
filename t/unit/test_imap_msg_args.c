/*
 * test_imap_msg_args.c - unit tests for imapd/imap_msg_args.c,
 * imap_flags.c and imap_mbox_args.c: STORE (flags, keywords, SILENT,
 * UNCHANGEDSINCE), APPEND and MULTIAPPEND, ENABLE, ID, AUTHENTICATE with
 * SASL-IR, LIST-EXTENDED, STATUS, SELECT with CONDSTORE/QRESYNC, and
 * CREATE with USE.
 */
#include <string.h>

#include "harness.h"
#include "../../imapd/imap_mbox_args.h"
#include "../../imapd/imap_msg_args.h"

static struct imap_pool *pool;
static struct imap_cmd c;

/* Parse a whole command line into c; 0 or -1. */
static int
cmd(const char *s)
{
	const char *err = NULL;

	imap_pool_clear(pool);
	return imap_parse_cmd(s, strlen(s), pool, &c, &err);
}

/* STORE arguments after the sequence set. */
static int
store(const char *s, struct imap_store_args *st)
{
	const char *err = NULL;

	if (cmd(s) < 0)
		return -2;
	return imap_store_parse(c.args + 1, c.count - 1, pool, st, &err);
}

/* STORE forms and flag validation. */
static void
test_store(void)
{
	struct imap_store_args st;

	REQUIRE(store("a STORE 1 +FLAGS (\\Seen \\deleted $Junk)", &st) == 0);
	CHECK(st.op == IMAP_STORE_ADD && !st.silent);
	CHECK(st.flags.system == (IMAP_FLAG_SEEN | IMAP_FLAG_DELETED));
	CHECK(st.flags.keyword_count == 1);
	CHECK(strcmp(st.flags.keywords[0], "$Junk") == 0);
	CHECK(store("a STORE 1 -flags.silent \\Flagged x X", &st) == 0);
	CHECK(st.op == IMAP_STORE_REMOVE && st.silent);
	CHECK(st.flags.keyword_count == 1);
	CHECK(store("a STORE 1 FLAGS ()", &st) == 0 && st.op == IMAP_STORE_SET);
	CHECK(st.flags.system == 0 && st.flags.keyword_count == 0);
	CHECK(store("a STORE 1 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT "
	    "(\\Deleted)", &st) == 0);
	CHECK(st.unchangedsince_set && st.unchangedsince == 320162338);
	CHECK(store("a STORE 1 +FLAGS (\\Recent)", &st) == -1);
	CHECK(store("a STORE 1 +FLAGS (\\Bogus)", &st) == -1);
	CHECK(store("a STORE 1 +FLAGS (\"x\")", &st) == -1);
	CHECK(store("a STORE 1 +FLAGS (a%)", &st) == -1);
	CHECK(store("a STORE 1 +FLAGS (a) b", &st) == -1);
	CHECK(store("a STORE 1 FLAG (a)", &st) == -1);
	CHECK(store("a STORE 1 +FLAGS", &st) == -1);
	CHECK(store("a STORE 1 (UNCHANGEDSINCE x) FLAGS a", &st) == -1);
	CHECK(store("a STORE 1 (FOO 1) FLAGS a", &st) == -1);
}

/* APPEND, MULTIAPPEND and literal8. */
static void
test_append(void)
{
	static const char one[] = "a APPEND saved-messages (\\Seen) "
	    "\"05-Jan-2024 10:00:00 +0100\" {5}\r\nhello";
	static const char two[] = "a APPEND INBOX {1}\r\nx ~{2}\r\n\0y "
	    "(\\Draft kw) {1}\r\nz";
	struct imap_append_args aa;
	const char *err;

	imap_pool_clear(pool);
	CHECK(imap_parse_cmd(one, sizeof(one) - 1, pool, &c, &err) == 0);
	CHECK(imap_append_parse(c.args, c.count, 0, pool, &aa, &err) == 0);
	CHECK(strcmp(aa.mailbox, "saved-messages") == 0 && aa.count == 1);
	CHECK(aa.msgs[0].flags.system == IMAP_FLAG_SEEN);
	CHECK(aa.msgs[0].has_date && aa.msgs[0].tzoff == 60);
	CHECK(aa.msgs[0].date == 1704445200);
	CHECK(aa.msgs[0].len == 5 && memcmp(aa.msgs[0].data, "hello", 5) == 0);
	imap_pool_clear(pool);
	CHECK(imap_parse_cmd(two, sizeof(two) - 1, pool, &c, &err) == 0);
	CHECK(imap_append_parse(c.args, c.count, 0, pool, &aa, &err) == 0);
	CHECK(aa.count == 3 && aa.msgs[1].binary && aa.msgs[1].len == 2);
	CHECK(aa.msgs[2].flags.system == IMAP_FLAG_DRAFT);
	CHECK(aa.msgs[2].flags.keyword_count == 1);
	CHECK(cmd("a APPEND INBOX") == 0);
	CHECK(imap_append_parse(c.args, c.count, 0, pool, &aa, &err) == -1);
	CHECK(cmd("a APPEND INBOX (\\Seen)") == 0);
	CHECK(imap_append_parse(c.args, c.count, 0, pool, &aa, &err) == -1);
	CHECK(cmd("a APPEND INBOX \"hello\"") == 0);
	CHECK(imap_append_parse(c.args, c.count, 0, pool, &aa, &err) == -1);
	CHECK(cmd("a APPEND INBOX \"5-Jan-2024 10:00:00 +0100\" {0}\r\n") == 0);
	CHECK(imap_append_parse(c.args, c.count, 0, pool, &aa, &err) == -1);
	CHECK(cmd("a APPEND INBOX (\\Recent) {0}\r\n") == 0);
	CHECK(imap_append_parse(c.args, c.count, 0, pool, &aa, &err) == -1);
}

/* ENABLE, ID and AUTHENTICATE. */
static void
test_session_cmds(void)
{
	struct imap_enable_args en;
	struct imap_id_args id;
	struct imap_auth_args au;
	const char *err;

	CHECK(cmd("a ENABLE CONDSTORE utf8=accept X-FOO") == 0);
	CHECK(imap_enable_parse(c.args, c.count, pool, &en, &err) == 0);
	CHECK(en.count == 3 && en.known == (IMAP_CAP_CONDSTORE |
	    IMAP_CAP_UTF8_ACCEPT));
	CHECK(cmd("a ENABLE") == 0);
	CHECK(imap_enable_parse(c.args, c.count, pool, &en, &err) == -1);
	CHECK(cmd("a ENABLE (X)") == 0);
	CHECK(imap_enable_parse(c.args, c.count, pool, &en, &err) == -1);
	CHECK(cmd("a ID (\"name\" \"sodr\" \"version\" NIL)") == 0);
	CHECK(imap_id_parse(c.args, c.count, pool, &id, &err) == 0);
	CHECK(id.count == 2 && strcmp(id.fields[0], "name") == 0);
	CHECK(strcmp(id.values[0], "sodr") == 0 && id.values[1] == NULL);
	CHECK(cmd("a ID") == 0);
	CHECK(imap_id_parse(c.args, c.count, pool, &id, &err) == -1);
	CHECK(cmd("a ID NIL") == 0);
	CHECK(imap_id_parse(c.args, c.count, pool, &id, &err) == 0 && id.nil);
	CHECK(cmd("a ID (\"name\")") == 0);
	CHECK(imap_id_parse(c.args, c.count, pool, &id, &err) == -1);
	CHECK(cmd("a ID (NIL \"x\")") == 0);
	CHECK(imap_id_parse(c.args, c.count, pool, &id, &err) == -1);
	CHECK(cmd("a ID (\"0123456789012345678901234567890\" \"x\")") == 0);
	CHECK(imap_id_parse(c.args, c.count, pool, &id, &err) == -1);
	CHECK(cmd("a AUTHENTICATE plain AHVzZXIAcGFzcw==") == 0);
	CHECK(imap_authenticate_parse(c.args, c.count, pool, &au, &err) == 0);
	CHECK(strcmp(au.mech, "PLAIN") == 0 && au.has_ir && au.ir_len == 16);
	CHECK(cmd("a AUTHENTICATE PLAIN =") == 0);
	CHECK(imap_authenticate_parse(c.args, c.count, pool, &au, &err) == 0);
	CHECK(au.has_ir && au.ir_len == 0);
	CHECK(cmd("a AUTHENTICATE GSSAPI") == 0);
	CHECK(imap_authenticate_parse(c.args, c.count, pool, &au, &err) == 0);
	CHECK(!au.has_ir);
	CHECK(cmd("a AUTHENTICATE PLAIN a*b") == 0);
	CHECK(imap_authenticate_parse(c.args, c.count, pool, &au, &err) == -1);
	CHECK(cmd("a AUTHENTICATE \"PLAIN\"") == 0);
	CHECK(imap_authenticate_parse(c.args, c.count, pool, &au, &err) == -1);
}

/* LIST, LIST-EXTENDED, STATUS. */
static void
test_list_status(void)
{
	struct imap_list_args la;
	const char *err, *name;
	unsigned items;

	CHECK(cmd("a LIST \"\" %") == 0);
	CHECK(imap_list_parse(c.args, c.count, 0, pool, &la, &err) == 0);
	CHECK(!la.extended && la.pattern_count == 1);
	CHECK(strcmp(la.reference, "") == 0 && strcmp(la.patterns[0], "%") == 0);
	CHECK(cmd("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (inbox/* &AOQ-) "
	    "RETURN (CHILDREN STATUS (MESSAGES UNSEEN))") == 0);
	CHECK(imap_list_parse(c.args, c.count, 0, pool, &la, &err) == 0);
	CHECK(la.extended && la.select == (IMAP_LIST_SEL_SUBSCRIBED |
	    IMAP_LIST_SEL_RECURSIVEMATCH));
	CHECK(la.pattern_count == 2 && strcmp(la.patterns[0], "INBOX/*") == 0);
	CHECK(strcmp(la.patterns[1], "\xc3\xa4") == 0);
	CHECK(la.ret == (IMAP_LIST_RET_CHILDREN | IMAP_LIST_RET_STATUS));
	CHECK(la.status_items == (IMAP_STATUS_MESSAGES | IMAP_STATUS_UNSEEN));
	CHECK(cmd("a LIST (RECURSIVEMATCH) \"\" *") == 0);
	CHECK(imap_list_parse(c.args, c.count, 0, pool, &la, &err) == -1);
	CHECK(cmd("a LIST () \"\" * RETURN ()") == 0);
	CHECK(imap_list_parse(c.args, c.count, 0, pool, &la, &err) == 0);
	CHECK(cmd("a LIST \"\" * RETURN (BOGUS)") == 0);
	CHECK(imap_list_parse(c.args, c.count, 0, pool, &la, &err) == -1);
	CHECK(cmd("a LIST \"\"") == 0);
	CHECK(imap_list_parse(c.args, c.count, 0, pool, &la, &err) == -1);
	CHECK(cmd("a LIST \"\" ()") == 0);
	CHECK(imap_list_parse(c.args, c.count, 0, pool, &la, &err) == -1);
	CHECK(cmd("a STATUS blurdybloop (UIDNEXT MESSAGES SIZE "
	    "HIGHESTMODSEQ DELETED RECENT UIDVALIDITY)") == 0);
	CHECK(imap_status_parse(c.args, c.count, 0, pool, &name, &items,
	    &err) == 0 && strcmp(name, "blurdybloop") == 0);
	CHECK(items == (IMAP_STATUS_UIDNEXT | IMAP_STATUS_MESSAGES |
	    IMAP_STATUS_SIZE | IMAP_STATUS_HIGHESTMODSEQ |
	    IMAP_STATUS_DELETED | IMAP_STATUS_RECENT |
	    IMAP_STATUS_UIDVALIDITY));
	CHECK(cmd("a STATUS x ()") == 0);
	CHECK(imap_status_parse(c.args, c.count, 0, pool, &name, &items,
	    &err) == -1);
	CHECK(cmd("a STATUS x (FOO)") == 0);
	CHECK(imap_status_parse(c.args, c.count, 0, pool, &name, &items,
	    &err) == -1);
}

/* SELECT parameters and CREATE USE. */
static void
test_select_create(void)
{
	struct imap_select_args sa;
	const char *err, *name;
	unsigned use;

	CHECK(cmd("a SELECT INBOX (CONDSTORE)") == 0);
	CHECK(imap_select_parse(c.args, c.count, 0, pool, &sa, &err) == 0);
	CHECK(sa.condstore && !sa.qresync && strcmp(sa.mailbox, "INBOX") == 0);
	CHECK(cmd("a SELECT INBOX (QRESYNC (67890007 20050715194045000 "
	    "41,43:211,214:541 (1:7 41:77)))") == 0);
	CHECK(imap_select_parse(c.args, c.count, 0, pool, &sa, &err) == 0);
	CHECK(sa.qresync && sa.uidvalidity == 67890007);
	CHECK(sa.modseq == 20050715194045000ull);
	CHECK(sa.known_uids != NULL && sa.known_uids->count == 3);
	CHECK(sa.seq_match != NULL && sa.uid_match->count == 1);
	CHECK(cmd("a SELECT INBOX (QRESYNC (1 2))") == 0);
	CHECK(imap_select_parse(c.args, c.count, 0, pool, &sa, &err) == 0);
	CHECK(sa.known_uids == NULL);
	CHECK(cmd("a SELECT INBOX (QRESYNC (0 2))") == 0);
	CHECK(imap_select_parse(c.args, c.count, 0, pool, &sa, &err) == -1);
	CHECK(cmd("a SELECT INBOX (QRESYNC (4294967296 2))") == 0);
	CHECK(imap_select_parse(c.args, c.count, 0, pool, &sa, &err) == -1);
	CHECK(cmd("a SELECT INBOX (QRESYNC (1 2 3 (1:* 2)))") == 0);
	CHECK(imap_select_parse(c.args, c.count, 0, pool, &sa, &err) == -1);
	CHECK(cmd("a SELECT INBOX (QRESYNC)") == 0);
	CHECK(imap_select_parse(c.args, c.count, 0, pool, &sa, &err) == -1);
	CHECK(cmd("a SELECT INBOX ()") == 0);
	CHECK(imap_select_parse(c.args, c.count, 0, pool, &sa, &err) == -1);
	CHECK(cmd("a SELECT \"\"") == 0);
	CHECK(imap_select_parse(c.args, c.count, 0, pool, &sa, &err) == -1);
	CHECK(cmd("a CREATE Sent (USE (\\Sent \\archive))") == 0);
	CHECK(imap_create_parse(c.args, c.count, 0, pool, &name, &use,
	    &err) == 0 && use == (IMAP_USE_SENT | IMAP_USE_ARCHIVE));
	CHECK(cmd("a CREATE Sent") == 0);
	CHECK(imap_create_parse(c.args, c.count, 0, pool, &name, &use,
	    &err) == 0 && use == 0);
	CHECK(cmd("a CREATE Sent (USE (\\Bogus))") == 0);
	CHECK(imap_create_parse(c.args, c.count, 0, pool, &name, &use,
	    &err) == -1);
	CHECK(cmd("a CREATE Sent (USE ())") == 0);
	CHECK(imap_create_parse(c.args, c.count, 0, pool, &name, &use,
	    &err) == -1);
}

int
main(void)
{
	pool = imap_pool_new(0);
	TEST_RUN(test_store);
	TEST_RUN(test_append);
	TEST_RUN(test_session_cmds);
	TEST_RUN(test_list_status);
	TEST_RUN(test_select_create);
	imap_pool_free(&pool);
	TEST_EXIT();
}
