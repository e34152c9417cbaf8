/*
 * dns_parse.c - the pure half of DNS for remote delivery (queue/dns.c)
 * and smtpd's DNSBL lookups (dns_multi.c): the RFC 1035 reply parsers for
 * MX and A queries, the MX ordering (RFC 5321 section 5.1, RFC 7505) and
 * the query builder.
 *
 * Public (see dns_parse.h): dns_parse_mx, dns_mx_order, dns_parse_a,
 * dns_build_query.  No I/O, no globals besides the random source for
 * shuffling; unit tested in t/unit/test_dns.c and fuzzed by
 * t/fuzz/fuzz_dns.c.
 *
 * Security: every byte of a reply is untrusted.  Each offset is checked
 * against the message length; compression pointers are followed at most
 * DNS_PTR_JUMPS times and only backwards; names are bounded to 255 wire
 * bytes; at most DNS_MX_MAX records are kept.  MX targets holding bytes a
 * host name cannot hold are skipped; if that leaves no MX record the reply
 * counts as malformed, so a lookup never falls back to A records then.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/types.h>

#include "alloc.h"
#include "dns_parse.h"

#define DNS_HDR_LEN 12
#define DNS_PTR_JUMPS 64
#define DNS_WIRE_NAME_MAX 255
#define DNS_TYPE_MX 15
#define DNS_CLASS_IN 1
#define DNS_RCODE_NXDOMAIN 3
#define DNS_TYPE_CNAME 5
#define DNS_FLAG_TC 0x02

/* Big-endian 16-bit value at p (the caller checked the bounds). */
static unsigned int
get16(const unsigned char *p)
{
	return ((unsigned int)p[0] << 8) | p[1];
}

/* 1 for bytes a host name label may hold (letters, digits, '-', '_'). */
static int
dns_host_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Copies one label at p (length c) to out at *o, lowercased; 1 if odd bytes. */
static int
dns_copy_label(const unsigned char *p, size_t c, char *out, size_t *o)
{
	int bad = 0;

	if (*o > 0)
		out[(*o)++] = '.';
	for (size_t i = 0; i < c; i++) {
		unsigned char b = p[i];

		if (!dns_host_char(b))
			bad = 1;
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char)(b - 'A' + 'a');
		out[(*o)++] = (char)b;
	}
	return bad;
}

/*
 * Reads the (possibly compressed) name at *off_r into out as lowercased
 * text without the trailing dot ("" for the root) and moves *off_r past it.
 * Returns 0, 1 when the name is well formed but holds bytes a host name
 * cannot, or -1 for a malformed name.  out needs DNS_NAME_MAX bytes: 255
 * wire bytes give at most 253 text bytes.
 */
