/*
 * smtp_data.c - pure decoder for the SMTP DATA stream (see smtp_data.h).
 *
 * Public: smtp_data_init, smtp_data_decode.
 * A byte-at-a-time state machine, so any chunking of the input gives the
 * same result.  States:
 *   BOL     at the start of a line (after CRLF, or right after DATA)
 *   MID     inside a line
 *   CR      a CR was seen; only LF makes it a line end
 *   DOT     a "." at the start of a line
 *   DOT_CR  "." CR at the start of a line: LF here ends the message
 * A bare CR is dropped from the output, a bare LF is passed through; both
 * set d->bare and the caller refuses the message, so their exact output
 * does not matter - only that they never end the message nor start a line
 * on which a "." could end it.  Output never exceeds input.
 * Security: the input is untrusted; nothing is buffered here, memory is
 * constant and every byte is looked at once.
 */
#include <stdint.h>
#include <string.h>

#include "smtp_data.h"

enum { SD_BOL, SD_MID, SD_CR, SD_DOT, SD_DOT_CR };

/* Start decoding a new message body. */
void
smtp_data_init(struct smtp_data *d)
{
	memset(d, 0, sizeof(*d));
	d->state = SD_BOL;
}

/* Handle a byte that follows a CR which was not followed by LF. */
static int
sd_after_bare_cr(struct smtp_data *d, char c, char *out, size_t *o)
{
	d->bare |= SMTP_DATA_BARE_CR;
	if (c == '\r')
		return SD_CR;
	out[(*o)++] = c;
	return SD_MID;
}

/* Handle a byte inside a line or at its start (not a dot). */
static int
sd_plain(struct smtp_data *d, char c, char *out, size_t *o)
{
	if (c == '\r')
		return SD_CR;
	if (c == '\n')
		d->bare |= SMTP_DATA_BARE_LF;
	out[(*o)++] = c;
	return SD_MID;
}

/* Advance the state machine by one byte; output goes to out[*o]. */
static int
sd_step(struct smtp_data *d, char c, char *out, size_t *o)
{
	switch (d->state) {
	case SD_BOL:
		return c == '.' ? SD_DOT : sd_plain(d, c, out, o);
	case SD_CR:
		if (c == '\n') {
			out[(*o)++] = '\n';
			return SD_BOL;
		}
		return sd_after_bare_cr(d, c, out, o);
	case SD_DOT:
		return sd_plain(d, c, out, o);	/* the dot is unstuffed */
	case SD_DOT_CR:
		if (c == '\n') {
			d->done = 1;
			return SD_BOL;
		}
		return sd_after_bare_cr(d, c, out, o);
	default:
		return sd_plain(d, c, out, o);
	}
}

/* Decode up to len bytes; returns the number of input bytes consumed. */
size_t
smtp_data_decode(struct smtp_data *d, const char *p, size_t len,
    char *out, size_t *out_len_r)
{
	size_t i = 0, o = 0;

	while (i < len && !d->done) {
		if (d->state == SD_MID) {
			/* fast path: copy plain bytes up to the next CR/LF */
			const char *run = p + i;
			const char *cr = memchr(run, '\r', len - i);
			size_t n = cr != NULL ? (size_t)(cr - run) : len - i;
			const char *lf = memchr(run, '\n', n);

			if (lf != NULL)
				n = (size_t)(lf - run);
			memcpy(out + o, run, n);
			o += n;
			i += n;
			if (i == len)
				break;
		}
		if (d->state == SD_DOT && p[i] == '\r')
			d->state = SD_DOT_CR;
		else
			d->state = sd_step(d, p[i], out, &o);
		i++;
	}
	*out_len_r = o;
	d->size = d->size > SIZE_MAX - o ? SIZE_MAX : d->size + o;
	return i;
}
