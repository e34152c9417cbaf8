/*
 * linereader.c - pure, bounded CRLF/LF line splitter over a fixed buffer.
 *
 * Public: linereader_new, linereader_free, linereader_get, linereader_feed,
 * linereader_space, linereader_commit, linereader_pending, linereader_size,
 * linereader_take, linereader_discard.
 * The buffer holds maxline bytes plus some slack (at least 16 KB in all)
 * and never grows; consumed
 * bytes are reclaimed by moving the unread tail to the front only when more
 * space is requested, so a line returned by linereader_get stays valid until
 * the next call.  A line of maxline bytes without LF is reported once as
 * LINE_TOO_LONG, and input is then discarded through the next LF.
 * Security: no I/O and no allocation after linereader_new; memory per
 * connection is fixed whatever the peer sends.  Each byte is scanned for LF
 * once, so a peer sending one byte at a time costs linear time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "linereader.h"

#define LR_SLACK 1024
#define LR_MIN_SIZE 16384	/* so raw reads (DATA, BDAT) come in big chunks */

struct linereader {
	char *buf;
	size_t size;		/* allocated bytes */
	size_t maxline;		/* longest line including terminator */
	size_t start;		/* first unread byte */
	size_t end;		/* one past the last buffered byte */
	size_t scanned;		/* bytes after start known to hold no LF */
	int discarding;		/* skipping the rest of a too-long line */
};

/* Create a reader accepting lines of up to maxline bytes with terminator. */
struct linereader *
linereader_new(size_t maxline)
{
	struct linereader *lr = xcalloc(1, sizeof(*lr));

	if (maxline < 2)
		maxline = 2;
	if (maxline > SIZE_MAX / 4)
		maxline = SIZE_MAX / 4;
	lr->maxline = maxline;
	lr->size = maxline + LR_SLACK;
	if (lr->size < LR_MIN_SIZE)
		lr->size = LR_MIN_SIZE;
	lr->buf = xmalloc(lr->size);
	return lr;
}

/* Free the reader and NULL the caller's pointer. */
void
linereader_free(struct linereader **lrp)
{
	if (lrp == NULL || *lrp == NULL)
		return;
	free((*lrp)->buf);
	free(*lrp);
	*lrp = NULL;
}

/* Skip input through the next LF; 1 when that LF has been seen. */
static int
lr_skip_rest(struct linereader *lr)
{
	char *lf = memchr(lr->buf + lr->start, '\n', lr->end - lr->start);

	if (lf == NULL) {
		lr->start = lr->end = lr->scanned = 0;
		return 0;
	}
	lr->start = (size_t)(lf - lr->buf) + 1;
	lr->scanned = 0;
	lr->discarding = 0;
	return 1;
}

/* Return the next complete line, or say why there is none. */
enum line_status
linereader_get(struct linereader *lr, const char **line_r, size_t *len_r,
    enum line_ending *ending_r)
{
	size_t avail, len;
	char *lf;

	if (lr->discarding && !lr_skip_rest(lr))
		return LINE_NEED_MORE;
	avail = lr->end - lr->start;
	lf = memchr(lr->buf + lr->start + lr->scanned, '\n',
	    avail - lr->scanned);
	if (lf == NULL) {
		lr->scanned = avail;
		if (avail < lr->maxline)
			return LINE_NEED_MORE;
		lr->discarding = 1;
		lr->start = lr->end = lr->scanned = 0;
		return LINE_TOO_LONG;
	}
	len = (size_t)(lf - (lr->buf + lr->start));
	*line_r = lr->buf + lr->start;
	lr->start += len + 1;
	lr->scanned = 0;
	if (len + 1 > lr->maxline)
		return LINE_TOO_LONG;
	*ending_r = LINE_END_LF;
	if (len > 0 && (*line_r)[len - 1] == '\r') {
		*ending_r = LINE_END_CRLF;
		len--;
	}
	*len_r = len;
	return LINE_OK;
}

/* Copy up to n bytes into the reader; returns how many were taken. */
size_t
linereader_feed(struct linereader *lr, const char *p, size_t n)
{
	size_t room, take;
	char *dst = linereader_space(lr, &room);

	take = n < room ? n : room;
	if (take > 0)
		memcpy(dst, p, take);
	linereader_commit(lr, take);
	return take;
}

/* Free space at the end of the buffer, compacting first when useful. */
char *
linereader_space(struct linereader *lr, size_t *n_r)
{
	if (lr->start == lr->end) {
		lr->start = lr->end = lr->scanned = 0;
	} else if (lr->start > 0 && lr->size - lr->end < lr->size / 2) {
		memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
		lr->end -= lr->start;
		lr->start = 0;
	}
	*n_r = lr->size - lr->end;
	return lr->buf + lr->end;
}

/* Account for n bytes written into the space from linereader_space. */
void
linereader_commit(struct linereader *lr, size_t n)
{
	if (n > lr->size - lr->end)
		n = lr->size - lr->end;
	lr->end += n;
}

/* Bytes buffered and not yet returned. */
size_t
linereader_pending(const struct linereader *lr)
{
	return lr->end - lr->start;
}

/* The buffer's size: the most that linereader_feed takes when empty. */
size_t
linereader_size(const struct linereader *lr)
{
	return lr->size;
}

/* Take up to n raw buffered bytes (BDAT chunks, IMAP literals). */
size_t
linereader_take(struct linereader *lr, char *dst, size_t n)
{
	size_t avail = lr->end - lr->start;

	if (n > avail)
		n = avail;
	if (n > 0)
		memcpy(dst, lr->buf + lr->start, n);
	lr->start += n;
	lr->scanned = lr->scanned > n ? lr->scanned - n : 0;
	return n;
}

/* Drop everything buffered (before a TLS handshake). */
void
linereader_discard(struct linereader *lr)
{
	lr->start = lr->end = lr->scanned = 0;
	lr->discarding = 0;
}
