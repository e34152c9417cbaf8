/*
 * netmatch.c - match a client address against a network list such as
 * mynetworks: "127.0.0.0/8, [::1]/128 192.0.2.7 2001:db8::/32".
 *
 * Public: netmatch_new (NULL with "entry: reason" on a malformed entry),
 * netmatch_match (1 match, 0 no match or unparsable address), netmatch_free.
 * Entries are separated by commas and/or white space; IPv6 may be written
 * "[addr]/len" or "[addr/len]"; a bare address is a host (/32, /128).  Host
 * bits beyond the prefix are ignored.  An IPv4-mapped IPv6 client address
 * (::ffff:a.b.c.d) is matched as the IPv4 address.
 * Pure: no I/O; the list comes from the configuration, the address from
 * the kernel (getpeername) or tests, and both are treated as untrusted.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "netmatch.h"
#include "strutil.h"

#define NETMATCH_MAX_ENTRIES 10000
#define NETMATCH_ADDR_MAX 64

struct net_entry {
	int family;		/* 4 or 6 */
	unsigned char addr[16];
	int prefix;		/* bits */
};

struct netmatch {
	struct net_entry *e;
	size_t n;
};

/* Parse an address (no brackets, no prefix) into 4 or 16 bytes. */
static int
parse_addr(const char *p, size_t len, unsigned char *out, int *family_r)
{
	char tmp[NETMATCH_ADDR_MAX];

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, out) == 1) {
		*family_r = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, out) == 1) {
		*family_r = 6;
		return 0;
	}
	return -1;
}

/* Split "addr/len", "[addr]/len" or "[addr/len]" into its parts. */
static int
split_entry(const char *p, size_t len, const char **a_r, size_t *alen_r,
    const char **pfx_r, size_t *plen_r)
{
	const char *slash;

	if (len > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', len);
		if (close == NULL)
			return -1;
		size_t rest = len - (size_t)(close - p) - 1;
		if (rest > 0 && close[1] != '/')
			return -1;
		len = (size_t)(close - p) - 1;
		p++;
		if (rest > 0) {
			if (memchr(p, '/', len) != NULL)
				return -1;	/* two prefixes */
			*pfx_r = close + 2;
			*plen_r = rest - 1;
			*a_r = p;
			*alen_r = len;
			return 0;
		}
	}
	slash = memchr(p, '/', len);
	*a_r = p;
	*alen_r = slash != NULL ? (size_t)(slash - p) : len;
	*pfx_r = slash != NULL ? slash + 1 : NULL;
	*plen_r = slash != NULL ? len - *alen_r - 1 : 0;
	return 0;
}

/* Parse one list entry. */
static int
parse_entry(const char *p, size_t len, struct net_entry *e)
{
	const char *a, *pfx;
	size_t alen, plen;
	long bits;

	if (split_entry(p, len, &a, &alen, &pfx, &plen) < 0)
		return -1;
	if (parse_addr(a, alen, e->addr, &e->family) < 0)
		return -1;
	if (pfx == NULL) {
		e->prefix = e->family == 4 ? 32 : 128;
		return 0;
	}
	if (str_to_long(pfx, plen, 0, e->family == 4 ? 32 : 128, &bits) < 0)
		return -1;
	e->prefix = (int)bits;
	return 0;
}

/* Parse a whole list. */
struct netmatch *
netmatch_new(const char *list, const char **errstr_r)
{
	static char err[160];
	struct netmatch *nm = xcalloc(1, sizeof(*nm));
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, ", \t\r\n");
		if (n > 0) {
			struct net_entry e;
			if (nm->n >= NETMATCH_MAX_ENTRIES ||
			    parse_entry(p, n, &e) < 0) {
				char shown[80];
				log_sanitize(shown, sizeof(shown), p, n);
				snprintf(err, sizeof(err),
				    "bad network entry \"%s\"", shown);
				*errstr_r = err;
				netmatch_free(&nm);
				return NULL;
			}
			nm->e = xreallocarray(nm->e, nm->n + 1, sizeof(*nm->e));
			nm->e[nm->n++] = e;
		}
		p += n;
		if (*p != '\0')
			p++;
	}
	return nm;
}

/* Compare the first bits of a and b. */
static int
prefix_equal(const unsigned char *a, const unsigned char *b, int bits)
{
	int bytes = bits / 8, rem = bits % 8;

	if (memcmp(a, b, (size_t)bytes) != 0)
		return 0;
	if (rem == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rem));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

/* Does addr (text) fall in any entry? */
int
netmatch_match(const struct netmatch *nm, const char *addr)
{
	static const unsigned char mapped[12] =
	    { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char a[16];
	const unsigned char *ap = a;
	size_t len = strlen(addr);
	int family;

	if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
		addr++;
		len -= 2;
	}
	if (parse_addr(addr, len, a, &family) < 0)
		return 0;
	if (family == 6 && memcmp(a, mapped, sizeof(mapped)) == 0) {
		family = 4;
		ap = a + 12;
	}
	for (size_t i = 0; i < nm->n; i++) {
		const struct net_entry *e = &nm->e[i];
		if (e->family == family && prefix_equal(ap, e->addr, e->prefix))
			return 1;
	}
	return 0;
}

/* Free a list and NULL the pointer. */
void
netmatch_free(struct netmatch **nmp)
{
	if (*nmp == NULL)
		return;
	free((*nmp)->e);
	free(*nmp);
	*nmp = NULL;
}
