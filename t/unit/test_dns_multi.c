/*
 * test_dns_multi.c - unit tests for the A side of DNS (common/dns_parse.c:
 * dns_parse_a, dns_build_query) and for common/dns_multi.c: the
 * dns_nameservers parser, and parallel queries end to end against a tiny
 * UDP responder forked on a free loopback port (answers, NXDOMAIN, a query
 * never answered until the deadline, a reply with a wrong ID and one from
 * a wrong port that must both be ignored), and reading the system's
 * nameservers under the smtpd workers' seccomp profile (nothing is sent).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "dns_multi.h"
#include "params.h"
#include "sandbox.h"

struct pkt {
	unsigned char b[2048];
	size_t len;
};

/* Appends a big-endian 16-bit value. */
static void
put16(struct pkt *p, unsigned int v)
{
	if (p->len + 2 <= sizeof(p->b)) {
		p->b[p->len++] = (unsigned char)(v >> 8);
		p->b[p->len++] = (unsigned char)v;
	}
}

/* Turns the query for name into a reply with rcode and no answers yet. */
static void
reply_start(struct pkt *p, const char *name, unsigned int id,
    unsigned int rcode)
{
	CHECK(dns_build_query(name, DNS_TYPE_A, id, p->b, sizeof(p->b),
	    &p->len) == 0);
	p->b[2] |= 0x80;
	p->b[3] = (unsigned char)(0x80 | rcode);
}

/* Adds one answer RR owned by the question name (pointer to 12). */
static void
reply_rr(struct pkt *p, unsigned int type, unsigned long ttl,
    const unsigned char *rdata, size_t rdlen)
{
	put16(p, 0xc00c);
	put16(p, type);
	put16(p, 1);
	put16(p, (unsigned int)(ttl >> 16));
	put16(p, (unsigned int)(ttl & 0xffff));
	put16(p, (unsigned int)rdlen);
	for (size_t i = 0; i < rdlen && p->len < sizeof(p->b); i++)
		p->b[p->len++] = rdata[i];
	p->b[7]++;	/* ANCOUNT (< 256 here) */
}

/* Adds an A record a.b.c.d. */
static void
reply_a(struct pkt *p, int a, int b, int c, int d, unsigned long ttl)
{
	unsigned char r[4] = { (unsigned char)a, (unsigned char)b,
	    (unsigned char)c, (unsigned char)d };

	reply_rr(p, DNS_TYPE_A, ttl, r, 4);
}

/* The query builder: wire form, and every malformed name refused. */
static void
test_build(void)
{
	static const unsigned char want[] = { 0x12, 0x34, 0x01, 0, 0, 1, 0, 0,
	    0, 0, 0, 0, 1, 'a', 2, 'b', 'c', 0, 0, 1, 0, 1 };
	unsigned char b[DNS_QUERY_MAX];
	char big[300];
	size_t len;

	CHECK(dns_build_query("a.bc", 1, 0x1234, b, sizeof(b), &len) == 0);
	CHECK(len == sizeof(want) && memcmp(b, want, len) == 0);
	CHECK(dns_build_query("a.bc.", 1, 0x1234, b, sizeof(b), &len) == 0);
	CHECK(len == sizeof(want) && memcmp(b, want, len) == 0);
	CHECK(dns_build_query("", 1, 1, b, sizeof(b), &len) == -1);
	CHECK(dns_build_query(".", 1, 1, b, sizeof(b), &len) == -1);
	CHECK(dns_build_query("a..b", 1, 1, b, sizeof(b), &len) == -1);
	CHECK(dns_build_query(".a", 1, 1, b, sizeof(b), &len) == -1);
	CHECK(dns_build_query("a..", 1, 1, b, sizeof(b), &len) == -1);
	CHECK(dns_build_query("a b", 1, 1, b, sizeof(b), &len) == -1);
	CHECK(dns_build_query("a\\.b", 1, 1, b, sizeof(b), &len) == -1);
	CHECK(dns_build_query("a.bc", 1, 1, b, 21, &len) == -1);
	CHECK(dns_build_query("a.bc", 1, 1, b, 22, &len) == 0);
	memset(big, 'x', 64);
	big[64] = '\0';
	CHECK(dns_build_query(big, 1, 1, b, sizeof(b), &len) == -1);
	big[63] = '\0';
	CHECK(dns_build_query(big, 1, 1, b, sizeof(b), &len) == 0);
	for (int i = 0; i < 254; i++)
		big[i] = i % 2 ? '.' : 'x';
	big[254] = '\0';	/* 254 bytes ending in '.': 253 */
	CHECK(dns_build_query(big, 1, 1, b, sizeof(b), &len) == 0);
	big[254] = 'x';
	big[255] = '\0';
	CHECK(dns_build_query(big, 1, 1, b, sizeof(b), &len) == -1);
}

