/*
 * auth.c - the AUTHORIZATION state: USER and PASS (RFC 1939 7), then the
 * login that locks and lists the user's maildir.
 *
 * Public: pop3d_cmd_user, pop3d_cmd_pass, pop3d_cmd_auth,
 * pop3d_auth_continue, pop3d_auth_report (see pop3d.h).
 * AUTH PLAIN (RFC 5034, RFC 4616) takes an initial response or answers
 * "+ " and reads the next line; "*" cancels; bad base64 is -ERR; an
 * authorisation identity other than the user's own is refused.
 * The user name is the full address, lower-cased; the password is checked
 * by the service petrel-auth (auth_client.h, service "pop3"), the only
 * reader of user_password_maps; without it the answer is [SYS/TEMP] (in
 * -S mode the client checks locally).  A wrong password
 * gets "-ERR [AUTH] Authentication failed." after pop3d_auth_failure_delay
 * seconds; after POP3D_AUTH_LIMIT failures the session closes.  A lookup
 * that fails temporarily gets "-ERR [SYS/TEMP] ..." and costs nothing.
 * A mailbox held by another POP3 session gets "-ERR [IN-USE] ..." and the
 * session stays in AUTHORIZATION (the client may retry; Dovecot closes
 * instead - both are allowed by RFC 2449 8.1.1).
 * Security: plaintext passwords are refused before TLS unless allowed
 * (pop3d_plaintext_ok, tls.c); the password's bytes are wiped from
 * the input buffer after use; only sanitised names reach the log.  Workers
 * already run as vmail_user; a -S session started as root switches to the
 * mailbox owner for good before it opens the maildir.
 */
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "auth_client.h"
#include "log.h"
#include "params.h"
#include "pop3_parse.h"
#include "pop3d.h"
#include "privs.h"
#include "resolve.h"
#include "strutil.h"

#define AUTH_NEED_TLS	"-ERR [AUTH] Plaintext authentication disallowed " \
			"on non-secure (SSL/TLS) connections."

/* The USER name made safe for the log. */
static const char *
auth_safe_user(const struct pop3d_session *s, char *buf, size_t size)
{
	return log_sanitize(buf, size, s->user, strlen(s->user));
}

/* Set the login name: lower-cased, with pop3d_auth_default_domain added
 * to a bare name (like Dovecot's auth_default_realm). */
static void
auth_set_user(struct pop3d_session *s, const char *p, size_t len)
{
	const char *dom = var_pop3d_auth_default_domain;
	char *u = xstrndup(p, len);

	free(s->user);
	if (dom != NULL && *dom != '\0' && len > 0 && memchr(p, '@', len) == NULL) {
		s->user = xmalloc(len + strlen(dom) + 2);
		snprintf(s->user, len + strlen(dom) + 2, "%s@%s", u, dom);
		free(u);
	} else {
		s->user = u;
	}
	str_lower(s->user);
}

/* USER name: remember the (lower-cased) address for PASS. */
void
pop3d_cmd_user(struct pop3d_session *s, const char *p, size_t len)
{
	struct pop3_arg arg[1];

	if (!pop3d_plaintext_ok(s)) {
		pop3d_bad(s, AUTH_NEED_TLS);
		return;
	}
	if (pop3_parse_args(p, len, arg, 1) != 1) {
		pop3d_bad(s, "-ERR Invalid arguments.");
		return;
	}
	auth_set_user(s, arg[0].p, arg[0].len);
	pop3d_reply(s, "+OK");
}

/* Resolve the user's maildir: 1 with *path_r (malloced) and its owner,
 * 0 none, -1 temporary failure. */
