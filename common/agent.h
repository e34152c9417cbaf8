/*
 * agent.h - the delivery agents' side of the queue manager connection
 * (deliver.h protocol), shared by petrel-local and petrel-smtp: read a
 * request (the queue file descriptor arrives with its first bytes), run the
 * agent's handler, write the reply, and wait for the next request on the
 * same connection.
 *
 * Public:
 *   agent_serve(fd_in, fd_out, spec)  returns when the queue manager closes,
 *                                     misbehaves, times out or the server
 *                                     is stopping.
 * struct agent_spec:
 *   timeout      seconds an idle connection or a request read may take
 *   handle       (qfd, request, reply buf) - fills the reply's STATUS lines
 *                (END is added here); qfd is closed afterwards
 *   idle         optional: called while waiting for a request, at least
 *                every idle_ms milliseconds (e.g. to close cached SMTP
 *                sessions past their time limit)
 * Bounds: any protocol error, a missing or second descriptor, or bytes after
 * END close the connection (the queue manager then defers and reconnects).
 * Security: the peer can only be the queue manager (socket mode 0660, group
 * of qmgr_user), but its bytes are still parsed with bounds.
 */
#ifndef PETREL_AGENT_H
#define PETREL_AGENT_H

struct buf;
struct deliver_msg;

struct agent_spec {
	long timeout;
	void (*handle)(int qfd, const struct deliver_msg *req, struct buf *reply);
	void (*idle)(void);
	int idle_ms;
};

void agent_serve(int fd_in, int fd_out, const struct agent_spec *spec);

#endif
