/*
 * dnsbl_sites.c - the smtpd_dnsbl_sites parser, the reply filter and the
 * query names (see dnsbl.h for the syntax).  Pure: no I/O, no globals;
 * unit tested in t/unit/test_dnsbl_sites.c, fuzzed by
 * t/fuzz/fuzz_dnsbl_sites.c.
 *
 * Public: dnsbl_sites_parse, dnsbl_sites_free, dnsbl_site_match,
 * dnsbl_query_name.
 * Security: the list is the administrator's, but the parser still treats
 * it as untrusted bytes: counted input, every number and name bounded.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "dnsbl.h"
#include "strutil.h"

/* 1 for the bytes that separate entries. */
static int
dnsbl_sep(char c)
{
	return c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n';
}

/* Copies the domain p[0..len) lowercased into out; 0, or -1 when it is
 * not a host-style domain name (labels 1..63 of letters, digits, '-' and
 * '_'; 1..253 bytes; one trailing dot allowed). */
static int
dnsbl_domain(const char *p, size_t len, char *out)
{
	size_t label = 0;

	if (len > 0 && p[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || (c >= 'A' && c <= 'Z')) {
			if (++label > 63)
				return -1;
			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
		} else {
			return -1;
		}
		out[i] = c;
	}
	out[len] = '\0';
	return label > 0 ? 0 : -1;
}

/* Reads a decimal octet value (1-3 digits, <= 255) at p[*i]; 0 or -1. */
static int
dnsbl_number(const char *p, size_t len, size_t *i, unsigned int *v_r)
{
	size_t start = *i;
	long v;

	while (*i < len && *i - start < 4 && p[*i] >= '0' && p[*i] <= '9')
		(*i)++;
	if (*i == start || *i - start > 3 ||
	    str_to_long(p + start, *i - start, 0, 255, &v) != 0)
		return -1;
	*v_r = (unsigned int)v;
	return 0;
}

/* Sets the bits lo..hi of one octet's set. */
static void
dnsbl_bits(unsigned char *bits, unsigned int lo, unsigned int hi)
{
	for (unsigned int v = lo; v <= hi; v++)
		bits[v / 8] |= (unsigned char)(1u << (v % 8));
}

/* Reads one "[a;b..c;...]" list at p[*i] (past the '[') into bits. */
static int
dnsbl_list(const char *p, size_t len, size_t *i, unsigned char *bits)
{
	for (int items = 0; items < 256; items++) {
		unsigned int lo, hi;

		if (dnsbl_number(p, len, i, &lo) != 0)
			return -1;
		hi = lo;
		if (len - *i >= 2 && p[*i] == '.' && p[*i + 1] == '.') {
			*i += 2;
			if (dnsbl_number(p, len, i, &hi) != 0 || hi < lo)
				return -1;
		}
		dnsbl_bits(bits, lo, hi);
		if (*i < len && p[*i] == ']') {
			(*i)++;
			return 0;
		}
		if (*i >= len || p[*i] != ';')
			return -1;
		(*i)++;
	}
	return -1;
}

/* Parses a filter p[0..len) ("127.0.0.[2..11]") into site; 0 or -1. */
static int
dnsbl_filter(const char *p, size_t len, struct dnsbl_site *site)
{
	size_t i = 0;

	for (int k = 0; k < 4; k++) {
		unsigned int v;

		if (k > 0 && (i >= len || p[i++] != '.'))
			return -1;
		if (i < len && p[i] == '[') {
			i++;
			if (dnsbl_list(p, len, &i, site->filter[k]) != 0)
				return -1;
		} else {
			if (dnsbl_number(p, len, &i, &v) != 0)
				return -1;
			dnsbl_bits(site->filter[k], v, v);
		}
	}
	site->has_filter = 1;
	return i == len ? 0 : -1;
}

