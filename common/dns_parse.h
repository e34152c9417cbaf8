/*
 * dns_parse.h - the pure half of DNS: RFC 1035 replies and queries as
 * bytes, no I/O.  Used by remote delivery (queue/dns.c: MX) and by smtpd's
 * DNSBL lookups (common/dns_multi.c: A); unit tested in t/unit/test_dns.c,
 * fuzzed by t/fuzz/fuzz_dns.c.
 *
 * Public:
 *   dns_parse_mx(msg, len, &mx, &n)  a reply to an MX query: 1 with the
 *                    answer's MX records (n may be 0 = NODATA; mx is NULL
 *                    then), 0 NXDOMAIN, -1 malformed or rcode
 *                    SERVFAIL/REFUSED/other (a temporary failure).
 *   dns_mx_order(mx, n, myhostname, &n)  sort by preference, shuffle equal
 *                    preferences, drop duplicates and stray null MX
 *                    targets, cut at myhostname; 0, or -1 when mail loops.
 *   dns_parse_a(msg, len, &reply)  a reply to an A query: fills reply's id,
 *                    question name, the IN A addresses of the answer (at
 *                    most DNS_A_MAX; CNAME records on the way are skipped)
 *                    and their smallest TTL.  1 answer (n may be 0 =
 *                    NODATA), 0 NXDOMAIN, -1 malformed, not a response,
 *                    truncated (TC) or another rcode.
 *   dns_build_query(name, qtype, id, buf, size, &len)  one recursive query
 *                    (RD set, class IN) for the text name ("a.b.c" or
 *                    "a.b.c."); 0, or -1 when name is not a valid domain
 *                    name (empty label, label > 63, name > 253, blanks,
 *                    controls or backslashes) or buf is too small.
 * Security: every reply byte is untrusted: offsets, counts, compression
 * pointers (followed only backwards, at most 64 times) and name lengths
 * (255 wire bytes) are checked and bounded.  Names come back lowercased.
 */
#ifndef PETREL_DNS_PARSE_H
#define PETREL_DNS_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define DNS_NAME_MAX 256
#define DNS_MX_MAX 100		/* MX records kept from one reply */
#define DNS_A_MAX 16		/* A records kept from one reply */
#define DNS_QUERY_MAX 300	/* bytes of one query we build */
#define DNS_TYPE_A 1

struct dns_mx {
	char name[DNS_NAME_MAX];	/* "" is the null MX (RFC 7505) */
	int pref;
};

struct dns_a_reply {
	unsigned int id;		/* the query ID it answers */
	char qname[DNS_NAME_MAX];	/* its question, lowercased */
	unsigned int qtype;
	size_t n;			/* addresses in addrs */
	unsigned char addrs[DNS_A_MAX][4];
	uint32_t ttl;			/* smallest TTL of those, 0 if none */
};

int dns_parse_mx(const unsigned char *msg, size_t len, struct dns_mx **mx_r,
    size_t *n_r) WARN_UNUSED;
int dns_mx_order(struct dns_mx *mx, size_t n, const char *myhostname,
    size_t *n_r) WARN_UNUSED;
int dns_parse_a(const unsigned char *msg, size_t len,
    struct dns_a_reply *reply) WARN_UNUSED;
int dns_build_query(const char *name, unsigned int qtype, unsigned int id,
    unsigned char *buf, size_t size, size_t *len_r) WARN_UNUSED;

#endif
