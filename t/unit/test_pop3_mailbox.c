/*
 * test_pop3_mailbox.c - unit tests for pop3d/pop3_mailbox.c: delivery-time
 * keys of maildir names, UIDLs, CRLF sizes, and the RETR/TOP encoder fed
 * split at every byte.
 */
#include <limits.h>
#include <string.h>

#include "harness.h"
#include "../../pop3d/pop3_mailbox.h"

/* Delivery time comes from "<sec>." and the "M<usec>" part. */
static void
test_name_key(void)
{
	struct pop3_mailbox_key a, b;

	pop3_mailbox_name_key("1700000000.V801I1a2bM123456.host,S=10,W=12", &a);
	CHECK(a.sec == 1700000000 && a.usec == 123456);
	pop3_mailbox_name_key("1700000000.M5P123.host:2,S", &b);
	CHECK(b.sec == 1700000000 && b.usec == 5);
	CHECK(pop3_mailbox_key_cmp(&b, &a) < 0);
	CHECK(pop3_mailbox_key_cmp(&a, &b) > 0);
	CHECK(pop3_mailbox_key_cmp(&a, &a) == 0);
	pop3_mailbox_name_key("1699999999.12345.host", &b);
	CHECK(b.sec == 1699999999 && b.usec == 0);
	CHECK(pop3_mailbox_key_cmp(&b, &a) < 0);
	pop3_mailbox_name_key("junk", &b);
	CHECK(b.sec == LLONG_MAX);
	pop3_mailbox_name_key("123", &b);
	CHECK(b.sec == LLONG_MAX);
	pop3_mailbox_name_key("99999999999999999999999999.x", &b);
	CHECK(b.sec == LLONG_MAX - 1);
	pop3_mailbox_name_key("1.host.M12", &b);	/* M outside 2nd part */
	CHECK(b.sec == 1 && b.usec == 0);
	pop3_mailbox_name_key("1.M99999999", &b);
	CHECK(b.usec == 999999);
}

/* The UIDL is the unique part, or a stable hash when unusable. */
static void
test_uidl(void)
{
	char u[POP3_UIDL_SIZE], v[POP3_UIDL_SIZE];
	char longname[200];

	CHECK(pop3_mailbox_uidl("1700.V1I2M3.host,S=1:2,S", u, sizeof(u)) == 16);
	CHECK(strcmp(u, "1700.V1I2M3.host") == 0);
	CHECK(pop3_mailbox_uidl("1700.V1I2M3.host:2,", u, sizeof(u)) == 16);
	CHECK(strcmp(u, "1700.V1I2M3.host") == 0);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(pop3_mailbox_uidl(longname, u, sizeof(u)) == 33 && u[0] == 'H');
	CHECK(pop3_mailbox_uidl(longname, v, sizeof(v)) == 33);
	CHECK(strcmp(u, v) == 0);
	longname[5] = 'b';
	CHECK(pop3_mailbox_uidl(longname, v, sizeof(v)) == 33);
	CHECK(strcmp(u, v) != 0);
	CHECK(pop3_mailbox_uidl("a b", u, sizeof(u)) == 33);
	CHECK(pop3_mailbox_uidl(",x", u, sizeof(u)) == 33);
	CHECK(pop3_mailbox_uidl("abc", u, 10) == 0 && u[0] == '\0');
}

/* Bare LFs are counted across chunk boundaries. */
static void
test_bare_lf(void)
{
	int cr = 0;

	CHECK(pop3_mailbox_bare_lf("a\nb\r\nc\n", 7, &cr) == 2 && cr == 0);
	CHECK(pop3_mailbox_bare_lf("x\r", 2, &cr) == 0 && cr == 1);
	CHECK(pop3_mailbox_bare_lf("\n\n", 2, &cr) == 1 && cr == 0);
}

struct enc_case {
	const char *in;
	long lines;
	const char *out;
};

/* Encode a then b; compare with the expected wire text. */
static int
enc_split(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	const struct enc_case *ec = ctx;
	struct pop3_mailbox_encoder e;
	char out[1024];
	size_t o;

	if (2 * (alen + blen) + POP3_ENCODE_END_MAX > sizeof(out))
		return 1;
	pop3_mailbox_encoder_init(&e, ec->lines);
	o = pop3_mailbox_encode(&e, a, alen, out);
	o += pop3_mailbox_encode(&e, b, blen, out + o);
	o += pop3_mailbox_encode_end(&e, out + o);
	return o != strlen(ec->out) || memcmp(out, ec->out, o) != 0;
}

/* RETR and TOP output, for every split of the input. */
static void
test_encode(void)
{
	static const struct enc_case cases[] = {
		{ "A: 1\nB: 2\n\nbody\n.dot\n..\n", -1,
		  "A: 1\r\nB: 2\r\n\r\nbody\r\n..dot\r\n...\r\n.\r\n" },
		{ "A: 1\r\n\r\nx\r\n", -1, "A: 1\r\n\r\nx\r\n.\r\n" },
		{ "A: 1\n\nno newline", -1, "A: 1\r\n\r\nno newline\r\n.\r\n" },
		{ "A: 1\n\nends in cr\r", -1, "A: 1\r\n\r\nends in cr\r\n.\r\n" },
		{ "", -1, ".\r\n" },
		{ "A: 1\n\nl1\nl2\nl3\n", 0, "A: 1\r\n\r\n.\r\n" },
		{ "A: 1\n\nl1\nl2\nl3\n", 2, "A: 1\r\n\r\nl1\r\nl2\r\n.\r\n" },
		{ "A: 1\n\nl1\nl2\nl3\n", 9, "A: 1\r\n\r\nl1\r\nl2\r\nl3\r\n.\r\n" },
		{ "A: 1\r\n\r\n.l1\r\nl2\r\n", 1, "A: 1\r\n\r\n..l1\r\n.\r\n" },
		{ "A: 1\nB: 2", 0, "A: 1\r\nB: 2\r\n.\r\n" },
		{ ".\n", -1, "..\r\n.\r\n" },
		{ "a\rb\n", -1, "a\rb\r\n.\r\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(test_split_feed(cases[i].in, strlen(cases[i].in),
		    enc_split, (void *)&cases[i]) == 0);
}

/* LIST sizes (input + bare LFs) equal RETR output without stuffing. */
static void
test_size_matches(void)
{
	const char *msg = "Subject: x\n\nline\r\nother\n";
	struct pop3_mailbox_encoder e;
	char out[128];
	int cr = 0;
	size_t size = strlen(msg) + pop3_mailbox_bare_lf(msg, strlen(msg), &cr);

	pop3_mailbox_encoder_init(&e, -1);
	CHECK(pop3_mailbox_encode(&e, msg, strlen(msg), out) == size);
}

int
main(void)
{
	TEST_RUN(test_name_key);
	TEST_RUN(test_uidl);
	TEST_RUN(test_bare_lf);
	TEST_RUN(test_encode);
	TEST_RUN(test_size_matches);
	TEST_EXIT();
}
