/*
 * imap_envelope.h - the ENVELOPE of a message (RFC 3501 7.4.2, RFC 9051
 * 7.5.2) as the exact bytes an IMAP server sends.
 *
 * Public:
 *   imap_envelope_append(b, p, len, utf8)  reads the header block at the
 *        start of p[0..len) (the body is not looked at) and appends
 *        "(date subject from sender reply-to to cc bcc in-reply-to
 *        message-id)" to b.  Absent fields are NIL; sender and reply-to
 *        default to from; an address without a domain gets the host
 *        "MISSING_DOMAIN"; groups are (NIL NIL "name" NIL) ... (NIL NIL
 *        NIL NIL).  The subject and display names are written "for
 *        humans": white space runs (folds, tabs, double blanks) become
 *        one blank, and such a changed string goes out as a literal, as
 *        Dovecot sends it.  utf8: 8-bit text may be quoted (IMAP4rev2 or
 *        UTF8=ACCEPT), else it is a literal.  Returns 0, or -1 when b's
 *        maximum is reached.
 * Security: the message is untrusted; fields are read with msg_header's
 * bounds (IMAP_ENVELOPE_FIELD_MAX per field, longer ones are NIL) and at
 * most MSG_HEADER_ADDR_MAX addresses per field are shown.
 */
#ifndef PETREL_IMAP_ENVELOPE_H
#define PETREL_IMAP_ENVELOPE_H

#include <stddef.h>
#include "buf.h"

#define IMAP_ENVELOPE_FIELD_MAX (64 * 1024)

int imap_envelope_append(struct buf *b, const char *p, size_t len, int utf8)
    WARN_UNUSED;

#endif
