/*
 * cmd.c - the SMTP command table of petrel-smtpd and the envelope
 * commands (EHLO, HELO, MAIL, RCPT, RSET, NOOP, QUIT, HELP, VRFY);
 * STARTTLS is in tls.c, AUTH in auth.c, DATA in data.c, BDAT in bdat.c,
 * ETRN and EXPN in etrn.c.  MAIL and RCPT take the DSN parameters (RFC
 * 3461) and SMTPUTF8 (RFC 6531): UTF-8 addresses only in a transaction
 * that declared it (553 5.6.7 otherwise).  HELP and VRFY can be turned
 * off (smtpd_help_enable, disable_vrfy_command: 502 5.5.1).  MAIL enforces the submission
 * policy (530 5.7.0 without AUTH on 587/465), sender ownership for
 * authenticated users (553 5.7.1), smtpd_session_message_limit (421,
 * close) and the per-client message rate (450 4.7.0); authenticated
 * clients may relay like mynetworks.  MAIL answers 452 4.3.1 while the queue
 * file system is under queue_minfree (diskspace.h; SIZE counts).
 *
 * Public: smtpd_dispatch, smtpd_count_summary.
 * Each command is a table entry {verb, handler, flags}; the flags say what
 * must (not) have happened before (503 5.5.1 otherwise).  Handlers queue
 * exactly one reply and return 0 (success, counted in the disconnect log
 * line as ok) or -1.  Verbs are case-insensitive.
 * Security: all arguments are untrusted; addresses go through the pure
 * parser in common/addr.c, parameters through common/smtp_parse.c.  VRFY
 * never says whether an address exists.  Logged client text is sanitized.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "conn.h"
#include "diskspace.h"
#include "log.h"
#include "params.h"
#include "resolve.h"
#include "smtpd.h"
#include "strutil.h"

#define NEED_HELO	1	/* after HELO/EHLO */
#define NEED_MAIL	2	/* inside a transaction */
#define NEED_RCPT	4	/* with at least one recipient */
#define NO_MAIL		8	/* not inside a transaction */
#define NOT_IMPL	16	/* 502 5.5.1 */

struct smtpd_cmd {
	const char *verb;
	int (*fn)(struct smtpd_session *, const char *, size_t);
	int flags;
};

static int cmd_ehlo(struct smtpd_session *, const char *, size_t);
static int cmd_helo(struct smtpd_session *, const char *, size_t);
static int cmd_mail(struct smtpd_session *, const char *, size_t);
static int cmd_rcpt(struct smtpd_session *, const char *, size_t);
static int cmd_rset(struct smtpd_session *, const char *, size_t);
static int cmd_noop(struct smtpd_session *, const char *, size_t);
static int cmd_quit(struct smtpd_session *, const char *, size_t);
static int cmd_help(struct smtpd_session *, const char *, size_t);
static int cmd_vrfy(struct smtpd_session *, const char *, size_t);

static const struct smtpd_cmd smtpd_cmds[] = {
	{ "EHLO", cmd_ehlo, 0 },
	{ "HELO", cmd_helo, 0 },
	{ "MAIL", cmd_mail, NEED_HELO | NO_MAIL },
	{ "RCPT", cmd_rcpt, NEED_MAIL },
	{ "DATA", smtpd_cmd_data, NEED_MAIL | NEED_RCPT },
	{ "BDAT", smtpd_cmd_bdat, 0 },	/* checks itself: must read the chunk */
	{ "RSET", cmd_rset, 0 },
	{ "NOOP", cmd_noop, 0 },
	{ "QUIT", cmd_quit, 0 },
	{ "HELP", cmd_help, 0 },
	{ "VRFY", cmd_vrfy, 0 },
	{ "STARTTLS", smtpd_cmd_starttls, NO_MAIL },
	{ "AUTH", smtpd_cmd_auth, NEED_HELO | NO_MAIL },
	{ "EXPN", smtpd_cmd_expn, 0 },
	{ "TURN", NULL, NOT_IMPL },
	{ "ETRN", smtpd_cmd_etrn, NEED_HELO },
};
#define SMTPD_NCMDS (sizeof(smtpd_cmds) / sizeof(smtpd_cmds[0]))
_Static_assert(SMTPD_NCMDS < SMTPD_NCOUNT, "SMTPD_NCOUNT too small");
#define SMTPD_UNKNOWN (SMTPD_NCOUNT - 1)

