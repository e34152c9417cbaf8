/*
 * auth_penalty.c - petrel-auth's memory of failed logins, shared by every
 * worker (a table in shared memory made by the parent before it forks) and
 * so by every daemon that asks: smtpd, pop3d and imapd.
 *
 * Public (auth.h): auth_penalty_init (parent), auth_penalty_open
 * (post_drop: the exceptions), auth_penalty_check (before a password is
 * checked), auth_penalty_failed, auth_penalty_succeeded.
 * Policy, per client address and per user name (a failure counts for
 * both), failures older than auth_penalty_window forgotten:
 *   - the penalty of n failures is auth_penalty_initial doubled for each
 *     failure after the first, at most auth_penalty_max (2, 4, 8, 15 s by
 *     default);
 *   - a failed check's answer carries the penalty of the larger of the
 *     address's and the user's counts: the daemon waits that long (at
 *     least its own *_auth_failure_delay) before it tells the client, so
 *     a guesser on one connection slows down at every failure;
 *   - while an address is penalised, at most one of its checks runs per
 *     penalty period: a check starting reserves the period, and a check
 *     from that address arriving inside it is not made; the daemon is
 *     told to ask again later (WAIT), so guessing over many parallel
 *     connections gets no faster than over one.  A user's count is never
 *     such a gate: a guesser elsewhere can slow a user's failures but
 *     cannot keep the right password out;
 *   - a good password clears the address's and the user's counts;
 *   - addresses in auth_penalty_exceptions (default $mynetworks: webmail
 *     and other proxies that log their users in from one address) and
 *     requests without an address are neither counted nor held back.
 * Bounds: AUTH_PENALTY_SLOTS entries, open addressing over
 * AUTH_PENALTY_PROBE slots; when they are all live the entry whose last
 * failure is oldest is reused (a flood of distinct names can only make
 * penalties milder, never lock anyone out).
 * Entries are found by an FNV-1a hash of "a:" address or "u:" user; a
 * collision makes two clients share a count (rare, harmless: a delay).
 */
#include <stdint.h>
#include <string.h>

#include "auth.h"
#include "netmatch.h"
#include "params.h"
#include "shm.h"
#include "strutil.h"

#define AUTH_PENALTY_SLOTS 8192
#define AUTH_PENALTY_PROBE 8

struct penalty_entry {
	uint64_t hash;		/* 0: free */
	unsigned failures;
	time_t last_failure;
	time_t busy_until;	/* address: no other check starts before */
};

struct penalty_table {
	pthread_mutex_t lock;
	size_t count;
	struct penalty_entry e[];
};

static struct penalty_table *table;
static struct netmatch *exceptions;

/* Map the shared table (parent, before fork). */
void
auth_penalty_init(void)
{
	table = shm_map(sizeof(*table) + AUTH_PENALTY_SLOTS *
	    sizeof(table->e[0]), "penalty table");
	table->count = AUTH_PENALTY_SLOTS;
	shm_mutex_init(&table->lock, "penalty table");
}

/* The exceptions list (post_drop, each worker). */
void
auth_penalty_open(void)
{
	const char *err = NULL;

	netmatch_free(&exceptions);
	exceptions = netmatch_new(var_auth_penalty_exceptions, &err);
	if (exceptions == NULL)
		log_fatal("auth_penalty_exceptions: %s", err);
}

/* The penalty of n failures, in seconds. */
static unsigned
penalty_of(unsigned n)
{
	long p = var_auth_penalty_initial;

	if (n == 0)
		return 0;
	for (unsigned i = 1; i < n && p < var_auth_penalty_max; i++)
		p *= 2;
	if (p > var_auth_penalty_max)
		p = var_auth_penalty_max;
	return p < 0 ? 0 : (unsigned)p;
}

/* FNV-1a of prefix and name; never 0. */
static uint64_t
penalty_hash(const char *prefix, const char *name)
{
	uint64_t h = str_fnv1a64(prefix, strlen(prefix), STR_FNV1A64_INIT);

	h = str_fnv1a64(name, strlen(name), h);
	return h != 0 ? h : 1;
}

