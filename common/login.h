/*
 * login.h - the pre-login stage shared by petrel-imapd and petrel-pop3d:
 * one event-driven process holds many client connections from the
 * greeting to a successful login, and a root spawner turns a login into
 * a session process running as the mailbox owner.
 *
 * The stage (login_loop.c, login_io.c, login_proc.c, login_auth.c,
 * login_proxy.c) runs as the daemon's login user (imapd_login_user,
 * pop3d_login_user) in every worker of the pool (spec->event_worker).  It
 * accepts from the daemon's listeners, runs the TLS handshake (at once on
 * the implicit-TLS listener, or after the protocol's STARTTLS/STLS), lets
 * the protocol greet and parse its pre-login commands, and asks the
 * password service (common/auth_client.h) about credentials.  It can open
 * no mailbox and no password map.  After a successful check it hands the
 * connection to the spawner (login_spawn.c, root) with the login cookie
 * the password service issued: a plaintext client's socket itself, or for
 * a TLS client one end of a socketpair, the stage then relaying bytes
 * between the TLS session and that socketpair for the rest of the
 * connection (as Dovecot's login processes do).  A failed login is
 * answered after the protocol's failure delay; after its failure limit the
 * connection closes and one line in the form fail2ban's dovecot filter
 * reads is logged ("<name>-login: Disconnected (auth failed, ...").
 * Before the greeting, each client is counted against the protocol's
 * per-address connection count and rate limits (login_climit.c, on a
 * table the daemon's parent shares with every login process, the
 * spawner and, through the spawner, the sessions); a client over them
 * gets the protocol's too_many reply and the close.
 *
 * A protocol plugs in through struct login_proto (below): its name (the
 * password service and the log's "<name>-login:"), its parameters, and
 * callbacks for its state, greeting, command parser, replies and the
 * session's entry point.  The spawner uses the same structure.
 *
 * Public:
 *   login_event_worker(p, fds, n, life_fd)  a pool worker's life.
 *   login_one_session(p, fd_in, fd_out)     -S: the stage on stdio, the
 *                                  session run in this process.
 *   login_spawner_main(p, fd)      the spawner's life (login_spawn.c).
 *   login_handoff_setup()          pre_drop: the handoff socket pair.
 *   login_climit_setup(p, procs)   pre_drop: the per-client limit table
 *                                  (login_climit.c; the rest of its
 *                                  functions serve the loop, the
 *                                  spawner and the session).
 *   login_local_owner(user, &maildir, &errstr)  -S: find the maildir and
 *                                  become its owner when root; 1, 0 no
 *                                  mailbox, -1 error.
 *   For the protocol's callbacks: login_reply, login_auth_start,
 *   login_auth_failed, login_plaintext_ok, login_now, login_close.
 * Security: every byte from the client is untrusted; every buffer has a
 * bound (the protocol's line limit for input, LOGIN_OUT_MAX for output);
 * a client that passes one is told so and closed.
 */
#ifndef PETREL_LOGIN_H
#define PETREL_LOGIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "handoff.h"
#include "server.h"

#define LOGIN_OUT_MAX		65536	/* unsent output before we give up */
#define LOGIN_PROXY_BUF		65536	/* relayed bytes held per direction */
#define LOGIN_AUTH_PLAIN_MAX	2048	/* a decoded SASL PLAIN message */

struct buf;
struct tls_session;
struct tls_server;
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
	LS_SASL,		/* a SASL challenge sent, waiting for a line */
	LS_AUTH,		/* waiting for the password service */
	LS_DELAY,		/* a failed login, answered at wake_at */
	LS_PROXY,		/* logged in over TLS: relaying bytes */
	LS_CLOSING		/* flush the output, then close */
};

/* What the stage asks the protocol to say (login_proto.answer). */
enum login_answer {
	LOGIN_ANS_FAILED,	/* a wrong password, after the delay */
	LOGIN_ANS_TOO_MANY,	/* after FAILED: the last failure allowed */
	LOGIN_ANS_TEMP,		/* the password service cannot answer */
	LOGIN_ANS_INTERNAL,	/* the handoff to the spawner failed */
	LOGIN_ANS_PIPELINED,	/* too much input after the login */
	LOGIN_ANS_IDLE,		/* the login timeout passed */
	LOGIN_ANS_SHUTDOWN	/* the server stops */
};

/* Why the spawner cannot serve a login (login_proto.refusal). */
enum login_refusal {
	LOGIN_REFUSE_INTERNAL,	/* the cookie was not accepted, fork failed */
	LOGIN_REFUSE_NO_MAILBOX,
	LOGIN_REFUSE_LIMIT,	/* max sessions of this user from this address */
	LOGIN_REFUSE_BUSY	/* the session limit */
};

