/*
 * auth.c - the AUTHORIZATION state: USER and PASS (RFC 1939 7), then the
 * login that locks and lists the user's maildir.
 *
 * Public: pop3d_cmd_user, pop3d_cmd_pass (see pop3d.h).
 * The user name is the full address, lower-cased; the password is checked
 * with password_lookup_verify (user_password_maps).  A wrong password
 * gets "-ERR [AUTH] Authentication failed." after pop3d_auth_failure_delay
 * seconds; after POP3D_AUTH_LIMIT failures the session closes.  A lookup
 * that fails temporarily gets "-ERR [SYS/TEMP] ..." and costs nothing.
 * A mailbox held by another POP3 session gets "-ERR [IN-USE] ..." and the
 * session stays in AUTHORIZATION (the client may retry; Dovecot closes
 * instead - both are allowed by RFC 2449 8.1.1).
 * Security: plaintext passwords are refused unless pop3d_plaintext_auth is
 * on or the peer is loopback/stdin; the password's bytes are wiped from
 * the input buffer after use; only sanitised names reach the log.  Workers
 * already run as vmail_user; a -S session started as root switches to the
 * mailbox owner for good before it opens the maildir.
 */
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "params.h"
#include "password.h"
#include "pop3_parse.h"
#include "pop3d.h"
#include "privs.h"
#include "resolve.h"
#include "strutil.h"

/* The USER name made safe for the log. */
static const char *
auth_safe_user(const struct pop3d_session *s, char *buf, size_t size)
{
	return log_sanitize(buf, size, s->user, strlen(s->user));
}

/* USER name: remember the (lower-cased) address for PASS. */
void
pop3d_cmd_user(struct pop3d_session *s, const char *p, size_t len)
{
	struct pop3_arg arg[1];

	if (!var_pop3d_plaintext_auth && !s->trusted_peer) {
		pop3d_bad(s, "-ERR [AUTH] Plaintext authentication is not "
		    "allowed without TLS.");
		return;
	}
	if (pop3_parse_args(p, len, arg, 1) != 1) {
		pop3d_bad(s, "-ERR Invalid arguments.");
		return;
	}
	free(s->user);
	s->user = str_lower(xstrndup(arg[0].p, arg[0].len));
	pop3d_reply(s, "+OK");
}

/* Resolve the user's maildir: 1 with *path_r (malloced) and its owner,
 * 0 none, -1 temporary failure. */
static int
auth_maildir(struct pop3d_session *s, char **path_r, uid_t *uid_r,
    gid_t *gid_r)
{
	struct resolver *r;
	struct resolve_mailbox mb;
	enum resolve_class cls;
	const char *err = NULL;
	char safe[128];
	int rc;

	*path_r = NULL;
	if ((r = pop3d_session_resolver(&err)) == NULL) {
		log_warn("cannot open lookup maps: %s", err ? err : "error");
		return -1;
	}
	cls = resolve_class(r, s->user);
	if (cls != RESOLVE_VIRTUAL && cls != RESOLVE_LOCAL)
		return 0;
	memset(&mb, 0, sizeof(mb));
	rc = resolve_mailbox(r, s->user, &mb, &err);
	if (rc < 0)
		log_warn("mailbox lookup for %s: %s",
		    auth_safe_user(s, safe, sizeof(safe)), err ? err : "error");
	if (rc > 0 && !mb.is_alias && mb.maildir != NULL) {
		*path_r = xstrdup(mb.maildir);
		*uid_r = mb.uid;
		*gid_r = mb.gid;
	}
	resolve_mailbox_clear(&mb);
	return rc < 0 ? -1 : *path_r != NULL;
}

/* Still root (only in -S mode): become the mailbox owner for good, so
 * that nothing in the maildir is created or touched as root. */
static int
auth_become_owner(uid_t uid, gid_t gid)
{
	if (!privs_is_root())
		return 0;
	if (uid == 0 || gid == 0 || setgroups(1, &gid) < 0 || setgid(gid) < 0 ||
	    setuid(uid) < 0 || setuid(0) == 0) {
		log_warn("cannot become the owner (uid %ld) of the mailbox",
		    (long)uid);
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
	char safe[128];

	log_info("auth failed: user=<%s>, rip=%s",
	    auth_safe_user(s, safe, sizeof(safe)), s->rip);
	if (var_pop3d_auth_failure_delay > 0)
		sleep((unsigned)var_pop3d_auth_failure_delay);
	pop3d_reply(s, "-ERR [AUTH] Authentication failed.");
	if (++s->auth_failures >= POP3D_AUTH_LIMIT)
		s->closing = 1;
}

/* PASS secret: verify, then log in. */
void
pop3d_cmd_pass(struct pop3d_session *s, const char *p, size_t len)
{
	const char *err = NULL;
	char safe[128];
	int rc;

	if (s->user == NULL) {
		pop3d_bad(s, "-ERR No user name given.");
		return;
	}
	if (len == 0) {
		pop3d_bad(s, "-ERR No password given.");
		return;
	}
	rc = password_lookup_verify(s->user, p, len, &err);
	/* The line lives in conn's input buffer until the next read; do not
	 * leave the password there. */
	explicit_bzero((char *)p, len);
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
