/*
 * base64.h - strict RFC 4648 base64 decoding (see base64.c).
 */
#ifndef PETREL_BASE64_H
#define PETREL_BASE64_H

#include <stddef.h>

long base64_decode(const char *p, size_t len, char *out, size_t outsize);
int base64_value(unsigned char c);	/* a letter's 6 bits, or -1 */

#endif
