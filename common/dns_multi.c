/*
 * dns_multi.c - parallel A queries over UDP with one deadline (see
 * dns_multi.h), for smtpd's DNSBL/DNSWL lookups.
 *
 * Public: dns_ns_parse, dns_multi_new, dns_multi_add, dns_multi_wait,
 * dns_multi_answer, dns_multi_now_ms, dns_multi_free.
 * One unconnected non-blocking UDP socket per address family in use
 * (the kernel picks a random source port); each query gets a random ID.
 * The nameservers are dns_nameservers, or those of the resolver state
 * (res_ninit reads /etc/resolv.conf; IPv6 ones through glibc's _ext list).
 * Replies are matched by source address and port, ID and question.
 * Failures never block: a send error or a malformed reply marks that query
 * DNS_ANS_FAIL, and dns_multi_wait returns at its deadline whatever is
 * still pending.  Loops are bounded by the deadline and by a count.
 * Security: runs in smtpd workers (smtpd_user, under their seccomp filter:
 * it needs socket, sendto, recvfrom, poll and reading /etc/resolv.conf,
 * which t/unit/test_dns_multi.c checks); replies are untrusted and parsed
 * by dns_parse_a; see dns_multi.h for the matching rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "dns_multi.h"
#include "strutil.h"

#define DNS_REPLY_MAX 4096
#define DNS_WAIT_ROUNDS 10000	/* poll rounds in one wait, at most */

struct dns_query {
	char name[DNS_NAME_MAX];	/* lowercased, no trailing dot */
	unsigned int id;
	int tries;
	long long sent_ms;
	struct dns_answer ans;
};

struct dns_multi {
	struct sockaddr_storage ns[DNS_NS_MAX];
	size_t nns;
	int fd4, fd6;
	struct dns_query q[DNS_MULTI_MAX];
	size_t nq;
};

/* The monotonic clock in milliseconds. */
long long
dns_multi_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Splits "addr", "addr:port", "[addr]" or "[addr]:port" (len > 0 bytes)
 * into host and port (port NULL when absent); 0 or -1. */
static int
dns_ns_split(const char *p, size_t len, const char **h, size_t *hl,
    const char **port, size_t *pl)
{
	const char *c;

	*port = NULL;
	*pl = 0;
	if (p[0] == '[') {
		const char *end = memchr(p, ']', len);
		size_t rest;

		if (end == NULL)
			return -1;
		*h = p + 1;
		*hl = (size_t)(end - p - 1);
		rest = len - (size_t)(end + 1 - p);
		if (rest == 0)
			return 0;
		if (end[1] != ':')
			return -1;
		*port = end + 2;
		*pl = rest - 1;
		return 0;
	}
	*h = p;
	*hl = len;
	c = memchr(p, ':', len);
	if (c != NULL && memchr(c + 1, ':', len - (size_t)(c + 1 - p)) == NULL) {
		*hl = (size_t)(c - p);	/* one colon: IPv4 host:port */
		*port = c + 1;
		*pl = len - (size_t)(c + 1 - p);
	}
	return 0;
}

/* Parses one nameserver of len bytes into ss; 0 or -1. */
static int
dns_ns_one(const char *p, size_t len, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char host[64];
	const char *h, *port;
	size_t hl, pl;
	long pnum = 53;

	if (dns_ns_split(p, len, &h, &hl, &port, &pl) != 0 || hl == 0 ||
	    hl >= sizeof(host))
		return -1;
	if (port != NULL && str_to_long(port, pl, 1, 65535, &pnum) != 0)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)pnum);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)pnum);
		return 0;
	}
	return -1;
}

/* Pure parser of a dns_nameservers value; see dns_multi.h. */
int
dns_ns_parse(const char *list, struct sockaddr_storage *ns, size_t max,
    size_t *n_r, const char **errstr_r)
{
	const char *p = list, *sep = " \t,";

	*n_r = 0;
	for (;;) {
		p += strspn(p, sep);
		if (*p == '\0')
			return 0;
		size_t len = strcspn(p, sep);
		if (*n_r >= max) {
			*errstr_r = "too many nameservers";
			return -1;
		}
		if (dns_ns_one(p, len, &ns[*n_r]) != 0) {
			*errstr_r = "bad nameserver address";
			return -1;
		}
		(*n_r)++;
		p += len;
	}
}

/* The nameservers of /etc/resolv.conf into m (127.0.0.1:53 when it names
 * none, as the resolver itself does). */
