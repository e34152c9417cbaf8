/*
 * strutil.h - small checked string helpers shared by every parser.
 *
 * Public:
 *   str_to_long(p, len, min, max, &val_r)   decimal only, whole input, no sign
 *                         unless min < 0; 0 or -1 (out of range / junk).
 *   str_casecmp_n(a, alen, b)  case-insensitive compare of a counted string
 *                         with a C string; 0 when equal.
 *   str_lower(s)          ASCII lower-case in place; returns s.
 *   str_trim(p, &len)     strips leading/trailing SP/HTAB; returns new start.
 *   str_has_prefix_ci(p, len, prefix)  1 if p starts with prefix (ASCII ci).
 *   str_split_ws(s, argv, maxargs)  split a writable C string on blanks; count.
 *   str_hexval(c)         the value of a hex digit (either case), or -1.
 *   str_fnv1a64(p, len, h)  64-bit FNV-1a of len bytes, continuing from h
 *                         (STR_FNV1A64_INIT to start); not for secrets.
 */
#ifndef PETREL_STRUTIL_H
#define PETREL_STRUTIL_H

#include <stddef.h>
#include <stdint.h>
#include "log.h"

int str_to_long(const char *p, size_t len, long min, long max, long *val_r)
    WARN_UNUSED;
int str_casecmp_n(const char *a, size_t alen, const char *b);
char *str_lower(char *s);
const char *str_trim(const char *p, size_t *len);
int str_has_prefix_ci(const char *p, size_t len, const char *prefix);
int str_split_ws(char *s, char **argv, int maxargs);
int str_hexval(char c);

#define STR_FNV1A64_INIT 0xcbf29ce484222325ULL
uint64_t str_fnv1a64(const void *p, size_t len, uint64_t h);

#endif