static int
auth_maildir(struct pop3d_session *s, char **path_r, uid_t *uid_r,
    gid_t *gid_r)
{
	struct resolver *r;
	const char *err = NULL;
	char safe[128];
	int rc;

	*path_r = NULL;
	if ((r = pop3d_session_resolver(&err)) == NULL) {
		log_warn("cannot open lookup maps: %s", err ? err : "error");
		return -1;
	}
	rc = resolve_login_maildir(r, s->user, path_r, uid_r, gid_r, &err);
	if (rc < 0)
		log_warn("mailbox lookup for %s: %s",
		    auth_safe_user(s, safe, sizeof(safe)), err ? err : "error");
	return rc;
}

/* Still root (only in -S mode): become the mailbox owner for good, so
 * that nothing in the maildir is created or touched as root. */
static int
auth_become_owner(uid_t uid, gid_t gid)
{
	const char *err = NULL;

	if (!privs_is_root())
		return 0;
	if (privs_drop_ids(uid, gid, &err) != 0) {
		log_warn("cannot become the owner (uid %ld) of the mailbox: %s",
		    (long)uid, err);
		return -1;
	}
	return 0;
}

/* Open and lock the mailbox; enter TRANSACTION on success. */
static void
auth_login(struct pop3d_session *s)
{
	const char *err = NULL;
	char *path = NULL;
	uid_t uid = 0;
	gid_t gid = 0;
	int rc = auth_maildir(s, &path, &uid, &gid);

	if (rc > 0 && auth_become_owner(uid, gid) < 0)
		rc = -1;
	if (rc <= 0) {
		pop3d_reply(s, rc < 0 ? "-ERR [SYS/TEMP] Temporary failure "
		    "opening the mailbox." :
		    "-ERR [SYS/PERM] There is no mailbox for this user.");
		free(path);
		return;
	}
	switch (pop3d_mailbox_open(path, &s->mbox, &err)) {
	case POP3D_OPEN_OK:
		s->state = POP3D_TRANSACTION;
		s->login = xstrdup(s->user);
		s->msg_count = s->mbox->count;
		s->msg_size = s->mbox->total_size;
		log_info("login: user=<%s>, rip=%s, messages=%zu",
		    s->login, s->rip, s->mbox->count);
		pop3d_reply(s, "+OK Logged in.");
		break;
	case POP3D_OPEN_LOCKED:
		log_info("mailbox in use: user=<%s>, rip=%s", s->user, s->rip);
		pop3d_reply(s, "-ERR [IN-USE] Mailbox is locked by another "
		    "POP3 session.");
		break;
	case POP3D_OPEN_ERROR:
		log_warn("user=<%s>: %s: %s", s->user, path,
		    err ? err : "error");
		pop3d_reply(s, "-ERR [SYS/TEMP] Cannot open the mailbox.");
		break;
	}
	free(path);
}

/* A wrong password: delay, log, count; close after the limit. */
static void
auth_failed(struct pop3d_session *s)
{
	auth_safe_user(s, s->last_user, sizeof(s->last_user));
	log_info("auth failed: user=<%s>, method=%s, rip=%s", s->last_user,
	    s->last_method, s->rip);
	if (var_pop3d_auth_failure_delay > 0)
		sleep((unsigned)var_pop3d_auth_failure_delay);
	pop3d_reply(s, "-ERR [AUTH] Authentication failed.");
	if (++s->auth_failures >= POP3D_AUTH_LIMIT)
		s->closing = 1;
}

/* Check s->user's password (p, len), then log in or fail. */
static void
auth_verify(struct pop3d_session *s, const char *p, size_t len,
    const char *method)
{
	const char *err = NULL;
	char safe[128];
	int rc;

	s->last_method = method;
	rc = auth_client_verify("pop3", s->user, p, len, s->rip, NULL, &err);
	if (rc > 0)
		auth_login(s);
	else if (rc == 0)
		auth_failed(s);
	else {
		log_warn("password lookup for %s: %s",
		    auth_safe_user(s, safe, sizeof(safe)), err ? err : "error");
		pop3d_reply(s, "-ERR [SYS/TEMP] Temporary authentication "
		    "failure.");
	}
	free(s->user);
	s->user = NULL;
}

