/*
 * hopcount.c - the Received: field counter (see hopcount.h) over the
 * shared header reader.  A field counts as soon as its name and colon are
 * in (msg_header_pending), as the message may end right there.  Only
 * names matter, so a field is held to
 * HOPCOUNT_FIELD_MAX bytes: a longer one still comes back with its name
 * (MSG_HEADER_TOO_LONG) and counts.  The reader is freed as soon as the
 * header section ends, so a long body costs nothing.
 * Security: the message is untrusted; memory is bounded by the field
 * bound, the count by the input.
 */
#include "hopcount.h"
#include "msg_header.h"

#define HOPCOUNT_FIELD_MAX 256	/* enough for any name worth matching */

/* Start counting a new message. */
void
hopcount_init(struct hopcount *h)
{
	h->reader = NULL;
	h->received = h->complete = 0;
	h->done = 0;
}

/* Release the reader (the counts stay). */
void
hopcount_free(struct hopcount *h)
{
	msg_header_free(&h->reader);
}

/* Count one result of the reader. */
static void
hopcount_result(struct hopcount *h, enum msg_header_result r,
    const struct msg_header_field *f)
{
	if ((r == MSG_HEADER_FIELD || r == MSG_HEADER_TOO_LONG) &&
	    msg_header_name_is(f->name, f->name_len, "Received"))
		h->complete++;
	else if (r == MSG_HEADER_END) {
		h->done = 1;
		msg_header_free(&h->reader);
	}
}

/* Feed message bytes; see hopcount.h. */
void
hopcount_feed(struct hopcount *h, const char *p, size_t n)
{
	struct msg_header_field f;
	const char *name;
	size_t used, len;

	if (!h->done && h->reader == NULL)
		h->reader = msg_header_new(HOPCOUNT_FIELD_MAX, 0, 0);
	while (n > 0 && !h->done) {
		hopcount_result(h, msg_header_feed(h->reader, p, n, &used, &f),
		    &f);
		p += used;
		n -= used;
	}
	h->received = h->complete + (h->reader != NULL &&
	    msg_header_pending(h->reader, &name, &len) &&
	    msg_header_name_is(name, len, "Received"));
}
