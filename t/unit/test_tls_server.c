/*
 * test_tls_server.c - unit tests for common/tls_server.c, the server-side
 * TLS module every daemon plugs into with a tls_server_settings struct.
 * Checks: TLS stays off without files (nothing offered, the handshake
 * refused); the first load makes a self-signed pair (key mode 0600); a
 * broken certificate fails the load with the daemon's file names; reload
 * keeps the old context when the new files fail and takes renewed ones,
 * reading the settings' variables at each use; STARTTLS is offered only
 * on a socket and only before TLS; a handshake with a real client
 * succeeds and restores the session deadline; a silent client is cut off
 * by the configured timeout (not by the longer per-read timeout); the
 * plaintext-password rule (TLS, trusted peer, switch, networks, a bad
 * list, a daemon without the parameters).
 * Clients run in a forked child with alarm() so nothing can hang.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "harness.h"
#include "peer.h"
#include "params.h"
#include "tls.h"
#include "tls_server.h"

static char dir[64], certfile[128], keyfile[128], badcert[128];
static char cert2[128], key2[128], hostname[] = "mail.example.test";
static char *v_cert, *v_key, *v_nets;
static long v_timeout = 30;
static int v_plain;

static const struct tls_server_settings settings = {
	.name = "testd",
	.cert_file = &v_cert,
	.key_file = &v_key,
	.timeout = &v_timeout,
	.plaintext_auth = &v_plain,
	.plaintext_networks = &v_nets,
};

/* A loaded server for certfile/keyfile (made on first use); NULL on error. */
static struct tls_server *
loaded(void)
{
	struct tls_server *srv = tls_server_new(&settings);
	const char *err = NULL;

	v_cert = certfile;
	v_key = keyfile;
	if (tls_server_load(srv, &err) != 0)
		tls_server_free(&srv);
	return srv;
}

/* No files configured: TLS off, nothing offered, the handshake refused. */
static void
test_off(void)
{
	struct tls_server *srv = tls_server_new(&settings);
	const char *err = NULL;
	struct conn *c;
	int sv[2];

	v_cert = (char *)"";
	v_key = keyfile;
	CHECK(tls_server_load(srv, &err) == 0);
	CHECK(!tls_server_enabled(srv) && tls_server_get_ctx(srv) == NULL);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0], sv[0], 512, 5);
	CHECK(!tls_server_offered(srv, c));
	CHECK(tls_server_handshake(srv, c, &err) == -1);
	CHECK(strcmp(err, "TLS not available") == 0);
	conn_free(&c);
	close(sv[0]);
	close(sv[1]);
	tls_server_free(&srv);
	CHECK(srv == NULL);
}

