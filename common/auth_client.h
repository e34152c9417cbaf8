/*
 * auth_client.h - asking petrel-auth, the one password-checking service
 * (the only reader of user_password_maps), whether a login is good.
 * smtpd workers use the blocking calls; an event-driven
 * login process (imapd, pop3d) uses the start/step pair; their spawners
 * redeem cookies.
 *
 * Protocol (framing in auth_proto.h): connect to the unix socket named by
 * auth_listen ("unix:/path"), send one request, read one answer, close.
 *   VERIFY service user password client-address
 *       -> OK <cookie> | NO <delay> | TEMP <reason> | DENY <reason>
 *          | WAIT <seconds>
 *       The cookie is a one-time login cookie (128 random bits in hex)
 *       that the service remembers for 60 seconds.  NO's delay is how
 *       long the asker should wait before it tells its client, WAIT says
 *       that the password was not checked because the client address is
 *       held back after failed logins: the same request is to be sent
 *       again after that many seconds (local/auth_penalty.c).
 *   REDEEM cookie -> OK <user> | NO ... (unknown, used or expired)
 *       Only root may redeem: the imapd parent learns which user logged in
 *       without trusting the login process that reported it; a cookie
 *       redeems once.
 * The service checks the peer's uid (SO_PEERCRED): root, smtpd_user,
 * imapd_login_user and pop3d_login_user may ask; others get DENY.
 *
 * Public:
 *   auth_client_verify(service, user, pw, pwlen, addr, cookie_r, &delay,
 *       &errstr)  blocking, each exchange bounded by auth_timeout: 1 good
 *       (cookie_r, when not NULL, AUTH_CLIENT_COOKIE_SIZE bytes, gets the
 *       cookie, "" without one), 0 bad user or password (*delay_r, when
 *       not NULL: the seconds to wait before answering), -1 temporary
 *       failure (*errstr_r says why: no service, timeout, TEMP or DENY
 *       answer, bad input, held back by WAIT for longer than
 *       auth_timeout in all).  WAIT answers are slept through here.
 *   auth_client_redeem(cookie, user_r, size, &errstr)  blocking: 1 with
 *       the user name in user_r, 0 unknown/used/expired, -1 temporary.
 *   auth_client_start_verify(service, user, pw, pwlen, addr, &errstr),
 *   auth_client_start_redeem(cookie, &errstr)  connect (non-blocking) and
 *       send what fits; a handle, or NULL (temporary failure, *errstr_r).
 *   auth_client_fd(c)      the descriptor to poll; -1 when the answer is
 *                          already known (local fallback): step at once.
 *   auth_client_events(c)  POLLOUT while the request is not sent, else POLLIN.
 *   auth_client_step(c, &errstr)  after poll said ready: AUTH_CLIENT_AGAIN
 *       (poll again), AUTH_CLIENT_WAIT (held back: call auth_client_retry
 *       after auth_client_delay(c) seconds), else the final 1, 0 or -1 as
 *       above; the caller enforces its own deadlines and frees the handle.
 *   auth_client_delay(c)   after 0: the seconds to delay the answer;
 *                          after AUTH_CLIENT_WAIT: the seconds to wait.
 *   auth_client_retry(c, &errstr)  after AUTH_CLIENT_WAIT: reconnect and
 *       send the same request again; 0 (poll it as before), or -1.
 *   auth_client_value(c)   after 1: the cookie (VERIFY) or user (REDEEM).
 *   auth_client_free(&c)   closes, wipes, frees, NULLs.
 * Fallback: when the service's socket is missing or refuses connections
 * and the process serves a single session (-S, nothing was dropped), a
 * VERIFY is checked here with password_lookup_verify, as smtpd did before
 * the service existed; there is no cookie then.  Elsewhere a missing
 * service is a temporary failure ("try later").
 * Security: the request carries the password: the handle keeps it for a
 * retry after WAIT and wipes it on free.  The answer is parsed as untrusted input.
 */
#ifndef PETREL_AUTH_CLIENT_H
#define PETREL_AUTH_CLIENT_H

#include <stddef.h>
#include "auth_proto.h"
#include "log.h"

#define AUTH_CLIENT_AGAIN 2
#define AUTH_CLIENT_WAIT 3
#define AUTH_CLIENT_COOKIE_SIZE (AUTH_PROTO_COOKIE_LEN + 1)

struct auth_client;

int auth_client_verify(const char *service, const char *user, const char *pw,
    size_t pwlen, const char *addr, char *cookie_r, unsigned *delay_r,
    const char **errstr_r) WARN_UNUSED;
int auth_client_redeem(const char *cookie, char *user_r, size_t size,
    const char **errstr_r) WARN_UNUSED;
struct auth_client *auth_client_start_verify(const char *service,
    const char *user, const char *pw, size_t pwlen, const char *addr,
    const char **errstr_r);
struct auth_client *auth_client_start_redeem(const char *cookie,
    const char **errstr_r);
int auth_client_fd(const struct auth_client *c);
int auth_client_events(const struct auth_client *c);
int auth_client_step(struct auth_client *c, const char **errstr_r)
    WARN_UNUSED;
const char *auth_client_value(const struct auth_client *c);
unsigned auth_client_delay(const struct auth_client *c);
int auth_client_retry(struct auth_client *c, const char **errstr_r)
    WARN_UNUSED;
void auth_client_free(struct auth_client **cp);

#endif
