/*
 * smtp_parse.c - pure SMTP command-line parsers (see smtp_parse.h).
 *
 * Public: smtp_parse_command, smtp_parse_keyword, smtp_param_next,
 * smtp_parse_mail_params.
 * Returns as documented in smtp_parse.h; nothing here is fatal.
 * Security: all input is untrusted client text with a length; results
 * point into it and are never NUL-terminated copies.  SIZE values of any
 * length are accepted and saturate at LONG_MAX (they are then larger than
 * any message_size_limit), so a long digit string cannot overflow.
 */
#include <limits.h>
#include <string.h>

#include "smtp_parse.h"
#include "strutil.h"

/* 1 for SP or HTAB. */
static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* 1 for an ASCII letter or digit. */
static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* Split a command line into its verb and trimmed argument. */
int
smtp_parse_command(const char *p, size_t len, struct smtp_command *cmd_r)
{
	size_t i = 0;

	while (i < len && is_blank((unsigned char)p[i]))
		i++;
	cmd_r->verb = p + i;
	while (i < len && !is_blank((unsigned char)p[i])) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x21 || c > 0x7e)
			return -1;
		i++;
	}
	cmd_r->verb_len = (size_t)(p + i - cmd_r->verb);
	if (cmd_r->verb_len == 0)
		return -1;
	cmd_r->arg_len = len - i;
	cmd_r->arg = str_trim(p + i, &cmd_r->arg_len);
	return 0;
}

/* Match "KEYWORD" (e.g. "FROM:") at the start of an argument. */
int
smtp_parse_keyword(const char *p, size_t len, const char *keyword,
    const char **rest_r, size_t *rest_len_r)
{
	size_t klen = strlen(keyword);

	if (!str_has_prefix_ci(p, len, keyword))
		return 0;
	p += klen;
	len -= klen;
	while (len > 0 && is_blank((unsigned char)*p)) {
		p++;
		len--;
	}
	*rest_r = p;
	*rest_len_r = len;
	return 1;
}

/* Return the next "KEY[=VALUE]" from the list; advances pp and lenp. */
int
smtp_param_next(const char **pp, size_t *lenp, struct smtp_param *param_r,
    const char **errstr_r)
{
	const char *p = *pp;
	size_t len = *lenp, i = 0;

	while (i < len && is_blank((unsigned char)p[i]))
		i++;
	if (i == len)
		return 0;
	param_r->key = p + i;
	if (!is_alnum((unsigned char)p[i])) {
		*errstr_r = "bad parameter keyword";
		return -1;
	}
	while (i < len && (is_alnum((unsigned char)p[i]) || p[i] == '-'))
		i++;
	param_r->key_len = (size_t)(p + i - param_r->key);
	param_r->value = NULL;
	param_r->value_len = 0;
	if (i < len && p[i] == '=') {
		param_r->value = p + ++i;
		while (i < len && (unsigned char)p[i] > 32 &&
		    (unsigned char)p[i] < 127 && p[i] != '=')
			i++;
		param_r->value_len = (size_t)(p + i - param_r->value);
		if (param_r->value_len == 0) {
			*errstr_r = "empty parameter value";
			return -1;
		}
	}
	if (i < len && !is_blank((unsigned char)p[i])) {
		*errstr_r = "bad character in parameter";
		return -1;
	}
	*pp = p + i;
	*lenp = len - i;
	return 1;
}

/* Parse a SIZE value; saturates at LONG_MAX; -1 on junk. */
static int
smtp_parse_size(const char *p, size_t len, long *size_r)
{
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	if (str_to_long(p, len, 0, LONG_MAX, size_r) < 0)
		*size_r = LONG_MAX;
	return 0;
}

/* Parse a BODY value (7BIT or 8BITMIME); -1 on anything else. */
static int
smtp_parse_body(const char *p, size_t len, enum smtp_body *body_r)
{
	if (str_casecmp_n(p, len, "7BIT") == 0)
		*body_r = SMTP_BODY_7BIT;
	else if (str_casecmp_n(p, len, "8BITMIME") == 0)
		*body_r = SMTP_BODY_8BITMIME;
	else
		return -1;
	return 0;
}

/* Apply one MAIL parameter to opts_r. */
static enum smtp_params_status
smtp_mail_param(const struct smtp_param *prm, struct smtp_mail_opts *opts_r,
    const char **errstr_r)
{
	if (str_casecmp_n(prm->key, prm->key_len, "SIZE") == 0) {
		if (prm->value == NULL || opts_r->size >= 0 ||
		    smtp_parse_size(prm->value, prm->value_len,
		    &opts_r->size) < 0) {
			*errstr_r = "bad SIZE parameter";
			return SMTP_PARAMS_SYNTAX;
		}
		return SMTP_PARAMS_OK;
	}
	if (str_casecmp_n(prm->key, prm->key_len, "BODY") == 0) {
		if (prm->value == NULL || opts_r->body != SMTP_BODY_NONE ||
		    smtp_parse_body(prm->value, prm->value_len,
		    &opts_r->body) < 0) {
			*errstr_r = "bad BODY parameter";
			return SMTP_PARAMS_SYNTAX;
		}
		return SMTP_PARAMS_OK;
	}
	*errstr_r = "unsupported parameter";
	return SMTP_PARAMS_UNKNOWN;
}

/* Parse every MAIL FROM parameter (SIZE, BODY). */
enum smtp_params_status
smtp_parse_mail_params(const char *p, size_t len,
    struct smtp_mail_opts *opts_r, struct smtp_param *bad_r,
    const char **errstr_r)
{
	struct smtp_param prm;
	enum smtp_params_status st;
	int rc;

	opts_r->size = -1;
	opts_r->body = SMTP_BODY_NONE;
	memset(bad_r, 0, sizeof(*bad_r));
	while ((rc = smtp_param_next(&p, &len, &prm, errstr_r)) > 0) {
		st = smtp_mail_param(&prm, opts_r, errstr_r);
		if (st != SMTP_PARAMS_OK) {
			*bad_r = prm;
			return st;
		}
	}
	return rc < 0 ? SMTP_PARAMS_SYNTAX : SMTP_PARAMS_OK;
}