/* smtpd_forbid_unauth_pipelining: a client that is not authenticated
 * and sent more input behind a command that must end a group (RFC 2920:
 * EHLO, HELO, DATA, QUIT, NOOP), or behind any command before EHLO
 * offered PIPELINING, does not wait for replies: a spam robot.  Refused
 * with 554 and the session ends; 1 when so. */
static int
smtpd_improper_pipelining(struct smtpd_session *s, const char *verb)
{
	static const char *const last[] = { "EHLO", "HELO", "DATA", "QUIT",
	    "NOOP", NULL };
	int ends_group = 0;

	if (!var_smtpd_forbid_unauth_pipelining || s->trusted ||
	    s->dnsbl_allowed || s->auth_user[0] != '\0' ||
	    conn_input_pending(s->conn) == 0)
		return 0;
	for (size_t k = 0; last[k] != NULL; k++)
		if (strcmp(verb, last[k]) == 0)
			ends_group = 1;
	if (!ends_group && s->helo_seen == 2)
		return 0;
	log_info("improper command pipelining after %s from %s[%s]", verb,
	    s->name, s->addr);
	smtpd_reply(s, "554 5.5.0 Error: SMTP protocol synchronization");
	s->done = 1;
	return 1;
}

/* Log a rejected MAIL/RCPT the way Postfix does ("NOQUEUE: reject: ..."). */
static void
smtpd_log_reject(const struct smtpd_session *s, const char *verb,
    const char *reply, const char *rcpt)
{
	char from[ADDR_MAX + 8], to[ADDR_MAX + 8];

	log_sanitize(from, sizeof(from), s->sender, strlen(s->sender));
	log_sanitize(to, sizeof(to), rcpt, strlen(rcpt));
	log_info("NOQUEUE: reject: %s from %s[%s]: %s; from=<%s>%s%s%s "
	    "proto=%s helo=<%s>", verb, s->name, s->addr, reply, from,
	    rcpt[0] != '\0' ? " to=<" : "", to, rcpt[0] != '\0' ? ">" : "",
	    smtpd_proto(s), s->helo);
}

/* Shared part of HELO and EHLO: check and remember the name. */
static int
smtpd_hello(struct smtpd_session *s, const char *verb, const char *arg,
    size_t len, int kind)
{
	if (len == 0 || len >= sizeof(s->helo) || !addr_is_valid_domain(arg, len)) {
		smtpd_reply(s, "501 5.5.4 Syntax: %s hostname", verb);
		return -1;
	}
	memcpy(s->helo, arg, len);
	s->helo[len] = '\0';
	s->helo_seen = kind;
	smtpd_reset(s);
	return 0;
}

/* EHLO: greet and list the extensions (STARTTLS and AUTH only where
 * the session may use them). */
static int
cmd_ehlo(struct smtpd_session *s, const char *arg, size_t len)
{
	const char *kw[16];
	char size[48];
	size_t n = 0;

	if (smtpd_hello(s, "EHLO", arg, len, 2) < 0)
		return -1;
	snprintf(size, sizeof(size), "SIZE %ld", var_message_size_limit);
	kw[n++] = "PIPELINING";
	kw[n++] = size;
	if (smtpd_tls_offered(s))
		kw[n++] = "STARTTLS";
	if (smtpd_auth_offered(s) && s->auth_user[0] == '\0')
		kw[n++] = "AUTH PLAIN LOGIN";
	kw[n++] = "ETRN";
	kw[n++] = "ENHANCEDSTATUSCODES";
	kw[n++] = "8BITMIME";
	kw[n++] = "DSN";
	kw[n++] = "SMTPUTF8";
	kw[n++] = "CHUNKING";
	conn_printf(s->conn, "250-%s\r\n", var_myhostname);
	for (size_t i = 0; i < n; i++)
		conn_printf(s->conn, "250%c%s\r\n", i + 1 < n ? '-' : ' ',
		    kw[i]);
	return 0;
}

