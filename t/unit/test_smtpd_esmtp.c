/*
 * test_smtpd_esmtp.c - unit tests for petrel-smtpd's pure parsers: the
 * MAIL/RCPT parameter parsers (smtpd/esmtp.c), the BDAT chunk decoder
 * (smtpd/chunk.c, fed split at every byte) and addr.c's ADDR_ALLOW_UTF8.
 * The smtpd sources are linked in (LINK_test_smtpd_esmtp in the Makefile).
 */
#include <limits.h>

#include "dsn_param.h"
#include "harness.h"
#include "../../smtpd/smtpd.h"

/* Parse MAIL parameters from a C string. */
static enum smtp_params_status
mail(const char *p, struct smtpd_mail_params *mp)
{
	struct smtp_param bad;
	const char *err = NULL;

	return smtpd_parse_mail_params(p, strlen(p), mp, &bad, &err);
}

/* Parse RCPT parameters from a C string. */
static enum smtp_params_status
rcpt(const char *p, struct smtpd_rcpt_params *rp)
{
	struct smtp_param bad;
	const char *err = NULL;

	return smtpd_parse_rcpt_params(p, strlen(p), rp, &bad, &err);
}

/* MAIL FROM parameters: values, duplicates, unknown names. */
static void
test_mail_params(void)
{
	struct smtpd_mail_params mp;

	CHECK(mail("", &mp) == SMTP_PARAMS_OK && mp.size == -1 && mp.ret == 0);
	CHECK(mail("SIZE=100 BODY=8BITMIME RET=hdrs ENVID=a+2Bb SMTPUTF8",
	    &mp) == SMTP_PARAMS_OK);
	CHECK(mp.size == 100 && mp.body == SMTP_BODY_8BITMIME);
	CHECK(mp.ret == SMTPD_RET_HDRS && strcmp(mp.envid, "a+2Bb") == 0);
	CHECK(mp.smtputf8 == 1);
	CHECK(mail("RET=FULL", &mp) == SMTP_PARAMS_OK && mp.ret == SMTPD_RET_FULL);
	CHECK(mail("RET=PART", &mp) == SMTP_PARAMS_SYNTAX);
	CHECK(mail("RET=FULL RET=FULL", &mp) == SMTP_PARAMS_SYNTAX);
	CHECK(mail("RET", &mp) == SMTP_PARAMS_SYNTAX);
	CHECK(mail("ENVID=a+2", &mp) == SMTP_PARAMS_SYNTAX);
	CHECK(mail("ENVID=x ENVID=y", &mp) == SMTP_PARAMS_SYNTAX);
	CHECK(mail("SMTPUTF8=1", &mp) == SMTP_PARAMS_SYNTAX);
	CHECK(mail("SMTPUTF8 SMTPUTF8", &mp) == SMTP_PARAMS_SYNTAX);
	CHECK(mail("AUTH=<>", &mp) == SMTP_PARAMS_OK);
	CHECK(mail("AUTH=u+40x AUTH=<>", &mp) == SMTP_PARAMS_SYNTAX);
	CHECK(mail("SIZE=99999999999999999999999", &mp) == SMTP_PARAMS_OK &&
	    mp.size == LONG_MAX);
	CHECK(mail("SIZE=1x", &mp) == SMTP_PARAMS_SYNTAX);
	CHECK(mail("XFOO=1", &mp) == SMTP_PARAMS_UNKNOWN);
}

/* RCPT TO parameters and the RDSN words built from them. */
static void
test_rcpt_params(void)
{
	struct smtpd_rcpt_params rp;
	char w[700];

	CHECK(rcpt("", &rp) == SMTP_PARAMS_OK);
	CHECK(smtpd_rcpt_dsn_words(&rp, w, sizeof(w)) == 0 && w[0] == '\0');
	CHECK(rcpt("NOTIFY=failure,delay ORCPT=rfc822;a+40b", &rp) ==
	    SMTP_PARAMS_OK);
	CHECK(smtpd_rcpt_dsn_words(&rp, w, sizeof(w)) > 0);
	CHECK(strcmp(w, "notify=FAILURE,DELAY orcpt=rfc822;a+40b") == 0 ||
	    strcmp(w, "notify=DELAY,FAILURE orcpt=rfc822;a+40b") == 0);
	CHECK(rcpt("ORCPT=rfc822;x@y", &rp) == SMTP_PARAMS_OK);
	CHECK(smtpd_rcpt_dsn_words(&rp, w, sizeof(w)) > 0 &&
	    strcmp(w, "orcpt=rfc822;x@y") == 0);
	CHECK(smtpd_rcpt_dsn_words(&rp, w, 5) == -1);
	CHECK(rcpt("NOTIFY=NEVER", &rp) == SMTP_PARAMS_OK &&
	    rp.notify == DSN_NOTIFY_NEVER);
	CHECK(rcpt("NOTIFY=NEVER,SUCCESS", &rp) == SMTP_PARAMS_SYNTAX);
	CHECK(rcpt("NOTIFY=SUCCESS NOTIFY=FAILURE", &rp) == SMTP_PARAMS_SYNTAX);
	CHECK(rcpt("ORCPT=rfc822", &rp) == SMTP_PARAMS_SYNTAX);
	CHECK(rcpt("ORCPT=rfc822;a+zz", &rp) == SMTP_PARAMS_SYNTAX);
	CHECK(rcpt("ORCPT", &rp) == SMTP_PARAMS_SYNTAX);
	CHECK(rcpt("XFOO", &rp) == SMTP_PARAMS_UNKNOWN);
}

