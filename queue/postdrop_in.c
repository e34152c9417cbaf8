/*
 * postdrop_in.c - petrel-postdrop's buffered standard input.
 *
 * Public: pd_in_init, pd_in_line (one line up to PD_LINE_MAX bytes, with
 * its LF; 1 line, 0 end of input, -1 line too long or read error), and
 * pd_in_read (raw bytes after what the line reader buffered; 0 at EOF,
 * -1 on error).
 * Security: the input is the untrusted caller's; every line is bounded.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "postdrop.h"

/* Start reading from fd. */
void
pd_in_init(struct pd_in *in, int fd)
{
	in->fd = fd;
	in->eof = 0;
	in->pos = in->len = 0;
}

/* Read more input behind what is buffered; 0, or -1 on a read error. */
static int
pd_in_fill(struct pd_in *in)
{
	ssize_t r;

	if (in->pos > 0) {
		memmove(in->data, in->data + in->pos, in->len - in->pos);
		in->len -= in->pos;
		in->pos = 0;
	}
	do {
		r = read(in->fd, in->data + in->len, sizeof(in->data) - in->len);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	if (r == 0)
		in->eof = 1;
	in->len += (size_t)r;
	return 0;
}

/* One line including its LF (the last one may lack it). */
int
pd_in_line(struct pd_in *in, const char **line_r, size_t *len_r)
{
	char *nl;

	for (;;) {
		nl = memchr(in->data + in->pos, '\n', in->len - in->pos);
		if (nl != NULL || (in->eof && in->len > in->pos)) {
			size_t n = nl != NULL ? (size_t)(nl - in->data) + 1 -
			    in->pos : in->len - in->pos;

			*line_r = in->data + in->pos;
			*len_r = n;
			in->pos += n;
			return 1;
		}
		if (in->eof)
			return 0;
		if (in->pos == 0 && in->len == sizeof(in->data))
			return -1;
		if (pd_in_fill(in) < 0)
			return -1;
	}
}

/* Raw bytes: first what is buffered, then straight from the fd. */
ssize_t
pd_in_read(struct pd_in *in, char *dst, size_t n)
{
	ssize_t r;

	if (in->pos < in->len) {
		size_t t = in->len - in->pos < n ? in->len - in->pos : n;

		memcpy(dst, in->data + in->pos, t);
		in->pos += t;
		return (ssize_t)t;
	}
	if (in->eof)
		return 0;
	do {
		r = read(in->fd, dst, n);
	} while (r < 0 && errno == EINTR);
	if (r == 0)
		in->eof = 1;
	return r;
}
