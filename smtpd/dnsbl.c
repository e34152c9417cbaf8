/*
 * dnsbl.c - DNSBL/DNSWL screening of port 25 clients (Postfix's
 * postscreen_dnsbl_sites idea): each site of smtpd_dnsbl_sites is asked
 * about the client at connect, all at once (dns_multi.c), while
 * smtpd_greet_wait runs; the weights of the sites that list the client
 * (and whose reply passes the entry's filter) add up to its score.
 *
 *   score >= smtpd_dnsbl_threshold   every command but QUIT gets
 *       "550 5.7.1 Service unavailable; client [addr] blocked using site"
 *       (the greeting is the normal 220, as postscreen does, so the
 *       client's HELO, sender and recipients show in the log);
 *   score <= smtpd_dnsbl_whitelist_threshold, when that is negative
 *       the client skips greylisting and the pre-greeting tests
 *       (smtpd_greet_wait, smtpd_forbid_unauth_pipelining).
 * A DNS failure or a timeout (smtpd_dnsbl_timeout, cut to 1 s while the
 * worker pool is under stress, server.h) counts 0: a broken list never
 * blocks anyone, and slow lists cannot hold the pool.  Clients in mynetworks or
 * smtpd_client_event_limit_exceptions, and the submission and smtps
 * ports, are not looked up.
 * Log lines (for fail2ban): "DNSBL rank N for name[addr] (sites: ...)"
 * when a site answered with a listing, then "NOQUEUE: reject: VERB from
 * name[addr]: 550 5.7.1 ..." per refused command.
 *
 * Public (smtpd.h): smtpd_dnsbl_init, smtpd_dnsbl_reload, smtpd_dnsbl_start,
 * smtpd_dnsbl_finish, smtpd_dnsbl_gate, smtpd_dnsbl_end.
 * Cache: per worker process, DNSBL_CACHE_MAX addresses, each kept for the
 * smallest TTL of its replies clamped to 60 s..1 h (a lookup that failed
 * or timed out is not cached).  Per worker keeps it lock-free; a worker
 * serves smtpd's server_max_use clients before it is replaced, so a busy
 * client usually meets a warm cache.
 * Security: runs in the worker as smtpd_user; DNS replies are untrusted
 * and parsed by dns_parse_a (dns_multi.c matches them to our queries).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "dns_multi.h"
#include "dnsbl.h"
#include "log.h"
#include "netmatch.h"
#include "params.h"
#include "smtpd.h"

#define DNSBL_CACHE_MAX 128
#define DNSBL_TTL_MIN 60
#define DNSBL_TTL_MAX 3600
#define DNSBL_STRESS_MS 1000	/* the longest wait while the pool is full */

struct smtpd_dnsbl {
	struct dns_multi *m;
	int query[DNSBL_SITES_MAX];	/* site -> query index, -1 none */
	long long deadline_ms;
};

struct dnsbl_cached {
	char addr[64];
	long score;
	char site[SMTPD_NAME_MAX];
	time_t expires;
};

static struct dnsbl_sites dnsbl_sites;
static int dnsbl_parsed;
static struct netmatch *dnsbl_exempt;
static struct dnsbl_cached dnsbl_cache[DNSBL_CACHE_MAX];

/* (Re)reads smtpd_dnsbl_sites and the exceptions; a bad value is fatal
 * at start (fatal), and keeps the old lists on a reload. */
static void
dnsbl_load(int fatal)
{
	const char *v = var_smtpd_dnsbl_sites, *err = "bad value";
	struct dnsbl_sites sites;
	struct netmatch *nm;

	if (dnsbl_sites_parse(v != NULL ? v : "", v != NULL ? strlen(v) : 0,
	    &sites, &err) != 0) {
		if (fatal)
			log_fatal("smtpd_dnsbl_sites: %s", err);
		log_warn("smtpd_dnsbl_sites: %s (the old list stays)", err);
		return;
	}
	v = var_smtpd_client_event_limit_exceptions;
	err = NULL;
	nm = netmatch_new(v != NULL ? v : "", &err);
	if (nm == NULL) {
		dnsbl_sites_free(&sites);
		if (fatal)
			log_fatal("smtpd_client_event_limit_exceptions: %s",
			    err != NULL ? err : "bad value");
		return;
	}
	dnsbl_sites_free(&dnsbl_sites);
	netmatch_free(&dnsbl_exempt);
	dnsbl_sites = sites;
	dnsbl_exempt = nm;
	dnsbl_parsed = 1;
	memset(dnsbl_cache, 0, sizeof(dnsbl_cache));
}

