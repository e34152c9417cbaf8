/*
 * smtp_session.c - the queue manager connection of one petrel-smtp worker
 * (the shared agent loop, common/agent.c, with smtp_deliver as handler) and
 * its session cache: after a delivery the SMTP session may stay open for
 * smtp_connection_cache_time_limit seconds, and the next request for the
 * same next hop reuses it (the queue manager sends such requests to the
 * worker that served the hop last).  One cached session per worker.
 *
 * Public: smtp_agent_session, smtp_session_cache_put,
 * smtp_session_cache_take, smtp_session_close.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "conn.h"
#include "params.h"
#include "server.h"
#include "smtp.h"

static struct smtp_session *cached;

/* Close a session, after QUIT when quit is set. */
void
smtp_session_close(struct smtp_session **sp, int quit)
{
	struct smtp_session *s = *sp;

	if (s == NULL)
		return;
	if (quit && !s->dead)
		smtp_proto_quit(s);
	if (s->c != NULL) {
		conn_close(s->c);
		conn_free(&s->c);
	}
	free(s);
	*sp = NULL;
}

/* Keep a session for reuse (or close it when caching is off). */
void
smtp_session_cache_put(struct smtp_session *s)
{
	smtp_session_close(&cached, 1);
	if (var_smtp_connection_cache_time_limit <= 0 || server_stopping() ||
	    s->dead || s->c == NULL || s->c->broken) {
		smtp_session_close(&s, 1);
		return;
	}
	s->expires = time(NULL) + var_smtp_connection_cache_time_limit;
	cached = s;
}

/* The cached session for nexthop, if it is still within its time. */
struct smtp_session *
smtp_session_cache_take(const char *nexthop)
{
	struct smtp_session *s = cached;

	if (s == NULL)
		return NULL;
	if (time(NULL) >= s->expires || strcmp(s->nexthop, nexthop) != 0) {
		smtp_session_close(&cached, 1);
		return NULL;
	}
	cached = NULL;
	return s;
}

/* Idle tick: close a cached session past its time. */
static void
cache_idle(void)
{
	if (cached != NULL && time(NULL) >= cached->expires)
		smtp_session_close(&cached, 1);
}

/* Serve the queue manager until it closes or misbehaves. */
void
smtp_agent_session(int fd_in, int fd_out, const struct server_peer *peer)
{
	struct agent_spec spec = {
		.timeout = 3600,
		.handle = smtp_deliver,
		.idle = cache_idle,
		.idle_ms = 500,
	};

	(void)peer;
	agent_serve(fd_in, fd_out, &spec);
	smtp_session_close(&cached, 1);
}
