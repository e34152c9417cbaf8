/*
 * imap_bodystructure.h - BODY and BODYSTRUCTURE of a message (RFC 3501
 * 7.4.2, RFC 9051 7.5.2) as the exact bytes an IMAP server sends, over
 * the shared MIME parser (common/mime_parse.h).
 *
 * Public:
 *   imap_bodystructure_append(b, p, len, extended, utf8)  parses the
 *        message p[0..len) and appends its BODYSTRUCTURE (extended 1) or
 *        BODY (extended 0).
 *   imap_bodystructure_part(b, msg, idx, p, extended, utf8)  the same for
 *        part idx of an already parsed message (a cached tree, or one
 *        section's structure).
 * Both return 0, or -1 when b's maximum is reached.
 * What goes out: types and parameters as written; a text part without a
 * charset parameter gets "charset" "us-ascii" appended; RFC 2231
 * parameters as name* with their joined value as written; sizes count
 * every bare LF as CRLF; text parts and message/rfc822 (and
 * message/global, as RFC 9051 says) parts have their line counts, the
 * latter also the enclosed ENVELOPE and structure; a multipart without
 * parts (no boundary parameter, or no boundary line) holds one empty
 * text/plain part; basic fields are "7bit" for a missing encoding.
 * Security: untrusted message; everything bounded by mime_parse.
 */
#ifndef PETREL_IMAP_BODYSTRUCTURE_H
#define PETREL_IMAP_BODYSTRUCTURE_H

#include <stddef.h>
#include "buf.h"
#include "mime_parse.h"

int imap_bodystructure_append(struct buf *b, const char *p, size_t len,
    int extended, int utf8) WARN_UNUSED;
int imap_bodystructure_part(struct buf *b, const struct mime_message *msg,
    size_t idx, const char *p, int extended, int utf8) WARN_UNUSED;

#endif
