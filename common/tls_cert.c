/*
 * tls_cert.c - make a self-signed certificate and key (for `make run`,
 * first-time installs and tests).
 *
 * Public: tls_make_selfsigned(certfile, keyfile, cn, &errstr) - 0 or -1;
 * tls_server_ctx_load(certfile, keyfile, cn, &errstr) - a server context,
 * first making a self-signed pair for cn when neither file exists.
 * An RSA-2048 key and a 10-year X.509v3 certificate with subject and issuer
 * CN=cn, subjectAltName DNS:cn (IP:cn for an address literal),
 * basicConstraints CA:FALSE and extendedKeyUsage serverAuth, SHA-256.
 * Each file is written to "<file>.tmp" (created exclusively, the key with
 * mode 0600), synced, then renamed into place, so a reader never sees half
 * a file.
 * Security: cn is checked against a host-name alphabet so it cannot inject
 * extra subjectAltName entries; the key never exists with looser modes.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls.h"
#include "tls_int.h"

#define TLS_CERT_DAYS	3650L

/* 1 if cn is a plausible host name or address literal. */
static int
tls_cert_name_ok(const char *cn)
{
	size_t len = strlen(cn);

	if (len == 0 || len > 253)
		return 0;
	return strspn(cn, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-_*:[]") == len;
}

/* A fresh RSA-2048 key, or NULL. */
static EVP_PKEY *
tls_cert_key(void)
{
	EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
	EVP_PKEY *key = NULL;

	if (kc != NULL && EVP_PKEY_keygen_init(kc) == 1 &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(kc, 2048) == 1)
		(void)EVP_PKEY_keygen(kc, &key);
	EVP_PKEY_CTX_free(kc);
	return key;
}

/* Add one v3 extension given in config syntax; 0 or -1. */
static int
tls_cert_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int rc;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	if (ext == NULL)
		return -1;
	rc = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return rc == 1 ? 0 : -1;
}

/* A random positive 64-bit serial number; 0 or -1. */
static int
tls_cert_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int rc = -1;

	if (bn != NULL && BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1
	    && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL)
		rc = 0;
	BN_free(bn);
	return rc;
}

/* Fill in names, validity and extensions, then sign; 0 or -1. */
static int
tls_cert_fill(X509 *x, EVP_PKEY *key, const char *cn)
{
	X509_NAME *name = X509_get_subject_name(x);
	char ip[64], san[300];

	if (tls_ip_literal(cn, ip, sizeof(ip)))
		snprintf(san, sizeof(san), "IP:%s", ip);
	else
		snprintf(san, sizeof(san), "DNS:%s", cn);
	if (X509_set_version(x, 2) != 1 || tls_cert_serial(x) < 0 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), TLS_CERT_DAYS * 86400) == NULL ||
	    X509_set_pubkey(x, key) != 1)
		return -1;
	if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1)
		return -1;
	if (tls_cert_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    tls_cert_ext(x, NID_subject_key_identifier, "hash") < 0 ||
	    tls_cert_ext(x, NID_key_usage,
	    "critical,digitalSignature,keyEncipherment") < 0 ||
	    tls_cert_ext(x, NID_ext_key_usage, "serverAuth") < 0 ||
	    tls_cert_ext(x, NID_subject_alt_name, san) < 0)
		return -1;
	return X509_sign(x, key, EVP_sha256()) > 0 ? 0 : -1;
}

/* Write path via path.tmp with mode; key or cert; then rename. 0 or -1. */
static int
tls_cert_write(const char *path, mode_t mode, EVP_PKEY *key, X509 *x)
{
	char tmp[4096];
	FILE *fp;
	int fd, ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -1;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	if (fchmod(fd, mode) < 0 || (fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		(void)unlink(tmp);
		return -1;
	}
	ok = key != NULL ?
	    PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL) == 1 :
	    PEM_write_X509(fp, x) == 1;
	ok = ok && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
	ok = fclose(fp) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

/* Make a self-signed key+certificate pair for cn; 0 or -1. */
int
tls_make_selfsigned(const char *certfile, const char *keyfile,
    const char *cn, const char **errstr_r)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int rc = -1;

	ERR_clear_error();
	if (cn == NULL || !tls_cert_name_ok(cn))
		*errstr_r = "bad certificate name";
	else if ((key = tls_cert_key()) == NULL)
		*errstr_r = tls_error("cannot generate key");
	else if ((x = X509_new()) == NULL || tls_cert_fill(x, key, cn) < 0)
		*errstr_r = tls_error("cannot make certificate");
	else if (tls_cert_write(keyfile, 0600, key, NULL) < 0)
		*errstr_r = "cannot write key file";
	else if (tls_cert_write(certfile, 0644, NULL, x) < 0)
		*errstr_r = "cannot write certificate file";
	else
		rc = 0;
	X509_free(x);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}

/* A server context from certfile/keyfile; when neither file exists yet
 * (first start), a self-signed pair for cn is made first.  NULL on error. */
struct tls_ctx *
tls_server_ctx_load(const char *certfile, const char *keyfile, const char *cn,
    const char **errstr_r)
{
	struct stat st;

	if (stat(certfile, &st) != 0 && stat(keyfile, &st) != 0) {
		if (tls_make_selfsigned(certfile, keyfile, cn, errstr_r) != 0)
			return NULL;
		log_info("made a self-signed certificate for %s in %s", cn,
		    certfile);
	}
	return tls_server_ctx_new(certfile, keyfile, errstr_r);
}

/* Load certfile/keyfile again (SIGHUP) and replace *ctxp; a failure keeps
 * the old context, so a bad renewal never takes TLS away. */
void
tls_server_ctx_reload(struct tls_ctx **ctxp, const char *certfile,
    const char *keyfile, const char *cn)
{
	const char *err = NULL;
	struct tls_ctx *ctx;

	if (certfile == NULL || keyfile == NULL || *certfile == '\0' ||
	    *keyfile == '\0')
		return;
	if (*ctxp == NULL) {
		log_warn("reload: TLS was off at start; restart to turn it on");
		return;
	}
	if ((ctx = tls_server_ctx_load(certfile, keyfile, cn, &err)) == NULL) {
		log_warn("reload: TLS certificate %s / key %s: %s; keeping the "
		    "old one", certfile, keyfile, err != NULL ? err : "error");
		return;
	}
	tls_ctx_free(ctxp);
	*ctxp = ctx;
	log_info("reload: TLS certificate %s loaded", certfile);
}
