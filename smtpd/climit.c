/*
 * climit.c - per-client limits shared by every worker of petrel-smtpd:
 * concurrent connections (smtpd_client_connection_count_limit), new
 * connections per minute (smtpd_client_connection_rate_limit) and
 * messages per minute (smtpd_client_message_rate_limit); clients in
 * smtpd_client_event_limit_exceptions (default $mynetworks) are exempt.
 *
 * Public: smtpd_climit_init (parent, before forking: makes the table),
 * smtpd_climit_open (worker: the exceptions list), smtpd_climit_connect
 * (0 ok, -1 too many connections, -2 connection rate exceeded),
 * smtpd_climit_disconnect, smtpd_climit_message (0 ok, -1 rate exceeded).
 * The table is one MAP_SHARED anonymous mapping made by the parent, so
 * every worker (and every replacement worker) sees the same counts:
 *   - a slot per worker {pid, client hash}: a client's concurrency is the
 *     number of live slots with its hash.  A worker that dies keeps its
 *     slot until another worker finds that the pid is gone and takes it,
 *     and dead slots are not counted (kill(pid, 0) says ESRCH), so a crash
 *     never leaks a count.
 *   - rate buckets {hash, window start, connections, messages}, one-minute
 *     fixed windows, open addressing with a short probe; when every probed
 *     bucket is busy the oldest is reused (a flood of distinct clients can
 *     only make the limits more lenient, never lock anyone out).
 * One spin lock guards the table; its holder's pid is stored so that a lock
 * left by a killed worker is taken over.  Without the table (-S mode, or
 * mmap failure) no limits apply.
 * Security: clients are identified by an FNV-1a hash of the address text;
 * a collision makes two clients share a count (harmless, rare).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netmatch.h"
#include "params.h"
#include "smtpd.h"

#define CLIMIT_SLOTS 4096
#define CLIMIT_BUCKETS 4096
#define CLIMIT_PROBE 8
#define CLIMIT_WINDOW 60

struct climit_slot {
	pid_t pid;
	uint64_t hash;		/* 0: idle */
};

struct climit_bucket {
	uint64_t hash;
	time_t start;
	long conns;
	long msgs;
};

struct climit_table {
	pid_t lock;
	struct climit_slot slots[CLIMIT_SLOTS];
	struct climit_bucket buckets[CLIMIT_BUCKETS];
};

static struct climit_table *climit_tab;
static struct climit_slot *climit_mine;
static struct netmatch *climit_exempt;

/* Make the shared table (parent, before the workers exist). */
void
smtpd_climit_init(void)
{
	void *p = mmap(NULL, sizeof(*climit_tab), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		log_warn("mmap: %m (per-client limits disabled)");
		return;
	}
	climit_tab = p;
}

/* Parse the exceptions list (worker, once). */
void
smtpd_climit_open(void)
{
	const char *err = NULL, *v = var_smtpd_client_event_limit_exceptions;

	if (climit_exempt != NULL)
		return;
	climit_exempt = netmatch_new(v != NULL ? v : "", &err);
	if (climit_exempt == NULL)
		log_fatal("smtpd_client_event_limit_exceptions: %s",
		    err != NULL ? err : "bad value");
}

/* 1 when pid is a live process (same user: kill works; EPERM = alive). */
static int
climit_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

