/*
 * server.c - the daemon skeleton's entry point: command-line flags,
 * configuration, the pid file, daemonizing, then the pre-fork pool
 * (server_pool.c) on the sockets from server_listen.c.
 *
 * Public:
 *   server_main(argc, argv, spec)  never returns (see server.h).
 *   server_stopping()              1 once SIGTERM/SIGINT arrived.
 *   server_foreground()            1 with -d or -S.
 *   server_single_session()        1 with -S only.
 *   server_null_stdio()            stdin/out/err on /dev/null (daemonizing,
 *                                  and helper processes); 0 or -1.
 *   server_load_config(path), server_pidfile_lock(name),
 *   server_pidfile_write(), server_daemonize()  the steps of server_main
 *                                  that petrel-master (queue/master_*.c)
 *                                  takes too; fatal on failure.
 * Fatal (exit PETREL_EX_TEMPFAIL through log_fatal) on a bad command line,
 * a bad configuration, a held pid file ("already running, pid N"), or an
 * address that cannot be bound.
 * Security: started as root; the order is spool_setup, pid-file lock,
 * pre_drop, bind, daemonize, then workers drop to spec->user_param.  The
 * lock is taken before pre_drop and binding so that a second instance
 * touches nothing (it would otherwise unlink a live unix socket).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "params.h"
#include "sandbox.h"
#include "server_int.h"
#include "spool.h"
#include "strutil.h"

volatile sig_atomic_t server_stop_flag;

static int srv_foreground;
static int srv_one_session;
static int srv_pid_fd = -1;
static char srv_pid_path[PATH_MAX];
static char srv_conf_path[PATH_MAX];	/* absolute; "" = the default */

struct server_opts {
	const char *conf;
	int dump;
	int one_session;
};

/* 1 once the daemon was told to stop (SIGTERM/SIGINT). */
int
server_stopping(void)
{
	return server_stop_flag != 0;
}

/* 1 when running in the foreground (-d) or on stdin/stdout (-S). */
int
server_foreground(void)
{
	return srv_foreground || srv_one_session;
}

/* 1 when serving one session on stdin/stdout (-S): nothing was dropped. */
int
server_single_session(void)
{
	return srv_one_session;
}

/* geteuid() == 0, without depending on privs.c for so little. */
int
server_is_root(void)
{
	return geteuid() == 0;
}

/* Monotonic seconds (throttles, worker ages). */
time_t
server_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* One more fast death: the delay before the next start, 1, 2, 4 ... up to
 * SERVER_THROTTLE_MAX seconds. */
long
server_backoff(int *failures)
{
	long delay = *failures >= 6 ? SERVER_THROTTLE_MAX : 1L << *failures;

	(*failures)++;
	return delay > SERVER_THROTTLE_MAX ? SERVER_THROTTLE_MAX : delay;
}

/* A numeric parameter by name (e.g. the spec's process limit). */
long
server_param_long(const char *name, long defval)
{
	const char *v = name != NULL ? config_get(name) : NULL;
	long n;

	if (v == NULL || str_to_long(v, strlen(v), 0, LONG_MAX, &n) != 0)
		return defval;
	return n;
}

/* The configuration file to re-read on SIGHUP (NULL: the default). */
const char *
server_config_path(void)
{
	return srv_conf_path[0] != '\0' ? srv_conf_path : NULL;
}

/* The pid file's descriptor (workers close it), or -1. */
int
server_pidfile_fd(void)
{
	return srv_pid_fd;
}

/* Remove our pid file while we still hold its lock. */
void
server_pidfile_remove(void)
{
	if (srv_pid_fd >= 0 && srv_pid_path[0] != '\0')
		(void)unlink(srv_pid_path);
}

/* Print the usage line and exit. */
__attribute__((noreturn))
static void
server_usage(const char *name)
{
	fprintf(stderr, "usage: petrel-%s [-d] [-n] [-S] [-f config] "
	    "[-o name=value]...\n", name);
	exit(PETREL_EX_TEMPFAIL);
}

/* Apply one -o name=value override. */
static void
server_override(const char *arg)
{
	const char *eq = strchr(arg, '='), *err = NULL;
	char name[128];

	if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(name))
		log_fatal("-o %s: expected name=value", arg);
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	if (config_set(name, eq + 1, &err) != 0)
		log_fatal("-o %s: %s", arg, err != NULL ? err : "bad value");
}

/* Parse the common flags; -o overrides are applied as they come. */
static void
server_flags(int argc, char **argv, const struct server_spec *spec,
    struct server_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->conf = getenv("PETREL_CONF");
	opterr = 1;
	while ((c = getopt(argc, argv, "f:o:dnS")) != -1) {
		switch (c) {
		case 'f': o->conf = optarg; break;
		case 'o': server_override(optarg); break;
		case 'd': srv_foreground = 1; break;
		case 'n': o->dump = 1; break;
		case 'S': o->one_session = srv_one_session = 1; break;
		default: server_usage(spec->name);
		}
	}
	if (optind != argc)
		server_usage(spec->name);
}

