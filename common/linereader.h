/*
 * linereader.h - pure, bounded CRLF/LF line splitter over a fixed buffer.
 *
 * No I/O here: the caller feeds bytes (linereader_space/linereader_commit, or
 * linereader_feed) and asks for lines.  conn.c wraps it around a socket.
 *
 * Public:
 *   linereader_new(maxline)   maxline is the longest accepted line including
 *                             its terminator.
 *   linereader_get(lr, &line, &len, &ending_r)
 *        LINE_OK        *line_r, *len_r: one line WITHOUT its terminator; ending_r
 *                       tells how it ended: LINE_END_CRLF or LINE_END_LF (a bare
 *                       LF) - SMTP DATA needs the difference.  A CR not followed
 *                       by LF stays inside the line.
 *        LINE_NEED_MORE no complete line buffered.
 *        LINE_TOO_LONG  maxline bytes without LF: the reader now discards input
 *                       up to and including the next LF (reported once).
 *   linereader_feed(lr, p, n)       copy up to n bytes in; returns bytes taken.
 *   linereader_space(lr, &n) / linereader_commit(lr, n)  zero-copy fill.
 *   linereader_pending(lr)          bytes buffered and not yet returned.
 *   linereader_size(lr)             the buffer's size (what an empty reader
 *                                   takes back through linereader_feed).
 *   linereader_take(lr, dst, n)     raw bytes (for BDAT/literals); returns count.
 *   linereader_discard(lr)          drop everything buffered (STARTTLS).
 * A returned line stays valid until the next call on the reader.
 */
#ifndef PETREL_LINEREADER_H
#define PETREL_LINEREADER_H

#include <stddef.h>

enum line_status { LINE_OK, LINE_NEED_MORE, LINE_TOO_LONG };
enum line_ending { LINE_END_CRLF, LINE_END_LF };

struct linereader;

struct linereader *linereader_new(size_t maxline);
void linereader_free(struct linereader **lrp);
enum line_status linereader_get(struct linereader *lr, const char **line_r,
    size_t *len_r, enum line_ending *ending_r);
size_t linereader_feed(struct linereader *lr, const char *p, size_t n);
char *linereader_space(struct linereader *lr, size_t *n_r);
void linereader_commit(struct linereader *lr, size_t n);
size_t linereader_pending(const struct linereader *lr);
size_t linereader_size(const struct linereader *lr);
size_t linereader_take(struct linereader *lr, char *dst, size_t n);
void linereader_discard(struct linereader *lr);

#endif