/* Parses the lists once per process (the parent, before forking, so a
 * typo stops the daemon at start). */
void
smtpd_dnsbl_init(void)
{
	if (!dnsbl_parsed)
		dnsbl_load(1);
}

/* The parent after a reload: the new lists for the next workers. */
void
smtpd_dnsbl_reload(void)
{
	dnsbl_load(0);
}

/* The cache slot of addr, or NULL; with want_free the slot to reuse. */
static struct dnsbl_cached *
dnsbl_cache_slot(const char *addr, time_t now, int want_free)
{
	struct dnsbl_cached *oldest = &dnsbl_cache[0];

	for (size_t i = 0; i < DNSBL_CACHE_MAX; i++) {
		struct dnsbl_cached *c = &dnsbl_cache[i];

		if (c->expires > now && strcmp(c->addr, addr) == 0)
			return c;
		if (c->expires < oldest->expires)
			oldest = c;
	}
	return want_free ? oldest : NULL;
}

/* Sets the session's verdict from a score and the site named in the 550. */
static void
dnsbl_verdict(struct smtpd_session *s, long score, const char *site)
{
	s->dnsbl_score = score;
	(void)snprintf(s->dnsbl_site, sizeof(s->dnsbl_site), "%s", site);
	s->dnsbl_blocked = score >= var_smtpd_dnsbl_threshold;
	s->dnsbl_allowed = var_smtpd_dnsbl_whitelist_threshold < 0 &&
	    score <= var_smtpd_dnsbl_whitelist_threshold;
}

/* The first site before i with the same domain, or i itself. */
static size_t
dnsbl_first_of(size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(dnsbl_sites.v[j].domain, dnsbl_sites.v[i].domain)
		    == 0)
			return j;
	return i;
}

/* Asks every distinct domain once; the site -> query map into d. */
static void
dnsbl_send(struct smtpd_dnsbl *d, const char *addr)
{
	char name[DNS_NAME_MAX];

	for (size_t i = 0; i < dnsbl_sites.n; i++) {
		size_t first = dnsbl_first_of(i);

		d->query[i] = -1;
		if (first != i)
			d->query[i] = d->query[first];
		else if (dnsbl_query_name(addr, dnsbl_sites.v[i].domain, name,
		    sizeof(name)) == 0)
			d->query[i] = dns_multi_add(d->m, name);
	}
}

/* Port 25 clients that are not exempt, with sites configured. */
static int
dnsbl_wanted(const struct smtpd_session *s)
{
	smtpd_dnsbl_init();
	return s->role == SMTPD_ROLE_SMTP && dnsbl_sites.n > 0 &&
	    !s->trusted && !netmatch_match(dnsbl_exempt, s->addr);
}

/* Starts the lookups for a new client (or takes its cached verdict). */
void
smtpd_dnsbl_start(struct smtpd_session *s)
{
	const struct dnsbl_cached *c;
	const char *err = "error";
	struct smtpd_dnsbl *d;

	if (!dnsbl_wanted(s))
		return;
	c = dnsbl_cache_slot(s->addr, time(NULL), 0);
	if (c != NULL) {
		dnsbl_verdict(s, c->score, c->site);
		return;
	}
	d = xcalloc(1, sizeof(*d));
	d->m = dns_multi_new(var_dns_nameservers, &err);
	if (d->m == NULL) {
		log_warn("DNSBL lookups for [%s] skipped: %s", s->addr, err);
		free(d);
		return;
	}
	d->deadline_ms = dns_multi_now_ms() + var_smtpd_dnsbl_timeout * 1000;
	dnsbl_send(d, s->addr);
	s->dnsbl = d;
}

/* Adds the weight of each site whose answer passes its filter; the
 * listing site with the largest weight into site, the cache TTL into
 * *ttl_r (0 when an answer is missing: not cached). */
