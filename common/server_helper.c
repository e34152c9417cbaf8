/*
 * server_helper.c - the helper processes a daemon's parent may keep beside
 * its pre-forked workers (processes that must outlive any single failure;
 * smtpd's password checkers were the first, now petrel-auth's pool).
 *
 * Public: server_helper_fd(fd) (server.h) names the descriptor the helper
 * serves.  The parent keeps it open across restarts, so requests sent
 * while no helper runs wait in the socket for the next one; workers close
 * it right after fork and never see it.
 * Skeleton-only (server_int.h): server_helper_start, server_helper_reaped,
 * server_helper_retire, server_helper_stop, server_helper_alive,
 * server_helper_pending, server_helper_close_in_worker.
 * The parent keeps spec->helper_count_param helpers (1 without one, at most
 * SERVER_HELPER_MAX), all serving the same descriptor, so one slow request
 * (a yescrypt check takes some 25 ms) does not hold up the others.
 * Each helper runs spec->helper(fd) in a child of the parent, as root, with
 * default signal handling (SIGHUP ignored) and every descriptor closed but
 * stdio, the log file and fd.  A helper that dies is started again at
 * once; when helpers die within SERVER_FAST_DEATH seconds of their start,
 * the next start waits 1, 2, 4 ... up to 60 seconds.  A reload ends them
 * (SIGTERM) so the next ones read the new configuration, or sends SIGHUP
 * to those of a spec with helper_reloads_itself; a stop ends them last.
 * Security: the helper starts with nothing of the parent's but what it is
 * given: no listening socket, no pool pipe, no pid-file lock.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "server_int.h"

struct helper {
	pid_t pid;		/* 0: not running */
	int retiring;		/* we asked it to end: restart without blame */
	time_t started;
};

static int helper_fd = -1;
static struct helper helpers[SERVER_HELPER_MAX];
static int helper_failures;
static time_t helper_next;

/* Name the descriptor the helpers serve (parent, before the first fork). */
void
server_helper_fd(int fd)
{
	helper_fd = fd;
}

/* Close every descriptor above stderr except the ones in keep[]. */
static void
helper_close_others(int keep_a, int keep_b)
{
	int keep[2], lo = 3;
	long max = sysconf(_SC_OPEN_MAX);

	keep[0] = keep_a < keep_b ? keep_a : keep_b;
	keep[1] = keep_a < keep_b ? keep_b : keep_a;
	for (int i = 0; i < 2; i++) {
		if (keep[i] < lo)
			continue;
		if (keep[i] > lo && close_range((unsigned)lo,
		    (unsigned)keep[i] - 1, 0) != 0)
			for (int fd = lo; fd < keep[i]; fd++)
				(void)close(fd);
		lo = keep[i] + 1;
	}
	if (close_range((unsigned)lo, ~0U, 0) != 0)
		for (long fd = lo; fd < (max > 0 ? max : 1024); fd++)
			(void)close((int)fd);
}

/* The child's side: a clean process, then the daemon's helper. */
__attribute__((noreturn))
static void
helper_child(const struct server_spec *spec, const sigset_t *mask)
{
	int fd = helper_fd;

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGHUP, SIG_IGN);
	sigprocmask(SIG_SETMASK, mask, NULL);
	log_syslog_close();	/* its socket is closed below */
	helper_close_others(fd, log_file_fd());
	spec->helper(fd);
	_exit(0);
}

/* How many helpers the daemon wants (0: none). */
static long
helper_want(const struct server_spec *spec)
{
	long n;

	if (spec->helper == NULL || helper_fd < 0)
		return 0;
	n = spec->helper_count_param != NULL ?
	    server_param_long(spec->helper_count_param, 1) : 1;
	return n < 1 ? 1 : n > SERVER_HELPER_MAX ? SERVER_HELPER_MAX : n;
}

/* Start helpers until the wanted number runs, unless a throttle holds. */
void
server_helper_start(const struct server_spec *spec)
{
	long want = helper_want(spec);
	sigset_t all, old;
	pid_t pid;

	for (long i = 0; i < want; i++) {
		if (helpers[i].pid > 0)
			continue;
		if (server_now() < helper_next || server_stop_flag)
			return;
		sigfillset(&all);
		sigprocmask(SIG_BLOCK, &all, &old);
		if ((pid = fork()) < 0) {
			sigprocmask(SIG_SETMASK, &old, NULL);
			log_warn("helper: fork: %m");
			helper_next = server_now() + 1;
			return;
		}
		if (pid == 0)
			helper_child(spec, &old);
		sigprocmask(SIG_SETMASK, &old, NULL);
		helpers[i].pid = pid;
		helpers[i].started = server_now();
		helpers[i].retiring = 0;
	}
}

/* A child was reaped: 1 if it was a helper (then plan its restart). */
int
server_helper_reaped(const struct server_spec *spec, pid_t pid, int status)
{
	const char *name = spec->helper_name ? spec->helper_name : "helper";
	struct helper *h = NULL;
	long delay;

	for (size_t i = 0; i < SERVER_HELPER_MAX && h == NULL && pid > 0; i++)
		if (helpers[i].pid == pid)
			h = &helpers[i];
	if (h == NULL)
		return 0;
	h->pid = 0;
	if (h->retiring || server_stop_flag)
		return 1;
	if (WIFSIGNALED(status))
		log_warn("%s %ld killed by signal %d; starting a new one",
		    name, (long)pid, WTERMSIG(status));
	else
		log_warn("%s %ld exited with status %d; starting a new one",
		    name, (long)pid, WEXITSTATUS(status));
	if (server_now() - h->started >= SERVER_FAST_DEATH) {
		helper_failures = 0;
		return 1;
	}
	delay = server_backoff(&helper_failures);
	helper_next = server_now() + delay;
	log_warn("%s dies fast; next start in %ld s", name, delay);
	return 1;
}

/* Reload: end the running helpers; the next ones read the new settings.
 * A helper that holds state worth keeping (imapd's spawner is the parent
 * of every session) gets SIGHUP instead and re-reads them itself. */
void
server_helper_retire(const struct server_spec *spec)
{
	helper_failures = 0;
	helper_next = 0;
	for (size_t i = 0; i < SERVER_HELPER_MAX; i++) {
		if (helpers[i].pid <= 0)
			continue;
		if (spec->helper_reloads_itself) {
			(void)kill(helpers[i].pid, SIGHUP);
			continue;
		}
		helpers[i].retiring = 1;
		(void)kill(helpers[i].pid, SIGTERM);
	}
}

/* Stop: SIGTERM (kill_it 0) or SIGKILL (1) every helper. */
void
server_helper_stop(int kill_it)
{
	for (size_t i = 0; i < SERVER_HELPER_MAX; i++)
		if (helpers[i].pid > 0)
			(void)kill(helpers[i].pid, kill_it ? SIGKILL : SIGTERM);
}

/* 1 while a helper process exists (not yet reaped). */
int
server_helper_alive(void)
{
	for (size_t i = 0; i < SERVER_HELPER_MAX; i++)
		if (helpers[i].pid > 0)
			return 1;
	return 0;
}

/* 1 when the daemon wants more helpers than run. */
int
server_helper_pending(const struct server_spec *spec)
{
	long want = helper_want(spec);

	for (long i = 0; i < want; i++)
		if (helpers[i].pid == 0)
			return 1;
	return 0;
}

/* In a new worker: drop the helpers' descriptor. */
void
server_helper_close_in_worker(void)
{
	if (helper_fd >= 0)
		(void)close(helper_fd);
}
