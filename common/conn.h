/*
 * conn.h - one client connection: buffered, bounded, timed line I/O on a socket
 * (TLS is added behind this interface by a later issue).
 *
 * Public:
 *   conn_new(fd_in, fd_out, maxline, timeout_sec)  fd_in may equal fd_out.
 *   conn_free(&c)                    closes nothing unless conn_close() is called.
 *   conn_read_line(c, &line, &len, &ending_r)
 *        CONN_LINE     a line (terminator stripped; see linereader.h)
 *        CONN_TOO_LONG the line passed maxline; the remainder up to LF is skipped
 *        CONN_EOF      peer closed, read error or timeout (c->timed_out says which)
 *      Pending output is flushed before blocking for input.  Every wait is
 *      bounded by the timeout and by the session deadline.
 *   conn_input_pending(c)            bytes already buffered (PIPELINING check).
 *   conn_read_raw(c, dst, n)         up to n raw bytes (buffered first); 0 = EOF.
 *   conn_write(c, p, n) / conn_puts(c, s) / conn_printf(c, fmt, ...)  buffer output
 *   conn_vputline(c, line, size, fmt, ap)  format one reply line into the
 *                                    caller's buffer (cut to fit), queue it
 *                                    with CRLF; returns the text without CRLF.
 *   conn_flush(c)                    0 or -1 on write error/timeout.
 *   conn_set_deadline(c, unix_time)  whole-session bound.
 *   conn_discard_input(c)            drop everything buffered (before TLS).
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

struct buf;

struct conn {
	int fd_in;
	int fd_out;
	int timeout;		/* seconds for one read or write */
	time_t deadline;	/* 0 = none */
	int timed_out;
	int broken;
	struct linereader *in;
	struct buf *out;
	void *tls;		/* reserved for the TLS issue */
};

struct conn *conn_new(int fd_in, int fd_out, size_t maxline, int timeout_sec);
void conn_free(struct conn **cp);
void conn_close(struct conn *c);
enum conn_status conn_read_line(struct conn *c, const char **line_r,
    size_t *len_r, enum line_ending *ending_r);
size_t conn_input_pending(const struct conn *c);
long conn_read_raw(struct conn *c, char *dst, size_t n);
void conn_write(struct conn *c, const void *p, size_t n);
void conn_puts(struct conn *c, const char *s);
void conn_printf(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *conn_vputline(struct conn *c, char *line, size_t size,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
int conn_flush(struct conn *c) WARN_UNUSED;
void conn_set_deadline(struct conn *c, time_t when);
void conn_discard_input(struct conn *c);

#endif
