/*
 * dns.c - MX and address resolution for remote SMTP delivery (RFC 5321
 * section 5.1, RFC 7505 null MX, RFC 1035 wire format).
 *
 * Public (see dns.h): dns_lookup_mx, dns_lookup_host, dns_hosts_free,
 * dns_addr_text, dns_set_query_fn.  The pure parts, dns_parse_mx and
 * dns_mx_order, live in common/dns_parse.c (shared with smtpd).
 *
 * The MX query goes through the system resolver with res_nquery() on a
 * per-thread resolver state (re-read every DNS_REINIT_SECONDS so a changed
 * resolv.conf is noticed by a long-lived agent); the reply is parsed by our
 * own bounded parser so that parser can be unit tested and fuzzed.  The
 * addresses of each exchanger come from getaddrinfo() (so /etc/hosts and
 * nsswitch apply), without AI_ADDRCONFIG so a host with only loopback still
 * gets both IPv4 and IPv6 answers.
 *
 * Failures: NXDOMAIN and names without any address are permanent
 * (DNS_NOTFOUND); SERVFAIL, REFUSED, timeouts, malformed replies and
 * EAI_AGAIN are temporary (DNS_TEMPFAIL) - when in doubt mail stays queued.
 *
 * Security: runs as petrel-remote; every byte of a reply is untrusted and
 * goes through the bounded parser in dns_parse.c.  Domains asked for are
 * checked first (no blanks, controls or backslash escapes, labels of 1..63
 * bytes), names shown in reason texts are sanitised, the answer buffer and
 * every count are bounded.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "dns.h"
#include "log.h"

#define DNS_TEXT_NAME_MAX 253
#define DNS_ANSWER_MAX 65536
#define DNS_REINIT_SECONDS 60
#define DNS_SHOW_MAX 128	/* bytes of a name shown in a reason */

static dns_query_fn dns_query_hook;
static _Thread_local struct __res_state dns_res;
static _Thread_local int dns_res_ready;
static _Thread_local time_t dns_res_time;

/* Writes a reason text into why (always NUL-terminated when whylen > 0). */
static void __attribute__((format(printf, 3, 4)))
dns_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* A printable, length-cut copy of name for a reason text. */
static const char *
dns_show(char *buf, size_t size, const char *name)
{
	return log_sanitize(buf, size, name, strlen(name));
}

/* 1 when name may be asked for: 1..253 bytes, labels 1..63, no blanks,
 * controls or backslashes (which the resolver would take as escapes). */
static int
dns_name_ok(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > DNS_TEXT_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c <= ' ' || c == 0x7f || c == '\\')
			return 0;
		if (c != '.') {
			if (++label > 63)
				return 0;
			continue;
		}
		if (label == 0)
			return 0;
		label = 0;
	}
	return label > 0;
}

/* The system resolver's MX query on this thread's resolver state. */
static int
dns_sys_query(const char *qname, unsigned char *ans, size_t anslen,
    int *herr_r)
{
	time_t now = time(NULL);
	int n;

	if (dns_res_ready && (now < dns_res_time ||
	    now - dns_res_time > DNS_REINIT_SECONDS)) {
		res_nclose(&dns_res);
		dns_res_ready = 0;
	}
	if (!dns_res_ready) {
		memset(&dns_res, 0, sizeof(dns_res));
		if (res_ninit(&dns_res) != 0) {
			*herr_r = TRY_AGAIN;
			return -1;
		}
		dns_res_ready = 1;
		dns_res_time = now;
	}
	n = res_nquery(&dns_res, qname, C_IN, T_MX, ans, (int)anslen);
	if (n < 0) {
		*herr_r = dns_res.res_h_errno;
		return -1;
	}
	return (size_t)n > anslen ? (int)anslen : n;
}

/* Tests only: answer MX queries from fn (NULL: the system resolver). */
void
dns_set_query_fn(dns_query_fn fn)
{
	dns_query_hook = fn;
}

/* Asks for the MX records of qname: DNS_OK (n may be 0 = NODATA),
 * DNS_NOTFOUND (NXDOMAIN) or DNS_TEMPFAIL. */
static enum dns_status
dns_query_mx(const char *qname, struct dns_mx **mx_r, size_t *n_r)
{
	unsigned char *ans = xmalloc(DNS_ANSWER_MAX);
	int herr = TRY_AGAIN, n, rc;

	*mx_r = NULL;
	*n_r = 0;
	n = (dns_query_hook != NULL ? dns_query_hook : dns_sys_query)(qname,
	    ans, DNS_ANSWER_MAX, &herr);
	if (n < 0) {
		free(ans);
		if (herr == HOST_NOT_FOUND)
			return DNS_NOTFOUND;
		return herr == NO_DATA ? DNS_OK : DNS_TEMPFAIL;
	}
	rc = dns_parse_mx(ans, (size_t)n, mx_r, n_r);
	free(ans);
	if (rc == 1)
		return DNS_OK;
	return rc == 0 ? DNS_NOTFOUND : DNS_TEMPFAIL;
}

