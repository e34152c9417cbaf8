/*
 * climit.c - petrel-smtpd's use of the shared per-client limit table
 * (common/climit.h): concurrent connections
 * (smtpd_client_connection_count_limit), new connections per minute
 * (smtpd_client_connection_rate_limit) and messages per minute
 * (smtpd_client_message_rate_limit); clients in
 * smtpd_client_event_limit_exceptions (default $mynetworks) are exempt.
 *
 * Public: smtpd_climit_init (parent, before forking: makes the table),
 * smtpd_climit_open (worker: the exceptions list), smtpd_climit_connect
 * (0 ok, -1 too many connections, -2 connection rate exceeded),
 * smtpd_climit_disconnect, smtpd_climit_message (0 ok, -1 rate exceeded).
 * A worker serves one session at a time and holds that session's slot;
 * a worker that dies holds a dead pid's slot, which is not counted.
 * Without the table (-S mode, or mmap failure) no limits apply.
 * Security: the table is shared with every other worker (climit.h).
 */
#include <time.h>
#include <unistd.h>

#include "climit.h"
#include "log.h"
#include "netmatch.h"
#include "params.h"
#include "smtpd.h"

#define SMTPD_CLIMIT_SLOTS 4096		/* at least; one per worker */

static struct climit *smtpd_climit;
static struct netmatch *smtpd_climit_exempt;
static long smtpd_climit_slot = -1;

/* Make the shared table (parent, before the workers exist). */
void
smtpd_climit_init(void)
{
	const char *err = NULL;
	size_t n = SMTPD_CLIMIT_SLOTS;

	if (var_smtpd_process_limit > (long)n)
		n = (size_t)var_smtpd_process_limit;
	smtpd_climit = climit_new(n, &err);
	if (smtpd_climit == NULL)
		log_warn("mmap: %s (per-client limits disabled)",
		    err != NULL ? err : "error");
}

/* Parse the exceptions list (worker, once). */
void
smtpd_climit_open(void)
{
	if (smtpd_climit_exempt != NULL)
		return;
	smtpd_climit_exempt = climit_exempt_new(
	    "smtpd_client_event_limit_exceptions",
	    var_smtpd_client_event_limit_exceptions);
	climit_forget_pid(smtpd_climit, getpid());	/* a reused pid's */
}

/* smtpd's limits as they are configured now. */
static void
smtpd_climit_policy(struct climit_policy *p)
{
	p->count_limit = var_smtpd_client_connection_count_limit;
	p->rate_limit = var_smtpd_client_connection_rate_limit;
	p->message_rate_limit = var_smtpd_client_message_rate_limit;
	p->exempt = smtpd_climit_exempt;
}

/* A new session from addr: 0 ok, -1 too many connections, -2 rate. */
int
smtpd_climit_connect(const char *addr)
{
	struct climit_policy p;

	smtpd_climit_policy(&p);
	smtpd_climit_disconnect();	/* a slot left by the last session */
	switch (climit_connect(smtpd_climit, &p, addr, 0, time(NULL),
	    &smtpd_climit_slot)) {
	case CLIMIT_OK:
		return 0;
	case CLIMIT_COUNT:
		return -1;
	default:
		return -2;
	}
}

/* The session ended: it no longer counts. */
void
smtpd_climit_disconnect(void)
{
	climit_release(smtpd_climit, smtpd_climit_slot, getpid());
	smtpd_climit_slot = -1;
}

/* One more message from addr: 0 ok, -1 message rate exceeded. */
int
smtpd_climit_message(const char *addr)
{
	struct climit_policy p;

	smtpd_climit_policy(&p);
	return climit_message(smtpd_climit, &p, addr, time(NULL)) ==
	    CLIMIT_OK ? 0 : -1;
}
