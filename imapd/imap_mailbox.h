/*
 * imap_mailbox.h - IMAP mailbox names on the wire and as the store sees
 * them, INBOX rules, and LIST pattern matching.
 *
 * Inside petrel-imapd a mailbox name is UTF-8 with "/" as the hierarchy
 * separator and "INBOX" spelled in upper case.  On the wire it is
 * modified UTF-7 (RFC 3501 5.1.3), or UTF-8 once the client has enabled
 * IMAP4rev2 or UTF8=ACCEPT (RFC 9051 5.1, RFC 6855 3).
 *
 * Public:
 *   imap_mailbox_from_arg(arg, utf8, pool, &name_r, &errstr_r)  an astring
 *        mailbox argument to its internal name (NUL-terminated, pool).  -1
 *        for a non-astring, an empty name, bad mUTF-7 (or bad UTF-8 when
 *        utf8 is set), control characters, or more than IMAP_MAILBOX_MAX
 *        octets.  "inbox" in any case, alone or as the first level
 *        ("inbox/x"), becomes "INBOX".
 *   imap_pattern_from_arg(arg, utf8, pool, &pat_r, &errstr_r)  the same
 *        for LIST's reference and patterns (list-mailbox: "%" and "*"
 *        allowed, empty allowed).
 *   imap_mailbox_to_wire(name, len, utf8, out, &errstr_r)  the wire form
 *        of an internal name (the caller quotes it).
 *   imap_mailbox_is_inbox(p, len)  1 for INBOX in any case.
 *   imap_list_match(pat, plen, name, nlen)  1 when name matches pattern:
 *        "*" matches anything, "%" anything but "/".  Time is
 *        O(plen * nlen), never exponential; 0 for inputs past
 *        IMAP_MAILBOX_MAX.
 * Security: untrusted input; names with control characters never reach
 * the store, and each name has exactly one accepted wire spelling.
 */
#ifndef PETREL_IMAP_MAILBOX_H
#define PETREL_IMAP_MAILBOX_H

#include <stddef.h>
#include "buf.h"
#include "log.h"
#include "imap_parse.h"

#define IMAP_MAILBOX_MAX	1024
#define IMAP_HIER_SEP		'/'

int imap_mailbox_from_arg(const struct imap_arg *arg, int utf8,
    struct imap_pool *pool, const char **name_r, const char **errstr_r)
    WARN_UNUSED;
int imap_pattern_from_arg(const struct imap_arg *arg, int utf8,
    struct imap_pool *pool, const char **pat_r, const char **errstr_r)
    WARN_UNUSED;
int imap_mailbox_to_wire(const char *name, size_t len, int utf8,
    struct buf *out, const char **errstr_r) WARN_UNUSED;
int imap_mailbox_is_inbox(const char *p, size_t len);
int imap_list_match(const char *pat, size_t plen, const char *name,
    size_t nlen);

#endif