static void
dns_ns_system(struct dns_multi *m)
{
	struct __res_state res;

	memset(&res, 0, sizeof(res));
	if (res_ninit(&res) == 0) {
		for (int i = 0; i < res.nscount && m->nns < DNS_NS_MAX; i++) {
			if (res.nsaddr_list[i].sin_family == AF_INET)
				memcpy(&m->ns[m->nns++], &res.nsaddr_list[i],
				    sizeof(res.nsaddr_list[i]));
#ifdef __GLIBC__
			else if (res._u._ext.nsaddrs[i] != NULL)
				memcpy(&m->ns[m->nns++],
				    res._u._ext.nsaddrs[i],
				    sizeof(struct sockaddr_in6));
#endif
		}
		res_nclose(&res);
	}
	if (m->nns == 0) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&m->ns[0];

		s4->sin_family = AF_INET;
		s4->sin_port = htons(53);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		m->nns = 1;
	}
}

/* Opens the UDP socket for family af; the descriptor or -1. */
static int
dns_socket(int af)
{
	return socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

/* A new batch; see dns_multi.h. */
struct dns_multi *
dns_multi_new(const char *nameservers, const char **errstr_r)
{
	struct dns_multi *m = xcalloc(1, sizeof(*m));

	m->fd4 = m->fd6 = -1;
	if (nameservers != NULL && nameservers[0] != '\0') {
		if (dns_ns_parse(nameservers, m->ns, DNS_NS_MAX, &m->nns,
		    errstr_r) != 0 || m->nns == 0) {
			if (m->nns == 0)
				*errstr_r = "no nameserver";
			free(m);
			return NULL;
		}
	} else {
		dns_ns_system(m);
	}
	for (size_t i = 0; i < m->nns; i++) {
		int af = m->ns[i].ss_family;

		if (af == AF_INET && m->fd4 < 0)
			m->fd4 = dns_socket(AF_INET);
		if (af == AF_INET6 && m->fd6 < 0)
			m->fd6 = dns_socket(AF_INET6);
	}
	if (m->fd4 < 0 && m->fd6 < 0) {
		*errstr_r = "cannot open a UDP socket";
		dns_multi_free(&m);
	}
	return m;
}

/* The length of a nameserver's socket address. */
static socklen_t
dns_ns_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
}

/* Sends query q (again) to the nameserver its try count picks; a query
 * that cannot be sent anywhere fails. */
static void
dns_send(struct dns_multi *m, struct dns_query *q, long long now)
{
	unsigned char pkt[DNS_QUERY_MAX];
	size_t len;
	const struct sockaddr_storage *ns = &m->ns[(size_t)q->tries % m->nns];
	int fd = ns->ss_family == AF_INET6 ? m->fd6 : m->fd4;

	q->tries++;
	q->sent_ms = now;
	if (dns_build_query(q->name, DNS_TYPE_A, q->id, pkt, sizeof(pkt),
	    &len) != 0) {
		q->ans.status = DNS_ANS_FAIL;
		return;
	}
	if (fd < 0 || sendto(fd, pkt, len, 0, (const struct sockaddr *)ns,
	    dns_ns_len(ns)) < 0) {
		if (q->tries >= DNS_MULTI_TRIES || m->nns == 1)
			q->ans.status = DNS_ANS_FAIL;
	}
}

/* A random 16-bit query ID. */
static unsigned int
dns_random_id(void)
{
	unsigned short r;

	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned short)random();
	return r;
}

/* Adds and sends one A query; see dns_multi.h. */
int
dns_multi_add(struct dns_multi *m, const char *name)
{
	struct dns_query *q;
	size_t len = strlen(name);

	if (m->nq >= DNS_MULTI_MAX)
		return -1;
	q = &m->q[m->nq];
	memset(q, 0, sizeof(*q));
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len >= sizeof(q->name))
		return -1;
	for (size_t i = 0; i < len; i++)
		q->name[i] = (name[i] >= 'A' && name[i] <= 'Z') ?
		    (char)(name[i] - 'A' + 'a') : name[i];
	q->id = dns_random_id();
	dns_send(m, q, dns_multi_now_ms());
	m->nq++;
	return q->ans.status == DNS_ANS_FAIL ? -1 : (int)(m->nq - 1);
}

