/*
 * tls.c - petrel-pop3d's TLS settings for the shared common/tls_server
 * module: the certificate, STLS (RFC 2595 4) on pop3d_listen and implicit
 * TLS on pop3d_pop3s_listen (RFC 8314), both run by the pre-login stage
 * (common/login*.c, login_pop3.c), and the plaintext-password rule.
 *
 * Public: pop3d_tls_init, pop3d_tls_reload (SIGHUP: a renewed
 * certificate), pop3d_tls (the state; see pop3d.h).
 * pop3d_tls_init runs as root in the parent before the privilege drop
 * (spec.pre_drop) and loads pop3d_tls_cert_file/pop3d_tls_key_file
 * (making a self-signed pair when neither exists); the login processes
 * inherit the context and never read the key; sessions never see TLS
 * (a TLS client's bytes are relayed by its login process).  No
 * certificate: no STLS, and a pop3s listener is fatal.  A broken
 * certificate is fatal.  The handshake is bounded by
 * pop3d_starttls_timeout.
 * Plaintext passwords: allowed over TLS, on stdin and unix sockets, when
 * pop3d_plaintext_auth = yes, or from pop3d_plaintext_auth_networks;
 * never otherwise (loopback included).
 * Security: the key is read as root only.
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

/* pop3d's TLS state, made on first use (-S mode has no pre_drop). */
struct tls_server *
pop3d_tls(void)
{
	static struct tls_server *srv;

	if (srv == NULL)
		srv = tls_server_new(&pop3d_tls_settings);
	return srv;
}

/* Load (or first make) the certificate; fatal on a broken setup. */
void
pop3d_tls_init(void)
{
	const char *err = NULL;

	if (tls_server_load(pop3d_tls(), &err) != 0)
		log_fatal("%s", err);
	if (!tls_server_enabled(pop3d_tls()) &&
	    var_pop3d_pop3s_listen != NULL && *var_pop3d_pop3s_listen != '\0')
		log_fatal("pop3d_pop3s_listen needs pop3d_tls_cert_file "
		    "and pop3d_tls_key_file");
}

/* SIGHUP in the parent: take a renewed certificate. */
void
pop3d_tls_reload(void)
{
	tls_server_reload(pop3d_tls());
}
