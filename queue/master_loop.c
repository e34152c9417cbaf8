/*
 * master_loop.c - petrel-master's loop: start every daemon, start again
 * one that died, stop them all when told to.
 *
 * Public (see master.h):
 *   master_table_add(t, bindir, name, &errstr)  0 or -1.
 *   master_run(t, conf, foreground)  returns 0 once stopped.
 * A daemon that dies while the master is not stopping (any exit status,
 * any signal) is started again after a back-off: 1 s, doubling with each
 * death that follows a start by less than MASTER_STABLE seconds, up to
 * 60 s (server_backoff); one that stayed up longer starts with 1 s again.
 * One log line per death says when the next start comes.  The other
 * daemons are never touched.  Signals arrive through a signalfd and are
 * all read before any is acted on, so that a Ctrl-C, which reaches the
 * daemons and the master at once, is never taken for a crash.
 * Stopping: SIGTERM to every daemon; after MASTER_STOP_WAIT seconds or a
 * second TERM/INT, SIGKILL to them and to any worker left over from a
 * daemon that was killed outright (the master is their subreaper).
 * Security: root; execs only <bindir>/petrel-<name> for the names given.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "master.h"
#include "server.h"
#include "strutil.h"

#define MASTER_REAP_MAX 1000	/* waitpid calls per wake-up */
#define MASTER_KILL_GRACE 5000	/* ms after SIGKILL before giving up */

static sigset_t master_oldmask;	/* what the children get back */

struct master_state {
	int stopping;		/* 1 after TERM/INT */
	int killed;		/* 1 after SIGKILL went out */
	long long deadline;	/* ms: SIGKILL (stopping), give up (killed) */
	int start_now;		/* USR1 seen */
	int reload;		/* HUP seen */
	int child;		/* CHLD seen */
};

/* Monotonic milliseconds. */
static long long
master_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One more daemon to supervise; 0, or -1 with a reason. */
int
master_table_add(struct master_table *t, const char *bindir,
    const char *name, const char **errstr_r)
{
	struct master_daemon *d;
	size_t len = strlen(name);
	int n;

	if (len == 0 || len > MASTER_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789") != len) {
		*errstr_r = "a daemon name is 1-16 of a-z, 0-9";
		return -1;
	}
	if (t->count >= MASTER_DAEMONS_MAX) {
		*errstr_r = "too many daemons";
		return -1;
	}
	d = &t->d[t->count];
	memset(d, 0, sizeof(*d));
	memcpy(d->name, name, len + 1);
	n = snprintf(d->path, sizeof(d->path), "%s/petrel-%s", bindir, name);
	if (n < 0 || (size_t)n >= sizeof(d->path)) {
		*errstr_r = "program path too long";
		return -1;
	}
	t->count++;
	return 0;
}

/* Block the signals we handle and return a signalfd that reads them. */
static int
master_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, &master_oldmask) != 0 ||
	    (fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		log_fatal("signals: %m");
	signal(SIGPIPE, SIG_IGN);
	return fd;
}

/* Fork and exec one daemon in the foreground (-d). */
static void
master_spawn(struct master_daemon *d, const char *conf)
{
	char *argv[6];
	int i = 0;
	pid_t pid;

	argv[i++] = d->path;	/* as a shell would: tools look for it */
	if (conf != NULL) {
		argv[i++] = (char *)"-f";
		argv[i++] = (char *)conf;
	}
	argv[i++] = (char *)"-d";
	argv[i] = NULL;
	d->started = master_now();
	if ((pid = fork()) < 0) {
		log_warn("%s: fork: %m; trying again in 1 s", d->name);
		d->due = d->started + 1000;
		return;
	}
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		sigprocmask(SIG_SETMASK, &master_oldmask, NULL);
		execv(d->path, argv);
		log_warn("exec %s: %m", d->path);
		_exit(PETREL_EX_TEMPFAIL);
	}
	d->pid = pid;
}

/* Start every daemon that is down and due (now, with start_now). */
static void
master_start_due(struct master_table *t, const char *conf, int start_now)
{
	long long now = master_now();

	for (size_t i = 0; i < t->count; i++) {
		struct master_daemon *d = &t->d[i];

		if (d->pid != 0 || (!start_now && d->due > now))
			continue;
		if (start_now)
			d->failures = 0;
		master_spawn(d, conf);
	}
}

/* Describe a wait status ("exited with status 1", "killed by signal 9"). */
static void
master_status_text(int status, char *buf, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "exited with status %d",
		    WEXITSTATUS(status));
}

/* A daemon died: schedule its next start (unless stopping); one line. */
static void
master_died(struct master_daemon *d, int status, int stopping)
{
	long long now = master_now();
	char how[64];
	long delay;

	master_status_text(status, how, sizeof(how));
	if (stopping) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			log_info("%s (pid %ld) %s", d->name, (long)d->pid, how);
		d->pid = 0;
		return;
	}
	if (now - d->started >= (long long)MASTER_STABLE * 1000)
		d->failures = 0;
	delay = server_backoff(&d->failures);
	d->due = now + delay * 1000;
	log_warn("%s (pid %ld) %s; restarting in %ld s", d->name,
	    (long)d->pid, how, delay);
	d->pid = 0;
}

