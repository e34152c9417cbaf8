/*
 * test_sandbox.c - unit tests for common/sandbox.c: in a child process,
 * each profile allows what its processes do and kills the process (SIGSYS)
 * for a call outside it (SANDBOX_NET_DB: flock and fsync, nothing that
 * renames or unlinks); no_new_privs shows in /proc/self/status.
 * (A sanitizer build has no filter: the cases that expect a kill are then
 * skipped, as sandbox.h says.)
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "params.h"
#include "sandbox.h"

static char test_dir[] = "/tmp/petrel-sandbox.XXXXXX";

/* Run fn in a child under profile; its wait status. */
static int
in_child(enum sandbox_profile profile, void (*fn)(void))
{
	const char *err = NULL;
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		if (sandbox_enter(profile, &err) < 0)
			_exit(99);
		fn();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* What every worker does: memory, time, a socket, reading a file. */
static void
do_ordinary(void)
{
	char buf[64];
	int fd = open("/etc/hostname", O_RDONLY), sv[2];
	void *p = malloc(1 << 20);

	if (fd < 0 || read(fd, buf, sizeof(buf)) < 0 || p == NULL ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    write(sv[0], "x", 1) != 1 || read(sv[1], buf, 1) != 1)
		_exit(1);
	free(p);
	(void)time(NULL);
}

/* What only a mailbox owner does: create, rename, unlink a file. */
static void
do_maildir(void)
{
	char a[64], b[64];
	int fd;

	snprintf(a, sizeof(a), "%s/a", test_dir);
	snprintf(b, sizeof(b), "%s/b", test_dir);
	fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || fsync(fd) < 0 || rename(a, b) < 0 || unlink(b) < 0)
		_exit(1);
	close(fd);
}

/* What an SMTP worker does to its greylist database: lock and sync a
 * file it opens (test_dir/a, made before the filter). */
static void
do_db(void)
{
	char a[64];
	int fd;

	snprintf(a, sizeof(a), "%s/a", test_dir);
	fd = open(a, O_RDWR);
	if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(fd, "x", 1) != 1 ||
	    fdatasync(fd) < 0 || fsync(fd) < 0 || flock(fd, LOCK_UN) < 0)
		_exit(1);
	close(fd);
}

/* What no network-facing process does. */
static void
do_exec(void)
{
	char *const argv[] = { "/bin/true", NULL };

	execv(argv[0], argv);
	_exit(2);
}

/* Mail profile calls from a network profile. */
static void
do_unlink(void)
{
	(void)unlink("/nonexistent/petrel-sandbox-test");
	_exit(3);
}

/* A fork. */
static void
do_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	_exit(4);
}

/* no_new_privs is visible in /proc/self/status. */
static void
do_check_nnp(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int nnp = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "NoNewPrivs:\t1", 13) == 0)
			nnp = 1;
	if (f != NULL)
		fclose(f);
	_exit(nnp ? 0 : 5);
}

/* Makes (1) or removes (0) the file do_db works on. */
static void
db_file(int make)
{
	char a[64];
	int fd;

	snprintf(a, sizeof(a), "%s/a", test_dir);
	if (!make) {
		(void)unlink(a);
		return;
	}
	fd = open(a, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		close(fd);
}

/* A killed-by-seccomp status (or, without a filter, the call's exit). */
static int
killed(int status)
{
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}

/* Each profile: ordinary work passes, what it lacks kills. */
static void
test_profiles(void)
{
	int st, filtered;

	var_seccomp = 1;
	CHECK(in_child(SANDBOX_NET, do_ordinary) == 0);
	CHECK(in_child(SANDBOX_MAIL, do_ordinary) == 0);
	CHECK(in_child(SANDBOX_MAIL, do_maildir) == 0);
	CHECK(in_child(SANDBOX_NET, do_check_nnp) == 0);
	st = in_child(SANDBOX_NET, do_exec);
	filtered = killed(st);
	printf("# seccomp filter %s\n", filtered ? "active" : "off (sanitizer "
	    "build)");
	if (!filtered)
		return;
	CHECK(killed(in_child(SANDBOX_MAIL, do_exec)));
	CHECK(killed(in_child(SANDBOX_NET, do_unlink)));
	CHECK(killed(in_child(SANDBOX_NET, do_maildir)));
	CHECK(killed(in_child(SANDBOX_NET, do_fork)));
	CHECK(killed(in_child(SANDBOX_MAIL, do_fork)));
	CHECK(in_child(SANDBOX_NET_DB, do_ordinary) == 0);
	CHECK(killed(in_child(SANDBOX_NET_DB, do_unlink)));
	CHECK(killed(in_child(SANDBOX_NET_DB, do_maildir)));
	CHECK(killed(in_child(SANDBOX_NET_DB, do_exec)));
	db_file(1);
	CHECK(in_child(SANDBOX_NET_DB, do_db) == 0);
	CHECK(killed(in_child(SANDBOX_NET, do_db)));
	db_file(0);
	var_seccomp = 0;	/* seccomp = no: only no_new_privs */
	CHECK(in_child(SANDBOX_NET, do_check_nnp) == 0);
	st = in_child(SANDBOX_NET, do_unlink);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
}

/* Run the sandbox tests. */
int
main(void)
{
	if (mkdtemp(test_dir) == NULL)
		return 1;
	TEST_RUN(test_profiles);
	rmdir(test_dir);
	TEST_EXIT();
}
