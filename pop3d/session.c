/*
 * session.c - one POP3 session: greeting, the command loop, bounds,
 * autologout and the closing log line.
 *
 * Public: pop3d_session_run, pop3d_session_init, pop3d_session_resolver,
 * pop3d_reply, pop3d_bad (see pop3d.h).
 * Bounds: a command line holds POP3_LINE_MAX octets plus CRLF (RFC 2449);
 * a longer one gets "-ERR Line too long." and is discarded through its LF.
 * Every error reply counts against POP3D_ERROR_LIMIT; when it is spent the
 * session closes.  Each read waits at most pop3d_timeout (RFC 1939 wants
 * at least 10 minutes) and then we close with "-ERR Disconnected for
 * inactivity."; the whole session is bounded by POP3D_SESSION_LIMIT.
 * Replies are buffered by conn and flushed before we wait for input, so
 * pipelined commands get their replies in one write.
 * A session that ends without QUIT deletes nothing: the marks live only in
 * memory, and dropping the mailbox releases its lock.
 * A connection on pop3d_pop3s_listen does the TLS handshake before the
 * greeting.  While AUTH waits for the client's "+ " answer, the next line
 * goes to pop3d_auth_continue instead of the command table.
 * Security: client text that reaches the log is sanitised (log_sanitize).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "params.h"
#include "pop3_parse.h"
#include "pop3d.h"
#include "resolve.h"

/* Long enough for a big mailbox over a slow link, short enough to end a
 * client that keeps a session open for ever with NOOPs. */
#define POP3D_SESSION_LIMIT	(4 * 3600)

static struct resolver *pop3d_resolver;

/* After the privilege drop: open the lookup maps once per worker. */
void
pop3d_session_init(void)
{
	const char *err = NULL;

	if (pop3d_resolver == NULL &&
	    (pop3d_resolver = resolver_new(&err)) == NULL)
		log_warn("cannot open lookup maps: %s", err ? err : "error");
	pop3d_plaintext_init();
}

/* The resolver; opened on first use (-S mode has no post_drop). */
struct resolver *
pop3d_session_resolver(const char **errstr_r)
{
	if (pop3d_resolver == NULL)
		pop3d_resolver = resolver_new(errstr_r);
	return pop3d_resolver;
}

/* Queue one reply line with CRLF. */
void
pop3d_reply(struct pop3d_session *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	(void)conn_vputline(s->conn, line, sizeof(line), fmt, ap);
	va_end(ap);
}

/* An error reply charged to the error budget. */
void
pop3d_bad(struct pop3d_session *s, const char *text)
{
	if (++s->bad_commands >= POP3D_ERROR_LIMIT) {
		pop3d_reply(s, "-ERR Too many bad commands.");
		s->closing = 1;
		return;
	}
	pop3d_reply(s, "%s", text);
}

/* Forget what was said before STLS: a USER name, a pending AUTH. */
void
pop3d_session_forget(struct pop3d_session *s)
{
	free(s->user);
	s->user = NULL;
	s->auth_pending = 0;
}

/* Set up the session state for a new client. */
static void
pop3d_session_start(struct pop3d_session *s, int fd_in, int fd_out,
    const struct server_peer *peer)
{
	memset(s, 0, sizeof(*s));
	s->conn = conn_new(fd_in, fd_out, POP3_LINE_MAX + 2,
	    (int)var_pop3d_timeout);
	conn_set_deadline(s->conn, time(NULL) + POP3D_SESSION_LIMIT);
	snprintf(s->rip, sizeof(s->rip), "%s",
	    peer->addr[0] != '\0' ? peer->addr :
	    peer->is_unix ? "unix" : "stdin");
	snprintf(s->lip, sizeof(s->lip), "%s", peer->local_addr[0] != '\0' ?
	    peer->local_addr : s->rip);
	/* stdin and unix sockets never cross a network; loopback TCP does
	 * not count (pop3d_plaintext_auth_networks may allow it). */
	s->trusted_peer = peer->is_unix || peer->addr[0] == '\0';
	s->state = POP3D_AUTHORIZATION;
	s->started = time(NULL);
}

/* Log the end of the session and free everything it owns. */
static void
pop3d_session_end(struct pop3d_session *s)
{
	if (s->login != NULL)
		log_info("disconnect: user=<%s>, rip=%s, top=%ld/%lld, "
		    "retr=%ld/%lld, del=%zu/%zu, size=%lld", s->login, s->rip,
		    s->top_count, s->top_bytes, s->retr_count, s->retr_bytes,
		    s->del_count, s->msg_count, s->msg_size);
	else
		log_info("disconnect: rip=%s, no login, auth failures=%d",
		    s->rip, s->auth_failures);
	pop3d_auth_report(s);
	pop3d_mailbox_free(&s->mbox);
	free(s->user);
	free(s->login);
	conn_free(&s->conn);
}

/* Serve one client until QUIT, EOF, timeout or a spent budget. */
void
pop3d_session_run(int fd_in, int fd_out, const struct server_peer *peer)
{
	struct pop3d_session s;
	enum line_ending end;
	const char *line;
	size_t len;

	pop3d_session_start(&s, fd_in, fd_out, peer);
	if (peer->listener == POP3D_LISTENER_POP3S && pop3d_tls_wrap(&s) < 0) {
		pop3d_session_end(&s);
		return;
	}
	pop3d_reply(&s, "+OK Petrel POP3 ready.");
	while (!s.closing && !s.conn->broken) {
		switch (conn_read_line(s.conn, &line, &len, &end)) {
		case CONN_LINE:
			if (s.auth_pending)
				pop3d_auth_continue(&s, line, len);
			else
				pop3d_cmd_dispatch(&s, line, len);
			break;
		case CONN_TOO_LONG:
			s.auth_pending = 0;
			pop3d_bad(&s, "-ERR Line too long.");
			break;
		case CONN_EOF:
			if (s.conn->timed_out)
				pop3d_reply(&s, "-ERR Disconnected for "
				    "inactivity.");
			s.closing = 1;
			break;
		}
	}
	if (conn_flush(s.conn) < 0 && s.login != NULL)
		log_info("user=<%s>: client went away", s.login);
	pop3d_session_end(&s);
}
