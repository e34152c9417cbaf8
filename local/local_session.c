/*
 * local_session.c - one connection from the queue manager: the shared agent
 * request loop (common/agent.c) with local delivery as its handler.
 *
 * Public: local_session(fd_in, fd_out, peer).
 * Bounds: an idle connection is closed after local_timeout.
 */
#include "agent.h"
#include "local.h"
#include "params.h"
#include "server.h"

/* Serve requests until the queue manager closes or misbehaves. */
void
local_session(int fd_in, int fd_out, const struct server_peer *peer)
{
	struct agent_spec spec = {
		.timeout = var_local_timeout,
		.handle = local_deliver_request,
	};

	(void)peer;
	agent_serve(fd_in, fd_out, &spec);
}
