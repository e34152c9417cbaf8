/*
 * conn.c - one client connection: buffered, bounded, timed line I/O.
 *
 * Public: conn_new, conn_free, conn_close, conn_close_linger,
 * conn_set_stress, conn_read_line,
 * conn_input_pending, conn_peek_input, conn_read_raw, conn_write, conn_puts, conn_printf,
 * conn_flush, conn_set_deadline, conn_discard_input, conn_starttls_client,
 * conn_starttls_server, conn_is_tls, conn_tls_info.
 * TLS: once a handshake has started, every byte goes through the session in
 * c->tls (tls.c), which never blocks; conn.c polls the socket for whichever
 * direction OpenSSL wants (a read may need to write and vice versa) with the
 * same timeouts as plaintext.  A handshake first flushes pending output and
 * then discards all buffered input, so bytes that arrived before it (e.g.
 * commands pipelined after STARTTLS by an attacker in the path) are never
 * read as if they had come through TLS.  A failed handshake leaves the
 * dead session in place: no later read or write can fall back to plaintext.
 * Input goes through a fixed-size linereader; output collects in a buf that
 * is flushed when it passes CONN_OUT_FLUSH bytes and always before blocking
 * for input (so pipelined replies go out together, and never deadlock).
 * Every wait is a poll() bounded by the per-operation timeout and by the
 * session deadline.  read()/write() are used rather than recv()/send()
 * because the descriptors may be pipes (stdin/stdout in -S mode).  conn_new
 * makes both descriptors non-blocking: reads and writes are tried first and
 * poll() is called only on EAGAIN, which saves a system call per operation
 * on the hot path and means no write can stall past the timeout.  conn_new ignores SIGPIPE when it
 * is still at its default, so a vanished peer becomes EPIPE, not death.
 * Returns: conn_read_raw gives bytes, 0 at EOF, -1 on error or timeout.
 * Output errors are sticky (c->broken); later writes are dropped.
 * Security: all input is untrusted; memory per connection is bounded by
 * maxline plus the output buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "conn.h"
#include "linger.h"
#include "tls.h"

#define CONN_OUT_FLUSH	(16 * 1024)

/* Make fd non-blocking; a failure only costs the fast path. */
static void
conn_set_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0 && (fl & O_NONBLOCK) == 0)
		(void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Create a connection over fd_in/fd_out (which may be the same). */
struct conn *
conn_new(int fd_in, int fd_out, size_t maxline, int timeout_sec)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	c->fd_in = fd_in;
	c->fd_out = fd_out;
	conn_set_nonblocking(fd_in);
	if (fd_out != fd_in)
		conn_set_nonblocking(fd_out);
	c->timeout = timeout_sec > 0 ? timeout_sec : 300;
	c->in = linereader_new(maxline);
	c->out = buf_new(4096, 0);
	return c;
}

/* Free the connection (descriptors stay open; a live TLS session says
 * close_notify first) and NULL the pointer. */
void
conn_free(struct conn **cp)
{
	if (cp == NULL || *cp == NULL)
		return;
	tls_session_free(&(*cp)->tls, (*cp)->fd_in >= 0 && !(*cp)->broken);
	linereader_free(&(*cp)->in);
	buf_free(&(*cp)->out);
	free(*cp);
	*cp = NULL;
}

/* End TLS (close_notify, not waiting for the answer), then close the
 * descriptors (once each). */
void
conn_close(struct conn *c)
{
	tls_session_free(&c->tls, c->fd_in >= 0 && !c->broken);
	c->tls_up = 0;
	if (c->fd_in >= 0)
		close(c->fd_in);
	if (c->fd_out >= 0 && c->fd_out != c->fd_in)
		close(c->fd_out);
	c->fd_in = c->fd_out = -1;
}

/* Close as conn_close does, but a socket through linger_close (linger.h):
 * our last reply reaches a client whose input we did not read. */
void
conn_close_linger(struct conn *c, int max_ms)
{
	tls_session_free(&c->tls, c->fd_in >= 0 && !c->broken);
	c->tls_up = 0;
	if (c->fd_out >= 0 && c->fd_out != c->fd_in)
		close(c->fd_out);
	if (c->fd_in >= 0)
		linger_close(c->fd_in, max_ms);
	c->fd_in = c->fd_out = -1;
}

