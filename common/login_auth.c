/*
 * login_auth.c - a login's password check with petrel-auth, without
 * blocking the login process, and what follows it: the handoff of a good
 * login to the spawner, the delayed answer to a bad one, the log line
 * (imapd and pop3d; login.h).
 *
 * Public (see login.h): login_auth_start, login_auth_failed (a failure
 * the protocol saw itself, e.g. a foreign SASL authorisation identity),
 * login_auth_event (the service answered), login_auth_tick (once a
 * second: delayed replies and the check's deadline), login_auth_report
 * (at disconnect).
 * The login name is lower-cased, with the protocol's default domain
 * (imapd_auth_default_domain, pop3d_auth_default_domain) added to a bare
 * name; in the log it is sanitised and '<' '>' become '?' (so the
 * user=<...> field always ends where fail2ban expects).  The password
 * service is asked for service login_proto->name.  A bad password is
 * answered (LOGIN_ANS_FAILED) after the protocol's failure delay or the
 * longer penalty the service named (local/auth_penalty.c), at once when
 * both are 0; after its failure limit the connection closes.  A check the
 * service held back (WAIT) is asked again after the wait it named, within
 * the check's 30 s deadline.  A check
 * that cannot be made answers LOGIN_ANS_TEMP at once.  The disconnect of
 * a client that failed and never logged in is logged as
 *   <name>-login: Disconnected (auth failed, N attempts in S secs):
 *   user=<name>, method=PLAIN, rip=ADDR, lip=ADDR[, TLS]
 * which fail2ban's stock dovecot filter matches once the jail names our
 * daemon tag: filter = dovecot[_daemon=petrel/imapd] (t/interop/
 * imap_fail2ban.py).
 * A good login: the cookie, the tag and pipelined input go to the spawner
 * with the client's socket (plaintext), or with one end of a socketpair
 * that this process then relays to the TLS session (login_proxy.c); the
 * session process answers the login command.  In -S mode the session
 * runs here instead.
 * Security: the password is handed to the auth client and wiped here.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth_client.h"
#include "buf.h"
#include "handoff.h"
#include "log.h"
#include "login.h"
#include "strutil.h"

#define AUTH_CHECK_TIMEOUT 30	/* seconds for the service to answer */

/* The login name: lower-cased, the default domain added. */
static void
auth_set_user(struct login_client *c, const char *u, size_t len)
{
	const char *dom = *login_proto->default_domain;
	size_t n = len < sizeof(c->user) - 1 ? len : sizeof(c->user) - 1;

	memcpy(c->user, u, n);
	c->user[n] = '\0';
	if (dom != NULL && *dom != '\0' && memchr(c->user, '@', n) == NULL &&
	    n + 1 + strlen(dom) < sizeof(c->user)) {
		c->user[n] = '@';
		memcpy(c->user + n + 1, dom, strlen(dom) + 1);
	}
	str_lower(c->user);
	/* "user=<...>" is what fail2ban's filter reads up to the first '>':
	 * a '<' or '>' in a name would hide the failure from it. */
	log_sanitize_bracketed(c->last_user, sizeof(c->last_user), c->user,
	    strlen(c->user));
}

/* Register the pending check's descriptor for what it waits on. */
static void
auth_watch(struct login_client *c)
{
	c->auth_ev.fd = auth_client_fd(c->auth);
	login_watch(&c->auth_ev, auth_client_events(c->auth) & POLLOUT ?
	    EPOLLOUT : EPOLLIN);
}

/* Ask the service; the answer comes through login_auth_event. */
void
login_auth_start(struct login_client *c, const char *user, size_t user_len,
    const char *pw, size_t pw_len, const char *method)
{
	const char *err = NULL;

	auth_set_user(c, user, user_len);
	c->method = method;
	c->auth = auth_client_start_verify(login_proto->name, c->user, pw,
	    pw_len, c->peer.addr, &err);
	if (c->auth == NULL) {
		log_warn("%s-login: password check for %s: %s",
		    login_proto->name, c->last_user, err != NULL ? err : "error");
		login_proto->answer(c, LOGIN_ANS_TEMP);
		return;
	}
	c->state = LS_AUTH;
	c->deadline = login_now() + AUTH_CHECK_TIMEOUT;
	if (auth_client_fd(c->auth) < 0) {
		login_auth_event(c);	/* answered locally (-S) */
		return;
	}
	auth_watch(c);
	login_io_update(c);
}

