/*
 * tls.c - petrel-pop3d's side of TLS: its settings for the shared
 * common/tls_server module, STLS (RFC 2595 4) on pop3d_listen, implicit
 * TLS on pop3d_pop3s_listen (RFC 8314), and the plaintext-password rule.
 *
 * Public: pop3d_tls_init, pop3d_tls_reload (SIGHUP: a renewed certificate),
 * pop3d_tls_offered, pop3d_tls_wrap, pop3d_cmd_stls, pop3d_plaintext_ok,
 * pop3d_plaintext_init (see pop3d.h).
 * pop3d_tls_init runs as root in the parent before the privilege drop
 * (spec.pre_drop) and loads pop3d_tls_cert_file/pop3d_tls_key_file
 * (making a self-signed pair when neither exists); the workers inherit
 * the context and never read the key.  No certificate: no STLS, and a
 * pop3s listener is fatal.  A broken certificate is fatal.
 * STLS answers +OK and starts the handshake (bounded by
 * pop3d_starttls_timeout); whatever the client pipelined after the
 * command is dropped, and the session forgets a USER name given before.
 * A failed handshake ends the session.
 * Plaintext passwords: allowed over TLS, on stdin and unix sockets, when
 * pop3d_plaintext_auth = yes, or from pop3d_plaintext_auth_networks;
 * never otherwise (loopback included).
 * Security: handshake errors are logged with the client address only.
 */
#include "log.h"
#include "params.h"
#include "pop3d.h"
#include "tls_server.h"

static const struct tls_server_settings pop3d_tls_settings = {
	.name = "pop3d",
	.cert_file = &var_pop3d_tls_cert_file,
	.key_file = &var_pop3d_tls_key_file,
	.timeout = &var_pop3d_starttls_timeout,
	.plaintext_auth = &var_pop3d_plaintext_auth,
	.plaintext_networks = &var_pop3d_plaintext_auth_networks,
};

static struct tls_server *pop3d_tls;

/* pop3d's TLS state, made on first use (-S mode has no pre_drop). */
static struct tls_server *
pop3d_tls_server(void)
{
	if (pop3d_tls == NULL)
		pop3d_tls = tls_server_new(&pop3d_tls_settings);
	return pop3d_tls;
}

/* Load (or first make) the certificate; fatal on a broken setup. */
void
pop3d_tls_init(void)
{
	const char *err = NULL;

	if (tls_server_load(pop3d_tls_server(), &err) != 0)
		log_fatal("%s", err);
	if (!tls_server_enabled(pop3d_tls) && var_pop3d_pop3s_listen != NULL &&
	    *var_pop3d_pop3s_listen != '\0')
		log_fatal("pop3d_pop3s_listen needs pop3d_tls_cert_file "
		    "and pop3d_tls_key_file");
}

/* SIGHUP in the parent: take a renewed certificate. */
void
pop3d_tls_reload(void)
{
	tls_server_reload(pop3d_tls_server());
}

/* 1 when STLS can be offered on this session. */
int
pop3d_tls_offered(const struct pop3d_session *s)
{
	return tls_server_offered(pop3d_tls_server(), s->conn);
}

/* The bounded handshake; 0 or -1 (logged, session over). */
static int
pop3d_tls_handshake(struct pop3d_session *s)
{
	const char *err = NULL;
	char info[128];

	if (tls_server_handshake(pop3d_tls_server(), s->conn, &err) != 0) {
		log_info("TLS handshake failed: rip=%s: %s", s->rip,
		    err != NULL ? err : "handshake failed");
		s->closing = 1;
		return -1;
	}
	log_info("TLS established: rip=%s, %s", s->rip,
	    conn_tls_info(s->conn, info, sizeof(info)));
	return 0;
}

/* pop3s: the handshake before the greeting; 0 or -1 (session over). */
int
pop3d_tls_wrap(struct pop3d_session *s)
{
	if (!pop3d_tls_offered(s)) {
		log_warn("pop3s connection from %s without TLS (no "
		    "certificate, or not a socket)", s->rip);
		s->closing = 1;
		return -1;
	}
	return pop3d_tls_handshake(s);
}

/* STLS: +OK, then the handshake (RFC 2595 4). */
void
pop3d_cmd_stls(struct pop3d_session *s, const char *p, size_t len)
{
	(void)p;
	if (len > 0) {
		pop3d_bad(s, "-ERR Invalid arguments.");
		return;
	}
	if (conn_is_tls(s->conn)) {
		pop3d_bad(s, "-ERR TLS is already active.");
		return;
	}
	if (!pop3d_tls_offered(s)) {
		pop3d_bad(s, "-ERR TLS support isn't enabled.");
		return;
	}
	pop3d_reply(s, "+OK Begin TLS negotiation now.");
	if (conn_flush(s->conn) < 0) {
		s->closing = 1;
		return;
	}
	pop3d_session_forget(s);
	(void)pop3d_tls_handshake(s);
}

/* Parse pop3d_plaintext_auth_networks once per process. */
void
pop3d_plaintext_init(void)
{
	tls_server_plaintext_init(pop3d_tls_server());
}

/* 1 when a password may be sent on this session as it is now. */
int
pop3d_plaintext_ok(const struct pop3d_session *s)
{
	return tls_server_plaintext_ok(pop3d_tls_server(),
	    conn_is_tls(s->conn), s->trusted_peer, s->rip);
}
