/*
 * test_dnsbl_sites.c - unit tests for smtpd/dnsbl_sites.c: the
 * smtpd_dnsbl_sites parser (defaults, filters with ranges and lists,
 * weights, separators, case and trailing dots, every error, the entry
 * bound, every prefix of a valid list), the reply filter and the query
 * names for IPv4 and IPv6 clients.
 */
#include "harness.h"
#include "../../smtpd/dnsbl.h"

/* Parses a C string; the rc. */
static int
parse(const char *s, struct dnsbl_sites *sites)
{
	const char *err = NULL;
	int rc = dnsbl_sites_parse(s, strlen(s), sites, &err);

	if (rc != 0 && err == NULL)
		return -2;	/* an error must say why */
	return rc;
}

/* 1 when site matches a.b.c.d. */
static int
match(const struct dnsbl_site *site, int a, int b, int c, int d)
{
	unsigned char addr[4] = { (unsigned char)a, (unsigned char)b,
	    (unsigned char)c, (unsigned char)d };

	return dnsbl_site_match(site, addr);
}

/* A bare domain: weight 1, any reply counts. */
static void
test_plain(void)
{
	struct dnsbl_sites s;

	CHECK(parse("bl.test", &s) == 0);
	CHECK(s.n == 1);
	if (s.n == 1) {
		CHECK(strcmp(s.v[0].domain, "bl.test") == 0);
		CHECK(s.v[0].weight == 1 && !s.v[0].has_filter);
		CHECK(match(&s.v[0], 127, 0, 0, 2));
		CHECK(match(&s.v[0], 10, 1, 2, 3));
	}
	dnsbl_sites_free(&s);
	CHECK(s.v == NULL && s.n == 0);
	CHECK(parse("", &s) == 0 && s.n == 0);
	CHECK(parse(" ,\t, ", &s) == 0 && s.n == 0);
}

/* Filters, weights, separators, case and the trailing dot. */
static void
test_full(void)
{
	struct dnsbl_sites s;

	CHECK(parse("zen.Example=127.0.0.[2..11]*3,\twl.example="
	    "127.0.[0..255].[0;1]*-2  BL.Test.=127.0.0.2\n"
	    "x.test=127.0.0.[2;3;5..6]", &s) == 0);
	CHECK(s.n == 4);
	if (s.n != 4)
		return;
	CHECK(strcmp(s.v[0].domain, "zen.example") == 0);
	CHECK(s.v[0].weight == 3 && s.v[0].has_filter);
	CHECK(match(&s.v[0], 127, 0, 0, 2) && match(&s.v[0], 127, 0, 0, 11));
	CHECK(!match(&s.v[0], 127, 0, 0, 1) && !match(&s.v[0], 127, 0, 0, 12));
	CHECK(!match(&s.v[0], 127, 0, 1, 2) && !match(&s.v[0], 128, 0, 0, 2));
	CHECK(strcmp(s.v[1].domain, "wl.example") == 0 && s.v[1].weight == -2);
	CHECK(match(&s.v[1], 127, 0, 200, 1) && match(&s.v[1], 127, 0, 0, 0));
	CHECK(!match(&s.v[1], 127, 0, 200, 2));
	CHECK(strcmp(s.v[2].domain, "bl.test") == 0 && s.v[2].weight == 1);
	CHECK(match(&s.v[2], 127, 0, 0, 2) && !match(&s.v[2], 127, 0, 0, 3));
	CHECK(match(&s.v[3], 127, 0, 0, 2) && match(&s.v[3], 127, 0, 0, 3));
	CHECK(!match(&s.v[3], 127, 0, 0, 4) && match(&s.v[3], 127, 0, 0, 5));
	CHECK(match(&s.v[3], 127, 0, 0, 6) && !match(&s.v[3], 127, 0, 0, 7));
	dnsbl_sites_free(&s);
	CHECK(parse("w.test*0 v.test*-100000 u.test*100000", &s) == 0);
	CHECK(s.n == 3 && s.v[0].weight == 0 && s.v[1].weight == -100000);
	dnsbl_sites_free(&s);
	CHECK(parse("a.test=0.0.0.0*2", &s) == 0 && s.n == 1 &&
	    s.v[0].weight == 2 && match(&s.v[0], 0, 0, 0, 0));
	dnsbl_sites_free(&s);
}

