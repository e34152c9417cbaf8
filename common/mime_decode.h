/*
 * mime_decode.h - turning MIME content back into text: the body
 * transfer encodings (RFC 2045 6.7 quoted-printable, 6.8 base64) and
 * charsets to UTF-8 (glibc iconv).  IMAP SEARCH reads message text
 * through these, and RFC 2047 encoded words (msg_header_words.c) share
 * the charset conversion.
 *
 * Public:
 *   mime_decode_body(encoding, p, len, out)  appends the decoded octets:
 *        "quoted-printable" (soft line breaks and =XX; a malformed escape
 *        is kept as written), "base64" (lenient: characters outside the
 *        alphabet are skipped, decoding stops at '='), anything else
 *        (7bit, 8bit, binary, unknown, NULL) as is.  0, or -1 when out
 *        is full.
 *   mime_charset_known(charset)   1 when iconv can convert it to UTF-8.
 *   mime_to_utf8(charset, p, len, out)  appends the UTF-8 form; octets that
 *        do not convert become U+FFFD (UTF-8 itself is checked so); an
 *        unknown charset (or NULL) copies the octets.  0, or -1 when out is full.
 * Security: the content is untrusted; output is bounded by out's max.
 */
#ifndef PETREL_MIME_DECODE_H
#define PETREL_MIME_DECODE_H

#include <stddef.h>
#include "buf.h"

int mime_decode_body(const char *encoding, const char *p, size_t len,
    struct buf *out) WARN_UNUSED;
int mime_charset_known(const char *charset);
int mime_to_utf8(const char *charset, const char *p, size_t len,
    struct buf *out) WARN_UNUSED;

#endif
