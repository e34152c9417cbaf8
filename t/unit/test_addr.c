/*
 * test_addr.c - unit tests for common/addr.c: paths with and without
 * brackets, the null path, source routes, quoted local parts, length
 * limits, domains and address literals, garbage; addr_split and
 * addr_normalize.
 */
#include <stdint.h>

#include "harness.h"
#include "addr.h"

/* Parse s; return 0 when it parses to addr with params. */
static int
ok(const char *s, int flags, const char *addr, const char *params)
{
	struct addr_path p;
	const char *err = NULL;

	if (addr_parse_path(s, strlen(s), flags, &p, &err) != 0)
		return 1;
	if (p.addr_len != strlen(addr) || strcmp(p.addr, addr) != 0)
		return 1;
	return p.params_len == strlen(params) &&
	    memcmp(p.params, params, p.params_len) == 0 ? 0 : 1;
}

/* 1 when s is refused with a reason. */
static int
bad(const char *s, int flags)
{
	struct addr_path p;
	const char *err = NULL;

	return addr_parse_path(s, strlen(s), flags, &p, &err) == -1 &&
	    err != NULL;
}

/* Ordinary bracketed paths and their parameters. */
static void
test_plain(void)
{
	CHECK(ok("<user@example.com>", 0, "user@example.com", "") == 0);
	CHECK(ok("  <user@example.com>", 0, "user@example.com", "") == 0);
	CHECK(ok("<a@b.c> SIZE=10 BODY=8BITMIME", 0, "a@b.c",
	    "SIZE=10 BODY=8BITMIME") == 0);
	CHECK(ok("<a@b.c>   ", 0, "a@b.c", "") == 0);
	CHECK(ok("<postmaster>", 0, "postmaster", "") == 0);
	CHECK(ok("<first.last+tag@sub.example.org>", 0,
	    "first.last+tag@sub.example.org", "") == 0);
}

/* The null path only where allowed. */
static void
test_null(void)
{
	CHECK(ok("<>", ADDR_ALLOW_NULL, "", "") == 0);
	CHECK(ok("<> SIZE=5", ADDR_ALLOW_NULL, "", "SIZE=5") == 0);
	CHECK(bad("<>", 0));
}

/* Source routes are accepted and dropped. */
static void
test_route(void)
{
	CHECK(ok("<@a.example,@b.example:u@c.example>", 0, "u@c.example",
	    "") == 0);
	CHECK(ok("<@a.example:u@c.example>", 0, "u@c.example", "") == 0);
	CHECK(bad("<@a.example u@c>", 0));
	CHECK(bad("<@:u@c>", 0));
	CHECK(bad("<@a,b:u@c>", 0));
}

/* Quoted local parts are kept as given. */
static void
test_quoted(void)
{
	CHECK(ok("<\"john doe\"@example.com>", 0, "\"john doe\"@example.com",
	    "") == 0);
	CHECK(ok("<\"a>b\"@example.com>", 0, "\"a>b\"@example.com", "") == 0);
	CHECK(ok("<\"a\\\"b\"@example.com>", 0, "\"a\\\"b\"@example.com",
	    "") == 0);
	CHECK(bad("<\"unterminated@example.com>", 0));
	CHECK(bad("<\"a\"b@example.com>", 0));
}

/* Bare addresses only with ADDR_ALLOW_BARE. */
static void
test_bare(void)
{
	CHECK(bad("user@example.com", 0));
	CHECK(ok("user@example.com", ADDR_ALLOW_BARE, "user@example.com",
	    "") == 0);
	CHECK(ok("user@example.com SIZE=1", ADDR_ALLOW_BARE,
	    "user@example.com", "SIZE=1") == 0);
	CHECK(bad("", ADDR_ALLOW_BARE));
}

/* Length limits of RFC 5321 4.5.3.1. */
static void
test_limits(void)
{
	char buf[600];

	memset(buf, 0, sizeof(buf));
	buf[0] = '<';
	memset(buf + 1, 'a', 64);
	memcpy(buf + 65, "@x.org>", 8);
	CHECK(!bad(buf, 0));
	memset(buf + 1, 'a', 65);
	memcpy(buf + 66, "@x.org>", 8);
	CHECK(bad(buf, 0));		/* local part 65 */
	memset(buf, 0, sizeof(buf));
	buf[0] = '<';
	buf[1] = 'u';
	buf[2] = '@';
	for (int i = 0; i < 4; i++) {
		memset(buf + 3 + i * 64, 'd', 63);
		buf[3 + i * 64 + 63] = '.';
	}
	memcpy(buf + 3 + 256, "com>", 5);
	CHECK(bad(buf, 0));		/* mailbox over 254 */
	memset(buf + 1, 'a', 500);
	memcpy(buf + 501, "@x.org>", 8);
	CHECK(bad(buf, 0));
}

