/*
 * tls.c - TLS for petrel-pop3d: the server context, STLS (RFC 2595 4) on
 * pop3d_listen and implicit TLS on pop3d_pop3s_listen (RFC 8314), and the
 * rule for when a password may travel in clear.
 *
 * Public: pop3d_tls_init, pop3d_tls_reload (SIGHUP: a renewed certificate),
 * pop3d_tls_offered, pop3d_tls_wrap,
 * pop3d_cmd_stls, pop3d_plaintext_ok, pop3d_plaintext_init (see pop3d.h).
 * pop3d_tls_init runs as root in the parent before the privilege drop
 * (spec.pre_drop): when pop3d_tls_cert_file and pop3d_tls_key_file are
 * both set but neither file exists, it makes a self-signed pair for
 * $myhostname (key mode 0600, owned by root), then loads the context,
 * which the workers inherit: they never read the key.  No certificate: no
 * STLS, and a pop3s listener is fatal.  A broken certificate is fatal.
 * STLS answers +OK and starts the handshake; conn_starttls_server() drops
 * whatever the client pipelined after the command (command injection
 * defence), and the session forgets a USER name given before.  The
 * handshake is bounded by POP3D_TLS_TIMEOUT.  A failed handshake ends the
 * session.
 * Plaintext passwords: allowed over TLS, on stdin and unix sockets, when
 * pop3d_plaintext_auth = yes, or from pop3d_plaintext_auth_networks;
 * never otherwise (loopback included, as the issue asks).
 * Security: the key is read only by root; handshake errors are logged
 * with the client address only.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "netmatch.h"
#include "params.h"
#include "pop3d.h"
#include "tls.h"

#define POP3D_TLS_TIMEOUT	60	/* seconds for one handshake */

static struct tls_ctx *pop3d_tls_ctx;
static struct netmatch *pop3d_plain_nets;
static int pop3d_plain_nets_ready;

/* Load (or first make) the certificate; fatal on a broken setup. */
void
pop3d_tls_init(void)
{
	const char *cert = var_pop3d_tls_cert_file, *key = var_pop3d_tls_key_file;
	const char *err = NULL;

	if (cert == NULL || key == NULL || *cert == '\0' || *key == '\0') {
		if (var_pop3d_pop3s_listen != NULL && *var_pop3d_pop3s_listen)
			log_fatal("pop3d_pop3s_listen needs pop3d_tls_cert_file "
			    "and pop3d_tls_key_file");
		return;
	}
	pop3d_tls_ctx = tls_server_ctx_load(cert, key, var_myhostname, &err);
	if (pop3d_tls_ctx == NULL)
		log_fatal("TLS certificate %s / key %s: %s", cert, key,
		    err != NULL ? err : "error");
}

/* SIGHUP in the parent: take a renewed certificate (tls_server_ctx_reload). */
void
pop3d_tls_reload(void)
{
	tls_server_ctx_reload(&pop3d_tls_ctx, var_pop3d_tls_cert_file,
	    var_pop3d_tls_key_file, var_myhostname);
}

/* 1 when STLS can be offered on this session. */
int
pop3d_tls_offered(const struct pop3d_session *s)
{
	return pop3d_tls_ctx != NULL && !conn_is_tls(s->conn) &&
	    s->conn->fd_in == s->conn->fd_out;
}

/* The handshake, bounded by POP3D_TLS_TIMEOUT; 0 or -1 (logged). */
static int
pop3d_tls_handshake(struct pop3d_session *s)
{
	struct conn *c = s->conn;
	time_t saved = c->deadline, limit = time(NULL) + POP3D_TLS_TIMEOUT;
	const char *err = NULL;
	char info[128];
	int rc;

	if (saved == 0 || limit < saved)
		conn_set_deadline(c, limit);
	rc = conn_starttls_server(c, pop3d_tls_ctx, &err);
	conn_set_deadline(c, saved);
	if (rc != 0) {
		log_info("TLS handshake failed: rip=%s: %s", s->rip,
		    err != NULL ? err : "handshake failed");
		s->closing = 1;
		return -1;
	}
	log_info("TLS established: rip=%s, %s", s->rip,
	    conn_tls_info(c, info, sizeof(info)));
	return 0;
}

/* pop3s: the handshake before the greeting; 0 or -1 (session over). */
int
pop3d_tls_wrap(struct pop3d_session *s)
{
	if (pop3d_tls_ctx == NULL || s->conn->fd_in != s->conn->fd_out) {
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
	const char *list = var_pop3d_plaintext_auth_networks, *err = NULL;

	if (pop3d_plain_nets_ready)
		return;
	pop3d_plain_nets_ready = 1;
	if (list == NULL || *list == '\0')
		return;
	if ((pop3d_plain_nets = netmatch_new(list, &err)) == NULL)
		log_warn("pop3d_plaintext_auth_networks: %s (plaintext "
		    "logins refused)", err != NULL ? err : "bad list");
}

/* 1 when a password may be sent on this session as it is now. */
int
pop3d_plaintext_ok(const struct pop3d_session *s)
{
	if (conn_is_tls(s->conn) || s->trusted_peer || var_pop3d_plaintext_auth)
		return 1;
	pop3d_plaintext_init();
	return pop3d_plain_nets != NULL &&
	    netmatch_match(pop3d_plain_nets, s->rip);
}
