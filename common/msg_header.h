/*
 * msg_header.h - the one RFC 5322 header reader: header fields of a message
 * or MIME part, fed in chunks of any size (one byte at a time works), plus
 * pure helpers over field values.
 *
 * Reader (common/msg_header.c):
 *   h = msg_header_new(field_max, count_max, flags);
 *   loop: r = msg_header_feed(h, p, len, &used, &f); p += used; len -= used;
 *     MSG_HEADER_MORE      every byte was taken; feed more (used == len)
 *     MSG_HEADER_FIELD     f describes one complete field (valid until the
 *                          next call)
 *     MSG_HEADER_TOO_LONG  a field passed field_max bytes: f has its name
 *                          (when seen) and raw offset, no value; reading
 *                          goes on
 *     MSG_HEADER_TOO_MANY  more than count_max fields: said once, then
 *                          further fields are skipped, not returned
 *     MSG_HEADER_END       the header block ended; f.offset is where the
 *                          body starts (after the empty line, or at the
 *                          line that is no field with MSG_HEADER_NONFIELD_ENDS)
 *   at the end of input: msg_header_finish(h, &f) returns the pending FIELD
 *   (or TOO_LONG) and then END (body at the end of the input).
 *   msg_header_pending(h, &name, &len)  1 when the field being read (not
 *   yet complete) has its name and colon; for counters that must not wait
 *   for the next line.  msg_header_free(&h).
 * Syntax: a field is "name:" value, the name printable US-ASCII without ':',
 * white space allowed between name and colon (RFC 5322 obs-optional);
 * a line starting with SP or HTAB continues the field; LF and CRLF line
 * ends both work; the empty line (LF or CRLF) ends the block.  A line that
 * is no field (no colon, a bad name character, or a continuation with no
 * field before it) comes back as a FIELD with MSG_HEADER_F_NONFIELD and an
 * empty name, unless MSG_HEADER_NONFIELD_ENDS makes it end the block and
 * start the body (Postfix's rule for submitted mail).
 *
 * Helpers (pure, over counted strings):
 *   msg_header_name_is(name, len, "Received")  1 when equal ignoring case.
 *   msg_header_unfold(p, len, out)  appends the value without its CR and LF
 *        (RFC 5322 2.2.3); -1 when out is full.
 *   msg_header_decode_words(p, len, out)  (msg_header_words.c) appends the
 *        text with RFC 2047 encoded-words (Q and B) converted to UTF-8 via
 *        iconv; unknown charsets and malformed words are kept raw; -1 when
 *        out is full.
 *   msg_header_addr_parse(p, len, max, &list, &n)  (msg_header_addr.c) an
 *        RFC 5322 address-list (with obs- syntax) into the parts of an IMAP
 *        ENVELOPE address; msg_header_addr_free(&list, n).
 * Security: all input is untrusted message text; the reader holds at most
 * field_max bytes (twice: raw and unfolded) and counts everything it sees.
 */
#ifndef PETREL_MSG_HEADER_H
#define PETREL_MSG_HEADER_H

#include <stddef.h>
#include "buf.h"

enum msg_header_result {
	MSG_HEADER_MORE,
	MSG_HEADER_FIELD,
	MSG_HEADER_TOO_LONG,
	MSG_HEADER_TOO_MANY,
	MSG_HEADER_END
};

/* msg_header_new flags */
#define MSG_HEADER_NONFIELD_ENDS 0x01

/* msg_header_field flags */
#define MSG_HEADER_F_NONFIELD 0x01	/* a line that is no field */
#define MSG_HEADER_F_CRLF 0x02		/* its last line ended in CRLF */

struct msg_header_field {
	const char *name;	/* without the blanks before the colon */
	size_t name_len;
	const char *value;	/* unfolded, leading and trailing WSP cut */
	size_t value_len;
	const char *raw;	/* the whole field with its line ends */
	size_t raw_len;		/* (NULL/0 for TOO_LONG, TOO_MANY) */
	size_t offset;		/* where the field (or the body) starts */
	size_t size;		/* raw size in the input, even when cut */
	size_t lines;		/* LFs in the field */
	int flags;
};

struct msg_header;

struct msg_header *msg_header_new(size_t field_max, size_t count_max,
    int flags);
void msg_header_free(struct msg_header **hp);
enum msg_header_result msg_header_feed(struct msg_header *h, const char *p,
    size_t len, size_t *used_r, struct msg_header_field *f_r);
enum msg_header_result msg_header_finish(struct msg_header *h,
    struct msg_header_field *f_r);
size_t msg_header_count(const struct msg_header *h);
int msg_header_pending(const struct msg_header *h, const char **name_r,
    size_t *len_r);

typedef int (*msg_header_fn)(void *arg, enum msg_header_result r,
    const struct msg_header_field *f);
long msg_header_each(const char *p, size_t len, size_t field_max, int flags,
    msg_header_fn fn, void *arg) WARN_UNUSED;

int msg_header_name_is(const char *name, size_t len, const char *want);
int msg_header_unfold(const char *p, size_t len, struct buf *out) WARN_UNUSED;
int msg_header_decode_words(const char *p, size_t len, struct buf *out)
    WARN_UNUSED;

/* One entry of an address list, in IMAP ENVELOPE terms (RFC 3501 7.4.2):
 * a mailbox has mailbox and host (host NULL when the address had no
 * domain); a group start has mailbox = the group's display name and host
 * NULL; a group end has mailbox and host NULL.  Strings are NUL-terminated
 * copies, NULL for NIL; name is the display name with quoting removed
 * (encoded-words left as they are), route the obsolete source route. */
enum msg_header_addr_kind {
	MSG_HEADER_ADDR_MAILBOX,
	MSG_HEADER_ADDR_GROUP_START,
	MSG_HEADER_ADDR_GROUP_END
};

struct msg_header_addr {
	enum msg_header_addr_kind kind;
	char *name;
	char *route;
	char *mailbox;
	char *host;
};

#define MSG_HEADER_ADDR_MAX 10000	/* entries from one field */

int msg_header_addr_parse(const char *p, size_t len, size_t max,
    struct msg_header_addr **list_r, size_t *n_r) WARN_UNUSED;
void msg_header_addr_free(struct msg_header_addr **listp, size_t n);

#endif