struct login_proto {
	const char *name;		/* "imap", "pop3" */
	int tls_listener;		/* peer.listener with implicit TLS */
	struct tls_server *(*tls)(void);
	const long *login_timeout;	/* idle bound before a login */
	const long *client_limit;	/* clients per login process */
	const long *line_limit;		/* input held: this + 1024 bytes */
	const long *failure_delay;	/* seconds before a failure answer */
	const long *failure_limit;	/* failures before the close */
	const long *max_userip;		/* sessions of user+address */
	const long *session_limit;	/* sessions in all */
	const long *conn_count_limit;	/* connections of one address */
	const long *conn_rate_limit;	/* its new connections a minute */
	char *const *limit_exceptions;	/* addresses exempt from both */
	const char *too_many;		/* the reply past them (no CRLF) */
	char *const *default_domain;	/* added to a bare login name */
	/* The protocol's per-client state (c->ps): made, reset after
	 * STARTTLS, freed. */
	void (*init)(struct login_client *c);
	void (*reset)(struct login_client *c);
	void (*free_state)(struct login_client *c);
	/* The greeting (after the handshake on the implicit-TLS port). */
	void (*greet)(struct login_client *c);
	/* Run every complete command in c->in (state LS_COMMAND/LS_SASL). */
	void (*commands)(struct login_client *c);
	/* 0 when c->in cannot be handed over (a command half read). */
	int (*handoff_ok)(const struct login_client *c);
	void (*answer)(struct login_client *c, enum login_answer a);
	/* The spawner's line (CRLF included) refusing a login; its length,
	 * or -1. */
	int (*refusal)(char *line, size_t size, const struct handoff *h,
	    enum login_refusal r);
	/* The session's life after login, as the owner; never returns. */
	__attribute__((noreturn)) void (*session)(int fd_in, int fd_out,
	    const struct handoff *h, const char *user, const char *maildir);
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
	void *ps;			/* the protocol's state */
	struct auth_client *auth;	/* LS_AUTH: the pending check */
	int logged_in;
	int greeted;			/* implicit TLS: greeting sent */
	time_t deadline;		/* idle or handshake bound */
	time_t wake_at;			/* LS_DELAY; LS_AUTH held back */
	unsigned auth_penalty;		/* the service's delay for a NO */
	int auth_held;			/* LS_AUTH: WAIT, ask again at wake_at */
	time_t started;
	int commands;
	int auth_failures;
	char tag[65];			/* IMAP: of the login command pending */
	char user[256];			/* the login name being checked */
	char last_user[128];		/* sanitised, for the log */
	const char *method;		/* "LOGIN", "PLAIN", ... */
	int closing_after_delay;
	int session_local;		/* -S: run the session in-process */
	int closed;			/* freed after the event batch */
	int busy;			/* inside login_process */
	struct login_client *dead_next;
	int client_eof;			/* LS_PROXY: each side's end */
	int session_eof;
	long climit_slot;		/* login_climit.c: -1 none */
	uint64_t climit_conn;
	int climit_refused;		/* over a limit: say so, close */
};

/* The protocol being served (set by the entry points). */
extern const struct login_proto *login_proto;
/* The login processes' end of the spawner's socket (-1 in -S mode). */
extern int login_handoff_fd;

/* login_loop.c */
void login_event_worker(const struct login_proto *p,
    const struct server_listen_fd *fds, size_t n, int life_fd);
void login_one_session(const struct login_proto *p, int fd_in, int fd_out);
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

/* login_proc.c: what an event on the client socket runs */
void login_greet(struct login_client *c);
void login_process(struct login_client *c);
int login_plaintext_ok(const struct login_client *c);
int login_starttls_ok(const struct login_client *c);
void login_consume(struct login_client *c, size_t n);

/* login_auth.c: the password check and what follows it */
void login_auth_start(struct login_client *c, const char *user,
    size_t user_len, const char *pw, size_t pw_len, const char *method);
void login_auth_failed(struct login_client *c);
void login_auth_event(struct login_client *c);
void login_auth_tick(struct login_client *c, time_t now);
void login_auth_report(const struct login_client *c);

/* login_proxy.c: relaying a TLS client to its session */
int login_proxy_start(struct login_client *c, int session_end);
void login_proxy_event(struct login_client *c);

/* login_climit.c: per-client connection limits (climit.h) */
void login_climit_setup(const struct login_proto *p, long process_limit);
void login_climit_admit(struct login_client *c);
void login_climit_leave(struct login_client *c);
void login_climit_spawner(void);
long login_climit_session(int fd, pid_t pid);
void login_climit_refused(int fd);
void login_climit_ended(long slot, pid_t pid);
void login_climit_child(void);

/* login_spawn.c */
__attribute__((noreturn))
void login_spawner_main(const struct login_proto *p, int fd);
void login_handoff_setup(void);
int login_local_owner(const char *user, char **maildir_r,
    const char **errstr_r) WARN_UNUSED;

#endif
