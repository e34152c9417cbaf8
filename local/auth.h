/*
 * auth.h - what the files of petrel-auth, the password-checking service,
 * share.  The protocol is documented in common/auth_client.h (requests,
 * answers, who may ask) and common/auth_proto.h (framing).
 *
 * Public (inside local/auth_*.c and its unit test only):
 *   auth_cookie_init(slots)    parent, before the workers exist: the
 *                              cookie table in shared memory; fatal when
 *                              it cannot be mapped.
 *   auth_cookie_issue(user, now, hex_r)  a fresh one-time cookie for
 *                              user (hex_r: AUTH_PROTO_COOKIE_LEN + 1
 *                              bytes); 0, or -1 (no randomness, bad user).
 *                              A full table evicts the oldest cookie.
 *   auth_cookie_redeem(hex, now, user_r, size)  1 with the user the
 *                              cookie was issued for (the cookie is gone
 *                              afterwards), 0 unknown, used or expired.
 *   auth_penalty_init()        parent, before the workers exist: the
 *                              table of failed logins (auth_penalty.c).
 *   auth_penalty_open()        post_drop: auth_penalty_exceptions.
 *   auth_penalty_check(addr, now, &wait, &failures)  before a VERIFY's
 *                              password is checked: 1 go ahead, 0 the
 *                              address is held back for wait seconds.
 *   auth_penalty_failed(addr, user, now, &addr_failures, &user_failures)
 *                              count a failure; the seconds the answer
 *                              should be delayed.
 *   auth_penalty_succeeded(addr, user, now)  forget both counts.
 *   auth_session(fd_in, fd_out, peer)  one request (auth_session.c).
 *   auth_peers_init()          post_drop: the uids that may ask.
 * "now" is CLOCK_MONOTONIC seconds (auth_cookie_now()), the same clock in
 * every process of the pool.
 */
#ifndef PETREL_LOCAL_AUTH_H
#define PETREL_LOCAL_AUTH_H

#include <stddef.h>
#include <time.h>
#include "log.h"
#include "server.h"

#define AUTH_COOKIE_SLOTS	4096	/* cookies remembered at once */
#define AUTH_COOKIE_TTL		60	/* seconds a cookie lives */

void auth_cookie_init(size_t slots);
time_t auth_cookie_now(void);
int auth_cookie_issue(const char *user, time_t now, char *hex_r) WARN_UNUSED;
int auth_cookie_redeem(const char *hex, time_t now, char *user_r,
    size_t size) WARN_UNUSED;

void auth_penalty_init(void);
void auth_penalty_open(void);
int auth_penalty_check(const char *addr, time_t now, unsigned *wait_r,
    unsigned *failures_r);
unsigned auth_penalty_failed(const char *addr, const char *user, time_t now,
    unsigned *addr_failures_r, unsigned *user_failures_r);
void auth_penalty_succeeded(const char *addr, const char *user, time_t now);

void auth_session(int fd_in, int fd_out, const struct server_peer *peer);
void auth_peers_init(void);

#endif
