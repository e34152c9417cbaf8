/*
 * pop3_parse.c - pure parsing of POP3 command lines (RFC 1939, RFC 2449).
 *
 * Public: pop3_parse_line, pop3_parse_args, pop3_parse_msgnum,
 * pop3_parse_lines, pop3_parse_base64, pop3_parse_sasl_plain (see
 * pop3_parse.h for the contracts).
 * Returns 0 (or a count) on success and -1 on malformed input; never fatal.
 * Security: all input is untrusted; only counted reads, no allocation, no
 * locale-dependent functions.  A NUL anywhere in the line is refused so
 * that a password or user name can never be silently truncated later.
 */
#include <string.h>

#include "base64.h"
#include "pop3_parse.h"
#include "strutil.h"

/* Split a command line into its upper-cased verb and the rest. */
int
pop3_parse_line(const char *line, size_t len, struct pop3_cmdline *cmd_r)
{
	size_t i, vlen = 0;

	memset(cmd_r, 0, sizeof(*cmd_r));
	cmd_r->rest = line + len;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c == '\0' || (c < 0x20 && c != '\t') || c == 0x7f)
			return -1;
	}
	while (vlen < len && line[vlen] != ' ')
		vlen++;
	if (vlen == 0 || vlen > POP3_VERB_MAX)
		return -1;
	for (i = 0; i < vlen; i++) {
		char c = line[i];
		if (c == '\t')
			return -1;
		cmd_r->verb[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
	}
	cmd_r->verb[vlen] = '\0';
	if (vlen < len) {
		cmd_r->rest = line + vlen + 1;
		cmd_r->rest_len = len - vlen - 1;
	}
	return 0;
}

/* Split arguments on runs of spaces; the count, or -1 past max. */
int
pop3_parse_args(const char *p, size_t len, struct pop3_arg *argv, int max)
{
	size_t i = 0;
	int n = 0;

	for (;;) {
		size_t start;

		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == len)
			return n;
		if (n == max)
			return -1;
		start = i;
		while (i < len && p[i] != ' ' && p[i] != '\t')
			i++;
		argv[n].p = p + start;
		argv[n].len = i - start;
		n++;
	}
}

/* A 1-based message number. */
int
pop3_parse_msgnum(const char *p, size_t len, long *n_r)
{
	if (len == 0 || p[0] < '0' || p[0] > '9')
		return -1;
	return str_to_long(p, len, 1, POP3_MSGNUM_MAX, n_r);
}

/* A non-negative line count (TOP n m). */
int
pop3_parse_lines(const char *p, size_t len, long *n_r)
{
	if (len == 0 || p[0] < '0' || p[0] > '9')
		return -1;
	return str_to_long(p, len, 0, POP3_MSGNUM_MAX, n_r);
}

/* Strict base64 (RFC 4648 4, padded) into out; the decoded length or -1. */
long
pop3_parse_base64(const char *p, size_t len, char *out, size_t outsize)
{
	return base64_decode(p, len, out, outsize);
}

/* Split a decoded SASL PLAIN message "authzid NUL authcid NUL passwd". */
int
pop3_parse_sasl_plain(const char *p, size_t len, struct pop3_sasl_plain *r)
{
	const char *nul1 = memchr(p, '\0', len), *nul2;

	memset(r, 0, sizeof(*r));
	if (nul1 == NULL)
		return -1;
	nul2 = memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - p));
	if (nul2 == NULL)
		return -1;
	r->authzid = p;
	r->authzid_len = (size_t)(nul1 - p);
	r->authcid = nul1 + 1;
	r->authcid_len = (size_t)(nul2 - nul1 - 1);
	r->passwd = nul2 + 1;
	r->passwd_len = len - (size_t)(nul2 + 1 - p);
	if (r->authcid_len == 0 || r->passwd_len == 0 ||
	    memchr(r->passwd, '\0', r->passwd_len) != NULL)
		return -1;
	return 0;
}
