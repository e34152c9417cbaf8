/*
 * auth_session.c - one request to petrel-auth: check the peer, read one
 * bounded request (auth_proto.h) within auth_timeout, answer, close.
 *
 * Public: auth_session (the skeleton's session), auth_peers_init
 * (post_drop: who may ask).
 * Requests (protocol in common/auth_client.h):
 *   VERIFY service user password client-address: password_lookup_verify
 *     against user_password_maps; OK (for services "imap" and "pop3"
 *     with a fresh one-time cookie, auth_cookie.c), NO with the seconds
 *     the asker should delay its answer, or TEMP when the maps fail; WAIT
 *     without a check while the client address is held back after
 *     failures (auth_penalty.c).
 *   REDEEM cookie: root only (DENY otherwise); OK with the user, or NO.
 * Peers: SO_PEERCRED must name root, smtpd_user, imapd_login_user or
 * pop3d_login_user; anyone else (vmail_user's sessions included) gets
 * DENY and a warning in the log.
 * Logging: failed and refused requests, with sanitised names; never a
 * password.  Every bad password is one line (fail2ban's filter for
 * petrel-auth reads it; etc/fail2ban/):
 *   authentication failed: service=S, user=<U>, rip=ADDR, failures=N,
 *   user_failures=M, delay=Ds
 * and a check held back is "authentication held back: service=S,
 * user=<U>, rip=ADDR, failures=N, wait=Ws".
 * Security: runs as auth_user (the only user that reads the password
 * maps: they are group auth_user, mode 0640); the request bytes are
 * untrusted and wiped (explicit_bzero) with
 * the password in them as soon as the answer is known.
 */
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "auth_proto.h"
#include "params.h"
#include "password.h"

#define PEERS_MAX 8
#define AUTH_DENY_DRAIN 2	/* seconds a refused peer may still send */

static uid_t peer_uids[PEERS_MAX];
static size_t peer_count;

/* Remember the uid of the user named by a parameter (if it exists). */
static void
peers_add(const char *param, const char *user)
{
	struct passwd *pw;

	if (user == NULL || *user == '\0')
		return;
	if ((pw = getpwnam(user)) == NULL) {
		log_warn("%s: unknown user %s; it may not ask", param, user);
		return;
	}
	if (peer_count < PEERS_MAX)
		peer_uids[peer_count++] = pw->pw_uid;
}

/* The uids that may ask, besides root (post_drop, every worker). */
void
auth_peers_init(void)
{
	peer_count = 0;
	peers_add("smtpd_user", var_smtpd_user);
	peers_add("imapd_login_user", var_imapd_login_user);
	peers_add("pop3d_login_user", var_pop3d_login_user);
}

/* 1 when uid may ask at all. */
static int
peer_allowed(uid_t uid)
{
	if (uid == 0)
		return 1;
	for (size_t i = 0; i < peer_count; i++)
		if (peer_uids[i] == uid)
			return 1;
	return 0;
}

/* Milliseconds until deadline, at least 0. */
static int
ms_left(time_t deadline)
{
	time_t now = auth_cookie_now();

	return now >= deadline ? 0 : (int)(deadline - now) * 1000;
}

/* Read one request into req (bounded, until deadline): 1, or 0 when the
 * peer sent junk, closed early, or was too slow (logged). */
static int
session_read(int fd, char *buf, size_t size, size_t *len_r,
    struct auth_req *req, time_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t used = 0;
	ssize_t n;
	int rc = 0;

	*len_r = 0;
	while ((rc = auth_proto_parse_request(buf, *len_r, req, &used)) == 0) {
		if (*len_r == size || poll(&pfd, 1, ms_left(deadline)) == 0) {
			log_warn("request timed out or too long");
			return 0;
		}
		n = read(fd, buf + *len_r, size - *len_r);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return 0;	/* the client gave up */
		*len_r += (size_t)n;
	}
	if (rc < 0 || used != *len_r) {
		log_warn("malformed request");
		return 0;
	}
	return 1;
}

/* Send the answer (bounded by the deadline); errors only mean the client
 * went away. */
