/*
 * fuzz_handoff.c - libFuzzer target for common/handoff.c's receiver: the
 * record the pre-login process (which talks to the network) sends the
 * root spawner with the client's descriptor.
 *
 * Input: the raw record bytes, sent over a SOCK_SEQPACKET socketpair with
 * a descriptor attached when the first byte is even.  Checks: 1 only with
 * a descriptor and a record whose strings end inside their fields and
 * whose pipelined length matches; such a record sent again with
 * handoff_send is received unchanged; on -1 the descriptor that came
 * with it is closed (the lowest free descriptor number is the same after
 * every run: nothing leaks in the root spawner).
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handoff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sv[2] = { -1, -1 };

/* The lowest free descriptor number. */
static int
lowest_free(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

/* Send p/n as one message, with a descriptor when fd >= 0. */
static void
send_raw(const void *p, size_t n, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)(uintptr_t)p, n };
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
	if (sendmsg(sv[0], &mh, MSG_NOSIGNAL) != (ssize_t)n)
		abort();
}

/* Aborts unless a field holds a NUL-terminated string. */
static void
check_str(const char *f, size_t size)
{
	if (memchr(f, '\0', size) == NULL)
		abort();
}

/* A record accepted once is accepted again unchanged. */
static void
check_resend(const struct handoff *h)
{
	static struct handoff h2;
	const char *err;
	int fd;

	check_str(h->cookie, sizeof(h->cookie));
	check_str(h->tag, sizeof(h->tag));
	check_str(h->method, sizeof(h->method));
	check_str(h->rip, sizeof(h->rip));
	check_str(h->lip, sizeof(h->lip));
	if (h->pipelined_len > HANDOFF_PIPELINE_MAX)
		abort();
	if (handoff_send(sv[0], 0, h, &err) != 0 ||
	    handoff_recv(sv[1], &fd, &h2, &err) != 1 || fd < 0)
		abort();
	close(fd);
	if (h2.pipelined_len != h->pipelined_len ||
	    memcmp(&h2, h, offsetof(struct handoff, pipelined)) != 0 ||
	    memcmp(h2.pipelined, h->pipelined, h->pipelined_len) != 0)
		abort();
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct handoff h;
	const char *err;
	int fd, r, low;

	if (size < 2 || size > sizeof(h) + 64)
		return 0;
	if (sv[0] < 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC,
	    0, sv) != 0)
		abort();
	low = lowest_free();
	send_raw(data + 1, size - 1, data[0] % 2 == 0 ? 0 : -1);
	r = handoff_recv(sv[1], &fd, &h, &err);
	if (r != 1 && r != -1)
		abort();
	if (r == 1) {
		if (fd < 0 || data[0] % 2 != 0)
			abort();
		close(fd);
		check_resend(&h);
	} else if (fd != -1) {
		abort();
	}
	if (lowest_free() != low)
		abort();
	return 0;
}