/* Copies one getaddrinfo answer into a with the port set; 0 or -1. */
static int
dns_addr_set(struct dns_addr *a, const struct addrinfo *ai, int port)
{
	if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
	    ai->ai_addrlen > sizeof(a->ss))
		return -1;
	memset(a, 0, sizeof(*a));
	memcpy(&a->ss, ai->ai_addr, ai->ai_addrlen);
	a->len = ai->ai_addrlen;
	if (ai->ai_family == AF_INET)
		((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&a->ss)->sin6_port =
		    htons((uint16_t)port);
	return 0;
}

/* Fills h->addrs with at most *left addresses of h->name; 0 or an EAI_ code. */
static int
dns_host_addrs(struct dns_host *h, int port, size_t *left)
{
	struct addrinfo hints, *res = NULL, *ai;
	size_t count = 0;
	int err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	err = getaddrinfo(h->name, NULL, &hints, &res);
	if (err != 0)
		return err;
	for (ai = res; ai != NULL; ai = ai->ai_next)
		count++;
	h->addrs = xcalloc(count > 0 ? count : 1, sizeof(*h->addrs));
	h->naddrs = 0;
	for (ai = res; ai != NULL && *left > 0; ai = ai->ai_next) {
		if (dns_addr_set(&h->addrs[h->naddrs], ai, port) == 0) {
			h->naddrs++;
			(*left)--;
		}
	}
	freeaddrinfo(res);
	if (h->naddrs == 0) {
		free(h->addrs);
		h->addrs = NULL;
		return EAI_NODATA;
	}
	return 0;
}

/* 1 for getaddrinfo errors that may go away on a later try. */
static int
dns_eai_temporary(int err)
{
	return err == EAI_AGAIN || err == EAI_MEMORY || err == EAI_SYSTEM;
}

/* The reason text when no host has an address. */
static enum dns_status
dns_no_addrs(int temp, const char *name, char *why, size_t whylen)
{
	char show[DNS_SHOW_MAX];

	dns_show(show, sizeof(show), name);
	if (temp) {
		dns_why(why, whylen, "4.4.3 Host or domain name not found. "
		    "Name service error for name=%s type=A: Host not found, "
		    "try again", show);
		return DNS_TEMPFAIL;
	}
	dns_why(why, whylen, "5.4.4 Host or domain name not found. "
	    "Name service error for name=%s type=A: Host not found", show);
	return DNS_NOTFOUND;
}

/* Resolves the ordered hosts mx[0..n) into out; hosts without addresses
 * are dropped, at most max_addrs addresses are kept in total. */
static enum dns_status
dns_resolve(const struct dns_mx *mx, size_t n, int port, size_t max_addrs,
    struct dns_hosts *out, char *why, size_t whylen)
{
	size_t left = max_addrs > 0 && max_addrs < DNS_ADDRS_HARD_MAX ?
	    max_addrs : DNS_ADDRS_HARD_MAX, failed = 0;
	int temp = 0;

	out->hosts = xcalloc(n > 0 ? n : 1, sizeof(*out->hosts));
	out->n = 0;
	for (size_t i = 0; i < n && left > 0; i++) {
		struct dns_host *h = &out->hosts[out->n];
		int err;

		memcpy(h->name, mx[i].name, sizeof(h->name));
		h->name[sizeof(h->name) - 1] = '\0';
		h->pref = mx[i].pref;
		err = dns_host_addrs(h, port, &left);
		if (err == 0) {
			out->n++;
			continue;
		}
		temp |= dns_eai_temporary(err);
		failed = i;
	}
	if (out->n > 0)
		return DNS_OK;
	dns_hosts_free(out);
	return dns_no_addrs(temp, n > 0 ? mx[failed].name : "", why, whylen);
}

/* The reason text for a failed MX query. */
static void
dns_mx_why(enum dns_status st, const char *domain, char *why, size_t whylen)
{
	char show[DNS_SHOW_MAX];

	dns_show(show, sizeof(show), domain);
	if (st == DNS_NOTFOUND)
		dns_why(why, whylen, "5.1.2 Host or domain name not found. "
		    "Name service error for name=%s type=MX: Host not found",
		    show);
	else
		dns_why(why, whylen, "4.4.3 Host or domain name not found. "
		    "Name service error for name=%s type=MX: Host not found, "
		    "try again", show);
}

