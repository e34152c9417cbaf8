/*
 * sendmail_drop.c - petrel-sendmail's helpers: locate the Petrel programs,
 * run one in place of ourselves (mailq, newaliases, flush), and hand a
 * message to petrel-postdrop through a pipe.
 *
 * Public:
 *   sm_find_prog(name, path, size)  $PETREL_BIN/name, else the directory
 *        of our own executable, else $daemon_directory; 0 or -1.
 *   sm_exec_prog(name, args)        execv; returns (75) only on failure.
 *   sm_drop_start(d, o)             start postdrop ("-C conf" when a
 *        configuration was named); 0 or -1 (message printed).
 *   sm_drop_line(d, type, text)     one frame line "T text\n".
 *   sm_drop_write(d, p, n)          raw bytes (the message); a failed write
 *        (postdrop exited early) only marks d->broken.
 *   sm_copy_stdin(d, dot_ends)      copy our standard input; without -i a
 *        line holding only "." (LF or CRLF) ends it.  0 or -1 (read error).
 *   sm_drop_finish(d)               close the pipe, wait; postdrop's exit
 *        status (75 when it died of a signal).
 * Security: runs as the invoking user with no privilege; postdrop (setgid)
 * validates everything itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "params.h"
#include "sendmail.h"

/* 1 if dir/name is an executable file; fills path. */
static int
sm_try(const char *dir, const char *name, char *path, size_t size)
{
	int n;

	if (dir == NULL || *dir == '\0')
		return 0;
	n = snprintf(path, size, "%s/%s", dir, name);
	return n > 0 && (size_t)n < size && access(path, X_OK) == 0;
}

/* Locate a Petrel program; see the file header for the order. */
int
sm_find_prog(const char *name, char *path, size_t size)
{
	char self[PATH_MAX];
	ssize_t n;

	if (sm_try(getenv("PETREL_BIN"), name, path, size))
		return 0;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if (sm_try(self, name, path, size))
				return 0;
		}
	}
	if (sm_try(var_daemon_directory, name, path, size))
		return 0;
	return -1;
}

/* Replace ourselves with a Petrel program; returns only on failure. */
int
sm_exec_prog(const char *name, char **args)
{
	char path[PATH_MAX];

	if (sm_find_prog(name, path, sizeof(path)) < 0) {
		fprintf(stderr, "sendmail: cannot find %s\n", name);
		return SM_EX_TEMPFAIL;
	}
	fflush(stdout);
	execv(path, args);
	fprintf(stderr, "sendmail: cannot run %s: %s\n", path, strerror(errno));
	return SM_EX_TEMPFAIL;
}

/* Start postdrop with a pipe on its standard input. */
int
sm_drop_start(struct sm_drop *d, const struct sm_opts *o)
{
	char path[PATH_MAX];
	char *args[4] = { "petrel-postdrop", NULL, NULL, NULL };
	int p[2];

	if (sm_find_prog("petrel-postdrop", path, sizeof(path)) < 0) {
		fprintf(stderr, "sendmail: cannot find petrel-postdrop\n");
		return -1;
	}
	if (o->conf != NULL) {
		args[1] = "-C";
		args[2] = (char *)o->conf;
	}
	if (pipe2(p, O_CLOEXEC) < 0 || (d->pid = fork()) < 0) {
		fprintf(stderr, "sendmail: cannot start postdrop: %s\n",
		    strerror(errno));
		return -1;
	}
	if (d->pid == 0) {
		if (dup2(p[0], 0) < 0)
			_exit(SM_EX_TEMPFAIL);
		execv(path, args);
		fprintf(stderr, "sendmail: cannot run %s: %s\n", path,
		    strerror(errno));
		_exit(SM_EX_TEMPFAIL);
	}
	close(p[0]);
	d->fd = p[1];
	d->broken = 0;
	return 0;
}

/* Write to postdrop; remember a failure instead of dying of SIGPIPE. */
void
sm_drop_write(struct sm_drop *d, const void *p, size_t n)
{
	const char *s = p;
	ssize_t w;

	while (n > 0 && !d->broken) {
		w = write(d->fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			d->broken = 1;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

/* One frame line: type, blank, text, LF (text without CR/LF). */
void
sm_drop_line(struct sm_drop *d, char type, const char *text)
{
	char head[2] = { type, ' ' };

	if (text == NULL) {
		sm_drop_write(d, head, 1);
	} else {
		sm_drop_write(d, head, 2);
		sm_drop_write(d, text, strcspn(text, "\r\n"));
	}
	sm_drop_write(d, "\n", 1);
}

/* Copy standard input; without -i a lone "." line ends the message. */
int
sm_copy_stdin(struct sm_drop *d, int dot_ends)
{
	char in[16384], out[16384 + 2];
	int state = 1;		/* 1 line start, 2 after ".", 3 after ".\r" */
	ssize_t r;

	while ((r = read(0, in, sizeof(in))) != 0) {
		size_t o = 0;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		for (ssize_t i = 0; i < r; i++) {
			char c = in[i];

			if (!dot_ends) {
				out[o++] = c;
				continue;
			}
			if ((state == 2 || state == 3) && c == '\n') {
				sm_drop_write(d, out, o);
				return 0;
			}
			if (state == 2 && c == '\r') {
				state = 3;
				continue;
			}
			if (state == 2 || state == 3)
				out[o++] = '.';
			if (state == 3)
				out[o++] = '\r';
			if (state == 1 && c == '.') {
				state = 2;
				continue;
			}
			out[o++] = c;
			state = c == '\n' ? 1 : 0;
		}
		sm_drop_write(d, out, o);
	}
	return 0;
}

/* Close the pipe and return postdrop's exit status. */
int
sm_drop_finish(struct sm_drop *d)
{
	int status;
	pid_t r;

	close(d->fd);
	d->fd = -1;
	while ((r = waitpid(d->pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return SM_EX_TEMPFAIL;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "sendmail: petrel-postdrop died of signal %d\n",
	    WTERMSIG(status));
	return SM_EX_TEMPFAIL;
}
