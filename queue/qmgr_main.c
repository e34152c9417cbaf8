/*
 * qmgr_main.c - petrel-qmgr, the queue manager: takes complete messages from
 * incoming/ and deferred/, hands local recipients to petrel-local, and
 * records results in the queue file (see qmgr.h for the modules).
 *
 * One process (server skeleton loop mode) running as qmgr_user; no listening
 * socket: wakeups arrive on the FIFO $qmgr_fifo.
 */
#include <stddef.h>

#include "qmgr.h"
#include "server.h"

static const struct server_spec qmgr_spec = {
	.name = "qmgr",
	.listen_param = NULL,
	.user_param = "qmgr_user",
	.process_limit_param = NULL,
	.unix_mode = 0,
	.unix_group_param = NULL,
	.pre_drop = NULL,
	.post_drop = NULL,
	.session = NULL,
	.loop = qmgr_loop,
};

/* Hand over to the server skeleton. */
int
main(int argc, char **argv)
{
	server_main(argc, argv, &qmgr_spec);
}
