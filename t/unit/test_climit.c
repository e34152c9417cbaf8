/*
 * test_climit.c - unit tests for common/climit.c: the count and rate
 * limits, exceptions, counts shared by forked children, a killed holder
 * that frees its count, the handover of a slot to a receiver and on to a
 * session process, a reused pid's slots, a full table, connection
 * identities, and many processes connecting at once without ever passing
 * the limit.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "climit.h"
#include "harness.h"
#include "netmatch.h"

#define A1 "192.0.2.1"
#define A2 "192.0.2.2"

/* A fresh table of n slots (the test fails without one). */
static struct climit *
table(size_t n)
{
	const char *err = NULL;
	struct climit *t = climit_new(n, &err);

	CHECK(t != NULL);
	return t;
}

/* A policy with count and rate limits and no exceptions. */
static struct climit_policy
policy(long count, long rate)
{
	struct climit_policy p;

	memset(&p, 0, sizeof(p));
	p.count_limit = count;
	p.rate_limit = rate;
	return p;
}

/* A child that takes a slot for addr, reports it on a pipe, then waits
 * for its stdin-like pipe to close (or to be killed); release says
 * whether it frees its slot before exiting. */
static pid_t
holder(struct climit *t, const char *addr, uint64_t conn, int release,
    int *wait_w_r)
{
	struct climit_policy p = policy(0, 0);
	int ready[2], hold[2];
	long slot = -1;
	char b = 0;
	pid_t pid;

	if (pipe(ready) != 0 || pipe(hold) != 0)
		return -1;
	if ((pid = fork()) == 0) {
		/* Other holders' pipes: their ends must close with ours. */
		for (int fd = 3; fd < 256; fd++)
			if (fd != ready[1] && fd != hold[0])
				close(fd);
		b = climit_connect(t, &p, addr, conn, 1000, &slot) == CLIMIT_OK &&
		    slot >= 0 ? 'y' : 'n';
		if (write(ready[1], &b, 1) != 1)
			_exit(2);
		if (read(hold[0], &b, 1) < 0)
			b = 0;	/* either way: go */
		if (release)
			climit_release(t, slot, getpid());
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	if (pid < 0 || read(ready[0], &b, 1) != 1 || b != 'y')
		pid = -1;
	close(ready[0]);
	*wait_w_r = hold[1];
	return pid;
}

/* Let a holder go and collect it; 1 when it exited normally. */
static int
finish(pid_t pid, int wait_w)
{
	int st = 0;

	close(wait_w);
	if (waitpid(pid, &st, 0) != pid)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void
test_count_limit(void)
{
	struct climit *t = table(100);
	struct climit_policy p = policy(3, 0);
	long s[4];

	for (int i = 0; i < 3; i++) {
		CHECK(climit_connect(t, &p, A1, 0, 1000, &s[i]) == CLIMIT_OK);
		CHECK(s[i] >= 0);
	}
	CHECK(climit_count(t, A1) == 3);
	CHECK(climit_connect(t, &p, A1, 0, 1000, &s[3]) == CLIMIT_COUNT);
	CHECK(s[3] == -1);
	CHECK(climit_count(t, A1) == 3);
	CHECK(climit_connect(t, &p, A2, 0, 1000, &s[3]) == CLIMIT_OK);
	climit_release(t, s[3], getpid());
	climit_release(t, s[0], getpid() + 1);	/* not its holder: no-op */
	CHECK(climit_count(t, A1) == 3);
	climit_release(t, s[0], getpid());
	CHECK(climit_count(t, A1) == 2);
	CHECK(climit_connect(t, &p, A1, 0, 1000, &s[0]) == CLIMIT_OK);
	CHECK(climit_connect(t, &p, A1, 0, 1000, &s[3]) == CLIMIT_COUNT);
	climit_release(t, -1, getpid());	/* harmless */
	climit_release(t, 1L << 30, getpid());
	climit_free(&t);
	CHECK(t == NULL);
	climit_free(&t);
}

static void
test_rate_limit(void)
{
	struct climit *t = table(100);
	struct climit_policy p = policy(0, 5);
	long s;

	for (int i = 0; i < 5; i++) {
		CHECK(climit_connect(t, &p, A1, 0, 1000 + i, &s) == CLIMIT_OK);
		climit_release(t, s, getpid());
	}
	CHECK(climit_connect(t, &p, A1, 0, 1010, &s) == CLIMIT_RATE);
	CHECK(s == -1);
	CHECK(climit_count(t, A1) == 0);
	CHECK(climit_connect(t, &p, A2, 0, 1010, &s) == CLIMIT_OK);
	/* The window is one minute from its first connection. */
	CHECK(climit_connect(t, &p, A1, 0, 1000 + CLIMIT_WINDOW - 1, &s) ==
	    CLIMIT_RATE);
	CHECK(climit_connect(t, &p, A1, 0, 1000 + CLIMIT_WINDOW, &s) ==
	    CLIMIT_OK);
	/* A clock that went back starts a new window too. */
	for (int i = 0; i < 4; i++)
		CHECK(climit_connect(t, &p, A1, 0, 1100, &s) == CLIMIT_OK);
	CHECK(climit_connect(t, &p, A1, 0, 1100, &s) == CLIMIT_RATE);
	CHECK(climit_connect(t, &p, A1, 0, 500, &s) == CLIMIT_OK);
	climit_free(&t);
}

static void
test_message_rate(void)
{
	struct climit *t = table(100);
	struct climit_policy p = policy(0, 0);

	CHECK(climit_message(t, &p, A1, 1000) == CLIMIT_OK);	/* off */
	p.message_rate_limit = 2;
	CHECK(climit_message(t, &p, A1, 1000) == CLIMIT_OK);
	CHECK(climit_message(t, &p, A1, 1000) == CLIMIT_OK);
	CHECK(climit_message(t, &p, A1, 1001) == CLIMIT_RATE);
	CHECK(climit_message(t, &p, A2, 1001) == CLIMIT_OK);
	CHECK(climit_message(t, &p, A1, 1000 + CLIMIT_WINDOW) == CLIMIT_OK);
	CHECK(climit_message(NULL, &p, A1, 1000) == CLIMIT_OK);
	climit_free(&t);
}

static void
test_exempt(void)
{
	struct climit *t = table(100);
	struct climit_policy p = policy(1, 1);
	struct netmatch *nm = climit_exempt_new("x", "192.0.2.0/31");
	long s;

	p.exempt = nm;
	for (int i = 0; i < 10; i++) {
		CHECK(climit_connect(t, &p, A1, 0, 1000, &s) == CLIMIT_OK);
		CHECK(s == -1);
	}
	CHECK(climit_count(t, A1) == 0);
	CHECK(climit_connect(t, &p, A2, 0, 1000, &s) == CLIMIT_OK);
	CHECK(climit_connect(t, &p, A2, 0, 1000, &s) == CLIMIT_COUNT);
	/* No table, or no address (a UNIX socket): nothing is limited. */
	CHECK(climit_connect(NULL, &p, A2, 0, 1000, &s) == CLIMIT_OK);
	CHECK(climit_connect(t, &p, "", 0, 1000, &s) == CLIMIT_OK);
	CHECK(s == -1);
	netmatch_free(&nm);
	climit_free(&t);
}

/* Counts made by forked children are seen by the parent and the other
 * children; a child's release is seen too. */
static void
test_shared_children(void)
{
	struct climit *t = table(100);
	struct climit_policy p = policy(3, 0);
	pid_t kid[3];
	int w[3] = { -1, -1, -1 };
	long s;

	for (int i = 0; i < 3; i++)
		CHECK((kid[i] = holder(t, A1, 0, 1, &w[i])) > 0);
	CHECK(climit_count(t, A1) == 3);
	CHECK(climit_connect(t, &p, A1, 0, 1000, &s) == CLIMIT_COUNT);
	CHECK(finish(kid[0], w[0]));
	CHECK(climit_count(t, A1) == 2);
	CHECK(climit_connect(t, &p, A1, 0, 1000, &s) == CLIMIT_OK);
	CHECK(climit_connect(t, &p, A1, 0, 1000, &s) == CLIMIT_COUNT);
	CHECK(finish(kid[1], w[1]));
	CHECK(finish(kid[2], w[2]));
	CHECK(climit_count(t, A1) == 1);
	climit_free(&t);
}

/* A holder killed without releasing frees its count at once. */
static void
test_killed_holder(void)
{
	struct climit *t = table(100);
	struct climit_policy p = policy(1, 0);
	int w = -1, st;
	pid_t kid;
	long s;

	CHECK((kid = holder(t, A1, 0, 1, &w)) > 0);
	CHECK(climit_connect(t, &p, A1, 0, 1000, &s) == CLIMIT_COUNT);
	CHECK(kill(kid, SIGKILL) == 0);
	CHECK(waitpid(kid, &st, 0) == kid);
	close(w);
	CHECK(climit_count(t, A1) == 0);
	CHECK(climit_connect(t, &p, A1, 0, 1000, &s) == CLIMIT_OK);
	/* And one that exits without releasing. */
	CHECK((kid = holder(t, A2, 0, 0, &w)) > 0);
	CHECK(climit_count(t, A2) == 1);
	CHECK(finish(kid, w));
	CHECK(climit_count(t, A2) == 0);
	climit_free(&t);
}

/* A login process hands its slot to the receiver (the spawner), which
 * gives it to the session; the count follows the connection until the
 * session ends, and dies with whoever holds it. */
static void
test_hand_over(void)
{
	struct climit *t = table(100);
	pid_t login, session;
	int wl = -1, ws = -1, st;
	long slot;

	CHECK(climit_hand_over(t, 0, 42) == -1);	/* not ours */
	climit_set_receiver(t, getpid());
	CHECK((login = holder(t, A1, 42, 0, &wl)) > 0);
	CHECK(climit_claim(t, 0, getpid()) == -1);	/* no identity */
	CHECK(climit_claim(t, 43, getpid()) == -1);
	/* The login process is gone; we received its connection. */
	CHECK((slot = climit_claim(t, 42, getpid())) >= 0);
	CHECK(finish(login, wl));
	CHECK(climit_count(t, A1) == 1);
	/* The session process serves it now. */
	CHECK((session = holder(t, A2, 0, 1, &ws)) > 0);
	CHECK(climit_claim(t, 42, session) == slot);
	CHECK(climit_count(t, A1) == 1);
	climit_release(t, slot, getpid());	/* no longer ours */
	CHECK(climit_count(t, A1) == 1);
	CHECK(kill(session, SIGKILL) == 0);
	CHECK(waitpid(session, &st, 0) == session);
	close(ws);
	CHECK(climit_count(t, A1) == 0);
	climit_free(&t);
}

/* hand_over moves only a slot still held by us with the same identity. */
static void
test_hand_over_own(void)
{
	struct climit *t = table(100);
	struct climit_policy p = policy(0, 0);
	long s;

	CHECK(climit_connect(t, &p, A1, 77, 1000, &s) == CLIMIT_OK);
	CHECK(climit_hand_over(t, s, 77) == -1);	/* no receiver yet */
	climit_set_receiver(t, getppid());
	CHECK(climit_hand_over(t, s, 78) == -1);
	CHECK(climit_hand_over(t, s, 77) == 0);
	CHECK(climit_hand_over(t, s, 77) == -1);	/* not ours now */
	climit_release(t, s, getpid());
	CHECK(climit_count(t, A1) == 1);		/* the receiver's */
	climit_release(t, s, getppid());
	CHECK(climit_count(t, A1) == 0);
	CHECK(climit_hand_over(NULL, s, 77) == -1);
	climit_free(&t);
}

/* A new process frees what a dead one left under the same pid. */
static void
test_forget_pid(void)
{
	struct climit *t = table(100);
	struct climit_policy p = policy(1, 0);
	long s, s2;

	CHECK(climit_connect(t, &p, A1, 0, 1000, &s) == CLIMIT_OK);
	CHECK(climit_connect(t, &p, A2, 0, 1000, &s2) == CLIMIT_OK);
	climit_forget_pid(t, getpid() + 1);	/* someone else's: kept */
	climit_forget_pid(t, 0);
	CHECK(climit_count(t, A1) == 1);
	climit_forget_pid(t, getpid());
	CHECK(climit_count(t, A1) == 0);
	CHECK(climit_count(t, A2) == 0);
	CHECK(climit_connect(t, &p, A1, 0, 1000, &s) == CLIMIT_OK);
	climit_forget_pid(NULL, getpid());
	climit_free(&t);
}

/* A full table admits uncounted; the slots of dead holders come back. */
static void
test_full_table(void)
{
	struct climit *t = table(1);	/* raised to CLIMIT_SLOTS_MIN */
	struct climit_policy p = policy(1, 0);
	char addr[32];
	int w, st;
	pid_t kid;
	long s;

	CHECK((kid = holder(t, A1, 0, 0, &w)) > 0);
	for (int i = 1; i < CLIMIT_SLOTS_MIN; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		CHECK(climit_connect(t, &p, addr, 0, 1000, &s) == CLIMIT_OK);
		CHECK(s >= 0);
	}
	CHECK(climit_connect(t, &p, A2, 0, 1000, &s) == CLIMIT_OK);
	CHECK(s == -1);
	CHECK(kill(kid, SIGKILL) == 0);
	CHECK(waitpid(kid, &st, 0) == kid);
	close(w);
	CHECK(climit_connect(t, &p, A2, 0, 1000, &s) == CLIMIT_OK);
	CHECK(s >= 0);
	CHECK(climit_connect(t, &p, A2, 0, 1000, &s) == CLIMIT_COUNT);
	climit_free(&t);
}

/* Several processes connect and disconnect at once: the limit is never
 * passed and nothing is left counted. */
static void
test_concurrent(void)
{
	struct climit *t = table(200);
	struct climit_policy p = policy(2, 0);
	pid_t kid[6];
	int st, ok = 1;

	for (int i = 0; i < 6; i++) {
		if ((kid[i] = fork()) == 0) {
			long s;
			int bad = 0;

			for (int n = 0; n < 2000; n++) {
				if (climit_connect(t, &p, A1, 0, 1000, &s) !=
				    CLIMIT_OK)
					continue;
				if (climit_count(t, A1) > 2)
					bad = 1;
				climit_release(t, s, getpid());
			}
			_exit(bad);
		}
		CHECK(kid[i] > 0);
	}
	for (int i = 0; i < 6; i++)
		if (kid[i] > 0 && (waitpid(kid[i], &st, 0) != kid[i] ||
		    !WIFEXITED(st) || WEXITSTATUS(st) != 0))
			ok = 0;
	CHECK(ok);
	CHECK(climit_count(t, A1) == 0);
	climit_free(&t);
}

/* A TCP connection on loopback: the accepted socket and the client's. */
static int
tcp_pair(int *srv_r, int *cli_r)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(l, 1) != 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) != 0)
		return -1;
	*cli_r = socket(AF_INET, SOCK_STREAM, 0);
	if (*cli_r < 0 || connect(*cli_r, (struct sockaddr *)&a,
	    sizeof(a)) != 0)
		return -1;
	*srv_r = accept(l, NULL, NULL);
	close(l);
	return *srv_r >= 0 ? 0 : -1;
}

static void
test_conn_id(void)
{
	int sp[2], srv = -1, cli = -1, d;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	CHECK(climit_conn_id(sp[0]) == 0);
	CHECK(climit_conn_id(-1) == 0);
	close(sp[0]);
	close(sp[1]);
	CHECK(tcp_pair(&srv, &cli) == 0);
	CHECK(climit_conn_id(srv) != 0);
	CHECK(climit_conn_id(srv) != climit_conn_id(cli));
	d = dup(srv);		/* as the spawner receives it */
	CHECK(climit_conn_id(d) == climit_conn_id(srv));
	close(d);
	close(srv);
	close(cli);
}

int
main(void)
{
	TEST_RUN(test_count_limit);
	TEST_RUN(test_rate_limit);
	TEST_RUN(test_message_rate);
	TEST_RUN(test_exempt);
	TEST_RUN(test_shared_children);
	TEST_RUN(test_killed_holder);
	TEST_RUN(test_hand_over);
	TEST_RUN(test_hand_over_own);
	TEST_RUN(test_forget_pid);
	TEST_RUN(test_full_table);
	TEST_RUN(test_concurrent);
	TEST_RUN(test_conn_id);
	TEST_EXIT();
}
