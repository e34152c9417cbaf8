/*
 * server_int.h - private interfaces between the parts of the daemon
 * skeleton (server.c: flags, pid file, daemonizing; server_listen.c:
 * sockets; server_pool.c: the pre-fork pool and its workers).  Nothing
 * outside common/server*.c includes this file.
 *
 * Public (to the skeleton only):
 *   server_listen_open(list, spec, &ls, &errstr)  bind every address of a
 *                        listen list; 0 or -1 (nothing stays open then).
 *   server_listen_close(&ls, unlink_paths)        close and free.
 *   server_listen_open_spec(spec, &ls, &errstr)   every listen parameter
 *                        of the spec (listen_param, extra_listen_params),
 *                        each socket tagged with its role; 0 or -1.
 *   server_pool_run(spec, ls, pidfile)            the parent's loop; returns
 *                        the exit status once stopped (pid file removed).
 *   server_worker_main(spec, ls, board, slot, status_fd, life_fd)  a worker's life
 *                        (privilege drop, accept loop); never returns.
 *   server_pidfile_remove()                       unlink our pid file.
 *   server_now()                                  monotonic seconds.
 *   server_backoff(&failures)                     the next restart delay
 *                        after a fast death (1, 2, 4 ... 60 s), counted.
 *   server_helper_start/reaped/retire/stop/alive/pending,
 *   server_helper_close_in_worker               the helper process
 *                        (server_helper.c).
 * Security: runs as root in the parent; listen lists come from the
 * configuration file (trusted), never from the network.
 */
#ifndef PETREL_SERVER_INT_H
#define PETREL_SERVER_INT_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include "server.h"

#define SERVER_LISTEN_MAX 32
#define SERVER_BACKLOG 256

struct server_listeners {
	int fds[SERVER_LISTEN_MAX];
	char *paths[SERVER_LISTEN_MAX];	/* unix socket path or NULL */
	int roles[SERVER_LISTEN_MAX];	/* server_peer.listener of each */
	size_t count;
};

int server_listen_open(const char *list, const struct server_spec *spec,
    struct server_listeners *ls, const char **errstr_r) WARN_UNUSED;
void server_listen_close(struct server_listeners *ls, int unlink_paths);
int server_listen_open_spec(const struct server_spec *spec,
    struct server_listeners *ls, const char **errstr_r) WARN_UNUSED;

int server_pool_run(const struct server_spec *spec,
    struct server_listeners *ls);

/*
 * The pool's shared board (one MAP_SHARED page set, made by the parent
 * before forking): a slot per worker holding its busy flag, plus the count
 * of idle workers.  Workers update their own slot and the count with
 * atomic operations and write a wake-up byte on the status pipe only when
 * the idle count drops below the minimum, so a session costs the parent
 * nothing in the common case.  The parent corrects the count for workers
 * that die while idle.
 */
#define SERVER_SLOTS_MAX 10001

struct server_slot {
	pid_t pid;		/* 0: free */
	int busy;
	int served;		/* took at least one client */
};

struct server_board {
	int idle;		/* workers not in a session */
	int min_idle;		/* below this, wake the parent */
	int stress;		/* every worker busy at the process limit */
	struct server_slot slots[SERVER_SLOTS_MAX];
};

__attribute__((noreturn))
void server_worker_main(const struct server_spec *spec,
    struct server_listeners *ls, struct server_board *board,
    struct server_slot *slot, int status_fd, int life_fd);

void server_pidfile_remove(void);
#define SERVER_FAST_DEATH 10	/* seconds: a process dying sooner is "fast" */
#define SERVER_THROTTLE_MAX 60	/* seconds between restarts at worst */
time_t server_now(void);
long server_backoff(int *failures);
#define SERVER_HELPER_MAX 64
void server_helper_start(const struct server_spec *spec);
int server_helper_reaped(const struct server_spec *spec, pid_t pid,
    int status);
void server_helper_retire(const struct server_spec *spec);
void server_helper_stop(int kill_it);
int server_helper_alive(void);
int server_helper_pending(const struct server_spec *spec);
void server_helper_close_in_worker(void);
int server_pidfile_fd(void);
int server_is_root(void);
long server_param_long(const char *name, long defval);

extern volatile sig_atomic_t server_stop_flag;

#endif
