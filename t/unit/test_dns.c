/*
 * test_dns.c - unit tests for queue/dns.c: the MX reply parser on
 * hand-built packets (plain, compressed, null MX, NXDOMAIN, SERVFAIL,
 * NODATA, truncated at every length, corrupted bytes, pointer loops and
 * chains, overlong names, bad target names, too many records), the MX
 * ordering with shuffle and loop cut, dns_lookup_host on address
 * literals, and dns_lookup_mx end to end with canned replies through
 * dns_set_query_fn (no network needed).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>

#include "harness.h"
#include "../../queue/dns.h"

struct pkt {
	unsigned char b[8192];
	size_t len;
};

/* Appends one byte. */
static void
put8(struct pkt *p, unsigned int v)
{
	if (p->len < sizeof(p->b))
		p->b[p->len++] = (unsigned char)v;
}

/* Appends a big-endian 16-bit value. */
static void
put16(struct pkt *p, unsigned int v)
{
	put8(p, v >> 8);
	put8(p, v & 0xff);
}

/* Appends a name in uncompressed form; ptr > 0 ends it with a pointer. */
static void
put_name(struct pkt *p, const char *name, unsigned int ptr)
{
	while (*name != '\0') {
		size_t l = strcspn(name, ".");

		put8(p, (unsigned int)l);
		for (size_t i = 0; i < l; i++)
			put8(p, (unsigned char)name[i]);
		name += l;
		if (*name == '.')
			name++;
	}
	if (ptr > 0)
		put16(p, 0xc000 | ptr);
	else
		put8(p, 0);
}

/* Header plus the question "example.org MX IN" (name at offset 12). */
static void
start(struct pkt *p, unsigned int rcode, unsigned int ancount)
{
	p->len = 0;
	put16(p, 0x1234);
	put16(p, 0x8180 | rcode);
	put16(p, 1);
	put16(p, ancount);
	put16(p, 0);
	put16(p, 0);
	put_name(p, "example.org", 0);
	put16(p, 15);
	put16(p, 1);
}

/* Appends an RR header owned by the question name; returns the rdlength
 * offset for fix_rdlen. */
static size_t
rr(struct pkt *p, unsigned int type, unsigned int class)
{
	size_t at;

	put16(p, 0xc00c);
	put16(p, type);
	put16(p, class);
	put16(p, 0);
	put16(p, 300);
	at = p->len;
	put16(p, 0);
	return at;
}

/* Sets the rdlength at `at` to what followed it. */
static void
fix_rdlen(struct pkt *p, size_t at)
{
	size_t n = p->len - at - 2;

	p->b[at] = (unsigned char)(n >> 8);
	p->b[at + 1] = (unsigned char)(n & 0xff);
}

/* Appends an MX record; ptr > 0 compresses the target's tail. */
static void
mx(struct pkt *p, unsigned int pref, const char *target, unsigned int ptr)
{
	size_t at = rr(p, 15, 1);

	put16(p, pref);
	put_name(p, target, ptr);
	fix_rdlen(p, at);
}

/* Parses p; returns the rc and leaves the records in *m, *n. */
static int
parse(const struct pkt *p, struct dns_mx **m, size_t *n)
{
	return dns_parse_mx(p->b, p->len, m, n);
}

/* A normal list, uppercase and a trailing-dot-free result, other types
 * ignored. */
static void
test_parse_plain(void)
{
	struct pkt p;
	struct dns_mx *m;
	size_t n, at;

	start(&p, 0, 5);
	mx(&p, 10, "MX1.Example.ORG", 0);
	at = rr(&p, 5, 1);	/* a CNAME, ignored */
	put_name(&p, "other.example", 0);
	fix_rdlen(&p, at);
	mx(&p, 20, "mx2.example.org", 0);
	at = rr(&p, 15, 3);	/* MX in class CH, ignored */
	put16(&p, 1);
	put_name(&p, "chaos", 0);
	fix_rdlen(&p, at);
	mx(&p, 5, "mx0.example.net", 0);
	CHECK(parse(&p, &m, &n) == 1);
	CHECK(n == 3);
	if (n == 3) {
		CHECK(strcmp(m[0].name, "mx1.example.org") == 0 &&
		    m[0].pref == 10);
		CHECK(strcmp(m[1].name, "mx2.example.org") == 0 &&
		    m[1].pref == 20);
		CHECK(strcmp(m[2].name, "mx0.example.net") == 0 &&
		    m[2].pref == 5);
	}
	free(m);
}

