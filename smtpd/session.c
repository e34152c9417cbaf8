/*
 * session.c - one SMTP session of petrel-smtpd, from greeting to close.
 *
 * Public: smtpd_session, smtpd_open_maps, smtpd_resolver, smtpd_reply,
 * smtpd_lost, smtpd_reset, smtpd_proto.
 * The loop reads one bounded command line at a time (conn.c flushes the
 * buffered replies only when no more input is buffered, which gives
 * PIPELINING), hands it to the command table (cmd.c) and enforces the
 * bounds: line length (500 5.5.2), error budget smtpd_hard_error_limit
 * (421 4.7.0, close), read timeout smtpd_timeout and the session deadline
 * smtpd_session_time_limit (421 4.4.2, close).  EOF just closes.
 * Logging follows Postfix's shape: "connect from", "disconnect from ...
 * ehlo=1 mail=1 ... commands=N", "lost connection after X from ...".
 * Security: runs as smtpd_user in a pre-forked worker; all input is
 * untrusted.  In -S mode (stdin/stdout) the client counts as 127.0.0.1.
 * The client's name is its forward-confirmed PTR name (peername.c), or
 * "unknown"; stdin (-S) and local-socket clients are "unknown".
 * The listener that accepted (peer->listener) gives the role: smtp,
 * submission (AUTH required before MAIL) or smtps (TLS handshake before
 * the greeting); per-client limits (climit.c) are checked before the
 * greeting (after the handshake on smtps) and refused with 421 4.7.0.
 * On port 25 the DNSBL/DNSWL verdict (dnsbl.c) is taken before the 220;
 * a blocked client's commands (but QUIT) get 550 5.7.1 from
 * smtpd_dnsbl_gate.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "conn.h"
#include "inject.h"
#include "log.h"
#include "netmatch.h"
#include "params.h"
#include "resolve.h"
#include "smtpd.h"

static struct resolver *smtpd_res;
static struct netmatch *smtpd_nets;
static int smtpd_maps_opened;

/* Open the resolver and mynetworks once per process (after the drop);
 * a resolver that failed (maps not built yet) is retried per session. */
void
smtpd_open_maps(void)
{
	const char *err = NULL;

	if (smtpd_res == NULL) {
		smtpd_res = resolver_new(&err);
		if (smtpd_res == NULL)
			log_warn("resolver: %s (recipients get 451)",
			    err != NULL ? err : "error");
	}
	if (smtpd_maps_opened)
		return;
	smtpd_maps_opened = 1;
	smtpd_auth_open_maps();
	smtpd_climit_open();
	err = NULL;
	smtpd_nets = netmatch_new(var_mynetworks != NULL ? var_mynetworks : "",
	    &err);
	if (smtpd_nets == NULL)
		log_fatal("mynetworks: %s", err != NULL ? err : "bad value");
}

/* The process's resolver, or NULL when its maps could not be opened. */
struct resolver *
smtpd_resolver(void)
{
	return smtpd_res;
}

/* Queue one reply line (CRLF added); 4xx/5xx count against the budget. */
void
smtpd_reply(struct smtpd_session *s, const char *fmt, ...)
{
	char line[1024];
	const char *text;
	va_list ap;

	va_start(ap, fmt);
	text = conn_vputline(s->conn, line, sizeof(line), fmt, ap);
	va_end(ap);
	if ((text[0] == '4' || text[0] == '5') && strncmp(text, "421", 3) != 0)
		s->errors++;
}

/* "SMTP" after HELO; after EHLO "ESMTP" with "S" for TLS and "A" for
 * AUTH (RFC 3848), "UTF8SMTP..." in an SMTPUTF8 transaction (RFC 6531
 * 3.7.3), for logs and Received:. */
const char *
smtpd_proto(const struct smtpd_session *s)
{
	static const char *const utf8[] = { "UTF8SMTP", "UTF8SMTPA",
	    "UTF8SMTPS", "UTF8SMTPSA" };
	int tls = s->tls_info[0] != '\0', auth = s->auth_user[0] != '\0';

	if (s->helo_seen == 1)
		return "SMTP";
	if (s->mail_opts.smtputf8)
		return utf8[tls * 2 + auth];
	if (tls)
		return auth ? "ESMTPSA" : "ESMTPS";
	return auth ? "ESMTPA" : "ESMTP";
}

