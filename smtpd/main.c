/*
 * main.c - petrel-smtpd, the SMTP receiver: the server specification and
 * the call into the shared daemon skeleton (common/server.c), which
 * handles the flags (-f, -o, -d, -n, -S), listening, the privilege drop to
 * smtpd_user and the pre-forked pool.  Protocol logic lives in session.c,
 * cmd.c, data.c and received.c.
 * Listeners: smtpd_listen (smtp, 25), smtpd_submission_listen (587) and
 * smtpd_smtps_listen (465, implicit TLS) in one pool; each session learns
 * which one accepted it.  While every worker is busy at
 * smtpd_process_limit, new clients get "421 4.3.2 ... Service busy" from
 * the pool's parent at once (server.h "Stress"; not on smtps, which is
 * closed).
 * Security: started as root, which loads the TLS key (pre_drop, making a
 * self-signed pair at first start); workers run as smtpd_user, open the lookup
 * maps after the drop (post_drop) and never write into the spool: mail
 * goes through the injection service.  AUTH passwords go to petrel-auth
 * (common/auth_client.h): workers cannot read password hashes.
 */
#include <stdio.h>

#include "params.h"
#include "sandbox.h"
#include "server.h"
#include "smtpd.h"

/* Worker start-up after the privilege drop: maps and mynetworks. */
static void
smtpd_post_drop(void)
{
	smtpd_open_maps();
}

/* Parent start-up as root, before forking: the TLS context (the key is
 * read here, never by a worker), the shared per-client table, the DNSBL
 * site list (a bad one stops the start) and the greylist directory.
 * Passwords are checked by the separate service petrel-auth. */
static void
smtpd_pre_drop(void)
{
	smtpd_tls_init();
	smtpd_climit_init();
	smtpd_dnsbl_init();
	smtpd_greylist_init();
}

/* Parent, as root, after a SIGHUP re-read the configuration: the TLS
 * files, the DNSBL lists and the greylist files for the new workers. */
static void
smtpd_reload(void)
{
	smtpd_tls_reload();
	smtpd_dnsbl_reload();
	smtpd_greylist_init();
}

/* The parent's answer to a client it turns away while every worker is
 * busy (server.h "Stress"); the sender retries later. */
static const char *
smtpd_busy_reply(void)
{
	static char line[300];

	snprintf(line, sizeof(line), "421 4.3.2 %s Service busy, try again "
	    "later\r\n", var_myhostname);
	return line;
}

/* Hand over to the server skeleton; never returns. */
int
main(int argc, char **argv)
{
	static const char *const more_listen[] = {
		"smtpd_submission_listen",	/* peer.listener 1 */
		"smtpd_smtps_listen",		/* peer.listener 2 */
		NULL
	};
	static const struct server_spec spec = {
		.name = "smtpd",
		.sandbox = SANDBOX_NET_DB,	/* + the greylist database */
		.listen_param = "smtpd_listen",
		.user_param = "smtpd_user",
		.process_limit_param = "smtpd_process_limit",
		.unix_mode = 0666,
		.unix_group_param = NULL,
		.pre_drop = smtpd_pre_drop,
		.post_drop = smtpd_post_drop,
		.reload = smtpd_reload,
		.session = smtpd_session,
		.loop = NULL,
		.extra_listen_params = more_listen,
		.busy_reply = smtpd_busy_reply,
		.busy_roles = 1u << 0 | 1u << 1,	/* not smtps (TLS) */
	};

	server_main(argc, argv, &spec);
}
