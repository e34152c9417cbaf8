/*
 * test_maildir_clean.c - unit tests for common/maildir_clean.c: tmp/ files
 * older than 36 hours go and younger ones stay; "<name>.tmp.<pid>" files of
 * a dead pid go, of a live pid (this process, its parent) stay; names that
 * only look alike, directories and symlinks are never touched.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "maildir.h"

static char root[] = "/tmp/test_maildir_clean.XXXXXX";

/* Create root/rel with mtime now - age seconds. */
static void
touch_aged(const char *rel, time_t age)
{
	char p[512];
	struct timespec ts[2];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1);
	if (fd >= 0)
		close(fd);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
}

/* 1 when root/rel exists (not following a symlink). */
static int
exists(const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return lstat(p, &st) == 0;
}

/* A pid that is surely gone: a reaped child's. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	(void)waitpid(pid, NULL, 0);
	return pid;
}

/* What goes and what stays. */
static void
test_clean(void)
{
	char dead[64], live[64], parent[64], p[512];
	int dirfd;

	snprintf(dead, sizeof(dead), "petrel-index.tmp.%ld", (long)dead_pid());
	snprintf(live, sizeof(live), "subscriptions.tmp.%ld", (long)getpid());
	snprintf(parent, sizeof(parent), "petrel-uidlist.tmp.%ld",
	    (long)getppid());
	touch_aged("tmp/old-append", 37 * 3600);
	touch_aged("tmp/young-delivery", 35 * 3600);
	touch_aged(dead, 10);
	touch_aged(live, 10);
	touch_aged(parent, 10);
	touch_aged("notes.tmp.12x", 10);
	touch_aged(".hidden.tmp.1", 10);
	touch_aged("cur/1.tmp.1", 10);
	snprintf(p, sizeof(p), "%s/tmp/olddir", root);
	CHECK(mkdir(p, 0700) == 0);
	snprintf(p, sizeof(p), "%s/link.tmp.1", root);
	CHECK(symlink("/etc/passwd", p) == 0);
	dirfd = open(root, O_RDONLY | O_DIRECTORY);
	CHECK(dirfd >= 0);
	CHECK(maildir_clean_stale(dirfd, time(NULL)) == 2);
	CHECK(!exists("tmp/old-append") && exists("tmp/young-delivery"));
	CHECK(!exists(dead) && exists(live) && exists(parent));
	CHECK(exists("notes.tmp.12x") && exists(".hidden.tmp.1"));
	CHECK(exists("cur/1.tmp.1") && exists("tmp/olddir"));
	CHECK(exists("link.tmp.1"));
	/* nothing more to do the second time */
	CHECK(maildir_clean_stale(dirfd, time(NULL)) == 0);
	close(dirfd);
}

int
main(void)
{
	char cmd[600];

	if (mkdtemp(root) == NULL)
		return 1;
	CHECK(maildir_create(root, &(const char *){ NULL }) == 0);
	TEST_RUN(test_clean);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 1;
	TEST_EXIT();
}
