/*
 * handoff.c - sending and receiving the login stage's handoff record with
 * the client's descriptor (see handoff.h for the contract).
 * The record is the struct itself up to the pipelined bytes, followed by
 * exactly pipelined_len bytes: both ends are the same program.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handoff.h"

#define HANDOFF_HEAD offsetof(struct handoff, pipelined)

/* Send one record with fd attached. */
int
handoff_send(int sock, int client_fd, const struct handoff *h,
    const char **errstr_r)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov[2];
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	if (h->pipelined_len > HANDOFF_PIPELINE_MAX) {
		*errstr_r = "too much pipelined input";
		return -1;
	}
	iov[0].iov_base = (void *)h;
	iov[0].iov_len = HANDOFF_HEAD;
	iov[1].iov_base = (void *)h->pipelined;
	iov[1].iov_len = h->pipelined_len;
	memset(&mh, 0, sizeof(mh));
	memset(ctl, 0, sizeof(ctl));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &client_fd, sizeof(int));
	do
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)(HANDOFF_HEAD + h->pipelined_len)) {
		*errstr_r = n < 0 ? strerror(errno) : "short send";
		return -1;
	}
	return 0;
}

/* Whether a fixed-size field holds a NUL-terminated string. */
static int
handoff_str_ok(const char *field, size_t size)
{
	return memchr(field, '\0', size) != NULL;
}

/* Check a received record's fields. */
static int
handoff_valid(const struct handoff *h, size_t got)
{
	return got >= HANDOFF_HEAD &&
	    h->pipelined_len <= HANDOFF_PIPELINE_MAX &&
	    got == HANDOFF_HEAD + h->pipelined_len &&
	    handoff_str_ok(h->cookie, sizeof(h->cookie)) &&
	    handoff_str_ok(h->tag, sizeof(h->tag)) &&
	    handoff_str_ok(h->method, sizeof(h->method)) &&
	    handoff_str_ok(h->rip, sizeof(h->rip)) &&
	    handoff_str_ok(h->lip, sizeof(h->lip));
}

/* Receive one record and its descriptor. */
int
handoff_recv(int sock, int *client_fd_r, struct handoff *h,
    const char **errstr_r)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { h, sizeof(*h) };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	*client_fd_r = -1;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n < 0) {
		*errstr_r = strerror(errno);
		return -1;
	}
	cm = CMSG_FIRSTHDR(&mh);
	if (cm != NULL && cm->cmsg_level == SOL_SOCKET &&
	    cm->cmsg_type == SCM_RIGHTS && cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(client_fd_r, CMSG_DATA(cm), sizeof(int));
	if (*client_fd_r < 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    !handoff_valid(h, (size_t)n)) {
		if (*client_fd_r >= 0)
			close(*client_fd_r);
		*client_fd_r = -1;
		*errstr_r = "malformed handoff record";
		return -1;
	}
	return 1;
}