/* Forget the current transaction (sender, recipients, parameters); a
 * BDAT transaction still open at the queue is abandoned. */
void
smtpd_reset(struct smtpd_session *s)
{
	size_t i;

	for (i = 0; i < s->nrcpt; i++) {
		free(s->rcpt[i]);
		free(s->rcpt_dsn[i]);
	}
	free(s->rcpt);
	free(s->rcpt_dsn);
	s->rcpt = s->rcpt_dsn = NULL;
	s->nrcpt = 0;
	s->in_mail = 0;
	s->sender[0] = '\0';
	s->qid[0] = '\0';
	memset(&s->mail_opts, 0, sizeof(s->mail_opts));
	s->mail_opts.size = -1;
	s->mail_opts.body = SMTP_BODY_NONE;
	if (s->bdat_open)
		inject_close(&s->ij);	/* the service drops the file */
	s->bdat = s->bdat_open = s->bdat_failed = 0;
	smtpd_chunk_init(&s->chunk);
}

/* The input ended (EOF, error, timeout, deadline): say so and stop. */
void
smtpd_lost(struct smtpd_session *s)
{
	const char *after = s->last_verb != NULL ? s->last_verb : "CONNECT";
	struct conn *c = s->conn;

	s->done = 1;
	if (!c->timed_out) {
		log_info("lost connection after %s from %s[%s]", after,
		    s->name, s->addr);
		return;
	}
	if (c->deadline != 0 && time(NULL) >= c->deadline) {
		conn_set_deadline(c, 0);	/* let the reply go out */
		smtpd_reply(s, "421 4.4.2 %s Error: session time limit "
		    "exceeded", var_myhostname);
		log_info("session time limit exceeded after %s from %s[%s]",
		    after, s->name, s->addr);
	} else {
		smtpd_reply(s, "421 4.4.2 %s Error: timeout exceeded",
		    var_myhostname);
		log_info("timeout after %s from %s[%s]", after, s->name,
		    s->addr);
	}
	c->timed_out = 0;	/* the write gets its own timeout */
}

/* Fill in who the client is and whether it is in mynetworks; stdin (-S)
 * and local sockets count as 127.0.0.1, so mynetworks still decides. */
static void
smtpd_identify(struct smtpd_session *s, const struct server_peer *peer)
{
	const char *a = peer->addr[0] != '\0' ? peer->addr : "127.0.0.1";

	snprintf(s->addr, sizeof(s->addr), "%s", a);
	if (peer->addr[0] != '\0')
		smtpd_peer_name(s->addr, s->name, sizeof(s->name));
	else
		snprintf(s->name, sizeof(s->name), "unknown");
	s->trusted = smtpd_nets != NULL && netmatch_match(smtpd_nets, s->addr);
}

/* Read and execute commands until QUIT, EOF or a bound is hit. */
static void
smtpd_loop(struct smtpd_session *s)
{
	const char *line;
	size_t len;
	enum line_ending end;

	while (!s->done) {
		if (s->errors >= var_smtpd_hard_error_limit) {
			smtpd_reply(s, "421 4.7.0 %s Error: too many errors",
			    var_myhostname);
			log_info("too many errors after %s from %s[%s]",
			    s->last_verb != NULL ? s->last_verb : "CONNECT",
			    s->name, s->addr);
			break;
		}
		switch (conn_read_line(s->conn, &line, &len, &end)) {
		case CONN_LINE:
			if (!smtpd_dnsbl_gate(s, line, len))
				smtpd_dispatch(s, line, len);
			break;
		case CONN_TOO_LONG:
			smtpd_reply(s, "500 5.5.2 Error: Line too long");
			break;
		case CONN_EOF:
			smtpd_lost(s);
			break;
		}
	}
}

