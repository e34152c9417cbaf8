/*
 * tls.h - TLS (OpenSSL 1.1.1+/3) contexts, sessions and self-signed certs.
 *
 * Public (for daemons and tools):
 *   tls_client_ctx_new(cafile, capath, &errstr)  cafile/capath NULL or "" =
 *                        the system default trust store.  TLS 1.2 minimum.
 *   tls_server_ctx_new(certfile, keyfile, &errstr)  certfile holds the chain
 *                        (leaf first).  TLS 1.2 minimum, no renegotiation.
 *   tls_ctx_free(&ctx)   frees and NULLs.
 *   tls_server_ctx_load(certfile, keyfile, cn, &errstr)  tls_server_ctx_new,
 *                    after making a self-signed pair for cn when neither
 *                    file exists yet (first start).
 *   tls_server_ctx_reload(&ctx, certfile, keyfile, cn)  on SIGHUP: load the
 *                    files again and replace *ctx; when that fails the
 *                    old context stays and a warning is logged.
 *   tls_make_selfsigned(certfile, keyfile, cn, &errstr)  RSA-2048 key and a
 *                        10-year self-signed certificate for cn (with
 *                        subjectAltName DNS:cn, or IP:cn for an address);
 *                        key written mode 0600.  0 or -1.
 * Public (for conn.c, and for event-driven servers that take their
 * context from tls_server_get_ctx(); others use conn_starttls_* in conn.h
 * and tls_server_handshake() in tls_server.h):
 *   tls_session_new(ctx, fd, name, verify, &errstr)  one SSL over fd; name is
 *                        the peer name for a client (SNI, and checked when
 *                        verify is CONN_TLS_VERIFY_NAME), NULL for a server.
 *   tls_session_handshake/read/write  never block (fd is non-blocking):
 *                        TLS_IO_DONE, TLS_IO_WANT_READ / TLS_IO_WANT_WRITE
 *                        (poll the fd, then call again with the same
 *                        arguments), TLS_IO_EOF (close_notify received),
 *                        TLS_IO_ERROR (the session is dead from then on).
 *   tls_session_error(s) text for a failed handshake: "handshake failed: ..",
 *                        "certificate verification failed: ..." or
 *                        "certificate name mismatch".
 *   tls_session_info(s, buf, size)  "TLSv1.3 with cipher X (256/256 bits)".
 *   tls_session_free(&s, notify)  notify: send close_notify once (never
 *                        waits); then free.
 * Error strings live in a static buffer valid until the next tls_ call.
 * Security: certificate names and peer data are untrusted; errors from
 * OpenSSL are reduced to their reason string.  Verification failures fail
 * the handshake (SSL_VERIFY_PEER), so no application data is ever exchanged
 * with an unverified peer when verification was asked for.
 */
#ifndef PETREL_TLS_H
#define PETREL_TLS_H

#include <stddef.h>
#include "log.h"

struct tls_ctx;
struct tls_session;

enum tls_io {
	TLS_IO_DONE,
	TLS_IO_WANT_READ,
	TLS_IO_WANT_WRITE,
	TLS_IO_EOF,
	TLS_IO_ERROR
};

struct tls_ctx *tls_client_ctx_new(const char *cafile, const char *capath,
    const char **errstr_r);
struct tls_ctx *tls_server_ctx_new(const char *certfile, const char *keyfile,
    const char **errstr_r);
void tls_ctx_free(struct tls_ctx **cp);
void tls_server_ctx_reload(struct tls_ctx **ctxp, const char *certfile,
    const char *keyfile, const char *cn);
struct tls_ctx *tls_server_ctx_load(const char *certfile,
    const char *keyfile, const char *cn, const char **errstr_r);
int tls_make_selfsigned(const char *certfile, const char *keyfile,
    const char *cn, const char **errstr_r) WARN_UNUSED;

struct tls_session *tls_session_new(struct tls_ctx *ctx, int fd,
    const char *name, int verify, const char **errstr_r);
enum tls_io tls_session_handshake(struct tls_session *s);
enum tls_io tls_session_read(struct tls_session *s, void *dst, size_t n,
    size_t *got_r);
enum tls_io tls_session_write(struct tls_session *s, const void *p, size_t n,
    size_t *put_r);
const char *tls_session_error(const struct tls_session *s);
const char *tls_session_info(const struct tls_session *s, char *buf,
    size_t size);
void tls_session_free(struct tls_session **sp, int notify);

#endif
