/*
 * smtp_main.c - petrel-smtp, the remote SMTP delivery agent: takes delivery
 * requests from the queue manager on $smtp_listen and sends the mail to the
 * next hop's SMTP servers (see smtp.h for the modules).
 *
 * Pre-forked workers run as remote_user.  post_drop opens the TLS client
 * context (smtp_tls_CAfile, else the system's CA store) and the TLS policy
 * maps; both failing is fatal for the worker (the skeleton throttles).
 */
#include "log.h"
#include "params.h"
#include "sandbox.h"
#include "server.h"
#include "smtp.h"
#include "tls.h"

struct tls_ctx *smtp_tls_ctx;

/* Open the TLS context and the policy maps once per worker. */
static void
smtp_post_drop(void)
{
	const char *err;

	smtp_tls_ctx = tls_client_ctx_new(var_smtp_tls_CAfile, NULL, &err);
	if (smtp_tls_ctx == NULL)
		log_fatal("TLS client context: %s", err);
	if (smtp_tls_policy_init(&err) < 0)
		log_fatal("smtp_tls_policy_maps: %s", err);
}

static const struct server_spec smtp_spec = {
	.name = "smtp",
	.sandbox = SANDBOX_NET,
	.listen_param = "smtp_listen",
	.user_param = "remote_user",
	.process_limit_param = "smtp_process_limit",
	.unix_mode = 0660,
	.unix_group_param = "qmgr_user",
	.pre_drop = NULL,
	.post_drop = smtp_post_drop,
	.session = smtp_agent_session,
	.loop = NULL,
};

/* Hand over to the server skeleton. */
int
main(int argc, char **argv)
{
	server_main(argc, argv, &smtp_spec);
}