/* Reap every child that ended; 1 when no child at all is left. */
static int
master_reap(struct master_table *t, int stopping)
{
	int status;
	pid_t pid;

	for (int n = 0; n < MASTER_REAP_MAX; n++) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			return errno == ECHILD;
		if (pid == 0)
			return 0;
		for (size_t i = 0; i < t->count; i++)
			if (t->d[i].pid == pid)
				master_died(&t->d[i], status, stopping);
	}
	return 0;
}

/* Our parent pid from /proc/<pid>/stat's text ("pid (comm) S ppid"). */
static long
master_ppid_of(const char *stat, size_t len)
{
	const char *p = memrchr(stat, ')', len), *end;
	long ppid;

	if (p == NULL || (size_t)(p - stat) + 4 >= len)
		return -1;
	p += 4;			/* ") S " */
	end = memchr(p, ' ', len - (size_t)(p - stat));
	if (end == NULL || str_to_long(p, (size_t)(end - p), 0, LONG_MAX,
	    &ppid) != 0)
		return -1;
	return ppid;
}

/* SIGKILL every child that is not one of our daemons (left-over workers
 * of a daemon killed outright, reparented to us). */
static void
master_kill_orphans(void)
{
	DIR *dir = opendir("/proc");
	struct dirent *e;
	char path[64], stat[512];
	long me = (long)getpid(), pid;
	ssize_t n;
	int fd;

	if (dir == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		if (str_to_long(e->d_name, strlen(e->d_name), 1, INT_MAX,
		    &pid) != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, stat, sizeof(stat));
		close(fd);
		if (n > 0 && master_ppid_of(stat, (size_t)n) == me)
			(void)kill((pid_t)pid, SIGKILL);
	}
	closedir(dir);
}

/* Send sig to every running daemon. */
static void
master_signal_all(struct master_table *t, int sig)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->d[i].pid != 0)
			(void)kill(t->d[i].pid, sig);
}

/* TERM/INT: the first stops gently, the next (or the deadline) kills. */
static void
master_stop(struct master_table *t, struct master_state *st, int force)
{
	if (!st->stopping) {
		st->stopping = 1;
		st->deadline = master_now() + MASTER_STOP_WAIT * 1000LL;
		log_info("stopping");
		master_signal_all(t, SIGTERM);
		return;
	}
	if (!force || st->killed)
		return;
	st->killed = 1;
	st->deadline = master_now() + MASTER_KILL_GRACE;
	log_warn("killing what is left");
	master_signal_all(t, SIGKILL);
	master_kill_orphans();
}

/* Read every pending signal into st; TERM/INT are acted on at once. */
static void
master_read_signals(int sfd, struct master_table *t, struct master_state *st)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT: master_stop(t, st, 1); break;
		case SIGHUP: st->reload = 1; break;
		case SIGUSR1: st->start_now = 1; break;
		case SIGCHLD: st->child = 1; break;
		default: break;
		}
	}
}

/* Milliseconds to sleep: until the next due start or the stop deadline. */
static int
master_timeout(const struct master_table *t, const struct master_state *st)
{
	long long now = master_now(), next = -1;

	if (st->stopping)
		next = st->deadline;
	else
		for (size_t i = 0; i < t->count; i++)
			if (t->d[i].pid == 0 && (next < 0 || t->d[i].due < next))
				next = t->d[i].due;
	if (next < 0)
		return -1;
	if (next <= now)
		return 0;
	return next - now > 60000 ? 60000 : (int)(next - now);
}

/* One wake-up's work; 1 when the loop is over. */
static int
master_step(struct master_table *t, struct master_state *st,
    const char *conf)
{
	int none_left = master_reap(t, st->stopping);

	st->child = 0;
	if (st->stopping) {
		if (none_left)
			return 1;
		if (master_now() >= st->deadline) {
			if (st->killed) {
				log_warn("children still alive after "
				    "SIGKILL; exiting");
				return 1;
			}
			master_stop(t, st, 1);
		}
		return 0;
	}
	if (st->reload) {
		st->reload = 0;
		master_signal_all(t, SIGHUP);
	}
	master_start_due(t, conf, st->start_now);
	st->start_now = 0;
	return 0;
}

/* The supervisor's loop. */
int
master_run(struct master_table *t, const char *conf, int foreground)
{
	struct master_state st;
	struct pollfd pfd;
	int sfd = master_signals();

	memset(&st, 0, sizeof(st));
	log_info("supervising %zu daemons%s", t->count,
	    foreground ? " in the foreground" : "");
	master_start_due(t, conf, 1);
	for (;;) {
		pfd.fd = sfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, master_timeout(t, &st)) < 0 &&
		    errno != EINTR)
			log_fatal("poll: %m");
		master_read_signals(sfd, t, &st);
		if (master_step(t, &st, conf))
			break;
	}
	close(sfd);
	log_info("stopped");
	return 0;
}