/* Load the configuration (an absolute path, so SIGHUP works after chdir). */
void
server_load_config(const char *path)
{
	char abs[PATH_MAX];
	const char *err = NULL;

	if (path != NULL && *path != '/' && realpath(path, abs) != NULL)
		path = abs;
	if (path != NULL)
		snprintf(srv_conf_path, sizeof(srv_conf_path), "%s", path);
	if (config_load(path, &err) != 0)
		log_fatal("configuration: %s", err != NULL ? err : "error");
	if (var_maillog_file != NULL && *var_maillog_file != '\0')
		log_set_file(var_maillog_file);
}

/* Take the pid file's lock; a held lock means another instance runs. */
void
server_pidfile_lock(const char *name)
{
	char buf[32], file[128];
	ssize_t n;

	if ((size_t)snprintf(file, sizeof(file), "%s.pid", name) >=
	    sizeof(file) || spool_path(srv_pid_path, sizeof(srv_pid_path),
	    SPOOL_PID, file) != 0)
		log_fatal("pid file path too long");
	srv_pid_fd = open(srv_pid_path, O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
	if (srv_pid_fd < 0)
		log_fatal("open %s: %m", srv_pid_path);
	if (flock(srv_pid_fd, LOCK_EX | LOCK_NB) == 0)
		return;
	if (errno != EWOULDBLOCK)
		log_fatal("lock %s: %m", srv_pid_path);
	n = pread(srv_pid_fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	srv_pid_fd = -1;
	log_fatal("already running, pid %s", buf[0] != '\0' ? buf : "?");
}

/* Write our pid into the locked pid file (after daemonizing). */
void
server_pidfile_write(void)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(srv_pid_fd, 0) != 0 ||
	    pwrite(srv_pid_fd, buf, (size_t)len, 0) != len)
		log_fatal("write %s: %m", srv_pid_path);
}

/* Standard input, output and error on /dev/null; 0 or -1. */
int
server_null_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return -1;
	(void)dup2(fd, 0);
	(void)dup2(fd, 1);
	(void)dup2(fd, 2);
	if (fd > 2)
		close(fd);
	return 0;
}

/* Detach: fork, new session, cwd /, stdio on /dev/null. */
void
server_daemonize(void)
{
	pid_t pid;

	if ((pid = fork()) < 0)
		log_fatal("fork: %m");
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		log_fatal("setsid: %m");
	if (chdir("/") != 0)
		log_fatal("chdir /: %m");
	if (server_null_stdio() < 0)
		log_fatal("open /dev/null: %m");
}

/* -S: one session on stdin/stdout, nothing else. */
__attribute__((noreturn))
static void
server_one_session(const struct server_spec *spec)
{
	struct server_peer peer;

	memset(&peer, 0, sizeof(peer));
	if (spec->session == NULL)
		log_fatal("-S: this program has no sessions");
	spec->session(0, 1, &peer);
	exit(0);
}

/* Root-only preparation: the spool tree. */
static void
server_prepare_spool(void)
{
	const char *err = NULL;

	if (!server_is_root())
		log_warn("not running as root: spool ownership and privilege "
		    "drop skipped (development mode)");
	if (spool_setup(&err) != 0)
		log_fatal("spool setup: %s", err != NULL ? err : "error");
}

/* The skeleton's entry point. */
void
server_main(int argc, char **argv, const struct server_spec *spec)
{
	struct server_opts o;
	struct server_listeners ls;
	const char *err = NULL;

	log_init(spec->name, 1);
	server_flags(argc, argv, spec, &o);
	/* Without -d, stderr still shows start-up errors; it becomes
	 * /dev/null when we detach.  -S keeps stderr out of the session. */
	log_init(spec->name, o.one_session ? srv_foreground : 1);
	server_load_config(o.conf);
	if (o.dump) {
		config_dump(stdout, CONFIG_DUMP_NONDEFAULT);
		exit(0);
	}
	signal(SIGPIPE, SIG_IGN);
	/* No process of a daemon gains privileges through execve. */
	if (sandbox_no_new_privs() < 0)
		log_fatal("prctl(PR_SET_NO_NEW_PRIVS): %m");
	if (o.one_session)
		server_one_session(spec);
	server_prepare_spool();
	server_pidfile_lock(spec->name);
	if (spec->pre_drop != NULL)
		spec->pre_drop();
	memset(&ls, 0, sizeof(ls));
	if (spec->loop == NULL && server_listen_open_spec(spec, &ls,
	    &err) != 0)
		log_fatal("%s", err);
	if (spec->loop == NULL && ls.count == 0)
		log_fatal("no listen address in parameter %s",
		    spec->listen_param != NULL ? spec->listen_param : "?");
	if (!srv_foreground)
		server_daemonize();
	server_pidfile_write();
	exit(server_pool_run(spec, &ls));
}
