/*
 * auth_cookie.c - petrel-auth's table of one-time login cookies: made in
 * shared memory by the parent before it forks, so that a cookie issued by
 * one worker can be redeemed through any other.
 *
 * Public: auth_cookie_init, auth_cookie_now, auth_cookie_issue (0/-1),
 * auth_cookie_redeem (1 found, 0 not) - see auth.h.
 * The table has a fixed number of slots (bounded memory); a cookie lives
 * AUTH_COOKIE_TTL seconds and redeems once; when every slot holds a live
 * cookie the oldest one is evicted.  Slots are found by a linear scan
 * under a process-shared robust mutex: a worker killed while holding it
 * does not wedge the others (the next one makes it consistent; at worst
 * the one slot being written is left half-filled, which can only fail to
 * redeem).
 * Security: cookies are 128 bits from getrandom(); only their raw bytes
 * are stored, compared in constant time, and wiped when redeemed or
 * evicted.  Redeeming is for root only (auth_session.c checks that).
 */
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include "auth.h"
#include "auth_proto.h"
#include "shm.h"

#define COOKIE_BYTES (AUTH_PROTO_COOKIE_LEN / 2)

struct cookie_slot {
	unsigned char key[COOKIE_BYTES];
	time_t expires;		/* 0: free */
	unsigned long seq;	/* issue order, for eviction */
	char user[AUTH_PROTO_USER_MAX + 1];
};

struct cookie_table {
	pthread_mutex_t lock;
	unsigned long seq;
	size_t count;
	struct cookie_slot slots[];
};

static struct cookie_table *table;

/* Map and initialise the shared table (parent, before fork). */
void
auth_cookie_init(size_t slots)
{
	table = shm_map(sizeof(*table) + slots * sizeof(table->slots[0]),
	    "cookie table");
	table->count = slots;
	shm_mutex_init(&table->lock, "cookie table");
}

/* Monotonic seconds, the clock every worker shares. */
time_t
auth_cookie_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Take the table's lock, repairing it after a dead holder. */
static void
cookie_lock(void)
{
	shm_mutex_lock(&table->lock, "cookie table");
}

/* A slot for a new cookie: a free or expired one, else the oldest. */
static struct cookie_slot *
cookie_free_slot(time_t now)
{
	struct cookie_slot *oldest = &table->slots[0];

	for (size_t i = 0; i < table->count; i++) {
		struct cookie_slot *s = &table->slots[i];

		if (s->expires <= now)
			return s;
		if (s->seq < oldest->seq)
			oldest = s;
	}
	return oldest;
}

/* Issue a cookie for user (see auth.h). */
int
auth_cookie_issue(const char *user, time_t now, char *hex_r)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char key[COOKIE_BYTES];
	struct cookie_slot *s;
	size_t ulen = strlen(user);

	if (table == NULL || ulen == 0 || ulen > AUTH_PROTO_USER_MAX ||
	    getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return -1;
	cookie_lock();
	s = cookie_free_slot(now);
	explicit_bzero(s, sizeof(*s));
	memcpy(s->key, key, sizeof(key));
	memcpy(s->user, user, ulen);
	s->seq = ++table->seq;
	s->expires = now + AUTH_COOKIE_TTL;
	pthread_mutex_unlock(&table->lock);
	for (size_t i = 0; i < sizeof(key); i++) {
		hex_r[2 * i] = hex[key[i] >> 4];
		hex_r[2 * i + 1] = hex[key[i] & 15];
	}
	hex_r[AUTH_PROTO_COOKIE_LEN] = '\0';
	explicit_bzero(key, sizeof(key));
	return 0;
}

/* The raw bytes of a hex cookie; 0 or -1. */
static int
cookie_decode(const char *hex, unsigned char *key)
{
	int v;

	if (strlen(hex) != AUTH_PROTO_COOKIE_LEN)
		return -1;
	for (size_t i = 0; i < AUTH_PROTO_COOKIE_LEN; i++) {
		char c = hex[i];

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return -1;
		if (i % 2 == 0)
			key[i / 2] = (unsigned char)(v << 4);
		else
			key[i / 2] |= (unsigned char)v;
	}
	return 0;
}

/* 1 when the slot holds key (constant time in the key's bytes). */
static int
cookie_match(const struct cookie_slot *s, const unsigned char *key)
{
	unsigned char diff = 0;

	for (size_t i = 0; i < COOKIE_BYTES; i++)
		diff |= (unsigned char)(s->key[i] ^ key[i]);
	return diff == 0 && s->expires != 0;
}

/* Redeem a cookie once (see auth.h). */
int
auth_cookie_redeem(const char *hex, time_t now, char *user_r, size_t size)
{
	unsigned char key[COOKIE_BYTES];
	int found = 0;

	if (table == NULL || size == 0 || cookie_decode(hex, key) != 0)
		return 0;
	cookie_lock();
	for (size_t i = 0; i < table->count && !found; i++) {
		struct cookie_slot *s = &table->slots[i];

		if (!cookie_match(s, key))
			continue;
		found = s->expires > now && strlen(s->user) < size;
		if (found)
			memcpy(user_r, s->user, strlen(s->user) + 1);
		explicit_bzero(s, sizeof(*s));	/* used or expired: gone */
		break;
	}
	pthread_mutex_unlock(&table->lock);
	explicit_bzero(key, sizeof(key));
	return found;
}
