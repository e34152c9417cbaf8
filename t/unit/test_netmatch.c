/*
 * test_netmatch.c - unit tests for common/netmatch.c: IPv4 and IPv6
 * networks and hosts, bracket forms, prefix edges, IPv4-mapped client
 * addresses, and garbage in both the list and the client address.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "netmatch.h"

/* Match addr against list (which must parse); -1 if the list is bad. */
static int
m(const char *list, const char *addr)
{
	const char *err = NULL;
	struct netmatch *nm = netmatch_new(list, &err);
	int rc;

	if (nm == NULL)
		return -1;
	rc = netmatch_match(nm, addr);
	netmatch_free(&nm);
	return rc;
}

static void
test_ipv4(void)
{
	CHECK(m("127.0.0.0/8", "127.1.2.3") == 1);
	CHECK(m("127.0.0.0/8", "128.0.0.1") == 0);
	CHECK(m("192.0.2.7", "192.0.2.7") == 1);
	CHECK(m("192.0.2.7", "192.0.2.8") == 0);
	CHECK(m("10.0.0.0/9", "10.127.255.255") == 1);
	CHECK(m("10.0.0.0/9", "10.128.0.0") == 0);
	CHECK(m("0.0.0.0/0", "203.0.113.9") == 1);
	CHECK(m("192.0.2.0/32", "192.0.2.0") == 1);
	CHECK(m("10.1.2.3/8", "10.200.0.1") == 1);	/* host bits ignored */
	CHECK(m("127.0.0.0/8, 192.0.2.0/24\t198.51.100.1", "198.51.100.1") == 1);
	CHECK(m("", "127.0.0.1") == 0);
}

static void
test_ipv6(void)
{
	CHECK(m("[::1]/128", "::1") == 1);
	CHECK(m("[::1]", "::1") == 1);
	CHECK(m("::1", "::2") == 0);
	CHECK(m("[2001:db8::/32]", "2001:db8:ffff::1") == 1);
	CHECK(m("2001:db8::/32", "2001:db9::1") == 0);
	CHECK(m("2001:db8::/33", "2001:db8:7fff::1") == 1);
	CHECK(m("2001:db8::/33", "2001:db8:8000::1") == 0);
	CHECK(m("::/0", "fe80::1") == 1);
	CHECK(m("::/0", "127.0.0.1") == 0);
	CHECK(m("127.0.0.0/8", "::ffff:127.0.0.1") == 1);
	CHECK(m("[::1]/128", "[::1]") == 1);
	CHECK(m("127.0.0.1", "::1") == 0);
}

static void
test_garbage(void)
{
	const char *err = NULL;

	CHECK(m("127.0.0.0/33", "127.0.0.1") == -1);
	CHECK(m("::/129", "::1") == -1);
	CHECK(m("127.0.0.0/", "127.0.0.1") == -1);
	CHECK(m("127.0.0.0/-1", "127.0.0.1") == -1);
	CHECK(m("127.0.0.0/8x", "127.0.0.1") == -1);
	CHECK(m("300.0.0.0", "127.0.0.1") == -1);
	CHECK(m("example.com", "127.0.0.1") == -1);
	CHECK(m("[::1", "::1") == -1);
	CHECK(m("[::1]x", "::1") == -1);
	CHECK(m("[::1/64]/64", "::1") == -1);
	CHECK(m("[]", "::1") == -1);
	CHECK(m("/8", "::1") == -1);
	CHECK(netmatch_new("1.2.3.4 junk\x01", &err) == NULL && err != NULL);
	CHECK(m("127.0.0.0/8", "") == 0);
	CHECK(m("127.0.0.0/8", "127.0.0.1x") == 0);
	CHECK(m("127.0.0.0/8", "fe80::1%eth0") == 0);
	CHECK(m("127.0.0.0/8", "[127.0.0.1") == 0);
	CHECK(m("127.0.0.0/8",
	    "127.0.0.1111111111111111111111111111111111111111111111111111111111111111111") == 0);
}

int
main(void)
{
	TEST_RUN(test_ipv4);
	TEST_RUN(test_ipv6);
	TEST_RUN(test_garbage);
	TEST_EXIT();
}
