/*
 * imap_mutf7.h - modified UTF-7 mailbox names (RFC 3501 5.1.3) to and from
 * UTF-8, with strict validation.
 *
 * Public:
 *   imap_mutf7_to_utf8(p, len, out, &errstr_r)  appends the UTF-8 form of
 *        a modified UTF-7 name to out.  0, or -1 for octets outside
 *        0x20-0x7e, an unterminated or empty "&...-" run (other than "&-"),
 *        a letter outside the modified base64 alphabet, non-zero or too
 *        many padding bits, an unpaired surrogate, an encoded printable
 *        ASCII character, two adjacent encoded runs (all non-canonical
 *        forms the encoder never produces), or out being full.
 *   imap_utf8_to_mutf7(p, len, out, &errstr_r)  appends the modified UTF-7
 *        form of well-formed UTF-8; -1 for bad UTF-8, NUL or out being full.
 * For every name n: to_utf8(to_mutf7(n)) == n, and to_mutf7 of a valid
 * mUTF-7 name's UTF-8 gives back the same octets (canonical forms only).
 * Security: untrusted input; output is bounded by the buf's maximum.
 */
#ifndef PETREL_IMAP_MUTF7_H
#define PETREL_IMAP_MUTF7_H

#include <stddef.h>
#include "buf.h"
#include "log.h"

int imap_mutf7_to_utf8(const char *p, size_t len, struct buf *out,
    const char **errstr_r) WARN_UNUSED;
int imap_utf8_to_mutf7(const char *p, size_t len, struct buf *out,
    const char **errstr_r) WARN_UNUSED;

#endif
