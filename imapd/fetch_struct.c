/*
 * fetch_struct.c - ENVELOPE, BODY and BODYSTRUCTURE with the index cache
 * (see fetch_struct.h).
 */
#include <stdlib.h>

#include "buf.h"
#include "fetch_msg.h"
#include "fetch_struct.h"
#include "imap_bodystructure.h"
#include "imap_envelope.h"
#include "imap_fetch_args.h"
#include "log.h"
#include "mstore.h"
#include "session.h"

#define CACHE_ENVELOPE		1
#define CACHE_BODY		2
#define CACHE_BODYSTRUCTURE	3
#define CACHE_UTF8		16	/* added for the UTF-8 forms */

static const struct {
	unsigned item;
	uint16_t field;
	const char *name;
} struct_items[] = {
	{ IMAP_FETCH_ENVELOPE, CACHE_ENVELOPE, "ENVELOPE" },
	{ IMAP_FETCH_BODY, CACHE_BODY, "BODY" },
	{ IMAP_FETCH_BODYSTRUCTURE, CACHE_BODYSTRUCTURE, "BODYSTRUCTURE" },
};

/* The cache field id of an item in this session's form. */
static uint16_t
struct_field(const struct imapd_session *s, size_t i)
{
	return (uint16_t)(struct_items[i].field +
	    (imapd_utf8(s) ? CACHE_UTF8 : 0));
}

/* Whether every structure item asked for is cached. */
int
fetch_struct_cached(struct imapd_session *s, const struct mstore_msg *m,
    unsigned items)
{
	char *data;
	size_t len;

	for (size_t i = 0; i < sizeof(struct_items) / sizeof(struct_items[0]);
	    i++) {
		if (!(items & struct_items[i].item))
			continue;
		if (mstore_cache_get(s->box, m->uid, struct_field(s, i), &data,
		    &len) != 0)
			return 0;
		free(data);
	}
	return 1;
}

/* Render one item from the loaded message. */
static int
struct_render(struct imapd_session *s, struct fetch_msg *fm, size_t i,
    struct buf *b)
{
	int utf8 = imapd_utf8(s);

	if (fm->data == NULL)
		return -1;
	if (struct_items[i].item == IMAP_FETCH_ENVELOPE)
		return imap_envelope_append(b, fm->data, fm->len, utf8);
	return imap_bodystructure_part(b, fetch_msg_mime(fm), 0, fm->data,
	    struct_items[i].item == IMAP_FETCH_BODYSTRUCTURE, utf8);
}

/* Append the structure items asked for, from the cache or the file. */
void
fetch_struct_items(struct imapd_session *s, struct fetch_msg *fm,
    const struct mstore_msg *m, unsigned items, struct buf *out)
{
	struct buf *b;
	const char *err = NULL;
	char *data;
	size_t len;

	for (size_t i = 0; i < sizeof(struct_items) / sizeof(struct_items[0]);
	    i++) {
		if (!(items & struct_items[i].item))
			continue;
		buf_putf(out, " %s ", struct_items[i].name);
		if (mstore_cache_get(s->box, m->uid, struct_field(s, i), &data,
		    &len) == 0) {
			buf_put(out, data, len);
			free(data);
			continue;
		}
		b = buf_new(512, 0);
		if (struct_render(s, fm, i, b) != 0) {
			buf_put_str(out, "NIL");
		} else {
			buf_put(out, b->data, b->len);
			if (mstore_cache_put(s->box, m->uid, struct_field(s, i),
			    b->data, b->len, &err) != 0)
				log_warn("imap(%s): cache: %s", s->user,
				    err != NULL ? err : "error");
		}
		buf_free(&b);
	}
}
