/*
 * pop3d.h - what the files of petrel-pop3d share (RFC 1939 with the RFC
 * 2449 extensions).
 *
 * petrel-pop3d is four kinds of process, as petrel-imapd (the shared
 * pre-login stage and spawner: common/login.h):
 *   parent     root; the server skeleton: binds pop3d_listen (110, STLS)
 *              and pop3d_pop3s_listen (995, implicit TLS), loads the TLS
 *              context, makes the handoff socket (main.c, tls.c).
 *   login      pop3d_login_user; event-driven, many clients each, from the
 *              greeting to a successful login (login_pop3.c: CAPA, STLS,
 *              USER, PASS, AUTH PLAIN, QUIT); asks petrel-auth; can open no
 *              mailbox and no password map.
 *   spawner    root, one (common/login_spawn.c): redeems the login cookie,
 *              finds the maildir and owner, enforces
 *              pop3d_max_userip_connections and pop3d_session_limit, forks.
 *   session    the mailbox owner, one per connection (session.c, cmd.c,
 *              trans.c, mailbox.c): opens and locks the maildir, answers
 *              the login ("+OK Logged in." or "-ERR [IN-USE] ..."), then
 *              the TRANSACTION and UPDATE states.
 * In -S mode one process does the login stage and the session on
 * stdin/stdout (a root -S session becomes the mailbox owner first).
 *
 * Public (inside pop3d/ only):
 *   pop3d_login_proto            POP3's part of the pre-login stage and
 *                                the spawner (login_pop3.c).
 *   pop3d_session_main(fd_in, fd_out, h, user, maildir)  a session's life
 *                                after login (session.c); never returns.
 *   pop3d_reply(s, fmt, ...)     one reply line; CRLF is appended.
 *   pop3d_bad(s, text)           an error reply that counts against the
 *                                error budget; past it the session closes.
 *   pop3d_cmd_dispatch(s, line, len)  parse and run one command (cmd.c).
 *   pop3d_tls_init() (pre_drop), pop3d_tls_reload(), pop3d_tls() (tls.c).
 *   pop3d_cmd_stat/list/uidl/retr/top/dele/rset  TRANSACTION (trans.c).
 * Handlers get the raw text after the verb and reply themselves.
 */
#ifndef PETREL_POP3D_H
#define PETREL_POP3D_H

#include <stddef.h>
#include <time.h>
#include "conn.h"
#include "server.h"
#include "mailbox.h"

#define POP3D_ERROR_LIMIT	10	/* bad commands before we close */
#define POP3D_PRELOGIN_LIMIT	30	/* commands before a login */
#define POP3D_LISTENER_POP3S	1	/* peer.listener of pop3d_pop3s_listen */

enum pop3d_state {
	POP3D_AUTHORIZATION = 1,	/* session: the mailbox was in use */
	POP3D_TRANSACTION = 2,
	POP3D_UPDATE = 4
};

struct pop3d_session {
	struct conn *conn;
	char rip[64];		/* client address for logs */
	char lip[64];		/* our address for logs */
	time_t started;
	enum pop3d_state state;
	char *login;		/* the authenticated user */
	struct pop3d_mailbox *mbox;
	int bad_commands;
	int closing;		/* close after the current reply */
	long top_count;
	long long top_bytes;
	long retr_count;
	long long retr_bytes;
	size_t del_count;
	size_t msg_count;	/* the login snapshot, for the log */
	long long msg_size;
};

struct handoff;
struct login_proto;
struct tls_server;

extern const struct login_proto pop3d_login_proto;

__attribute__((noreturn))
void pop3d_session_main(int fd_in, int fd_out, const struct handoff *h,
    const char *user, const char *maildir);
void pop3d_reply(struct pop3d_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pop3d_bad(struct pop3d_session *s, const char *text);

void pop3d_cmd_dispatch(struct pop3d_session *s, const char *line, size_t len);

void pop3d_tls_init(void);
void pop3d_tls_reload(void);
struct tls_server *pop3d_tls(void);

void pop3d_cmd_stat(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_list(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_uidl(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_retr(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_top(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_dele(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_rset(struct pop3d_session *s, const char *p, size_t len);

#endif
