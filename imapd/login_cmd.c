/*
 * login_cmd.c - imapd's part of the shared pre-login stage
 * (common/login.h): the commands of the not-authenticated state (RFC 9051
 * 6.1, 6.2): CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, LOGIN and
 * AUTHENTICATE PLAIN (RFC 4616, with SASL-IR, RFC 4959), read from a
 * client's input buffer as complete commands (imap_frame.h assembles
 * lines and literals), and the replies the stage and the spawner ask for.
 *
 * Public: imapd_login_proto (imapd.h), the callbacks of struct
 * login_proto for IMAP.
 * Replies follow Dovecot where the RFC leaves the words open.  Commands
 * of later states get BAD; after LOGIN_COMMANDS_MAX commands, a line
 * longer than the bound or a malformed literal the connection closes.
 * Passwords: plaintext LOGIN and AUTHENTICATE PLAIN need TLS, a unix or
 * -S client, or an address in imapd_plaintext_auth_networks; elsewhere
 * CAPABILITY shows LOGINDISABLED and no AUTH=PLAIN, and they get NO
 * [PRIVACYREQUIRED].  The buffers that held a password are wiped.
 * Security: all of it is untrusted input before authentication; runs as
 * imapd_login_user.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "base64.h"
#include "buf.h"
#include "imap_frame.h"
#include "imap_parse.h"
#include "imapd.h"
#include "log.h"
#include "login.h"
#include "server.h"
#include "params.h"
#include "tls_server.h"

#define LOGIN_CMD_MAX		8192	/* one pre-login command, literals too */
#define LOGIN_COMMANDS_MAX	50	/* commands before a login */

/* A client's IMAP state before login (c->ps). */
struct imap_login {
	struct imap_asm *asm;		/* the command being assembled */
	struct imap_pool *pool;		/* its parsed arguments */
	unsigned long long lit_left;	/* literal octets still to take */
};

#define IL(c) ((struct imap_login *)(c)->ps)

typedef void (*login_handler)(struct login_client *, const struct imap_cmd *);

/* A new client's state. */
static void
il_init(struct login_client *c)
{
	struct imap_asm_limits lim = { LOGIN_CMD_MAX, 4, 0 };
	struct imap_login *il = xcalloc(1, sizeof(*il));

	lim.literal_minus = var_imapd_literal_minus;
	il->asm = imap_asm_new(&lim);
	il->pool = imap_pool_new(64 * 1024);
	c->ps = il;
}

/* STARTTLS: forget a half-assembled command. */
static void
il_reset(struct login_client *c)
{
	imap_asm_reset(IL(c)->asm);
	IL(c)->lit_left = 0;
}

/* The client is gone. */
static void
il_free(struct login_client *c)
{
	struct imap_login *il = IL(c);
	size_t n;
	const char *data = imap_asm_data(il->asm, &n);

	explicit_bzero((char *)data, n);	/* may hold a password */
	imap_asm_free(&il->asm);
	imap_pool_free(&il->pool);
	free(il);
	c->ps = NULL;
}

/* The untagged greeting. */
static void
il_greet(struct login_client *c)
{
	login_reply(c, "* OK [CAPABILITY %s] Petrel ready.",
	    imapd_capability(1, login_starttls_ok(c), login_plaintext_ok(c)));
}

static void
cmd_capability(struct login_client *c, const struct imap_cmd *cmd)
{
	login_reply(c, "* CAPABILITY %s", imapd_capability(1,
	    login_starttls_ok(c), login_plaintext_ok(c)));
	login_reply(c, "%s OK Pre-login capabilities listed, post-login "
	    "capabilities have more.", cmd->tag);
}

static void
cmd_noop(struct login_client *c, const struct imap_cmd *cmd)
{
	login_reply(c, "%s OK NOOP completed.", cmd->tag);
}

static void
cmd_logout(struct login_client *c, const struct imap_cmd *cmd)
{
	login_reply(c, "* BYE Logging out");
	login_reply(c, "%s OK Logout completed.", cmd->tag);
	c->state = LS_CLOSING;
}

