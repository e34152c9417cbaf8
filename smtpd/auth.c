/*
 * auth.c - SMTP AUTH (RFC 4954) with the PLAIN (RFC 4616) and LOGIN
 * mechanisms against user_password_maps, and the check that an
 * authenticated user only sends as an address it owns.
 *
 * Public: smtpd_auth_offered, smtpd_cmd_auth, smtpd_sender_owned,
 * smtpd_auth_open_maps.
 * Policy: AUTH is offered on the submission and smtps listeners, and on
 * port 25 only with smtpd_sasl_auth_enable_smtp = yes; with
 * smtpd_tls_auth_only = yes (the default) only after TLS: before it AUTH
 * gets 538 5.7.11.  An initial response may come with the command ("="
 * is the empty one); "*" cancels (501 5.7.0); bad base64 is 501 5.5.2;
 * wrong credentials get 535 5.7.8 after smtpd_auth_failure_delay (or the
 * longer penalty petrel-auth names for the address or user), and
 * after smtpd_auth_failure_limit of them 421 4.7.0 and the connection
 * closes.  A lookup failure is 454 4.7.0 and costs nothing.  A second
 * AUTH is 503 5.5.1.
 * Sender ownership: the login name itself (logins are addresses), or an
 * owner listed for the sender (or "@domain") in smtpd_sender_login_maps
 * (value: logins separated by commas or blanks).  The null sender is
 * allowed.
 * Logging: success "client=..., sasl_method=PLAIN, sasl_username=x";
 * failure "warning: unknown[1.2.3.4]: SASL LOGIN authentication failed:
 * authentication failure, sasl_username=x" (the shape fail2ban knows).
 * Passwords are checked by the service petrel-auth (auth_client.h;
 * service "smtp"): workers cannot read user_password_maps themselves.
 * Without the service AUTH answers 454 (try later); in -S mode the
 * client checks locally.
 * Security: runs as smtpd_user; every byte is untrusted.  Passwords are
 * wiped (explicit_bzero) from our buffers and from the connection's input
 * buffer; only sanitized user names are logged, never passwords.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth_client.h"
#include "conn.h"
#include "log.h"
#include "maps.h"
#include "params.h"
#include "base64.h"
#include "smtpd.h"
#include "strutil.h"

#define AUTH_BUF 1024		/* decoded response bound */

enum auth_rc { AUTH_OK, AUTH_CANCEL, AUTH_BAD, AUTH_LOST };

static struct maplist *smtpd_sender_maps;

/* Open smtpd_sender_login_maps once per worker (after the drop). */
void
smtpd_auth_open_maps(void)
{
	const char *err = NULL;
	const char *spec = var_smtpd_sender_login_maps;

	if (smtpd_sender_maps != NULL || spec == NULL || *spec == '\0')
		return;
	smtpd_sender_maps = maplist_open(spec, &err);
	if (smtpd_sender_maps == NULL)
		log_warn("smtpd_sender_login_maps: %s (senders get 451)",
		    err != NULL ? err : "error");
}

/* 1 when AUTH may be offered and used on this session right now. */
int
smtpd_auth_offered(const struct smtpd_session *s)
{
	if (s->role == SMTPD_ROLE_SMTP && !var_smtpd_sasl_auth_enable_smtp)
		return 0;
	return conn_is_tls(s->conn) || !var_smtpd_tls_auth_only;
}

/* Decode one client response into dst; replies itself unless AUTH_OK. */
static enum auth_rc
auth_decode(struct smtpd_session *s, const char *text, size_t len,
    int initial, char *dst, size_t *len_r)
{
	long n;

	*len_r = 0;
	if (len == 1 && text[0] == '*') {
		smtpd_reply(s, "501 5.7.0 Authentication aborted");
		return AUTH_CANCEL;
	}
	if (initial && len == 1 && text[0] == '=')
		return AUTH_OK;
	if ((n = base64_decode(text, len, dst, AUTH_BUF - 1)) < 0) {
		smtpd_reply(s, "501 5.5.2 Cannot decode response");
		return AUTH_BAD;
	}
	dst[n] = '\0';
	*len_r = (size_t)n;
	return AUTH_OK;
}