static long
dnsbl_score(const struct smtpd_dnsbl *d, char *site, size_t size,
    char *sites, size_t ssize, long *ttl_r)
{
	long score = 0, best = 0, ttl = DNSBL_TTL_MAX;
	size_t o = 0;

	site[0] = sites[0] = '\0';
	for (size_t i = 0; i < dnsbl_sites.n; i++) {
		const struct dnsbl_site *e = &dnsbl_sites.v[i];
		const struct dns_answer *a = dns_multi_answer(d->m,
		    d->query[i] >= 0 ? (size_t)d->query[i] : DNS_MULTI_MAX);

		if (a->status != DNS_ANS_OK && a->status != DNS_ANS_NXDOMAIN)
			ttl = 0;
		if (a->status != DNS_ANS_OK)
			continue;
		for (size_t k = 0; k < a->reply.n; k++) {
			if (!dnsbl_site_match(e, a->reply.addrs[k]))
				continue;
			score += e->weight;
			if (ttl > (long)a->reply.ttl)
				ttl = (long)a->reply.ttl;
			if (e->weight > best) {
				best = e->weight;
				(void)snprintf(site, size, "%s", e->domain);
			}
			int n = snprintf(sites + o, ssize - o, "%s%s*%ld",
			    o > 0 ? ", " : "", e->domain, e->weight);
			if (n > 0 && (size_t)n < ssize - o)
				o += (size_t)n;
			break;
		}
	}
	*ttl_r = ttl == 0 ? 0 : ttl < DNSBL_TTL_MIN ? DNSBL_TTL_MIN : ttl;
	return score;
}

/* Remembers a complete verdict for ttl seconds. */
static void
dnsbl_remember(const char *addr, long score, const char *site, long ttl)
{
	time_t now = time(NULL);
	struct dnsbl_cached *c = dnsbl_cache_slot(addr, now, 1);

	(void)snprintf(c->addr, sizeof(c->addr), "%s", addr);
	(void)snprintf(c->site, sizeof(c->site), "%s", site);
	c->score = score;
	c->expires = now + ttl;
}

/* Waits (up to the deadline) for the answers and scores the client. */
void
smtpd_dnsbl_finish(struct smtpd_session *s)
{
	struct smtpd_dnsbl *d = s->dnsbl;
	char site[SMTPD_NAME_MAX], sites[1024];
	size_t pending;
	long score, ttl;

	if (d == NULL)
		return;
	if (server_under_stress() &&
	    d->deadline_ms > dns_multi_now_ms() + DNSBL_STRESS_MS)
		d->deadline_ms = dns_multi_now_ms() + DNSBL_STRESS_MS;
	pending = dns_multi_wait(d->m, d->deadline_ms);
	score = dnsbl_score(d, site, sizeof(site), sites, sizeof(sites), &ttl);
	dnsbl_verdict(s, score, site);
	if (pending > 0)
		log_info("DNSBL lookups for %s[%s]: %zu not answered within "
		    "%lds (counted 0)", s->name, s->addr, pending,
		    var_smtpd_dnsbl_timeout);
	if (sites[0] != '\0')
		log_info("DNSBL rank %ld for %s[%s] (sites: %s)%s", score,
		    s->name, s->addr, sites, s->dnsbl_blocked ? ": blocked" :
		    s->dnsbl_allowed ? ": allowed" : "");
	if (ttl > 0)
		dnsbl_remember(s->addr, score, site, ttl);
	smtpd_dnsbl_end(s);
}

/* A blocked client's command: 1 after the 550 (QUIT passes: 0). */
int
smtpd_dnsbl_gate(struct smtpd_session *s, const char *line, size_t len)
{
	char reply[SMTPD_NAME_MAX + 128], verb[16], shown[32];
	size_t vlen = 0;

	if (!s->dnsbl_blocked)
		return 0;
	while (vlen < len && vlen < sizeof(verb) - 1 && line[vlen] != ' ') {
		char c = line[vlen];

		verb[vlen++] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
	}
	verb[vlen] = '\0';
	if (strcmp(verb, "QUIT") == 0)
		return 0;
	log_sanitize(shown, sizeof(shown), verb, vlen);
	(void)snprintf(reply, sizeof(reply), "550 5.7.1 Service unavailable; "
	    "client [%s] blocked using %s", s->addr, s->dnsbl_site);
	smtpd_reply(s, "%s", reply);
	log_info("NOQUEUE: reject: %s from %s[%s]: %s; proto=SMTP", shown,
	    s->name, s->addr, reply);
	return 1;
}

/* Drops lookups still in flight (the session ends or has its answer). */
void
smtpd_dnsbl_end(struct smtpd_session *s)
{
	if (s->dnsbl == NULL)
		return;
	dns_multi_free(&s->dnsbl->m);
	free(s->dnsbl);
	s->dnsbl = NULL;
}
