/*
 * esmtp.c - pure parsers (no I/O) for the ESMTP parameters petrel-smtpd
 * accepts after MAIL FROM:<...> and RCPT TO:<...>.
 *
 * Public:
 *   smtpd_parse_mail_params(p, len, &mp, &bad, &errstr)  SIZE=n,
 *        BODY=7BIT|8BITMIME (RFC 1870, 6152), RET=FULL|HDRS and
 *        ENVID=xtext (RFC 3461), SMTPUTF8 (RFC 6531, no value) and AUTH=
 *        (RFC 4954, an xtext mailbox or <>, accepted and ignored).
 *   smtpd_parse_rcpt_params(p, len, &rp, &bad, &errstr)  NOTIFY=list and
 *        ORCPT=addr-type;xtext (RFC 3461).
 *        Both return SMTP_PARAMS_OK, SMTP_PARAMS_SYNTAX (reply 501 5.5.4:
 *        bad value, duplicate, missing or unexpected value) or
 *        SMTP_PARAMS_UNKNOWN (reply 555 5.5.4; *bad names the parameter).
 *   smtpd_rcpt_dsn_words(rp, dst, n)  the injection protocol's RDSN words
 *        "notify=<LIST> orcpt=<type;xtext>" ("" when the recipient has no
 *        DSN parameters); the length, or -1 when dst is too small.
 * ENVID and ORCPT are kept as received (xtext), because that is what the
 * queue records and what a DSN or the next hop gets.
 * Security: input is untrusted client text with a length; values are
 * validated (dsn_param.c) and bounded (ENVID 100, ORCPT 500 octets after
 * the type: RFC 3461 4.2, 4.4) before they are copied.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "dsn_param.h"
#include "smtpd.h"
#include "strutil.h"

/* Does parameter prm have the (case-insensitive) name key? */
static int
param_is(const struct smtp_param *prm, const char *key)
{
	return str_casecmp_n(prm->key, prm->key_len, key) == 0;
}

/* SIZE value: decimal digits, saturating at LONG_MAX; -1 on junk. */
static int
esmtp_size(const char *p, size_t len, long *size_r)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	if (len == 0)
		return -1;
	if (str_to_long(p, len, 0, LONG_MAX, size_r) < 0)
		*size_r = LONG_MAX;
	return 0;
}

/* BODY value; -1 on anything but 7BIT and 8BITMIME. */
static int
esmtp_body(const char *p, size_t len, enum smtp_body *body_r)
{
	if (str_casecmp_n(p, len, "7BIT") == 0)
		*body_r = SMTP_BODY_7BIT;
	else if (str_casecmp_n(p, len, "8BITMIME") == 0)
		*body_r = SMTP_BODY_8BITMIME;
	else
		return -1;
	return 0;
}

/* RET value; -1 on anything but FULL and HDRS. */
static int
esmtp_ret(const char *p, size_t len, int *ret_r)
{
	if (str_casecmp_n(p, len, "FULL") == 0)
		*ret_r = SMTPD_RET_FULL;
	else if (str_casecmp_n(p, len, "HDRS") == 0)
		*ret_r = SMTPD_RET_HDRS;
	else
		return -1;
	return 0;
}

/* Copy an xtext value of at most max octets into dst; -1 if invalid. */
static int
esmtp_xtext(const char *p, size_t len, size_t max, char *dst)
{
	if (len == 0 || len > max || !dsn_xtext_valid(p, len))
		return -1;
	memcpy(dst, p, len);
	dst[len] = '\0';
	return 0;
}

/* Apply one DSN/SMTPUTF8/AUTH MAIL parameter; 1 done, 0 not ours, -1 bad. */
static int
esmtp_mail_ext(const struct smtp_param *prm, struct smtpd_mail_params *mp,
    const char **errstr_r)
{
	char auth[SMTPD_ENVID_MAX * 5 + 1];

	if (param_is(prm, "RET")) {
		*errstr_r = "bad RET parameter";
		return prm->value == NULL || mp->ret != 0 || esmtp_ret(prm->value,
		    prm->value_len, &mp->ret) < 0 ? -1 : 1;
	}
	if (param_is(prm, "ENVID")) {
		*errstr_r = "bad ENVID parameter";
		return prm->value == NULL || mp->envid[0] != '\0' ||
		    esmtp_xtext(prm->value, prm->value_len, SMTPD_ENVID_MAX,
		    mp->envid) < 0 ? -1 : 1;
	}
	if (param_is(prm, "SMTPUTF8")) {
		*errstr_r = "bad SMTPUTF8 parameter";
		return prm->value != NULL || mp->smtputf8 ? -1 : (mp->smtputf8 = 1);
	}
	if (param_is(prm, "AUTH")) {
		*errstr_r = "bad AUTH parameter";
		if (prm->value == NULL || mp->auth_seen++)
			return -1;
		if (str_casecmp_n(prm->value, prm->value_len, "<>") == 0)
			return 1;
		return esmtp_xtext(prm->value, prm->value_len,
		    sizeof(auth) - 1, auth) < 0 ? -1 : 1;
	}
	return 0;
}

