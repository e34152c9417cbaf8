/*
 * imapd.h - what the parts of petrel-imapd share.
 *
 * petrel-imapd is four kinds of process (RFC 9051, RFC 3501):
 *   parent     root; the server skeleton: binds imapd_listen (143,
 *              STARTTLS) and imapd_imaps_listen (993, implicit TLS), loads
 *              the TLS context, makes the handoff socket, keeps the pool
 *              of login processes and the spawner (main.c).
 *   login      imapd_login_user; event-driven, many clients each, from the
 *              greeting to a successful login (common/login*.c, login.h,
 *              shared with pop3d; IMAP's commands: login_cmd.c); can open
 *              no mailbox and no password map; asks petrel-auth.
 *   spawner    root, one (a skeleton helper, common/login_spawn.c): takes
 *              a logged-in connection from a login process, redeems its
 *              cookie with petrel-auth, finds the user's maildir and
 *              owner, enforces imapd_max_userip_connections and
 *              imapd_session_limit, and forks the session process.
 *   session    the mailbox owner (the user, or petrel-vmail for virtual
 *              users), one per connection (session*.c, cmd_*.c): the
 *              authenticated and selected states over the user's Maildir++
 *              tree and nothing else.
 * In -S mode one process does the login stage and the session on
 * stdin/stdout (no privilege changes; for tests).
 *
 * Public (inside imapd/ only):
 *   imapd_tls()                imapd's TLS state (common/tls_server.h).
 *   imapd_tls_ctx()            the server TLS context (NULL: no TLS).
 *   imapd_login_proto          IMAP's part of the pre-login stage and the
 *                              spawner (login_cmd.c, common/login.h).
 *   imapd_capability(buf, prelogin, tls_ok, plaintext_ok)  the
 *                              CAPABILITY list (capability.c);
 *   imapd_capability_hiding(hidden), imapd_capability_listed(list, w, n)
 *                              the list without a user's hidden names.
 *   imapd_session_main(fd_in, fd_out, h, user, maildir)  a session's life
 *                              after login (session.c); never returns.
 */
#ifndef PETREL_IMAPD_H
#define PETREL_IMAPD_H

#include <stddef.h>
#include "handoff.h"

#define IMAPD_LISTENER_IMAPS	1	/* peer.listener of imapd_imaps_listen */

struct buf;
struct tls_ctx;
struct tls_server;

struct login_proto;

extern const struct login_proto imapd_login_proto;

struct tls_ctx *imapd_tls_ctx(void);
struct tls_server *imapd_tls(void);
const char *imapd_capability(int prelogin, int starttls_ok,
    int plaintext_ok);
const char *imapd_capability_hiding(const char *hidden);
int imapd_capability_listed(const char *list, const char *word, size_t n);
__attribute__((noreturn))
void imapd_session_main(int fd_in, int fd_out, const struct handoff *h,
    const char *user, const char *maildir);

#endif
