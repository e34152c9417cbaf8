/*
 * buf.h - the one growable byte buffer: length, capacity and a hard maximum.
 *
 * Public:
 *   buf_new(initial, max)      max 0 means SIZE_MAX/2.
 *   buf_free(&b)               frees and NULLs.
 *   buf_append(b, p, n)        0, or -1 (errno EMSGSIZE) when len+n would pass
 *                              max; then b is unchanged.  Growth checks overflow.
 *   buf_append_str/buf_append_char/buf_printf  same contract.
 *   buf_reset(b)               len = 0, keeps memory.
 *   buf_consume(b, n)          drop n bytes from the front.
 *   buf_cstr(b)                NUL-terminates (not counted in len) and returns data;
 *                              the NUL never counts against max.
 *   buf_put/buf_put_str/buf_put_char/buf_putf  the same for a buffer without a maximum
 *                              of its own (max 0): they cannot fail short of
 *                              SIZE_MAX/2, which panics (output builders).
 * data is always valid (never NULL) after buf_new.
 */
#ifndef PETREL_BUF_H
#define PETREL_BUF_H

#include <stddef.h>
#include "log.h"

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

struct buf *buf_new(size_t initial, size_t max);
void buf_free(struct buf **bp);
int buf_append(struct buf *b, const void *p, size_t n) WARN_UNUSED;
int buf_append_str(struct buf *b, const char *s) WARN_UNUSED;
int buf_append_char(struct buf *b, char c) WARN_UNUSED;
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3))) WARN_UNUSED;
void buf_put(struct buf *b, const void *p, size_t n);
void buf_put_str(struct buf *b, const char *s);
void buf_put_char(struct buf *b, char c);
void buf_putf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_consume(struct buf *b, size_t n);
char *buf_cstr(struct buf *b);

#endif