static int
dns_read_name(const unsigned char *msg, size_t len, size_t *off_r, char *out)
{
	size_t pos = *off_r, end = 0, o = 0, wire = 0;
	int jumps = 0, bad = 0;

	for (;;) {
		if (pos >= len)
			return -1;
		size_t c = msg[pos];
		if ((c & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return -1;
			size_t ptr = ((c & 0x3f) << 8) | msg[pos + 1];
			if (jumps == 0)
				end = pos + 2;
			if (ptr >= pos || ++jumps > DNS_PTR_JUMPS)
				return -1;
			pos = ptr;
			continue;
		}
		if ((c & 0xc0) != 0)
			return -1;	/* obsolete/extended label types */
		wire += c + 1;
		if (wire > DNS_WIRE_NAME_MAX || pos + 1 + c > len)
			return -1;
		if (c == 0)
			break;
		bad |= dns_copy_label(msg + pos + 1, c, out, &o);
		pos += 1 + c;
	}
	out[o] = '\0';
	*off_r = jumps == 0 ? pos + 1 : end;
	return bad;
}

/* Skips the question section; 0, or -1 when it runs past the end. */
static int
dns_skip_questions(const unsigned char *msg, size_t len, size_t *off_r)
{
	char name[DNS_NAME_MAX];
	unsigned int qd = get16(msg + 4);

	for (unsigned int i = 0; i < qd; i++) {
		if (dns_read_name(msg, len, off_r, name) < 0 ||
		    len - *off_r < 4)
			return -1;
		*off_r += 4;	/* QTYPE, QCLASS */
	}
	return 0;
}

/*
 * Parses one answer RR at *off_r, moving past it.  Returns 1 with *mx set
 * for a usable MX IN record, 0 for another record type, 2 for an MX record
 * whose target is not a host name, -1 for a malformed record.
 */
static int
dns_parse_rr(const unsigned char *msg, size_t len, size_t *off_r,
    struct dns_mx *mx)
{
	char owner[DNS_NAME_MAX];
	size_t off = *off_r, rdlen, rdend;
	unsigned int type, class;
	int rc;

	if (dns_read_name(msg, len, &off, owner) < 0 || len - off < 10)
		return -1;
	type = get16(msg + off);
	class = get16(msg + off + 2);
	rdlen = get16(msg + off + 8);
	off += 10;
	if (len - off < rdlen)
		return -1;
	rdend = off + rdlen;
	*off_r = rdend;
	if (type != DNS_TYPE_MX || class != DNS_CLASS_IN)
		return 0;
	if (rdlen < 3)
		return -1;
	mx->pref = (int)get16(msg + off);
	off += 2;
	rc = dns_read_name(msg, rdend, &off, mx->name);
	if (rc < 0 || off != rdend)
		return -1;
	return rc == 1 ? 2 : 1;
}

/* Pure parser of an MX reply; see dns.h. */
int
dns_parse_mx(const unsigned char *msg, size_t len, struct dns_mx **mx_r,
    size_t *n_r)
{
	struct dns_mx *mx = NULL, one;
	size_t off = DNS_HDR_LEN, n = 0, nbad = 0;
	unsigned int an, rcode;

	*mx_r = NULL;
	*n_r = 0;
	if (len < DNS_HDR_LEN || (msg[2] & 0x80) == 0)
		return -1;	/* too short, or a query, not a response */
	rcode = msg[3] & 0x0f;
	if (rcode == DNS_RCODE_NXDOMAIN)
		return 0;
	if (rcode != 0 || dns_skip_questions(msg, len, &off) != 0)
		return -1;
	an = get16(msg + 6);
	for (unsigned int i = 0; i < an; i++) {
		int rc = dns_parse_rr(msg, len, &off, &one);

		if (rc < 0) {
			free(mx);
			return -1;
		}
		if (rc == 2)
			nbad++;
		if (rc != 1 || n >= DNS_MX_MAX)
			continue;
		if (mx == NULL)
			mx = xcalloc(an < DNS_MX_MAX ? an : DNS_MX_MAX,
			    sizeof(*mx));
		mx[n++] = one;
	}
	if (n == 0 && nbad > 0)
		return -1;	/* MX records exist but none is usable */
	*mx_r = mx;
	*n_r = n;
	return 1;
}

/* A random number below n (n > 0), for shuffling equal preferences. */
static size_t
dns_rand_below(size_t n)
{
	unsigned int r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned int)random();
	return r % n;
}

/* qsort order: ascending preference. */
static int
dns_mx_cmp(const void *a, const void *b)
{
	const struct dns_mx *x = a, *y = b;

	return (x->pref > y->pref) - (x->pref < y->pref);
}

/* Shuffles each run of equal preference in a sorted list. */
static void
dns_mx_shuffle(struct dns_mx *mx, size_t n)
{
	size_t start = 0;

	while (start < n) {
		size_t end = start + 1;

		while (end < n && mx[end].pref == mx[start].pref)
			end++;
		for (size_t i = end - 1; i > start; i--) {
			size_t j = start + dns_rand_below(i - start + 1);
			struct dns_mx t = mx[i];

			mx[i] = mx[j];
			mx[j] = t;
		}
		start = end;
	}
}

/* Drops null MX targets and later duplicates of a name; the new count. */
static size_t
dns_mx_compact(struct dns_mx *mx, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (mx[i].name[0] == '\0')
			continue;
		for (j = 0; j < k; j++)
			if (strcmp(mx[j].name, mx[i].name) == 0)
				break;
		if (j == k)
			mx[k++] = mx[i];
	}
	return k;
}

/* 1 when host equals myhostname, ignoring case and a trailing dot. */
static int
dns_is_me(const char *host, const char *me)
{
	size_t hl = strlen(host), ml = strlen(me);

	if (ml > 0 && me[ml - 1] == '.')
		ml--;
	return hl == ml && ml > 0 && strncasecmp(host, me, ml) == 0;
}

/* Pure MX ordering and loop cut; see dns.h. */
int
dns_mx_order(struct dns_mx *mx, size_t n, const char *myhostname,
    size_t *n_r)
{
	*n_r = 0;
	if (n == 0)
		return 0;
	qsort(mx, n, sizeof(*mx), dns_mx_cmp);
	dns_mx_shuffle(mx, n);
	n = dns_mx_compact(mx, n);
	if (myhostname != NULL) {
		for (size_t i = 0; i < n; i++) {
			if (!dns_is_me(mx[i].name, myhostname))
				continue;
			size_t k = 0;
			while (k < n && mx[k].pref < mx[i].pref)
				k++;
			if (k == 0)
				return -1;
			n = k;
			break;
		}
	}
	*n_r = n;
	return 0;
}

