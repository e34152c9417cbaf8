/*
 * login_pop3.c - pop3d's part of the shared pre-login stage
 * (common/login.h): the AUTHORIZATION state of RFC 1939 with the RFC
 * 2449 extensions: CAPA, STLS (RFC 2595 4), USER, PASS, AUTH PLAIN (RFC
 * 5034, RFC 4616, with an initial response), QUIT; and the replies the
 * stage and the spawner ask for, with the RFC 2449/3206 response codes.
 *
 * Public: pop3d_login_proto (pop3d.h), the callbacks of struct
 * login_proto for POP3.
 * Lines hold POP3_LINE_MAX octets plus CRLF; a longer one gets "-ERR Line
 * too long." and is discarded through its LF.  Every error reply counts
 * against POP3D_ERROR_LIMIT ("-ERR Too many bad commands.", then close);
 * at most POP3D_PRELOGIN_LIMIT commands before a login.  Commands of the
 * TRANSACTION state get "-ERR Not logged in.".  A wrong password gets
 * "-ERR [AUTH] Authentication failed." after pop3d_auth_failure_delay;
 * after pop3d_auth_failure_limit of them the connection closes.  A check
 * that cannot be made gets "-ERR [SYS/TEMP] ...".  The "+OK Logged in."
 * comes from the session process once the mailbox is open (or its
 * "-ERR [IN-USE] ..."), the spawner's refusals are -ERR lines too.
 * Passwords: USER, PASS and AUTH PLAIN need TLS, a unix or -S client,
 * pop3d_plaintext_auth = yes or an address in
 * pop3d_plaintext_auth_networks; elsewhere they get "-ERR [AUTH]
 * Plaintext authentication disallowed ...".  Input that held a password
 * is wiped.
 * Security: all of it is untrusted input before authentication; runs as
 * pop3d_login_user, which can open no mailbox and no password map.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "login.h"
#include "params.h"
#include "pop3_parse.h"
#include "pop3d.h"
#include "strutil.h"

#define AUTH_NEED_TLS	"-ERR [AUTH] Plaintext authentication disallowed " \
			"on non-secure (SSL/TLS) connections."

/* A client's POP3 state before login (c->ps). */
struct pop3_login {
	char user[POP3_LINE_MAX + 1];	/* the USER argument; "" none */
	size_t user_len;
	int bad;			/* error replies so far */
	int discarding;			/* a too-long line: drop to its LF */
};

#define PL(c) ((struct pop3_login *)(c)->ps)

typedef void (*pl_handler)(struct login_client *c, const char *p,
    size_t len);

/* A new client's state. */
static void
pl_init(struct login_client *c)
{
	c->ps = xcalloc(1, sizeof(struct pop3_login));
}

/* STLS: forget a USER name and a pending AUTH (RFC 2595 4). */
static void
pl_reset(struct login_client *c)
{
	PL(c)->user_len = 0;
	PL(c)->discarding = 0;
	if (c->state == LS_SASL)
		c->state = LS_COMMAND;
}

/* The client is gone. */
static void
pl_free(struct login_client *c)
{
	explicit_bzero(c->ps, sizeof(struct pop3_login));
	free(c->ps);
	c->ps = NULL;
}

/* The greeting. */
static void
pl_greet(struct login_client *c)
{
	login_reply(c, "+OK Petrel POP3 ready.");
}

/* An error reply charged to the error budget. */
static void
pl_bad(struct login_client *c, const char *text)
{
	if (++PL(c)->bad >= POP3D_ERROR_LIMIT) {
		login_reply(c, "-ERR Too many bad commands.");
		c->state = LS_CLOSING;
		return;
	}
	login_reply(c, "%s", text);
}

/* CAPA (RFC 2449): what works now. */
static void
pl_capa(struct login_client *c, const char *p, size_t len)
{
	(void)p;
	(void)len;
	login_reply(c, "+OK Capability list follows.");
	login_reply(c, "TOP");
	login_reply(c, "UIDL");
	login_reply(c, "RESP-CODES");
	login_reply(c, "PIPELINING");
	login_reply(c, "AUTH-RESP-CODE");
	login_reply(c, "USER");
	login_reply(c, "SASL PLAIN");
	if (login_starttls_ok(c))
		login_reply(c, "STLS");
	login_reply(c, "IMPLEMENTATION Petrel");
	login_reply(c, ".");
}

/* QUIT before login. */
static void
pl_quit(struct login_client *c, const char *p, size_t len)
{
	(void)p;
	(void)len;
	login_reply(c, "+OK Logging out.");
	c->state = LS_CLOSING;
}

/* STLS: +OK, then the handshake once the reply is out. */
static void
pl_stls(struct login_client *c, const char *p, size_t len)
{
	(void)p;
	if (len > 0) {
		pl_bad(c, "-ERR Invalid arguments.");
		return;
	}
	if (c->tls != NULL) {
		pl_bad(c, "-ERR TLS is already active.");
		return;
	}
	if (!login_starttls_ok(c)) {
		pl_bad(c, "-ERR TLS support isn't enabled.");
		return;
	}
	login_reply(c, "+OK Begin TLS negotiation now.");
	c->starttls_pending = 1;
}