/* ID (RFC 2971): the client's list is accepted and not believed. */
static void
cmd_id(struct login_client *c, const struct imap_cmd *cmd)
{
	if (cmd->count != 1 || (cmd->args[0].type != IMAP_ARG_NIL &&
	    cmd->args[0].type != IMAP_ARG_LIST)) {
		login_reply(c, "%s BAD Invalid ID parameters.", cmd->tag);
		return;
	}
	login_reply(c, "* ID (\"name\" \"Petrel\")");
	login_reply(c, "%s OK ID completed.", cmd->tag);
}

static void
cmd_starttls(struct login_client *c, const struct imap_cmd *cmd)
{
	if (cmd->count != 0) {
		login_reply(c, "%s BAD STARTTLS takes no arguments.", cmd->tag);
		return;
	}
	if (!login_starttls_ok(c)) {
		login_reply(c, "%s BAD TLS is not available%s.", cmd->tag,
		    c->tls != NULL ? ": already active" : "");
		return;
	}
	login_reply(c, "%s OK Begin TLS negotiation now.", cmd->tag);
	c->starttls_pending = 1;
}

/* Refuse a password in clear; 1 when refused. */
static int
login_refuse_plaintext(struct login_client *c, const struct imap_cmd *cmd)
{
	if (login_plaintext_ok(c))
		return 0;
	login_reply(c, "%s NO [PRIVACYREQUIRED] Plaintext authentication "
	    "disallowed on non-secure (SSL/TLS) connections.", cmd->tag);
	return 1;
}

/* Remember the tag of the command a login will answer. */
static void
login_set_tag(struct login_client *c, const char *tag)
{
	size_t n = strlen(tag);

	if (n >= sizeof(c->tag))
		n = sizeof(c->tag) - 1;
	memcpy(c->tag, tag, n);
	c->tag[n] = '\0';
}

static void
cmd_login(struct login_client *c, const struct imap_cmd *cmd)
{
	const char *u, *p;
	size_t ulen, plen;

	if (cmd->count != 2 || imap_arg_astring(&cmd->args[0], &u, &ulen) != 0 ||
	    imap_arg_astring(&cmd->args[1], &p, &plen) != 0) {
		login_reply(c, "%s BAD Invalid LOGIN arguments.", cmd->tag);
		return;
	}
	if (login_refuse_plaintext(c, cmd))
		return;
	login_set_tag(c, cmd->tag);
	login_auth_start(c, u, ulen, p, plen, "LOGIN");
}

/* A decoded PLAIN message: authzid NUL authcid NUL password. */
static void
login_sasl_plain(struct login_client *c, char *msg, size_t len)
{
	char *nul1 = memchr(msg, '\0', len), *nul2;

	nul2 = nul1 != NULL ? memchr(nul1 + 1, '\0',
	    len - (size_t)(nul1 + 1 - msg)) : NULL;
	if (nul2 == NULL) {
		login_reply(c, "%s BAD Invalid AUTHENTICATE PLAIN message.",
		    c->tag);
		return;
	}
	if (nul1 != msg && (strlen(msg) != (size_t)(nul2 - nul1 - 1) ||
	    memcmp(msg, nul1 + 1, strlen(msg)) != 0)) {
		login_reply(c, "%s NO [AUTHORIZATIONFAILED] Authorization "
		    "identity not allowed.", c->tag);
		return;
	}
	login_auth_start(c, nul1 + 1, (size_t)(nul2 - nul1 - 1), nul2 + 1,
	    len - (size_t)(nul2 + 1 - msg), "PLAIN");
}

/* The client's base64 answer (or SASL-IR); "=" is empty, "*" cancels. */
static void
login_sasl_response(struct login_client *c, const char *p, size_t len)
{
	char dec[LOGIN_AUTH_PLAIN_MAX];
	long n;

	c->state = LS_COMMAND;
	if (len == 1 && p[0] == '*') {
		login_reply(c, "%s BAD Authentication aborted by client.",
		    c->tag);
		return;
	}
	n = len == 1 && p[0] == '=' ? 0 : base64_decode(p, len, dec,
	    sizeof(dec) - 1);
	if (n < 0) {
		login_reply(c, "%s BAD Invalid base64 data in continued "
		    "response.", c->tag);
		return;
	}
	dec[n] = '\0';
	login_sasl_plain(c, dec, (size_t)n);
	explicit_bzero(dec, sizeof(dec));
}