/* Milliseconds on the monotonic clock. */
static long long
conn_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const int *conn_stress_flag;	/* see conn_set_stress */
static int conn_stress_timeout = 10;

/* Shorter waits while *flag says the pool is overloaded (conn.h). */
void
conn_set_stress(const int *flag, int timeout_sec)
{
	conn_stress_flag = flag;
	conn_stress_timeout = timeout_sec > 0 ? timeout_sec : 10;
}

/* When a wait that began at start must end (monotonic ms). */
static long long
conn_wait_end(const struct conn *c, long long start)
{
	long long end = start + (long long)c->timeout * 1000, s;

	if (conn_stress_flag != NULL &&
	    __atomic_load_n(conn_stress_flag, __ATOMIC_RELAXED)) {
		s = (c->record_ms != 0 ? c->record_ms : start) +
		    (long long)conn_stress_timeout * 1000;
		if (s < end)
			end = s;
	}
	if (c->deadline != 0) {
		s = conn_now_ms() + (long long)(c->deadline - time(NULL)) * 1000;
		if (s < end)
			end = s;
	}
	return end;
}

/* Wait for fd to become ready: 1 ready, 0 timeout/deadline, -1 error. */
static int
conn_wait(struct conn *c, int fd, short events)
{
	long long start = conn_now_ms(), left;
	struct pollfd pfd;
	int rc;

	for (;;) {
		left = conn_wait_end(c, start) - conn_now_ms();
		if (left <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (rc > 0)
			return 1;	/* POLLHUP/POLLERR: the read/write says */
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* Wait for the direction TLS asked for; 0, or -1 (timed_out on timeout). */
static int
conn_tls_wait(struct conn *c, enum tls_io io)
{
	int w = conn_wait(c, c->fd_in, io == TLS_IO_WANT_WRITE ? POLLOUT : POLLIN);

	if (w == 0)
		c->timed_out = 1;
	return w > 0 ? 0 : -1;
}

/* Write n bytes through TLS with bounded waits; 0 or -1. */
static int
conn_tls_write_all(struct conn *c, const char *p, size_t n)
{
	while (n > 0) {
		size_t put;
		enum tls_io io = tls_session_write(c->tls, p, n, &put);

		if (io == TLS_IO_DONE) {
			p += put;
			n -= put;
			continue;
		}
		if (io != TLS_IO_WANT_READ && io != TLS_IO_WANT_WRITE)
			return -1;
		if (conn_tls_wait(c, io) < 0)
			return -1;
	}
	return 0;
}

/* Read once through TLS: >0, 0 at close_notify, -1 error or timeout. */
static long
conn_tls_read(struct conn *c, char *dst, size_t n)
{
	for (;;) {
		size_t got;
		enum tls_io io = tls_session_read(c->tls, dst, n, &got);

		if (io == TLS_IO_DONE)
			return (long)got;
		if (io == TLS_IO_EOF)
			return 0;
		if (io != TLS_IO_WANT_READ && io != TLS_IO_WANT_WRITE)
			return -1;
		if (conn_tls_wait(c, io) < 0)
			return -1;
	}
}

/* Write n bytes with bounded waits; 0 or -1 (timed_out set on timeout). */
static int
conn_write_all(struct conn *c, const char *p, size_t n)
{
	if (c->tls != NULL)
		return conn_tls_write_all(c, p, n);
	while (n > 0) {
		ssize_t r = write(c->fd_out, p, n);
		int w;

		if (r >= 0) {
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		w = conn_wait(c, c->fd_out, POLLOUT);
		if (w <= 0) {
			if (w == 0)
				c->timed_out = 1;
			return -1;
		}
	}
	return 0;
}

/* Send everything buffered; 0, or -1 (and the connection is broken). */
int
conn_flush(struct conn *c)
{
	int rc;

	if (c->broken) {
		buf_reset(c->out);
		return -1;
	}
	if (c->out->len == 0)
		return 0;
	rc = conn_write_all(c, c->out->data, c->out->len);
	buf_reset(c->out);
	if (rc < 0)
		c->broken = 1;
	return rc;
}

/* Queue n bytes of output; large amounts go straight out. */
void
conn_write(struct conn *c, const void *p, size_t n)
{
	if (c->broken)
		return;
	if (c->out->len + n <= CONN_OUT_FLUSH) {
		if (buf_append(c->out, p, n) < 0)
			c->broken = 1;
		return;
	}
	if (conn_flush(c) < 0)
		return;
	if (n < CONN_OUT_FLUSH) {
		if (buf_append(c->out, p, n) < 0)
			c->broken = 1;
	} else if (conn_write_all(c, p, n) < 0) {
		c->broken = 1;
	}
}

/* Queue a C string. */
void
conn_puts(struct conn *c, const char *s)
{
	conn_write(c, s, strlen(s));
}

/* Queue printf-formatted output. */
void
conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	char small[1024];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		conn_write(c, small, (size_t)n);
		return;
	}
	if (c->broken)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	{
		char *big = xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		conn_write(c, big, (size_t)n);
		free(big);
	}
}

/* Format one protocol line into line[size] (cut to fit), queue it with
 * CRLF, and return the text (NUL-terminated, without CRLF). */
const char *
conn_vputline(struct conn *c, char *line, size_t size, const char *fmt,
    va_list ap)
{
	int n;

	ASSERT(size >= 3);
	if (strchr(fmt, '%') == NULL) {	/* a fixed reply: no printf */
		size_t len = strlen(fmt);

		n = (int)(len < size - 3 ? len : size - 3);
		memcpy(line, fmt, (size_t)n);
	} else {
		n = vsnprintf(line, size - 2, fmt, ap);
	}
	if (n < 0)
		n = 0;
	if ((size_t)n > size - 3)
		n = (int)(size - 3);
	line[n] = '\r';
	line[n + 1] = '\n';
	conn_write(c, line, (size_t)n + 2);
	line[n] = '\0';
	return line;
}

/* Read once from fd_in into dst (flushing output first): >0, 0 EOF, -1. */
static long
conn_read_once(struct conn *c, char *dst, size_t n)
{
	ssize_t r;
	int w, replied = 0;

	if (c->timed_out)
		return -1;
	if (c->out->len > 0) {
		if (conn_flush(c) < 0)
			return -1;
		replied = 1;
	}
	/* TLS may hold decrypted bytes the socket no longer shows: ask it. */
	if (c->tls != NULL)
		return conn_tls_read(c, dst, n);
	/* Having just answered, the peer has not had time to send more:
	 * wait first instead of paying for a read that fails with EAGAIN. */
	if (replied) {
		w = conn_wait(c, c->fd_in, POLLIN);
		if (w <= 0) {
			if (w == 0)
				c->timed_out = 1;
			return -1;
		}
	}
	for (;;) {
		r = read(c->fd_in, dst, n);
		if (r >= 0)
			return (long)r;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -1;
		w = conn_wait(c, c->fd_in, POLLIN);
		if (w <= 0) {
			if (w == 0)
				c->timed_out = 1;
			return -1;
		}
	}
}

/* Return the next line, a too-long report, or EOF/error/timeout. */
enum conn_status
conn_read_line(struct conn *c, const char **line_r, size_t *len_r,
    enum line_ending *ending_r)
{
	c->record_ms = 0;
	for (;;) {
		size_t room;
		char *space;
		long r;

		switch (linereader_get(c->in, line_r, len_r, ending_r)) {
		case LINE_OK:
			c->record_ms = 0;
			return CONN_LINE;
		case LINE_TOO_LONG:
			c->record_ms = 0;
			return CONN_TOO_LONG;
		case LINE_NEED_MORE:
			break;
		}
		space = linereader_space(c->in, &room);
		if (room == 0)
			return CONN_EOF;	/* cannot happen: maxline < size */
		if (c->record_ms == 0)
			c->record_ms = conn_now_ms();
		r = conn_read_once(c, space, room);
		if (r <= 0) {
			c->record_ms = 0;
			return CONN_EOF;
		}
		linereader_commit(c->in, (size_t)r);
	}
}

/* Bytes already buffered and not yet returned. */
size_t
conn_input_pending(const struct conn *c)
{
	return linereader_pending(c->in);
}

/* Has the client sent anything within ms (output flushed first)?  1 bytes
 * are waiting, 0 none came, -1 the client closed or the socket failed. */
int
conn_peek_input(struct conn *c, int ms)
{
	struct pollfd pfd = { .fd = c->fd_in, .events = POLLIN };
	char b;
	ssize_t r;

	if (conn_flush(c) < 0)
		return -1;
	if (linereader_pending(c->in) > 0)
		return 1;
	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	r = recv(c->fd_in, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return r > 0 ? 1 : r == 0 ? -1 : (errno == EAGAIN ? 0 : -1);
}

/* Up to n raw bytes, buffered ones first: >0, 0 at EOF, -1 error/timeout. */
long
conn_read_raw(struct conn *c, char *dst, size_t n)
{
	if (n == 0)
		return 0;
	if (linereader_pending(c->in) > 0)
		return (long)linereader_take(c->in, dst, n);
	if (n > LONG_MAX)
		n = LONG_MAX;
	return conn_read_once(c, dst, n);
}

/* Put bytes received elsewhere in front of the input (a login stage's
 * pipelined commands); returns how many fit. */
size_t
conn_preload(struct conn *c, const char *p, size_t n)
{
	return linereader_feed(c->in, p, n);
}

/* Bound the whole session to end at unix time when (0: no bound). */
void
conn_set_deadline(struct conn *c, time_t when)
{
	c->deadline = when;
}

/* Drop all buffered input (before a TLS handshake). */
void
conn_discard_input(struct conn *c)
{
	linereader_discard(c->in);
}

/* Checks and cleanup shared by both handshakes; 0 or -1. */
static int
conn_tls_prepare(struct conn *c, const char **errstr_r)
{
	if (c->tls != NULL) {
		*errstr_r = "TLS already active";
		return -1;
	}
	if (c->fd_in < 0 || c->fd_in != c->fd_out) {
		*errstr_r = "TLS needs a socket";
		return -1;
	}
	if (conn_flush(c) < 0) {
		*errstr_r = "handshake failed: write error";
		return -1;
	}
	/* Anything the peer sent before the handshake is not protected. */
	conn_discard_input(c);
	return 0;
}

/* Drive the handshake of c->tls to its end; 0 or -1 (connection dead). */
static int
conn_tls_handshake(struct conn *c, const char **errstr_r)
{
	static char err[256];

	for (;;) {
		enum tls_io io = tls_session_handshake(c->tls);

		if (io == TLS_IO_DONE) {
			c->tls_up = 1;
			return 0;
		}
		if (io != TLS_IO_WANT_READ && io != TLS_IO_WANT_WRITE) {
			snprintf(err, sizeof(err), "%s", tls_session_error(c->tls));
			*errstr_r = err;
			break;
		}
		if (conn_tls_wait(c, io) < 0) {
			*errstr_r = c->timed_out ? "handshake failed: timed out" :
			    "handshake failed: poll error";
			break;
		}
	}
	c->broken = 1;
	return -1;
}

/* Client STARTTLS handshake on an established connection; 0 or -1. */
int
conn_starttls_client(struct conn *c, struct tls_ctx *ctx, const char *name,
    int verify, const char **errstr_r)
{
	if (conn_tls_prepare(c, errstr_r) < 0)
		return -1;
	c->tls = tls_session_new(ctx, c->fd_in, name, verify, errstr_r);
	if (c->tls == NULL) {
		c->broken = 1;
		c->timed_out = 1;	/* no plaintext reads either */
		return -1;
	}
	return conn_tls_handshake(c, errstr_r);
}

/* Server STARTTLS handshake (buffered input is dropped first); 0 or -1. */
int
conn_starttls_server(struct conn *c, struct tls_ctx *ctx,
    const char **errstr_r)
{
	if (conn_tls_prepare(c, errstr_r) < 0)
		return -1;
	c->tls = tls_session_new(ctx, c->fd_in, NULL, CONN_TLS_VERIFY_NONE,
	    errstr_r);
	if (c->tls == NULL) {
		c->broken = 1;
		c->timed_out = 1;	/* no plaintext reads either */
		return -1;
	}
	return conn_tls_handshake(c, errstr_r);
}

/* 1 when a TLS handshake has completed on c. */
int
conn_is_tls(const struct conn *c)
{
	return c->tls != NULL && c->tls_up;
}

/* Protocol and cipher of the TLS session into buf ("" for plaintext). */
const char *
conn_tls_info(const struct conn *c, char *buf, size_t size)
{
	if (!conn_is_tls(c)) {
		if (size > 0)
			buf[0] = '\0';
		return buf;
	}
	return tls_session_info(c->tls, buf, size);
}
