/*
 * climit.c - the per-client limit table shared by every process of a
 * daemon (climit.h): connection slots with a holder pid, rate buckets,
 * one spin lock.
 *
 * Public: see climit.h.  Returns: climit_connect and climit_message a
 * verdict (CLIMIT_OK, CLIMIT_COUNT, CLIMIT_RATE); climit_new NULL with
 * *errstr_r on mmap failure; climit_exempt_new is fatal on a malformed
 * list (a configuration error found at start).
 * Layout: one mapping, the header (lock, receiver, sizes), nslots slots,
 * nbuckets rate buckets.  A slot is free when its pid is 0.  Every scan
 * runs under the lock and is bounded by nslots; kill(pid, 0) is called
 * only for slots of the client being counted, and for every slot only
 * when no free one is left (reclaiming the slots of dead holders).
 * Security: the lock's holder is stored as its pid so that a lock left
 * by a process killed inside it is taken over after a while; a process
 * that stops inside the lock for good (SIGSTOP) stalls the daemon's
 * accepts, which only the daemon's own processes can do.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "climit.h"
#include "log.h"
#include "netmatch.h"
#include "strutil.h"

#define CLIMIT_PROBE 8		/* rate buckets tried per client */
#define CLIMIT_SPINS 1024	/* lock attempts before checking the holder */

struct climit_slot {
	pid_t pid;		/* holder; 0: free */
	uint64_t hash;		/* the client's address */
	uint64_t conn;		/* climit_conn_id, 0: not known */
};

struct climit_bucket {
	uint64_t hash;		/* 0: unused */
	time_t start;		/* of the window */
	long conns;
	long msgs;
};

struct climit {
	pid_t lock;		/* holder's pid; 0: free */
	pid_t receiver;		/* takes handed-over slots; 0: none */
	size_t nslots;
	size_t nbuckets;
	size_t map_size;
	struct climit_slot slot[];	/* then nbuckets buckets */
};

/* The rate buckets, after the slots. */
static struct climit_bucket *
climit_buckets(struct climit *t)
{
	return (struct climit_bucket *)(void *)&t->slot[t->nslots];
}

/* Make the table (parent, before forking); NULL with *errstr_r. */
struct climit *
climit_new(size_t slots, const char **errstr_r)
{
	struct climit *t;
	size_t size;
	void *p;

	if (slots < CLIMIT_SLOTS_MIN)
		slots = CLIMIT_SLOTS_MIN;
	if (slots > CLIMIT_SLOTS_MAX)
		slots = CLIMIT_SLOTS_MAX;
	size = sizeof(*t) + slots * sizeof(struct climit_slot) +
	    slots * sizeof(struct climit_bucket);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED) {
		*errstr_r = strerror(errno);
		return NULL;
	}
	t = p;		/* the mapping comes zeroed: every slot free */
	t->nslots = slots;
	t->nbuckets = slots;
	t->map_size = size;
	return t;
}

/* Unmap the table from this process (the others keep it). */
void
climit_free(struct climit **tp)
{
	if (*tp == NULL)
		return;
	(void)munmap(*tp, (*tp)->map_size);
	*tp = NULL;
}

/* The exceptions list of parameter name; fatal when malformed. */
struct netmatch *
climit_exempt_new(const char *name, const char *list)
{
	const char *err = NULL;
	struct netmatch *nm = netmatch_new(list != NULL ? list : "", &err);

	if (nm == NULL)
		log_fatal("%s: %s", name, err != NULL ? err : "bad value");
	return nm;
}

/* 1 when pid is a live process (EPERM: alive, another user's). */
static int
climit_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

