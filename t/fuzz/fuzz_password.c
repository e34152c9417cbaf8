/*
 * fuzz_password.c - libFuzzer target for the stored-password reader of
 * common/password.c: the Dovecot-style "{SCHEME}" prefix and the checks
 * around crypt(3) (the value comes from user_password_maps, which an
 * administrator may fill from another system's export).
 *
 * Input: "plain\nstored" (no newline: all of it is the stored value,
 * checked against itself).  To keep each run fast, stored values whose
 * crypt(3) part names a tunable cost ("$" other than "$1$", "_") are only
 * parsed through their {SCHEME}: their crypt run is what libxcrypt does.
 * Checks: password_verify returns 0 or 1; "{PLAIN}x" and "{CLEARTEXT}x"
 * (any case) match exactly x; an empty, locked ("!", "*") or unknown-
 * scheme value never matches; a plaintext with a NUL never matches, nor
 * one a byte shorter than a {PLAIN} value.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "password.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether the value would make crypt(3) run a costly hash. */
static int
costly(const char *stored)
{
	const char *c = stored;

	if (c[0] == '{' && (c = strchr(c, '}')) != NULL)
		c++;
	else
		c = stored;
	/* "_" is BSDi DES with a 24-bit round count (found: "_passWord"
	 * took seconds); "$..." but MD5 has a tunable cost */
	return c[0] == '_' || (c[0] == '$' && strncmp(c, "$1$", 3) != 0);
}

/* The plain-text schemes: exactly the stored text matches. */
static void
check_plain(const char *plain, size_t len)
{
	static const char *const pre[] = { "{PLAIN}", "{cleartext}",
	    "{Plain}" };
	char *s;
	int want = len > 0 && len <= 1024;

	if (memchr(plain, '\0', len) != NULL)
		return;		/* the stored text would end at the NUL */
	s = malloc(len + 16);

	for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
		size_t pl = strlen(pre[i]);
		memcpy(s, pre[i], pl);
		memcpy(s + pl, plain, len);
		s[pl + len] = '\0';
		if (password_verify(plain, len, s) != want)
			abort();
		if (len > 0 && password_verify(plain, len - 1, s) != 0)
			abort();
		s[1] = 'X';		/* an unknown scheme */
		if (password_verify(plain, len, s) != 0)
			abort();
	}
	free(s);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nl;
	size_t plen;
	char *stored;
	int r;

	if (size > 2048)
		return 0;
	nl = memchr(p, '\n', size);
	plen = nl != NULL ? (size_t)(nl - p) : size;
	stored = malloc(size + 1);
	memcpy(stored, nl != NULL ? nl + 1 : p, size - (nl != NULL ? plen + 1 : 0));
	stored[size - (nl != NULL ? plen + 1 : 0)] = '\0';
	check_plain(p, plen);
	if (!costly(stored)) {
		r = password_verify(p, plen, stored);
		if (r != 0 && r != 1)
			abort();
		if (r == 1 && (stored[0] == '\0' || stored[0] == '!' ||
		    stored[0] == '*' || memchr(p, '\0', plen) != NULL))
			abort();
	}
	free(stored);
	return 0;
}
