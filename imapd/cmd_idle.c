/*
 * cmd_idle.c - IDLE (RFC 2177, RFC 9051 6.3.13): push of new mail, flag
 * changes and expunges while the client waits.
 *
 * Public: cmd_idle (session.h).
 * The session watches the selected folder with inotify (mstore_watch) and
 * announces what changed as soon as an event arrives: a delivery, another
 * session's STORE or EXPUNGE, POP3 taking mail - within a second and
 * without polling.  Every imapd_idle_keepalive without news it sends
 * "* OK Still here", which keeps NAT state and clients' watchdogs happy
 * (research/imap-clients.md, pitfall 8).  "DONE" ends the IDLE; any other
 * line is answered BAD and ends it too.  An IDLE lasts at most
 * IDLE_MAX_SECONDS (then the server ends it with OK, and the client
 * simply idles again), SIGTERM ends the session.
 * Security: only the client's "DONE" line is read; it is bounded by the
 * session's line limit.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "mstore.h"
#include "params.h"
#include "session.h"

#define IDLE_MAX_SECONDS	(24 * 3600)

/* Drop the queued inotify events (each only says "look again"). */
static void
idle_drain(int ifd)
{
	char evbuf[4096];

	while (read(ifd, evbuf, sizeof(evbuf)) > 0)
		continue;
}

/* Read the client's line; 1 DONE, 0 another line (BAD sent), -1 gone. */
static int
idle_client_line(struct imapd_session *s)
{
	enum line_ending end;
	const char *line;
	size_t len;

	if (conn_read_line(s->conn, &line, &len, &end) != CONN_LINE)
		return -1;
	if (len == 4 && strncasecmp(line, "DONE", 4) == 0)
		return 1;
	imapd_bad(s, "Expected DONE.");
	return 0;
}

/* The client's line during IDLE: 1 DONE, 2 another (answered BAD), -1. */
static int
idle_client(struct imapd_session *s)
{
	int c = idle_client_line(s);

	return c < 0 ? -1 : c == 1 ? 1 : 2;
}

/* Wait for the client, a change or the keepalive; -1 gone, 0 going on,
 * 1 DONE, 2 another line (answered BAD). */
static int
idle_wait(struct imapd_session *s, int ifd, time_t *keepalive)
{
	struct pollfd pfd[2];
	time_t now = time(NULL);
	int n, ms = *keepalive > now ? (int)(*keepalive - now) * 1000 : 0;

	if (conn_input_pending(s->conn) > 0)
		return idle_client(s);
	pfd[0].fd = s->conn->fd_in;
	pfd[0].events = POLLIN;
	pfd[1].fd = ifd;
	pfd[1].events = POLLIN;
	n = poll(pfd, ifd >= 0 ? 2 : 1, ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n > 0 && ifd >= 0 && (pfd[1].revents & POLLIN)) {
		idle_drain(ifd);
		(void)imapd_announce(s, 1);
		*keepalive = time(NULL) + var_imapd_idle_keepalive;
	}
	if (n > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
		return idle_client(s);
	if (time(NULL) >= *keepalive) {
		imapd_reply(s, "* OK Still here");
		*keepalive = time(NULL) + var_imapd_idle_keepalive;
	}
	return conn_flush(s->conn) == 0 ? 0 : -1;
}

/* IDLE. */
void
cmd_idle(struct imapd_session *s, const struct imap_cmd *cmd)
{
	time_t keepalive, end = time(NULL) + IDLE_MAX_SECONDS;
	int ifd = -1, r = 0;

	if (cmd->count != 0) {
		imapd_bad(s, "IDLE takes no arguments.");
		return;
	}
	if (s->box != NULL &&
	    (ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) >= 0 &&
	    mstore_watch(s->box, ifd) != 0) {
		log_warn("imap(%s): inotify on %s: %m (IDLE checks at each "
		    "keepalive)", s->user, s->box_name);
	}
	(void)imapd_announce(s, 1);
	imapd_reply(s, "+ idling");
	keepalive = time(NULL) + var_imapd_idle_keepalive;
	if (conn_flush(s->conn) != 0)
		r = -1;
	while (r == 0 && !imapd_terminating() && time(NULL) < end) {
		r = idle_wait(s, ifd, &keepalive);
		if (r == 0 && ifd < 0 && time(NULL) >= keepalive)
			(void)imapd_announce(s, 1);
	}
	if (ifd >= 0)
		close(ifd);
	if (r == 0 || r == 1)
		imapd_tagged(s, "OK Idle completed.");
}