/* Compression pointers to the question name and to an earlier target. */
static void
test_parse_compress(void)
{
	struct pkt p;
	struct dns_mx *m;
	size_t n, second;

	start(&p, 0, 3);
	mx(&p, 10, "mx1", 12);
	second = p.len + 12 + 2;	/* the target of the next record */
	mx(&p, 20, "mx2", 12);
	mx(&p, 30, "", (unsigned int)second);
	CHECK(parse(&p, &m, &n) == 1);
	CHECK(n == 3);
	if (n == 3) {
		CHECK(strcmp(m[0].name, "mx1.example.org") == 0);
		CHECK(strcmp(m[1].name, "mx2.example.org") == 0);
		CHECK(strcmp(m[2].name, "mx2.example.org") == 0 &&
		    m[2].pref == 30);
	}
	free(m);
}

/* RFC 7505 null MX, NODATA, NXDOMAIN, SERVFAIL, REFUSED, a query. */
static void
test_parse_status(void)
{
	struct pkt p;
	struct dns_mx *m;
	size_t n;

	start(&p, 0, 1);
	mx(&p, 0, "", 0);
	CHECK(parse(&p, &m, &n) == 1 && n == 1 && m[0].name[0] == '\0' &&
	    m[0].pref == 0);
	free(m);
	start(&p, 0, 0);
	CHECK(parse(&p, &m, &n) == 1 && n == 0 && m == NULL);
	start(&p, 3, 0);
	CHECK(parse(&p, &m, &n) == 0 && m == NULL);
	start(&p, 2, 0);
	CHECK(parse(&p, &m, &n) == -1 && m == NULL);
	start(&p, 5, 0);
	CHECK(parse(&p, &m, &n) == -1);
	start(&p, 0, 0);
	p.b[2] &= 0x7f;		/* QR clear: not a response */
	CHECK(parse(&p, &m, &n) == -1);
	CHECK(dns_parse_mx(p.b, 0, &m, &n) == -1);
}

/* Every prefix of a good reply parses or fails cleanly; so do replies
 * with one byte overwritten by troublesome values. */
static void
test_parse_truncated(void)
{
	static const unsigned char vals[] = { 0x00, 0xff, 0xc0, 0x3f, 0x40 };
	struct pkt p, q;
	struct dns_mx *m;
	size_t n;
	int rc;

	start(&p, 0, 2);
	mx(&p, 10, "mx1", 12);
	mx(&p, 20, "mx2.example.org", 0);
	for (size_t len = 0; len < p.len; len++) {
		rc = dns_parse_mx(p.b, len, &m, &n);
		CHECK(rc == -1 || (rc == 1 && n <= 2));
		CHECK(rc != 1 || len >= 12);
		free(m);
	}
	CHECK(parse(&p, &m, &n) == 1 && n == 2);
	free(m);
	for (size_t i = 0; i < p.len; i++) {
		for (size_t v = 0; v < sizeof(vals); v++) {
			q = p;
			q.b[i] = vals[v];
			rc = parse(&q, &m, &n);
			CHECK(rc >= -1 && rc <= 1 && n <= 2);
			CHECK(rc == 1 || m == NULL);
			free(m);
		}
	}
}

/* Pointer to itself, forward pointers, two-pointer loops, chains of
 * pointers, names over 255 bytes. */
static void
test_parse_loops(void)
{
	struct pkt p;
	struct dns_mx *m;
	size_t n, at, first;

	start(&p, 0, 1);
	at = rr(&p, 15, 1);
	put16(&p, 10);
	put16(&p, 0xc000 | (unsigned int)p.len);	/* to itself */
	fix_rdlen(&p, at);
	CHECK(parse(&p, &m, &n) == -1);

	start(&p, 0, 1);
	at = rr(&p, 15, 1);
	put16(&p, 10);
	put16(&p, 0xc000 | (unsigned int)(p.len + 2));	/* forward */
	put16(&p, 0xc000 | (unsigned int)(p.len - 2));	/* and back */
	fix_rdlen(&p, at);
	CHECK(parse(&p, &m, &n) == -1);

	/* "a" then a pointer back to the "a": a loop that only grows. */
	start(&p, 0, 1);
	at = rr(&p, 15, 1);
	put16(&p, 10);
	first = p.len;
	put8(&p, 1);
	put8(&p, 'a');
	put16(&p, 0xc000 | (unsigned int)first);
	fix_rdlen(&p, at);
	CHECK(parse(&p, &m, &n) == -1);
}