/* HELO: plain SMTP greeting. */
static int
cmd_helo(struct smtpd_session *s, const char *arg, size_t len)
{
	if (smtpd_hello(s, "HELO", arg, len, 1) < 0)
		return -1;
	smtpd_reply(s, "250 %s", var_myhostname);
	return 0;
}

/* Check the MAIL FROM parameters; 0 or -1 after an error reply. */
static int
smtpd_mail_params(struct smtpd_session *s, const struct addr_path *path)
{
	struct smtp_param bad;
	const char *err = "syntax error";
	char what[64];

	switch (smtpd_parse_mail_params(path->params, path->params_len,
	    &s->mail_opts, &bad, &err)) {
	case SMTP_PARAMS_OK:
		break;
	case SMTP_PARAMS_SYNTAX:
		smtpd_reply(s, "501 5.5.4 Bad MAIL parameter syntax: %s", err);
		return -1;
	case SMTP_PARAMS_UNKNOWN:
		log_sanitize(what, sizeof(what), bad.key, bad.key_len);
		smtpd_reply(s, "555 5.5.4 Unsupported option: %s", what);
		return -1;
	}
	if (s->mail_opts.size > var_message_size_limit) {
		smtpd_reply(s, "552 5.3.4 Message size exceeds fixed limit");
		smtpd_log_reject(s, "MAIL", "552 5.3.4 Message size exceeds "
		    "fixed limit", "");
		return -1;
	}
	return 0;
}

/* Session policy before a new transaction: submission needs AUTH, the
 * session and per-minute message limits; 0, or -1 after a reply. */
static int
smtpd_mail_policy(struct smtpd_session *s)
{
	if (s->role != SMTPD_ROLE_SMTP && s->auth_user[0] == '\0') {
		smtpd_reply(s, "530 5.7.0 Authentication required");
		return -1;
	}
	if (var_smtpd_session_message_limit > 0 &&
	    s->messages >= var_smtpd_session_message_limit) {
		log_info("too many messages in one session from %s[%s]",
		    s->name, s->addr);
		smtpd_reply(s, "421 4.7.0 %s Error: too many messages in one "
		    "session", var_myhostname);
		s->done = 1;
		return -1;
	}
	if (smtpd_climit_message(s->addr) < 0) {
		log_warn("Message delivery request rate limit exceeded: "
		    "%s[%s]", s->name, s->addr);
		smtpd_reply(s, "450 4.7.0 Error: too much mail from %s",
		    s->addr);
		return -1;
	}
	return 0;
}

/* An authenticated user must own the sender; 0, or -1 after a reply. */
static int
smtpd_mail_owner(struct smtpd_session *s)
{
	char reply[ADDR_MAX + SMTPD_LOGIN_MAX + 96];
	int rc;

	if (s->auth_user[0] == '\0' || (rc = smtpd_sender_owned(s,
	    s->sender)) > 0)
		return 0;
	if (rc < 0)
		snprintf(reply, sizeof(reply), "451 4.3.0 <%s>: Sender "
		    "address rejected: temporary lookup failure", s->sender);
	else
		snprintf(reply, sizeof(reply), "553 5.7.1 <%s>: Sender address "
		    "rejected: not owned by user %s", s->sender, s->auth_user);
	smtpd_reply(s, "%s", reply);
	smtpd_log_reject(s, "MAIL", reply, "");
	return -1;
}

/* queue_minfree (diskspace.h): refuse a transaction the spool may not
 * have room for, before any data is sent; 0, or -1 after a 452. */
static int
smtpd_mail_space(struct smtpd_session *s)
{
	const char *why;

	if (diskspace_queue_ok(s->mail_opts.size, &why))
		return 0;
	smtpd_reply(s, "452 4.3.1 Insufficient system storage");
	smtpd_log_reject(s, "MAIL", "452 4.3.1 Insufficient system storage",
	    "");
	return -1;
}