/* 1 when from is the address and port of one of m's nameservers. */
static int
dns_from_ns(const struct dns_multi *m, const struct sockaddr_storage *from)
{
	for (size_t i = 0; i < m->nns; i++) {
		const struct sockaddr_storage *ns = &m->ns[i];

		if (ns->ss_family != from->ss_family)
			continue;
		if (ns->ss_family == AF_INET) {
			const struct sockaddr_in *a = (const void *)ns,
			    *b = (const void *)from;
			if (a->sin_port == b->sin_port &&
			    a->sin_addr.s_addr == b->sin_addr.s_addr)
				return 1;
		} else {
			const struct sockaddr_in6 *a = (const void *)ns,
			    *b = (const void *)from;
			if (a->sin6_port == b->sin6_port &&
			    memcmp(&a->sin6_addr, &b->sin6_addr, 16) == 0)
				return 1;
		}
	}
	return 0;
}

/* Files one received reply under the pending query it answers. */
static void
dns_take_reply(struct dns_multi *m, const unsigned char *pkt, size_t len)
{
	struct dns_a_reply r;
	int rc = dns_parse_a(pkt, len, &r);

	for (size_t i = 0; i < m->nq; i++) {
		struct dns_query *q = &m->q[i];

		if (q->ans.status != DNS_ANS_PENDING || q->id != r.id ||
		    r.qtype != DNS_TYPE_A || strcmp(q->name, r.qname) != 0)
			continue;
		q->ans.status = rc == 1 ? DNS_ANS_OK : rc == 0 ?
		    DNS_ANS_NXDOMAIN : DNS_ANS_FAIL;
		q->ans.reply = r;
		return;
	}
}

/* Reads every datagram waiting on fd (bounded by DNS_MULTI_MAX * 4). */
static void
dns_drain(struct dns_multi *m, int fd)
{
	unsigned char pkt[DNS_REPLY_MAX];
	struct sockaddr_storage from;

	for (int k = 0; fd >= 0 && k < DNS_MULTI_MAX * 4; k++) {
		socklen_t flen = sizeof(from);
		ssize_t n;

		memset(&from, 0, sizeof(from));	/* no sender: matches no server */
		n = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from,
		    &flen);
		if (n < 0)
			return;	/* EAGAIN, or an ICMP error: wait on */
		if (dns_from_ns(m, &from))
			dns_take_reply(m, pkt, (size_t)n);
	}
}

/* Resends what waited DNS_MULTI_RETRY_MS; the pending count and, in
 * *next_r, when the next resend is due. */
static size_t
dns_resend(struct dns_multi *m, long long now, long long *next_r)
{
	size_t pending = 0;

	for (size_t i = 0; i < m->nq; i++) {
		struct dns_query *q = &m->q[i];

		if (q->ans.status != DNS_ANS_PENDING)
			continue;
		if (now - q->sent_ms >= DNS_MULTI_RETRY_MS &&
		    q->tries < DNS_MULTI_TRIES)
			dns_send(m, q, now);
		if (q->ans.status != DNS_ANS_PENDING)
			continue;
		pending++;
		if (q->tries < DNS_MULTI_TRIES &&
		    q->sent_ms + DNS_MULTI_RETRY_MS < *next_r)
			*next_r = q->sent_ms + DNS_MULTI_RETRY_MS;
	}
	return pending;
}

/* Waits for the answers; see dns_multi.h. */
size_t
dns_multi_wait(struct dns_multi *m, long long deadline_ms)
{
	size_t pending = 0;

	for (int round = 0; round < DNS_WAIT_ROUNDS; round++) {
		struct pollfd pfd[2] = { { m->fd4, POLLIN, 0 },
		    { m->fd6, POLLIN, 0 } };
		long long now = dns_multi_now_ms(), next = deadline_ms;

		pending = dns_resend(m, now, &next);
		if (pending == 0 || now >= deadline_ms)
			break;
		if (poll(pfd, 2, (int)(next - now)) < 0 && errno != EINTR)
			break;
		dns_drain(m, m->fd4);
		dns_drain(m, m->fd6);
	}
	return pending;
}

/* The state of query i; see dns_multi.h. */
const struct dns_answer *
dns_multi_answer(const struct dns_multi *m, size_t i)
{
	static const struct dns_answer failed = { DNS_ANS_FAIL, { 0 } };

	return i < m->nq ? &m->q[i].ans : &failed;
}

/* Closes the sockets and frees the batch. */
void
dns_multi_free(struct dns_multi **mp)
{
	struct dns_multi *m = *mp;

	if (m == NULL)
		return;
	if (m->fd4 >= 0)
		(void)close(m->fd4);
	if (m->fd6 >= 0)
		(void)close(m->fd6);
	free(m);
	*mp = NULL;
}