/* Answers with two addresses (smallest TTL), a CNAME on the way,
 * NXDOMAIN, NODATA and the failures. */
static void
test_parse_a(void)
{
	struct dns_a_reply r;
	struct pkt p;
	unsigned char cname[] = { 1, 'x', 0 };

	reply_start(&p, "2.0.0.127.BL.test", 0xbeef, 0);
	reply_rr(&p, 5, 50, cname, sizeof(cname));
	reply_a(&p, 127, 0, 0, 2, 300);
	reply_a(&p, 127, 0, 0, 10, 100);
	CHECK(dns_parse_a(p.b, p.len, &r) == 1);
	CHECK(r.id == 0xbeef && r.qtype == DNS_TYPE_A && r.n == 2);
	CHECK(strcmp(r.qname, "2.0.0.127.bl.test") == 0);
	CHECK(memcmp(r.addrs[0], "\x7f\0\0\x02", 4) == 0);
	CHECK(memcmp(r.addrs[1], "\x7f\0\0\x0a", 4) == 0);
	CHECK(r.ttl == 100);
	reply_start(&p, "nx.test", 7, 3);
	CHECK(dns_parse_a(p.b, p.len, &r) == 0 && r.id == 7 && r.n == 0);
	CHECK(strcmp(r.qname, "nx.test") == 0);
	reply_start(&p, "nodata.test", 8, 0);
	CHECK(dns_parse_a(p.b, p.len, &r) == 1 && r.n == 0);
	reply_start(&p, "sf.test", 9, 2);
	CHECK(dns_parse_a(p.b, p.len, &r) == -1);
	reply_start(&p, "tc.test", 9, 0);
	p.b[2] |= 0x02;
	CHECK(dns_parse_a(p.b, p.len, &r) == -1);
	reply_start(&p, "q.test", 9, 0);
	p.b[2] &= 0x7f;		/* a query, not a reply */
	CHECK(dns_parse_a(p.b, p.len, &r) == -1);
	reply_start(&p, "bad.test", 9, 0);
	reply_rr(&p, DNS_TYPE_A, 10, cname, 3);	/* A with 3 bytes */
	CHECK(dns_parse_a(p.b, p.len, &r) == -1 && r.n == 0);
	reply_start(&p, "ttl.test", 9, 0);
	reply_a(&p, 127, 0, 0, 2, 0x80000000ul);
	CHECK(dns_parse_a(p.b, p.len, &r) == 1 && r.n == 1 && r.ttl == 0);
}

/* Cut at every length: only the whole reply parses; many records are
 * bounded by DNS_A_MAX. */
static void
test_parse_a_cut(void)
{
	struct dns_a_reply r;
	struct pkt p;

	reply_start(&p, "2.0.0.127.bl.test", 1, 0);
	reply_a(&p, 127, 0, 0, 2, 300);
	reply_a(&p, 127, 0, 0, 3, 300);
	for (size_t len = 0; len < p.len; len++)
		CHECK(dns_parse_a(p.b, len, &r) == -1);
	CHECK(dns_parse_a(p.b, p.len, &r) == 1 && r.n == 2);
	reply_start(&p, "many.test", 1, 0);
	for (int i = 0; i < DNS_A_MAX + 5; i++)
		reply_a(&p, 127, 0, 0, i, (unsigned long)(1000 - i));
	CHECK(dns_parse_a(p.b, p.len, &r) == 1 && r.n == DNS_A_MAX);
	CHECK(r.ttl == 1000 - (DNS_A_MAX - 1));
	p.b[5] = 2;		/* two questions: not our reply */
	CHECK(dns_parse_a(p.b, p.len, &r) == -1);
}

