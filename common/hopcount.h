/*
 * hopcount.h - count the Received: header fields of a message while it
 * streams in, to stop mail loops between mail systems (RFC 5321 6.3:
 * counting Received: fields is an effective loop detector; reject above a
 * large threshold).  Pure, no I/O; the message has LF line ends.
 *
 *   struct hopcount h;  hopcount_init(&h);
 *   hopcount_feed(&h, p, n) ... any chunking;  h.received is the count
 *   of "Received:" fields (name case-insensitive, white space before the
 *   colon allowed) in the header section, which ends at the first empty
 *   line; h.done is set then.
 */
#ifndef PETREL_HOPCOUNT_H
#define PETREL_HOPCOUNT_H

#include <stddef.h>

struct hopcount {
	int state;		/* private */
	size_t matched;		/* private: bytes of "received" matched */
	long received;		/* Received: fields seen */
	int done;		/* the header section has ended */
};

void hopcount_init(struct hopcount *h);
void hopcount_feed(struct hopcount *h, const char *p, size_t n);

#endif