/* Forget the pending check. */
static void
auth_done(struct login_client *c)
{
	c->auth_held = 0;
	login_unwatch(&c->auth_ev);
	c->auth_ev.fd = -1;
	auth_client_free(&c->auth);
}

/* Fill the handoff record; -1 when too much input is pipelined. */
static int
auth_handoff_fill(struct login_client *c, const char *cookie,
    struct handoff *h)
{
	memset(h, 0, offsetof(struct handoff, pipelined));
	if (c->in->len > HANDOFF_PIPELINE_MAX ||
	    (login_proto->handoff_ok != NULL && !login_proto->handoff_ok(c)))
		return -1;
	snprintf(h->cookie, sizeof(h->cookie), "%s", cookie);
	snprintf(h->tag, sizeof(h->tag), "%s", c->tag);
	snprintf(h->method, sizeof(h->method), "%s", c->method);
	snprintf(h->rip, sizeof(h->rip), "%s", c->peer.addr);
	snprintf(h->lip, sizeof(h->lip), "%s", c->peer.local_addr);
	h->rport = c->peer.port;
	h->lport = c->peer.local_port;
	h->tls = c->tls != NULL;
	h->pipelined_len = c->in->len;
	memcpy(h->pipelined, c->in->data, c->in->len);
	buf_reset(c->in);
	return 0;
}

/* Hand a plaintext client's socket, or a relay's far end, to the spawner. */
static int
auth_handoff(struct login_client *c, struct handoff *h)
{
	const char *err = NULL;
	int sp[2];

	if (c->tls == NULL) {
		if (handoff_send(login_handoff_fd, c->ev.fd, h, &err) != 0)
			goto fail;
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0) {
		err = strerror(errno);
		goto fail;
	}
	if (handoff_send(login_handoff_fd, sp[1], h, &err) != 0) {
		close(sp[0]);
		close(sp[1]);
		goto fail;
	}
	close(sp[1]);
	return login_proxy_start(c, sp[0]);
fail:
	log_warn("%s-login: handoff of %s to the spawner: %s",
	    login_proto->name, c->last_user, err != NULL ? err : "error");
	return -1;
}

/* A good password: the session takes over. */
static void
auth_success(struct login_client *c, const char *cookie)
{
	static struct handoff h;

	if (auth_handoff_fill(c, cookie, &h) != 0) {
		login_proto->answer(c, LOGIN_ANS_PIPELINED);
		c->state = LS_CLOSING;
		return;
	}
	/* Replies to commands before the login go out first, in order. */
	if (login_io_flush(c) != 0 || c->out->len > 0) {
		c->state = LS_CLOSING;
		return;
	}
	c->logged_in = 1;
	if (c->session_local)
		login_proto->session(c->ev.fd, c->out_fd, &h, c->user, NULL);
	if (auth_handoff(c, &h) != 0) {
		c->logged_in = 0;
		login_proto->answer(c, LOGIN_ANS_INTERNAL);
		c->state = LS_COMMAND;
	}
}

/* The check cannot be made (why, or NULL when the deadline passed
 * silently): forget it, answer "try later", go on with the input. */
static void
auth_give_up(struct login_client *c, const char *why)
{
	if (why != NULL)
		log_warn("%s-login: password check for %s: %s",
		    login_proto->name, c->last_user, why);
	auth_done(c);
	login_proto->answer(c, LOGIN_ANS_TEMP);
	c->state = LS_COMMAND;
	login_process(c);
}

/* The service held the check back (WAIT): stop watching, ask again at
 * wake_at from login_auth_tick; the whole check keeps its deadline. */
static void
auth_hold(struct login_client *c)
{
	login_unwatch(&c->auth_ev);
	c->auth_ev.fd = -1;
	c->auth_held = 1;
	c->wake_at = login_now() + auth_client_delay(c->auth);
	if (c->wake_at >= c->deadline) {
		auth_give_up(c, "held back past the check's deadline (failed "
		    "logins from this address)");
		return;
	}
	login_io_update(c);
}