/* The dns_nameservers syntax. */
static void
test_ns_parse(void)
{
	struct sockaddr_storage ns[DNS_NS_MAX];
	const struct sockaddr_in *s4 = (const void *)&ns[0];
	const struct sockaddr_in6 *s6 = (const void *)&ns[1];
	const char *err = NULL;
	size_t n;

	CHECK(dns_ns_parse("127.0.0.1:5353 [::1]:54,192.0.2.1", ns, DNS_NS_MAX,
	    &n, &err) == 0 && n == 3);
	CHECK(s4->sin_family == AF_INET && ntohs(s4->sin_port) == 5353);
	CHECK(s6->sin6_family == AF_INET6 && ntohs(s6->sin6_port) == 54);
	CHECK(ntohs(((const struct sockaddr_in *)&ns[2])->sin_port) == 53);
	CHECK(dns_ns_parse("::1 [::2]", ns, DNS_NS_MAX, &n, &err) == 0 &&
	    n == 2 && ntohs(s4->sin_port) == 53);
	CHECK(dns_ns_parse("", ns, DNS_NS_MAX, &n, &err) == 0 && n == 0);
	CHECK(dns_ns_parse("1.2.3.4:0", ns, DNS_NS_MAX, &n, &err) == -1);
	CHECK(dns_ns_parse("1.2.3.4:65536", ns, DNS_NS_MAX, &n, &err) == -1);
	CHECK(dns_ns_parse("1.2.3.4:", ns, DNS_NS_MAX, &n, &err) == -1);
	CHECK(dns_ns_parse("[::1", ns, DNS_NS_MAX, &n, &err) == -1);
	CHECK(dns_ns_parse("[::1]x", ns, DNS_NS_MAX, &n, &err) == -1);
	CHECK(dns_ns_parse("localhost", ns, DNS_NS_MAX, &n, &err) == -1);
	CHECK(dns_ns_parse("1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4", ns, DNS_NS_MAX,
	    &n, &err) == -1 && err != NULL);
}

/* The responder: answers until killed; see the file header. */
static void
responder(int fd, int other)
{
	unsigned char q[512];
	struct sockaddr_storage from;

	for (int k = 0; k < 100; k++) {
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, q, sizeof(q), 0,
		    (struct sockaddr *)&from, &flen);
		struct pkt p;
		struct dns_a_reply r;

		if (n < 12)
			continue;
		q[2] |= 0x80;	/* parse the query's question as a reply's */
		if (dns_parse_a(q, (size_t)n, &r) != 1 ||
		    strncmp(r.qname, "slow.", 5) == 0)
			continue;
		reply_start(&p, r.qname, r.id ^ 1, 0);	/* wrong ID first */
		reply_a(&p, 127, 0, 0, 99, 60);
		(void)sendto(fd, p.b, p.len, 0, (void *)&from, flen);
		reply_start(&p, r.qname, r.id, 0);	/* wrong port */
		reply_a(&p, 127, 0, 0, 98, 60);
		(void)sendto(other, p.b, p.len, 0, (void *)&from, flen);
		if (strncmp(r.qname, "spoof.", 6) == 0)
			continue;
		reply_start(&p, r.qname, r.id, strncmp(r.qname, "nx.", 3) == 0
		    ? 3 : 0);
		if (strncmp(r.qname, "nx.", 3) != 0)
			reply_a(&p, 127, 0, 0, 2, 120);
		(void)sendto(fd, p.b, p.len, 0, (void *)&from, flen);
	}
}

/* A UDP socket bound to 127.0.0.1 on a free port; its port in *port. */
static int
udp_bound(int *port)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0)
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
}

