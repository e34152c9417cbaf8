/*
 * server_pool.c - the parent of a pre-fork pool: keeps enough idle workers,
 * reaps and replaces them, throttles respawning when they die fast, reloads
 * on SIGHUP and stops on SIGTERM/SIGINT.
 *
 * Public (skeleton only): server_pool_run(spec, ls) - returns the exit
 * status after a stop, with the pid file removed.
 * Workers keep their busy/idle state on a shared board (server_int.h) and
 * wake the parent through the status pipe only when idle workers run
 * short.  When every worker is busy at the process limit the pool is
 * under stress (server.h): the board says so, and the parent turns new
 * clients away with spec->busy_reply until a worker is free.  A "life pipe" whose
 * write end only the parent holds tells workers when the parent is gone.
 * Signals reach the loop through a self-pipe.  A single-process daemon
 * (spec->loop) is a pool of exactly one worker that runs loop(); it is
 * never started twice at once, not even during a reload.
 * Security: the parent stays root and never reads network input (a client
 * it turns away gets one fixed line written, never read); the only data
 * it reads are wake-up bytes and the workers' board slots.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "log.h"
#include "params.h"
#include "server_int.h"

#define POOL_STOP_WAIT 5	/* seconds before SIGKILL on stop */

struct pool_worker {
	pid_t pid;
	struct server_slot *slot;	/* on the shared board */
	int retiring;
	time_t started;
};

static struct server_board *pool_board;
static struct pool_worker *pool_w;
static size_t pool_n, pool_cap;
static int pool_sig[2] = { -1, -1 };
static int pool_status[2] = { -1, -1 };
static int pool_life[2] = { -1, -1 };
static volatile sig_atomic_t pool_got_hup;
static int pool_failures;
static time_t pool_throttle_until;
static int pool_stressed;		/* see "Stress" in server.h */
static long long pool_stress_since;	/* monotonic ms */
static unsigned long pool_turned_away;

#define POOL_TURN_AWAY_AFTER 1000	/* ms of stress before turning away */

/* Milliseconds on the monotonic clock. */
static long long
pool_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Signal handler of the parent: note it and wake the loop. */
static void
pool_on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGTERM || sig == SIGINT)
		server_stop_flag = 1;
	else if (sig == SIGHUP)
		pool_got_hup = 1;
	if (write(pool_sig[1], &c, 1) < 0)
		(void)0;	/* a full pipe already wakes the loop */
	errno = saved;
}

/* Create a pipe with both ends close-on-exec (and optionally nonblocking). */
static void
pool_pipe(int p[2], int nonblock)
{
	if (pipe2(p, O_CLOEXEC | (nonblock ? O_NONBLOCK : 0)) != 0)
		log_fatal("pipe: %m");
}

/* Install the parent's handlers. */
static void
pool_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = pool_on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
}

/* Block or unblock the signals the parent handles (around fork). */
static void
pool_block(int how, sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(how, how == SIG_SETMASK ? old : &set, old);
}

/* Counts: all processes, and idle ones that are not retiring. */
static size_t
pool_count(int idle_only)
{
	size_t n = 0;

	for (size_t i = 0; i < pool_n; i++)
		if (!idle_only || (!__atomic_load_n(&pool_w[i].slot->busy,
		    __ATOMIC_ACQUIRE) && !pool_w[i].retiring))
			n++;
	return n;
}

/* A free slot on the board for a new worker, or NULL when all are used. */
static struct server_slot *
pool_free_slot(void)
{
	for (size_t i = 0; i < SERVER_SLOTS_MAX; i++)
		if (pool_board->slots[i].pid == 0)
			return &pool_board->slots[i];
	return NULL;
}

