/*
 * test_smtp_parse.c - unit tests for common/smtp_parse.c: verb/argument
 * split, "FROM:"/"TO:" keywords with and without a blank, ESMTP parameter
 * iteration and MAIL FROM's SIZE/BODY parameters.
 */
#include <limits.h>

#include "harness.h"
#include "smtp_parse.h"

/* 1 when the counted string equals s. */
static int
eq(const char *p, size_t len, const char *s)
{
	return len == strlen(s) && memcmp(p, s, len) == 0;
}

/* Verb and argument split. */
static void
test_command(void)
{
	struct smtp_command c;

	CHECK(smtp_parse_command("EHLO x.org", 10, &c) == 0 &&
	    eq(c.verb, c.verb_len, "EHLO") && eq(c.arg, c.arg_len, "x.org"));
	CHECK(smtp_parse_command("quit", 4, &c) == 0 &&
	    eq(c.verb, c.verb_len, "quit") && c.arg_len == 0);
	CHECK(smtp_parse_command("MAIL  FROM:<a>  ", 16, &c) == 0 &&
	    eq(c.verb, c.verb_len, "MAIL") && eq(c.arg, c.arg_len, "FROM:<a>"));
	CHECK(smtp_parse_command("", 0, &c) == -1);
	CHECK(smtp_parse_command("   ", 3, &c) == -1);
	CHECK(smtp_parse_command("NO\001OP", 5, &c) == -1);
	CHECK(smtp_parse_command("NO\0OP", 5, &c) == -1);
	CHECK(smtp_parse_command("\xffX", 2, &c) == -1);
}

/* FROM:/TO: with or without a blank after the colon, any case. */
static void
test_keyword(void)
{
	const char *rest;
	size_t n;

	CHECK(smtp_parse_keyword("FROM:<a>", 8, "FROM:", &rest, &n) == 1 &&
	    eq(rest, n, "<a>"));
	CHECK(smtp_parse_keyword("from: <a>", 9, "FROM:", &rest, &n) == 1 &&
	    eq(rest, n, "<a>"));
	CHECK(smtp_parse_keyword("To:<a>", 6, "TO:", &rest, &n) == 1 &&
	    eq(rest, n, "<a>"));
	CHECK(smtp_parse_keyword("FROM <a>", 8, "FROM:", &rest, &n) == 0);
	CHECK(smtp_parse_keyword("FRO", 3, "FROM:", &rest, &n) == 0);
}

/* Parameter iteration. */
static void
test_params(void)
{
	const char *p = "SIZE=10  BODY=8BITMIME X-FOO";
	size_t len = strlen(p);
	struct smtp_param prm;
	const char *err;

	CHECK(smtp_param_next(&p, &len, &prm, &err) == 1 &&
	    eq(prm.key, prm.key_len, "SIZE") && eq(prm.value, prm.value_len, "10"));
	CHECK(smtp_param_next(&p, &len, &prm, &err) == 1 &&
	    eq(prm.key, prm.key_len, "BODY") &&
	    eq(prm.value, prm.value_len, "8BITMIME"));
	CHECK(smtp_param_next(&p, &len, &prm, &err) == 1 &&
	    eq(prm.key, prm.key_len, "X-FOO") && prm.value == NULL);
	CHECK(smtp_param_next(&p, &len, &prm, &err) == 0);
	p = "=x";
	len = 2;
	CHECK(smtp_param_next(&p, &len, &prm, &err) == -1);
	p = "A=";
	len = 2;
	CHECK(smtp_param_next(&p, &len, &prm, &err) == -1);
	p = "A=b=c";
	len = 5;
	CHECK(smtp_param_next(&p, &len, &prm, &err) == -1);
	p = "A=b\001";
	len = 4;
	CHECK(smtp_param_next(&p, &len, &prm, &err) == -1);
}

/* Run smtp_parse_mail_params on a C string. */
static enum smtp_params_status
mp(const char *s, struct smtp_mail_opts *o, struct smtp_param *bad)
{
	const char *err = NULL;

	return smtp_parse_mail_params(s, strlen(s), o, bad, &err);
}

/* SIZE and BODY for MAIL FROM. */
static void
test_mail_params(void)
{
	struct smtp_mail_opts o;
	struct smtp_param bad;

	CHECK(mp("", &o, &bad) == SMTP_PARAMS_OK && o.size == -1 &&
	    o.body == SMTP_BODY_NONE);
	CHECK(mp("SIZE=12345 BODY=8BITMIME", &o, &bad) == SMTP_PARAMS_OK &&
	    o.size == 12345 && o.body == SMTP_BODY_8BITMIME);
	CHECK(mp("size=0 body=7bit", &o, &bad) == SMTP_PARAMS_OK &&
	    o.size == 0 && o.body == SMTP_BODY_7BIT);
	CHECK(mp("SIZE=99999999999999999999999999", &o, &bad) ==
	    SMTP_PARAMS_OK && o.size == LONG_MAX);
	CHECK(mp("SIZE=abc", &o, &bad) == SMTP_PARAMS_SYNTAX);
	CHECK(mp("SIZE=-1", &o, &bad) == SMTP_PARAMS_SYNTAX);
	CHECK(mp("SIZE", &o, &bad) == SMTP_PARAMS_SYNTAX);
	CHECK(mp("SIZE=1 SIZE=2", &o, &bad) == SMTP_PARAMS_SYNTAX);
	CHECK(mp("BODY=BINARYMIME", &o, &bad) == SMTP_PARAMS_SYNTAX);
	CHECK(mp("BODY=7BIT BODY=7BIT", &o, &bad) == SMTP_PARAMS_SYNTAX);
	CHECK(mp("RET=HDRS", &o, &bad) == SMTP_PARAMS_UNKNOWN &&
	    eq(bad.key, bad.key_len, "RET"));
	CHECK(mp("SMTPUTF8", &o, &bad) == SMTP_PARAMS_UNKNOWN);
	CHECK(mp("SIZE=1 !", &o, &bad) == SMTP_PARAMS_SYNTAX);
}

/* Main: run every test. */
int
main(void)
{
	TEST_RUN(test_command);
	TEST_RUN(test_keyword);
	TEST_RUN(test_params);
	TEST_RUN(test_mail_params);
	TEST_EXIT();
}