/* Parses one entry p[0..len) ("domain[=filter][*weight]"); 0 or -1. */
static int
dnsbl_entry(const char *p, size_t len, struct dnsbl_site *site,
    const char **errstr_r)
{
	size_t dlen = 0, star;

	memset(site, 0, sizeof(*site));
	site->weight = 1;
	while (dlen < len && p[dlen] != '=' && p[dlen] != '*')
		dlen++;
	if (dnsbl_domain(p, dlen, site->domain) != 0) {
		*errstr_r = "bad DNSBL domain name";
		return -1;
	}
	for (star = dlen; star < len && p[star] != '*'; star++)
		;
	if (dlen < len && p[dlen] == '=' &&
	    dnsbl_filter(p + dlen + 1, star - dlen - 1, site) != 0) {
		*errstr_r = "bad reply filter (want e.g. 127.0.0.2, "
		    "127.0.0.[2..11] or 127.0.0.[2;3])";
		return -1;
	}
	if (star < len && str_to_long(p + star + 1, len - star - 1,
	    -DNSBL_WEIGHT_MAX, DNSBL_WEIGHT_MAX, &site->weight) != 0) {
		*errstr_r = "bad weight (want an integer, e.g. *2 or *-1)";
		return -1;
	}
	return 0;
}

/* Pure parser of smtpd_dnsbl_sites; see dnsbl.h. */
int
dnsbl_sites_parse(const char *p, size_t len, struct dnsbl_sites *sites,
    const char **errstr_r)
{
	size_t i = 0;

	sites->v = NULL;
	sites->n = 0;
	for (;;) {
		size_t start;

		while (i < len && dnsbl_sep(p[i]))
			i++;
		if (i >= len)
			return 0;
		start = i;
		while (i < len && !dnsbl_sep(p[i]))
			i++;
		if (sites->n >= DNSBL_SITES_MAX) {
			*errstr_r = "too many DNSBL sites";
			break;
		}
		if (sites->v == NULL)
			sites->v = xcalloc(DNSBL_SITES_MAX, sizeof(*sites->v));
		if (dnsbl_entry(p + start, i - start, &sites->v[sites->n],
		    errstr_r) != 0)
			break;
		sites->n++;
	}
	dnsbl_sites_free(sites);
	return -1;
}

/* Frees the list and empties it. */
void
dnsbl_sites_free(struct dnsbl_sites *sites)
{
	free(sites->v);
	sites->v = NULL;
	sites->n = 0;
}

/* 1 when the A reply addr passes site's filter. */
int
dnsbl_site_match(const struct dnsbl_site *site, const unsigned char addr[4])
{
	if (!site->has_filter)
		return 1;
	for (int k = 0; k < 4; k++)
		if ((site->filter[k][addr[k] / 8] & (1u << (addr[k] % 8))) == 0)
			return 0;
	return 1;
}

/* The reversed-nibble IPv6 prefix of a (16 bytes) into buf (64 bytes). */
static void
dnsbl_nibbles(const unsigned char *a, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (int i = 15; i >= 0; i--) {
		buf[o++] = hex[a[i] & 0x0f];
		buf[o++] = '.';
		buf[o++] = hex[a[i] >> 4];
		buf[o++] = '.';
	}
	buf[o - 1] = '\0';
}

/* The name to ask a site about client; see dnsbl.h. */
int
dnsbl_query_name(const char *client, const char *domain, char *buf,
    size_t size)
{
	unsigned char a[16];
	char rev[64];
	int n;

	if (inet_pton(AF_INET, client, a) == 1)
		(void)snprintf(rev, sizeof(rev), "%u.%u.%u.%u", a[3], a[2],
		    a[1], a[0]);
	else if (inet_pton(AF_INET6, client, a) == 1)
		dnsbl_nibbles(a, rev);
	else
		return -1;
	n = snprintf(buf, size, "%s.%s", rev, domain);
	if (n < 0 || (size_t)n >= size || n > 253)
		return -1;
	return 0;
}