/* Per-client limits at connect: 0, or -1 after a 421 (logged). */
static int
smtpd_admit(struct smtpd_session *s)
{
	switch (smtpd_climit_connect(s->addr)) {
	case 0:
		return 0;
	case -1:
		log_warn("Connection concurrency limit exceeded: %s[%s]",
		    s->name, s->addr);
		smtpd_reply(s, "421 4.7.0 %s Error: too many connections from "
		    "your address", var_myhostname);
		break;
	default:
		log_warn("Connection rate limit exceeded: %s[%s]", s->name,
		    s->addr);
		smtpd_reply(s, "421 4.7.0 %s Error: too many connections from "
		    "your address, try again later", var_myhostname);
		break;
	}
	s->done = 1;
	return -1;
}

/* Port 25 with smtpd_greet_wait: the first greeting line is "220-", then
 * the client must stay silent for the wait; a client that talks first
 * (a spam robot that does not wait for the greeting) is refused with 554
 * and logged "PREGREET".  Skipped under stress (server.h) and for
 * clients in mynetworks.  0 go on, -1 the session ends. */
static int
smtpd_pregreet(struct smtpd_session *s)
{
	char got[48], shown[160];
	long n;
	int r;

	if (s->role != SMTPD_ROLE_SMTP || var_smtpd_greet_wait <= 0 ||
	    s->trusted || s->dnsbl_allowed || server_under_stress())
		return 0;
	smtpd_reply(s, "220-%s", var_smtpd_banner);
	r = conn_peek_input(s->conn, (int)var_smtpd_greet_wait * 1000);
	if (r == 0)
		return 0;
	if (r > 0) {
		smtpd_dnsbl_finish(s);	/* a DNSWL-listed client may */
		if (s->dnsbl_allowed)
			return 0;
	}
	s->done = 1;
	if (r < 0) {
		log_info("lost connection during the greeting from %s[%s]",
		    s->name, s->addr);
		return -1;
	}
	n = conn_read_raw(s->conn, got, sizeof(got));	/* ends anyway */
	log_sanitize(shown, sizeof(shown), got, n > 0 ? (size_t)n : 0);
	log_info("PREGREET %ld after 220- from %s[%s]: %s", n, s->name,
	    s->addr, shown);
	smtpd_reply(s, "554 5.5.1 %s Error: client talks before the greeting",
	    var_myhostname);
	return -1;
}

/* Implicit TLS (smtps), limits, the DNSBL lookups (sent before the
 * greeting wait, answered during it: dnsbl.c) and the greeting; 0, or -1
 * when the session ends before any command. */
static int
smtpd_start(struct smtpd_session *s)
{
	if (s->role == SMTPD_ROLE_SMTPS && smtpd_tls_wrap(s) < 0)
		return -1;
	if (smtpd_admit(s) < 0)
		return -1;
	smtpd_dnsbl_start(s);
	if (smtpd_pregreet(s) < 0)
		return -1;
	smtpd_dnsbl_finish(s);
	smtpd_reply(s, "220 %s", var_smtpd_banner);
	return 0;
}

/* Serve one client on fd_in/fd_out. */
void
smtpd_session(int fd_in, int fd_out, const struct server_peer *peer)
{
	struct smtpd_session s;
	char summary[512];

	smtpd_open_maps();
	memset(&s, 0, sizeof(s));
	s.mail_opts.size = -1;
	s.role = peer->listener == 1 ? SMTPD_ROLE_SUBMISSION :
	    peer->listener == 2 ? SMTPD_ROLE_SMTPS : SMTPD_ROLE_SMTP;
	s.conn = conn_new(fd_in, fd_out,
	    (size_t)var_smtpd_line_length_limit + 2, (int)var_smtpd_timeout);
	conn_set_deadline(s.conn, time(NULL) + var_smtpd_session_time_limit);
	smtpd_identify(&s, peer);
	log_info("connect from %s[%s]", s.name, s.addr);
	if (smtpd_start(&s) == 0)
		smtpd_loop(&s);
	smtpd_climit_disconnect();
	if (conn_flush(s.conn) < 0 && !s.conn->timed_out)
		log_info("write error to %s[%s]", s.name, s.addr);
	smtpd_count_summary(&s, summary, sizeof(summary));
	log_info("disconnect from %s[%s]%s", s.name, s.addr, summary);
	smtpd_reset(&s);
	smtpd_dnsbl_end(&s);
	smtpd_inject_keep(&s.ij);
	conn_free(&s.conn);	/* the server skeleton closes the descriptor */
}
