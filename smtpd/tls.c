/*
 * tls.c - petrel-smtpd's side of TLS: its settings for the shared
 * common/tls_server module, STARTTLS (RFC 3207) on the smtp and submission
 * listeners, implicit TLS on smtps (RFC 8314).
 *
 * Public: smtpd_tls_init, smtpd_tls_reload (SIGHUP: a renewed certificate),
 * smtpd_tls_offered, smtpd_tls_wrap,
 * smtpd_cmd_starttls.
 * smtpd_tls_init runs as root in the parent before the privilege drop
 * (spec.pre_drop) and loads smtpd_tls_cert_file/smtpd_tls_key_file
 * through tls_server_load (a self-signed pair for $myhostname when neither
 * exists); the workers inherit the context and never read the key.
 * No certificate configured: no STARTTLS, and an smtps listener is fatal.
 * A broken certificate is fatal too (better than silently plaintext).
 * STARTTLS answers 220 and starts the handshake; tls_server_handshake()
 * throws away everything the client pipelined after the command (command
 * injection defence), and the session forgets EHLO, the transaction and
 * any authentication: the client must EHLO again (RFC 3207 4.2).  The
 * handshake is bounded by smtpd_starttls_timeout on top of the session
 * deadline.  A failed handshake ends the session (the connection is dead).
 * Returns: handlers give 0 or -1 like every command handler; smtpd_tls_wrap
 * 0 or -1 (session over).
 * Security: the key is read only by root; handshake errors are logged
 * with the client address only.
 */
#include "conn.h"
#include "log.h"
#include "params.h"
#include "smtpd.h"
#include "tls_server.h"

static const struct tls_server_settings smtpd_tls_settings = {
	.name = "smtpd",
	.cert_file = &var_smtpd_tls_cert_file,
	.key_file = &var_smtpd_tls_key_file,
	.timeout = &var_smtpd_starttls_timeout,
	.plaintext_auth = NULL,		/* smtpd_tls_auth_only, in auth.c */
	.plaintext_networks = NULL,
};

static struct tls_server *smtpd_tls;

/* smtpd's TLS state, made on first use (-S mode has no pre_drop). */
static struct tls_server *
smtpd_tls_server(void)
{
	if (smtpd_tls == NULL)
		smtpd_tls = tls_server_new(&smtpd_tls_settings);
	return smtpd_tls;
}

/* Load (or first make) the certificate; fatal on a broken setup. */
void
smtpd_tls_init(void)
{
	const char *err = NULL;

	if (tls_server_load(smtpd_tls_server(), &err) != 0)
		log_fatal("%s", err);
	if (tls_server_enabled(smtpd_tls))
		return;
	if (var_smtpd_smtps_listen != NULL && *var_smtpd_smtps_listen)
		log_fatal("smtpd_smtps_listen needs smtpd_tls_cert_file "
		    "and smtpd_tls_key_file");
	if (var_smtpd_submission_listen != NULL &&
	    *var_smtpd_submission_listen && var_smtpd_tls_auth_only)
		log_warn("smtpd_submission_listen without a TLS "
		    "certificate: nobody can authenticate there");
}

/* SIGHUP in the parent: take a renewed certificate. */
void
smtpd_tls_reload(void)
{
	tls_server_reload(smtpd_tls_server());
}

/* 1 when STARTTLS can be offered on this session. */
int
smtpd_tls_offered(const struct smtpd_session *s)
{
	return tls_server_offered(smtpd_tls_server(), s->conn);
}

/* The bounded handshake; 0 or -1 (logged, session over). */
static int
smtpd_tls_handshake(struct smtpd_session *s)
{
	const char *err = NULL;

	if (tls_server_handshake(smtpd_tls_server(), s->conn, &err) != 0) {
		log_info("SSL_accept error from %s[%s]: %s", s->name, s->addr,
		    err != NULL ? err : "handshake failed");
		s->done = 1;
		return -1;
	}
	conn_tls_info(s->conn, s->tls_info, sizeof(s->tls_info));
	log_info("Anonymous TLS connection established from %s[%s]: %s",
	    s->name, s->addr, s->tls_info);
	return 0;
}

/* smtps: the handshake before the greeting; 0 or -1 (session over). */
int
smtpd_tls_wrap(struct smtpd_session *s)
{
	if (!smtpd_tls_offered(s)) {
		log_warn("smtps connection from %s[%s] without TLS "
		    "(no certificate, or not a socket)", s->name, s->addr);
		s->done = 1;
		return -1;
	}
	return smtpd_tls_handshake(s);
}

/* Forget everything learnt before TLS (RFC 3207 4.2). */
static void
smtpd_tls_forget(struct smtpd_session *s)
{
	smtpd_reset(s);
	s->helo_seen = 0;
	s->helo[0] = '\0';
	s->auth_user[0] = '\0';
	s->auth_method = NULL;
}

/* STARTTLS: 220, then the handshake. */
int
smtpd_cmd_starttls(struct smtpd_session *s, const char *arg, size_t len)
{
	(void)arg;
	if (len > 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: STARTTLS");
		return -1;
	}
	if (conn_is_tls(s->conn)) {
		smtpd_reply(s, "554 5.5.1 Error: TLS already active");
		return -1;
	}
	if (!smtpd_tls_offered(s)) {
		smtpd_reply(s, "454 4.7.0 TLS not available due to local "
		    "problem");
		return -1;
	}
	smtpd_reply(s, "220 2.0.0 Ready to start TLS");
	if (conn_flush(s->conn) < 0) {
		s->done = 1;
		return -1;
	}
	smtpd_tls_forget(s);
	return smtpd_tls_handshake(s);
}
