/*
 * fuzz_linereader.c - libFuzzer target for common/linereader.c.
 *
 * Input: first byte picks maxline (2..257), second the feed chunk size
 * (1..64); the rest is fed in chunks, draining lines after each chunk, with
 * raw takes sprinkled in.  Checks the reader's invariants: a returned line
 * never holds a LF, never passes maxline with its terminator, and pending
 * bytes never exceed what was fed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linereader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Drain all lines and check each one. */
static void
drain(struct linereader *lr, size_t maxline)
{
	const char *line;
	size_t len;
	enum line_ending e;
	enum line_status st;

	while ((st = linereader_get(lr, &line, &len, &e)) != LINE_NEED_MORE) {
		if (st != LINE_OK)
			continue;
		if (memchr(line, '\n', len) != NULL)
			abort();
		if (len + (e == LINE_END_CRLF ? 2 : 1) > maxline)
			abort();
	}
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linereader *lr;
	size_t maxline, chunk, pos = 2;
	char raw[8];

	if (size < 2)
		return 0;
	maxline = (size_t)data[0] + 2;
	chunk = (size_t)(data[1] % 64) + 1;
	lr = linereader_new(maxline);
	while (pos < size) {
		size_t n = size - pos < chunk ? size - pos : chunk;
		size_t took = linereader_feed(lr, (const char *)data + pos, n);

		pos += took;
		if (data[pos - (took > 0)] == 0x01)
			(void)linereader_take(lr, raw, sizeof(raw));
		drain(lr, maxline);
		if (linereader_pending(lr) > pos)
			abort();
	}
	drain(lr, maxline);
	linereader_discard(lr);
	if (linereader_pending(lr) != 0)
		abort();
	linereader_free(&lr);
	return 0;
}
