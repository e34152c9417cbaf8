/*
 * linger.c - see linger.h: FIN first, drain the client's input for a
 * bounded time, then close, so that a pipelining client reads our last
 * reply instead of a reset.
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "linger.h"

/* Milliseconds on the monotonic clock. */
static long long
linger_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Shut down our side, drain input until EOF or a bound, close. */
void
linger_close(int fd, int max_ms)
{
	char junk[16384];
	long long end = linger_now_ms() + (max_ms > 0 ? max_ms : 0);
	size_t total = 0;

	if (fd < 0)
		return;
	if (shutdown(fd, SHUT_WR) < 0) {	/* not a socket, or gone */
		close(fd);
		return;
	}
	while (total < LINGER_MAX_BYTES) {
		long long left = end - linger_now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;
		int rc;

		if (left <= 0)
			break;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		r = recv(fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			continue;
		if (r <= 0)
			break;	/* the client closed (or reset) */
		total += (size_t)r;
	}
	close(fd);
}

/* FIN, then drop the input already queued, without waiting. */
void
linger_drain_now(int fd)
{
	char junk[16384];
	size_t total = 0;
	ssize_t r;

	if (fd < 0 || shutdown(fd, SHUT_WR) < 0)
		return;
	while (total < LINGER_MAX_BYTES &&
	    (r = recv(fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0)
		total += (size_t)r;
}
