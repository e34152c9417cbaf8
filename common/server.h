/*
 * server.h - the one daemon skeleton every Petrel daemon plugs into.
 *
 * server_main() never returns.  It parses the common flags:
 *   -f file    configuration file (else $PETREL_CONF, else /etc/petrel/petrel.conf)
 *   -o n=v     override a parameter (repeatable)
 *   -d         foreground: log to stderr as well, do not detach
 *   -n         print the effective configuration (non-default only) and exit
 *   -S         serve exactly one session on stdin/stdout, no listening, no
 *              privilege change (for Expect tests and inetd);
 *              server_single_session() tells library code (auth_client.c)
 * Then (as root): spool_setup(), spec->pre_drop(), bind every address in the
 * parameter spec->listen_param ("host:port", "[v6]:port", or "unix:/path"; a
 * unix socket gets mode spec->unix_mode and its group from the parameter
 * spec->unix_group_param), writes "<queue_directory>/pid/<name>.pid", and
 * forks workers.  Each parameter named in spec->extra_listen_params (if any)
 * is bound the same way, and peer->listener tells the session which
 * parameter's socket accepted the client (0 = listen_param).  A worker drops to the user named by spec->user_param
 * (setgroups via initgroups, setgid, setuid, then proves setuid(0) fails;
 * spec->user_param NULL keeps root - only local delivery does that), runs
 * spec->post_drop(), then accepts and calls spec->session() for each client,
 * exiting after var_server_max_use sessions.  The parent keeps at least
 * var_server_min_idle idle workers and at most the process limit named by
 * spec->process_limit_param, replaces workers that exit, and on SIGTERM/SIGINT
 * stops accepting, signals its workers and exits; SIGHUP re-reads the
 * configuration file, runs spec->reload() (if set; as root, in the parent,
 * e.g. to load a renewed TLS certificate) and recycles workers.  The parent never reads network
 * input.
 *
 * A daemon may also name helper processes (spec->helper, as many as
 * spec->helper_count_param says; smtpd's password checkers were the first,
 * before petrel-auth replaced them) and, in
 * pre_drop, the descriptor they serve (server_helper_fd).  The parent
 * starts them before the workers, as root with nothing else open, starts
 * them again when they die (throttled when they die fast) and on reload,
 * and stops them with the pool; workers never hold that descriptor (see
 * server_helper.c).
 *
 * Single-process daemons (the queue manager) set spec->loop instead of
 * spec->session: after the privilege drop the one process runs loop(),
 * which should return when server_stopping() becomes true.
 *
 * Event-driven workers (imapd's login stage, which holds many clients per
 * process) set spec->event_worker instead of spec->session: after the
 * privilege drop each pool worker runs event_worker(listeners, count,
 * life_fd) and accepts from the listening sockets itself (non-blocking;
 * every worker shares them, as the accept loop does).  It calls
 * server_worker_full(1) when it takes no more clients (the parent then
 * counts it busy and forks another while within the process limit) and
 * server_worker_full(0) when it has room again, and server_worker_served()
 * after each accept (so that its death is not taken for a broken
 * environment and does not throttle the pool); it returns when
 * server_stopping() is true or life_fd reads EOF (the parent is gone),
 * after closing or finishing its clients as it sees fit.
 *
 * Stress: when every worker is busy and the pool is at its process limit,
 * the parent raises a flag on the shared board (server_under_stress()),
 * tells the busy workers (SIGUSR2, which only interrupts a wait), and
 * until a worker is free again: connections (conn.h) wait at most
 * stress_timeout for a whole line, so idle and byte-at-a-time clients
 * release their workers quickly, and once the pool has been full for a
 * second the parent accepts new clients itself, sends them
 * spec->busy_reply ("421 4.3.2 ... try again later") and closes, so that
 * nobody hangs unanswered in the listen queue (a pool full for a moment
 * only makes them wait that long).  One
 * warning is logged when stress begins and one when it ends, with the
 * number of clients turned away.
 *
 * When the process does not run as root, privilege changes are skipped with
 * one warning (development use).
 */
