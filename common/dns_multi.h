/*
 * dns_multi.h - many DNS A queries at once over UDP, answered in parallel
 * and bounded by one deadline: the lookups behind smtpd's DNSBL/DNSWL
 * screening (smtpd/dnsbl.c), where a client should wait for the slowest
 * list, not for the sum of them.
 *
 * Public:
 *   dns_ns_parse(list, ns, max, &n, &errstr)  pure: a dns_nameservers
 *                    value ("127.0.0.1:5353 [::1]:53 192.0.2.1", blanks or
 *                    commas between; port 53 when none) into at most max
 *                    addresses; 0, or -1 with errstr.
 *   dns_multi_new(nameservers, &errstr)  a batch with its UDP socket(s);
 *                    nameservers "" means those of /etc/resolv.conf
 *                    (res_ninit), else as dns_ns_parse.  NULL with errstr.
 *   dns_multi_add(m, name)  sends an A query for name at once; returns its
 *                    index (0, 1, ...) or -1 (bad name, batch full, send
 *                    failed: that answer then counts as DNS_ANS_FAIL).
 *   dns_multi_wait(m, deadline_ms)  receives answers until every query is
 *                    answered or the CLOCK_MONOTONIC time deadline_ms (see
 *                    dns_multi_now_ms) passes; a query still unanswered is
 *                    sent again (to the next nameserver) every
 *                    DNS_MULTI_RETRY_MS.  Returns how many are still
 *                    pending (0: all answered).
 *   dns_multi_answer(m, i)  the state of query i: status PENDING, OK (the
 *                    reply holds the addresses, maybe none), NXDOMAIN or
 *                    FAIL (SERVFAIL, malformed, send error).
 *   dns_multi_now_ms()  the monotonic clock in milliseconds.
 *   dns_multi_free(&m)  closes the sockets.
 * Security: a reply counts only when it comes from one of the nameservers'
 * address and port, carries the random ID of a query still pending and
 * repeats its question (name and type); everything else is dropped.  Every
 * reply goes through the bounded parser dns_parse_a.  At most
 * DNS_MULTI_MAX queries per batch, DNS_NS_MAX nameservers.
 */
#ifndef PETREL_DNS_MULTI_H
#define PETREL_DNS_MULTI_H

#include <stddef.h>
#include <sys/socket.h>

#include "dns_parse.h"
#include "log.h"

#define DNS_MULTI_MAX 32
#define DNS_NS_MAX 3
#define DNS_MULTI_RETRY_MS 2000
#define DNS_MULTI_TRIES 4

enum dns_answer_status {
	DNS_ANS_PENDING = 0,
	DNS_ANS_OK,
	DNS_ANS_NXDOMAIN,
	DNS_ANS_FAIL
};

struct dns_answer {
	enum dns_answer_status status;
	struct dns_a_reply reply;	/* valid with DNS_ANS_OK */
};

struct dns_multi;

int dns_ns_parse(const char *list, struct sockaddr_storage *ns, size_t max,
    size_t *n_r, const char **errstr_r) WARN_UNUSED;
struct dns_multi *dns_multi_new(const char *nameservers,
    const char **errstr_r);
int dns_multi_add(struct dns_multi *m, const char *name);
size_t dns_multi_wait(struct dns_multi *m, long long deadline_ms);
const struct dns_answer *dns_multi_answer(const struct dns_multi *m,
    size_t i);
long long dns_multi_now_ms(void);
void dns_multi_free(struct dns_multi **mp);

#endif
