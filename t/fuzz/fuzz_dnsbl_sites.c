/*
 * fuzz_dnsbl_sites.c - libFuzzer target for smtpd/dnsbl_sites.c.
 *
 * Input: a smtpd_dnsbl_sites value.  Checks: dnsbl_sites_parse returns 0
 * or -1; -1 leaves an empty list and a reason; 0 gives at most
 * DNSBL_SITES_MAX entries, each a lowercased dotted domain of 1..253
 * bytes (letters, digits, '-', '_'), a weight within +-DNSBL_WEIGHT_MAX,
 * and a filter that, when absent, matches every address; the query name
 * for an IPv4 and an IPv6 client ends in ".domain" or is refused.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../smtpd/dnsbl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts unless d is a lowercased dotted name. */
static void
check_domain(const char *d)
{
	size_t len = strnlen(d, DNS_NAME_MAX);

	if (len == 0 || len > 253 || d[0] == '.' || d[len - 1] == '.' ||
	    strstr(d, "..") != NULL)
		abort();
	if (strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789-_.") != len)
		abort();
}

/* Aborts unless the query name for client ends in "." + domain. */
static void
check_query(const char *client, const char *domain)
{
	char buf[DNS_NAME_MAX];
	size_t bl, dl = strlen(domain);

	if (dnsbl_query_name(client, domain, buf, sizeof(buf)) != 0)
		return;
	bl = strlen(buf);
	if (bl > 253 || bl < dl + 2 || strcmp(buf + bl - dl, domain) != 0 ||
	    buf[bl - dl - 1] != '.')
		abort();
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char probe[3][4] = { { 127, 0, 0, 2 },
	    { 0, 0, 0, 0 }, { 255, 255, 255, 255 } };
	struct dnsbl_sites s;
	const char *err = NULL;
	int rc = dnsbl_sites_parse((const char *)data, size, &s, &err);

	if (rc != 0 && rc != -1)
		abort();
	if (rc == -1 && (s.n != 0 || s.v != NULL || err == NULL))
		abort();
	if (s.n > DNSBL_SITES_MAX)
		abort();
	for (size_t i = 0; i < s.n; i++) {
		check_domain(s.v[i].domain);
		if (s.v[i].weight > DNSBL_WEIGHT_MAX ||
		    s.v[i].weight < -DNSBL_WEIGHT_MAX)
			abort();
		for (int k = 0; k < 3; k++)
			if (!s.v[i].has_filter &&
			    !dnsbl_site_match(&s.v[i], probe[k]))
				abort();
		check_query("192.0.2.1", s.v[i].domain);
		check_query("2001:db8::1", s.v[i].domain);
	}
	dnsbl_sites_free(&s);
	return 0;
}