static void
session_answer(int fd, enum auth_status st, const char *value,
    time_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	struct buf *b = buf_new(64, AUTH_PROTO_REPLY_MAX);
	size_t off = 0;
	ssize_t n;

	if (auth_proto_put_reply(b, st, value, strlen(value)) != 0)
		log_panic("cannot encode an answer");
	while (off < b->len && poll(&pfd, 1, ms_left(deadline)) == 1) {
		n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	explicit_bzero(b->data, b->len);
	buf_free(&b);
}

/* The fields of a VERIFY as C strings, the user sanitised for the log. */
struct verify_names {
	char user[AUTH_PROTO_USER_MAX + 1], addr[AUTH_PROTO_ADDR_MAX + 1];
	char service[AUTH_PROTO_SERVICE_MAX + 1], safe[128];
};

/* Copy a VERIFY's fields out of the request. */
static void
verify_names(const struct auth_req *r, struct verify_names *n)
{
	memcpy(n->user, r->user.p, r->user.len);
	n->user[r->user.len] = '\0';
	memcpy(n->addr, r->addr.p, r->addr.len);
	n->addr[r->addr.len] = '\0';
	memcpy(n->service, r->service.p, r->service.len);
	n->service[r->service.len] = '\0';
	log_sanitize_bracketed(n->safe, sizeof(n->safe), n->user, r->user.len);
}

/* A bad password: count it (auth_penalty.c), log it, NO with the delay. */
static enum auth_status
verify_failed(const struct verify_names *n, char *value, size_t size)
{
	unsigned addr_failures, user_failures, delay;

	delay = auth_penalty_failed(n->addr, n->user, auth_cookie_now(),
	    &addr_failures, &user_failures);
	log_info("authentication failed: service=%s, user=<%s>, rip=%s, "
	    "failures=%u, user_failures=%u, delay=%us", n->service, n->safe,
	    n->addr, addr_failures, user_failures, delay);
	snprintf(value, size, "%u", delay);
	return AUTH_ST_NO;
}

/* VERIFY: check the password unless the address is held back; the
 * status, with the cookie (OK), a delay (NO) or a wait (WAIT) in value. */
static enum auth_status
session_verify(const struct auth_req *r, char *value, size_t size)
{
	struct verify_names n;
	const char *err = NULL;
	unsigned wait, failures;
	int rc;

	verify_names(r, &n);
	if (!auth_penalty_check(n.addr, auth_cookie_now(), &wait, &failures)) {
		log_info("authentication held back: service=%s, user=<%s>, "
		    "rip=%s, failures=%u, wait=%us", n.service, n.safe, n.addr,
		    failures, wait);
		snprintf(value, size, "%u", wait);
		return AUTH_ST_WAIT;
	}
	rc = password_lookup_verify(n.user, r->password.p, r->password.len,
	    &err);
	if (rc < 0) {
		log_warn("service=%s, user=<%s>, rip=%s: password lookup: %s",
		    n.service, n.safe, n.addr, err != NULL ? err : "error");
		snprintf(value, size, "password lookup failed");
		return AUTH_ST_TEMP;
	}
	if (rc == 0)
		return verify_failed(&n, value, size);
	auth_penalty_succeeded(n.addr, n.user, auth_cookie_now());
	/* Only a login that a root process turns into a session needs a
	 * cookie (the spawners of imapd and pop3d); other services would
	 * only fill the table and push live cookies out. */
	if (strcmp(n.service, "imap") != 0 && strcmp(n.service, "pop3") != 0) {
		value[0] = '\0';
		return AUTH_ST_OK;
	}
	if (auth_cookie_issue(n.user, auth_cookie_now(), value) != 0) {
		snprintf(value, size, "cannot issue a cookie");
		return AUTH_ST_TEMP;
	}
	return AUTH_ST_OK;
}

/* REDEEM: root only; the user the cookie was issued for. */
static enum auth_status
session_redeem(const struct auth_req *r, uid_t uid, char *value, size_t size)
{
	char cookie[AUTH_PROTO_COOKIE_LEN + 1];

	if (uid != 0) {
		log_warn("refused REDEEM from uid %ld: only root may redeem",
		    (long)uid);
		snprintf(value, size, "only root may redeem");
		return AUTH_ST_DENY;
	}
	memcpy(cookie, r->cookie.p, AUTH_PROTO_COOKIE_LEN);
	cookie[AUTH_PROTO_COOKIE_LEN] = '\0';
	if (auth_cookie_redeem(cookie, auth_cookie_now(), value, size) == 1)
		return AUTH_ST_OK;
	snprintf(value, size, "unknown, used or expired cookie");
	return AUTH_ST_NO;
}

/* The peer's credentials; 0 or -1. */
static int
session_peer(int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) == 0 &&
	    len == sizeof(*cred) ? 0 : -1;
}

/* Refuse a peer: answer DENY at once, then read (and drop) what it sent
 * for a moment, so that closing with unread bytes does not reset the
 * connection before the answer is read. */
static void
session_deny(int fd, const struct ucred *cred, int known, time_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char junk[AUTH_PROTO_REQ_MAX];
	time_t drain_end = auth_cookie_now() + AUTH_DENY_DRAIN;
	size_t total = 0;
	ssize_t n = 1;

	log_warn("refused a request from uid %ld, pid %ld: not an allowed "
	    "peer", known ? (long)cred->uid : -1L,
	    known ? (long)cred->pid : -1L);
	session_answer(fd, AUTH_ST_DENY, "peer not allowed", deadline);
	(void)shutdown(fd, SHUT_WR);
	while (n > 0 && total < sizeof(junk) &&
	    poll(&pfd, 1, ms_left(drain_end)) == 1) {
		n = read(fd, junk, sizeof(junk) - total);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			n = 1;
		else if (n > 0)
			total += (size_t)n;
	}
	explicit_bzero(junk, sizeof(junk));
}

/* Serve one request (the skeleton's session). */
void
auth_session(int fd_in, int fd_out, const struct server_peer *peer)
{
	char req_buf[AUTH_PROTO_REQ_MAX], value[AUTH_PROTO_VALUE_MAX + 1];
	time_t deadline = auth_cookie_now() + var_auth_timeout;
	struct auth_req req;
	struct ucred cred;
	enum auth_status st;
	size_t len = 0;
	int known = session_peer(fd_in, &cred) == 0;

	(void)peer;
	if (!known || !peer_allowed(cred.uid)) {
		session_deny(fd_in, &cred, known, deadline);
		return;
	}
	if (session_read(fd_in, req_buf, sizeof(req_buf), &len, &req,
	    deadline) == 1) {
		value[0] = '\0';
		if (req.cmd == AUTH_CMD_VERIFY)
			st = session_verify(&req, value, sizeof(value));
		else
			st = session_redeem(&req, cred.uid, value,
			    sizeof(value));
		explicit_bzero(req_buf, sizeof(req_buf));
		session_answer(fd_out, st, value, deadline);
	}
	explicit_bzero(req_buf, sizeof(req_buf));
	explicit_bzero(value, sizeof(value));
}
