/*
 * hopcount.h - count the Received: header fields of a message while it
 * streams in, to stop mail loops between mail systems (RFC 5321 6.3:
 * counting Received: fields is an effective loop detector; reject above a
 * large threshold).  Pure, no I/O; LF or CRLF line ends.
 *
 *   struct hopcount h;  hopcount_init(&h);
 *   hopcount_feed(&h, p, n) ... any chunking;  h.received is the count
 *   of "Received:" fields (name case-insensitive, white space before the
 *   colon allowed) in the header section, which ends at the first empty
 *   line; h.done is set then.  hopcount_free(&h) releases the reader
 *   (also safe on a zeroed struct; init again after it to reuse).
 * The fields are read by the shared header reader (msg_header.h).
 */
#ifndef PETREL_HOPCOUNT_H
#define PETREL_HOPCOUNT_H

#include <stddef.h>

struct msg_header;

struct hopcount {
	struct msg_header *reader;	/* private */
	long complete;		/* private: complete Received: fields */
	long received;		/* Received: fields seen */
	int done;		/* the header section has ended */
};

void hopcount_init(struct hopcount *h);
void hopcount_feed(struct hopcount *h, const char *p, size_t n);
void hopcount_free(struct hopcount *h);

#endif
