/*
 * test_auth_client.c - unit tests for common/auth_client.c against a fake
 * petrel-auth (a forked child on a unix socket in a temporary directory):
 * the request on the wire, OK with a cookie through the non-blocking
 * start/step pair, NO, DENY and TEMP as temporary failures, NO's delay and
 * WAIT's retry of the same request (auth_penalty.c's answers), a malformed
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

/* A fake service: accept n connections in turn, check that each brings
 * the request want, send it answers[i] (NULL: hang up; "": say nothing for
 * 3 s).  Returns the child's pid. */
static pid_t
fake_service_seq(const char *want, const char *const *answers, int n)
{
	struct sockaddr_un sun;
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0), fd;
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
	for (int i = 0; i < n; i++) {
		char req[2048];
		size_t len = 0;
		ssize_t got;

		if ((fd = accept(lfd, NULL, NULL)) < 0)
			_exit(1);
		while (len < strlen(want) && (got = read(fd, req + len,
		    sizeof(req) - len)) > 0)
			len += (size_t)got;
		if (len != strlen(want) || memcmp(req, want, len) != 0)
			_exit(2);
		if (answers[i] != NULL && *answers[i] == '\0')
			sleep(3);
		else if (answers[i] != NULL &&
		    write(fd, answers[i], strlen(answers[i])) < 0)
			_exit(3);
		close(fd);
	}
	_exit(0);
}

/* A fake service that answers one request. */
static pid_t
fake_service(const char *want, const char *answer)
{
	return fake_service_seq(want, &answer, 1);
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

/* Poll and step a started request until it is not AGAIN; the result. */
static int
run_steps(struct auth_client *c)
{
	const char *err = NULL;
	struct pollfd pfd;
	int rc = AUTH_CLIENT_AGAIN, rounds = 0;

	while (rc == AUTH_CLIENT_AGAIN && rounds++ < 100) {
		pfd.fd = auth_client_fd(c);
		pfd.events = (short)auth_client_events(c);
		if (pfd.fd >= 0 && poll(&pfd, 1, 5000) != 1)
			return -2;
		rc = auth_client_step(c, &err);
	}
	return rc;
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
	    cookie, NULL, &err) == 0 && cookie[0] == '\0');
	CHECK(fake_done(pid));
	pid = fake_service(want_verify, "4:DENY,16:peer not allowed,");
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    cookie, NULL, &err) == -1);
	CHECK(err != NULL && strstr(err, "peer not allowed") != NULL);
	CHECK(fake_done(pid));
	pid = fake_service(want_verify, "4:TEMP,3:map,");
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    cookie, NULL, &err) == -1);
	CHECK(fake_done(pid));
	pid = fake_service(want_verify, "2:OK,32:" COOKIE ",");
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    cookie, NULL, &err) == 1 && strcmp(cookie, COOKIE) == 0);
	CHECK(fake_done(pid));
}

/* NO carries the delay; WAIT is slept through and the same request sent
 * again; too much WAIT in all is a temporary failure. */
static void
test_penalty_answers(void)
{
	static const char *const wait_then_no[] = { "4:WAIT,1:1,",
	    "2:NO,1:4," };
	static const char *const wait_long[] = { "4:WAIT,2:60,",
	    "4:WAIT,2:60," };
	const char *err = NULL;
	struct auth_client *c;
	unsigned delay = 99;
	time_t t0 = time(NULL);
	pid_t pid;

	pid = fake_service_seq(want_verify, wait_then_no, 2);
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    NULL, &delay, &err) == 0 && delay == 4);
	CHECK(time(NULL) - t0 >= 1);
	CHECK(fake_done(pid));
	/* the non-blocking pair reports WAIT; retry sends the request again */
	pid = fake_service_seq(want_verify, wait_then_no, 2);
	c = auth_client_start_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    &err);
	CHECK(c != NULL && run_steps(c) == AUTH_CLIENT_WAIT &&
	    auth_client_delay(c) == 1 && auth_client_fd(c) < 0);
	CHECK(c != NULL && auth_client_retry(c, &err) == 0);
	CHECK(c != NULL && run_steps(c) == 0 && auth_client_delay(c) == 4);
	auth_client_free(&c);
	CHECK(fake_done(pid));
	/* a wait past auth_timeout: given up at once, not slept through */
	pid = fake_service_seq(want_verify, wait_long, 2);
	t0 = time(NULL);
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    NULL, &delay, &err) == -1 && time(NULL) - t0 <= 1);
	CHECK(err != NULL && strstr(err, "failed logins") != NULL);
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
	    NULL, NULL, &err) == -1);
	CHECK(fake_done(pid));
	pid = fake_service(want_verify, NULL);
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    NULL, NULL, &err) == -1);
	CHECK(fake_done(pid));
	var_auth_timeout = 1;
	pid = fake_service(want_verify, "");
	t0 = time(NULL);
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "192.0.2.1",
	    NULL, NULL, &err) == -1 && time(NULL) - t0 <= 2);
	CHECK(err != NULL && strstr(err, "in time") != NULL);
	CHECK(fake_done(pid));
	unlink(sock_path);
	err = NULL;
	CHECK(auth_client_verify("imap", "a@b.c", "pw!", 3, "", NULL, NULL,
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
	CHECK(auth_client_verify("imap", "a\nb", "pw", 2, "", NULL, NULL,
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
	TEST_RUN(test_penalty_answers);
	TEST_RUN(test_failures);
	TEST_RUN(test_redeem);
	unlink(sock_path);
	rmdir(dir);
	TEST_EXIT();
}
