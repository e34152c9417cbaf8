/*
 * session.c - one POP3 session after login, in its own process as the
 * mailbox owner: opening and locking the maildir, the answer to the
 * login, the command loop, bounds, autologout and the closing log line.
 *
 * Public: pop3d_session_main (never returns), pop3d_reply, pop3d_bad
 * (see pop3d.h).
 * The login: "+OK Logged in." once the maildir is open and locked, and
 * the session is in TRANSACTION; "-ERR [IN-USE] ..." when another POP3
 * session holds it - then the session answers only CAPA and QUIT, and
 * refuses another USER/PASS/AUTH with [IN-USE] (the client reconnects to
 * try again; before the login split it could retry in the same
 * connection; RFC 2449 8.1.1 allows either); "-ERR [SYS/TEMP] ..." when
 * it cannot be opened, then the connection closes.
 * Bounds: a command line holds POP3_LINE_MAX octets plus CRLF (RFC 2449);
 * a longer one gets "-ERR Line too long." and is discarded through its LF.
 * Every error reply counts against POP3D_ERROR_LIMIT; when it is spent the
 * session closes.  Each read waits at most pop3d_timeout (RFC 1939 wants
 * at least 10 minutes) and then we close with "-ERR Disconnected for
 * inactivity."; the whole session is bounded by POP3D_SESSION_LIMIT.
 * Replies are buffered by conn and flushed before we wait for input, so
 * pipelined commands get their replies in one write; commands pipelined
 * after PASS come with the handoff record.
 * A session that ends without QUIT deletes nothing: the marks live only in
 * memory, and dropping the mailbox releases its lock.
 * Security: runs as the mailbox owner (common/login_spawn.c); in -S mode
 * as whoever started it, after becoming the owner when that is root.  The
 * user name comes from the spawner (a redeemed cookie), never from the
 * client.  Client text that reaches the log is sanitised.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "handoff.h"
#include "log.h"
#include "login.h"
#include "params.h"
#include "pop3_parse.h"
#include "linger.h"
#include "pop3d.h"

/* Long enough for a big mailbox over a slow link, short enough to end a
 * client that keeps a session open for ever with NOOPs. */
#define POP3D_SESSION_LIMIT	(4 * 3600)

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

/* Set up the session state for a logged-in client. */
static void
pop3d_session_start(struct pop3d_session *s, int fd_in, int fd_out,
    const struct handoff *h, const char *user)
{
	memset(s, 0, sizeof(*s));
	s->conn = conn_new(fd_in, fd_out, POP3_LINE_MAX + 2,
	    (int)var_pop3d_timeout);
	conn_set_deadline(s->conn, time(NULL) + POP3D_SESSION_LIMIT);
	snprintf(s->rip, sizeof(s->rip), "%s",
	    h->rip[0] != '\0' ? h->rip : "stdin");
	snprintf(s->lip, sizeof(s->lip), "%s", h->lip[0] != '\0' ? h->lip :
	    s->rip);
	s->login = xstrdup(user);
	s->state = POP3D_AUTHORIZATION;
	s->started = time(NULL);
	if (h->pipelined_len > 0)
		(void)conn_preload(s->conn, h->pipelined, h->pipelined_len);
}

/* Open and lock the mailbox: TRANSACTION, or the reason why not. */
static void
pop3d_session_open(struct pop3d_session *s, const char *maildir)
{
	const char *err = NULL;

	switch (pop3d_mailbox_open(maildir, &s->mbox, &err)) {
	case POP3D_OPEN_OK:
		s->state = POP3D_TRANSACTION;
		s->msg_count = s->mbox->count;
		s->msg_size = s->mbox->total_size;
		log_info("login: user=<%s>, rip=%s, messages=%zu",
		    s->login, s->rip, s->mbox->count);
		pop3d_reply(s, "+OK Logged in.");
		break;
	case POP3D_OPEN_LOCKED:
		log_info("mailbox in use: user=<%s>, rip=%s", s->login, s->rip);
		pop3d_reply(s, "-ERR [IN-USE] Mailbox is locked by another "
		    "POP3 session.");
		break;
	case POP3D_OPEN_ERROR:
		log_warn("user=<%s>: %s: %s", s->login, maildir,
		    err ? err : "error");
		pop3d_reply(s, "-ERR [SYS/TEMP] Cannot open the mailbox.");
		s->closing = 1;
		break;
	}
}

/* Log the end of the session and free everything it owns. */
static void
pop3d_session_end(struct pop3d_session *s)
{
	if (s->state != POP3D_AUTHORIZATION)
		log_info("disconnect: user=<%s>, rip=%s, top=%ld/%lld, "
		    "retr=%ld/%lld, del=%zu/%zu, size=%lld", s->login, s->rip,
		    s->top_count, s->top_bytes, s->retr_count, s->retr_bytes,
		    s->del_count, s->msg_count, s->msg_size);
	else
		log_info("disconnect: user=<%s>, rip=%s, mailbox not opened",
		    s->login, s->rip);
	pop3d_mailbox_free(&s->mbox);
	free(s->login);
	conn_close_linger(s->conn, LINGER_DEFAULT_MS);	/* last reply arrives */
	conn_free(&s->conn);
}

/* -S: the maildir and its owner, found here; NULL after the answer. */
static char *
pop3d_session_local(int fd_out, const char *user)
{
	const char *err = NULL;
	char *maildir = NULL;
	int rc = login_local_owner(user, &maildir, &err);

	if (rc > 0)
		return maildir;
	if (rc < 0)
		log_warn("mailbox lookup for %s: %s", user, err ? err : "error");
	dprintf(fd_out, "%s\r\n", rc < 0 ? "-ERR [SYS/TEMP] Temporary "
	    "failure opening the mailbox." : "-ERR [SYS/PERM] There is no "
	    "mailbox for this user.");
	return NULL;
}

/* Serve a logged-in client until QUIT, EOF, timeout or a spent budget. */
void
pop3d_session_main(int fd_in, int fd_out, const struct handoff *h,
    const char *user, const char *maildir)
{
	struct pop3d_session s;
	enum line_ending end;
	const char *line;
	char *local = NULL;
	size_t len;

	if (maildir == NULL && (maildir = local =
	    pop3d_session_local(fd_out, user)) == NULL)
		exit(0);
	pop3d_session_start(&s, fd_in, fd_out, h, user);
	pop3d_session_open(&s, maildir);
	free(local);
	while (!s.closing && !s.conn->broken) {
		switch (conn_read_line(s.conn, &line, &len, &end)) {
		case CONN_LINE:
			pop3d_cmd_dispatch(&s, line, len);
			break;
		case CONN_TOO_LONG:
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
	if (conn_flush(s.conn) < 0)
		log_info("user=<%s>: client went away", s.login);
	pop3d_session_end(&s);
	exit(0);
}
