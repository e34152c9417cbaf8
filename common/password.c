/*
 * password.c - crypt(3) password hashes for POP3/IMAP logins and
 * petrel-user: yescrypt ("$y$") for new hashes, and whatever libxcrypt
 * verifies (SHA-512 "$6$", bcrypt, ...) for existing ones.
 *
 * Public: password_hash (malloced hash or NULL), password_verify (1/0),
 * password_lookup_verify (1 ok, 0 bad user or password, -1 temporary).
 * Stored values may carry a Dovecot-style scheme prefix, so a Dovecot
 * passwd-file's passwords can be used as they are: {PLAIN} and
 * {CLEARTEXT} (the password itself), {CRYPT}, {DES-CRYPT}, {MD5-CRYPT},
 * {SHA256-CRYPT}, {SHA512-CRYPT}, {BLF-CRYPT}, {YESCRYPT} (a crypt(3)
 * string; bcrypt only where libxcrypt has it).  Any other scheme never
 * matches.  Without a prefix the value is a crypt(3) string as before.
 *
 * Security: the plaintext is copied only into a buffer we wipe with
 * explicit_bzero, together with crypt's work area; the computed hash is
 * compared in constant time.  An unknown user costs one yescrypt run
 * against a dummy hash, so response time does not tell which users exist.
 * A hash that is empty, locked ("!...", "*...") or malformed never matches.
 * user_password_maps is opened on first use and kept open; it is readable
 * only by root and the vmail group (petrel-user sets 0640).
 */
#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "maps.h"
#include "params.h"
#include "password.h"

#define PASSWORD_MAX 1024

/* A yescrypt hash of a random string nobody knows (default cost). */
static const char dummy_hash[] =
    "$y$j9T$JOFWElABDdbHquW8Cy.8A/$7DvIMngxCK1rbB2mEqoi25r.6zE.OTwqV7tu0bHkFr2";

static struct maplist *pw_maps;

static int password_verify_crypt(const char *plain, size_t len,
    const char *hash);

/* Hash plain with a fresh random yescrypt salt. */
char *
password_hash(const char *plain, const char **errstr_r)
{
	void *data = NULL;
	int size = 0;
	char *salt, *h, *out = NULL;

	if ((salt = crypt_gensalt_ra("$y$", 0, NULL, 0)) == NULL) {
		*errstr_r = "crypt_gensalt_ra failed (no random source?)";
		return NULL;
	}
	h = crypt_ra(plain, salt, &data, &size);
	if (h == NULL || h[0] == '*')
		*errstr_r = "crypt_ra failed";
	else
		out = xstrdup(h);
	if (data != NULL) {
		explicit_bzero(data, (size_t)size);
		free(data);
	}
	free(salt);
	return out;
}

/* Compare two C strings without an early exit on the first difference. */
static int
ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = 0;

	if (la != lb)
		return 0;	/* hash lengths are not secret */
	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

/* {PLAIN} / {CLEARTEXT}: constant-time comparison of counted strings. */
static int
plain_equal(const char *plain, size_t len, const char *stored)
{
	size_t slen = strlen(stored);
	unsigned char diff = 0;

	if (len != slen)
		return 0;	/* costs no more than a mismatch would */
	for (size_t i = 0; i < len; i++)
		diff |= (unsigned char)(plain[i] ^ stored[i]);
	return diff == 0;
}

/* The crypt-family scheme names that only label a crypt(3) string. */
static const char *const crypt_schemes[] = {
	"CRYPT", "DES-CRYPT", "MD5-CRYPT", "SHA256-CRYPT", "SHA512-CRYPT",
	"BLF-CRYPT", "YESCRYPT", NULL
};

/* Split "{SCHEME}rest": 1 with the scheme class, 0 without a prefix.
 * *kind_r: 'p' plaintext, 'c' crypt string, '?' unknown scheme. */
static int
password_scheme(const char *hash, char *kind_r, const char **rest_r)
{
	const char *end;
	size_t n;

	if (hash[0] != '{' || (end = strchr(hash, '}')) == NULL)
		return 0;
	n = (size_t)(end - hash - 1);
	*rest_r = end + 1;
	*kind_r = '?';
	if ((n == 5 && strncasecmp(hash + 1, "PLAIN", 5) == 0) ||
	    (n == 9 && strncasecmp(hash + 1, "CLEARTEXT", 9) == 0))
		*kind_r = 'p';
	for (size_t i = 0; crypt_schemes[i] != NULL; i++)
		if (strlen(crypt_schemes[i]) == n &&
		    strncasecmp(hash + 1, crypt_schemes[i], n) == 0)
			*kind_r = 'c';
	return 1;
}

/* Check a counted plaintext against a stored password: a crypt(3) string,
 * or one with a Dovecot-style {SCHEME} prefix. */
int
password_verify(const char *plain, size_t len, const char *hash)
{
	const char *rest;
	char kind;

	if (hash == NULL || !password_scheme(hash, &kind, &rest))
		return password_verify_crypt(plain, len, hash);
	if (len > PASSWORD_MAX || memchr(plain, '\0', len) != NULL)
		return 0;
	if (kind == 'p')
		return rest[0] != '\0' && plain_equal(plain, len, rest);
	if (kind == 'c')
		return password_verify_crypt(plain, len, rest);
	return 0;	/* a scheme we do not know never matches */
}

/* Check a counted plaintext against a crypt hash. */
static int
password_verify_crypt(const char *plain, size_t len, const char *hash)
{
	void *data = NULL;
	int size = 0, ok = 0;
	char *copy, *h;

	if (len > PASSWORD_MAX || memchr(plain, '\0', len) != NULL)
		return 0;
	if (hash == NULL || hash[0] == '\0' || hash[0] == '*' || hash[0] == '!')
		return 0;
	copy = xmalloc(len + 1);
	memcpy(copy, plain, len);
	copy[len] = '\0';
	h = crypt_ra(copy, hash, &data, &size);
	if (h != NULL && h[0] != '*')
		ok = ct_equal(h, hash);
	explicit_bzero(copy, len + 1);
	free(copy);
	if (data != NULL) {
		explicit_bzero(data, (size_t)size);
		free(data);
	}
	return ok;
}

/* The first white-space delimited word of a map value, in a copy. */
static char *
first_word(const char *v)
{
	size_t n = strcspn(v, " \t");

	return xstrndup(v, n);
}

/* Look user up in user_password_maps and check the password. */
int
password_lookup_verify(const char *user, const char *plain, size_t len,
    const char **errstr_r)
{
	const char *value;
	char *hash;
	int rc, ok;

	if (pw_maps == NULL) {
		const char *specs = var_user_password_maps != NULL ?
		    var_user_password_maps : "";
		if ((pw_maps = maplist_open(specs, errstr_r)) == NULL)
			return -1;
	}
	rc = maplist_lookup(pw_maps, user, &value, errstr_r);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		ok = password_verify(plain, len, dummy_hash);
		return ok & 0;
	}
	hash = first_word(value);
	ok = password_verify(plain, len, hash);
	free(hash);
	return ok;
}