/* USER name: remember it for PASS. */
static void
pl_user(struct login_client *c, const char *p, size_t len)
{
	struct pop3_arg arg[1];

	if (!login_plaintext_ok(c)) {
		pl_bad(c, AUTH_NEED_TLS);
		return;
	}
	if (pop3_parse_args(p, len, arg, 1) != 1 ||
	    arg[0].len >= sizeof(PL(c)->user)) {
		pl_bad(c, "-ERR Invalid arguments.");
		return;
	}
	memcpy(PL(c)->user, arg[0].p, arg[0].len);
	PL(c)->user_len = arg[0].len;
	login_reply(c, "+OK");
}

/* PASS secret: ask the password service (the answer comes later). */
static void
pl_pass(struct login_client *c, const char *p, size_t len)
{
	struct pop3_login *pl = PL(c);

	if (pl->user_len == 0) {
		pl_bad(c, "-ERR No user name given.");
		return;
	}
	if (len == 0) {
		pl_bad(c, "-ERR No password given.");
		return;
	}
	login_auth_start(c, pl->user, pl->user_len, p, len, "PLAIN");
	pl->user_len = 0;
}

/* A base64 SASL PLAIN response: check it like USER/PASS. */
static void
pl_sasl_plain(struct login_client *c, const char *b64, size_t len)
{
	char dec[LOGIN_AUTH_PLAIN_MAX];
	struct pop3_sasl_plain sp;
	long n;

	if (len == 1 && b64[0] == '=')
		len = 0;	/* RFC 5034 4: "=" is an empty response */
	n = pop3_parse_base64(b64, len, dec, sizeof(dec));
	if (n < 0) {
		pl_bad(c, "-ERR Invalid base64 data in continued response");
		return;
	}
	if (pop3_parse_sasl_plain(dec, (size_t)n, &sp) < 0 ||
	    (sp.authzid_len > 0 && (sp.authzid_len != sp.authcid_len ||
	    memcmp(sp.authzid, sp.authcid, sp.authcid_len) != 0))) {
		c->method = "PLAIN";
		c->last_user[0] = '\0';
		login_auth_failed(c);
	} else {
		login_auth_start(c, sp.authcid, sp.authcid_len, sp.passwd,
		    sp.passwd_len, "PLAIN");
	}
	explicit_bzero(dec, sizeof(dec));
}

/* AUTH [mechanism [initial-response]] (RFC 5034). */
static void
pl_auth(struct login_client *c, const char *p, size_t len)
{
	struct pop3_arg a[2];
	int n = pop3_parse_args(p, len, a, 2);

	if (n == 0) {	/* the list of mechanisms, as Dovecot answers */
		login_reply(c, "+OK");
		login_reply(c, "PLAIN");
		login_reply(c, ".");
		return;
	}
	if (n < 0) {
		pl_bad(c, "-ERR Invalid arguments.");
		return;
	}
	if (str_casecmp_n(a[0].p, a[0].len, "PLAIN") != 0) {
		pl_bad(c, "-ERR Unsupported authentication mechanism.");
		return;
	}
	if (!login_plaintext_ok(c)) {
		pl_bad(c, AUTH_NEED_TLS);
		return;
	}
	if (n == 2) {
		pl_sasl_plain(c, a[1].p, a[1].len);
		return;
	}
	login_reply(c, "+ ");
	c->state = LS_SASL;
}

/* Commands of the TRANSACTION state: known, but not yet. */
static void
pl_later(struct login_client *c, const char *p, size_t len)
{
	(void)p;
	(void)len;
	pl_bad(c, "-ERR Not logged in.");
}

static const struct {
	const char *verb;
	pl_handler fn;
} pl_cmds[] = {
	{ "USER", pl_user }, { "PASS", pl_pass }, { "AUTH", pl_auth },
	{ "STLS", pl_stls }, { "QUIT", pl_quit }, { "CAPA", pl_capa },
	{ "NOOP", pl_later }, { "STAT", pl_later }, { "LIST", pl_later },
	{ "UIDL", pl_later }, { "RETR", pl_later }, { "TOP", pl_later },
	{ "DELE", pl_later }, { "RSET", pl_later },
};

/* Parse and run one command line (without CRLF). */
static void
pl_dispatch(struct login_client *c, const char *line, size_t len)
{
	struct pop3_cmdline cl;

	if (++c->commands > POP3D_PRELOGIN_LIMIT) {
		login_reply(c, "-ERR Too many commands before login.");
		c->state = LS_CLOSING;
		return;
	}
	if (pop3_parse_line(line, len, &cl) < 0) {
		pl_bad(c, "-ERR Unknown command.");
		return;
	}
	for (size_t i = 0; i < sizeof(pl_cmds) / sizeof(pl_cmds[0]); i++)
		if (strcmp(cl.verb, pl_cmds[i].verb) == 0) {
			pl_cmds[i].fn(c, cl.rest, cl.rest_len);
			return;
		}
	pl_bad(c, "-ERR Unknown command.");
}

/* One line (len without LF) at the front of c->in: taken out of the
 * buffer first, so that a login hands over only what follows it. */
