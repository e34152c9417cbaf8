/*
 * tls_server.c - one server-side TLS module for every daemon: context
 * load and reload, STARTTLS/implicit TLS over a struct conn with a
 * bounded handshake, and the plaintext-password rule.
 *
 * Public: tls_server_new, tls_server_free, tls_server_load,
 * tls_server_reload, tls_server_enabled, tls_server_get_ctx,
 * tls_server_timeout, tls_server_offered, tls_server_handshake,
 * tls_server_plaintext_init, tls_server_plaintext_ok (see tls_server.h).
 * The settings point at the daemon's configuration variables, read at
 * each use, so a reload that re-reads the configuration is honoured
 * (the plaintext network list is parsed once per process: workers are
 * recycled on reload).  Returns: load and handshake 0 or -1 with
 * *errstr_r; nothing here exits.
 * Security: load and reload run as root in the parent, the only reader
 * of the key; workers inherit the context.  A failed handshake leaves
 * the connection dead, so it can never fall back to plaintext.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "alloc.h"
#include "conn.h"
#include "log.h"
#include "netmatch.h"
#include "params.h"
#include "tls.h"
#include "tls_server.h"

struct tls_server {
	struct tls_server_settings set;
	struct tls_ctx *ctx;		/* NULL: TLS off */
	struct netmatch *plain_nets;	/* parsed plaintext_networks */
	int plain_ready;		/* plain_nets parsed (or failed) */
	char err[512];			/* tls_server_load's error text */
};

/* The daemon's TLS state, TLS off until loaded. */
struct tls_server *
tls_server_new(const struct tls_server_settings *set)
{
	struct tls_server *srv = xcalloc(1, sizeof(*srv));

	srv->set = *set;
	return srv;
}

/* Free the context, the network list and the state; NULL the pointer. */
void
tls_server_free(struct tls_server **srvp)
{
	struct tls_server *srv;

	if (srvp == NULL || (srv = *srvp) == NULL)
		return;
	tls_ctx_free(&srv->ctx);
	netmatch_free(&srv->plain_nets);
	free(srv);
	*srvp = NULL;
}

/* The value of a string setting, "" when absent. */
static const char *
tls_server_str(char *const *var)
{
	return var != NULL && *var != NULL ? *var : "";
}

/* Load (or first make) the certificate; TLS stays off with no files. */
int
tls_server_load(struct tls_server *srv, const char **errstr_r)
{
	const char *cert = tls_server_str(srv->set.cert_file);
	const char *key = tls_server_str(srv->set.key_file), *err = NULL;
	struct tls_ctx *ctx;

	if (*cert == '\0' || *key == '\0')
		return 0;
	ctx = tls_server_ctx_load(cert, key, var_myhostname, &err);
	if (ctx == NULL) {
		snprintf(srv->err, sizeof(srv->err), "TLS certificate %s / "
		    "key %s: %s", cert, key, err != NULL ? err : "error");
		*errstr_r = srv->err;
		return -1;
	}
	tls_ctx_free(&srv->ctx);
	srv->ctx = ctx;
	return 0;
}

/* SIGHUP in the parent: a renewed certificate; a bad one keeps the old. */
void
tls_server_reload(struct tls_server *srv)
{
	tls_server_ctx_reload(&srv->ctx, tls_server_str(srv->set.cert_file),
	    tls_server_str(srv->set.key_file), var_myhostname);
}

/* 1 when a context is loaded. */
int
tls_server_enabled(const struct tls_server *srv)
{
	return srv != NULL && srv->ctx != NULL;
}

/* The loaded context (NULL: TLS off), for callers running tls_session_*. */
struct tls_ctx *
tls_server_get_ctx(const struct tls_server *srv)
{
	return srv != NULL ? srv->ctx : NULL;
}

/* Seconds one handshake may take (60 when the setting is missing). */
long
tls_server_timeout(const struct tls_server *srv)
{
	if (srv->set.timeout == NULL || *srv->set.timeout <= 0)
		return 60;
	return *srv->set.timeout;
}

/* 1 when STARTTLS (or implicit TLS) can be done on c. */
int
tls_server_offered(const struct tls_server *srv, const struct conn *c)
{
	return tls_server_enabled(srv) && !conn_is_tls(c) &&
	    c->fd_in == c->fd_out;
}

/* The handshake on c within the timeout and the session deadline. */
int
tls_server_handshake(struct tls_server *srv, struct conn *c,
    const char **errstr_r)
{
	time_t saved = c->deadline;
	time_t limit = time(NULL) + tls_server_timeout(srv);
	int rc;

	if (!tls_server_offered(srv, c)) {
		*errstr_r = "TLS not available";
		return -1;
	}
	if (saved == 0 || limit < saved)
		conn_set_deadline(c, limit);
	rc = conn_starttls_server(c, srv->ctx, errstr_r);
	conn_set_deadline(c, saved);
	return rc;
}

/* Parse the plaintext network list once per process. */
void
tls_server_plaintext_init(struct tls_server *srv)
{
	const char *list = tls_server_str(srv->set.plaintext_networks);
	const char *err = NULL;

	if (srv->plain_ready)
		return;
	srv->plain_ready = 1;
	if (*list == '\0')
		return;
	if ((srv->plain_nets = netmatch_new(list, &err)) == NULL)
		log_warn("%s_plaintext_auth_networks: %s (plaintext logins "
		    "refused)", srv->set.name != NULL ? srv->set.name : "tls",
		    err != NULL ? err : "bad list");
}

/* 1 when a password may be sent on this session as it is now. */
int
tls_server_plaintext_ok(struct tls_server *srv, int is_tls, int trusted_peer,
    const char *addr)
{
	if (is_tls || trusted_peer)
		return 1;
	if (srv->set.plaintext_auth != NULL && *srv->set.plaintext_auth)
		return 1;
	tls_server_plaintext_init(srv);
	return srv->plain_nets != NULL && addr != NULL &&
	    netmatch_match(srv->plain_nets, addr);
}