/* First load makes the pair (key 0600); a second load reuses it. */
static void
test_load(void)
{
	struct tls_server *srv;
	struct stat st, st2;

	CHECK(stat(certfile, &st) != 0);
	srv = loaded();
	CHECK(srv != NULL && tls_server_enabled(srv));
	CHECK(srv != NULL && tls_server_get_ctx(srv) != NULL);
	CHECK(stat(keyfile, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(stat(certfile, &st) == 0);
	tls_server_free(&srv);
	srv = loaded();
	CHECK(srv != NULL && stat(certfile, &st2) == 0 &&
	    st2.st_ino == st.st_ino);
	tls_server_free(&srv);
}

/* A broken certificate fails the load and names both files. */
static void
test_load_broken(void)
{
	struct tls_server *srv = tls_server_new(&settings);
	const char *err = NULL;

	v_cert = badcert;
	v_key = keyfile;
	CHECK(tls_server_load(srv, &err) == -1);
	CHECK(err != NULL && strncmp(err, "TLS certificate ", 16) == 0);
	CHECK(err != NULL && strstr(err, badcert) != NULL &&
	    strstr(err, keyfile) != NULL);
	CHECK(!tls_server_enabled(srv));
	tls_server_free(&srv);
}

/* Reload: a failure keeps the context, a renewed pair replaces it. */
static void
test_reload(void)
{
	struct tls_server *srv = loaded();
	struct tls_ctx *old = tls_server_get_ctx(srv);
	const char *err = NULL;

	CHECK(srv != NULL && old != NULL);
	if (srv == NULL)
		return;
	v_cert = badcert;
	tls_server_reload(srv);
	CHECK(tls_server_get_ctx(srv) == old);
	CHECK(tls_make_selfsigned(cert2, key2, hostname, &err) == 0);
	v_cert = cert2;
	v_key = key2;
	tls_server_reload(srv);
	CHECK(tls_server_get_ctx(srv) != NULL &&
	    tls_server_get_ctx(srv) != old);
	tls_server_free(&srv);
}

/* Offered only with a context, on a socket (fd_in == fd_out). */
static void
test_offered(void)
{
	struct tls_server *srv = loaded();
	struct conn *c, *c2;
	int sv[2];

	CHECK(srv != NULL);
	if (srv == NULL)
		return;
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	c = conn_new(sv[0], sv[0], 512, 5);
	c2 = conn_new(sv[0], sv[1], 512, 5);
	CHECK(tls_server_offered(srv, c));
	CHECK(!tls_server_offered(srv, c2));
	conn_free(&c);
	conn_free(&c2);
	close(sv[0]);
	close(sv[1]);
	tls_server_free(&srv);
}

/* Client child: handshake, send PING, expect PONG; exit code 0 if fine. */
static int
client_main(int fd)
{
	const char *err = NULL, *line;
	struct tls_ctx *ctx = tls_client_ctx_new(NULL, NULL, &err);
	struct conn *c = conn_new(fd, fd, 512, 5);
	enum line_ending e;
	size_t len;
	int rc = 0;

	if (ctx == NULL ||
	    conn_starttls_client(c, ctx, NULL, CONN_TLS_VERIFY_NONE, &err) < 0)
		rc = 1;
	else {
		conn_puts(c, "PING\r\n");
		if (conn_read_line(c, &line, &len, &e) != CONN_LINE ||
		    len != 4 || memcmp(line, "PONG", 4) != 0)
			rc = 2;
	}
	conn_close(c);
	conn_free(&c);
	tls_ctx_free(&ctx);
	return rc;
}

/* Silent child: never speaks, waits to be hung up on. */
static int
silent_main(int fd)
{
	char b[64];

	while (read(fd, b, sizeof(b)) > 0)
		continue;
	return 0;
}

/* A real handshake; the session deadline comes back; no STARTTLS twice. */
static void
test_handshake(void)
{
	struct tls_server *srv = loaded();
	const char *err = NULL, *line;
	time_t deadline = time(NULL) + 500;
	enum line_ending e;
	struct conn *c;
	size_t len;
	pid_t pid;
	int fd = -1;

	CHECK(srv != NULL);
	if (srv == NULL || (pid = test_peer_spawn(&fd, client_main, 10)) < 0)
		return;
	c = conn_new(fd, fd, 512, 5);
	conn_set_deadline(c, deadline);
	CHECK(tls_server_handshake(srv, c, &err) == 0);
	CHECK(conn_is_tls(c) && c->deadline == deadline);
	CHECK(!tls_server_offered(srv, c));
	CHECK(conn_read_line(c, &line, &len, &e) == CONN_LINE && len == 4 &&
	    memcmp(line, "PING", 4) == 0);
	conn_puts(c, "PONG\r\n");
	CHECK(conn_flush(c) == 0);
	CHECK(test_peer_status(pid) == 0);
	conn_close(c);
	conn_free(&c);
	tls_server_free(&srv);
}

/* A silent client: cut off by the settings' timeout, read afresh. */
static void
test_timeout(void)
{
	struct tls_server *srv = loaded();
	const char *err = NULL;
	struct conn *c;
	time_t t0;
	pid_t pid;
	int fd = -1;

	CHECK(srv != NULL);
	if (srv == NULL || (pid = test_peer_spawn(&fd, silent_main, 10)) < 0)
		return;
	v_timeout = 2;
	CHECK(tls_server_timeout(srv) == 2);
	c = conn_new(fd, fd, 512, 30);
	t0 = time(NULL);
	CHECK(tls_server_handshake(srv, c, &err) == -1);
	CHECK(time(NULL) - t0 <= 4);
	CHECK(err != NULL && strstr(err, "timed out") != NULL);
	CHECK(c->deadline == 0 && !conn_is_tls(c));
	conn_close(c);
	conn_free(&c);
	CHECK(test_peer_status(pid) == 0);
	v_timeout = 30;
	tls_server_free(&srv);
}

/* The plaintext-password rule with every way in, and none. */
static void
test_plaintext(void)
{
	struct tls_server *srv = tls_server_new(&settings);
	static const struct tls_server_settings bare = { .name = "bare" };
	struct tls_server *b = tls_server_new(&bare);

	v_plain = 0;
	v_nets = (char *)"192.0.2.0/24 [2001:db8::]/32";
	CHECK(tls_server_plaintext_ok(srv, 1, 0, "198.51.100.1"));
	CHECK(tls_server_plaintext_ok(srv, 0, 1, "198.51.100.1"));
	CHECK(tls_server_plaintext_ok(srv, 0, 0, "192.0.2.7"));
	CHECK(tls_server_plaintext_ok(srv, 0, 0, "2001:db8::1"));
	CHECK(!tls_server_plaintext_ok(srv, 0, 0, "198.51.100.1"));
	CHECK(!tls_server_plaintext_ok(srv, 0, 0, "127.0.0.1"));
	CHECK(!tls_server_plaintext_ok(srv, 0, 0, NULL));
	v_plain = 1;
	CHECK(tls_server_plaintext_ok(srv, 0, 0, "198.51.100.1"));
	v_plain = 0;
	tls_server_free(&srv);
	v_nets = (char *)"192.0.2.0/24 not-a-network";
	srv = tls_server_new(&settings);
	CHECK(!tls_server_plaintext_ok(srv, 0, 0, "192.0.2.7"));
	CHECK(tls_server_plaintext_ok(srv, 1, 0, "192.0.2.7"));
	tls_server_free(&srv);
	CHECK(!tls_server_plaintext_ok(b, 0, 0, "192.0.2.7"));
	CHECK(tls_server_plaintext_ok(b, 0, 1, "192.0.2.7"));
	CHECK(tls_server_timeout(b) == 60 && !tls_server_enabled(b));
	tls_server_free(&b);
	v_nets = NULL;
}

int
main(void)
{
	FILE *fp;

	signal(SIGPIPE, SIG_IGN);
	var_myhostname = hostname;
	snprintf(dir, sizeof(dir), "/tmp/test_tls_server.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(certfile, sizeof(certfile), "%s/cert.pem", dir);
	snprintf(keyfile, sizeof(keyfile), "%s/key.pem", dir);
	snprintf(badcert, sizeof(badcert), "%s/bad.pem", dir);
	snprintf(cert2, sizeof(cert2), "%s/cert2.pem", dir);
	snprintf(key2, sizeof(key2), "%s/key2.pem", dir);
	if ((fp = fopen(badcert, "w")) == NULL)
		return 1;
	fputs("-----BEGIN CERTIFICATE-----\nnot base64\n", fp);
	fclose(fp);
	TEST_RUN(test_off);
	TEST_RUN(test_load);
	TEST_RUN(test_load_broken);
	TEST_RUN(test_reload);
	TEST_RUN(test_offered);
	TEST_RUN(test_handshake);
	TEST_RUN(test_timeout);
	TEST_RUN(test_plaintext);
	unlink(certfile);
	unlink(keyfile);
	unlink(badcert);
	unlink(cert2);
	unlink(key2);
	rmdir(dir);
	TEST_EXIT();
}
