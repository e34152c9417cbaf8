/*
 * imap_num.h - checked IMAP numbers and UTF-8 validation, pure over (p, len).
 *
 * Public:
 *   imap_num_parse32(p, len, nonzero, &val_r)   number / nz-number (RFC 9051):
 *        1*DIGIT up to 2^32-1; nonzero refuses 0.  0, or -1 for junk, a sign,
 *        an empty string or a value past the bound (never wrapped).
 *   imap_num_parse64(p, len, nonzero, &val_r)   number64 / nz-number64 and
 *        mod-sequence-value: up to 2^63-1 (RFC 9051, RFC 7162).
 *   imap_utf8_valid(p, len)   1 when p is well-formed UTF-8 (no overlong
 *        forms, no surrogates, nothing past U+10FFFF: common/utf8.h), else 0.
 * Leading zeros are accepted ("007"), as the grammar's 1*DIGIT allows.
 */
#ifndef PETREL_IMAP_NUM_H
#define PETREL_IMAP_NUM_H

#include <stddef.h>
#include <stdint.h>
#include "log.h"

#define IMAP_NUM32_MAX	4294967295u
#define IMAP_NUM64_MAX	9223372036854775807ull

int imap_num_parse32(const char *p, size_t len, int nonzero, uint32_t *val_r)
    WARN_UNUSED;
int imap_num_parse64(const char *p, size_t len, int nonzero, uint64_t *val_r)
    WARN_UNUSED;
int imap_utf8_valid(const char *p, size_t len);

#endif
