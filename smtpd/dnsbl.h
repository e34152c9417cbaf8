/*
 * dnsbl.h - the pure half of smtpd's DNSBL/DNSWL screening: the
 * smtpd_dnsbl_sites list and the names that are looked up.
 *
 * The list is Postfix's postscreen_dnsbl_sites syntax: entries separated
 * by blanks or commas, each "domain[=filter][*weight]":
 *   filter  the A reply that counts, four dot-separated octets, each a
 *           number or a bracketed list of numbers and ranges separated by
 *           ';' ("127.0.0.2", "127.0.0.[2..11]", "127.0.[0;1].[2;4..6]");
 *           without a filter any A reply counts;
 *   weight  an integer added to the client's score when the site lists it
 *           (default 1; negative for allow lists, DNSWL).
 * A domain listed twice (with other filters) is asked once; each entry
 * whose filter matches adds its weight.
 *
 * Public (smtpd/dnsbl_sites.c, pure, no I/O):
 *   dnsbl_sites_parse(p, len, &sites, &errstr)  0, or -1 with errstr (and
 *                    sites empty).  Domains are lowercased, at most
 *                    DNSBL_SITES_MAX entries, weights within
 *                    +-DNSBL_WEIGHT_MAX.
 *   dnsbl_sites_free(&sites)
 *   dnsbl_site_match(site, addr)  1 when the A reply addr (4 bytes)
 *                    passes the entry's filter.
 *   dnsbl_query_name(client, domain, buf, size)  the name to ask for:
 *                    "4.3.2.1.domain" for 1.2.3.4, reversed nibbles for
 *                    IPv6; 0, or -1 for an address that is not one or a
 *                    name that would not fit (253 bytes).
 * Security: the list comes from the administrator; the client address
 * comes from the kernel.  Both are parsed with every length bounded.
 */
#ifndef PETREL_SMTPD_DNSBL_H
#define PETREL_SMTPD_DNSBL_H

#include <stddef.h>

#include "dns_parse.h"
#include "log.h"

#define DNSBL_SITES_MAX 32
#define DNSBL_WEIGHT_MAX 100000

struct dnsbl_site {
	char domain[DNS_NAME_MAX];
	int has_filter;
	unsigned char filter[4][32];	/* per octet: a bit per value */
	long weight;
};

struct dnsbl_sites {
	struct dnsbl_site *v;
	size_t n;
};

int dnsbl_sites_parse(const char *p, size_t len, struct dnsbl_sites *sites,
    const char **errstr_r) WARN_UNUSED;
void dnsbl_sites_free(struct dnsbl_sites *sites);
int dnsbl_site_match(const struct dnsbl_site *site,
    const unsigned char addr[4]);
int dnsbl_query_name(const char *client, const char *domain, char *buf,
    size_t size) WARN_UNUSED;

#endif
