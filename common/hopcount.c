/*
 * hopcount.c - the Received: field counter (see hopcount.h).
 * A small state machine over the bytes: at the start of a line it matches
 * "received" case-insensitively, then optional blanks and ':'; anything
 * else sends it to the end of the line.  An empty line ends the header
 * section and with it the counting.
 */
#include "hopcount.h"

enum { HC_LINE_START, HC_NAME, HC_BLANKS, HC_SKIP };

static const char hc_name[] = "received";

void
hopcount_init(struct hopcount *h)
{
	h->state = HC_LINE_START;
	h->matched = 0;
	h->received = 0;
	h->done = 0;
}

void
hopcount_feed(struct hopcount *h, const char *p, size_t n)
{
	for (size_t i = 0; i < n && !h->done; i++) {
		char c = p[i];
		char lc = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;

		if (c == '\n') {
			if (h->state == HC_LINE_START)
				h->done = 1;	/* the empty line */
			h->state = HC_LINE_START;
			continue;
		}
		switch (h->state) {
		case HC_LINE_START:
			h->matched = 0;
			h->state = HC_SKIP;
			if (lc == hc_name[0]) {
				h->matched = 1;
				h->state = HC_NAME;
			}
			break;
		case HC_NAME:
			if (lc == hc_name[h->matched]) {
				if (++h->matched == sizeof(hc_name) - 1)
					h->state = HC_BLANKS;
			} else
				h->state = HC_SKIP;
			break;
		case HC_BLANKS:
			if (c == ':') {
				h->received++;
				h->state = HC_SKIP;
			} else if (c != ' ' && c != '\t')
				h->state = HC_SKIP;
			break;
		default:
			break;
		}
	}
}