/* NODATA: the domain's own addresses as one host of preference 0. */
static enum dns_status
dns_implicit_mx(const char *name, int port, size_t max_addrs,
    struct dns_hosts *out, char *why, size_t whylen)
{
	struct dns_mx one;

	memset(&one, 0, sizeof(one));
	(void)snprintf(one.name, sizeof(one.name), "%s", name);
	return dns_resolve(&one, 1, port, max_addrs, out, why, whylen);
}

/* 1 when every record is a null MX (RFC 7505). */
static int
dns_all_null(const struct dns_mx *mx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mx[i].name[0] != '\0')
			return 0;
	return n > 0;
}

/* Copies domain to name lowercased without a trailing dot; 0, or -1 with
 * a reason when it cannot be asked for. */
static int
dns_domain_norm(const char *domain, char *name, char *why, size_t whylen)
{
	char show[DNS_SHOW_MAX];
	size_t len = strlen(domain);

	if (!dns_name_ok(domain)) {
		dns_why(why, whylen, "5.1.2 Bad domain name syntax: %s",
		    dns_show(show, sizeof(show), domain));
		return -1;
	}
	if (domain[len - 1] == '.')
		len--;
	for (size_t i = 0; i < len; i++) {
		char c = domain[i];

		name[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	name[len] = '\0';
	return 0;
}

/* Where mail for domain goes; see dns.h. */
enum dns_status
dns_lookup_mx(const char *domain, int port, const char *myhostname,
    size_t max_addrs, struct dns_hosts *out, char *why, size_t whylen)
{
	char name[DNS_NAME_MAX], qname[DNS_NAME_MAX + 1], show[DNS_SHOW_MAX];
	struct dns_mx *mx = NULL;
	size_t n = 0;
	enum dns_status st;

	out->hosts = NULL;
	out->n = 0;
	dns_why(why, whylen, "%s", "");
	if (dns_domain_norm(domain, name, why, whylen) != 0)
		return DNS_NOTFOUND;
	(void)snprintf(qname, sizeof(qname), "%s.", name);
	st = dns_query_mx(qname, &mx, &n);
	if (st != DNS_OK) {
		dns_mx_why(st, name, why, whylen);
		return st;
	}
	if (n == 0)
		return dns_implicit_mx(name, port, max_addrs, out, why, whylen);
	dns_show(show, sizeof(show), name);
	if (dns_all_null(mx, n)) {
		st = DNS_NULLMX;
		dns_why(why, whylen, "5.1.0 Domain %s does not accept mail "
		    "(nullMX)", show);
	} else if (dns_mx_order(mx, n, myhostname, &n) != 0) {
		st = DNS_LOOP;
		dns_why(why, whylen, "5.4.6 mail for %s loops back to myself",
		    show);
	} else {
		st = dns_resolve(mx, n, port, max_addrs, out, why, whylen);
	}
	free(mx);
	return st;
}

/* Addresses of one host name or address literal, no MX lookup; the
 * "IPv6:" tag and surrounding brackets are tolerated. */
enum dns_status
dns_lookup_host(const char *host, int port, size_t max_addrs,
    struct dns_hosts *out, char *why, size_t whylen)
{
	char name[DNS_NAME_MAX], show[DNS_SHOW_MAX];
	size_t len = strlen(host);

	out->hosts = NULL;
	out->n = 0;
	dns_why(why, whylen, "%s", "");
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len >= 5 && strncasecmp(host, "IPv6:", 5) == 0) {
		host += 5;	/* RFC 5321 IPv6 address literal tag */
		len -= 5;
	}
	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, host, len);
	name[len] = '\0';
	if (!dns_name_ok(name)) {
		dns_why(why, whylen, "5.1.2 Bad host name syntax: %s",
		    dns_show(show, sizeof(show), name));
		return DNS_NOTFOUND;
	}
	return dns_implicit_mx(name, port, max_addrs, out, why, whylen);
}

/* Frees what a lookup put into h and empties it. */
void
dns_hosts_free(struct dns_hosts *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++)
		free(h->hosts[i].addrs);
	free(h->hosts);
	h->hosts = NULL;
	h->n = 0;
}

/* An address as text ("192.0.2.1", "2001:db8::1") in buf; returns buf. */
const char *
dns_addr_text(const struct dns_addr *a, char *buf, size_t size)
{
	const void *src = NULL;
	int af = a->ss.ss_family;

	if (size == 0)
		return buf;
	if (af == AF_INET)
		src = &((const struct sockaddr_in *)&a->ss)->sin_addr;
	else if (af == AF_INET6)
		src = &((const struct sockaddr_in6 *)&a->ss)->sin6_addr;
	if (src == NULL || inet_ntop(af, src, buf, (socklen_t)size) == NULL)
		(void)snprintf(buf, size, "%s", "?");
	return buf;
}
