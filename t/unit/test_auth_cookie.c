/*
 * test_auth_cookie.c - unit tests for local/auth_cookie.c, petrel-auth's
 * table of one-time login cookies: a cookie redeems once and only for its
 * user, expires after AUTH_COOKIE_TTL seconds, a full table evicts the
 * oldest cookie, and the table is shared with a forked child.
 */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../local/auth.h"
#include "auth_proto.h"
#include "harness.h"

#define SLOTS 4

/* A cookie is 32 lower-case hex digits and redeems exactly once. */
static void
test_once(void)
{
	char c1[AUTH_PROTO_COOKIE_LEN + 1], c2[AUTH_PROTO_COOKIE_LEN + 1];
	char user[AUTH_PROTO_USER_MAX + 1];

	CHECK(auth_cookie_issue("alice@example.test", 100, c1) == 0);
	CHECK(auth_cookie_issue("bob@example.test", 100, c2) == 0);
	CHECK(strlen(c1) == AUTH_PROTO_COOKIE_LEN && strcmp(c1, c2) != 0);
	CHECK(strspn(c1, "0123456789abcdef") == AUTH_PROTO_COOKIE_LEN);
	CHECK(auth_cookie_redeem(c2, 101, user, sizeof(user)) == 1);
	CHECK(strcmp(user, "bob@example.test") == 0);
	CHECK(auth_cookie_redeem(c2, 101, user, sizeof(user)) == 0);
	CHECK(auth_cookie_redeem(c1, 101, user, sizeof(user)) == 1);
	CHECK(strcmp(user, "alice@example.test") == 0);
	CHECK(auth_cookie_redeem(c1, 101, user, sizeof(user)) == 0);
	CHECK(auth_cookie_redeem("0123456789abcdef0123456789abcdef", 101,
	    user, sizeof(user)) == 0);
	CHECK(auth_cookie_redeem("zz", 101, user, sizeof(user)) == 0);
	CHECK(auth_cookie_issue("", 100, c1) == -1);
}

/* A cookie dies AUTH_COOKIE_TTL seconds after it was issued. */
static void
test_expiry(void)
{
	char c[AUTH_PROTO_COOKIE_LEN + 1], user[64];

	CHECK(auth_cookie_issue("carol@example.test", 1000, c) == 0);
	CHECK(auth_cookie_redeem(c, 1000 + AUTH_COOKIE_TTL, user,
	    sizeof(user)) == 0);
	CHECK(auth_cookie_issue("carol@example.test", 1000, c) == 0);
	CHECK(auth_cookie_redeem(c, 1000 + AUTH_COOKIE_TTL - 1, user,
	    sizeof(user)) == 1);
}

/* A full table evicts the oldest live cookie, and only that one. */
static void
test_evict(void)
{
	char c[SLOTS + 1][AUTH_PROTO_COOKIE_LEN + 1], user[64];

	for (int i = 0; i <= SLOTS; i++)
		CHECK(auth_cookie_issue(i == 0 ? "oldest@x" : "u@x", 2000 + i,
		    c[i]) == 0);
	CHECK(auth_cookie_redeem(c[0], 2010, user, sizeof(user)) == 0);
	for (int i = 1; i <= SLOTS; i++)
		CHECK(auth_cookie_redeem(c[i], 2010, user, sizeof(user)) == 1);
}

/* A cookie issued in a child (another pool worker) redeems here. */
static void
test_shared(void)
{
	char c[AUTH_PROTO_COOKIE_LEN + 1], user[64];
	int p[2], status = 0;
	pid_t pid;

	CHECK(pipe(p) == 0);
	if ((pid = fork()) == 0) {
		char mine[AUTH_PROTO_COOKIE_LEN + 1];

		if (auth_cookie_issue("dave@x", 3000, mine) == 0 &&
		    write(p[1], mine, AUTH_PROTO_COOKIE_LEN) ==
		    AUTH_PROTO_COOKIE_LEN)
			_exit(0);
		_exit(1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && status == 0);
	CHECK(read(p[0], c, AUTH_PROTO_COOKIE_LEN) == AUTH_PROTO_COOKIE_LEN);
	c[AUTH_PROTO_COOKIE_LEN] = '\0';
	CHECK(auth_cookie_redeem(c, 3001, user, sizeof(user)) == 1);
	CHECK(strcmp(user, "dave@x") == 0);
	close(p[0]);
	close(p[1]);
}

int
main(void)
{
	auth_cookie_init(SLOTS);
	TEST_RUN(test_once);
	TEST_RUN(test_expiry);
	TEST_RUN(test_evict);
	TEST_RUN(test_shared);
	TEST_EXIT();
}
