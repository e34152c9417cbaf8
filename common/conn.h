/*
 * conn.h - one client connection: buffered, bounded, timed line I/O on a socket,
 * in plaintext or (after STARTTLS) through TLS, transparently.
 *
 * Public:
 *   conn_new(fd_in, fd_out, maxline, timeout_sec)  fd_in may equal fd_out.
 *   conn_free(&c)                    closes nothing unless conn_close() is called.
 *   conn_close_linger(c, max_ms)     close; a socket through linger_close
 *                                    (linger.h), so the last reply arrives.
 *   conn_read_line(c, &line, &len, &ending_r)
 *        CONN_LINE     a line (terminator stripped; see linereader.h)
 *        CONN_TOO_LONG the line passed maxline; the remainder up to LF is skipped
 *        CONN_EOF      peer closed, read error or timeout (c->timed_out says which)
 *      Pending output is flushed before blocking for input.  Every wait is
 *      bounded by the timeout and by the session deadline.
 *   conn_input_pending(c)            bytes already buffered (PIPELINING check).
 *   conn_peek_input(c, ms)           flush, then wait up to ms for input
 *                                    without reading it: 1 some came, 0
 *                                    none, -1 closed or failed.
 *   conn_read_raw(c, dst, n)         up to n raw bytes (buffered first); 0 = EOF.
 *   conn_preload(c, p, n)            queue bytes as if read (input handed
 *                                    over by another process); returns how
 *                                    many fit.
 *   conn_write(c, p, n) / conn_puts(c, s) / conn_printf(c, fmt, ...)  buffer output
 *   conn_vputline(c, line, size, fmt, ap)  format one reply line into the
 *                                    caller's buffer (cut to fit), queue it
 *                                    with CRLF; returns the text without CRLF.
 *   conn_flush(c)                    0 or -1 on write error/timeout.
 *   conn_set_deadline(c, unix_time)  whole-session bound.
 *   conn_set_stress(flag, timeout_sec)  for the whole process: while *flag
 *                                    is non-zero (the pool is overloaded,
 *                                    see server.h) every wait is bounded
 *                                    by timeout_sec too, counted from the
 *                                    start of the line being read (a
 *                                    client sending a byte at a time gets
 *                                    no more), as Postfix's stress-
 *                                    dependent smtpd_timeout does.  A
 *                                    wait interrupted by a signal looks
 *                                    at the flag again.
 *   conn_discard_input(c)            drop everything buffered (before TLS).
 *   conn_starttls_client(c, ctx, name, verify, &errstr)  client handshake:
 *        flushes pending output, DISCARDS buffered input (a server's bytes
 *        sent before the handshake are ignored), SNI = name unless it is an
 *        IP literal; verify CONN_TLS_VERIFY_NONE (encrypt only) or
 *        CONN_TLS_VERIFY_NAME (chain against the context's CAs and the
 *        certificate must match name, wildcards ok).  0, or -1 with errstr
 *        "handshake failed: ...", "certificate verification failed: ..."
 *        or "certificate name mismatch"; after -1 the connection is dead
 *        (reads fail, writes are dropped) and the caller closes it - except
 *        for "TLS needs a socket" and "TLS already active", which are
 *        checked before anything is sent and leave the connection as it was.
 *   conn_starttls_server(c, ctx, &errstr)  server handshake; discards all
 *        buffered input first (STARTTLS command injection defence).  0 / -1.
 *        Both need fd_in == fd_out ("TLS needs a socket") and are bounded by
 *        the timeout per wait and by the session deadline.
 *   conn_is_tls(c)                   1 after a successful handshake.
 *   conn_tls_info(c, buf, size)      "TLSv1.3 with cipher X (256/256 bits)",
 *                                    "" for plaintext; returns buf.
 * After the handshake every read/write goes through TLS.  conn_close (and
 * conn_free, if the TLS session is still there) sends close_notify once
 * without waiting.
 * Output errors are sticky: after one, writes are dropped and c->broken is set.
 */
#ifndef PETREL_CONN_H
#define PETREL_CONN_H

#include <stdarg.h>
#include <stddef.h>
#include <time.h>
#include "linereader.h"
#include "log.h"

enum conn_status { CONN_LINE, CONN_TOO_LONG, CONN_EOF };

#define CONN_TLS_VERIFY_NONE	0	/* encrypt only, no checks */
#define CONN_TLS_VERIFY_NAME	1	/* CA chain + name must match */

struct buf;
struct tls_ctx;
struct tls_session;

struct conn {
	int fd_in;
	int fd_out;
	int timeout;		/* seconds for one read or write */
	time_t deadline;	/* 0 = none */
	int timed_out;
	int broken;
	struct linereader *in;
	struct buf *out;
	struct tls_session *tls;	/* NULL while plaintext */
	int tls_up;		/* handshake completed */
	long long record_ms;	/* when the line being read began, or 0 */
};

struct conn *conn_new(int fd_in, int fd_out, size_t maxline, int timeout_sec);
void conn_free(struct conn **cp);
void conn_close(struct conn *c);
void conn_close_linger(struct conn *c, int max_ms);
void conn_set_stress(const int *flag, int timeout_sec);
enum conn_status conn_read_line(struct conn *c, const char **line_r,
    size_t *len_r, enum line_ending *ending_r);
size_t conn_input_pending(const struct conn *c);
int conn_peek_input(struct conn *c, int ms);
long conn_read_raw(struct conn *c, char *dst, size_t n);
void conn_write(struct conn *c, const void *p, size_t n);
void conn_puts(struct conn *c, const char *s);
void conn_printf(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *conn_vputline(struct conn *c, char *line, size_t size,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
int conn_flush(struct conn *c) WARN_UNUSED;
size_t conn_preload(struct conn *c, const char *p, size_t n);
void conn_set_deadline(struct conn *c, time_t when);
void conn_discard_input(struct conn *c);
int conn_starttls_client(struct conn *c, struct tls_ctx *ctx,
    const char *name, int verify, const char **errstr_r) WARN_UNUSED;
int conn_starttls_server(struct conn *c, struct tls_ctx *ctx,
    const char **errstr_r) WARN_UNUSED;
int conn_is_tls(const struct conn *c);
const char *conn_tls_info(const struct conn *c, char *buf, size_t size);

#endif