/* Every malformed entry is refused with a reason and leaves no list. */
static void
test_errors(void)
{
	static const char *const bad[] = {
		"=127.0.0.2", "bl..test", ".bl.test", "bl.test..", "b l\x01.t",
		"bl.test=127.0.0", "bl.test=127.0.0.256", "bl.test=127.0.0.2.",
		"bl.test=127.0.0.[3..2]", "bl.test=127.0.0.[2", "bl.test=",
		"bl.test=127.0.0.[]", "bl.test=127.0.0.[2;]",
		"bl.test=127.0.0.[2..]", "bl.test=1.2.3.4.5", "bl.test*",
		"bl.test*x", "bl.test*100001", "bl.test*-100001",
		"bl.test*2=127.0.0.2", "bl.test=127.0.0.0002", "bl\\.test",
		"ok.test bl_test=x", "bl.test=a.b.c.d", "bl.test**2",
		"bl.test=127.0.0.[1..2..3]", NULL
	};
	struct dnsbl_sites s;
	char many[2048];
	size_t o = 0;

	for (size_t i = 0; bad[i] != NULL; i++) {
		s.n = 99;
		CHECK(parse(bad[i], &s) == -1);
		CHECK(s.n == 0 && s.v == NULL);
	}
	for (int i = 0; i < DNSBL_SITES_MAX; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "s%d.test ",
		    i);
	CHECK(parse(many, &s) == 0 && s.n == DNSBL_SITES_MAX);
	dnsbl_sites_free(&s);
	(void)snprintf(many + o, sizeof(many) - o, "one.more");
	CHECK(parse(many, &s) == -1 && s.n == 0);
}

/* Every prefix of a valid list (a config value cut anywhere): a clean
 * result or a clean error, and the cut inside a number changes it. */
static void
test_prefixes(void)
{
	const char *full = "zen.example=127.0.0.[2..11;20]*3, wl.test*-2";
	struct dnsbl_sites s;
	const char *err;
	size_t ok = 0;

	for (size_t len = 0; len <= strlen(full); len++) {
		err = NULL;
		int rc = dnsbl_sites_parse(full, len, &s, &err);

		CHECK(rc == 0 || (rc == -1 && err != NULL && s.n == 0));
		if (rc == 0) {
			ok++;
			CHECK(s.n <= 2);
		}
		dnsbl_sites_free(&s);
	}
	/* "", "z" .. "zen.example" without the dot-end, the whole ... */
	CHECK(ok > 10 && ok < strlen(full));
	CHECK(dnsbl_sites_parse(full, strlen(full), &s, &err) == 0);
	CHECK(s.n == 2 && s.v[1].weight == -2);
	dnsbl_sites_free(&s);
}

/* Reversed octets and nibbles. */
static void
test_query_name(void)
{
	char buf[DNS_NAME_MAX], dom[300];

	CHECK(dnsbl_query_name("192.0.2.1", "bl.test", buf, sizeof(buf)) == 0);
	CHECK(strcmp(buf, "1.2.0.192.bl.test") == 0);
	CHECK(dnsbl_query_name("2001:db8::1", "bl.test", buf, sizeof(buf))
	    == 0);
	CHECK(strcmp(buf, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
	    "8.b.d.0.1.0.0.2.bl.test") == 0);
	CHECK(dnsbl_query_name("::ffff:1.2.3.4", "b.t", buf, sizeof(buf)) == 0);
	CHECK(strncmp(buf, "4.0.3.0.2.0.1.0.f.f.f.f.", 24) == 0);
	CHECK(dnsbl_query_name("unknown", "bl.test", buf, sizeof(buf)) == -1);
	CHECK(dnsbl_query_name("1.2.3", "bl.test", buf, sizeof(buf)) == -1);
	CHECK(dnsbl_query_name("1.2.3.4", "bl.test", buf, 10) == -1);
	memset(dom, 'a', 250);
	dom[250] = '\0';
	CHECK(dnsbl_query_name("1.2.3.4", dom, buf, sizeof(buf)) == -1);
	dom[240] = '\0';
	CHECK(dnsbl_query_name("1.2.3.4", dom, buf, sizeof(buf)) == 0);
}

int
main(void)
{
	TEST_RUN(test_plain);
	TEST_RUN(test_full);
	TEST_RUN(test_errors);
	TEST_RUN(test_prefixes);
	TEST_RUN(test_query_name);
	TEST_EXIT();
}