static void
pl_line(struct login_client *c, size_t len)
{
	char line[POP3_LINE_MAX + 1];
	size_t n = len > 0 && c->in->data[len - 1] == '\r' ? len - 1 : len;
	int discarding = PL(c)->discarding;

	PL(c)->discarding = 0;
	if (!discarding && n <= POP3_LINE_MAX)
		memcpy(line, c->in->data, n);
	login_consume(c, len + 1);
	if (discarding)
		return;			/* the end of a long line */
	if (n > POP3_LINE_MAX) {
		if (c->state == LS_SASL)
			c->state = LS_COMMAND;
		pl_bad(c, "-ERR Line too long.");
		return;
	}
	if (c->state == LS_SASL) {
		c->state = LS_COMMAND;
		if (n == 1 && line[0] == '*')
			pl_bad(c, "-ERR Authentication aborted by client.");
		else
			pl_sasl_plain(c, line, n);
	} else {
		pl_dispatch(c, line, n);
	}
	explicit_bzero(line, n);	/* may hold a password */
}

/* Run every complete line in the input buffer. */
static void
pl_commands(struct login_client *c)
{
	char *lf;

	while ((c->state == LS_COMMAND || c->state == LS_SASL) &&
	    !c->starttls_pending && !c->closed && c->in->len > 0) {
		lf = memchr(c->in->data, '\n', c->in->len);
		if (lf == NULL) {
			if (c->in->len <= POP3_LINE_MAX + 1)
				break;
			/* Too long already: answer now, drop what came. */
			if (!PL(c)->discarding) {
				PL(c)->discarding = 1;
				pl_bad(c, "-ERR Line too long.");
			}
			login_consume(c, c->in->len);
			break;
		}
		pl_line(c, (size_t)(lf - c->in->data));
		if (c->state == LS_COMMAND)
			c->deadline = login_now() + var_pop3d_timeout;
	}
}

/* What the stage says for the protocol. */
static void
pl_answer(struct login_client *c, enum login_answer a)
{
	static const char *const text[] = {
		[LOGIN_ANS_FAILED] = "-ERR [AUTH] Authentication failed.",
		[LOGIN_ANS_TOO_MANY] = NULL,	/* RFC 1939: just close */
		[LOGIN_ANS_TEMP] = "-ERR [SYS/TEMP] Temporary authentication "
		    "failure.",
		[LOGIN_ANS_INTERNAL] = "-ERR [SYS/TEMP] Internal error "
		    "occurred.",
		[LOGIN_ANS_PIPELINED] = "-ERR Too much input pipelined after "
		    "login.",
		[LOGIN_ANS_IDLE] = "-ERR Disconnected for inactivity.",
		[LOGIN_ANS_SHUTDOWN] = "-ERR Server shutting down.",
	};

	if (text[a] != NULL)
		login_reply(c, "%s", text[a]);
}

/* The spawner's -ERR for a login it cannot serve. */
static int
pl_refusal(char *line, size_t size, const struct handoff *h,
    enum login_refusal r)
{
	static const char *const text[] = {
		[LOGIN_REFUSE_INTERNAL] = "[SYS/TEMP] Internal error occurred.",
		[LOGIN_REFUSE_NO_MAILBOX] = "[SYS/PERM] There is no mailbox "
		    "for this user.",
		[LOGIN_REFUSE_LIMIT] = "[IN-USE] Maximum number of connections "
		    "from user+IP exceeded.",
		[LOGIN_REFUSE_BUSY] = "[SYS/TEMP] Too many sessions, try again "
		    "later.",
	};

	(void)h;
	return snprintf(line, size, "-ERR %s\r\n", text[r]);
}

/* The input buffer: a few pipelined lines (POP3_LINE_MAX each) plus the
 * 1024 the stage adds. */
static const long pl_buffer = 4 * (POP3_LINE_MAX + 2);

const struct login_proto pop3d_login_proto = {
	.name = "pop3",
	.tls_listener = POP3D_LISTENER_POP3S,
	.tls = pop3d_tls,
	.login_timeout = &var_pop3d_timeout,
	.client_limit = &var_pop3d_login_client_limit,
	.line_limit = &pl_buffer,
	.failure_delay = &var_pop3d_auth_failure_delay,
	.failure_limit = &var_pop3d_auth_failure_limit,
	.max_userip = &var_pop3d_max_userip_connections,
	.session_limit = &var_pop3d_session_limit,
	.conn_count_limit = &var_pop3d_client_connection_count_limit,
	.conn_rate_limit = &var_pop3d_client_connection_rate_limit,
	.limit_exceptions = &var_pop3d_client_event_limit_exceptions,
	.too_many = "-ERR [SYS/TEMP] Too many connections from your "
	    "address",		/* RFC 3206 */
	.default_domain = &var_pop3d_auth_default_domain,
	.init = pl_init,
	.reset = pl_reset,
	.free_state = pl_free,
	.greet = pl_greet,
	.commands = pl_commands,
	.handoff_ok = NULL,
	.answer = pl_answer,
	.refusal = pl_refusal,
	.session = pop3d_session_main,
};
