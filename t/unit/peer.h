/*
 * peer.h - a forked peer for unit tests that need the other end of a
 * connection (TLS clients and servers, silent or misbehaving peers).
 *
 *   test_peer_spawn(&fd, fn, secs)  runs fn(fd) in a child on one end of
 *                   a socketpair, killed by alarm(secs) so nothing hangs;
 *                   our end in fd.  The child's pid, or -1 (fd -1).
 *   test_peer_status(pid)  waits for it: fn's return value (its exit
 *                   code), or 99 when it died or never started.
 */
#ifndef PETREL_T_PEER_H
#define PETREL_T_PEER_H

#include <sys/socket.h>
#include <sys/wait.h>
#include <stdio.h>
#include <unistd.h>

/* Run fn(fd) in a child on one end of a socketpair; our end in *fd_r. */
static inline pid_t
test_peer_spawn(int *fd_r, int (*fn)(int fd), unsigned secs)
{
	int sv[2];
	pid_t pid;

	*fd_r = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		alarm(secs);
		_exit(fn(sv[1]));
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -1;
	}
	*fd_r = sv[0];
	return pid;
}

/* The peer's exit code (99 when it died or never started). */
static inline int
test_peer_status(pid_t pid)
{
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 99;
	return WEXITSTATUS(st);
}

#endif
