/*
 * test_tls.c - unit tests for common/tls.c, tls_cert.c and the TLS side of
 * common/conn.c, over socketpairs with a forked peer: self-signed pair
 * generation, handshake and line exchange both ways, 1 MB transfers in
 * both directions (partial writes), close_notify as EOF, name verification
 * (match, wildcard, mismatch, IP literal, unknown CA), the STARTTLS
 * discard rule on both sides, plaintext-garbage and silent peers (fail
 * fast / within the timeout), and "TLS needs a socket".
 * Peers run in a child with alarm() so nothing can hang; the child's exit
 * code tells which of its checks failed (0 = all fine).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "harness.h"
#include "peer.h"
#include "tls.h"

#define BIG	(1024 * 1024)
#define CN	"mail.example.test"

static char dir[64], certfile[128], keyfile[128], wcert[128], wkey[128];
static struct tls_ctx *srv_ctx, *wild_ctx, *ca_ctx, *sys_ctx;
static struct tls_ctx *peer_ctx;	/* the server context srv_main uses */

/* Pattern byte i of the big transfers (includes CR and LF). */
static unsigned char
pat(size_t i)
{
	return (unsigned char)((i * 7 + i / 251) & 0xff);
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

/* Read exactly BIG raw bytes through c and check the pattern; 0 or -1. */
static int
read_big(struct conn *c)
{
	static char b[65536];
	size_t got = 0;

	while (got < BIG) {
		size_t want = BIG - got < sizeof(b) ? BIG - got : sizeof(b);
		long r = conn_read_raw(c, b, want);

		if (r <= 0)
			return -1;
		for (long i = 0; i < r; i++)
			if ((unsigned char)b[i] != pat(got + (size_t)i))
				return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Queue BIG pattern bytes in one conn_write and flush; 0 or -1. */
static int
write_big(struct conn *c)
{
	unsigned char *b = malloc(BIG);
	int rc;

	for (size_t i = 0; i < BIG; i++)
		b[i] = pat(i);
	conn_write(c, b, BIG);
	rc = conn_flush(c);
	free(b);
	return rc;
}

/* End a peer's connection and pass its exit code through. */
static int
peer_done(struct conn *c, int rc)
{
	conn_close(c);
	conn_free(&c);
	return rc;
}

/* Server peer: TLS, then ECHO / BIG / SEND / QUIT commands. */
static int
srv_main(int fd)
{
	struct conn *c = conn_new(fd, fd, 1024, 5);
	const char *err, *line;
	size_t len;
	enum line_ending e;

	if (conn_starttls_server(c, peer_ctx, &err) < 0)
		return peer_done(c, 1);
	if (!conn_is_tls(c))
		return peer_done(c, 2);
	while (conn_read_line(c, &line, &len, &e) == CONN_LINE) {
		if (len == 4 && memcmp(line, "QUIT", 4) == 0)
			break;
		if (len == 3 && memcmp(line, "BIG", 3) == 0)
			conn_puts(c, read_big(c) == 0 ? "GOT\r\n" : "BAD\r\n");
		else if (len == 4 && memcmp(line, "SEND", 4) == 0)
			(void)!write_big(c);
		else
			conn_printf(c, "ECHO %.*s\r\n", (int)len, line);
	}
	conn_puts(c, "BYE\r\n");
	return peer_done(c, conn_flush(c) < 0 ? 3 : 0);
}

/* Self-signed pairs: files, key mode, loadable, key/cert mismatch caught. */
static void
test_selfsigned(void)
{
	struct stat st;
	const char *err = NULL;
	struct tls_ctx *bad;

	CHECK(stat(keyfile, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(certfile, &st) == 0 && st.st_size > 500);
	CHECK(srv_ctx != NULL && wild_ctx != NULL && ca_ctx != NULL);
	bad = tls_server_ctx_new(certfile, wkey, &err);
	CHECK(bad == NULL && err != NULL && strstr(err, "mismatch"));
	bad = tls_server_ctx_new("/nonexistent/cert.pem", keyfile, &err);
	CHECK(bad == NULL && strstr(err, "certificate") != NULL);
	CHECK(tls_make_selfsigned(wcert, wkey, "a,DNS:evil", &err) < 0);
	CHECK(tls_client_ctx_new("/nonexistent/ca.pem", NULL, &err) == NULL);
}

/* Lines both ways, 1 MB each way, close_notify seen as EOF. */
static void
test_exchange(void)
{
	int fd;
	pid_t pid = test_peer_spawn(&fd, srv_main, 8);
	struct conn *c = conn_new(fd, fd, 1024, 5);
	const char *err = "";
	char info[128], b[16];

	CHECK(!conn_is_tls(c));
	CHECK(conn_starttls_client(c, sys_ctx, CN, CONN_TLS_VERIFY_NONE,
	    &err) == 0);
	CHECK(conn_is_tls(c));
	conn_tls_info(c, info, sizeof(info));
	CHECK(strncmp(info, "TLSv1.", 6) == 0 && strstr(info, " with cipher "));
	conn_puts(c, "HELLO\r\n");
	CHECK(line_is(c, "ECHO HELLO"));
	conn_puts(c, "BIG\r\n");
	CHECK(write_big(c) == 0);
	CHECK(line_is(c, "GOT"));
	conn_puts(c, "SEND\r\n");
	CHECK(read_big(c) == 0);
	conn_puts(c, "QUIT\r\n");
	CHECK(line_is(c, "BYE"));
	CHECK(conn_read_raw(c, b, sizeof(b)) == 0);	/* close_notify */
	conn_close(c);
	conn_free(&c);
	CHECK(test_peer_status(pid) == 0);
}

/* Handshake as a client with ctx/name/verify; 0 or -1, errstr in *err_r. */
static int
client_try(struct tls_ctx *ctx, const char *name, int verify,
    const char **err_r)
{
	int fd, rc;
	pid_t pid = test_peer_spawn(&fd, srv_main, 8);
	struct conn *c = conn_new(fd, fd, 1024, 5);

	*err_r = "";
	rc = conn_starttls_client(c, ctx, name, verify, err_r);
	if (rc == 0) {
		conn_puts(c, "PING\r\nQUIT\r\n");
		if (!line_is(c, "ECHO PING") || !line_is(c, "BYE"))
			rc = -2;
	}
	conn_close(c);
	conn_free(&c);
	if (rc == 0 && test_peer_status(pid) != 0)
		rc = -3;
	else if (rc != 0)
		(void)test_peer_status(pid);
	return rc;
}

/* The right name with the right CA verifies, also via a wildcard. */
static void
test_verify_ok(void)
{
	const char *err;
	struct tls_ctx *wca = tls_client_ctx_new(wcert, NULL, &err);

	CHECK(client_try(ca_ctx, CN, CONN_TLS_VERIFY_NAME, &err) == 0);
	CHECK(client_try(ca_ctx, "MAIL.Example.TEST", CONN_TLS_VERIFY_NAME,
	    &err) == 0);
	/* A certificate for *.example.test covers one label only. */
	peer_ctx = wild_ctx;
	CHECK(wca != NULL);
	CHECK(client_try(wca, CN, CONN_TLS_VERIFY_NAME, &err) == 0);
	CHECK(client_try(wca, "a.mail.example.test", CONN_TLS_VERIFY_NAME,
	    &err) == -1);
	CHECK(strcmp(err, "certificate name mismatch") == 0);
	CHECK(client_try(wca, "example.test", CONN_TLS_VERIFY_NAME, &err) == -1);
	peer_ctx = srv_ctx;
	tls_ctx_free(&wca);
}

/* Wrong name, IP literal and unknown CA all fail with their messages. */
static void
test_verify_fail(void)
{
	const char *err;

	CHECK(client_try(ca_ctx, "other.example.test", CONN_TLS_VERIFY_NAME,
	    &err) == -1);
	CHECK(strcmp(err, "certificate name mismatch") == 0);
	CHECK(client_try(ca_ctx, "127.0.0.1", CONN_TLS_VERIFY_NAME, &err) == -1);
	CHECK(strcmp(err, "certificate name mismatch") == 0);
	CHECK(client_try(sys_ctx, CN, CONN_TLS_VERIFY_NAME, &err) == -1);
	CHECK(strncmp(err, "certificate verification failed: ", 33) == 0);
	CHECK(client_try(ca_ctx, NULL, CONN_TLS_VERIFY_NAME, &err) == -1);
	/* Unverified mode accepts the same wrong name. */
	CHECK(client_try(ca_ctx, "other.example.test", CONN_TLS_VERIFY_NONE,
	    &err) == 0);
}

/* Server peer for the discard rule: "STARTTLS\r\nINJECTED\r\n" arrives in
 * one segment; after the handshake only "SAFE" may be read. */
static int
srv_discard(int fd)
{
	struct conn *c = conn_new(fd, fd, 1024, 5);
	const char *err;

	if (!line_is(c, "STARTTLS"))
		return peer_done(c, 1);
	if (conn_input_pending(c) != 10)	/* "INJECTED\r\n" is buffered */
		return peer_done(c, 2);
	/* One segment: the client buffers the injected reply too. */
	conn_puts(c, "220 go\r\n250 injected\r\n");
	if (conn_starttls_server(c, peer_ctx, &err) < 0)
		return peer_done(c, 3);
	if (conn_input_pending(c) != 0 || !line_is(c, "SAFE"))
		return peer_done(c, 4);
	conn_puts(c, "250 real\r\n");
	return peer_done(c, conn_flush(c) < 0 ? 5 : 0);
}

/* Bytes buffered before STARTTLS are never read afterwards, both sides. */
static void
test_discard(void)
{
	int fd;
	pid_t pid = test_peer_spawn(&fd, srv_discard, 8);
	struct conn *c = conn_new(fd, fd, 1024, 5);
	const char *err;
	static const char inj[] = "STARTTLS\r\nINJECTED\r\n";

	CHECK(write(fd, inj, sizeof(inj) - 1) == (ssize_t)sizeof(inj) - 1);
	CHECK(line_is(c, "220 go"));
	CHECK(conn_input_pending(c) > 0);
	CHECK(conn_starttls_client(c, sys_ctx, CN, CONN_TLS_VERIFY_NONE,
	    &err) == 0);
	CHECK(conn_input_pending(c) == 0);
	conn_puts(c, "SAFE\r\n");
	CHECK(line_is(c, "250 real"));
	conn_close(c);
	conn_free(&c);
	CHECK(test_peer_status(pid) == 0);
}

/* Peer that talks plaintext SMTP and then waits for EOF. */
static int
peer_plain(int fd)
{
	char b[4096];

	if (write(fd, "220 plain.example ESMTP\r\n", 26) != 26)
		return 1;
	while (read(fd, b, sizeof(b)) > 0)
		continue;
	return 0;
}

/* Peer that never says anything. */
static int
peer_silent(int fd)
{
	char b[4096];

	while (read(fd, b, sizeof(b)) > 0)
		continue;
	return 0;
}

/* Milliseconds on the monotonic clock. */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One handshake against fn's peer; -1 expected. Elapsed ms in *ms_r. */
static int
handshake_vs(int (*fn)(int), int server, int timeout, const char **err_r,
    long long *ms_r, int *dead_r)
{
	int fd, rc;
	pid_t pid = test_peer_spawn(&fd, fn, 8);
	struct conn *c = conn_new(fd, fd, 1024, timeout);
	long long t0 = now_ms();
	char b[8];

	rc = server ? conn_starttls_server(c, srv_ctx, err_r) :
	    conn_starttls_client(c, sys_ctx, CN, CONN_TLS_VERIFY_NONE, err_r);
	*ms_r = now_ms() - t0;
	/* A dead connection neither reads nor writes plaintext. */
	conn_puts(c, "EHLO x\r\n");
	*dead_r = conn_flush(c) < 0 && conn_read_raw(c, b, sizeof(b)) <= 0 &&
	    !conn_is_tls(c);
	conn_close(c);
	conn_free(&c);
	(void)test_peer_status(pid);
	return rc;
}

/* Plaintext garbage fails at once; silence fails at the timeout. */
static void
test_bad_peers(void)
{
	const char *err = "";
	long long ms;
	int dead;

	CHECK(handshake_vs(peer_plain, 0, 5, &err, &ms, &dead) == -1);
	CHECK(strncmp(err, "handshake failed: ", 18) == 0 && ms < 2000 && dead);
	CHECK(handshake_vs(peer_plain, 1, 5, &err, &ms, &dead) == -1);
	CHECK(strncmp(err, "handshake failed: ", 18) == 0 && ms < 2000 && dead);
	CHECK(handshake_vs(peer_silent, 0, 1, &err, &ms, &dead) == -1);
	CHECK(strcmp(err, "handshake failed: timed out") == 0);
	CHECK(ms >= 900 && ms < 3000 && dead);
}

/* Separate in/out descriptors (inetd pipes) cannot carry TLS. */
static void
test_needs_socket(void)
{
	int p[2], q[2];
	struct conn *c;
	const char *err = "";
	char b[8];

	REQUIRE(pipe(p) == 0 && pipe(q) == 0);
	c = conn_new(p[0], q[1], 1024, 2);
	CHECK(conn_starttls_server(c, srv_ctx, &err) == -1);
	CHECK(strcmp(err, "TLS needs a socket") == 0);
	conn_puts(c, "454 TLS not available\r\n");
	CHECK(conn_flush(c) == 0);	/* still usable in plaintext */
	CHECK(read(q[0], b, 3) == 3 && memcmp(b, "454", 3) == 0);
	CHECK(conn_tls_info(c, b, sizeof(b))[0] == '\0');
	conn_close(c);
	conn_free(&c);
	close(p[1]);
	close(q[0]);
}

int
main(void)
{
	const char *err = "";

	snprintf(dir, sizeof(dir), "/tmp/test_tls.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(certfile, sizeof(certfile), "%s/cert.pem", dir);
	snprintf(keyfile, sizeof(keyfile), "%s/key.pem", dir);
	snprintf(wcert, sizeof(wcert), "%s/wcert.pem", dir);
	snprintf(wkey, sizeof(wkey), "%s/wkey.pem", dir);
	if (tls_make_selfsigned(certfile, keyfile, CN, &err) < 0 ||
	    tls_make_selfsigned(wcert, wkey, "*.example.test", &err) < 0) {
		printf("FAIL: unit/test_tls.c: setup (%s)\n", err);
		return 1;
	}
	srv_ctx = tls_server_ctx_new(certfile, keyfile, &err);
	wild_ctx = tls_server_ctx_new(wcert, wkey, &err);
	ca_ctx = tls_client_ctx_new(certfile, NULL, &err);
	sys_ctx = tls_client_ctx_new(NULL, "", &err);
	peer_ctx = srv_ctx;
	TEST_RUN(test_selfsigned);
	TEST_RUN(test_exchange);
	TEST_RUN(test_verify_ok);
	TEST_RUN(test_verify_fail);
	TEST_RUN(test_discard);
	TEST_RUN(test_bad_peers);
	TEST_RUN(test_needs_socket);
	tls_ctx_free(&srv_ctx);
	tls_ctx_free(&wild_ctx);
	tls_ctx_free(&ca_ctx);
	tls_ctx_free(&sys_ctx);
	CHECK(srv_ctx == NULL);
	unlink(certfile);
	unlink(keyfile);
	unlink(wcert);
	unlink(wkey);
	rmdir(dir);
	TEST_EXIT();
}