#ifndef PETREL_SERVER_H
#define PETREL_SERVER_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct server_peer {
	char addr[64];		/* numeric client address, "" for unix/stdin */
	int port;
	char local_addr[64];
	int local_port;
	int is_unix;
	int listener;		/* 0: spec->listen_param; n: the n-th name of
				 * spec->extra_listen_params */
};

struct server_listen_fd {
	int fd;			/* a listening socket, shared by the pool */
	int role;		/* as server_peer.listener */
};

struct server_spec {
	const char *name;			/* "smtpd": log ident petrel/smtpd */
	const char *listen_param;		/* e.g. "smtpd_listen" */
	const char *user_param;			/* e.g. "smtpd_user"; NULL = root */
	const char *process_limit_param;	/* e.g. "smtpd_process_limit" */
	int unix_mode;				/* unix socket mode, e.g. 0660 */
	const char *unix_group_param;		/* e.g. "spool_group"; NULL = root */
	void (*pre_drop)(void);
	void (*post_drop)(void);
	void (*reload)(void);	/* parent, after a SIGHUP re-read; may be NULL */
	void (*session)(int fd_in, int fd_out, const struct server_peer *peer);
	void (*loop)(void);
	/* More listen parameters (NULL-terminated, may be NULL); an empty
	 * value opens nothing.  The session learns through peer->listener
	 * which one accepted (e.g. smtpd: submission, smtps). */
	const char *const *extra_listen_params;
	/* The helper's life (child of the parent, as root; should not
	 * return), given the descriptor named by server_helper_fd(); NULL:
	 * no helper. */
	void (*helper)(int fd);
	const char *helper_name;	/* for the log; NULL: "helper" */
	const char *helper_count_param;	/* how many; NULL: one */
	int helper_reloads_itself;	/* reload: SIGHUP it, do not restart */
	/* Overload: the line (CRLF included) the parent sends to a client
	 * it turns away while every worker is busy at the process limit
	 * (see "Stress" above), on the listeners whose role bit is set in
	 * busy_roles (others, e.g. implicit TLS ones, are closed without a
	 * word); NULL: no stress handling, clients wait in the listen
	 * queue. */
	const char *(*busy_reply)(void);
	unsigned busy_roles;
	/* The seccomp profile of a worker after its privilege drop
	 * (sandbox.h: SANDBOX_NET, SANDBOX_MAIL); 0: none.  Every daemon
	 * runs with PR_SET_NO_NEW_PRIVS regardless. */
	int sandbox;
	/* An event-driven worker's life (see above); NULL: session(). */
	void (*event_worker)(const struct server_listen_fd *fds, size_t count,
	    int life_fd);
};

__attribute__((noreturn))
void server_main(int argc, char **argv, const struct server_spec *spec);
int server_stopping(void);
int server_null_stdio(void);	/* stdio on /dev/null; 0 or -1 */
int server_foreground(void);
int server_single_session(void);	/* 1 with -S */
const char *server_config_path(void);	/* the file in use (reloads) */
void server_helper_fd(int fd);	/* the helper's end, kept by the parent */
void server_worker_full(int full);	/* event workers: no room / room */
void server_worker_served(void);	/* event workers: took a client */
void server_peer_of(int fd, struct server_peer *peer_r); /* accepted fd */
int server_under_stress(void);	/* workers: the pool is overloaded */

/* The start-up steps petrel-master shares with server_main(); each is
 * fatal on failure.  The pid file is "<queue_directory>/pid/<name>.pid". */
void server_load_config(const char *path);	/* NULL: the default */
void server_pidfile_lock(const char *name);	/* "already running" */
void server_pidfile_write(void);		/* after daemonizing */
void server_pidfile_remove(void);	/* unlink it, lock still held */
void server_daemonize(void);	/* fork, setsid, cwd /, stdio /dev/null */
time_t server_now(void);	/* monotonic seconds */
long server_backoff(int *failures);	/* 1, 2, 4 ... 60 s, counted */

#endif