/* A TXT record holding k chained pointers, then an MX to the last one. */
static int
chain(size_t k, char *name_r)
{
	struct pkt p;
	struct dns_mx *m;
	size_t n, at, prev = 12;
	int rc;

	start(&p, 0, 2);
	at = rr(&p, 16, 1);
	for (size_t i = 0; i < k; i++) {
		size_t here = p.len;

		put16(&p, 0xc000 | (unsigned int)prev);
		prev = here;
	}
	fix_rdlen(&p, at);
	at = rr(&p, 15, 1);
	put16(&p, 10);
	put16(&p, 0xc000 | (unsigned int)prev);
	fix_rdlen(&p, at);
	rc = parse(&p, &m, &n);
	if (rc == 1 && n == 1)
		memcpy(name_r, m[0].name, DNS_NAME_MAX);
	free(m);
	return rc;
}

/* At most 64 pointer jumps are followed. */
static void
test_parse_chain(void)
{
	char name[DNS_NAME_MAX];

	CHECK(chain(63, name) == 1 && strcmp(name, "example.org") == 0);
	CHECK(chain(64, name) == -1);
	CHECK(chain(1000, name) == -1);
}

/* Names up to 255 wire bytes pass, longer ones fail. */
static void
test_parse_long_name(void)
{
	char name[400];
	struct pkt p;
	struct dns_mx *m;
	size_t n;

	/* 4 labels of 63 = 4 * 64 + 1 = 257 wire bytes: too long. */
	memset(name, 'a', sizeof(name));
	for (size_t i = 63; i < 256; i += 64)
		name[i] = '.';
	name[255] = '\0';
	start(&p, 0, 1);
	mx(&p, 10, name, 0);
	CHECK(parse(&p, &m, &n) == -1);
	/* 3 x 63 + 61: 64 * 3 + 62 + 1 = 255 bytes: fits. */
	name[253] = '\0';
	start(&p, 0, 1);
	mx(&p, 10, name, 0);
	CHECK(parse(&p, &m, &n) == 1 && n == 1 && strlen(m[0].name) == 253);
	free(m);
}

/* Targets with bytes a host name cannot hold are skipped; if none is
 * left, the reply is malformed rather than NODATA. */
static void
test_parse_bad_target(void)
{
	struct pkt p;
	struct dns_mx *m;
	size_t n;

	start(&p, 0, 2);
	mx(&p, 10, "bad name.example", 0);
	mx(&p, 20, "good.example", 0);
	CHECK(parse(&p, &m, &n) == 1 && n == 1 &&
	    strcmp(m[0].name, "good.example") == 0);
	free(m);
	start(&p, 0, 1);
	mx(&p, 10, "nul\001.example", 0);
	CHECK(parse(&p, &m, &n) == -1);
}

/* At most DNS_MX_MAX records are kept. */
static void
test_parse_many(void)
{
	struct pkt p;
	struct dns_mx *m;
	size_t n;

	start(&p, 0, 150);
	for (unsigned int i = 0; i < 150; i++)
		mx(&p, i, "mx", 12);
	CHECK(parse(&p, &m, &n) == 1 && n == DNS_MX_MAX);
	CHECK(n == 0 || m[n - 1].pref == DNS_MX_MAX - 1);
	free(m);
}

/* Fills m from "name/pref" pairs. */
static size_t
mxlist(struct dns_mx *m, const char *const *names, const int *prefs,
    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		(void)snprintf(m[i].name, sizeof(m[i].name), "%s", names[i]);
		m[i].pref = prefs[i];
	}
	return n;
}

/* Sorting, duplicates, stray null MX, and the loop cut. */
static void
test_order(void)
{
	static const char *const names[] = { "c", "a", "b", "", "a", "me" };
	static const int prefs[] = { 30, 10, 20, 0, 40, 25 };
	struct dns_mx m[6];
	size_t n;

	mxlist(m, names, prefs, 6);
	CHECK(dns_mx_order(m, 6, NULL, &n) == 0 && n == 4);
	CHECK(strcmp(m[0].name, "a") == 0 && strcmp(m[1].name, "b") == 0 &&
	    strcmp(m[2].name, "me") == 0 && strcmp(m[3].name, "c") == 0);
	mxlist(m, names, prefs, 6);
	CHECK(dns_mx_order(m, 6, "ME.", &n) == 0 && n == 2);
	CHECK(strcmp(m[0].name, "a") == 0 && strcmp(m[1].name, "b") == 0);
	mxlist(m, names, prefs, 6);
	CHECK(dns_mx_order(m, 6, "a", &n) == -1);
	mxlist(m, names, prefs, 6);
	CHECK(dns_mx_order(m, 6, "elsewhere", &n) == 0 && n == 4);
	CHECK(dns_mx_order(m, 0, "a", &n) == 0 && n == 0);
}

