/*
 * climit.h - per-client connection count, connection rate and message
 * rate limits, counted in one table shared by every process of a daemon
 * (smtpd's workers; pop3d's and imapd's login processes, spawner and
 * sessions).
 *
 * The daemon's parent makes the table (climit_new, one MAP_SHARED
 * anonymous mapping) before it forks, so every child, and every child
 * that replaces one, counts in the same table.  A connection is a slot
 * {holder pid, client hash, connection id}; a client's concurrency is the
 * number of slots with its hash whose holder is alive.  A slot is freed
 * by its holder (climit_release) or, when the holder died without doing
 * so, found dead (kill(pid, 0) says ESRCH) and not counted: a crash never
 * leaks a count.  A slot may change holders: a process records the pid
 * that receives connections handed to it (climit_set_receiver), a holder
 * hands its slot over (climit_hand_over) and the receiver claims the slot
 * of a socket it was given (climit_claim, by climit_conn_id of the
 * socket) for the process that serves it from then on.
 * Rates count in one-minute fixed windows per client hash; when every
 * bucket a client could use is busy the oldest is reused, so a flood of
 * distinct clients can only make the limits more lenient.
 *
 * Public:
 *   climit_new(slots, &errstr)    NULL on failure (then no limits apply).
 *   climit_free(&t)               unmap (this process only).
 *   climit_exempt_new(name, list) the exceptions (netmatch); fatal when
 *                                 the list named name is malformed.
 *   climit_connect(t, policy, addr, conn, now, &slot)  CLIMIT_OK (the
 *                                 slot, or -1 when exempt or the table is
 *                                 full), CLIMIT_COUNT, CLIMIT_RATE.
 *   climit_release(t, slot, holder)   free a slot held by holder.
 *   climit_forget_pid(t, pid)     free every slot held by pid: a new
 *                                 process (or the parent of one) calls it
 *                                 for its pid, which a dead holder of
 *                                 slots may have had before it.
 *   climit_set_receiver(t, pid), climit_hand_over(t, slot, conn),
 *   climit_claim(t, conn, pid)    the handover (above); claim returns the
 *                                 slot or -1.
 *   climit_message(t, policy, addr, now)  CLIMIT_OK or CLIMIT_RATE.
 *   climit_count(t, addr)         live connections of addr.
 *   climit_conn_id(fd)            a TCP socket's identity; 0 otherwise.
 * Every function accepts t == NULL and then limits nothing.
 * Security: every process of the daemon, network-facing ones included,
 * may write the table; the worst it can do is make limits wrong for that
 * daemon.  A lock left by a killed holder is taken over.  Clients are
 * identified by an FNV-1a hash of the address text; a collision makes
 * two clients share a count (harmless, rare).
 */
#ifndef PETREL_CLIMIT_H
#define PETREL_CLIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "log.h"

#define CLIMIT_WINDOW		60		/* seconds of a rate window */
#define CLIMIT_SLOTS_MIN	64
#define CLIMIT_SLOTS_MAX	(1UL << 20)	/* 56 MB of table at most */

struct climit;
struct netmatch;

struct climit_policy {
	long count_limit;		/* concurrent connections; 0: none */
	long rate_limit;		/* connections per window; 0: none */
	long message_rate_limit;	/* messages per window; 0: none */
	const struct netmatch *exempt;	/* never limited; NULL: nobody */
};

enum climit_verdict {
	CLIMIT_OK = 0,
	CLIMIT_COUNT = -1,		/* too many connections now */
	CLIMIT_RATE = -2		/* too many in this window */
};

struct climit *climit_new(size_t slots, const char **errstr_r) WARN_UNUSED;
void climit_free(struct climit **tp);
struct netmatch *climit_exempt_new(const char *name, const char *list);
int climit_connect(struct climit *t, const struct climit_policy *p,
    const char *addr, uint64_t conn, time_t now, long *slot_r) WARN_UNUSED;
void climit_release(struct climit *t, long slot, pid_t holder);
void climit_forget_pid(struct climit *t, pid_t pid);
void climit_set_receiver(struct climit *t, pid_t pid);
int climit_hand_over(struct climit *t, long slot, uint64_t conn);
long climit_claim(struct climit *t, uint64_t conn, pid_t pid);
int climit_message(struct climit *t, const struct climit_policy *p,
    const char *addr, time_t now) WARN_UNUSED;
long climit_count(struct climit *t, const char *addr);
uint64_t climit_conn_id(int fd);

#endif
