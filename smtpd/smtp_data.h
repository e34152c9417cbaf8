/*
 * smtp_data.h - pure decoder for the SMTP DATA stream (RFC 5321 4.1.1.4,
 * 4.5.2), no I/O.  Feed it the raw bytes after the 354 reply in chunks of
 * any size; it
 *   - ends the message only at CRLF "." CRLF (the CRLF before the dot may be
 *     the one that ended the DATA command: ".\r\n" first is an empty body);
 *   - removes the leading "." of every line that starts with one;
 *   - turns CRLF into LF (the queue's line ending);
 *   - flags a bare LF or a bare CR anywhere (SMTP smuggling: a "\n.\n" or
 *     "\r\n.\n" never ends the message, and the caller refuses a message
 *     whose flags are set once the real end has been reached);
 *   - counts the decoded size (saturating), so the caller can enforce
 *     message_size_limit while it keeps consuming to the end.
 * Line length is unbounded by design: the size limit bounds the message.
 *
 * Public:
 *   smtp_data_init(d)
 *   smtp_data_decode(d, p, len, out, &out_len)  decodes up to len bytes of
 *        p into out (which must have room for len bytes: output is never
 *        longer than the input consumed).  Returns the number of input bytes
 *        consumed: less than len only when the end marker was reached
 *        (d->done), the rest belongs to the next command (PIPELINING).
 */
#ifndef PETREL_SMTP_DATA_H
#define PETREL_SMTP_DATA_H

#include <stddef.h>

#define SMTP_DATA_BARE_LF 1
#define SMTP_DATA_BARE_CR 2

struct smtp_data {
	int state;
	int bare;		/* SMTP_DATA_BARE_* seen */
	int done;		/* CRLF.CRLF consumed */
	size_t size;		/* decoded bytes so far (saturates) */
};

void smtp_data_init(struct smtp_data *d);
size_t smtp_data_decode(struct smtp_data *d, const char *p, size_t len,
    char *out, size_t *out_len_r);

#endif