/*
 * Parses one answer RR of an A reply at *off_r, moving past it.  Adds an
 * IN A record's address to r (up to DNS_A_MAX); other types are skipped.
 * 0, or -1 for a malformed record.
 */
static int
dns_parse_a_rr(const unsigned char *msg, size_t len, size_t *off_r,
    struct dns_a_reply *r)
{
	char owner[DNS_NAME_MAX];
	size_t off = *off_r, rdlen;
	unsigned int type, class;
	uint32_t ttl;

	if (dns_read_name(msg, len, &off, owner) < 0 || len - off < 10)
		return -1;
	type = get16(msg + off);
	class = get16(msg + off + 2);
	ttl = ((uint32_t)get16(msg + off + 4) << 16) | get16(msg + off + 6);
	rdlen = get16(msg + off + 8);
	off += 10;
	if (len - off < rdlen)
		return -1;
	*off_r = off + rdlen;
	if (type != DNS_TYPE_A || class != DNS_CLASS_IN)
		return 0;
	if (rdlen != 4)
		return -1;
	if (ttl > 0x7fffffffu)
		ttl = 0;	/* RFC 2181 8: the top bit set means zero */
	if (r->n < DNS_A_MAX) {
		memcpy(r->addrs[r->n++], msg + off, 4);
		if (r->n == 1 || ttl < r->ttl)
			r->ttl = ttl;
	}
	return 0;
}

/* Reads the first question of a reply into r; 0, or -1 if malformed. */
static int
dns_a_question(const unsigned char *msg, size_t len, size_t *off_r,
    struct dns_a_reply *r)
{
	if (get16(msg + 4) != 1)
		return -1;	/* our queries carry exactly one question */
	if (dns_read_name(msg, len, off_r, r->qname) < 0 || len - *off_r < 4)
		return -1;
	r->qtype = get16(msg + *off_r);
	*off_r += 4;
	return 0;
}

/* Pure parser of an A reply; see dns_parse.h. */
int
dns_parse_a(const unsigned char *msg, size_t len, struct dns_a_reply *r)
{
	size_t off = DNS_HDR_LEN;
	unsigned int an, rcode;

	memset(r, 0, sizeof(*r));
	if (len < DNS_HDR_LEN || (msg[2] & 0x80) == 0)
		return -1;	/* too short, or a query, not a response */
	r->id = get16(msg);
	if ((msg[2] & DNS_FLAG_TC) != 0 ||
	    dns_a_question(msg, len, &off, r) != 0)
		return -1;
	rcode = msg[3] & 0x0f;
	if (rcode == DNS_RCODE_NXDOMAIN)
		return 0;
	if (rcode != 0)
		return -1;
	an = get16(msg + 6);
	for (unsigned int i = 0; i < an; i++) {
		if (dns_parse_a_rr(msg, len, &off, r) < 0) {
			r->n = 0;
			r->ttl = 0;
			return -1;
		}
	}
	return 1;
}

/* Appends the labels of the text name to buf at *o; 0, or -1 when the
 * name is not a valid domain name or does not fit. */
static int
dns_put_name(const char *name, unsigned char *buf, size_t size, size_t *o)
{
	size_t len = strlen(name), start = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || *o + len + 2 > size)
		return -1;
	while (start < len) {
		size_t end = start;

		while (end < len && name[end] != '.')
			end++;
		if (end == start || end - start > 63)
			return -1;
		buf[(*o)++] = (unsigned char)(end - start);
		for (size_t i = start; i < end; i++) {
			unsigned char c = (unsigned char)name[i];

			if (c <= ' ' || c == 0x7f || c == '\\')
				return -1;
			buf[(*o)++] = c;
		}
		start = end + 1;
		if (end + 1 == len)
			return -1;	/* "a..": an empty last label */
	}
	buf[(*o)++] = 0;
	return 0;
}

/* Builds one recursive IN query; see dns_parse.h. */
int
dns_build_query(const char *name, unsigned int qtype, unsigned int id,
    unsigned char *buf, size_t size, size_t *len_r)
{
	size_t o = DNS_HDR_LEN;

	*len_r = 0;
	if (size < DNS_HDR_LEN + 4)
		return -1;
	memset(buf, 0, DNS_HDR_LEN);
	buf[0] = (unsigned char)(id >> 8);
	buf[1] = (unsigned char)id;
	buf[2] = 0x01;		/* RD: ask for recursion */
	buf[5] = 1;		/* QDCOUNT */
	if (dns_put_name(name, buf, size - 4, &o) != 0)
		return -1;
	buf[o++] = (unsigned char)(qtype >> 8);
	buf[o++] = (unsigned char)qtype;
	buf[o++] = 0;
	buf[o++] = DNS_CLASS_IN;
	*len_r = o;
	return 0;
}
