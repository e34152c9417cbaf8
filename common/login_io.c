/*
 * login_io.c - moving bytes between one pre-login client (imapd, pop3d;
 * login.h) and its buffers, in plaintext or through TLS, without ever
 * blocking.
 *
 * Public (see login.h): login_io_read (append what the socket has to
 * c->in: 1 progress or nothing yet, 0 EOF or error), login_io_flush (send
 * c->out: 0, or -1 when the connection is dead), login_io_handshake (one
 * step: 1 done, 0 in progress, -1 failed), login_io_start_tls (make the
 * TLS session; the handshake runs from the next event on), login_reply
 * (queue one line plus CRLF), login_io_update (epoll interest from state).
 * Input past the buffer's bound is not read: the command layer sees a
 * full buffer and answers that the line is too long.
 * Security: handshake failures are logged with the client address only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "login.h"
#include "tls.h"
#include "tls_server.h"

/* A TLS read's or write's result as io_read_some/io_write_some return
 * it: 1 done, 0 would block, -1 dead. */
static int
io_tls_verdict(enum tls_io r)
{
	if (r == TLS_IO_DONE)
		return 1;
	return r == TLS_IO_WANT_READ || r == TLS_IO_WANT_WRITE ? 0 : -1;
}

/* Read once from the socket or the TLS session into dst. */
static int
io_read_some(struct login_client *c, char *dst, size_t n, size_t *got_r)
{
	ssize_t r;

	*got_r = 0;
	if (c->tls != NULL) {
		return io_tls_verdict(tls_session_read(c->tls, dst, n, got_r));
	}
	r = read(c->ev.fd, dst, n);
	if (r > 0) {
		*got_r = (size_t)r;
		return 1;
	}
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	return -1;
}

/* Append what the client sent to c->in (up to its bound). */
int
login_io_read(struct login_client *c)
{
	char tmp[16384];
	size_t room, got;
	int rc;

	for (int i = 0; i < 8; i++) {
		room = c->in->max - c->in->len;
		if (room == 0)
			return 1;
		if (room > sizeof(tmp))
			room = sizeof(tmp);
		rc = io_read_some(c, tmp, room, &got);
		if (rc < 0)
			return 0;
		if (rc == 0)
			return 1;
		if (buf_append(c->in, tmp, got) != 0)
			return 0;
	}
	return 1;
}

/* Write once from src; 1 some written, 0 would block, -1 dead. */
static int
io_write_some(struct login_client *c, const char *src, size_t n,
    size_t *put_r)
{
	ssize_t r;

	*put_r = 0;
	if (c->tls != NULL) {
		return io_tls_verdict(tls_session_write(c->tls, src, n, put_r));
	}
	r = write(c->out_fd, src, n);
	if (r >= 0) {
		*put_r = (size_t)r;
		return 1;
	}
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
}

/* Send as much of c->out as the socket takes. */
int
login_io_flush(struct login_client *c)
{
	size_t put;
	int rc;

	while (c->out->len > 0) {
		rc = io_write_some(c, c->out->data, c->out->len, &put);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
		buf_consume(c->out, put);
	}
	return 0;
}

/* Queue one reply line (CRLF added); output past its bound closes. */
void
login_reply(struct login_client *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 3)
		n = (int)sizeof(line) - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	if (buf_append(c->out, line, (size_t)n) != 0)
		c->state = LS_CLOSING;
}

/* Make the TLS session over the client socket. */
int
login_io_start_tls(struct login_client *c)
{
	const char *err = NULL;

	c->tls = tls_session_new(tls_server_get_ctx(login_proto->tls()),
	    c->ev.fd, NULL, 0, &err);
	if (c->tls == NULL) {
		log_warn("TLS session for %s: %s", c->peer.addr,
		    err != NULL ? err : "error");
		return -1;
	}
	c->state = LS_HANDSHAKE;
	c->deadline = login_now() + tls_server_timeout(login_proto->tls());
	return 0;
}

/* One handshake step. */
int
login_io_handshake(struct login_client *c)
{
	switch (tls_session_handshake(c->tls)) {
	case TLS_IO_DONE:
		c->tls_up = 1;
		c->deadline = login_now() + *login_proto->login_timeout;
		return 1;
	case TLS_IO_WANT_READ:
	case TLS_IO_WANT_WRITE:
		return 0;
	default:
		log_info("%s-login: TLS handshake failed: %s, rip=%s",
		    login_proto->name, tls_session_error(c->tls),
		    c->peer.addr);
		return -1;
	}
}

/* Register the client socket for what its state waits for. */
void
login_io_update(struct login_client *c)
{
	unsigned int mask = EPOLLIN;

	if (c->out->len > 0 || (c->down != NULL && c->down->len > 0))
		mask |= EPOLLOUT;
	if (c->state == LS_AUTH || c->state == LS_DELAY)
		mask = c->out->len > 0 ? EPOLLOUT : 0;
	if (c->state == LS_PROXY && c->in->len >= LOGIN_PROXY_BUF)
		mask &= ~(unsigned int)EPOLLIN;	/* the session lags */
	login_watch(&c->ev, mask);
}
