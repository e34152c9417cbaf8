/*
 * tls_int.h - helpers shared by tls.c and tls_cert.c only.
 *
 *   tls_error(what)     "what: <OpenSSL reason>" in a static buffer; clears
 *                       the OpenSSL error queue.
 *   tls_ip_literal(name, ip, size)  1 if name is an IPv4/IPv6 literal
 *                       (optionally [bracketed], "IPv6:" allowed); the bare
 *                       address is copied to ip.
 */
#ifndef PETREL_TLS_INT_H
#define PETREL_TLS_INT_H

#include <stddef.h>

const char *tls_error(const char *what);
int tls_ip_literal(const char *name, char *ip, size_t size);

#endif
