/*
 * test_auth_client.c - unit tests for common/auth_client.c against a fake
 * petrel-auth (a forked child on a unix socket in a temporary directory):
 * the request on the wire, OK with a cookie through the non-blocking
 * start/step pair, NO, DENY and TEMP as temporary failures, a malformed
 * answer, a service that hangs up or never answers (auth_timeout), and no
 * service at all outside -S mode.
 */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth_client.h"
#include "harness.h"
#include "params.h"

#define COOKIE "00112233445566778899aabbccddeeff"

static char sock_path[108];
static char listen_value[120];

/* A fake service: accept once, check the request, send answer (NULL:
 * hang up; "": say nothing for 3 s).  Returns the child's pid. */
static pid_t
fake_service(const char *want, const char *answer)
{
	struct sockaddr_un sun;
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0), fd;
	char req[2048];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock_path, strlen(sock_path));
	unlink(sock_path);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    listen(lfd, 4) != 0)
		return -1;
	if ((pid = fork()) != 0) {
		close(lfd);
		return pid;
	}
	if ((fd = accept(lfd, NULL, NULL)) < 0)
		_exit(1);
	while (len < strlen(want) && (n = read(fd, req + len,
	    sizeof(req) - len)) > 0)
		len += (size_t)n;
	if (len != strlen(want) || memcmp(req, want, len) != 0)
		_exit(2);
	if (answer != NULL && *answer == '\0')
		sleep(3);
	else if (answer != NULL && write(fd, answer, strlen(answer)) < 0)
		_exit(3);
	_exit(0);
}

/* Reap the fake service; 1 when it saw the request it wanted. */
static int
fake_done(pid_t pid)
{
	int status = 0;

	if (pid <= 0)
		return 0;
	(void)kill(pid, SIGTERM);
	return waitpid(pid, &status, 0) == pid && (WIFSIGNALED(status) ||
	    WEXITSTATUS(status) == 0);
}

static const char want_verify[] = "6:VERIFY,4:imap,5:a@b.c,3:pw!,"
    "9:192.0.2.1,";

/* OK through the non-blocking pair: poll, step, the cookie. */
static void
test_nonblocking_ok(void)
{
	pid_t pid = fake_service(want_verify, "2:OK,32:" COOKIE ",");
	const char *err = NULL;
	struct auth_client *c;
	struct pollfd pfd;
	int rc = AUTH_CLIENT_AGAIN, rounds = 0;

	c = auth_client_start_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    &err);
	CHECK(c != NULL && auth_client_fd(c) >= 0);
	while (c != NULL && rc == AUTH_CLIENT_AGAIN && rounds++ < 100) {
		pfd.fd = auth_client_fd(c);
		pfd.events = (short)auth_client_events(c);
		CHECK(poll(&pfd, 1, 5000) == 1);
		rc = auth_client_step(c, &err);
	}
	CHECK(rc == 1);
	CHECK(c != NULL && strcmp(auth_client_value(c), COOKIE) == 0);
	auth_client_free(&c);
	CHECK(c == NULL);
	CHECK(fake_done(pid));
}

/* The blocking verify maps each answer. */
static void
test_blocking_answers(void)
{
	char cookie[AUTH_CLIENT_COOKIE_SIZE];
	const char *err = NULL;
	pid_t pid;

	pid = fake_service(want_verify, "2:NO,0:,");
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    cookie, &err) == 0 && cookie[0] == '\0');
	CHECK(fake_done(pid));
	pid = fake_service(want_verify, "4:DENY,16:peer not allowed,");
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    cookie, &err) == -1);
	CHECK(err != NULL && strstr(err, "peer not allowed") != NULL);
	CHECK(fake_done(pid));
	pid = fake_service(want_verify, "4:TEMP,3:map,");
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    cookie, &err) == -1);
	CHECK(fake_done(pid));
	pid = fake_service(want_verify, "2:OK,32:" COOKIE ",");
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    cookie, &err) == 1 && strcmp(cookie, COOKIE) == 0);
	CHECK(fake_done(pid));
}

/* Junk, a hang-up, silence and no service are temporary failures. */
static void
test_failures(void)
{
	const char *err = NULL;
	time_t t0;
	pid_t pid;

	pid = fake_service(want_verify, "2:OK,32:short,");
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    NULL, &err) == -1);
	CHECK(fake_done(pid));
	pid = fake_service(want_verify, NULL);
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    NULL, &err) == -1);
	CHECK(fake_done(pid));
	var_auth_timeout = 1;
	pid = fake_service(want_verify, "");
	t0 = time(NULL);
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    NULL, &err) == -1 && time(NULL) - t0 <= 2);
	CHECK(err != NULL && strstr(err, "in time") != NULL);
	CHECK(fake_done(pid));
	unlink(sock_path);
	err = NULL;
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "", NULL,
	    &err) == -1 && err != NULL && strstr(err, "not running") != NULL);
	CHECK(auth_client_redeem(COOKIE, (char[8]){ 0 }, 8, &err) == -1);
}

/* REDEEM: the user name, and bad input that never reaches the wire. */
static void
test_redeem(void)
{
	const char *err = NULL;
	char user[64];
	pid_t pid;

	pid = fake_service("6:REDEEM,32:" COOKIE ",", "2:OK,5:a@b.c,");
	CHECK(auth_client_redeem(COOKIE, user, sizeof(user), &err) == 1);
	CHECK(strcmp(user, "a@b.c") == 0);
	CHECK(fake_done(pid));
	CHECK(auth_client_redeem("NOT-A-COOKIE", user, sizeof(user),
	    &err) == 0);
	CHECK(auth_client_verify("imap", "a\nb", "pw", 2, "", NULL,
	    &err) == 0);
}

int
main(void)
{
	char dir[] = "/tmp/test_auth_client.XXXXXX";

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(sock_path, sizeof(sock_path), "%s/auth", dir);
	snprintf(listen_value, sizeof(listen_value), "unix:%s", sock_path);
	var_auth_listen = listen_value;
	var_auth_timeout = 10;
	signal(SIGPIPE, SIG_IGN);
	TEST_RUN(test_nonblocking_ok);
	TEST_RUN(test_blocking_answers);
	TEST_RUN(test_failures);
	TEST_RUN(test_redeem);
	unlink(sock_path);
	rmdir(dir);
	TEST_EXIT();
}