/* Take the table's lock, taking it over from a dead holder. */
static void
climit_lock(void)
{
	pid_t me = getpid(), want;
	unsigned spins = 0;

	for (;;) {
		want = 0;
		if (__atomic_compare_exchange_n(&climit_tab->lock, &want, me, 0,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		if (++spins % 1024 == 0 && !climit_alive(want) &&
		    __atomic_compare_exchange_n(&climit_tab->lock, &want, me,
		    0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		sched_yield();
	}
}

/* Release the table's lock. */
static void
climit_unlock(void)
{
	__atomic_store_n(&climit_tab->lock, 0, __ATOMIC_RELEASE);
}

/* FNV-1a of the address text; never 0. */
static uint64_t
climit_hash(const char *addr)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *addr != '\0'; addr++)
		h = (h ^ (unsigned char)*addr) * 1099511628211ULL;
	return h != 0 ? h : 1;
}

/* This worker's slot (locked): a free one or a dead worker's. */
static struct climit_slot *
climit_slot(void)
{
	pid_t me = getpid();

	if (climit_mine != NULL && climit_mine->pid == me)
		return climit_mine;
	for (size_t i = 0; i < CLIMIT_SLOTS; i++) {
		struct climit_slot *sl = &climit_tab->slots[i];

		if (sl->pid == 0 || !climit_alive(sl->pid)) {
			sl->pid = me;
			sl->hash = 0;
			return climit_mine = sl;
		}
	}
	return NULL;
}

/* Live sessions of the client h other than ours (locked). */
static long
climit_count(uint64_t h, const struct climit_slot *mine)
{
	long n = 0;

	for (size_t i = 0; i < CLIMIT_SLOTS; i++) {
		const struct climit_slot *sl = &climit_tab->slots[i];

		if (sl != mine && sl->hash == h && sl->pid != 0 &&
		    climit_alive(sl->pid))
			n++;
	}
	return n;
}

/* The client's rate bucket for the current window (locked). */
static struct climit_bucket *
climit_bucket(uint64_t h, time_t now)
{
	struct climit_bucket *b, *oldest = NULL;

	for (size_t i = 0; i < CLIMIT_PROBE; i++) {
		b = &climit_tab->buckets[(h + i) % CLIMIT_BUCKETS];
		if (b->hash == h || b->hash == 0 ||
		    now - b->start >= CLIMIT_WINDOW) {
			if (b->hash != h || now - b->start >= CLIMIT_WINDOW) {
				b->hash = h;
				b->start = now;
				b->conns = b->msgs = 0;
			}
			return b;
		}
		if (oldest == NULL || b->start < oldest->start)
			oldest = b;
	}
	oldest->hash = h;
	oldest->start = now;
	oldest->conns = oldest->msgs = 0;
	return oldest;
}

/* 1 when limits apply to addr. */
static int
climit_applies(const char *addr)
{
	return climit_tab != NULL && (climit_exempt == NULL ||
	    !netmatch_match(climit_exempt, addr));
}

/* A new session from addr: 0 ok, -1 too many connections, -2 rate. */
int
smtpd_climit_connect(const char *addr)
{
	uint64_t h = climit_hash(addr);
	struct climit_slot *mine;
	struct climit_bucket *b;
	int rc = 0;

	if (!climit_applies(addr))
		return 0;
	climit_lock();
	mine = climit_slot();
	if (var_smtpd_client_connection_count_limit > 0 &&
	    climit_count(h, mine) >= var_smtpd_client_connection_count_limit)
		rc = -1;
	if (rc == 0 && var_smtpd_client_connection_rate_limit > 0) {
		b = climit_bucket(h, time(NULL));
		if (++b->conns > var_smtpd_client_connection_rate_limit)
			rc = -2;
	}
	if (rc == 0 && mine != NULL)
		mine->hash = h;
	climit_unlock();
	return rc;
}

/* The session ended: it no longer counts. */
void
smtpd_climit_disconnect(void)
{
	if (climit_tab == NULL || climit_mine == NULL)
		return;
	climit_lock();
	if (climit_mine->pid == getpid())
		climit_mine->hash = 0;
	climit_unlock();
}

/* One more message from addr: 0 ok, -1 message rate exceeded. */
int
smtpd_climit_message(const char *addr)
{
	struct climit_bucket *b;
	int rc = 0;

	if (var_smtpd_client_message_rate_limit <= 0 || !climit_applies(addr))
		return 0;
	climit_lock();
	b = climit_bucket(climit_hash(addr), time(NULL));
	if (++b->msgs > var_smtpd_client_message_rate_limit)
		rc = -1;
	climit_unlock();
	return rc;
}