/* Send a 334 challenge and read and decode the answer. */
static enum auth_rc
auth_challenge(struct smtpd_session *s, const char *prompt, char *dst,
    size_t *len_r)
{
	const char *line;
	size_t len;
	enum line_ending end;
	enum auth_rc rc;

	smtpd_reply(s, "334 %s", prompt);
	switch (conn_read_line(s->conn, &line, &len, &end)) {
	case CONN_LINE:
		rc = auth_decode(s, line, len, 0, dst, len_r);
		explicit_bzero((char *)line, len);
		return rc;
	case CONN_TOO_LONG:
		smtpd_reply(s, "500 5.5.6 Authentication exchange line is "
		    "too long");
		return AUTH_BAD;
	case CONN_EOF:
		break;
	}
	smtpd_lost(s);
	return AUTH_LOST;
}

/* A failed authentication: log, delay, count, maybe hang up. */
static void
auth_failed(struct smtpd_session *s, const char *method, const char *user,
    size_t ulen, unsigned penalty)
{
	char safe[SMTPD_LOGIN_MAX];
	unsigned delay = (unsigned)var_smtpd_auth_failure_delay;

	log_sanitize(safe, sizeof(safe), user, ulen);
	log_warn("%s[%s]: SASL %s authentication failed: authentication "
	    "failure, sasl_username=%s", s->name, s->addr, method, safe);
	if (penalty > delay)
		delay = penalty;
	if (delay > 0) {
		if (conn_flush(s->conn) < 0)
			s->done = 1;
		sleep(delay);
	}
	if (++s->auth_failures >= var_smtpd_auth_failure_limit) {
		smtpd_reply(s, "421 4.7.0 %s Error: too many failed "
		    "authentications", var_myhostname);
		s->done = 1;
		return;
	}
	smtpd_reply(s, "535 5.7.8 Error: authentication failed: "
	    "authentication failure");
}

/* Check user/password; 0 on success (235 sent), -1 otherwise. */
static int
auth_verify(struct smtpd_session *s, const char *method, const char *user,
    size_t ulen, const char *pw, size_t pwlen)
{
	char login[SMTPD_LOGIN_MAX];
	const char *err = NULL;
	unsigned penalty = 0;
	int rc = 0;

	if (ulen > 0 && ulen < sizeof(login) && memchr(user, '\0', ulen) == NULL) {
		memcpy(login, user, ulen);
		login[ulen] = '\0';
		str_lower(login);
		rc = auth_client_verify("smtp", login, pw, pwlen, s->addr,
		    NULL, &penalty, &err);
	}
	if (rc < 0) {
		log_warn("password lookup: %s", err != NULL ? err : "error");
		smtpd_reply(s, "454 4.7.0 Temporary authentication failure");
		return -1;
	}
	if (rc == 0) {
		auth_failed(s, method, user, ulen, penalty);
		return -1;
	}
	snprintf(s->auth_user, sizeof(s->auth_user), "%s", login);
	s->auth_method = method;
	log_info("client=%s[%s], sasl_method=%s, sasl_username=%s", s->name,
	    s->addr, method, s->auth_user);
	smtpd_reply(s, "235 2.7.0 Authentication successful");
	return 0;
}