struct chunk_want {
	const char *out;
	int bare;
};

/* Decode a then b as two chunks; 0 when output and flag match. */
static int
chunk_split(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	const struct chunk_want *w = ctx;
	struct smtpd_chunk c;
	char out[256];
	size_t o;

	smtpd_chunk_init(&c);
	o = smtpd_chunk_decode(&c, a, alen, out);
	o += smtpd_chunk_decode(&c, b, blen, out + o);
	smtpd_chunk_end(&c);
	if (c.bare != w->bare)
		return 1;
	if (w->bare)
		return 0;	/* refused anyway: output does not matter */
	return o != strlen(w->out) || memcmp(out, w->out, o) != 0 ||
	    c.size != o;
}

/* BDAT decoding: CRLF to LF across chunk borders, bare CR/LF flagged. */
static void
test_chunk(void)
{
	static const struct {
		const char *in;
		struct chunk_want want;
	} cases[] = {
		{ "a\r\nb\r\n", { "a\nb\n", 0 } },
		{ "", { "", 0 } },
		{ "no newline", { "no newline", 0 } },
		{ ".\r\n..\r\n", { ".\n..\n", 0 } },
		{ "a\nb", { "", 1 } },
		{ "a\rb", { "", 1 } },
		{ "a\r", { "", 1 } },
		{ "\r\r\n", { "", 1 } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(test_split_feed(cases[i].in, strlen(cases[i].in),
		    chunk_split, (void *)&cases[i].want) == 0);
}

/* Parse "<addr>" with flags; 0 or -1. */
static int
path(const char *p, int flags)
{
	struct addr_path ap;
	const char *err = NULL;

	return addr_parse_path(p, strlen(p), flags, &ap, &err);
}

/* ADDR_ALLOW_UTF8: well-formed UTF-8 only, and only with the flag. */
static void
test_addr_utf8(void)
{
	CHECK(path("<\xe7\x94\xa8\xe6\x88\xb7@example.test>", 0) == -1);
	CHECK(path("<\xe7\x94\xa8\xe6\x88\xb7@example.test>",
	    ADDR_ALLOW_UTF8) == 0);
	CHECK(path("<a@\xe4\xbe\x8b\xe5\xad\x90.test>", ADDR_ALLOW_UTF8) == 0);
	CHECK(path("<a@\xe4\xbe\x8b\xe5\xad\x90.test>", 0) == -1);
	CHECK(path("<\xff@example.test>", ADDR_ALLOW_UTF8) == -1);
	CHECK(path("<\xc0\xaf@example.test>", ADDR_ALLOW_UTF8) == -1);
	CHECK(path("<\xed\xa0\x80@example.test>", ADDR_ALLOW_UTF8) == -1);
	CHECK(path("<\xf4\x90\x80\x80@example.test>", ADDR_ALLOW_UTF8) == -1);
	CHECK(path("<\xe7\x94@example.test>", ADDR_ALLOW_UTF8) == -1);
	CHECK(path("<\xf0\x9f\x98\x80@example.test>", ADDR_ALLOW_UTF8) == 0);
	CHECK(path("<plain@example.test>", ADDR_ALLOW_UTF8) == 0);
	CHECK(path("<a@[127.0.0.1]>", ADDR_ALLOW_UTF8) == 0);
	CHECK(path("<a@-x.test>", ADDR_ALLOW_UTF8) == -1);
}

int
main(void)
{
	TEST_RUN(test_mail_params);
	TEST_RUN(test_rcpt_params);
	TEST_RUN(test_chunk);
	TEST_RUN(test_addr_utf8);
	TEST_EXIT();
}