/* Start one worker; the child never returns from here. */
static int
pool_fork(const struct server_spec *spec, struct server_listeners *ls)
{
	struct server_slot *slot = pool_free_slot();
	sigset_t old;
	pid_t pid;

	if (slot == NULL)
		return -1;
	slot->pid = -1;		/* taken */
	slot->busy = 0;
	slot->served = 0;
	__atomic_add_fetch(&pool_board->idle, 1, __ATOMIC_SEQ_CST);
	pool_block(SIG_BLOCK, &old);
	if ((pid = fork()) < 0) {
		pool_block(SIG_SETMASK, &old);
		__atomic_sub_fetch(&pool_board->idle, 1, __ATOMIC_SEQ_CST);
		slot->pid = 0;
		log_warn("fork: %m");
		return -1;
	}
	if (pid == 0) {
		close(pool_sig[0]);
		close(pool_sig[1]);
		close(pool_status[0]);
		close(pool_life[1]);
		server_helper_close_in_worker();
		server_worker_main(spec, ls, pool_board, slot, pool_status[1],
		    pool_life[0]);
	}
	slot->pid = pid;
	if (pool_n == pool_cap) {
		pool_cap = pool_cap ? pool_cap * 2 : 16;
		pool_w = xreallocarray(pool_w, pool_cap, sizeof(*pool_w));
	}
	pool_w[pool_n].pid = pid;
	pool_w[pool_n].slot = slot;
	pool_w[pool_n].retiring = 0;
	pool_w[pool_n].started = server_now();
	pool_n++;
	pool_block(SIG_SETMASK, &old);
	return 0;
}

/* Fork workers until enough are idle, within the limit and the throttle. */
static void
pool_fill(const struct server_spec *spec, struct server_listeners *ls)
{
	long limit = 1, want = 1;

	if (spec->loop == NULL) {
		limit = server_param_long(spec->process_limit_param, 100);
		want = var_server_min_idle > 1 ? var_server_min_idle : 1;
		pool_board->min_idle = (int)want;
		if (limit < 1)
			limit = 1;
	}
	while ((long)pool_count(1) < want && (long)pool_count(0) < limit &&
	    server_now() >= pool_throttle_until && !server_stop_flag)
		if (pool_fork(spec, ls) != 0)
			break;
}

/* Decide about throttling after a worker died. */
static void
pool_note_death(const struct server_spec *spec, const struct pool_worker *w,
    int status)
{
	int bad = spec->loop != NULL || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0;
	long delay;

	if (w->retiring || server_stop_flag)
		return;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
		log_warn("worker %ld killed by its seccomp filter: a system "
		    "call outside its profile (sandbox.h; the kernel's audit "
		    "log names it)", (long)w->pid);
	else if (WIFSIGNALED(status))
		log_warn("worker %ld killed by signal %d", (long)w->pid,
		    WTERMSIG(status));
	else if (bad)
		log_warn("worker %ld exited with status %d", (long)w->pid,
		    WEXITSTATUS(status));
	/* Only a worker that died before serving anyone points at a broken
	 * environment; clients or admins killing busy workers do not. */
	if (!bad || w->slot->served ||
	    server_now() - w->started >= SERVER_FAST_DEATH) {
		pool_failures = 0;
		return;
	}
	delay = server_backoff(&pool_failures);
	pool_throttle_until = server_now() + delay;
	log_warn("workers die fast; throttling respawn for %ld s", delay);
}

/* Give a dead worker's slot back; it no longer counts as idle. */
static void
pool_free_worker(struct pool_worker *w)
{
	if (!__atomic_load_n(&w->slot->busy, __ATOMIC_ACQUIRE))
		__atomic_sub_fetch(&pool_board->idle, 1, __ATOMIC_SEQ_CST);
	w->slot->busy = 0;
	w->slot->pid = 0;
}

/* Collect exited workers and forget them. */
static void
pool_reap(const struct server_spec *spec)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (server_helper_reaped(spec, pid, status))
			continue;
		for (size_t i = 0; i < pool_n; i++) {
			if (pool_w[i].pid != pid)
				continue;
			pool_note_death(spec, &pool_w[i], status);
			pool_free_worker(&pool_w[i]);
			pool_w[i] = pool_w[--pool_n];
			break;
		}
	}
}