static void
cmd_authenticate(struct login_client *c, const struct imap_cmd *cmd)
{
	const char *ir;
	size_t irlen;

	if (cmd->count < 1 || cmd->count > 2 ||
	    cmd->args[0].type != IMAP_ARG_ATOM) {
		login_reply(c, "%s BAD Invalid AUTHENTICATE arguments.",
		    cmd->tag);
		return;
	}
	if (!imap_arg_atom_is(&cmd->args[0], "PLAIN")) {
		login_reply(c, "%s NO Unsupported authentication mechanism.",
		    cmd->tag);
		return;
	}
	if (login_refuse_plaintext(c, cmd))
		return;
	login_set_tag(c, cmd->tag);
	if (cmd->count == 2) {
		if (imap_arg_astring(&cmd->args[1], &ir, &irlen) != 0) {
			login_reply(c, "%s BAD Invalid initial response.",
			    cmd->tag);
			return;
		}
		login_sasl_response(c, ir, irlen);
		return;
	}
	login_reply(c, "+ ");
	c->state = LS_SASL;
}

static const struct {
	const char *name;
	login_handler fn;
} login_cmds[] = {
	{ "CAPABILITY", cmd_capability },
	{ "NOOP", cmd_noop },
	{ "LOGOUT", cmd_logout },
	{ "ID", cmd_id },
	{ "STARTTLS", cmd_starttls },
	{ "LOGIN", cmd_login },
	{ "AUTHENTICATE", cmd_authenticate },
};

/* Parse and run one assembled command. */
static void
login_dispatch(struct login_client *c, const char *p, size_t len)
{
	struct imap_cmd cmd;
	const char *err = NULL;

	c->commands++;
	if (imap_parse_cmd(p, len, IL(c)->pool, &cmd, &err) != 0) {
		login_reply(c, "%s BAD %s", cmd.tag != NULL ? cmd.tag : "*",
		    err != NULL ? err : "Error in IMAP command.");
		return;
	}
	for (size_t i = 0; i < sizeof(login_cmds) / sizeof(login_cmds[0]); i++)
		if (!cmd.uid && strcmp(cmd.name, login_cmds[i].name) == 0) {
			login_cmds[i].fn(c, &cmd);
			return;
		}
	login_reply(c, "%s BAD Command not allowed before login.", cmd.tag);
}

/* Feed owed literal octets; 1 when the literal is complete. */
static int
login_take_literal(struct login_client *c)
{
	struct imap_login *il = IL(c);
	size_t n = c->in->len;

	if (n > il->lit_left)
		n = (size_t)il->lit_left;
	n = imap_asm_literal(il->asm, c->in->data, n);
	login_consume(c, n);
	il->lit_left -= n;
	return il->lit_left == 0;
}

/* One complete line is at the front of c->in (len without LF). */
static void
login_line(struct login_client *c, size_t len)
{
	struct imap_login *il = IL(c);
	struct imap_literal_mark mark;
	const char *err = NULL, *data;
	size_t n, dlen;
	int r;

	n = len > 0 && c->in->data[len - 1] == '\r' ? len - 1 : len;
	if (c->state == LS_SASL) {
		login_sasl_response(c, c->in->data, n);
		login_consume(c, len + 1);
		return;
	}
	r = imap_asm_line(il->asm, c->in->data, n, &mark, &err);
	login_consume(c, len + 1);
	if (r < 0) {
		login_reply(c, "* BYE %s", err != NULL ? err : "Bad command.");
		c->state = LS_CLOSING;
		return;
	}
	if (r == IMAP_ASM_LITERAL) {
		il->lit_left = mark.size;
		if (mark.kind == IMAP_LIT_SYNC)
			login_reply(c, "+ OK");
		return;
	}
	data = imap_asm_data(il->asm, &dlen);
	login_dispatch(c, data, dlen);
	if (c->closed)
		return;
	explicit_bzero((char *)data, dlen);	/* our buffer; may hold a password */
	imap_asm_reset(il->asm);
	imap_pool_clear(il->pool);
}

