/*
 * dns.h - where mail for a domain goes: MX lookup, null MX, loop cut and
 * the addresses of each mail exchanger, for the remote SMTP delivery agent.
 *
 * Code: the pure parts (dns_parse_mx, dns_mx_order) are shared with
 * smtpd's DNSBL lookups and live in common/dns_parse.[ch]; dns.c holds the
 * lookups.
 *
 * Public:
 *   dns_lookup_mx(domain, port, myhostname, max_addrs, &hosts, why, whylen)
 *                    the whole MX procedure (RFC 5321 5.1, RFC 7505).
 *   dns_lookup_host(host, port, max_addrs, &hosts, why, whylen)  addresses
 *                    of one host name or address literal ("[...]" and
 *                    "IPv6:" tolerated), no MX lookup.
 *   dns_hosts_free(&hosts), dns_addr_text(addr, buf, size)
 *   dns_set_query_fn(fn)  tests only: answer MX queries from fn instead of
 *                    the system resolver (NULL restores it).
 * The lookups return a dns_status; anything but DNS_OK leaves a reason
 * ("4.4.3 ..." / "5.1.2 ..." enhanced status and words) in why.
 * Security: every reply byte is untrusted (offsets, counts, compression
 * pointers and name lengths are all checked and bounded); names are
 * lowercased and names with characters a host name cannot hold are
 * refused; domain names in reason texts are sanitised.
 */
#ifndef PETREL_DNS_H
#define PETREL_DNS_H

#include <stddef.h>
#include <sys/socket.h>

#include "dns_parse.h"

#define DNS_ADDRS_HARD_MAX 1000	/* addresses kept when max_addrs is 0 */

enum dns_status { DNS_OK = 0, DNS_NOTFOUND, DNS_NULLMX, DNS_TEMPFAIL, DNS_LOOP };

struct dns_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

struct dns_host {
	char name[DNS_NAME_MAX];
	int pref;
	struct dns_addr *addrs;
	size_t naddrs;
};

struct dns_hosts {
	struct dns_host *hosts;
	size_t n;
};

/* Answers an MX query for the absolute name qname ("example.org.") into
 * ans; returns the reply length, or -1 with *herr_r set to an h_errno
 * value (HOST_NOT_FOUND, NO_DATA, TRY_AGAIN, NO_RECOVERY). */
typedef int (*dns_query_fn)(const char *qname, unsigned char *ans,
    size_t anslen, int *herr_r);

enum dns_status dns_lookup_mx(const char *domain, int port,
    const char *myhostname, size_t max_addrs, struct dns_hosts *out,
    char *why, size_t whylen);
enum dns_status dns_lookup_host(const char *host, int port, size_t max_addrs,
    struct dns_hosts *out, char *why, size_t whylen);
void dns_hosts_free(struct dns_hosts *h);
const char *dns_addr_text(const struct dns_addr *a, char *buf, size_t size);
void dns_set_query_fn(dns_query_fn fn);

#endif
