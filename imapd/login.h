/*
 * login.h - the pre-login stage of petrel-imapd: one event-driven process
 * holds many client connections from the greeting to a successful login.
 *
 * The stage (login_loop.c, login_io.c, login_cmd.c, login_auth.c,
 * login_proxy.c) runs as imapd_login_user in every worker of the pool
 * (spec->event_worker).  It accepts from the IMAP listeners, greets, runs
 * the TLS handshake (port 993 at once, port 143 after STARTTLS), answers
 * CAPABILITY, NOOP, LOGOUT, ID, STARTTLS, LOGIN and AUTHENTICATE PLAIN,
 * and asks the password service (common/auth_client.h) about credentials.
 * It can open no mailbox and no password map.  After a successful check
 * it hands the connection to the spawner (spawn.c, root) with the login
 * cookie the password service issued: a plaintext client's socket itself,
 * or for a TLS client one end of a socketpair, the stage then relaying
 * bytes between the TLS session and that socketpair for the rest of the
 * connection (as Dovecot's login processes do).  A failed login is
 * answered after imapd_auth_failure_delay; after imapd_auth_failure_limit
 * failures the connection closes and one line in the form fail2ban's
 * dovecot filter reads is logged.
 *
 * Public (inside imapd/ only):
 *   login_event_worker(fds, n, life_fd)  the worker's life (main.c's spec).
 *   login_one_session(fd_in, fd_out)      -S: the same stage on stdio, the
 *                                         session run in this process.
 * The client structure and the internal calls between the files follow.
 * Security: every byte from the client is untrusted; every buffer has a
 * bound (imapd_line_length_limit for a command, LOGIN_OUT_MAX for
 * output); a client that passes one is told so and closed.
 */
#ifndef PETREL_IMAPD_LOGIN_H
#define PETREL_IMAPD_LOGIN_H

#include <stddef.h>
#include <time.h>
#include "server.h"

#define LOGIN_CMD_MAX		8192	/* one pre-login command, literals too */
#define LOGIN_OUT_MAX		65536	/* unsent output before we give up */
#define LOGIN_PROXY_BUF		65536	/* relayed bytes held per direction */
#define LOGIN_PIPELINE_MAX	16384	/* input after LOGIN passed along */
#define LOGIN_COMMANDS_MAX	50	/* commands before a login */
#define AUTH_PLAIN_MAX		2048	/* a decoded SASL PLAIN message */

struct buf;
struct tls_session;
struct imap_asm;
struct imap_pool;
struct auth_client;
struct login_client;

/* What an epoll event points at. */
enum login_ev_kind { LEV_LISTENER, LEV_LIFE, LEV_CLIENT, LEV_AUTH, LEV_PROXY };

struct login_ev {
	enum login_ev_kind kind;
	struct login_client *c;		/* NULL for listeners and life */
	int fd;
	int role;			/* listeners: server_peer.listener */
	unsigned int mask;		/* events registered now */
};

enum login_state {
	LS_HANDSHAKE,		/* TLS handshake before anything else */
	LS_COMMAND,		/* reading commands */
	LS_SASL,		/* AUTHENTICATE sent "+ ", waiting for a line */
	LS_AUTH,		/* waiting for the password service */
	LS_DELAY,		/* a failed login, answered at wake_at */
	LS_PROXY,		/* logged in over TLS: relaying bytes */
	LS_CLOSING		/* flush the output, then close */
};

struct login_client {
	struct login_client *prev, *next;
	struct login_ev ev;		/* the client socket (input) */
	int out_fd;			/* output: ev.fd, or stdout in -S */
	struct login_ev auth_ev;	/* a pending password check */
	struct login_ev proxy_ev;	/* the session's end, LS_PROXY */
	struct server_peer peer;
	enum login_state state;
	struct tls_session *tls;	/* NULL: plaintext */
	int tls_up;
	int starttls_pending;		/* handshake after the reply is sent */
	struct buf *in;			/* cleartext from the client */
	struct buf *out;		/* cleartext to the client */
	struct buf *down;		/* LS_PROXY: session -> client */
	struct imap_asm *asm;		/* the command being assembled */
	struct imap_pool *pool;		/* its parsed arguments */
	struct auth_client *auth;	/* LS_AUTH: the pending check */
	unsigned long long lit_left;	/* literal octets still to take */
	int logged_in;
	int greeted;			/* port 993: greeting sent after TLS */
	time_t deadline;		/* idle or handshake bound */
	time_t wake_at;			/* LS_DELAY */
	time_t started;
	int commands;
	int auth_failures;
	char tag[65];			/* of the LOGIN/AUTHENTICATE pending */
	char user[256];			/* the login name being checked */
	char last_user[128];		/* sanitised, for the log */
	const char *method;		/* "LOGIN" or "PLAIN" */
	char fail_text[128];		/* the reply when LS_DELAY ends */
	int closing_after_delay;
	int session_local;		/* -S: run the session in-process */
	int closed;			/* freed after the event batch */
	struct login_client *dead_next;
	int client_eof;			/* LS_PROXY: each side's end */
	int session_eof;
};

/* login_loop.c */
void login_event_worker(const struct server_listen_fd *fds, size_t n,
    int life_fd);
void login_one_session(int fd_in, int fd_out);
void login_watch(struct login_ev *ev, unsigned int mask);
void login_unwatch(struct login_ev *ev);
void login_close(struct login_client *c);
time_t login_now(void);

/* login_io.c: bytes in and out of one client, TLS or not */
int login_io_read(struct login_client *c);
int login_io_flush(struct login_client *c);
int login_io_handshake(struct login_client *c);
void login_reply(struct login_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int login_io_start_tls(struct login_client *c);
void login_io_update(struct login_client *c);

/* login_cmd.c: the pre-login commands */
void login_greet(struct login_client *c);
void login_process(struct login_client *c);
int login_plaintext_ok(const struct login_client *c);
const char *login_capability(const struct login_client *c);

/* login_auth.c: the password check and what follows it */
void login_auth_start(struct login_client *c, const char *user,
    size_t user_len, const char *pw, size_t pw_len, const char *method);
void login_auth_event(struct login_client *c);
void login_auth_tick(struct login_client *c, time_t now);
void login_auth_report(const struct login_client *c);

/* login_proxy.c: relaying a TLS client to its session */
int login_proxy_start(struct login_client *c, int session_end);
void login_proxy_event(struct login_client *c);

#endif
