/*
 * test_conn.c - unit tests for common/conn.c over a socketpair and pipes:
 * pipelined lines, output flushed before blocking, too-long lines, raw
 * reads after lines, read timeout, session deadline, EOF and sticky write
 * errors.
 */
#include <sys/socket.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "harness.h"

/* Write a C string to fd completely. */
static int
put(int fd, const char *s)
{
	return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
}

/* 1 if the next line read equals want. */
static int
line_is(struct conn *c, const char *want)
{
	const char *line;
	size_t len;
	enum line_ending e;

	if (conn_read_line(c, &line, &len, &e) != CONN_LINE)
		return 0;
	return len == strlen(want) && memcmp(line, want, len) == 0;
}

/* Several commands in one segment come out one by one. */
static void
test_pipelined(void)
{
	int sv[2];
	struct conn *c;
	char rep[64];
	ssize_t n;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0], sv[0], 64, 5);
	CHECK(put(sv[1], "MAIL FROM:<a>\r\nRCPT TO:<b>\r\nDATA\r\n") == 0);
	CHECK(line_is(c, "MAIL FROM:<a>"));
	CHECK(conn_input_pending(c) > 0);
	conn_puts(c, "250 ok\r\n");
	CHECK(line_is(c, "RCPT TO:<b>"));
	conn_printf(c, "250 %s\r\n", "ok");
	CHECK(line_is(c, "DATA"));
	CHECK(conn_input_pending(c) == 0);
	CHECK(conn_flush(c) == 0);
	n = read(sv[1], rep, sizeof(rep) - 1);
	CHECK(n == 16 && memcmp(rep, "250 ok\r\n250 ok\r\n", 16) == 0);
	conn_close(c);
	conn_free(&c);
	CHECK(c == NULL);
	close(sv[1]);
}

/* Output is flushed before the reader blocks, so no deadlock. */
static void
test_flush_before_read(void)
{
	int sv[2];
	struct conn *c;
	pid_t pid;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	pid = fork();
	if (pid == 0) {		/* peer: answer each greeting with a line */
		char b[64];
		close(sv[0]);
		if (read(sv[1], b, sizeof(b)) > 0)
			(void)!put(sv[1], "EHLO x\r\n");
		_exit(0);
	}
	close(sv[1]);
	c = conn_new(sv[0], sv[0], 64, 5);
	conn_puts(c, "220 hi\r\n");
	CHECK(line_is(c, "EHLO x"));
	conn_close(c);
	conn_free(&c);
}

/* Too-long line, then raw bytes (buffered first), then EOF. */
static void
test_long_raw_eof(void)
{
	int sv[2];
	struct conn *c;
	const char *line;
	size_t len;
	enum line_ending e;
	char raw[16];
	long n;

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0], sv[0], 16, 5);
	CHECK(put(sv[1], "0123456789012345678901234567890\r\nBDAT 5\r\nabcde") == 0);
	CHECK(conn_read_line(c, &line, &len, &e) == CONN_TOO_LONG);
	CHECK(line_is(c, "BDAT 5"));
	n = conn_read_raw(c, raw, 3);
	CHECK(n == 3 && memcmp(raw, "abc", 3) == 0);
	n = conn_read_raw(c, raw, sizeof(raw));
	CHECK(n == 2 && memcmp(raw, "de", 2) == 0);
	CHECK(put(sv[1], "xyz") == 0);
	n = conn_read_raw(c, raw, sizeof(raw));
	CHECK(n == 3);
	close(sv[1]);
	CHECK(conn_read_raw(c, raw, sizeof(raw)) == 0);
	CHECK(conn_read_line(c, &line, &len, &e) == CONN_EOF && !c->timed_out);
	conn_close(c);
	conn_free(&c);
}

/* A silent peer times out; a passed deadline ends the session at once. */
static void
test_timeout_deadline(void)
{
	int sv[2];
	struct conn *c;
	const char *line;
	size_t len;
	enum line_ending e;
	time_t t0 = time(NULL);

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0], sv[0], 64, 1);
	CHECK(put(sv[1], "partial") == 0);
	CHECK(conn_read_line(c, &line, &len, &e) == CONN_EOF && c->timed_out);
	CHECK(time(NULL) - t0 <= 3);
	conn_free(&c);
	c = conn_new(sv[0], sv[0], 64, 100);
	conn_set_deadline(c, time(NULL) - 1);
	t0 = time(NULL);
	CHECK(conn_read_line(c, &line, &len, &e) == CONN_EOF && c->timed_out);
	CHECK(time(NULL) - t0 <= 1);
	conn_close(c);
	conn_free(&c);
	close(sv[1]);
}

/* Pipes work (-S mode); a write to a closed peer is a sticky error. */
static void
test_pipes_broken(void)
{
	int in[2], out[2];
	struct conn *c;
	char big[40000];

	REQUIRE(pipe(in) == 0 && pipe(out) == 0);
	c = conn_new(in[0], out[1], 64, 2);
	CHECK(put(in[1], "QUIT\n") == 0);
	CHECK(line_is(c, "QUIT"));
	close(out[0]);
	memset(big, 'x', sizeof(big));
	conn_write(c, big, sizeof(big));
	CHECK(conn_flush(c) == -1 && c->broken);
	conn_puts(c, "more");
	CHECK(conn_flush(c) == -1);
	conn_close(c);
	conn_free(&c);
	close(in[1]);
}

/* Run the conn tests. */
int
main(void)
{
	TEST_RUN(test_pipelined);
	TEST_RUN(test_flush_before_read);
	TEST_RUN(test_long_raw_eof);
	TEST_RUN(test_timeout_deadline);
	TEST_RUN(test_pipes_broken);
	TEST_EXIT();
}
