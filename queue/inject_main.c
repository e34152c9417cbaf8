/*
 * inject_main.c - petrel-inject, the queue injection service: accepts
 * messages from smtpd and sendmail on the unix socket $inject_listen and
 * writes them as durable queue files into $queue_directory/incoming.
 *
 * Public: main() only: the server skeleton (server.h) does flags, binding,
 * privilege dropping and the worker pool; the protocol is in
 * inject_session.c.  Runs as $inject_user (with the spool group); the socket
 * is mode 0660 with the group of $smtpd_user, so only root and smtpd workers
 * can connect.  Input from the socket is untrusted.
 */
#include <stddef.h>

#include "inject_session.h"
#include "server.h"

static const struct server_spec inject_spec = {
	.name = "inject",
	.listen_param = "inject_listen",
	.user_param = "inject_user",
	.process_limit_param = "inject_process_limit",
	.unix_mode = 0660,
	.unix_group_param = "smtpd_user",
	.pre_drop = NULL,
	.post_drop = NULL,
	.session = inject_session,
	.loop = NULL,
};

/* Hand over to the server skeleton; never returns. */
int
main(int argc, char **argv)
{
	server_main(argc, argv, &inject_spec);
}
