/*
 * test_handoff.c - the handoff record between a login process and the
 * spawner (common/handoff.c): a record and its descriptor arrive whole;
 * what a hostile or broken sender makes of the message (no descriptor,
 * a short or long record, a string that does not end in its field, a
 * length that does not match) is refused, and a descriptor that came
 * with a refused record is closed, not leaked to the root spawner.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "handoff.h"

#define HEAD offsetof(struct handoff, pipelined)

static struct handoff h_out, h_in;

/* A SOCK_SEQPACKET pair, as main.c makes it. */
static int
pair(int sp[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp);
}

/* Open descriptors of this process. */
static int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (d == NULL)
		return -1;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* A well-formed record with some pipelined input. */
static void
fill(struct handoff *h, const char *pipelined)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->cookie, sizeof(h->cookie), "%s",
	    "00112233445566778899aabbccddeeff");
	snprintf(h->tag, sizeof(h->tag), "a1");
	snprintf(h->method, sizeof(h->method), "PLAIN");
	snprintf(h->rip, sizeof(h->rip), "192.0.2.1");
	snprintf(h->lip, sizeof(h->lip), "192.0.2.9");
	h->rport = 40000;
	h->lport = 110;
	h->tls = 1;
	h->pipelined_len = strlen(pipelined);
	memcpy(h->pipelined, pipelined, h->pipelined_len);
}

/* Send raw bytes, with fd attached when fd >= 0. */
static ssize_t
send_raw(int sock, const void *p, size_t len, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)p, len };
	struct msghdr mh;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof(mh));
	memset(ctl, 0, sizeof(ctl));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, 0);
}

static void
test_roundtrip(void)
{
	const char *err = NULL;
	int sp[2], pp[2], fd = -1;
	char b[8];

	REQUIRE(pair(sp) == 0 && pipe(pp) == 0);
	fill(&h_out, "STAT\r\nRETR 1\r\n");
	CHECK(handoff_send(sp[0], pp[0], &h_out, &err) == 0);
	CHECK(handoff_recv(sp[1], &fd, &h_in, &err) == 1);
	CHECK(fd >= 0 && fd != pp[0]);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK(memcmp(&h_in, &h_out, HEAD) == 0);
	CHECK(h_in.pipelined_len == 14 &&
	    memcmp(h_in.pipelined, "STAT\r\nRETR 1\r\n", 14) == 0);
	/* The descriptor is the pipe's read end. */
	CHECK(write(pp[1], "x", 1) == 1 && read(fd, b, 1) == 1 && b[0] == 'x');
	close(fd);
	/* Nothing pipelined; then EOF. */
	fill(&h_out, "");
	CHECK(handoff_send(sp[0], pp[0], &h_out, &err) == 0);
	CHECK(handoff_recv(sp[1], &fd, &h_in, &err) == 1);
	CHECK(h_in.pipelined_len == 0);
	close(fd);
	close(sp[0]);
	CHECK(handoff_recv(sp[1], &fd, &h_in, &err) == 0 && fd == -1);
	close(sp[1]);
	close(pp[0]);
	close(pp[1]);
}

static void
test_send_bounds(void)
{
	const char *err = NULL;
	int sp[2];

	CHECK(pair(sp) == 0);
	fill(&h_out, "");
	h_out.pipelined_len = HANDOFF_PIPELINE_MAX + 1;
	CHECK(handoff_send(sp[0], 0, &h_out, &err) == -1 && err != NULL);
	close(sp[0]);
	close(sp[1]);
}

/* Send raw bytes (with a descriptor when with_fd); handoff_recv must
 * refuse them and leave no descriptor open. */
static int
refused(const void *p, size_t len, int with_fd)
{
	const char *err = NULL;
	int sp[2], fd = 7, before, rc;

	before = open_fds();
	if (pair(sp) != 0)
		return 0;
	if (send_raw(sp[0], p, len, with_fd ? 0 : -1) < 0) {
		close(sp[0]);
		close(sp[1]);
		return 0;
	}
	rc = handoff_recv(sp[1], &fd, &h_in, &err);
	if (rc == 1)
		close(fd);
	close(sp[0]);
	close(sp[1]);
	return rc == -1 && fd == -1 && err != NULL && open_fds() == before;
}

static void
test_refused(void)
{
	static struct handoff h;

	fill(&h, "QUIT\r\n");
	/* Well formed, but no descriptor came with it. */
	CHECK(refused(&h, HEAD + h.pipelined_len, 0));
	/* A record cut inside its head. */
	CHECK(refused(&h, HEAD - 1, 1));
	CHECK(refused(&h, 1, 1));
	/* pipelined_len says more, or less, than came. */
	h.pipelined_len = 10;
	CHECK(refused(&h, HEAD + 6, 1));
	h.pipelined_len = 2;
	CHECK(refused(&h, HEAD + 6, 1));
	h.pipelined_len = HANDOFF_PIPELINE_MAX + 1;
	CHECK(refused(&h, HEAD + 6, 1));
	/* Longer than any record. */
	{
		static char big[sizeof(struct handoff) + 64];

		fill(&h, "");
		memcpy(big, &h, HEAD);
		CHECK(refused(big, sizeof(big), 1));
	}
	/* Each string field filled to its end without a NUL. */
	fill(&h, "");
	memset(h.cookie, 'a', sizeof(h.cookie));
	CHECK(refused(&h, HEAD, 1));
	fill(&h, "");
	memset(h.tag, 'a', sizeof(h.tag));
	CHECK(refused(&h, HEAD, 1));
	fill(&h, "");
	memset(h.method, 'a', sizeof(h.method));
	CHECK(refused(&h, HEAD, 1));
	fill(&h, "");
	memset(h.rip, 'a', sizeof(h.rip));
	CHECK(refused(&h, HEAD, 1));
	fill(&h, "");
	memset(h.lip, 'a', sizeof(h.lip));
	CHECK(refused(&h, HEAD, 1));
	/* The same record with its NULs is taken (the probe works). */
	fill(&h, "");
	CHECK(!refused(&h, HEAD, 1));
}

int
main(void)
{
	TEST_RUN(test_roundtrip);
	TEST_RUN(test_send_bounds);
	TEST_RUN(test_refused);
	TEST_EXIT();
}
