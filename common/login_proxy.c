/*
 * login_proxy.c - after a TLS client has logged in, the login process
 * relays bytes between the TLS session and the session process's end of
 * a socketpair, for the rest of the connection (the session process
 * never sees the TLS keys).
 *
 * Public (see login.h): login_proxy_start(c, our_end) - 0, or -1 when the
 * relay cannot start; login_proxy_event(c) - move what can be moved.
 * Each direction holds at most LOGIN_PROXY_BUF bytes; a full buffer stops
 * reading from the side that filled it (backpressure), so a slow client
 * slows its session down rather than growing our memory.  EOF on one
 * side is passed on once the other side has taken what was pending.
 * Security: the relayed bytes are not parsed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "login.h"
#include "tls.h"

/* Take over the relay's end of the socketpair. */
int
login_proxy_start(struct login_client *c, int our_end)
{
	if (fcntl(our_end, F_SETFL, O_NONBLOCK) < 0)
		return -1;
	c->proxy_ev.fd = our_end;
	c->state = LS_PROXY;
	c->in->max = LOGIN_PROXY_BUF;
	c->down = buf_new(16384, LOGIN_PROXY_BUF);
	return 0;
}

/* Session -> client: read the socketpair into c->down; 0 on EOF. */
static int
proxy_from_session(struct login_client *c)
{
	char tmp[16384];
	size_t room;
	ssize_t n;

	while ((room = c->down->max - c->down->len) > 0) {
		if (room > sizeof(tmp))
			room = sizeof(tmp);
		n = read(c->proxy_ev.fd, tmp, room);
		if (n == 0)
			return 0;
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 1 : 0;
		if (buf_append(c->down, tmp, (size_t)n) != 0)
			return 0;
	}
	return 1;
}

/* Client -> session: write what c->in holds; 0 when the session is gone. */
static int
proxy_to_session(struct login_client *c)
{
	ssize_t n;

	while (c->in->len > 0) {
		n = send(c->proxy_ev.fd, c->in->data, c->in->len, MSG_NOSIGNAL);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 1 : 0;
		buf_consume(c->in, (size_t)n);
	}
	return 1;
}

/* Send c->down to the client through TLS; -1 when the client is gone. */
static int
proxy_to_client(struct login_client *c)
{
	struct buf *saved = c->out;
	int rc;

	c->out = c->down;		/* login_io_flush sends c->out */
	rc = login_io_flush(c);
	c->out = saved;
	return rc;
}

/* Register both descriptors for what the buffers allow. */
static void
proxy_update(struct login_client *c)
{
	unsigned int cm = 0, pm = 0;

	if (!c->client_eof && c->in->len < c->in->max)
		cm |= EPOLLIN;
	if (c->down->len > 0)
		cm |= EPOLLOUT;
	if (!c->session_eof && c->down->len < c->down->max)
		pm |= EPOLLIN;
	if (c->in->len > 0)
		pm |= EPOLLOUT;
	login_watch(&c->ev, cm);
	login_watch(&c->proxy_ev, pm);
}

/* Move what can be moved in both directions; end the relay when one
 * side has ended and the other has taken everything it was owed. */
void
login_proxy_event(struct login_client *c)
{
	if (!c->client_eof && !login_io_read(c))
		c->client_eof = 1;
	if (!proxy_to_session(c)) {
		(void)proxy_to_client(c);
		login_close(c);		/* the session is gone */
		return;
	}
	if (!c->session_eof && !proxy_from_session(c))
		c->session_eof = 1;
	if (proxy_to_client(c) < 0 || (c->client_eof && c->in->len == 0) ||
	    (c->session_eof && c->down->len == 0)) {
		login_close(c);		/* close_notify; the session: EOF */
		return;
	}
	proxy_update(c);
}
