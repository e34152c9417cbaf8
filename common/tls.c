/*
 * tls.c - TLS contexts and non-blocking sessions over OpenSSL.
 *
 * Public: tls_client_ctx_new, tls_server_ctx_new, tls_ctx_free,
 * tls_session_new, tls_session_handshake, tls_session_read,
 * tls_session_write, tls_session_error, tls_session_info, tls_session_free
 * (tls_make_selfsigned lives in tls_cert.c).
 * Sessions never block: the caller (conn.c) polls the descriptor on
 * TLS_IO_WANT_READ/TLS_IO_WANT_WRITE with its own timeouts.  After any fatal
 * error a session answers TLS_IO_ERROR forever, so a failed handshake can
 * never fall back to plaintext.  Returns: constructors NULL on failure with
 * *errstr_r set (a static buffer, valid until the next tls_ call).
 * Security: TLS 1.2 is the floor; compression and renegotiation are off.
 * Client verification (CONN_TLS_VERIFY_NAME) is done inside the handshake
 * with SSL_VERIFY_PEER plus the host (or IP) check, so a bad certificate
 * aborts it with an alert.  Peer data and certificates are untrusted.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "alloc.h"
#include "conn.h"
#include "tls.h"
#include "tls_int.h"

struct tls_ctx {
	SSL_CTX *ssl_ctx;
	int server;
};

struct tls_session {
	SSL *ssl;
	int server;
	int verify;
	int dead;		/* fatal error seen: no shutdown, no I/O */
	int handshaken;
	char fail[256];		/* why the handshake failed, if it did */
};

static char tls_errbuf[256];

/* Format an error into the static buffer, appending the OpenSSL reason. */
const char *
tls_error(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *reason = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (reason != NULL)
		snprintf(tls_errbuf, sizeof(tls_errbuf), "%s: %s", what, reason);
	else
		snprintf(tls_errbuf, sizeof(tls_errbuf), "%s", what);
	ERR_clear_error();
	return tls_errbuf;
}

