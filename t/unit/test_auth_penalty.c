/*
 * test_auth_penalty.c - unit tests for local/auth_penalty.c, petrel-auth's
 * memory of failed logins: the penalty doubles per failure up to
 * auth_penalty_max; a penalised address gets one check per penalty period
 * (the others are told to wait) while a user's count only lengthens the
 * answer's delay; a good password clears both; old failures are forgotten
 * after auth_penalty_window; exceptions and empty addresses are never
 * counted; the table is shared with forked workers; a flood of distinct
 * addresses cannot grow it or lock anyone out.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../local/auth.h"
#include "harness.h"
#include "params.h"

/* Fail n times from addr as user at now; the last answer's delay. */
static unsigned
fail_n(const char *addr, const char *user, time_t now, int n)
{
	unsigned a, u, d = 0;

	for (int i = 0; i < n; i++)
		d = auth_penalty_failed(addr, user, now, &a, &u);
	return d;
}

/* 2, 4, 8, 15, 15 s; the failure counts are reported. */
static void
test_growth(void)
{
	unsigned a, u;

	CHECK(auth_penalty_failed("192.0.2.1", "g@x", 1000, &a, &u) == 2);
	CHECK(a == 1 && u == 1);
	CHECK(auth_penalty_failed("192.0.2.1", "g@x", 1000, &a, &u) == 4);
	CHECK(auth_penalty_failed("192.0.2.1", "g@x", 1000, &a, &u) == 8);
	CHECK(auth_penalty_failed("192.0.2.1", "g@x", 1000, &a, &u) == 15);
	CHECK(auth_penalty_failed("192.0.2.1", "g@x", 1000, &a, &u) == 15);
	CHECK(a == 5 && u == 5);
}

/* One check per penalty period for an address; success clears it. */
static void
test_address_gate(void)
{
	unsigned wait, fails;

	CHECK(auth_penalty_check("192.0.2.2", 2000, &wait, &fails) == 1);
	CHECK(wait == 0 && fails == 0);
	CHECK(fail_n("192.0.2.2", "a@x", 2000, 2) == 4);
	CHECK(auth_penalty_check("192.0.2.2", 2001, &wait, &fails) == 0);
	CHECK(wait == 3 && fails == 2);
	CHECK(auth_penalty_check("192.0.2.2", 2004, &wait, &fails) == 1);
	/* that check reserved the next 4 s: a parallel one waits */
	CHECK(auth_penalty_check("192.0.2.2", 2004, &wait, &fails) == 0);
	CHECK(wait == 4);
	auth_penalty_succeeded("192.0.2.2", "a@x", 2005);
	CHECK(auth_penalty_check("192.0.2.2", 2005, &wait, &fails) == 1);
	CHECK(fails == 0);
	/* the user's count is gone too: a failure starts again at 2 s */
	CHECK(fail_n("192.0.2.99", "a@x", 2005, 1) == 2);
}

/* A user's failures from many addresses lengthen the delay but never
 * hold a check back. */
static void
test_user_count(void)
{
	char addr[32];
	unsigned wait, fails, d = 0;

	for (int i = 1; i <= 4; i++) {
		snprintf(addr, sizeof(addr), "198.51.100.%d", i);
		d = fail_n(addr, "victim@x", 3000, 1);
	}
	CHECK(d == 15);		/* 4 failures of the user: 15 s */
	CHECK(auth_penalty_check("198.51.100.200", 3000, &wait, &fails) == 1);
	CHECK(fails == 0);
}

/* Failures older than auth_penalty_window are forgotten. */
static void
test_window(void)
{
	unsigned wait, fails;

	CHECK(fail_n("192.0.2.3", "w@x", 4000, 3) == 8);
	CHECK(auth_penalty_check("192.0.2.3", 4000 + 3599, &wait,
	    &fails) == 1 && fails == 3);
	CHECK(auth_penalty_check("192.0.2.3", 4000 + 3600 + 9, &wait,
	    &fails) == 1 && fails == 0);
	CHECK(fail_n("192.0.2.3", "w@x", 4000 + 3600 + 9, 1) == 2);
}

/* Exceptions ($mynetworks here) and requests without an address are
 * neither counted nor held back. */
static void
test_exceptions(void)
{
	unsigned wait, fails;

	CHECK(fail_n("127.0.0.1", "e@x", 5000, 5) == 0);
	CHECK(auth_penalty_check("127.0.0.1", 5000, &wait, &fails) == 1);
	CHECK(fail_n("", "e@x", 5000, 5) == 0);
	CHECK(fail_n("192.0.2.4", "e@x", 5000, 1) == 2);
}

/* A forked worker's failures are seen by the parent. */
static void
test_shared(void)
{
	unsigned wait, fails;
	int status = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fail_n("192.0.2.5", "s@x", 6000, 3) == 8 ? 0 : 1);
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && status == 0);
	CHECK(auth_penalty_check("192.0.2.5", 6001, &wait, &fails) == 0);
	CHECK(fails == 3 && wait == 7);
}

/* 100,000 distinct addresses: bounded table, penalties only forgotten. */
static void
test_flood(void)
{
	char addr[32];
	unsigned wait, fails;

	CHECK(fail_n("192.0.2.6", "f@x", 7000, 2) == 4);
	for (int i = 0; i < 100000; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", i >> 16,
		    (i >> 8) & 255, i & 255);
		(void)fail_n(addr, "flood@x", 7000 + i / 1000, 1);
	}
	/* held back or forgotten, never longer than its own penalty */
	(void)auth_penalty_check("192.0.2.6", 7001, &wait, &fails);
	CHECK(wait <= 4);
	CHECK(auth_penalty_check("203.0.113.1", 7100, &wait, &fails) == 1);
}

int
main(void)
{
	var_auth_penalty_exceptions = "127.0.0.0/8 [::1]/128";
	var_auth_penalty_initial = 2;
	var_auth_penalty_max = 15;
	var_auth_penalty_window = 3600;
	auth_penalty_init();
	auth_penalty_open();
	TEST_RUN(test_growth);
	TEST_RUN(test_address_gate);
	TEST_RUN(test_user_count);
	TEST_RUN(test_window);
	TEST_RUN(test_exceptions);
	TEST_RUN(test_shared);
	TEST_RUN(test_flood);
	TEST_EXIT();
}
