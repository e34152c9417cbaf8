/*
 * pop3_parse.h - pure parsing of POP3 command lines (RFC 1939, RFC 2449).
 *
 * No I/O and no allocation: every function works on a counted string that
 * the caller owns, so the parser can be unit tested and fuzzed.
 *
 * Public:
 *   pop3_parse_line(line, len, &cmd)  splits a line (terminator already
 *                     stripped) into an upper-cased verb and the raw rest
 *                     after the first space.  0, or -1 for an empty line, a
 *                     NUL or control byte, or a verb longer than
 *                     POP3_VERB_MAX (all "-ERR Unknown command.").
 *   pop3_parse_args(p, len, argv, max)  splits the rest on runs of spaces;
 *                     the number of arguments, or -1 when there are more
 *                     than max.  argv entries point into p.
 *   pop3_parse_msgnum(p, len, &n)    a message number 1..POP3_MSGNUM_MAX;
 *                     0 or -1 (junk, sign, zero, overflow).
 *   pop3_parse_lines(p, len, &n)     a line count 0..POP3_MSGNUM_MAX (TOP).
 *   pop3_parse_base64(p, len, out, outsize)  strict padded base64 (RFC 4648
 *                     4): the decoded length, or -1 for a bad letter, bad
 *                     padding, a length not a multiple of 4, or more than
 *                     outsize octets.  Decoded data may contain NULs.
 *   pop3_parse_sasl_plain(p, len, &r)  a decoded SASL PLAIN message (RFC
 *                     4616): authzid NUL authcid NUL passwd; 0, or -1 when
 *                     a NUL is missing, authcid or passwd is empty, or a
 *                     third NUL follows.  Fields point into p.
 * Security: the input is untrusted network data; nothing here reads past
 * len or trusts a NUL terminator.
 */
#ifndef PETREL_POP3_PARSE_H
#define PETREL_POP3_PARSE_H

#include <stddef.h>
#include "log.h"

#define POP3_VERB_MAX	8		/* RFC 1939 keywords are 3-4 chars */
#define POP3_LINE_MAX	255		/* RFC 2449, without the CRLF */
#define POP3_MSGNUM_MAX	2000000000L

struct pop3_cmdline {
	char verb[POP3_VERB_MAX + 1];	/* upper-cased, NUL-terminated */
	const char *rest;		/* after the first SP; not NUL-terminated */
	size_t rest_len;
};

struct pop3_sasl_plain {
	const char *authzid;	/* may be empty */
	size_t authzid_len;
	const char *authcid;
	size_t authcid_len;
	const char *passwd;
	size_t passwd_len;
};

struct pop3_arg {
	const char *p;
	size_t len;
};

int pop3_parse_line(const char *line, size_t len, struct pop3_cmdline *cmd_r)
    WARN_UNUSED;
int pop3_parse_args(const char *p, size_t len, struct pop3_arg *argv, int max)
    WARN_UNUSED;
int pop3_parse_msgnum(const char *p, size_t len, long *n_r) WARN_UNUSED;
int pop3_parse_lines(const char *p, size_t len, long *n_r) WARN_UNUSED;
long pop3_parse_base64(const char *p, size_t len, char *out, size_t outsize)
    WARN_UNUSED;
int pop3_parse_sasl_plain(const char *p, size_t len,
    struct pop3_sasl_plain *r) WARN_UNUSED;

#endif
