/*
 * skel_echo.c - a toy daemon on the server skeleton, for
 * t/interop/skeleton.sh: each input line is answered with
 * "uid=<uid> pid=<pid> <line>", so a test sees which user and which worker
 * served it.  The line "quit" ends the session; "sleep" holds the session
 * for 3 seconds (to test stopping a busy worker).
 *
 * Public: main() - the skeleton's flags (-f, -o, -d, -n, -S).
 * Listens on smtpd_listen, runs as smtpd_user, process limit
 * smtpd_process_limit (reusing smtpd's parameters).
 * Security: lines are bounded (ECHO_LINE_MAX; longer input is cut into
 * several answers) and every read has a 30 s timeout.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

#define ECHO_LINE_MAX 512
#define ECHO_TIMEOUT_MS 30000

/* Write all of p; -1 on error. */
static int
echo_write(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Answer one line; 1 when the session should end. */
static int
echo_line(int fd_out, const char *line, size_t len)
{
	char out[ECHO_LINE_MAX + 64];
	int n;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 4 && memcmp(line, "quit", 4) == 0)
		return 1;
	if (len == 5 && memcmp(line, "sleep", 5) == 0)
		sleep(3);
	n = snprintf(out, sizeof(out), "uid=%ld pid=%ld %.*s\r\n",
	    (long)getuid(), (long)getpid(), (int)len, line);
	if (n < 0 || (size_t)n >= sizeof(out))
		return 1;
	return echo_write(fd_out, out, (size_t)n) != 0;
}

/* Read with a timeout; bytes read, 0 on EOF/timeout, -1 on error. */
static ssize_t
echo_read(int fd, char *p, size_t n)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int rc;

	while ((rc = poll(&pfd, 1, ECHO_TIMEOUT_MS)) < 0 && errno == EINTR)
		continue;
	if (rc <= 0)
		return rc;
	return read(fd, p, n);
}

/* One client: read lines into a bounded buffer and answer each. */
static void
echo_session(int fd_in, int fd_out, const struct server_peer *peer)
{
	char buf[ECHO_LINE_MAX];
	size_t have = 0;
	ssize_t r;

	(void)peer;
	while ((r = echo_read(fd_in, buf + have, sizeof(buf) - have)) > 0) {
		char *nl;

		have += (size_t)r;
		while ((nl = memchr(buf, '\n', have)) != NULL) {
			size_t len = (size_t)(nl - buf);

			if (echo_line(fd_out, buf, len))
				return;
			have -= len + 1;
			memmove(buf, nl + 1, have);
		}
		if (have == sizeof(buf)) {
			if (echo_line(fd_out, buf, have))
				return;
			have = 0;
		}
	}
}

/* The daemon's configuration table is the shared one; hand over. */
int
main(int argc, char **argv)
{
	static const struct server_spec spec = {
		.name = "skel_echo",
		.listen_param = "smtpd_listen",
		.user_param = "smtpd_user",
		.process_limit_param = "smtpd_process_limit",
		.unix_mode = 0666,
		.unix_group_param = NULL,
		.session = echo_session,
	};

	server_main(argc, argv, &spec);
}
