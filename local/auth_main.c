/*
 * auth_main.c - petrel-auth, the one password-checking service of smtpd,
 * pop3d and imapd: the only process that reads user_password_maps.
 * Protocol: common/auth_client.h; framing: common/auth_proto.h; one
 * request: auth_session.c; one-time login cookies: auth_cookie.c.
 *
 * Public: main().  The server skeleton binds auth_listen (default
 * unix:$queue_directory/private/auth, mode 0666: SO_PEERCRED decides who
 * may ask), and keeps a pool of up to auth_process_limit workers (the old
 * name smtpd_auth_checker_count is its default) running as auth_user, so
 * that one slow yescrypt check holds up nobody else.  The parent maps the
 * cookie table and the table of failed logins (auth_penalty.c) before
 * forking (pre_drop), so both outlive a worker and a reload.
 * Security: started as root; workers run as auth_user and check the
 * peer of every connection before reading its request.
 */
#include "auth.h"
#include "server.h"

/* Parent, as root, before forking: the shared cookie and penalty tables. */
static void
auth_pre_drop(void)
{
	auth_cookie_init(AUTH_COOKIE_SLOTS);
	auth_penalty_init();
}

/* Each worker after dropping privileges: who may ask, who is exempt. */
static void
auth_post_drop(void)
{
	auth_peers_init();
	auth_penalty_open();
}

static const struct server_spec auth_spec = {
	.name = "auth",
	.listen_param = "auth_listen",
	.user_param = "auth_user",
	.process_limit_param = "auth_process_limit",
	.unix_mode = 0666,
	.unix_group_param = NULL,
	.pre_drop = auth_pre_drop,
	.post_drop = auth_post_drop,
	.reload = NULL,
	.session = auth_session,
	.loop = NULL,
};

/* Hand over to the server skeleton; never returns. */
int
main(int argc, char **argv)
{
	server_main(argc, argv, &auth_spec);
}