/* PASS secret: verify, then log in. */
void
pop3d_cmd_pass(struct pop3d_session *s, const char *p, size_t len)
{
	if (s->user == NULL) {
		pop3d_bad(s, "-ERR No user name given.");
		return;
	}
	if (len == 0) {
		pop3d_bad(s, "-ERR No password given.");
		return;
	}
	auth_verify(s, p, len, "PLAIN");
	/* The line lives in conn's input buffer until the next read; do not
	 * leave the password there. */
	explicit_bzero((char *)p, len);
}

/* A decoded SASL PLAIN response: check it like USER/PASS. */
static void
auth_plain(struct pop3d_session *s, const char *b64, size_t len)
{
	char dec[POP3_LINE_MAX];
	struct pop3_sasl_plain sp;
	long n = 0;

	if (len == 1 && b64[0] == '=')
		len = 0;	/* RFC 5034 4: "=" is an empty response */
	n = pop3_parse_base64(b64, len, dec, sizeof(dec));
	explicit_bzero((char *)b64, len);
	if (n < 0) {
		pop3d_bad(s, "-ERR Invalid base64 data in continued response");
		return;
	}
	if (pop3_parse_sasl_plain(dec, (size_t)n, &sp) < 0 ||
	    (sp.authzid_len > 0 && (sp.authzid_len != sp.authcid_len ||
	    memcmp(sp.authzid, sp.authcid, sp.authcid_len) != 0))) {
		s->last_method = "PLAIN";
		free(s->user);
		s->user = xstrdup("");
		auth_failed(s);
	} else {
		auth_set_user(s, sp.authcid, sp.authcid_len);
		auth_verify(s, sp.passwd, sp.passwd_len, "PLAIN");
	}
	explicit_bzero(dec, sizeof(dec));
}

/* AUTH [mechanism [initial-response]] (RFC 5034). */
void
pop3d_cmd_auth(struct pop3d_session *s, const char *p, size_t len)
{
	struct pop3_arg a[2];
	int n = pop3_parse_args(p, len, a, 2);

	if (n == 0) {	/* the list of mechanisms, as Dovecot answers */
		pop3d_reply(s, "+OK");
		pop3d_reply(s, "PLAIN");
		pop3d_reply(s, ".");
		return;
	}
	if (n < 0) {
		pop3d_bad(s, "-ERR Invalid arguments.");
		return;
	}
	if (str_casecmp_n(a[0].p, a[0].len, "PLAIN") != 0) {
		pop3d_bad(s, "-ERR Unsupported authentication mechanism.");
		return;
	}
	if (!pop3d_plaintext_ok(s)) {
		pop3d_bad(s, AUTH_NEED_TLS);
		return;
	}
	if (n == 2) {
		auth_plain(s, a[1].p, a[1].len);
		return;
	}
	s->auth_pending = 1;
	pop3d_reply(s, "+ ");
}

/* The line after "+ ": "*" cancels, anything else is the response. */
void
pop3d_auth_continue(struct pop3d_session *s, const char *line, size_t len)
{
	s->auth_pending = 0;
	if (len == 1 && line[0] == '*') {
		pop3d_bad(s, "-ERR Authentication aborted by client.");
		return;
	}
	auth_plain(s, line, len);
}

/* At disconnect after failed logins: one line in the shape fail2ban's
 * dovecot filter matches ("pop3-login: Disconnected (auth failed, N
 * attempts in S secs): user=<u>, method=M, rip=A, lip=B"). */
void
pop3d_auth_report(const struct pop3d_session *s)
{
	if (s->login != NULL || s->auth_failures == 0)
		return;
	log_info("pop3-login: Disconnected (auth failed, %d attempts in "
	    "%lld secs): user=<%s>, method=%s, rip=%s, lip=%s%s",
	    s->auth_failures, (long long)(time(NULL) - s->started),
	    s->last_user, s->last_method ? s->last_method : "PLAIN", s->rip,
	    s->lip, conn_is_tls(s->conn) ? ", TLS" : "");
}
