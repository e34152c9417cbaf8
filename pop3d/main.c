/*
 * main.c - petrel-pop3d: the POP3 server (RFC 1939, RFC 2449 CAPA).
 *
 * Public: main().  The server skeleton (common/server.c) parses -f/-o/-d/
 * -n/-S, binds pop3d_listen (110, STLS) and pop3d_pop3s_listen (995,
 * implicit TLS; empty = off) as root, loads the TLS certificate (pre_drop,
 * see tls.c), forks up to pop3d_process_limit
 * workers that drop to vmail_user, and calls pop3d_session_run() for each
 * client; -S serves one session on stdin/stdout.
 * Security: workers run as the vmail user and only ever read and unlink
 * files in the authenticated user's maildir.  All client input is
 * untrusted; see session.c for the bounds.
 */
#include "pop3d.h"
#include "sandbox.h"
#include "server.h"

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
	.sandbox = SANDBOX_MAIL,
	.listen_param = "pop3d_listen",
	.user_param = "vmail_user",
	.process_limit_param = "pop3d_process_limit",
	.unix_mode = 0666,
	.unix_group_param = NULL,
	.pre_drop = pop3d_tls_init,
	.post_drop = pop3d_session_init,
	.reload = pop3d_tls_reload,
	.session = pop3d_session_run,
	.loop = NULL,
	.extra_listen_params = pop3d_more_listen,
	.busy_reply = pop3d_busy_reply,
	.busy_roles = 1u << 0,		/* not pop3s (TLS) */
};

/* Hand over to the server skeleton; never returns. */
int
main(int argc, char **argv)
{
	server_main(argc, argv, &pop3d_spec);
}
