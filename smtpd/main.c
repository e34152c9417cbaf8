/*
 * main.c - petrel-smtpd, the SMTP receiver: the server specification and
 * the call into the shared daemon skeleton (common/server.c), which
 * handles the flags (-f, -o, -d, -n, -S), listening, the privilege drop to
 * smtpd_user and the pre-forked pool.  Protocol logic lives in session.c,
 * cmd.c, data.c and received.c.
 * Security: started as root; workers run as smtpd_user, open the lookup
 * maps after the drop (post_drop) and never write into the spool: mail
 * goes through the injection service.
 */
#include "server.h"
#include "smtpd.h"

/* Worker start-up after the privilege drop: maps and mynetworks. */
static void
smtpd_post_drop(void)
{
	smtpd_open_maps();
}

/* Hand over to the server skeleton; never returns. */
int
main(int argc, char **argv)
{
	static const struct server_spec spec = {
		.name = "smtpd",
		.listen_param = "smtpd_listen",
		.user_param = "smtpd_user",
		.process_limit_param = "smtpd_process_limit",
		.unix_mode = 0666,
		.unix_group_param = NULL,
		.pre_drop = NULL,
		.post_drop = smtpd_post_drop,
		.session = smtpd_session,
		.loop = NULL,
	};

	server_main(argc, argv, &spec);
}
