/*
 * test_auth_proto.c - unit tests for common/auth_proto.c, the framing of
 * petrel-auth's requests and answers: encoding round trips, every request
 * fed split at every byte (a prefix asks for more, the whole parses the
 * same), and refusal of malformed, over-long and out-of-bound fields.
 */
#include <string.h>

#include "auth_proto.h"
#include "buf.h"
#include "harness.h"

#define COOKIE "0123456789abcdef0123456789abcdef"

/* Parse a C string as a request. */
static int
req(const char *s, struct auth_req *r)
{
	size_t used = 0;
	int rc = auth_proto_parse_request(s, strlen(s), r, &used);

	return rc == 1 && used != strlen(s) ? 99 : rc;
}

/* 1 when field f holds the C string s. */
static int
is(const struct auth_field *f, const char *s)
{
	return f->len == strlen(s) && memcmp(f->p, s, f->len) == 0;
}

/* An encoded VERIFY parses back into the same fields. */
static void
test_verify_roundtrip(void)
{
	struct buf *b = buf_new(64, AUTH_PROTO_REQ_MAX);
	struct auth_req r;
	size_t used = 0;

	CHECK(auth_proto_put_verify(b, "smtp", "alice@example.test",
	    "p,w:1", 5, "127.0.0.1") == 0);
	CHECK(b->len == strlen("6:VERIFY,4:smtp,18:alice@example.test,"
	    "5:p,w:1,9:127.0.0.1,"));
	CHECK(memcmp(b->data, "6:VERIFY,4:smtp,18:", 19) == 0);
	CHECK(auth_proto_parse_request(b->data, b->len, &r, &used) == 1);
	CHECK(used == b->len && r.cmd == AUTH_CMD_VERIFY);
	CHECK(is(&r.service, "smtp") && is(&r.user, "alice@example.test"));
	CHECK(is(&r.password, "p,w:1") && is(&r.addr, "127.0.0.1"));
	buf_reset(b);
	CHECK(auth_proto_put_verify(b, "imap", "u", "", 0, "") == 0);
	CHECK(auth_proto_parse_request(b->data, b->len, &r, &used) == 1);
	CHECK(r.password.len == 0 && r.addr.len == 0);
	buf_free(&b);
}

/* REDEEM and answers round-trip; the status names are exact. */
static void
test_redeem_and_reply(void)
{
	struct buf *b = buf_new(64, AUTH_PROTO_REQ_MAX);
	struct auth_req r;
	struct auth_reply rep;
	size_t used = 0;

	CHECK(auth_proto_put_redeem(b, COOKIE) == 0);
	CHECK(req(buf_cstr(b), &r) == 1 && r.cmd == AUTH_CMD_REDEEM);
	CHECK(is(&r.cookie, COOKIE));
	buf_reset(b);
	CHECK(auth_proto_put_reply(b, AUTH_ST_TEMP, "map down", 8) == 0);
	CHECK(strcmp(buf_cstr(b), "4:TEMP,8:map down,") == 0);
	CHECK(auth_proto_parse_reply(b->data, b->len, &rep, &used) == 1);
	CHECK(rep.status == AUTH_ST_TEMP && is(&rep.value, "map down"));
	CHECK(auth_proto_parse_reply("2:OK,0:,", 8, &rep, &used) == 1);
	CHECK(rep.status == AUTH_ST_OK && rep.value.len == 0 && used == 8);
	CHECK(auth_proto_parse_reply("4:DENY,1:x,", 11, &rep, &used) == 1);
	CHECK(rep.status == AUTH_ST_DENY);
	CHECK(auth_proto_parse_reply("2:ok,0:,", 8, &rep, &used) == -1);
	CHECK(auth_proto_parse_reply("2:NO,1:\n,", 10, &rep, &used) == -1);
	CHECK(auth_proto_parse_reply("2:NO,1:", 7, &rep, &used) == 0);
	CHECK(strcmp(auth_proto_status_name(AUTH_ST_NO), "NO") == 0);
	buf_free(&b);
}

/* WAIT and the seconds of NO and WAIT values: 1-2 digits, capped. */
static void
test_seconds(void)
{
	struct auth_reply rep;
	size_t used = 0;

	CHECK(auth_proto_parse_reply("4:WAIT,1:4,", 11, &rep, &used) == 1);
	CHECK(rep.status == AUTH_ST_WAIT && auth_proto_seconds(&rep.value) == 4);
	CHECK(strcmp(auth_proto_status_name(AUTH_ST_WAIT), "WAIT") == 0);
	CHECK(auth_proto_parse_reply("2:NO,2:15,", 10, &rep, &used) == 1);
	CHECK(auth_proto_seconds(&rep.value) == 15);
	CHECK(auth_proto_parse_reply("2:NO,2:99,", 10, &rep, &used) == 1);
	CHECK(auth_proto_seconds(&rep.value) == AUTH_PROTO_DELAY_MAX);
	CHECK(auth_proto_parse_reply("2:NO,3:100,", 11, &rep, &used) == 1);
	CHECK(auth_proto_seconds(&rep.value) == 0);
	CHECK(auth_proto_parse_reply("2:NO,21:authentication failed,", 30,
	    &rep, &used) == 1);
	CHECK(auth_proto_seconds(&rep.value) == 0);
	CHECK(auth_proto_parse_reply("2:NO,0:,", 8, &rep, &used) == 1);
	CHECK(auth_proto_seconds(&rep.value) == 0);
}