/* 1 when the entry's count still matters at now. */
static int
entry_live(const struct penalty_entry *p, time_t now)
{
	return p->hash != 0 && (p->busy_until > now ||
	    now - p->last_failure < var_auth_penalty_window);
}

/* The entry of hash; when there is none, a new one when create is set
 * (a free slot of the probe, else the one whose last failure is oldest),
 * else NULL.  Table locked. */
static struct penalty_entry *
entry_find(uint64_t hash, time_t now, int create)
{
	size_t start = (size_t)(hash % table->count);
	struct penalty_entry *free_slot = NULL, *oldest = NULL, *p;

	for (size_t i = 0; i < AUTH_PENALTY_PROBE; i++) {
		p = &table->e[(start + i) % table->count];
		if (p->hash == hash && entry_live(p, now))
			return p;
		if (!entry_live(p, now)) {
			if (free_slot == NULL || p->hash == hash)
				free_slot = p;
		} else if (oldest == NULL ||
		    p->last_failure < oldest->last_failure) {
			oldest = p;
		}
	}
	if (!create)
		return NULL;
	p = free_slot != NULL ? free_slot : oldest;
	memset(p, 0, sizeof(*p));
	p->hash = hash;
	return p;
}

/* 1 when addr is counted at all. */
static int
addr_counted(const char *addr)
{
	return table != NULL && addr != NULL && *addr != '\0' &&
	    (exceptions == NULL || !netmatch_match(exceptions, addr));
}

/* Before a check (see auth.h): 1 go ahead, 0 wait *wait_r seconds. */
int
auth_penalty_check(const char *addr, time_t now, unsigned *wait_r,
    unsigned *failures_r)
{
	struct penalty_entry *p;
	int go = 1;

	*wait_r = 0;
	*failures_r = 0;
	if (!addr_counted(addr))
		return 1;
	shm_mutex_lock(&table->lock, "penalty table");
	p = entry_find(penalty_hash("a:", addr), now, 0);
	if (p != NULL && p->failures > 0) {
		*failures_r = p->failures;
		if (p->busy_until > now) {
			*wait_r = (unsigned)(p->busy_until - now);
			go = 0;
		} else {
			p->busy_until = now + penalty_of(p->failures);
		}
	}
	shm_mutex_unlock(&table->lock);
	return go;
}

/* Count one failure for the entry of hash; its new count. */
static unsigned
entry_fail(uint64_t hash, time_t now, int gate)
{
	struct penalty_entry *p = entry_find(hash, now, 1);

	if (p->failures < 1000)
		p->failures++;
	p->last_failure = now;
	if (gate)
		p->busy_until = now + penalty_of(p->failures);
	return p->failures;
}

/* A failed check (see auth.h): the answer's delay in seconds. */
unsigned
auth_penalty_failed(const char *addr, const char *user, time_t now,
    unsigned *addr_failures_r, unsigned *user_failures_r)
{
	unsigned a, u;

	*addr_failures_r = *user_failures_r = 0;
	if (!addr_counted(addr))
		return 0;
	shm_mutex_lock(&table->lock, "penalty table");
	a = entry_fail(penalty_hash("a:", addr), now, 1);
	u = entry_fail(penalty_hash("u:", user), now, 0);
	shm_mutex_unlock(&table->lock);
	*addr_failures_r = a;
	*user_failures_r = u;
	return penalty_of(a > u ? a : u);
}

/* A good password: forget the address's and the user's failures. */
void
auth_penalty_succeeded(const char *addr, const char *user, time_t now)
{
	struct penalty_entry *p;

	if (!addr_counted(addr))
		return;
	shm_mutex_lock(&table->lock, "penalty table");
	if ((p = entry_find(penalty_hash("a:", addr), now, 0)) != NULL)
		memset(p, 0, sizeof(*p));
	if ((p = entry_find(penalty_hash("u:", user), now, 0)) != NULL)
		memset(p, 0, sizeof(*p));
	shm_mutex_unlock(&table->lock);
}