/* Run every complete command in the input buffer. */
static void
il_commands(struct login_client *c)
{
	char *lf;

	while ((c->state == LS_COMMAND || c->state == LS_SASL) &&
	    !c->starttls_pending && !c->closed) {
		if (IL(c)->lit_left > 0 && !login_take_literal(c))
			break;
		lf = memchr(c->in->data, '\n', c->in->len);
		if (lf == NULL) {
			if (c->in->len >= LOGIN_CMD_MAX) {
				login_reply(c, "* BYE Line too long.");
				c->state = LS_CLOSING;
			}
			break;
		}
		login_line(c, (size_t)(lf - c->in->data));
		if (c->closed)
			break;
		if (c->commands >= LOGIN_COMMANDS_MAX &&
		    c->state == LS_COMMAND) {
			login_reply(c, "* BYE Too many commands before login.");
			c->state = LS_CLOSING;
		}
		if (c->state == LS_COMMAND)
			c->deadline = login_now() + var_imapd_login_timeout;
	}
}

/* Whether the input may go to the session (no literal half read). */
static int
il_handoff_ok(const struct login_client *c)
{
	return IL(c)->lit_left == 0;
}

/* What the stage says for the protocol. */
static void
il_answer(struct login_client *c, enum login_answer a)
{
	switch (a) {
	case LOGIN_ANS_FAILED:
		login_reply(c, "%s NO [AUTHENTICATIONFAILED] Authentication "
		    "failed.", c->tag);
		break;
	case LOGIN_ANS_TOO_MANY:
		login_reply(c, "* BYE Too many invalid authentication "
		    "attempts.");
		break;
	case LOGIN_ANS_TEMP:
		login_reply(c, "%s NO [UNAVAILABLE] Temporary authentication "
		    "failure.", c->tag);
		break;
	case LOGIN_ANS_INTERNAL:
		login_reply(c, "%s NO [UNAVAILABLE] Internal error occurred. "
		    "Refer to server log for more information.", c->tag);
		break;
	case LOGIN_ANS_PIPELINED:
		login_reply(c, "* BYE Too much input pipelined after login.");
		break;
	case LOGIN_ANS_IDLE:
		login_reply(c, "* BYE Disconnected for inactivity.");
		break;
	case LOGIN_ANS_SHUTDOWN:
		login_reply(c, "* BYE Server shutting down.");
		break;
	}
}

/* The spawner's tagged NO for a login it cannot serve. */
static int
il_refusal(char *line, size_t size, const struct handoff *h,
    enum login_refusal r)
{
	static const char *const text[] = {
		[LOGIN_REFUSE_INTERNAL] = "[UNAVAILABLE] Internal error "
		    "occurred.",
		[LOGIN_REFUSE_NO_MAILBOX] = "[UNAVAILABLE] No mailbox for "
		    "this user.",
		[LOGIN_REFUSE_LIMIT] = "[LIMIT] Maximum number of connections "
		    "from user+IP exceeded.",
		[LOGIN_REFUSE_BUSY] = "[UNAVAILABLE] Too many sessions, try "
		    "again later.",
	};

	return snprintf(line, size, "%s NO %s\r\n", h->tag, text[r]);
}

/* The implicit-TLS greeting has no STARTTLS: login_starttls_ok says so. */
const struct login_proto imapd_login_proto = {
	.name = "imap",
	.tls_listener = IMAPD_LISTENER_IMAPS,
	.tls = imapd_tls,
	.login_timeout = &var_imapd_login_timeout,
	.client_limit = &var_imapd_login_client_limit,
	.line_limit = &var_imapd_line_length_limit,
	.failure_delay = &var_imapd_auth_failure_delay,
	.failure_limit = &var_imapd_auth_failure_limit,
	.max_userip = &var_imapd_max_userip_connections,
	.session_limit = &var_imapd_session_limit,
	.conn_count_limit = &var_imapd_client_connection_count_limit,
	.conn_rate_limit = &var_imapd_client_connection_rate_limit,
	.limit_exceptions = &var_imapd_client_event_limit_exceptions,
	.too_many = "* BYE [UNAVAILABLE] Too many connections from your "
	    "address",		/* RFC 5530 */
	.default_domain = &var_imapd_auth_default_domain,
	.init = il_init,
	.reset = il_reset,
	.free_state = il_free,
	.greet = il_greet,
	.commands = il_commands,
	.handoff_ok = il_handoff_ok,
	.answer = il_answer,
	.refusal = il_refusal,
	.session = imapd_session_main,
};
