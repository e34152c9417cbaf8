/*
 * fuzz_pop3_sasl.c - libFuzzer target for the AUTH PLAIN parsers in
 * pop3d/pop3_parse.c: pop3_parse_base64 and pop3_parse_sasl_plain.
 * Any input must decode or be refused without crashing; the decoded
 * length must stay within 3/4 of the input and the output buffer; SASL
 * fields must lie inside the decoded message, with non-empty authcid and
 * password and no NUL in the password.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../pop3d/pop3_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check the SASL PLAIN split of a decoded message. */
static void
fuzz_plain(const char *p, size_t n)
{
	struct pop3_sasl_plain r;

	if (pop3_parse_sasl_plain(p, n, &r) != 0)
		return;
	if (r.authzid != p || r.authcid < p || r.passwd < p ||
	    r.passwd + r.passwd_len != p + n || r.authcid_len == 0 ||
	    r.passwd_len == 0 || memchr(r.passwd, '\0', r.passwd_len) != NULL ||
	    memchr(r.authcid, '\0', r.authcid_len) != NULL)
		abort();
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[512];
	long n;

	n = pop3_parse_base64((const char *)data, size, out, sizeof(out));
	if (n >= 0 && ((size_t)n > sizeof(out) || (size_t)n > size / 4 * 3))
		abort();
	if (n >= 0)
		fuzz_plain(out, (size_t)n);
	fuzz_plain((const char *)data, size);
	return 0;
}
