/*
 * main.c - petrel-pop3d: the POP3 server (RFC 1939, RFC 2449 CAPA), its
 * configuration and the skeleton's hooks.
 *
 * Public: main().  The server skeleton (common/server.c) parses -f/-o/-d/
 * -n/-S and binds pop3d_listen (110, STLS) and pop3d_pop3s_listen (995,
 * implicit TLS; empty = off) as root.  pre_drop loads the TLS certificate
 * (tls.c), makes the handoff socket between the login processes and
 * the spawner and the table of per-client connection limits
 * (common/login_climit.c).  The pool's workers are login processes (pop3d_login_user,
 * event-driven, common/login.h with login_pop3.c), at most
 * pop3d_login_process_limit; the skeleton's helper is the spawner
 * (common/login_spawn.c, root), which forks a session process per
 * logged-in client as the mailbox owner (session.c).  -S runs the login
 * stage and the session for one client on stdin/stdout.
 * Security: see pop3d.h for who runs as whom.
 */
#include "login.h"
#include "params.h"
#include "pop3d.h"
#include "sandbox.h"
#include "server.h"

/* Root, before the pool: the certificate, the handoff socket and the
 * per-client limit table. */
static void
pop3d_pre_drop(void)
{
	pop3d_tls_init();
	login_handoff_setup();
	login_climit_setup(&pop3d_login_proto, var_pop3d_login_process_limit);
}

/* -S: one client on stdin/stdout. */
static void
pop3d_one(int fd_in, int fd_out, const struct server_peer *peer)
{
	(void)peer;
	login_one_session(&pop3d_login_proto, fd_in, fd_out);
}

/* A pool worker: a login process. */
static void
pop3d_login_worker(const struct server_listen_fd *fds, size_t n,
    int life_fd)
{
	login_event_worker(&pop3d_login_proto, fds, n, life_fd);
}

/* The skeleton's helper: the spawner. */
__attribute__((noreturn))
static void
pop3d_spawner(int fd)
{
	login_spawner_main(&pop3d_login_proto, fd);
}

static const char *const pop3d_more_listen[] = {
	"pop3d_pop3s_listen",		/* peer.listener 1 */
	NULL
};

/* The parent's answer to a client it turns away while every worker is
 * busy (server.h "Stress"; RFC 3206's SYS/TEMP). */
static const char *
pop3d_busy_reply(void)
{
	return "-ERR [SYS/TEMP] Server busy, try again later\r\n";
}

static const struct server_spec pop3d_spec = {
	.name = "pop3d",
	.sandbox = SANDBOX_NET,		/* the login stage; sessions: login_spawn.c */
	.listen_param = "pop3d_listen",
	.user_param = "pop3d_login_user",
	.process_limit_param = "pop3d_login_process_limit",
	.unix_mode = 0666,
	.pre_drop = pop3d_pre_drop,
	.reload = pop3d_tls_reload,
	.session = pop3d_one,
	.event_worker = pop3d_login_worker,
	.extra_listen_params = pop3d_more_listen,
	.helper = pop3d_spawner,
	.helper_name = "spawner",
	.helper_reloads_itself = 1,
	.busy_reply = pop3d_busy_reply,
	.busy_roles = 1u << 0,		/* not pop3s (TLS) */
};

/* Hand over to the server skeleton; never returns. */
int
main(int argc, char **argv)
{
	server_main(argc, argv, &pop3d_spec);
}
