/*
 * login_cmd.c - the commands of the not-authenticated state (RFC 9051
 * 6.1, 6.2): CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, LOGIN and
 * AUTHENTICATE PLAIN (RFC 4616, with SASL-IR, RFC 4959), read from a
 * client's input buffer as complete commands (imap_frame.h assembles
 * lines and literals).
 *
 * Public (see login.h): login_greet, login_process (run everything the
 * client's buffered input allows), login_plaintext_ok.
 * Replies follow Dovecot where the RFC leaves the words open.  Commands
 * of later states get BAD; after LOGIN_COMMANDS_MAX commands, a line
 * longer than the bound or a malformed literal the connection closes.
 * Passwords: plaintext LOGIN and AUTHENTICATE PLAIN need TLS, a unix or
 * -S client, or an address in imapd_plaintext_auth_networks; elsewhere
 * CAPABILITY shows LOGINDISABLED and no AUTH=PLAIN, and they get NO
 * [PRIVACYREQUIRED].  The buffers that held a password are wiped.
 * Security: all of it is untrusted input before authentication.
 */
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
#include "params.h"
#include "tls_server.h"

typedef void (*login_handler)(struct login_client *, const struct imap_cmd *);

/* Whether a password may travel on this connection. */
int
login_plaintext_ok(const struct login_client *c)
{
	return tls_server_plaintext_ok(imapd_tls(), c->tls_up,
	    c->peer.is_unix || c->peer.addr[0] == '\0', c->peer.addr);
}

/* Whether STARTTLS may be offered now. */
static int
login_starttls_ok(const struct login_client *c)
{
	return imapd_tls_ctx() != NULL && c->tls == NULL && !c->peer.is_unix &&
	    c->peer.addr[0] != '\0';
}

/* The greeting, or for port 993 the TLS handshake first. */
void
login_greet(struct login_client *c)
{
	struct imap_asm_limits lim = { LOGIN_CMD_MAX, 4, 0 };

	lim.literal_minus = var_imapd_literal_minus;

	c->asm = imap_asm_new(&lim);
	c->pool = imap_pool_new(64 * 1024);
	c->state = LS_COMMAND;
	if (c->peer.listener == IMAPD_LISTENER_IMAPS) {
		if (imapd_tls_ctx() == NULL || login_io_start_tls(c) != 0) {
			login_close(c);
			return;
		}
		login_io_update(c);
		return;
	}
	login_reply(c, "* OK [CAPABILITY %s] Petrel ready.",
	    imapd_capability(1, login_starttls_ok(c), login_plaintext_ok(c)));
	(void)login_io_flush(c);
	login_io_update(c);
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
	char dec[AUTH_PLAIN_MAX];
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
	if (imap_parse_cmd(p, len, c->pool, &cmd, &err) != 0) {
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

/* Wipe what is left of consumed input (passwords travel there). */
static void
login_consume(struct login_client *c, size_t n)
{
	buf_consume(c->in, n);
	explicit_bzero(c->in->data + c->in->len, c->in->cap - c->in->len);
}

/* Feed owed literal octets; 1 when the literal is complete. */
static int
login_take_literal(struct login_client *c)
{
	size_t n = c->in->len;

	if (n > c->lit_left)
		n = (size_t)c->lit_left;
	n = imap_asm_literal(c->asm, c->in->data, n);
	login_consume(c, n);
	c->lit_left -= n;
	return c->lit_left == 0;
}

/* One complete line is at the front of c->in (len without LF). */
static void
login_line(struct login_client *c, size_t len)
{
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
	r = imap_asm_line(c->asm, c->in->data, n, &mark, &err);
	login_consume(c, len + 1);
	if (r < 0) {
		login_reply(c, "* BYE %s", err != NULL ? err : "Bad command.");
		c->state = LS_CLOSING;
		return;
	}
	if (r == IMAP_ASM_LITERAL) {
		c->lit_left = mark.size;
		if (mark.kind == IMAP_LIT_SYNC)
			login_reply(c, "+ OK");
		return;
	}
	data = imap_asm_data(c->asm, &dlen);
	login_dispatch(c, data, dlen);
	explicit_bzero((char *)data, dlen);	/* our buffer; may hold a password */
	imap_asm_reset(c->asm);
	imap_pool_clear(c->pool);
}

/* Run every complete command in the input buffer. */
static void
login_commands(struct login_client *c)
{
	char *lf;

	while ((c->state == LS_COMMAND || c->state == LS_SASL) &&
	    !c->starttls_pending) {
		if (c->lit_left > 0 && !login_take_literal(c))
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
		if (c->commands >= LOGIN_COMMANDS_MAX &&
		    c->state == LS_COMMAND) {
			login_reply(c, "* BYE Too many commands before login.");
			c->state = LS_CLOSING;
		}
		if (c->state == LS_COMMAND)
			c->deadline = login_now() + var_imapd_login_timeout;
	}
}

/* STARTTLS: once its OK is out, drop pipelined input, start TLS. */
static int
login_maybe_starttls(struct login_client *c)
{
	if (!c->starttls_pending || c->out->len > 0)
		return 0;
	c->starttls_pending = 0;
	buf_reset(c->in);
	imap_asm_reset(c->asm);
	c->lit_left = 0;
	return login_io_start_tls(c) == 0 ? 1 : -1;
}

/* Finish a TLS handshake step; 1 when commands may be read. */
static int
login_handshake_step(struct login_client *c)
{
	int r = login_io_handshake(c);

	if (r <= 0)
		return r;
	c->state = LS_COMMAND;
	if (c->peer.listener == IMAPD_LISTENER_IMAPS && !c->greeted) {
		c->greeted = 1;
		login_reply(c, "* OK [CAPABILITY %s] Petrel ready.",
		    imapd_capability(1, 0, login_plaintext_ok(c)));
	}
	return 1;
}

/* Everything an event on the client socket allows. */
void
login_process(struct login_client *c)
{
	int r, open = 1;

	if (c->state == LS_HANDSHAKE) {
		if ((r = login_handshake_step(c)) < 0) {
			login_close(c);
			return;
		}
		if (r == 0) {
			login_io_update(c);
			return;
		}
	}
	if (c->state == LS_COMMAND || c->state == LS_SASL)
		open = login_io_read(c);
	login_commands(c);
	if (login_io_flush(c) < 0 || (!open && c->state != LS_AUTH &&
	    c->state != LS_DELAY) || (c->state == LS_CLOSING &&
	    c->out->len == 0)) {
		login_close(c);
		return;
	}
	if ((r = login_maybe_starttls(c)) < 0) {
		login_close(c);
		return;
	}
	if (r > 0) {
		login_process(c);	/* the client may have sent a hello */
		return;
	}
	login_io_update(c);
}
