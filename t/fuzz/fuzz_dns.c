/*
 * fuzz_dns.c - libFuzzer target for the pure DNS parsers
 * (common/dns_parse.c, shared by queue/dns.c and smtpd's DNSBL lookups).
 *
 * Input: a DNS reply message.  Checks: dns_parse_mx returns -1, 0 or 1;
 * only 1 hands back records; at most DNS_MX_MAX of them; every name is
 * NUL-terminated, at most 253 bytes, lowercase letters, digits, '-', '_'
 * and single dots inside (or "" for a null MX).  Then dns_mx_order on the
 * records (with the first name as myhostname) keeps a sorted subset.
 * The same input goes to dns_parse_a: -1, 0 or 1; addresses only with 1
 * and at most DNS_A_MAX; a TTL only with addresses and never with the top
 * bit set; the question name NUL-terminated within DNS_NAME_MAX; and the
 * question rebuilt with dns_build_query parses back to the same name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../queue/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless name is "" or a lowercased dotted host name. */
static void
check_name(const char *name)
{
	size_t len = strnlen(name, DNS_NAME_MAX);

	if (len > 253)
		abort();
	if (len == 0)
		return;
	if (name[0] == '.' || name[len - 1] == '.' || strstr(name, "..") != NULL)
		abort();
	if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != len)
		abort();
}

/* The A-reply half: see the header. */
static void
check_a(const uint8_t *data, size_t size)
{
	struct dns_a_reply r;
	unsigned char q[DNS_QUERY_MAX];
	size_t qlen;
	int rc = dns_parse_a(data, size, &r);

	if (rc < -1 || rc > 1 || r.n > DNS_A_MAX)
		abort();
	if ((rc != 1 && r.n != 0) || (r.n == 0 && r.ttl != 0) ||
	    r.ttl > 0x7fffffffu)
		abort();
	if (strnlen(r.qname, DNS_NAME_MAX) >= DNS_NAME_MAX)
		abort();
	if (rc < 0 || r.qname[0] == '\0' || strchr(r.qname, '\\') != NULL ||
	    r.qname[strlen(r.qname) - 1] == '.' ||
	    dns_build_query(r.qname, r.qtype, r.id, q, sizeof(q), &qlen) != 0)
		return;
	q[2] |= 0x80;	/* as a reply with no answers */
	struct dns_a_reply back;
	if (dns_parse_a(q, qlen, &back) != 1 || back.id != r.id ||
	    strcmp(back.qname, r.qname) != 0 || back.n != 0)
		abort();
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_mx *mx = NULL;
	char me[DNS_NAME_MAX];
	size_t n = 0, kept;
	int rc;

	rc = dns_parse_mx(data, size, &mx, &n);
	if (rc < -1 || rc > 1 || n > DNS_MX_MAX)
		abort();
	if (rc != 1 && (mx != NULL || n != 0))
		abort();
	if ((n == 0) != (mx == NULL))
		abort();
	for (size_t i = 0; i < n; i++) {
		check_name(mx[i].name);
		if (mx[i].pref < 0 || mx[i].pref > 65535)
			abort();
	}
	if (n > 0) {
		memcpy(me, mx[0].name, sizeof(me));
		if (dns_mx_order(mx, n, me, &kept) == 0) {
			if (kept > n)
				abort();
			for (size_t i = 1; i < kept; i++)
				if (mx[i - 1].pref > mx[i].pref)
					abort();
		}
	}
	free(mx);
	check_a(data, size);
	return 0;
}