/* Apply one MAIL parameter to mp. */
static enum smtp_params_status
esmtp_mail_param(const struct smtp_param *prm, struct smtpd_mail_params *mp,
    const char **errstr_r)
{
	int rc;

	if (param_is(prm, "SIZE")) {
		*errstr_r = "bad SIZE parameter";
		return prm->value == NULL || mp->size >= 0 || esmtp_size(
		    prm->value, prm->value_len, &mp->size) < 0 ?
		    SMTP_PARAMS_SYNTAX : SMTP_PARAMS_OK;
	}
	if (param_is(prm, "BODY")) {
		*errstr_r = "bad BODY parameter";
		return prm->value == NULL || mp->body != SMTP_BODY_NONE ||
		    esmtp_body(prm->value, prm->value_len, &mp->body) < 0 ?
		    SMTP_PARAMS_SYNTAX : SMTP_PARAMS_OK;
	}
	rc = esmtp_mail_ext(prm, mp, errstr_r);
	if (rc != 0)
		return rc > 0 ? SMTP_PARAMS_OK : SMTP_PARAMS_SYNTAX;
	*errstr_r = "unsupported parameter";
	return SMTP_PARAMS_UNKNOWN;
}

/* Parse every MAIL FROM parameter. */
enum smtp_params_status
smtpd_parse_mail_params(const char *p, size_t len,
    struct smtpd_mail_params *mp, struct smtp_param *bad_r,
    const char **errstr_r)
{
	struct smtp_param prm;
	enum smtp_params_status st;
	int rc;

	memset(mp, 0, sizeof(*mp));
	mp->size = -1;
	mp->body = SMTP_BODY_NONE;
	memset(bad_r, 0, sizeof(*bad_r));
	while ((rc = smtp_param_next(&p, &len, &prm, errstr_r)) > 0) {
		st = esmtp_mail_param(&prm, mp, errstr_r);
		if (st != SMTP_PARAMS_OK) {
			*bad_r = prm;
			return st;
		}
	}
	return rc < 0 ? SMTP_PARAMS_SYNTAX : SMTP_PARAMS_OK;
}

/* Apply one RCPT parameter to rp. */
static enum smtp_params_status
esmtp_rcpt_param(const struct smtp_param *prm, struct smtpd_rcpt_params *rp,
    const char **errstr_r)
{
	int mask;

	if (param_is(prm, "NOTIFY")) {
		*errstr_r = "bad NOTIFY parameter";
		if (prm->value == NULL || rp->notify != 0 || (mask =
		    dsn_notify_parse(prm->value, prm->value_len)) <= 0)
			return SMTP_PARAMS_SYNTAX;
		rp->notify = mask;
		return SMTP_PARAMS_OK;
	}
	if (param_is(prm, "ORCPT")) {
		*errstr_r = "bad ORCPT parameter";
		if (prm->value == NULL || rp->orcpt[0] != '\0' ||
		    prm->value_len > SMTPD_ORCPT_MAX ||
		    !dsn_orcpt_valid(prm->value, prm->value_len))
			return SMTP_PARAMS_SYNTAX;
		memcpy(rp->orcpt, prm->value, prm->value_len);
		rp->orcpt[prm->value_len] = '\0';
		return SMTP_PARAMS_OK;
	}
	*errstr_r = "unsupported parameter";
	return SMTP_PARAMS_UNKNOWN;
}

/* Parse every RCPT TO parameter. */
enum smtp_params_status
smtpd_parse_rcpt_params(const char *p, size_t len,
    struct smtpd_rcpt_params *rp, struct smtp_param *bad_r,
    const char **errstr_r)
{
	struct smtp_param prm;
	enum smtp_params_status st;
	int rc;

	memset(rp, 0, sizeof(*rp));
	memset(bad_r, 0, sizeof(*bad_r));
	while ((rc = smtp_param_next(&p, &len, &prm, errstr_r)) > 0) {
		st = esmtp_rcpt_param(&prm, rp, errstr_r);
		if (st != SMTP_PARAMS_OK) {
			*bad_r = prm;
			return st;
		}
	}
	return rc < 0 ? SMTP_PARAMS_SYNTAX : SMTP_PARAMS_OK;
}

/* The RDSN words for a recipient; length, or -1 when dst is too small. */
int
smtpd_rcpt_dsn_words(const struct smtpd_rcpt_params *rp, char *dst, size_t n)
{
	char list[64];
	int len;

	if (n == 0)
		return -1;
	list[0] = '\0';
	if (rp->notify != 0)
		dsn_notify_text(rp->notify, list, sizeof(list));
	len = snprintf(dst, n, "%s%s%s%s%s", list[0] != '\0' ? "notify=" : "",
	    list, list[0] != '\0' && rp->orcpt[0] != '\0' ? " " : "",
	    rp->orcpt[0] != '\0' ? "orcpt=" : "", rp->orcpt);
	if (len < 0 || (size_t)len >= n) {
		dst[0] = '\0';
		return -1;
	}
	return len;
}
