/*
 * imap_string.h - writing IMAP strings (RFC 9051 4.3): NIL, a quoted
 * string, or a literal when the content needs one.
 *
 * Public:
 *   imap_string_append(b, p, len)    p NULL: NIL.  A quoted string when
 *        every octet is printable 7-bit ASCII (space included) and len is
 *        under IMAP_QUOTED_MAX, with '"' and '\' escaped; else a literal
 *        "{len}\r\n" followed by the octets.  8-bit UTF-8 is quoted when
 *        utf8 is set (IMAP4rev2/UTF8=ACCEPT), else sent as a literal.
 *   imap_string_append_astring(b, p, len, utf8)  an atom when it is one
 *        (and not NIL), else as imap_string_append_u.
 *   imap_string_append_u(b, p, len, utf8)  imap_string_append with the
 *        UTF-8 choice.
 * All return 0, or -1 when b's maximum is reached.
 * Security: output only; the content may be anything (message header
 * text included): a NUL octet is sent as 0x80 in a literal, since
 * literals must not hold NUL and the callers' fields (ENVELOPE, BODY-
 * STRUCTURE, LIST) cannot be literal8 (found by fuzz_imap_structure).
 */
#ifndef PETREL_IMAP_STRING_H
#define PETREL_IMAP_STRING_H

#include <stddef.h>
#include "log.h"

#define IMAP_QUOTED_MAX 1024

struct buf;

int imap_string_append(struct buf *b, const char *p, size_t len) WARN_UNUSED;
int imap_string_append_u(struct buf *b, const char *p, size_t len, int utf8)
    WARN_UNUSED;
int imap_string_append_astring(struct buf *b, const char *p, size_t len,
    int utf8) WARN_UNUSED;

#endif
