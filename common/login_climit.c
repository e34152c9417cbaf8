/*
 * login_climit.c - per-client connection count and rate limits of
 * petrel-pop3d and petrel-imapd (login.h), on the table of
 * common/climit.h: <name>d_client_connection_count_limit concurrent
 * connections and <name>d_client_connection_rate_limit new ones a
 * minute from one address, except for <name>d_client_event_limit_
 * exceptions (default $mynetworks).
 *
 * Public (login.h): login_climit_setup (the daemon's parent, root,
 * pre_drop: the table, before the pool and the spawner are forked),
 * login_climit_admit (a login process at accept, before the greeting:
 * counts the client or marks it refused; the protocol's too_many reply
 * then goes out instead of the greeting, after the handshake on the
 * implicit-TLS port, and the connection closes), login_climit_leave
 * (login_close), login_climit_spawner, login_climit_session,
 * login_climit_refused, login_climit_ended (the spawner),
 * login_climit_child (a session process: drops the table).
 *
 * How the count follows a connection (one slot per connection, held by
 * a pid; climit.h):
 *   - the login process that accepts a client holds its slot; it frees
 *     it when the client leaves before a login, and keeps it for a TLS
 *     client it relays after the login (the connection is its own until
 *     it ends);
 *   - a plaintext client's socket goes to the spawner at login: the login
 *     process hands the slot to the spawner's pid (climit_hand_over,
 *     unless the spawner has claimed it already), and the spawner claims
 *     it by the socket's identity (climit_conn_id) for the session it
 *     forks, or frees it when it refuses the login;
 *   - the spawner frees a session's slot when the session exits, before
 *     it collects the pid (so once the session's pid is gone, so is its
 *     count); the session process itself never touches the table.
 * A holder that dies (login process, spawner, session) holds only dead
 * pids' slots, which are not counted (and a new process of the daemon
 * first frees any slot left under its pid by a dead one): a crash never leaks a count, at
 * worst a connection in flight between two holders is not counted for a
 * moment.  The table is sized at start for every login process full
 * plus every session (a reload does not resize it); a connection that
 * finds it full is served uncounted (logged).
 * Security: login processes run as the login user with network input;
 * they and the root spawner share the table (climit.h); sessions unmap
 * it.  Log lines name the client for fail2ban:
 *   <name>-login: Connection concurrency limit exceeded: client=ADDR, ...
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "climit.h"
#include "log.h"
#include "login.h"
#include "netmatch.h"

static struct climit *lc_table;
static struct netmatch *lc_exempt;	/* per login process */
static int lc_full_logged;

/* The daemon's parent, before forking: the table, and an early word on
 * a malformed exceptions list. */
void
login_climit_setup(const struct login_proto *p, long process_limit)
{
	const char *err = NULL;
	struct netmatch *nm;
	char name[64];
	/* Parameters are bounded (params.c): no overflow. */
	long n = process_limit * *p->client_limit + *p->session_limit;

	snprintf(name, sizeof(name), "%sd_client_event_limit_exceptions",
	    p->name);
	nm = climit_exempt_new(name, *p->limit_exceptions);
	netmatch_free(&nm);
	lc_table = climit_new(n > 0 ? (size_t)n : 0, &err);
	if (lc_table == NULL)
		log_warn("mmap: %s (per-client connection limits disabled)",
		    err != NULL ? err : "error");
}

/* Log a refusal in the form fail2ban reads. */
static void
lc_log(const struct login_client *c, int verdict)
{
	const char *name = login_proto->name;

	if (verdict == CLIMIT_COUNT)
		log_warn("%s-login: Connection concurrency limit exceeded: "
		    "client=%s, lip=%s, %sd_client_connection_count_limit=%ld",
		    name, c->peer.addr, c->peer.local_addr, name,
		    *login_proto->conn_count_limit);
	else
		log_warn("%s-login: Connection rate limit exceeded: client=%s, "
		    "lip=%s, %sd_client_connection_rate_limit=%ld/min", name,
		    c->peer.addr, c->peer.local_addr, name,
		    *login_proto->conn_rate_limit);
}

/* A new client (login process, at accept): counted, or refused. */
void
login_climit_admit(struct login_client *c)
{
	struct climit_policy p;
	char name[64];
	int rc;

	c->climit_slot = -1;
	if (lc_table == NULL || c->peer.is_unix || c->peer.addr[0] == '\0')
		return;
	if (lc_exempt == NULL) {
		snprintf(name, sizeof(name),
		    "%sd_client_event_limit_exceptions", login_proto->name);
		lc_exempt = climit_exempt_new(name,
		    *login_proto->limit_exceptions);
		climit_forget_pid(lc_table, getpid());	/* a reused pid's */
	}
	p.count_limit = *login_proto->conn_count_limit;
	p.rate_limit = *login_proto->conn_rate_limit;
	p.message_rate_limit = 0;
	p.exempt = lc_exempt;
	c->climit_conn = climit_conn_id(c->ev.fd);
	rc = climit_connect(lc_table, &p, c->peer.addr, c->climit_conn,
	    login_now(), &c->climit_slot);
	if (rc != CLIMIT_OK) {
		c->climit_refused = 1;
		lc_log(c, rc);
	} else if (c->climit_slot < 0 && !netmatch_match(lc_exempt,
	    c->peer.addr) && !lc_full_logged) {
		lc_full_logged = 1;
		log_warn("%s-login: the per-client table is full: clients "
		    "are served uncounted (once per process)",
		    login_proto->name);
	}
}

/* A client leaves the login process: its count goes, or goes with its
 * socket to the spawner. */
void
login_climit_leave(struct login_client *c)
{
	if (c->climit_slot < 0)
		return;
	if (c->logged_in && c->tls == NULL && !c->session_local)
		(void)climit_hand_over(lc_table, c->climit_slot,
		    c->climit_conn);
	else
		climit_release(lc_table, c->climit_slot, getpid());
	c->climit_slot = -1;
}

/* The spawner starts: it receives the handed-over slots. */
void
login_climit_spawner(void)
{
	climit_forget_pid(lc_table, getpid());
	climit_set_receiver(lc_table, getpid());
}

/* The spawner forked session pid for the client on fd: the slot, or -1
 * (a TLS client's relay, or not counted). */
long
login_climit_session(int fd, pid_t pid)
{
	climit_forget_pid(lc_table, pid);	/* a reused pid's */
	return climit_claim(lc_table, climit_conn_id(fd), pid);
}

/* The spawner refuses the login of the client on fd: it no longer
 * counts (called before fd is closed). */
void
login_climit_refused(int fd)
{
	long slot = climit_claim(lc_table, climit_conn_id(fd), getpid());

	climit_release(lc_table, slot, getpid());
}

/* The session pid holding slot has ended (the spawner, before it
 * collects the pid). */
void
login_climit_ended(long slot, pid_t pid)
{
	climit_release(lc_table, slot, pid);
}

/* A session process: the table is none of its business. */
void
login_climit_child(void)
{
	climit_free(&lc_table);
}
