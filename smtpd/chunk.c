/*
 * chunk.c - pure decoder (no I/O) for BDAT chunk contents (RFC 3030).
 *
 * Public:
 *   smtpd_chunk_init(c)
 *   smtpd_chunk_decode(c, p, len, out)  decodes p/len into out (room for
 *        len bytes: the output is never longer) and returns the output
 *        length.  CRLF becomes LF (the queue's line ending), also when the
 *        CR ends one chunk and the LF starts the next.  A bare CR or a bare
 *        LF sets c->bare: the caller refuses the message at LAST, as DATA
 *        does, so no other server can read a second message into it (SMTP
 *        smuggling).  c->size counts decoded octets (saturating).
 *   smtpd_chunk_end(c)  after the LAST chunk: a CR still waiting for its
 *        LF is bare.
 * No dot-stuffing and no end marker: the chunk length frames the data.
 * Security: input is untrusted; nothing is read past p+len or written past
 * out+len.
 */
#include <stdint.h>

#include "smtpd.h"

/* Start a new message. */
void
smtpd_chunk_init(struct smtpd_chunk *c)
{
	c->cr = 0;
	c->bare = 0;
	c->size = 0;
}

/* Count n decoded octets, saturating. */
static void
chunk_count(struct smtpd_chunk *c, size_t n)
{
	c->size = c->size > SIZE_MAX - n ? SIZE_MAX : c->size + n;
}

/* Decode one piece of a chunk; returns the number of bytes in out. */
size_t
smtpd_chunk_decode(struct smtpd_chunk *c, const char *p, size_t len,
    char *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		char ch = p[i];

		if (c->cr) {
			c->cr = 0;
			if (ch == '\n') {
				out[o++] = '\n';
				continue;
			}
			c->bare = 1;	/* the CR is dropped: refused anyway */
		}
		if (ch == '\r')
			c->cr = 1;
		else if (ch == '\n')
			c->bare = 1;
		else
			out[o++] = ch;
	}
	chunk_count(c, o);
	return o;
}

/* The message ended: a dangling CR is a bare CR. */
void
smtpd_chunk_end(struct smtpd_chunk *c)
{
	if (c->cr)
		c->bare = 1;
	c->cr = 0;
}