/* Equal preferences come out in every order, lower ones first. */
static void
test_shuffle(void)
{
	static const char *const names[] = { "x", "p", "q", "r" };
	static const int prefs[] = { 20, 10, 10, 10 };
	struct dns_mx m[4];
	int seen[3] = { 0, 0, 0 };
	size_t n;

	for (int round = 0; round < 300; round++) {
		mxlist(m, names, prefs, 4);
		CHECK(dns_mx_order(m, 4, "", &n) == 0 && n == 4);
		CHECK(strcmp(m[3].name, "x") == 0);
		if (m[0].name[0] >= 'p' && m[0].name[0] <= 'r')
			seen[m[0].name[0] - 'p']++;
	}
	CHECK(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
}

/* Address literals, the port, text form, max_addrs, bad names. */
static void
test_lookup_host(void)
{
	struct dns_hosts h;
	char why[256], txt[64];
	const struct sockaddr_in6 *s6;

	CHECK(dns_lookup_host("127.0.0.1", 25, 10, &h, why, sizeof(why)) ==
	    DNS_OK);
	CHECK(h.n == 1 && h.hosts[0].naddrs == 1);
	if (h.n == 1 && h.hosts[0].naddrs == 1) {
		const struct dns_addr *a = &h.hosts[0].addrs[0];

		CHECK(a->ss.ss_family == AF_INET);
		CHECK(ntohs(((const struct sockaddr_in *)&a->ss)->sin_port) ==
		    25);
		CHECK(strcmp(dns_addr_text(a, txt, sizeof(txt)),
		    "127.0.0.1") == 0);
		CHECK(strcmp(h.hosts[0].name, "127.0.0.1") == 0);
	}
	dns_hosts_free(&h);
	CHECK(h.hosts == NULL && h.n == 0);
	CHECK(dns_lookup_host("::1", 2525, 10, &h, why, sizeof(why)) ==
	    DNS_OK);
	CHECK(h.n == 1 && h.hosts[0].naddrs == 1);
	if (h.n == 1 && h.hosts[0].naddrs == 1) {
		s6 = (const struct sockaddr_in6 *)&h.hosts[0].addrs[0].ss;
		CHECK(s6->sin6_family == AF_INET6 &&
		    ntohs(s6->sin6_port) == 2525);
		CHECK(strcmp(dns_addr_text(&h.hosts[0].addrs[0], txt,
		    sizeof(txt)), "::1") == 0);
	}
	dns_hosts_free(&h);
	CHECK(dns_lookup_host("IPv6:::1", 25, 0, &h, why, sizeof(why)) ==
	    DNS_OK && h.n == 1);
	dns_hosts_free(&h);
	CHECK(dns_lookup_host("[127.0.0.1]", 25, 1, &h, why, sizeof(why)) ==
	    DNS_OK && h.n == 1 && strcmp(h.hosts[0].name, "127.0.0.1") == 0);
	dns_hosts_free(&h);
	CHECK(dns_lookup_host("", 25, 10, &h, why, sizeof(why)) ==
	    DNS_NOTFOUND && strncmp(why, "5.", 2) == 0 && h.n == 0);
	CHECK(dns_lookup_host("a..b", 25, 10, &h, why, sizeof(why)) ==
	    DNS_NOTFOUND);
	CHECK(dns_lookup_host("a b", 25, 10, &h, why, sizeof(why)) ==
	    DNS_NOTFOUND);
}

/* Canned answers for dns_lookup_mx, chosen by the query name. */
static int
fake_query(const char *qname, unsigned char *ans, size_t anslen, int *herr_r)
{
	struct pkt p;

	start(&p, 0, 0);
	if (strcmp(qname, "list.test.") == 0) {
		start(&p, 0, 3);
		mx(&p, 20, "LocalHost", 0);
		mx(&p, 10, "127.0.0.1", 0);
		mx(&p, 30, "127.0.0.2", 0);
	} else if (strcmp(qname, "null.test.") == 0) {
		start(&p, 0, 1);
		mx(&p, 0, "", 0);
	} else if (strcmp(qname, "nx.test.") == 0) {
		start(&p, 3, 0);
	} else if (strcmp(qname, "fail.test.") == 0) {
		start(&p, 2, 0);
	} else if (strcmp(qname, "herr.test.") == 0) {
		*herr_r = TRY_AGAIN;
		return -1;
	} else if (strcmp(qname, "gone.test.") == 0) {
		*herr_r = HOST_NOT_FOUND;
		return -1;
	} else if (strcmp(qname, "loop.test.") == 0) {
		start(&p, 0, 2);
		mx(&p, 10, "ME.test", 0);
		mx(&p, 20, "127.0.0.1", 0);
	}
	if (p.len > anslen)
		return -1;
	memcpy(ans, p.b, p.len);
	return (int)p.len;
}

/* The whole MX procedure on canned replies. */
static void
test_lookup_mx(void)
{
	struct dns_hosts h;
	char why[256];

	dns_set_query_fn(fake_query);
	CHECK(dns_lookup_mx("List.Test", 25, "127.0.0.2", 10, &h, why,
	    sizeof(why)) == DNS_OK);
	CHECK(h.n == 2);
	if (h.n == 2) {
		CHECK(strcmp(h.hosts[0].name, "127.0.0.1") == 0 &&
		    h.hosts[0].pref == 10);
		CHECK(strcmp(h.hosts[1].name, "localhost") == 0 &&
		    h.hosts[1].naddrs >= 1);
	}
	dns_hosts_free(&h);
	CHECK(dns_lookup_mx("list.test.", 25, NULL, 1, &h, why,
	    sizeof(why)) == DNS_OK && h.n == 1);
	dns_hosts_free(&h);
	CHECK(dns_lookup_mx("list.test", 25, NULL, 0, &h, why,
	    sizeof(why)) == DNS_OK && h.n == 3);
	dns_hosts_free(&h);
	CHECK(dns_lookup_mx("null.test", 25, NULL, 10, &h, why,
	    sizeof(why)) == DNS_NULLMX && strncmp(why, "5.1.0 ", 6) == 0 &&
	    strstr(why, "nullMX") != NULL && h.n == 0);
	CHECK(dns_lookup_mx("nx.test", 25, NULL, 10, &h, why, sizeof(why)) ==
	    DNS_NOTFOUND && strncmp(why, "5.1.2 ", 6) == 0);
	CHECK(dns_lookup_mx("gone.test", 25, NULL, 10, &h, why, sizeof(why))
	    == DNS_NOTFOUND);
	CHECK(dns_lookup_mx("fail.test", 25, NULL, 10, &h, why, sizeof(why))
	    == DNS_TEMPFAIL && strncmp(why, "4.4.3 ", 6) == 0 &&
	    strstr(why, "name=fail.test type=MX") != NULL);
	CHECK(dns_lookup_mx("herr.test", 25, NULL, 10, &h, why, sizeof(why))
	    == DNS_TEMPFAIL);
	CHECK(dns_lookup_mx("loop.test", 25, "me.test", 10, &h, why,
	    sizeof(why)) == DNS_LOOP && strncmp(why, "5.4.6 ", 6) == 0);
	/* NODATA: the domain's own address. */
	CHECK(dns_lookup_mx("127.0.0.1", 587, NULL, 10, &h, why,
	    sizeof(why)) == DNS_OK && h.n == 1 && h.hosts[0].pref == 0);
	dns_hosts_free(&h);
	CHECK(dns_lookup_mx("bad..test", 25, NULL, 10, &h, why, sizeof(why))
	    == DNS_NOTFOUND);
	dns_set_query_fn(NULL);
}

int
main(void)
{
	TEST_RUN(test_parse_plain);
	TEST_RUN(test_parse_compress);
	TEST_RUN(test_parse_status);
	TEST_RUN(test_parse_truncated);
	TEST_RUN(test_parse_loops);
	TEST_RUN(test_parse_chain);
	TEST_RUN(test_parse_long_name);
	TEST_RUN(test_parse_bad_target);
	TEST_RUN(test_parse_many);
	TEST_RUN(test_order);
	TEST_RUN(test_shuffle);
	TEST_RUN(test_lookup_host);
	TEST_RUN(test_lookup_mx);
	TEST_EXIT();
}