/* A fresh SSL_CTX with the settings both sides share. */
static struct tls_ctx *
tls_ctx_base(int server, const char **errstr_r)
{
	struct tls_ctx *ctx;
	SSL_CTX *sc;

	ERR_clear_error();
	sc = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (sc == NULL) {
		*errstr_r = tls_error("SSL_CTX_new failed");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(sc, TLS1_2_VERSION) != 1) {
		SSL_CTX_free(sc);
		*errstr_r = tls_error("cannot set TLS 1.2 minimum");
		return NULL;
	}
	SSL_CTX_set_options(sc, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(sc, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	ctx = xcalloc(1, sizeof(*ctx));
	ctx->ssl_ctx = sc;
	ctx->server = server;
	return ctx;
}

/* Client context trusting cafile/capath, or the system store if both empty. */
struct tls_ctx *
tls_client_ctx_new(const char *cafile, const char *capath,
    const char **errstr_r)
{
	struct tls_ctx *ctx = tls_ctx_base(0, errstr_r);
	int rc;

	if (ctx == NULL)
		return NULL;
	if (cafile != NULL && *cafile == '\0')
		cafile = NULL;
	if (capath != NULL && *capath == '\0')
		capath = NULL;
	if (cafile == NULL && capath == NULL)
		rc = SSL_CTX_set_default_verify_paths(ctx->ssl_ctx);
	else
		rc = SSL_CTX_load_verify_locations(ctx->ssl_ctx, cafile, capath);
	if (rc != 1) {
		*errstr_r = tls_error("cannot load CA certificates");
		tls_ctx_free(&ctx);
	}
	return ctx;
}

/* Server context with the certificate chain and key; key must match. */
struct tls_ctx *
tls_server_ctx_new(const char *certfile, const char *keyfile,
    const char **errstr_r)
{
	struct tls_ctx *ctx;
	SSL_CTX *sc;

	if (certfile == NULL || *certfile == '\0' || keyfile == NULL ||
	    *keyfile == '\0') {
		*errstr_r = "no certificate or key file configured";
		return NULL;
	}
	if ((ctx = tls_ctx_base(1, errstr_r)) == NULL)
		return NULL;
	sc = ctx->ssl_ctx;
	SSL_CTX_set_options(sc, SSL_OP_CIPHER_SERVER_PREFERENCE);
	(void)SSL_CTX_set_session_id_context(sc, (const unsigned char *)"petrel",
	    6);
	if (SSL_CTX_use_certificate_chain_file(sc, certfile) != 1)
		*errstr_r = tls_error("cannot load certificate chain");
	else if (SSL_CTX_use_PrivateKey_file(sc, keyfile, SSL_FILETYPE_PEM) != 1)
		*errstr_r = tls_error("cannot load private key");
	else if (SSL_CTX_check_private_key(sc) != 1)
		*errstr_r = tls_error("private key does not match certificate");
	else
		return ctx;
	tls_ctx_free(&ctx);
	return NULL;
}

/* Free the context and NULL the pointer. */
void
tls_ctx_free(struct tls_ctx **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	SSL_CTX_free((*cp)->ssl_ctx);
	free(*cp);
	*cp = NULL;
}

/* 1 if name is an IPv4/IPv6 literal (optionally [bracketed]); the bare
 * address goes to ip[size]. */
int
tls_ip_literal(const char *name, char *ip, size_t size)
{
	unsigned char a[16];
	size_t len = strlen(name);

	if (len >= 2 && name[0] == '[' && name[len - 1] == ']') {
		name++;
		len -= 2;
		if (len > 5 && strncasecmp(name, "IPv6:", 5) == 0) {
			name += 5;
			len -= 5;
		}
	}
	if (len == 0 || len >= size)
		return 0;
	memcpy(ip, name, len);
	ip[len] = '\0';
	return inet_pton(AF_INET, ip, a) == 1 || inet_pton(AF_INET6, ip, a) == 1;
}

/* Client side: SNI and (when asked) peer verification against name. */
static int
tls_session_client_setup(struct tls_session *s, const char *name,
    const char **errstr_r)
{
	char ip[64];
	int is_ip = name != NULL && tls_ip_literal(name, ip, sizeof(ip));
	X509_VERIFY_PARAM *param;

	if (name != NULL && *name != '\0' && !is_ip &&
	    SSL_set_tlsext_host_name(s->ssl, name) != 1) {
		*errstr_r = tls_error("handshake failed: bad server name");
		return -1;
	}
	if (s->verify != CONN_TLS_VERIFY_NAME) {
		SSL_set_verify(s->ssl, SSL_VERIFY_NONE, NULL);
		return 0;
	}
	if (name == NULL || *name == '\0') {
		*errstr_r = "certificate verification failed: no name to check";
		return -1;
	}
	SSL_set_verify(s->ssl, SSL_VERIFY_PEER, NULL);
	param = SSL_get0_param(s->ssl);
	X509_VERIFY_PARAM_set_hostflags(param,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, ip) != 1 :
	    SSL_set1_host(s->ssl, name) != 1) {
		*errstr_r = tls_error("certificate verification failed: bad name");
		return -1;
	}
	return 0;
}

/* A session over fd (client when ctx is a client context). */
struct tls_session *
tls_session_new(struct tls_ctx *ctx, int fd, const char *name, int verify,
    const char **errstr_r)
{
	struct tls_session *s;

	ERR_clear_error();
	s = xcalloc(1, sizeof(*s));
	s->server = ctx->server;
	s->verify = verify;
	s->ssl = SSL_new(ctx->ssl_ctx);
	if (s->ssl == NULL || SSL_set_fd(s->ssl, fd) != 1) {
		*errstr_r = tls_error("handshake failed: SSL_new");
		s->dead = 1;
		tls_session_free(&s, 0);
		return NULL;
	}
	if (s->server)
		SSL_set_accept_state(s->ssl);
	else
		SSL_set_connect_state(s->ssl);
	if (!s->server && tls_session_client_setup(s, name, errstr_r) < 0) {
		s->dead = 1;
		tls_session_free(&s, 0);
		return NULL;
	}
	return s;
}

/* Why a handshake failed, into the static buffer. */
static const char *
tls_handshake_reason(struct tls_session *s, int err)
{
	long vr = SSL_get_verify_result(s->ssl);

	if (!s->server && s->verify == CONN_TLS_VERIFY_NAME && vr != X509_V_OK) {
		ERR_clear_error();
		if (vr == X509_V_ERR_HOSTNAME_MISMATCH ||
		    vr == X509_V_ERR_IP_ADDRESS_MISMATCH)
			return "certificate name mismatch";
		snprintf(tls_errbuf, sizeof(tls_errbuf),
		    "certificate verification failed: %s",
		    X509_verify_cert_error_string(vr));
		return tls_errbuf;
	}
	if (err == SSL_ERROR_ZERO_RETURN ||
	    (err == SSL_ERROR_SYSCALL && ERR_peek_last_error() == 0))
		return "handshake failed: connection closed by peer";
	return tls_error("handshake failed");
}

/* Map an SSL_get_error code; remembers fatal errors. */
static enum tls_io
tls_map(struct tls_session *s, int ret)
{
	int err = SSL_get_error(s->ssl, ret);

	switch (err) {
	case SSL_ERROR_WANT_READ:
		return TLS_IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return TLS_IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		if (s->handshaken)
			return TLS_IO_EOF;
		break;
	default:
		break;
	}
	s->dead = 1;
	if (!s->handshaken && s->fail[0] == '\0')
		snprintf(s->fail, sizeof(s->fail), "%s",
		    tls_handshake_reason(s, err));
	ERR_clear_error();
	return TLS_IO_ERROR;
}

/* Advance the handshake one step. */
enum tls_io
tls_session_handshake(struct tls_session *s)
{
	int ret;

	if (s->dead)
		return TLS_IO_ERROR;
	ERR_clear_error();
	ret = SSL_do_handshake(s->ssl);
	if (ret == 1) {
		s->handshaken = 1;
		return TLS_IO_DONE;
	}
	return tls_map(s, ret);
}

/* Read up to n decrypted bytes. */
enum tls_io
tls_session_read(struct tls_session *s, void *dst, size_t n, size_t *got_r)
{
	*got_r = 0;
	if (s->dead || !s->handshaken)
		return TLS_IO_ERROR;
	ERR_clear_error();
	if (SSL_read_ex(s->ssl, dst, n, got_r) == 1)
		return TLS_IO_DONE;
	return tls_map(s, 0);
}

/* Write up to n bytes (partial writes allowed; retry with the rest). */
enum tls_io
tls_session_write(struct tls_session *s, const void *p, size_t n,
    size_t *put_r)
{
	*put_r = 0;
	if (s->dead || !s->handshaken)
		return TLS_IO_ERROR;
	ERR_clear_error();
	if (SSL_write_ex(s->ssl, p, n, put_r) == 1)
		return TLS_IO_DONE;
	return tls_map(s, 0);
}

/* Why the handshake failed (or a generic text). */
const char *
tls_session_error(const struct tls_session *s)
{
	if (s != NULL && s->fail[0] != '\0')
		return s->fail;
	return "handshake failed";
}

/* Describe protocol and cipher into buf. */
const char *
tls_session_info(const struct tls_session *s, char *buf, size_t size)
{
	const SSL_CIPHER *ci;
	int alg = 0, bits;

	if (s == NULL || !s->handshaken || size == 0) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	ci = SSL_get_current_cipher(s->ssl);
	bits = SSL_CIPHER_get_bits(ci, &alg);
	snprintf(buf, size, "%s with cipher %s (%d/%d bits)",
	    SSL_get_version(s->ssl), SSL_CIPHER_get_name(ci), bits, alg);
	return buf;
}

/* Send close_notify once if asked (never waiting), free, NULL. */
void
tls_session_free(struct tls_session **sp, int notify)
{
	struct tls_session *s;

	if (sp == NULL || (s = *sp) == NULL)
		return;
	if (s->ssl != NULL) {
		if (notify && !s->dead && s->handshaken)
			(void)SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
	}
	ERR_clear_error();
	free(s);
	*sp = NULL;
}
