/*
 * password.h - crypt(3) password hashes (yescrypt "$y$" by default; SHA-512
 * "$6$" accepted, and any scheme libcrypt knows).
 *
 * Public:
 *   password_hash(plain, &errstr)   malloced hash with a fresh random salt
 *                                   (crypt_gensalt_ra), NULL on error.
 *   password_verify(plain, len, hash)  1 match, 0 mismatch or malformed hash;
 *                                   hash may start with a Dovecot-style
 *                                   {SCHEME}: {PLAIN}, {CRYPT},
 *                                   {SHA512-CRYPT}, {BLF-CRYPT}, ...;
 *                                   constant-time comparison; the plaintext
 *                                   copy is wiped with explicit_bzero.
 *   password_lookup_verify(user, plain, len, &errstr)  looks user up in
 *                                   user_password_maps: 1 ok, 0 bad user or
 *                                   password, -1 temporary failure.
 */
#ifndef PETREL_PASSWORD_H
#define PETREL_PASSWORD_H

#include <stddef.h>
#include "log.h"

char *password_hash(const char *plain, const char **errstr_r);
int password_verify(const char *plain, size_t len, const char *hash) WARN_UNUSED;
int password_lookup_verify(const char *user, const char *plain, size_t len,
    const char **errstr_r) WARN_UNUSED;

#endif
