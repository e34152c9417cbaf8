/*
 * main.c - petrel-imapd: the IMAP server (RFC 9051 IMAP4rev2 and RFC 3501
 * IMAP4rev1), its configuration and the skeleton's hooks.
 *
 * Public: main(); imapd_tls() and imapd_tls_ctx() (imapd.h).
 * The server skeleton (common/server.c) parses -f/-o/-d/-n/-S and binds
 * imapd_listen (143, STARTTLS) and imapd_imaps_listen (993, implicit TLS;
 * empty = off) as root.  pre_drop loads the TLS certificate
 * (imapd_tls_cert_file/imapd_tls_key_file, made self-signed for
 * $myhostname at the first start when neither exists), makes the
 * handoff socket between the login processes and the spawner and the
 * table of per-client connection limits (common/login_climit.c).  The pool's
 * workers are login processes (imapd_login_user, event-driven, see
 * common/login.h), at most imapd_login_process_limit; the skeleton's
 * helper is the spawner (common/login_spawn.c, root), which forks a
 * session process per logged-in client as the mailbox owner.  -S runs
 * the login stage and the session for one client on stdin/stdout.
 * Security: see imapd.h for who runs as whom.
 */
#include "imapd.h"
#include "log.h"
#include "login.h"
#include "params.h"
#include "sandbox.h"
#include "server.h"
#include "tls.h"
#include "tls_server.h"

static const struct tls_server_settings imapd_tls_settings = {
	.name = "imapd",
	.cert_file = &var_imapd_tls_cert_file,
	.key_file = &var_imapd_tls_key_file,
	.timeout = &var_imapd_starttls_timeout,
	.plaintext_auth = NULL,
	.plaintext_networks = &var_imapd_plaintext_auth_networks,
};

/* imapd's TLS state (made on first use). */
struct tls_server *
imapd_tls(void)
{
	static struct tls_server *srv;

	if (srv == NULL)
		srv = tls_server_new(&imapd_tls_settings);
	return srv;
}

/* The server TLS context, or NULL when none is configured. */
struct tls_ctx *
imapd_tls_ctx(void)
{
	return tls_server_get_ctx(imapd_tls());
}

/* Root, before the pool: the certificate, the handoff socket and the
 * per-client limit table. */
static void
imapd_pre_drop(void)
{
	const char *err = NULL;

	if (tls_server_load(imapd_tls(), &err) != 0)
		log_fatal("%s", err != NULL ? err : "TLS certificate");
	if (!tls_server_enabled(imapd_tls()) && *var_imapd_imaps_listen != '\0')
		log_fatal("imapd_imaps_listen needs imapd_tls_cert_file and "
		    "imapd_tls_key_file");
	login_handoff_setup();
	login_climit_setup(&imapd_login_proto, var_imapd_login_process_limit);
}

/* SIGHUP in the parent: a renewed certificate for the next logins. */
static void
imapd_reload(void)
{
	tls_server_reload(imapd_tls());
}

/* -S: one client on stdin/stdout. */
static void
imapd_one(int fd_in, int fd_out, const struct server_peer *peer)
{
	(void)peer;
	login_one_session(&imapd_login_proto, fd_in, fd_out);
}

/* A pool worker: a login process. */
static void
imapd_login_worker(const struct server_listen_fd *fds, size_t n,
    int life_fd)
{
	login_event_worker(&imapd_login_proto, fds, n, life_fd);
}

/* The skeleton's helper: the spawner. */
__attribute__((noreturn))
static void
imapd_spawner(int fd)
{
	login_spawner_main(&imapd_login_proto, fd);
}

static const char *const imapd_more_listen[] = {
	"imapd_imaps_listen",		/* peer.listener 1 */
	NULL
};

/* The parent's answer to a client it turns away while every login
 * process is full at imapd_login_process_limit (server.h "Stress"). */
static const char *
imapd_busy_reply(void)
{
	return "* BYE [UNAVAILABLE] Server busy, try again later\r\n";
}

static const struct server_spec imapd_spec = {
	.name = "imapd",
	.sandbox = SANDBOX_NET,		/* the login stage; sessions: login_spawn.c */
	.listen_param = "imapd_listen",
	.user_param = "imapd_login_user",
	.process_limit_param = "imapd_login_process_limit",
	.unix_mode = 0666,
	.pre_drop = imapd_pre_drop,
	.reload = imapd_reload,
	.session = imapd_one,
	.event_worker = imapd_login_worker,
	.extra_listen_params = imapd_more_listen,
	.helper = imapd_spawner,
	.helper_name = "spawner",
	.helper_reloads_itself = 1,
	.busy_reply = imapd_busy_reply,
	.busy_roles = 1u << 0,		/* not imaps (TLS) */
};

/* Hand over to the server skeleton; never returns. */
int
main(int argc, char **argv)
{
	server_main(argc, argv, &imapd_spec);
}