/* A held-back check's time has come: send it again. */
static void
auth_retry(struct login_client *c)
{
	const char *err = NULL;

	c->auth_held = 0;
	if (auth_client_retry(c->auth, &err) != 0) {
		auth_give_up(c, err != NULL ? err : "error");
		return;
	}
	auth_watch(c);
	login_io_update(c);
}

/* The service answered (or the local fallback did). */
void
login_auth_event(struct login_client *c)
{
	const char *err = NULL;
	char cookie[AUTH_CLIENT_COOKIE_SIZE];
	int rc = auth_client_step(c->auth, &err);

	if (rc == AUTH_CLIENT_AGAIN) {
		auth_watch(c);
		return;
	}
	if (rc == AUTH_CLIENT_WAIT) {
		auth_hold(c);
		return;
	}
	if (rc == 1)
		snprintf(cookie, sizeof(cookie), "%s",
		    auth_client_value(c->auth) != NULL ?
		    auth_client_value(c->auth) : "");
	if (rc != 0)
		auth_done(c);
	if (rc == 1) {
		auth_success(c, cookie);
	} else if (rc == 0) {
		c->auth_penalty = auth_client_delay(c->auth);
		auth_done(c);
		login_auth_failed(c);
		if (c->state != LS_DELAY)
			return;		/* answered at once, processed */
	} else {
		log_warn("%s-login: password check for %s: %s",
		    login_proto->name, c->last_user, err != NULL ? err : "error");
		login_proto->answer(c, LOGIN_ANS_TEMP);
		c->state = LS_COMMAND;
	}
	if (c->logged_in && c->state != LS_PROXY)
		login_close(c);		/* the spawner has the socket now */
	else if (c->state == LS_PROXY)
		login_proxy_event(c);
	else if (c->state != LS_DELAY)
		login_process(c);	/* pipelined commands, or closing (a
					 * no-op when answered inside it) */
	else
		login_io_update(c);
}

/* A delayed failure is due: answer it, close after the last allowed. */
static void
auth_answer_failure(struct login_client *c, time_t now)
{
	login_proto->answer(c, LOGIN_ANS_FAILED);
	c->state = LS_COMMAND;
	if (c->closing_after_delay) {
		login_proto->answer(c, LOGIN_ANS_TOO_MANY);
		c->state = LS_CLOSING;
	}
	c->deadline = now + *login_proto->login_timeout;
	login_process(c);
}

/* A failed login: count it and answer after the delay (at once, and
 * the client's further input processed, when the delay is 0). */
void
login_auth_failed(struct login_client *c)
{
	long delay = *login_proto->failure_delay;

	if ((long)c->auth_penalty > delay)
		delay = (long)c->auth_penalty;
	c->auth_penalty = 0;
	c->auth_failures++;
	c->state = LS_DELAY;
	c->wake_at = login_now() + delay;
	c->closing_after_delay = c->auth_failures >=
	    *login_proto->failure_limit;
	if (delay <= 0)
		auth_answer_failure(c, login_now());
}

/* Once a second: answer a delayed failure, or give up on the service. */
void
login_auth_tick(struct login_client *c, time_t now)
{
	if (c->state == LS_AUTH && now >= c->deadline) {
		auth_give_up(c, NULL);
		return;
	}
	if (c->state == LS_AUTH && c->auth_held && now >= c->wake_at) {
		auth_retry(c);
		return;
	}
	if (c->state != LS_DELAY || now < c->wake_at)
		return;
	auth_answer_failure(c, now);
}

/* The fail2ban line for a client that failed and never logged in. */
void
login_auth_report(const struct login_client *c)
{
	if (c->logged_in || c->auth_failures == 0)
		return;
	log_info("%s-login: Disconnected (auth failed, %d attempts in "
	    "%lld secs): user=<%s>, method=%s, rip=%s, lip=%s%s",
	    login_proto->name, c->auth_failures, (long long)(login_now() - c->started),
	    c->last_user, c->method != NULL ? c->method : "PLAIN",
	    c->peer.addr, c->peer.local_addr, c->tls_up ? ", TLS" : "");
}
