/*
 * base64.h - strict RFC 4648 base64 decoding (see base64.c).
 */
#ifndef PETREL_BASE64_H
#define PETREL_BASE64_H

#include <stddef.h>

long base64_decode(const char *p, size_t len, char *out, size_t outsize);

#endif
