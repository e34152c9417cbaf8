/*
 * test_dsn_param.c - unit tests for common/dsn_param.c: NOTIFY lists,
 * xtext decoding, ORCPT syntax and the queue file's DSN word list.
 */
#include "dsn_param.h"
#include "harness.h"

#define S(x) x, strlen(x)

static void
test_notify(void)
{
	char buf[64];

	CHECK(dsn_notify_parse(S("NEVER")) == DSN_NOTIFY_NEVER);
	CHECK(dsn_notify_parse(S("success,failure")) ==
	    (DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE));
	CHECK(dsn_notify_parse(S("FAILURE,DELAY,SUCCESS")) ==
	    (DSN_NOTIFY_SUCCESS | DSN_NOTIFY_FAILURE | DSN_NOTIFY_DELAY));
	CHECK(dsn_notify_parse(S("NEVER,SUCCESS")) == -1);
	CHECK(dsn_notify_parse(S("FAILURE,FAILURE")) == -1);
	CHECK(dsn_notify_parse(S("")) == -1);
	CHECK(dsn_notify_parse(S("FAILURE,")) == -1);
	CHECK(dsn_notify_parse(S("BOGUS")) == -1);
	CHECK(strcmp(dsn_notify_text(DSN_NOTIFY_SUCCESS | DSN_NOTIFY_DELAY,
	    buf, sizeof(buf)), "SUCCESS,DELAY") == 0);
	CHECK(DSN_WANTS(0, DSN_NOTIFY_FAILURE) && DSN_WANTS(0, DSN_NOTIFY_DELAY));
	CHECK(!DSN_WANTS(0, DSN_NOTIFY_SUCCESS));
	CHECK(!DSN_WANTS(DSN_NOTIFY_NEVER, DSN_NOTIFY_FAILURE));
	CHECK(DSN_WANTS(DSN_NOTIFY_SUCCESS, DSN_NOTIFY_SUCCESS));
}

static void
test_xtext(void)
{
	char out[64];

	CHECK(dsn_xtext_decode(S("a+2Bb+3Dc"), out, sizeof(out)) == 5 &&
	    strcmp(out, "a+b=c") == 0);
	CHECK(dsn_xtext_decode(S("a+2"), out, sizeof(out)) == -1);
	CHECK(dsn_xtext_decode(S("a+2b"), out, sizeof(out)) == -1);
	CHECK(dsn_xtext_decode(S("a=b"), out, sizeof(out)) == -1);
	CHECK(dsn_xtext_decode(S("a b"), out, sizeof(out)) == -1);
	CHECK(dsn_xtext_decode(S("+0A"), out, sizeof(out)) == -1);
	CHECK(dsn_xtext_decode(S("abcdef"), out, 4) == -1);
	/* found by fuzz_dsn_param: "+82" decoded to a raw 8-bit octet */
	CHECK(dsn_xtext_decode(S("B+82"), out, sizeof(out)) == -1);
	CHECK(dsn_xtext_decode(S("+7F"), out, sizeof(out)) == -1);
	CHECK(!dsn_xtext_valid(S("a+FF")));
	CHECK(dsn_xtext_decode(S("+7E"), out, sizeof(out)) == 1 &&
	    strcmp(out, "~") == 0);
	CHECK(dsn_xtext_valid(S("user@example.com")));
	CHECK(!dsn_xtext_valid(S("")));
}

static void
test_orcpt(void)
{
	CHECK(dsn_orcpt_valid(S("rfc822;user@example.com")));
	CHECK(dsn_orcpt_valid(S("utf-8;user+40x")));
	CHECK(!dsn_orcpt_valid(S("user@example.com")));
	CHECK(!dsn_orcpt_valid(S(";user@example.com")));
	CHECK(!dsn_orcpt_valid(S("rfc 822;u@x")));
	CHECK(!dsn_orcpt_valid(S("rfc822;")));
}

static void
test_field(void)
{
	char v[64];

	CHECK(dsn_field("notify=SUCCESS orcpt=rfc822;a@b", "orcpt", v,
	    sizeof(v)) == 1 && strcmp(v, "rfc822;a@b") == 0);
	CHECK(dsn_field("notify=SUCCESS", "orcpt", v, sizeof(v)) == 0);
	CHECK(dsn_field("xnotify=1 notify=NEVER", "notify", v, sizeof(v)) == 1 &&
	    strcmp(v, "NEVER") == 0);
	CHECK(dsn_rcpt_notify(NULL) == 0);
	CHECK(dsn_rcpt_notify("notify=NEVER") == DSN_NOTIFY_NEVER);
	CHECK(dsn_rcpt_notify("orcpt=rfc822;a@b") == 0);
	CHECK(dsn_rcpt_notify("notify=junk") == 0);
}

int
main(void)
{
	TEST_RUN(test_notify);
	TEST_RUN(test_xtext);
	TEST_RUN(test_orcpt);
	TEST_RUN(test_field);
	TEST_EXIT();
}