/* Drain the workers' wake-up bytes (the board holds the real state). */
static void
pool_read_status(void)
{
	char junk[256];

	while (read(pool_status[0], junk, sizeof(junk)) > 0)
		continue;
}

/* Ask every current worker to finish (idle ones exit at once). */
static void
pool_retire_all(void)
{
	for (size_t i = 0; i < pool_n; i++) {
		if (!pool_w[i].retiring)
			(void)kill(pool_w[i].pid, SIGTERM);
		pool_w[i].retiring = 1;
	}
}

/* SIGHUP: re-read the configuration, then recycle the workers. */
static void
pool_reload(const struct server_spec *spec)
{
	const char *err = NULL, *lp;
	char *old_listen = NULL;

	pool_got_hup = 0;
	lp = spec->listen_param ? config_get(spec->listen_param) : NULL;
	old_listen = xstrdup(lp != NULL ? lp : "");
	if (config_load(server_config_path(), &err) != 0) {
		log_warn("reload: %s; keeping the old configuration",
		    err != NULL ? err : "error");
		free(old_listen);
		return;
	}
	lp = spec->listen_param ? config_get(spec->listen_param) : NULL;
	if (strcmp(old_listen, lp != NULL ? lp : "") != 0)
		log_warn("reload: %s changed; restart to rebind",
		    spec->listen_param);
	free(old_listen);
	if (spec->reload != NULL)
		spec->reload();
	server_helper_retire(spec);
	log_info("reloaded the configuration; recycling %zu workers",
	    pool_n);
	pool_retire_all();
	pool_failures = 0;
	pool_throttle_until = 0;
}

/* Is every worker of a session pool busy at the process limit? */
static int
pool_overloaded(const struct server_spec *spec)
{
	long limit;

	if (spec->busy_reply == NULL || spec->loop != NULL || server_stop_flag)
		return 0;
	limit = server_param_long(spec->process_limit_param, 100);
	return (long)pool_count(0) >= limit && pool_count(1) == 0 &&
	    __atomic_load_n(&pool_board->idle, __ATOMIC_ACQUIRE) <= 0;
}

/* Enter or leave stress: the board's flag, the workers told (a signal
 * that only interrupts their waits), one log line each way. */
static void
pool_stress_update(const struct server_spec *spec)
{
	int now = pool_overloaded(spec);

	if (now == pool_stressed)
		return;
	pool_stressed = now;
	pool_stress_since = pool_now_ms();
	__atomic_store_n(&pool_board->stress, now, __ATOMIC_RELEASE);
	if (!now) {
		log_info("overload over: %lu clients turned away meanwhile",
		    pool_turned_away);
		pool_turned_away = 0;
		return;
	}
	log_warn("all %zu processes busy (%s): client timeouts cut to %ld s, "
	    "new clients turned away until one is free", pool_n,
	    spec->process_limit_param, var_stress_timeout);
	for (size_t i = 0; i < pool_n; i++)
		(void)kill(pool_w[i].pid, SIGUSR2);
}

/* Stress: answer the clients waiting on listener i with the busy reply
 * (or nothing, on listeners outside busy_roles) and close, while no
 * worker is free to take them. */
