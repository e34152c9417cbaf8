/*
 * smtp_parse.h - pure SMTP command-line parsers (no I/O), shared by smtpd
 * and, later, the SMTP client.
 *
 * Public:
 *   smtp_parse_command(p, len, &cmd)  split "VERB[ SP argument]": the verb
 *        is the leading non-blank run, the argument has its blanks trimmed.
 *        0, or -1 for an empty line or a control byte in the verb.
 *   smtp_parse_keyword(p, len, "FROM:", &rest, &rest_len)  1 when the
 *        argument starts with the keyword (ASCII case-insensitive); rest is
 *        what follows, with blanks after the colon skipped ("FROM: <x>" and
 *        "FROM:<x>" are both accepted, as Postfix does); 0 otherwise.
 *   smtp_param_next(&p, &len, &param, &errstr)  iterate over ESMTP
 *        parameters "KEY[=VALUE] ...": 1 one parameter returned, 0 end of
 *        list, -1 syntax error (RFC 5321 4.1.2 esmtp-keyword/esmtp-value).
 *   smtp_parse_mail_params(p, len, &opts, &bad, &errstr)  MAIL FROM
 *        parameters SIZE=n and BODY=7BIT|8BITMIME:
 *        SMTP_PARAMS_OK, SMTP_PARAMS_SYNTAX (reply 501 5.5.4) or
 *        SMTP_PARAMS_UNKNOWN (reply 555 5.5.4; *bad names the parameter).
 * Security: input is untrusted; everything is bounded by len and results
 * point into the input.
 */
#ifndef PETREL_SMTP_PARSE_H
#define PETREL_SMTP_PARSE_H

#include <stddef.h>
#include "log.h"

#define SMTP_VERB_MAX 32

struct smtp_command {
	const char *verb;
	size_t verb_len;
	const char *arg;	/* "" when absent */
	size_t arg_len;
};

struct smtp_param {
	const char *key;
	size_t key_len;
	const char *value;	/* NULL when there is no "=" */
	size_t value_len;
};

enum smtp_body { SMTP_BODY_NONE, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME };

struct smtp_mail_opts {
	long size;		/* -1 when absent; LONG_MAX when huge */
	enum smtp_body body;
};

enum smtp_params_status {
	SMTP_PARAMS_OK, SMTP_PARAMS_SYNTAX, SMTP_PARAMS_UNKNOWN
};

int smtp_parse_command(const char *p, size_t len, struct smtp_command *cmd_r)
    WARN_UNUSED;
int smtp_parse_keyword(const char *p, size_t len, const char *keyword,
    const char **rest_r, size_t *rest_len_r);
int smtp_param_next(const char **pp, size_t *lenp, struct smtp_param *param_r,
    const char **errstr_r) WARN_UNUSED;
enum smtp_params_status smtp_parse_mail_params(const char *p, size_t len,
    struct smtp_mail_opts *opts_r, struct smtp_param *bad_r,
    const char **errstr_r);

#endif
