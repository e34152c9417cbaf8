/*
 * authsrv.c - the password checker of petrel-smtpd: a separate process
 * running as vmail_user (which may read user_password_maps) so that the
 * smtpd workers, which talk to the network, never can read password
 * hashes (the privilege separation t/interop/privsep.py proves).
 *
 * Public: smtpd_authsrv_start (parent, root, before the workers exist),
 * smtpd_authsrv_main (the skeleton's helper: the checker itself),
 * smtpd_authsrv_verify(user, pw, len, &errstr) - 1 ok, 0 bad user or
 * password, -1 temporary failure (checker gone, timeout).
 * Protocol: the workers share one SOCK_SEQPACKET socket to the checker.
 * For each check a worker makes a private socketpair, passes one end
 * over the shared socket (SCM_RIGHTS) and sends "user NUL password" on
 * its own end; the checker answers one byte ('1', '0' or 'T') on that
 * private channel, so answers can never reach the wrong worker.  The
 * checker serves one request at a time and exits when every holder of
 * the shared socket (parent and workers) is gone.  The parent restarts a
 * checker that dies (common/server_helper.c); the one request it was
 * answering gets a temporary failure, later ones wait for the new one.  Without a checker (-S
 * mode, where nothing was dropped) the worker looks the password up
 * itself.
 * Security: the checker reads only bounded requests from our own workers;
 * passwords are wiped after use; it never touches the network.
 */
#include <errno.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "params.h"
#include "password.h"
#include "privs.h"
#include "server.h"
#include "smtpd.h"

#define AUTHSRV_REQ_MAX 2048
#define AUTHSRV_TIMEOUT_MS 30000

static int authsrv_fd = -1;	/* the workers' end of the shared socket */

/* Receive one passed descriptor; the fd, 0 at EOF (no more clients), -1. */
static int
authsrv_recv_fd(int sock)
{
	char ctl[CMSG_SPACE(sizeof(int))], byte;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;
	int fd;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (n == 0)
		return 0;
	cm = CMSG_FIRSTHDR(&mh);
	if (n < 0 || cm == NULL || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* Answer one request on its private channel. */
static void
authsrv_answer(int fd)
{
	char req[AUTHSRV_REQ_MAX], ans;
	const char *err = NULL, *nul;
	ssize_t n = read(fd, req, sizeof(req) - 1);
	int rc = 0;

	if (n > 0 && (nul = memchr(req, '\0', (size_t)n)) != NULL)
		rc = password_lookup_verify(req, nul + 1,
		    (size_t)(req + n - nul - 1), &err);
	if (rc < 0)
		log_warn("password lookup: %s", err != NULL ? err : "error");
	explicit_bzero(req, sizeof(req));
	ans = rc > 0 ? '1' : rc == 0 ? '0' : 'T';
	if (write(fd, &ans, 1) != 1)
		(void)0;	/* the worker gave up */
	close(fd);
}

/* The checker's life (the skeleton's helper, started and restarted by the
 * parent with nothing else open): drop to vmail_user, serve until nobody
 * is left. */
void
smtpd_authsrv_main(int sock)
{
	const char *err = NULL;
	int fd;

	if (geteuid() == 0 && privs_drop(var_vmail_user, &err) != 0)
		log_fatal("auth checker: cannot become %s: %s", var_vmail_user,
		    err != NULL ? err : "error");
	while ((fd = authsrv_recv_fd(sock)) != 0) {
		if (fd > 0)
			authsrv_answer(fd);
		else if (errno != EINTR)
			log_warn("auth checker: bad request");
	}
	_exit(0);
}

/* Make the shared socket (parent, before the workers exist): the workers'
 * end stays here, the checker's end goes to the skeleton, which keeps it
 * across checker restarts, so a request made while the checker is being
 * replaced waits for the new one. */
void
smtpd_authsrv_start(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		log_fatal("socketpair: %m");
	authsrv_fd = sv[0];
	server_helper_fd(sv[1]);
}

/* Send the private channel's other end to the checker; 0 or -1. */
static int
authsrv_send_fd(int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))], byte = 'r';
	struct iovec iov = { &byte, 1 };
	struct msghdr mh;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof(mh));
	memset(ctl, 0, sizeof(ctl));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl;
	mh.msg_controllen = sizeof(ctl);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(authsrv_fd, &mh, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* Ask the checker over a fresh private channel; 1, 0 or -1. */
static int
authsrv_ask(const char *user, const char *pw, size_t len,
    const char **errstr_r)
{
	char req[AUTHSRV_REQ_MAX], ans = 'T';
	size_t ulen = strlen(user), n = ulen + 1 + len;
	struct pollfd pfd;
	int p[2], ok;

	if (n > sizeof(req))
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, p) != 0) {
		*errstr_r = "socketpair failed";
		return -1;
	}
	memcpy(req, user, ulen + 1);
	memcpy(req + ulen + 1, pw, len);
	ok = authsrv_send_fd(p[1]) == 0 &&
	    write(p[0], req, n) == (ssize_t)n;
	explicit_bzero(req, sizeof(req));
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	if (ok && (poll(&pfd, 1, AUTHSRV_TIMEOUT_MS) != 1 ||
	    read(p[0], &ans, 1) != 1))
		ans = 'T';
	close(p[0]);
	if (!ok || ans == 'T')
		*errstr_r = "the password checker did not answer";
	return ans == '1' ? 1 : ans == '0' ? 0 : -1;
}

/* Check a password: through the checker, or directly without one. */
int
smtpd_authsrv_verify(const char *user, const char *pw, size_t len,
    const char **errstr_r)
{
	if (authsrv_fd < 0)
		return password_lookup_verify(user, pw, len, errstr_r);
	return authsrv_ask(user, pw, len, errstr_r);
}