/* 1 if the text holds a byte outside ASCII. */
static int
smtpd_non_ascii(const char *p)
{
	for (; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			return 1;
	return 0;
}

/* RFC 6531 3.4: a UTF-8 address needs SMTPUTF8; 0, or -1 after a 553. */
static int
smtpd_utf8_ok(struct smtpd_session *s, const char *verb, const char *addr)
{
	char reply[96];

	if (s->mail_opts.smtputf8 || !smtpd_non_ascii(addr))
		return 0;
	snprintf(reply, sizeof(reply), "553 5.6.7 Must declare SMTPUTF8 to "
	    "send unicode address");
	smtpd_reply(s, "%s", reply);
	smtpd_log_reject(s, verb, reply, strcmp(verb, "RCPT") == 0 ? addr : "");
	return -1;
}

/* MAIL FROM:<sender> [SIZE=n] [BODY=...] [RET=..] [ENVID=..] [SMTPUTF8] */
static int
cmd_mail(struct smtpd_session *s, const char *arg, size_t len)
{
	struct addr_path path;
	const char *rest, *err = "syntax error";
	size_t rest_len;

	if (smtpd_mail_policy(s) < 0)
		return -1;
	if (!smtp_parse_keyword(arg, len, "FROM:", &rest, &rest_len)) {
		smtpd_reply(s, "501 5.5.4 Syntax: MAIL FROM:<address>");
		return -1;
	}
	if (addr_parse_path(rest, rest_len, ADDR_ALLOW_NULL | ADDR_ALLOW_UTF8,
	    &path, &err) < 0) {
		smtpd_reply(s, "501 5.1.7 Bad sender address syntax (%s)", err);
		return -1;
	}
	memcpy(s->sender, path.addr, path.addr_len + 1);
	if (smtpd_mail_params(s, &path) < 0 ||
	    smtpd_mail_space(s) < 0 ||
	    smtpd_utf8_ok(s, "MAIL", s->sender) < 0 ||
	    smtpd_mail_owner(s) < 0) {
		smtpd_reset(s);
		return -1;
	}
	s->in_mail = 1;
	s->messages++;
	smtpd_reply(s, "250 2.1.0 Ok");
	return 0;
}

/* Judge a normalized recipient: 1 ok, 0 unknown, -1 temporary failure,
 * -2 relaying denied. */
static int
smtpd_rcpt_verdict(const struct smtpd_session *s, const char *norm)
{
	struct resolver *r = smtpd_resolver();
	const char *err = NULL;
	int rc;

	if (r == NULL)
		return -1;
	if (resolve_class(r, norm) == RESOLVE_REMOTE && !s->trusted &&
	    s->auth_user[0] == '\0')
		return -2;
	rc = resolve_exists(r, norm, &err);
	if (rc < 0)
		log_warn("recipient lookup: %s", err != NULL ? err : "error");
	return rc < 0 ? -1 : rc > 0;
}

/* Decide on one recipient: 0 accept, or -1 after a reply (and a log). */
static int
smtpd_check_rcpt(struct smtpd_session *s, const char *rcpt)
{
	char norm[ADDR_MAX + 1], reply[ADDR_MAX + 128];

	snprintf(norm, sizeof(norm), "%s", rcpt);
	addr_normalize(norm);
	switch (smtpd_rcpt_verdict(s, norm)) {
	case 1:
		return smtpd_greylist_check(s, norm) ? -1 : 0;	/* 450 */
	case 0:
		snprintf(reply, sizeof(reply), "550 5.1.1 <%s>: Recipient "
		    "address rejected: User unknown", rcpt);
		break;
	case -2:
		snprintf(reply, sizeof(reply), "554 5.7.1 <%s>: Relay access "
		    "denied", rcpt);
		break;
	default:
		snprintf(reply, sizeof(reply), "451 4.3.0 <%s>: Temporary "
		    "lookup failure", rcpt);
		break;
	}
	smtpd_reply(s, "%s", reply);
	smtpd_log_reject(s, "RCPT", reply, rcpt);
	return -1;
}

/* Check the RCPT TO parameters into rp; 0, or -1 after a reply. */
static int
smtpd_rcpt_params(struct smtpd_session *s, const struct addr_path *path,
    struct smtpd_rcpt_params *rp)
{
	struct smtp_param bad;
	const char *err = "syntax error";
	char what[64];

	switch (smtpd_parse_rcpt_params(path->params, path->params_len, rp,
	    &bad, &err)) {
	case SMTP_PARAMS_OK:
		return 0;
	case SMTP_PARAMS_SYNTAX:
		smtpd_reply(s, "501 5.5.4 Bad RCPT parameter syntax: %s", err);
		return -1;
	case SMTP_PARAMS_UNKNOWN:
		log_sanitize(what, sizeof(what), bad.key, bad.key_len);
		smtpd_reply(s, "555 5.5.4 Unsupported option: %s", what);
		return -1;
	}
	return -1;
}

/* Remember an accepted recipient and its RDSN words. */
static void
smtpd_add_rcpt(struct smtpd_session *s, const struct addr_path *path,
    const struct smtpd_rcpt_params *rp)
{
	char words[SMTPD_ORCPT_MAX + 96];

	s->rcpt = xreallocarray(s->rcpt, s->nrcpt + 1, sizeof(*s->rcpt));
	s->rcpt_dsn = xreallocarray(s->rcpt_dsn, s->nrcpt + 1,
	    sizeof(*s->rcpt_dsn));
	s->rcpt_dsn[s->nrcpt] = smtpd_rcpt_dsn_words(rp, words,
	    sizeof(words)) > 0 ? xstrdup(words) : NULL;
	s->rcpt[s->nrcpt++] = xstrndup(path->addr, path->addr_len);
}

/* RCPT TO:<recipient> [NOTIFY=...] [ORCPT=...] */
static int
cmd_rcpt(struct smtpd_session *s, const char *arg, size_t len)
{
	struct addr_path path;
	struct smtpd_rcpt_params rp;
	const char *rest, *err = "syntax error";
	size_t rest_len;

	if (!smtp_parse_keyword(arg, len, "TO:", &rest, &rest_len)) {
		smtpd_reply(s, "501 5.5.4 Syntax: RCPT TO:<address>");
		return -1;
	}
	if (addr_parse_path(rest, rest_len, ADDR_ALLOW_UTF8, &path, &err) < 0) {
		smtpd_reply(s, "501 5.1.3 Bad recipient address syntax (%s)",
		    err);
		return -1;
	}
	if (smtpd_utf8_ok(s, "RCPT", path.addr) < 0 ||
	    smtpd_rcpt_params(s, &path, &rp) < 0)
		return -1;
	if (s->nrcpt >= (size_t)var_smtpd_recipient_limit) {
		smtpd_reply(s, "452 4.5.3 Error: too many recipients");
		return -1;
	}
	if (smtpd_check_rcpt(s, path.addr) < 0)
		return -1;
	smtpd_add_rcpt(s, &path, &rp);
	smtpd_reply(s, "250 2.1.5 Ok");
	return 0;
}

/* RSET: abandon the transaction. */
static int
cmd_rset(struct smtpd_session *s, const char *arg, size_t len)
{
	(void)arg;
	if (len > 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: RSET");
		return -1;
	}
	smtpd_reset(s);
	smtpd_reply(s, "250 2.0.0 Ok");
	return 0;
}

/* NOOP (an argument is allowed and ignored, RFC 5321 4.1.1.9). */
static int
cmd_noop(struct smtpd_session *s, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	smtpd_reply(s, "250 2.0.0 Ok");
	return 0;
}

/* QUIT: say goodbye and end the session. */
static int
cmd_quit(struct smtpd_session *s, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	smtpd_reply(s, "221 2.0.0 Bye");
	s->done = 1;
	return 0;
}

/* HELP: list the commands (unless smtpd_help_enable = no). */
static int
cmd_help(struct smtpd_session *s, const char *arg, size_t len)
{
	(void)arg;
	(void)len;
	if (!var_smtpd_help_enable) {
		smtpd_reply(s, "502 5.5.1 Error: command not implemented");
		return -1;
	}
	smtpd_reply(s, "214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT "
	    "RSET NOOP QUIT HELP VRFY ETRN STARTTLS AUTH");
	return 0;
}

/* VRFY: never disclose whether a user exists (RFC 5321 3.5.3, 7.3). */
static int
cmd_vrfy(struct smtpd_session *s, const char *arg, size_t len)
{
	(void)arg;
	if (var_disable_vrfy_command) {
		smtpd_reply(s, "502 5.5.1 VRFY command is disabled");
		return -1;
	}
	if (len == 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: VRFY address");
		return -1;
	}
	smtpd_reply(s, "252 2.0.0 Cannot VRFY user, but will accept message "
	    "and attempt delivery");
	return 0;
}

/* Check the command's sequence flags; 0 or -1 after a 503/502 reply. */
static int
smtpd_check_state(struct smtpd_session *s, const struct smtpd_cmd *cmd)
{
	if (cmd->flags & NOT_IMPL)
		smtpd_reply(s, "502 5.5.1 Command not implemented");
	else if ((cmd->flags & NEED_HELO) && !s->helo_seen)
		smtpd_reply(s, "503 5.5.1 Error: send HELO/EHLO first");
	else if ((cmd->flags & NO_MAIL) && s->in_mail)
		smtpd_reply(s, "503 5.5.1 Error: nested MAIL command");
	else if ((cmd->flags & NEED_MAIL) && !s->in_mail)
		smtpd_reply(s, "503 5.5.1 Error: need MAIL command");
	else if ((cmd->flags & NEED_RCPT) && s->nrcpt == 0)
		smtpd_reply(s, "503 5.5.1 Error: need RCPT command");
	else
		return 0;
	return -1;
}

/* Count one command for the disconnect summary. */
static void
smtpd_count(struct smtpd_session *s, size_t idx, int ok)
{
	s->counts[idx].total++;
	s->commands.total++;
	if (ok) {
		s->counts[idx].ok++;
		s->commands.ok++;
	}
}

/* Parse one command line and run it through the table. */
void
smtpd_dispatch(struct smtpd_session *s, const char *line, size_t len)
{
	struct smtp_command cmd;
	size_t i;
	int rc;

	if (smtp_parse_command(line, len, &cmd) < 0) {
		smtpd_reply(s, "500 5.5.2 Error: bad syntax");
		smtpd_count(s, SMTPD_UNKNOWN, 0);
		return;
	}
	for (i = 0; i < SMTPD_NCMDS; i++)
		if (str_casecmp_n(cmd.verb, cmd.verb_len, smtpd_cmds[i].verb) == 0)
			break;
	if (i == SMTPD_NCMDS) {
		smtpd_reply(s, "502 5.5.2 Error: command not recognized");
		smtpd_count(s, SMTPD_UNKNOWN, 0);
		s->last_verb = "UNKNOWN";
		return;
	}
	s->last_verb = smtpd_cmds[i].verb;
	if (smtpd_improper_pipelining(s, smtpd_cmds[i].verb))
		return;
	rc = smtpd_check_state(s, &smtpd_cmds[i]);
	if (rc == 0)
		rc = smtpd_cmds[i].fn(s, cmd.arg, cmd.arg_len);
	smtpd_count(s, i, rc == 0);
}

/* Append " verb=ok[/total]" for one counter. */
static void
smtpd_count_one(char *dst, size_t n, const char *name,
    const struct smtpd_count *c)
{
	size_t used = strlen(dst);
	char lower[16];

	if (c->total == 0 || used >= n)
		return;
	snprintf(lower, sizeof(lower), "%s", name);
	str_lower(lower);
	if (c->ok == c->total)
		snprintf(dst + used, n - used, " %s=%ld", lower, c->total);
	else
		snprintf(dst + used, n - used, " %s=%ld/%ld", lower, c->ok,
		    c->total);
}

/* The disconnect line's command counts, Postfix style. */
void
smtpd_count_summary(const struct smtpd_session *s, char *dst, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	dst[0] = '\0';
	for (i = 0; i < SMTPD_NCMDS; i++)
		smtpd_count_one(dst, n, smtpd_cmds[i].verb, &s->counts[i]);
	smtpd_count_one(dst, n, "unknown", &s->counts[SMTPD_UNKNOWN]);
	if (s->commands.total == 0) {
		snprintf(dst + strlen(dst), n - strlen(dst), " commands=0");
		return;
	}
	smtpd_count_one(dst, n, "commands", &s->commands);
}
