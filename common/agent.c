/*
 * agent.c - the delivery agents' request loop on the queue manager
 * connection (see agent.h).
 *
 * Public: agent_serve(fd_in, fd_out, spec).
 * Every wait is bounded by spec->timeout; SIGTERM interrupts it (the
 * connection is persistent, so waiting for it to close would hold up a
 * shutdown).
 */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "buf.h"
#include "deliver.h"
#include "log.h"
#include "server.h"

/* Wait until fd is ready for events; 1 ready, 0 timeout, error or stop
 * (SIGTERM interrupts poll: the connection from the queue manager is
 * persistent, so waiting for it to close would hold up a shutdown). */
static int
wait_fd(int fd, short events, const struct agent_spec *spec)
{
	struct pollfd p = { .fd = fd, .events = events };
	time_t end = time(NULL) + spec->timeout;
	int r, ms;

	for (;;) {
		ms = (int)((end - time(NULL)) * 1000);
		if (ms <= 0)
			return 0;
		if (spec->idle != NULL && ms > spec->idle_ms)
			ms = spec->idle_ms;
		r = poll(&p, 1, ms);
		if (r > 0)
			return 1;
		if (r < 0 && (errno != EINTR || server_stopping()))
			return 0;
		if (r == 0 && spec->idle != NULL)
			spec->idle();
	}
}

/* Keep the one descriptor of a request; a second one is an error. */
static int
take_fd(int *qfd, int got)
{
	if (got < 0)
		return 0;
	if (*qfd >= 0) {
		close(got);
		return -1;
	}
	*qfd = got;
	return 0;
}

/* Read one request: 1 complete, 0 EOF/timeout, -1 protocol error. */
static int
read_request(int fd, struct deliver_decoder *d, int *qfd,
    const struct agent_spec *spec)
{
	char tmp[4096];
	const char *err;
	ssize_t n;
	size_t off;
	int got, r;

	for (;;) {
		if (!wait_fd(fd, POLLIN, spec))
			return 0;
		n = deliver_recv(fd, tmp, sizeof(tmp), &got);
		if (n < 0 && errno == ENOTSOCK)
			n = read(fd, tmp, sizeof(tmp));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? 0 : -1;
		if (take_fd(qfd, got) < 0)
			return -1;
		for (off = 0, r = 0; off < (size_t)n && r == 0;) {
			off += deliver_decoder_feed(d, tmp + off, (size_t)n - off);
			r = deliver_decoder_run(d, &err);
		}
		if (r < 0 || (r == 1 && off < (size_t)n))
			return -1;
		if (r == 1)
			return 1;
	}
}

/* Write the whole reply; 0 or -1. */
static int
write_reply(int fd, const struct buf *b, const struct agent_spec *spec)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->len) {
		if (!wait_fd(fd, POLLOUT, spec))
			return -1;
		n = write(fd, b->data + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* Serve requests until the queue manager closes or misbehaves. */
void
agent_serve(int fd_in, int fd_out, const struct agent_spec *spec)
{
	struct deliver_decoder *d = deliver_decoder_new(DELIVER_REQUEST);
	struct buf *reply = buf_new(1024, 0);
	int qfd = -1, r;

	while ((r = read_request(fd_in, d, &qfd, spec)) == 1) {
		if (qfd < 0) {
			log_warn("delivery request without queue file");
			break;
		}
		buf_reset(reply);
		spec->handle(qfd, &d->msg, reply);
		close(qfd);
		qfd = -1;
		deliver_decoder_reset(d);
		if (deliver_encode_end(reply) < 0 ||
		    write_reply(fd_out, reply, spec) < 0)
			break;
	}
	if (r < 0)
		log_warn("queue manager connection: protocol error");
	if (qfd >= 0)
		close(qfd);
	buf_free(&reply);
	deliver_decoder_free(&d);
}
