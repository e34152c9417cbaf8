/*
 * utf8.h - well-formed UTF-8 (RFC 3629): shortest forms only, no
 * surrogates, nothing above U+10FFFF.
 *
 * Public:
 *   utf8_decode(p, len, &cp)  the same as utf8_seq_len, with the code
 *        point of the sequence in cp (untouched when 0 is returned).
 *   utf8_seq_len(p, len)   the length (1-4) of the well-formed sequence
 *        at the start of p[0..len), or 0 when it is not one (len 0,
 *        a stray continuation octet, an overlong form, a surrogate, a
 *        code point past U+10FFFF or a truncated sequence).
 *   utf8_sanitize(b, from)  makes b->data[from..b->len) well-formed by
 *        putting U+FFFD in place of every octet that does not start a
 *        well-formed sequence; 0, or -1 when b's maximum is reached.
 * Pure; used by imapd's parsers and by mime_decode.c on what iconv gives back (glibc's UTF-8
 * decoder passes sequences past U+10FFFF through).
 * Security: the input is untrusted message text.
 */
#ifndef PETREL_UTF8_H
#define PETREL_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"

size_t utf8_decode(const char *p, size_t len, uint32_t *cp_r);
size_t utf8_seq_len(const char *p, size_t len);
int utf8_sanitize(struct buf *b, size_t from) WARN_UNUSED;

#endif
