/*
 * imap_flags.h - IMAP message flags: system flags and keywords in flag
 * lists (RFC 9051 2.3.2; STORE, APPEND) with validation.
 *
 * Public:
 *   imap_flag_system(p, len)   the IMAP_FLAG_* bit for a system flag such
 *        as "\Seen" (case-insensitive), or 0.
 *   imap_keyword_valid(p, len) 1 when p is a flag-keyword (an atom, at most
 *        IMAP_KEYWORD_LEN_MAX octets), else 0.
 *   imap_flags_parse(args, count, pool, &flags_r, &errstr_r)  the flags of
 *        a flag list's items (or of STORE's bare "flag *(SP flag)"):
 *        system flags become bits, keywords a de-duplicated (ASCII
 *        case-insensitive) array in the pool.  -1 for "\Recent" (no client
 *        may set it), an unknown "\Xxx", a non-atom, or more than
 *        IMAP_KEYWORDS_MAX keywords.
 *   imap_flags_from_list(arg, pool, &flags_r, &errstr_r)  arg must be a
 *        parenthesised list (APPEND's flag-list, STORE's list form).
 * Security: untrusted input; counts and lengths are bounded.
 */
#ifndef PETREL_IMAP_FLAGS_H
#define PETREL_IMAP_FLAGS_H

#include <stddef.h>
#include "log.h"
#include "imap_parse.h"

#define IMAP_FLAG_ANSWERED	0x01
#define IMAP_FLAG_FLAGGED	0x02
#define IMAP_FLAG_DELETED	0x04
#define IMAP_FLAG_SEEN		0x08
#define IMAP_FLAG_DRAFT		0x10
#define IMAP_FLAG_RECENT	0x20

#define IMAP_KEYWORDS_MAX	128
#define IMAP_KEYWORD_LEN_MAX	128

struct imap_flags {
	unsigned system;	/* IMAP_FLAG_* bits */
	const char **keywords;	/* as given, NUL-terminated */
	size_t keyword_count;
};

unsigned imap_flag_system(const char *p, size_t len);
int imap_keyword_valid(const char *p, size_t len);
int imap_flags_parse(const struct imap_arg *args, size_t count,
    struct imap_pool *pool, struct imap_flags *flags_r,
    const char **errstr_r) WARN_UNUSED;
int imap_flags_from_list(const struct imap_arg *arg, struct imap_pool *pool,
    struct imap_flags *flags_r, const char **errstr_r) WARN_UNUSED;

#endif