struct split_ctx {
	const char *user;
};

/* A split request: the first piece alone is incomplete (or the whole),
 * both together parse to the same user. */
static int
split_one(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	const struct split_ctx *sc = ctx;
	char joined[AUTH_PROTO_REQ_MAX];
	struct auth_req r;
	size_t used = 0;
	int rc = auth_proto_parse_request(a, alen, &r, &used);

	if (blen > 0 && rc != 0)
		return 1;
	memcpy(joined, a, alen);
	memcpy(joined + alen, b, blen);
	rc = auth_proto_parse_request(joined, alen + blen, &r, &used);
	return rc == 1 && used == alen + blen && is(&r.user, sc->user) ? 0 : 1;
}

/* Streaming: every split position of a request. */
static void
test_split(void)
{
	static const char v[] = "6:VERIFY,4:pop3,3:bob,11:hunter2,xyz,"
	    "7:::1%lo0,";
	struct split_ctx sc = { "bob" };
	struct auth_req r;

	CHECK(req(v, &r) == 1 && is(&r.password, "hunter2,xyz"));
	CHECK(test_split_feed(v, strlen(v), split_one, &sc) == 0);
	CHECK(req("6:REDEEM,32:" COOKIE ",", &r) == 1);
}

/* Malformed framing and bad fields are refused. */
static void
test_refused(void)
{
	struct auth_req r;

	CHECK(req("06:VERIFY,", &r) == -1);		/* leading zero */
	CHECK(req("00:", &r) == -1);
	CHECK(req("12345", &r) == -1);			/* five digits */
	CHECK(req(":VERIFY,", &r) == -1);
	CHECK(req("6;VERIFY,", &r) == -1);
	CHECK(req("6:VERIFYX", &r) == -1);		/* no comma */
	CHECK(req("6:DELETE,", &r) == -1);
	CHECK(req("7:VERIFY2,", &r) == -1);		/* command too long */
	CHECK(req("6:VERIFY,4:SMTP,1:u,0:,0:,", &r) == -1);
	CHECK(req("6:VERIFY,0:,1:u,0:,0:,", &r) == -1);
	CHECK(req("6:VERIFY,4:smtp,0:,0:,0:,", &r) == -1);
	CHECK(req("6:VERIFY,4:smtp,2:u\n,0:,0:,", &r) == -1);
	CHECK(auth_proto_parse_request("6:VERIFY,4:smtp,1:u,3:a\0b,0:,",
	    strlen("6:VERIFY,4:smtp,1:u,3:a") + 6, &r, &(size_t){ 0 }) == -1);
	CHECK(req("6:VERIFY,4:smtp,1:u,0:,0:,x", &r) == 99);	/* trailing */
	CHECK(req("6:REDEEM,32:0123456789ABCDEF0123456789abcdef,", &r) == -1);
	CHECK(req("6:REDEEM,3:abc,", &r) == -1);
	CHECK(req("6:VERIFY,4:smtp,256:", &r) == -1);	/* user too long */
	CHECK(req("6:VERIFY,4:smtp,1:u,1025:", &r) == -1);
	CHECK(req("6:VERIFY,4:smtp,1:u,0:,65:", &r) == -1);
	CHECK(req("6:VERIFY,4:smtp,1:u,1024:", &r) == 0);	/* may come */
	CHECK(req("", &r) == 0 && req("6", &r) == 0 && req("6:VER", &r) == 0);
}

/* Encoders refuse what the parser would refuse and leave b as it was. */
static void
test_put_refused(void)
{
	struct buf *b = buf_new(16, AUTH_PROTO_REQ_MAX);
	char big[AUTH_PROTO_PASSWORD_MAX + 2];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(auth_proto_put_verify(b, "SMTP", "u", "p", 1, "") == -1);
	CHECK(auth_proto_put_verify(b, "smtp", "", "p", 1, "") == -1);
	CHECK(auth_proto_put_verify(b, "smtp", "u\r", "p", 1, "") == -1);
	CHECK(auth_proto_put_verify(b, "smtp", "u", "a\0b", 3, "") == -1);
	CHECK(auth_proto_put_verify(b, "smtp", "u", big, strlen(big), "") == -1);
	CHECK(auth_proto_put_redeem(b, "abc") == -1);
	CHECK(auth_proto_put_reply(b, AUTH_ST_OK, "a\nb", 3) == -1);
	CHECK(b->len == 0);
	buf_free(&b);
	b = buf_new(8, 40);	/* too small a maximum: partial output undone */
	CHECK(auth_proto_put_verify(b, "smtp", "user@example.test", "secret",
	    6, "") == -1);
	CHECK(b->len == 0);
	buf_free(&b);
}

int
main(void)
{
	TEST_RUN(test_verify_roundtrip);
	TEST_RUN(test_redeem_and_reply);
	TEST_RUN(test_seconds);
	TEST_RUN(test_split);
	TEST_RUN(test_refused);
	TEST_RUN(test_put_refused);
	TEST_EXIT();
}
