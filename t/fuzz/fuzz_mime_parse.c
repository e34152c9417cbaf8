/*
 * fuzz_mime_parse.c - libFuzzer target for common/mime_parse.c and
 * common/mime_param.c.
 *
 * Input: a whole message.  Checks: every part's header and body lie inside
 * the message and the header ends where the body starts; children lie
 * inside their parent's body, in order; the tree is no deeper than
 * MIME_PARSE_DEPTH and no larger than MIME_PARSE_PARTS; every part has a
 * type; section lookup of "1.1.1" never leaves the tree.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check part i against the message and its parent. */
static void
check_part(const struct mime_message *m, size_t i, size_t size)
{
	const struct mime_part *pt = &m->parts[i], *pp;
	size_t prev_end = 0;

	if (pt->header_offset + pt->header_size != pt->body_offset ||
	    pt->body_offset + pt->body_size > size || pt->ct.type == NULL ||
	    pt->ct.subtype == NULL || pt->depth >= MIME_PARSE_DEPTH ||
	    pt->body_lines > pt->body_size || pt->body_vsize < pt->body_size)
		abort();
	if (pt->parent == MIME_PART_NONE)
		return;
	pp = &m->parts[pt->parent];
	if (pt->header_offset < pp->body_offset ||
	    pt->body_offset + pt->body_size > pp->body_offset + pp->body_size)
		abort();
	for (size_t k = pp->first_child; k != i; k = m->parts[k].next)
		prev_end = m->parts[k].body_offset + m->parts[k].body_size;
	if (pt->header_offset < prev_end)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_message *m = mime_parse((const char *)data, size);
	const struct mime_part *pt;

	if (m->nparts == 0 || m->nparts > MIME_PARSE_PARTS)
		abort();
	for (size_t i = 0; i < m->nparts; i++)
		check_part(m, i, size);
	pt = mime_part_section(m, "1.1.1", 5);
	if (pt != NULL && (pt < m->parts || pt >= m->parts + m->nparts))
		abort();
	mime_message_free(&m);
	return 0;
}