/* Garbage of every kind. */
static void
test_garbage(void)
{
	CHECK(bad("", 0));
	CHECK(bad("<", 0));
	CHECK(bad("<a@b", 0));
	CHECK(bad("<a@b>x", 0));
	CHECK(bad("<a@@b>", 0));
	CHECK(bad("<a@>", 0));
	CHECK(bad("<@b>", 0));
	CHECK(bad("<.a@b>", 0));
	CHECK(bad("<a.@b>", 0));
	CHECK(bad("<a..b@c>", 0));
	CHECK(bad("<a b@c>", 0));
	CHECK(bad("<a@b..c>", 0));
	CHECK(bad("<a@-b.c>", 0));
	CHECK(bad("<a@b-.c>", 0));
	CHECK(bad("<a@b_c.d>", 0));
	CHECK(bad("<\xc3\xa9@b.c>", 0));
	CHECK(bad("<a@b.c\r>", 0));
	{
		struct addr_path p;
		const char *err;
		CHECK(addr_parse_path("<a\0b@c>", 7, 0, &p, &err) == -1);
		CHECK(addr_parse_path("<a@[1.2.3.4\0]>", 15, 0, &p, &err) == -1);
		CHECK(!addr_is_valid_domain("[1.2.3.4\0x]", 11));
	}
}

/* Domains and address literals. */
static void
test_domain(void)
{
	CHECK(addr_is_valid_domain("example.com", 11));
	CHECK(addr_is_valid_domain("localhost", 9));
	CHECK(addr_is_valid_domain("a-b.c0", 6));
	CHECK(addr_is_valid_domain("[192.0.2.1]", 11));
	CHECK(addr_is_valid_domain("[IPv6:2001:db8::1]", 18));
	CHECK(addr_is_valid_domain("[ipv6:::1]", 10));
	CHECK(!addr_is_valid_domain("[192.0.2.256]", 13));
	CHECK(!addr_is_valid_domain("[2001:db8::1]", 13));
	CHECK(!addr_is_valid_domain("[]", 2));
	CHECK(!addr_is_valid_domain("", 0));
	CHECK(!addr_is_valid_domain("a..b", 4));
	CHECK(!addr_is_valid_domain("a.", 2));
	CHECK(!addr_is_valid_domain(".a", 2));
	CHECK(!addr_is_valid_domain("a b", 3));
	CHECK(ok("<u@[192.0.2.1]>", 0, "u@[192.0.2.1]", "") == 0);
	CHECK(ok("<u@[IPv6:::1]>", 0, "u@[IPv6:::1]", "") == 0);
}

/* addr_split and addr_normalize. */
static void
test_split_normalize(void)
{
	char a[] = "\"x@y\"@Example.COM";
	size_t lp;
	const char *dom;

	addr_split(a, &lp, &dom);
	CHECK(lp == 5 && dom != NULL && strcmp(dom, "Example.COM") == 0);
	CHECK(strcmp(addr_normalize(a), "\"x@y\"@example.com") == 0);
	addr_split("\"a@b\"", &lp, &dom);
	CHECK(lp == 5 && dom == NULL);
	addr_split("postmaster", &lp, &dom);
	CHECK(lp == 10 && dom == NULL);
	{
		char b[] = "User@HOST";
		CHECK(strcmp(addr_normalize(b), "User@host") == 0);
	}
}

/* Main: run every test. */
int
main(void)
{
	TEST_RUN(test_plain);
	TEST_RUN(test_null);
	TEST_RUN(test_route);
	TEST_RUN(test_quoted);
	TEST_RUN(test_bare);
	TEST_RUN(test_limits);
	TEST_RUN(test_garbage);
	TEST_RUN(test_domain);
	TEST_RUN(test_split_normalize);
	TEST_EXIT();
}
