/*
 * buf.c - the one growable byte buffer: length, capacity and a hard maximum.
 *
 * Public: buf_new, buf_free, buf_append, buf_append_str, buf_append_char,
 * buf_printf, buf_reset, buf_consume, buf_cstr.
 * Appends return 0, or -1 with errno EMSGSIZE when the content would pass
 * max; the buffer is then unchanged.  Growth doubles and checks every
 * addition for overflow.  One byte beyond len is always allocated so that
 * buf_cstr() never needs to grow (the NUL never counts against max).
 * Fatal: only on out-of-memory (through xrealloc).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"

/* Create a buffer with initial capacity and a hard maximum (0: SIZE_MAX/2). */
struct buf *
buf_new(size_t initial, size_t max)
{
	struct buf *b = xmalloc(sizeof(*b));

	if (max == 0 || max > SIZE_MAX / 2)
		max = SIZE_MAX / 2;
	if (initial == 0)
		initial = 64;
	if (initial > max)
		initial = max;
	b->cap = initial + 1;
	b->data = xmalloc(b->cap);
	b->data[0] = '\0';
	b->len = 0;
	b->max = max;
	return b;
}

/* Free the buffer and NULL the caller's pointer. */
void
buf_free(struct buf **bp)
{
	if (bp == NULL || *bp == NULL)
		return;
	free((*bp)->data);
	free(*bp);
	*bp = NULL;
}

/* Make room for n more bytes plus a NUL; -1/EMSGSIZE past max. */
static int
buf_reserve(struct buf *b, size_t n)
{
	size_t need, ncap;

	if (n > b->max || b->len > b->max - n) {
		errno = EMSGSIZE;
		return -1;
	}
	need = b->len + n + 1;	/* cannot overflow: max <= SIZE_MAX/2 */
	if (need <= b->cap)
		return 0;
	ncap = b->cap;
	while (ncap < need)
		ncap = ncap <= SIZE_MAX / 2 ? ncap * 2 : need;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	b->data = xrealloc(b->data, ncap);
	b->cap = ncap;
	return 0;
}

/* Append n bytes. */
int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

/* Append a C string without its NUL. */
int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* Append one byte. */
int
buf_append_char(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

/* Append printf-formatted text; all or nothing. */
int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < b->cap - b->len) {
		if ((size_t)n > b->max - b->len) {
			b->data[b->len] = '\0';
			errno = EMSGSIZE;
			return -1;
		}
		b->len += (size_t)n;
		return 0;
	}
	if (buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	b->len += (size_t)n;
	return 0;
}

/* Empty the buffer, keeping its memory. */
void
buf_reset(struct buf *b)
{
	b->len = 0;
}

/* Drop n bytes from the front (all of them if n >= len). */
void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

/* NUL-terminate (not counted in len) and return the data. */
char *
buf_cstr(struct buf *b)
{
	b->data[b->len] = '\0';
	return b->data;
}

/* Append to a buffer that has no maximum of its own (max 0): such an
 * append fails only past SIZE_MAX/2, an invariant broken (memory
 * exhaustion is already fatal in the allocator). */
void
buf_put(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) != 0)
		log_panic("buf_put: %zu bytes past the buffer's bound", n);
}

/* buf_put of one character. */
void
buf_put_char(struct buf *b, char c)
{
	buf_put(b, &c, 1);
}

/* buf_put of a string. */
void
buf_put_str(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* buf_put of formatted text. */
void
buf_putf(struct buf *b, const char *fmt, ...)
{
	char small[256], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		log_panic("buf_putf: bad format");
	if ((size_t)n < sizeof(small)) {
		buf_put(b, small, (size_t)n);
		return;
	}
	big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_put(b, big, (size_t)n);
	free(big);
}
