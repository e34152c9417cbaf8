/*
 * pop3d.h - what the files of petrel-pop3d share: the session, its states
 * and the command handlers (RFC 1939 with the RFC 2449 extensions).
 *
 * Public (inside pop3d/ only):
 *   pop3d_session_run(fd_in, fd_out, peer)  serves one client (session.c).
 *   pop3d_session_init()         post_drop: opens the maps (session.c).
 *   pop3d_session_resolver(&err) the resolver, opened on first use.
 *   pop3d_reply(s, fmt, ...)     one reply line; CRLF is appended.
 *   pop3d_bad(s, text)           an error reply that counts against the
 *                                error budget; past it the session closes.
 *   pop3d_cmd_dispatch(s, line, len)  parse and run one command (cmd.c).
 *   pop3d_session_forget(s)      forget a USER name and a pending AUTH
 *                                (after STLS).
 *   pop3d_cmd_user/pass/auth     AUTHORIZATION state (auth.c);
 *   pop3d_auth_continue(s, line, len)  the client's answer to "+ ".
 *   pop3d_auth_report(s)         the fail2ban-style line at disconnect.
 *   pop3d_tls_init() (pre_drop), pop3d_tls_offered(s), pop3d_tls_wrap(s)
 *                                (pop3s), pop3d_cmd_stls, pop3d_plaintext_init,
 *                                pop3d_plaintext_ok(s) (tls.c).
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
#define POP3D_AUTH_LIMIT	3	/* failed logins before we close */
#define POP3D_PRELOGIN_LIMIT	30	/* commands before a login */
#define POP3D_LISTENER_POP3S	1	/* peer.listener of pop3d_pop3s_listen */

enum pop3d_state {
	POP3D_AUTHORIZATION = 1,
	POP3D_TRANSACTION = 2,
	POP3D_UPDATE = 4
};

struct pop3d_session {
	struct conn *conn;
	char rip[64];		/* client address for logs */
	char lip[64];		/* our address for logs */
	time_t started;
	int auth_pending;	/* AUTH PLAIN sent "+ ", awaiting the answer */
	char last_user[128];	/* sanitised name of the last failed login */
	const char *last_method;	/* "PLAIN" (AUTH) or "USER" */
	int prelogin_commands;
	int trusted_peer;	/* loopback or stdin: plaintext is fine */
	enum pop3d_state state;
	char *user;		/* USER argument, lower-cased */
	char *login;		/* the authenticated user */
	struct pop3d_mailbox *mbox;
	int bad_commands;
	int auth_failures;
	int closing;		/* close after the current reply */
	long top_count;
	long long top_bytes;
	long retr_count;
	long long retr_bytes;
	size_t del_count;
	size_t msg_count;	/* the login snapshot, for the log */
	long long msg_size;
};

struct resolver;

void pop3d_session_run(int fd_in, int fd_out, const struct server_peer *peer);
void pop3d_session_init(void);
struct resolver *pop3d_session_resolver(const char **errstr_r);
void pop3d_reply(struct pop3d_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pop3d_bad(struct pop3d_session *s, const char *text);

void pop3d_cmd_dispatch(struct pop3d_session *s, const char *line, size_t len);

void pop3d_cmd_user(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_pass(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_auth(struct pop3d_session *s, const char *p, size_t len);
void pop3d_auth_continue(struct pop3d_session *s, const char *line,
    size_t len);
void pop3d_auth_report(const struct pop3d_session *s);
void pop3d_session_forget(struct pop3d_session *s);

void pop3d_tls_init(void);
void pop3d_tls_reload(void);
int pop3d_tls_offered(const struct pop3d_session *s);
int pop3d_tls_wrap(struct pop3d_session *s);
void pop3d_cmd_stls(struct pop3d_session *s, const char *p, size_t len);
void pop3d_plaintext_init(void);
int pop3d_plaintext_ok(const struct pop3d_session *s);

void pop3d_cmd_stat(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_list(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_uidl(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_retr(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_top(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_dele(struct pop3d_session *s, const char *p, size_t len);
void pop3d_cmd_rset(struct pop3d_session *s, const char *p, size_t len);

#endif