/* PLAIN: [authzid] NUL authcid NUL passwd (RFC 4616). */
static int
auth_plain(struct smtpd_session *s, const char *init, size_t init_len)
{
	char buf[AUTH_BUF];
	size_t len = 0;
	const char *user, *pw, *nul;
	enum auth_rc rc;
	int ret = -1;

	if (init != NULL) {
		rc = auth_decode(s, init, init_len, 1, buf, &len);
		/* still in conn's input buffer: do not leave it there */
		explicit_bzero((char *)init, init_len);
	} else
		rc = auth_challenge(s, "", buf, &len);
	if (rc != AUTH_OK)
		return -1;
	nul = memchr(buf, '\0', len);
	user = nul != NULL ? nul + 1 : NULL;
	pw = user != NULL ? memchr(user, '\0', len - (size_t)(user - buf)) : NULL;
	if (pw == NULL || (nul != buf && ((size_t)(nul - buf) !=
	    (size_t)(pw - user) || memcmp(buf, user, (size_t)(nul - buf)) != 0)))
		auth_failed(s, "PLAIN", user != NULL ? user : "", user != NULL ?
		    strnlen(user, len - (size_t)(user - buf)) : 0, 0);
	else
		ret = auth_verify(s, "PLAIN", user, (size_t)(pw - user), pw + 1,
		    len - (size_t)(pw + 1 - buf));
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

/* LOGIN: user name and password in two challenges (the user may come as
 * the initial response). */
static int
auth_login(struct smtpd_session *s, const char *init, size_t init_len)
{
	char user[AUTH_BUF], pw[AUTH_BUF];
	size_t ulen = 0, pwlen = 0;
	enum auth_rc rc;
	int ret = -1;

	if (init != NULL)
		rc = auth_decode(s, init, init_len, 1, user, &ulen);
	else	/* "Username:" */
		rc = auth_challenge(s, "VXNlcm5hbWU6", user, &ulen);
	if (rc != AUTH_OK)
		return -1;
	/* "Password:" */
	if (auth_challenge(s, "UGFzc3dvcmQ6", pw, &pwlen) == AUTH_OK)
		ret = auth_verify(s, "LOGIN", user, ulen, pw, pwlen);
	explicit_bzero(pw, sizeof(pw));
	return ret;
}

/* AUTH mechanism [initial-response] */
int
smtpd_cmd_auth(struct smtpd_session *s, const char *arg, size_t len)
{
	const char *sp = memchr(arg, ' ', len), *init = NULL;
	size_t mlen = sp != NULL ? (size_t)(sp - arg) : len, ilen = 0;
	int rc;

	if (s->role == SMTPD_ROLE_SMTP && !var_smtpd_sasl_auth_enable_smtp) {
		smtpd_reply(s, "503 5.5.1 Error: authentication not enabled");
		return -1;
	}
	if (!smtpd_auth_offered(s)) {
		smtpd_reply(s, "538 5.7.11 Encryption required for requested "
		    "authentication mechanism");
		return -1;
	}
	if (s->auth_user[0] != '\0') {
		smtpd_reply(s, "503 5.5.1 Error: already authenticated");
		return -1;
	}
	if (sp != NULL) {
		init = sp + 1;
		ilen = len - mlen - 1;
	}
	if (mlen == 0 || (init != NULL && ilen == 0)) {
		smtpd_reply(s, "501 5.5.4 Syntax: AUTH mechanism");
		return -1;
	}
	if (str_casecmp_n(arg, mlen, "PLAIN") == 0)
		rc = auth_plain(s, init, ilen);
	else if (str_casecmp_n(arg, mlen, "LOGIN") == 0)
		rc = auth_login(s, init, ilen);
	else {
		smtpd_reply(s, "504 5.5.4 Unrecognized authentication type");
		return -1;
	}
	return rc;
}

/* 1 when login appears in the owner list value. */
static int
auth_list_has(const char *value, const char *login)
{
	size_t n = strlen(login);
	const char *p = value;

	while (*p != '\0') {
		size_t w;

		p += strspn(p, ", \t");
		w = strcspn(p, ", \t");
		if (w == n && w > 0 && strncasecmp(p, login, n) == 0)
			return 1;
		p += w;
	}
	return 0;
}

/* Look key up in smtpd_sender_login_maps: 1 owned, 0 not, -1 error. */
static int
auth_map_owns(const char *key, const char *login)
{
	const char *value = NULL, *err = NULL;
	int rc;

	if (smtpd_sender_maps == NULL)
		return var_smtpd_sender_login_maps != NULL &&
		    *var_smtpd_sender_login_maps != '\0' ? -1 : 0;
	rc = maplist_lookup(smtpd_sender_maps, key, &value, &err);
	if (rc < 0)
		log_warn("smtpd_sender_login_maps lookup %s: %s", key,
		    err != NULL ? err : "error");
	return rc > 0 ? auth_list_has(value, login) : rc;
}

/* May the authenticated user send as sender?  1 yes, 0 no, -1 lookup
 * failure. */
int
smtpd_sender_owned(struct smtpd_session *s, const char *sender)
{
	char key[ADDR_MAX + 1];
	const char *at;
	int rc;

	if (sender[0] == '\0')
		return 1;
	snprintf(key, sizeof(key), "%s", sender);
	str_lower(key);
	if (strcmp(key, s->auth_user) == 0)
		return 1;
	if ((rc = auth_map_owns(key, s->auth_user)) != 0)
		return rc;
	if ((at = strrchr(key, '@')) == NULL)
		return 0;
	return auth_map_owns(at, s->auth_user);
}
