/*
 * tls_server.h - the server side of TLS for every daemon that offers it
 * (smtpd, pop3d, imapd): the context, its reload, STARTTLS and implicit
 * TLS over a struct conn, and the rule for passwords in clear.
 *
 * A daemon describes itself with a small struct tls_server_settings whose
 * members point at its configuration variables (so a SIGHUP re-read is
 * seen without copying anything), keeps one struct tls_server, and writes
 * only its own STARTTLS/STLS reply.
 *
 * Public:
 *   tls_server_new(settings)      the daemon's TLS state; TLS is off until
 *                                 tls_server_load().  Never NULL.
 *   tls_server_free(&srv)         frees the context too; NULLs.
 *   tls_server_load(srv, &errstr) as root, before the privilege drop: when
 *                                 cert and key file are both set, load them
 *                                 (making a self-signed pair for
 *                                 $myhostname when neither file exists).
 *                                 0 (TLS on, or off when no file is set)
 *                                 or -1 with "TLS certificate C / key K:
 *                                 reason" (the daemon makes it fatal).
 *   tls_server_reload(srv)        SIGHUP, in the parent: load the files
 *                                 again; a failure is logged and the old
 *                                 context kept (tls_server_ctx_reload).
 *   tls_server_enabled(srv)       1 when a context is loaded.
 *   tls_server_get_ctx(srv)       the loaded struct tls_ctx * or NULL, for a
 *                                 daemon that drives tls_session_* itself
 *                                 (imapd's event-driven login process);
 *                                 valid until the next reload or free.
 *   tls_server_timeout(srv)       seconds one handshake may take.
 *   tls_server_offered(srv, c)    1 when STARTTLS may be offered on c: a
 *                                 context, a socket (fd_in == fd_out), not
 *                                 already TLS.  Also the precondition of
 *                                 implicit TLS.
 *   tls_server_handshake(srv, c, &errstr)  the server handshake on c, for
 *                                 implicit TLS (before the greeting) and
 *                                 for STARTTLS (after the daemon's reply is
 *                                 flushed): buffered input is discarded
 *                                 first (command injection defence) and
 *                                 the handshake is bounded by the settings'
 *                                 timeout on top of the session deadline,
 *                                 which is restored after.  0, or -1 (the
 *                                 connection is dead; "TLS not available"
 *                                 when tls_server_offered() was false).
 *   tls_server_plaintext_init(srv)  parse the plaintext networks now (once
 *                                 per process; a bad list is logged and
 *                                 then allows nobody).
 *   tls_server_plaintext_ok(srv, is_tls, trusted_peer, addr)  1 when a
 *                                 password may be sent: over TLS, from a
 *                                 trusted peer (stdin, unix socket), when
 *                                 *plaintext_auth is set, or when addr is in
 *                                 *plaintext_networks; else 0 (loopback TCP
 *                                 included).  Needs no struct conn.
 * A third daemon plugs in with its own settings (all pointers to its
 * parameters, e.g. &var_imapd_tls_cert_file, &var_imapd_starttls_timeout)
 * and a thin file for its STARTTLS reply.  An event-driven process that
 * does not use struct conn (imapd's login stage) takes
 * tls_server_get_ctx(), runs tls_session_new(ctx, fd, NULL,
 * CONN_TLS_VERIFY_NONE, ...) and tls_session_handshake() from tls.h on
 * its own non-blocking descriptors, bounds them with
 * tls_server_timeout(), and asks tls_server_plaintext_ok() before it
 * takes a password.
 * Security: tls_server_load and tls_server_reload run as root (the key is
 * read only there; workers inherit the context).  Handshake errors carry
 * OpenSSL's reason only; the caller logs them with the client address.
 */
#ifndef PETREL_TLS_SERVER_H
#define PETREL_TLS_SERVER_H

#include <stddef.h>
#include "log.h"

struct conn;
struct tls_ctx;
struct tls_server;

struct tls_server_settings {
	const char *name;		/* "pop3d": messages name <name>_... */
	char *const *cert_file;		/* e.g. &var_pop3d_tls_cert_file */
	char *const *key_file;		/* e.g. &var_pop3d_tls_key_file */
	const long *timeout;		/* seconds per handshake (> 0) */
	const int *plaintext_auth;	/* NULL: no such switch */
	char *const *plaintext_networks; /* NULL: no such list */
};

struct tls_server *tls_server_new(const struct tls_server_settings *set);
void tls_server_free(struct tls_server **srvp);
int tls_server_load(struct tls_server *srv, const char **errstr_r)
    WARN_UNUSED;
void tls_server_reload(struct tls_server *srv);
int tls_server_enabled(const struct tls_server *srv);
struct tls_ctx *tls_server_get_ctx(const struct tls_server *srv);
long tls_server_timeout(const struct tls_server *srv);
int tls_server_offered(const struct tls_server *srv, const struct conn *c);
int tls_server_handshake(struct tls_server *srv, struct conn *c,
    const char **errstr_r) WARN_UNUSED;
void tls_server_plaintext_init(struct tls_server *srv);
int tls_server_plaintext_ok(struct tls_server *srv, int is_tls,
    int trusted_peer, const char *addr);

#endif