/* Take the table's lock, taking it over from a dead holder. */
static void
climit_lock(struct climit *t)
{
	pid_t me = getpid(), want;
	unsigned spins = 0;

	for (;;) {
		want = 0;
		if (__atomic_compare_exchange_n(&t->lock, &want, me, 0,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		if (++spins % CLIMIT_SPINS == 0 && !climit_alive(want) &&
		    __atomic_compare_exchange_n(&t->lock, &want, me, 0,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		sched_yield();
	}
}

/* Release the table's lock. */
static void
climit_unlock(struct climit *t)
{
	__atomic_store_n(&t->lock, 0, __ATOMIC_RELEASE);
}

/* The client's hash; never 0. */
static uint64_t
climit_hash(const char *addr)
{
	uint64_t h = str_fnv1a64(addr, strlen(addr), STR_FNV1A64_INIT);

	return h != 0 ? h : 1;
}

/* Live slots of h (locked); dead ones are freed on the way, and the
 * first free slot is left in *free_r (-1: none). */
static long
climit_scan(struct climit *t, uint64_t h, long *free_r)
{
	long n = 0;

	*free_r = -1;
	for (size_t i = 0; i < t->nslots; i++) {
		struct climit_slot *sl = &t->slot[i];

		if (sl->pid != 0 && sl->hash == h) {
			if (climit_alive(sl->pid)) {
				n++;
				continue;
			}
			sl->pid = 0;
		}
		if (sl->pid == 0 && *free_r < 0)
			*free_r = (long)i;
	}
	return n;
}

/* A slot whose holder is dead (locked); -1 when every holder lives. */
static long
climit_reclaim(struct climit *t)
{
	for (size_t i = 0; i < t->nslots; i++)
		if (!climit_alive(t->slot[i].pid)) {
			t->slot[i].pid = 0;
			return (long)i;
		}
	return -1;
}

/* Start a bucket's window over for h. */
static struct climit_bucket *
climit_bucket_reset(struct climit_bucket *b, uint64_t h, time_t now)
{
	b->hash = h;
	b->start = now;
	b->conns = b->msgs = 0;
	return b;
}

/* The client's rate bucket for the current window (locked). */
static struct climit_bucket *
climit_bucket(struct climit *t, uint64_t h, time_t now)
{
	struct climit_bucket *base = climit_buckets(t), *b, *oldest = NULL;

	for (size_t i = 0; i < CLIMIT_PROBE; i++) {
		b = &base[(h + i) % t->nbuckets];
		if (b->hash == h) {
			if (now - b->start >= CLIMIT_WINDOW || now < b->start)
				climit_bucket_reset(b, h, now);
			return b;
		}
		if (b->hash == 0 || now - b->start >= CLIMIT_WINDOW)
			return climit_bucket_reset(b, h, now);
		if (oldest == NULL || b->start < oldest->start)
			oldest = b;
	}
	return climit_bucket_reset(oldest, h, now);
}

/* 1 when the limits apply to addr. */
static int
climit_applies(const struct climit *t, const struct climit_policy *p,
    const char *addr)
{
	return t != NULL && addr[0] != '\0' &&
	    (p->exempt == NULL || !netmatch_match(p->exempt, addr));
}

/* Count a new connection of addr, held by this process. */
int
climit_connect(struct climit *t, const struct climit_policy *p,
    const char *addr, uint64_t conn, time_t now, long *slot_r)
{
	uint64_t h;
	long free_slot;
	int rc = CLIMIT_OK;

	*slot_r = -1;
	if (!climit_applies(t, p, addr))
		return CLIMIT_OK;
	h = climit_hash(addr);
	climit_lock(t);
	if (climit_scan(t, h, &free_slot) >= p->count_limit &&
	    p->count_limit > 0)
		rc = CLIMIT_COUNT;
	else if (p->rate_limit > 0 &&
	    ++climit_bucket(t, h, now)->conns > p->rate_limit)
		rc = CLIMIT_RATE;
	if (rc == CLIMIT_OK && free_slot < 0)
		free_slot = climit_reclaim(t);
	if (rc == CLIMIT_OK && free_slot >= 0) {
		t->slot[free_slot].pid = getpid();
		t->slot[free_slot].hash = h;
		t->slot[free_slot].conn = conn;
		*slot_r = free_slot;
	}
	climit_unlock(t);
	return rc;
}

/* The connection of slot has ended: free it if holder still holds it. */
void
climit_release(struct climit *t, long slot, pid_t holder)
{
	if (t == NULL || slot < 0 || (size_t)slot >= t->nslots)
		return;
	climit_lock(t);
	if (t->slot[slot].pid == holder && holder != 0)
		t->slot[slot].pid = 0;
	climit_unlock(t);
}

/* Free the slots of an earlier process that had pid (pid reused). */
void
climit_forget_pid(struct climit *t, pid_t pid)
{
	if (t == NULL || pid <= 0)
		return;
	climit_lock(t);
	for (size_t i = 0; i < t->nslots; i++)
		if (t->slot[i].pid == pid)
			t->slot[i].pid = 0;
	climit_unlock(t);
}

/* pid receives the connections handed over from now on. */
void
climit_set_receiver(struct climit *t, pid_t pid)
{
	if (t != NULL)
		__atomic_store_n(&t->receiver, pid, __ATOMIC_RELEASE);
}

/* Our connection conn in slot goes to the receiver; 0, or -1 when the
 * slot is no longer ours (claimed already) or there is no receiver. */
int
climit_hand_over(struct climit *t, long slot, uint64_t conn)
{
	int rc = -1;

	if (t == NULL || slot < 0 || (size_t)slot >= t->nslots)
		return -1;
	climit_lock(t);
	if (t->slot[slot].pid == getpid() && t->slot[slot].conn == conn &&
	    t->receiver != 0) {
		t->slot[slot].pid = t->receiver;
		rc = 0;
	}
	climit_unlock(t);
	return rc;
}

/* The slot of connection conn now belongs to pid; the slot, or -1. */
long
climit_claim(struct climit *t, uint64_t conn, pid_t pid)
{
	long found = -1;

	if (t == NULL || conn == 0)
		return -1;
	climit_lock(t);
	for (size_t i = 0; i < t->nslots && found < 0; i++)
		if (t->slot[i].pid != 0 && t->slot[i].conn == conn) {
			t->slot[i].pid = pid;
			found = (long)i;
		}
	climit_unlock(t);
	return found;
}

/* One more message from addr: CLIMIT_OK or CLIMIT_RATE. */
int
climit_message(struct climit *t, const struct climit_policy *p,
    const char *addr, time_t now)
{
	int rc = CLIMIT_OK;

	if (p->message_rate_limit <= 0 || !climit_applies(t, p, addr))
		return CLIMIT_OK;
	climit_lock(t);
	if (++climit_bucket(t, climit_hash(addr), now)->msgs >
	    p->message_rate_limit)
		rc = CLIMIT_RATE;
	climit_unlock(t);
	return rc;
}

/* Live connections of addr now (exempt ones are never counted). */
long
climit_count(struct climit *t, const char *addr)
{
	long n, unused;

	if (t == NULL)
		return 0;
	climit_lock(t);
	n = climit_scan(t, climit_hash(addr), &unused);
	climit_unlock(t);
	return n;
}

/* A TCP socket's identity (both ends' addresses), the same in every
 * process holding it; 0 for anything else. */
uint64_t
climit_conn_id(int fd)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);
	uint64_t h = STR_FNV1A64_INIT;

	memset(&a, 0, sizeof(a));
	if (getpeername(fd, (struct sockaddr *)&a, &len) != 0 ||
	    (a.ss_family != AF_INET && a.ss_family != AF_INET6) ||
	    len > sizeof(a))
		return 0;
	h = str_fnv1a64(&a, len, h);
	len = sizeof(a);
	memset(&a, 0, sizeof(a));
	if (getsockname(fd, (struct sockaddr *)&a, &len) != 0 ||
	    len > sizeof(a))
		return 0;
	h = str_fnv1a64(&a, len, h);
	return h != 0 ? h : 1;
}