/* Four queries in parallel against the responder, 400 ms deadline. */
static void
test_multi(void)
{
	int port, port2, fd = udp_bound(&port), other = udp_bound(&port2);
	char ns[64];
	const char *err = NULL;
	struct dns_multi *m;
	long long t0, took;
	pid_t pid;

	CHECK(fd >= 0 && other >= 0);
	if (fd < 0 || other < 0)
		return;
	pid = fork();
	if (pid == 0) {
		responder(fd, other);
		_exit(0);
	}
	(void)snprintf(ns, sizeof(ns), "127.0.0.1:%d", port);
	m = dns_multi_new(ns, &err);
	CHECK(m != NULL);
	if (m != NULL) {
		CHECK(dns_multi_add(m, "2.0.0.127.bl.test") == 0);
		CHECK(dns_multi_add(m, "nx.bl.test.") == 1);
		CHECK(dns_multi_add(m, "slow.bl.test") == 2);
		CHECK(dns_multi_add(m, "spoof.BL.test") == 3);
		CHECK(dns_multi_add(m, "bad..name") == -1);
		t0 = dns_multi_now_ms();
		CHECK(dns_multi_wait(m, t0 + 400) == 2);
		took = dns_multi_now_ms() - t0;
		CHECK(took >= 390 && took < 1500);
		CHECK(dns_multi_answer(m, 0)->status == DNS_ANS_OK);
		CHECK(dns_multi_answer(m, 0)->reply.n == 1);
		CHECK(dns_multi_answer(m, 0)->reply.addrs[0][3] == 2);
		CHECK(dns_multi_answer(m, 0)->reply.ttl == 120);
		CHECK(dns_multi_answer(m, 1)->status == DNS_ANS_NXDOMAIN);
		CHECK(dns_multi_answer(m, 2)->status == DNS_ANS_PENDING);
		CHECK(dns_multi_answer(m, 3)->status == DNS_ANS_PENDING);
		CHECK(dns_multi_answer(m, 4)->status == DNS_ANS_FAIL);
		CHECK(dns_multi_answer(m, 99)->status == DNS_ANS_FAIL);
		dns_multi_free(&m);
		CHECK(m == NULL);
	}
	kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	close(fd);
	close(other);
}

/* Without answers (nobody on the port) the wait ends at its deadline. */
static void
test_multi_dead(void)
{
	int port = 0, fd = udp_bound(&port);
	char ns[64];
	const char *err = NULL;
	struct dns_multi *m;
	long long t0;

	close(fd);	/* the port is free again: nobody answers */
	(void)snprintf(ns, sizeof(ns), "127.0.0.1:%d", port);
	m = dns_multi_new(ns, &err);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK(dns_multi_add(m, "2.0.0.127.bl.test") == 0);
	t0 = dns_multi_now_ms();
	CHECK(dns_multi_wait(m, t0 + 300) == 1);
	CHECK(dns_multi_now_ms() - t0 < 1000);
	CHECK(dns_multi_answer(m, 0)->status == DNS_ANS_PENDING);
	dns_multi_free(&m);
	CHECK(dns_multi_new("not-an-address", &err) == NULL && err != NULL);
}

/* dns_multi_new("") reads /etc/resolv.conf (res_ninit) in an smtpd
 * worker: under SANDBOX_NET_DB it must not be killed.  Not under valgrind
 * (t/valgrind_unit.sh sets PETREL_VALGRIND), which cannot run seccomp;
 * make test runs it. */
static void
test_multi_sandboxed(void)
{
	int status = -1;
	pid_t pid;

	if (getenv("PETREL_VALGRIND") != NULL)
		return;
	var_seccomp = 1;
	pid = fork();
	if (pid == 0) {
		const char *err = NULL;
		struct dns_multi *m;

		if (sandbox_enter(SANDBOX_NET_DB, &err) < 0)
			_exit(2);
		m = dns_multi_new("", &err);
		if (m == NULL)
			_exit(1);
		dns_multi_free(&m);
		_exit(0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int
main(void)
{
	TEST_RUN(test_build);
	TEST_RUN(test_parse_a);
	TEST_RUN(test_parse_a_cut);
	TEST_RUN(test_ns_parse);
	TEST_RUN(test_multi);
	TEST_RUN(test_multi_dead);
	TEST_RUN(test_multi_sandboxed);
	TEST_EXIT();
}