static void
pool_turn_away(const struct server_spec *spec, struct server_listeners *ls,
    size_t i)
{
	const char *reply = spec->busy_reply();
	int role = ls->roles[i];

	for (int n = 0; n < 64; n++) {
		int fd;

		if (__atomic_load_n(&pool_board->idle, __ATOMIC_ACQUIRE) > 0)
			return;		/* a worker takes the rest */
		fd = accept4(ls->fds[i], NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (role >= 0 && role < 32 && (spec->busy_roles &
		    (1u << role)) != 0)
			(void)send(fd, reply, strlen(reply), MSG_DONTWAIT |
			    MSG_NOSIGNAL);
		close(fd);
		pool_turned_away++;
	}
}

/* Wait for signals and status records for at most timeout_ms; under
 * stress, for new clients on the listeners too. */
static void
pool_wait(const struct server_spec *spec, struct server_listeners *ls,
    int timeout_ms)
{
	struct pollfd pfd[2 + SERVER_LISTEN_MAX];
	size_t n = 2;
	char junk[64];
	int turn_away;

	pfd[0].fd = pool_sig[0];
	pfd[0].events = POLLIN;
	pfd[1].fd = pool_status[0];
	pfd[1].events = POLLIN;
	/* A pool full for a moment (a worker finishing its session) makes
	 * new clients wait a little in the listen queue; only a pool still
	 * full after POOL_TURN_AWAY_AFTER turns them away. */
	turn_away = pool_stressed && ls != NULL &&
	    pool_now_ms() - pool_stress_since >= POOL_TURN_AWAY_AFTER;

	/* turn_away implies ls != NULL */
	// cppcheck-suppress nullPointer
	for (size_t i = 0; turn_away && i < ls->count; i++) {
		// cppcheck-suppress nullPointer
		pfd[n].fd = ls->fds[i];
		pfd[n].events = POLLIN;
		pfd[n++].revents = 0;
	}
	if (poll(pfd, n, timeout_ms) < 0 && errno != EINTR)
		log_fatal("poll: %m");
	while (read(pool_sig[0], junk, sizeof(junk)) > 0)
		continue;
	pool_read_status();
	for (size_t i = 2; i < n; i++)
		if (pfd[i].revents & POLLIN)
			pool_turn_away(spec, ls, i - 2);
}

/* Stop: TERM the workers, wait a while, KILL the rest. */
static void
pool_shutdown(const struct server_spec *spec, struct server_listeners *ls)
{
	time_t deadline = server_now() + POOL_STOP_WAIT;

	pid_t pid;
	int status;

	server_listen_close(ls, 1);
	pool_retire_all();
	server_helper_stop(0);
	for (pool_reap(spec); (pool_n > 0 || server_helper_alive()) &&
	    server_now() < deadline; pool_reap(spec))
		pool_wait(spec, NULL, 200);
	for (size_t i = 0; i < pool_n; i++) {
		log_warn("worker %ld did not stop; killing it",
		    (long)pool_w[i].pid);
		(void)kill(pool_w[i].pid, SIGKILL);
	}
	server_helper_stop(1);
	while ((pool_n > 0 || server_helper_alive()) &&
	    (pid = waitpid(-1, &status, 0)) > 0)
		if (!server_helper_reaped(spec, pid, status))
			pool_n--;
}

/* The parent's life: fill, wait, reap, until told to stop. */
int
server_pool_run(const struct server_spec *spec, struct server_listeners *ls)
{
	pool_board = mmap(NULL, sizeof(*pool_board), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pool_board == MAP_FAILED)
		log_fatal("mmap: %m");
	pool_pipe(pool_sig, 1);
	pool_pipe(pool_status, 0);
	pool_pipe(pool_life, 0);
	if (fcntl(pool_status[0], F_SETFL, O_NONBLOCK) != 0)
		log_fatal("fcntl: %m");
	pool_signals();
	if (spec->loop != NULL)
		log_info("started");
	else
		log_info("started (%zu listening sockets)", ls->count);
	while (!server_stop_flag) {
		if (pool_got_hup)
			pool_reload(spec);
		pool_reap(spec);
		server_helper_start(spec);
		pool_fill(spec, ls);
		pool_stress_update(spec);
		pool_wait(spec, ls, pool_stressed ? 200 :
		    pool_throttle_until > server_now() ||
		    server_helper_pending(spec) ? 1000 : 5000);
	}
	log_info("stopping");
	__atomic_store_n(&pool_board->stress, 0, __ATOMIC_RELEASE);
	pool_shutdown(spec, ls);
	server_pidfile_remove();
	log_info("stopped");
	free(pool_w);
	pool_w = NULL;
	return 0;
}
