/*
 * cmd.c - the session's POP3 command dispatch (after login; the commands
 * before it are login_pop3.c's) through one table {verb, handler,
 * states}, and the small commands that need no mailbox: CAPA, NOOP, QUIT.
 *
 * Public: pop3d_cmd_dispatch (see pop3d.h).
 * CAPA lists what works after login (no USER, SASL or STLS).  A session
 * whose mailbox was in use stays in AUTHORIZATION: CAPA and QUIT work,
 * USER, PASS and AUTH get "-ERR [IN-USE] ..." (the login is over; the
 * client reconnects to try again).
 * An unparsable line or an unknown verb gets "-ERR Unknown command."; a
 * verb used in the wrong state "-ERR Not logged in." or "-ERR Already
 * logged in."; all of these count against the error budget.
 * QUIT in TRANSACTION enters the UPDATE state and removes the messages
 * marked with DELE (RFC 1939 6); when some cannot be removed the reply is
 * "-ERR [SYS/TEMP] ..." (RFC 2449 8.1.2).
 * Security: the line is untrusted; it reaches handlers only as a counted
 * string after pop3_parse_line refused NUL and control bytes.
 */
#include <string.h>

#include "log.h"
#include "params.h"
#include "pop3_parse.h"
#include "pop3d.h"

typedef void (*pop3d_handler)(struct pop3d_session *s, const char *p,
    size_t len);

struct pop3d_cmd {
	const char *verb;
	pop3d_handler handler;
	int states;
};

static void cmd_capa(struct pop3d_session *s, const char *p, size_t len);
static void cmd_noop(struct pop3d_session *s, const char *p, size_t len);
static void cmd_quit(struct pop3d_session *s, const char *p, size_t len);
static void cmd_in_use(struct pop3d_session *s, const char *p, size_t len);

#define AUTH	POP3D_AUTHORIZATION
#define TRANS	POP3D_TRANSACTION

static const struct pop3d_cmd pop3d_cmds[] = {
	{ "USER", cmd_in_use, AUTH },
	{ "PASS", cmd_in_use, AUTH },
	{ "AUTH", cmd_in_use, AUTH },
	{ "QUIT", cmd_quit, AUTH | TRANS },
	{ "CAPA", cmd_capa, AUTH | TRANS },
	{ "NOOP", cmd_noop, TRANS },
	{ "STAT", pop3d_cmd_stat, TRANS },
	{ "LIST", pop3d_cmd_list, TRANS },
	{ "UIDL", pop3d_cmd_uidl, TRANS },
	{ "RETR", pop3d_cmd_retr, TRANS },
	{ "TOP", pop3d_cmd_top, TRANS },
	{ "DELE", pop3d_cmd_dele, TRANS },
	{ "RSET", pop3d_cmd_rset, TRANS },
};

/* Parse one command line and run its handler. */
void
pop3d_cmd_dispatch(struct pop3d_session *s, const char *line, size_t len)
{
	struct pop3_cmdline cl;
	size_t i;

	if (pop3_parse_line(line, len, &cl) < 0) {
		pop3d_bad(s, "-ERR Unknown command.");
		return;
	}
	for (i = 0; i < sizeof(pop3d_cmds) / sizeof(pop3d_cmds[0]); i++)
		if (strcmp(cl.verb, pop3d_cmds[i].verb) == 0)
			break;
	if (i == sizeof(pop3d_cmds) / sizeof(pop3d_cmds[0])) {
		pop3d_bad(s, "-ERR Unknown command.");
		return;
	}
	if ((pop3d_cmds[i].states & (int)s->state) == 0) {
		pop3d_bad(s, s->state == POP3D_AUTHORIZATION ?
		    "-ERR Not logged in." : "-ERR Already logged in.");
		return;
	}
	pop3d_cmds[i].handler(s, cl.rest, cl.rest_len);
}

/* CAPA (RFC 2449): what this server offers right now. */
static void
cmd_capa(struct pop3d_session *s, const char *p, size_t len)
{
	(void)p;
	(void)len;
	pop3d_reply(s, "+OK Capability list follows.");
	pop3d_reply(s, "TOP");
	pop3d_reply(s, "UIDL");
	pop3d_reply(s, "RESP-CODES");
	pop3d_reply(s, "PIPELINING");
	pop3d_reply(s, "AUTH-RESP-CODE");
	pop3d_reply(s, "IMPLEMENTATION Petrel");
	pop3d_reply(s, ".");
}

/* A login after the mailbox was found in use: not in this session. */
static void
cmd_in_use(struct pop3d_session *s, const char *p, size_t len)
{
	(void)p;
	(void)len;
	pop3d_bad(s, "-ERR [IN-USE] Mailbox is locked by another POP3 "
	    "session.");
}

/* NOOP: keeps the session alive. */
static void
cmd_noop(struct pop3d_session *s, const char *p, size_t len)
{
	(void)p;
	(void)len;
	pop3d_reply(s, "+OK");
}

/* QUIT: log out; in TRANSACTION, remove the marked messages first. */
static void
cmd_quit(struct pop3d_session *s, const char *p, size_t len)
{
	int rc;

	(void)p;
	(void)len;
	s->closing = 1;
	if (s->state != POP3D_TRANSACTION) {
		pop3d_reply(s, "+OK Logging out.");
		return;
	}
	s->state = POP3D_UPDATE;
	rc = pop3d_mailbox_expunge(s->mbox, &s->del_count);
	/* Unlock before the client reads the reply: a client that reconnects
	 * at once must not find its own mailbox still IN-USE. */
	pop3d_mailbox_free(&s->mbox);
	if (rc < 0) {
		pop3d_reply(s, "-ERR [SYS/TEMP] Some deleted messages could "
		    "not be removed.");
		return;
	}
	pop3d_reply(s, "+OK Logging out.");
}
