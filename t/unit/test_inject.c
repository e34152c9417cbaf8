/*
 * test_inject.c - the injection client (common/inject.c) against the real
 * service session (queue/inject_session.c, linked in: LINK_test_inject in
 * the Makefile).
 *
 * Each case starts a private queue directory under /tmp, a unix socket
 * there, and a child process that accepts one connection and runs
 * inject_session() on it.  Checks: queued files read back exactly, two
 * messages on one connection, size limit, missing recipients, bad syntax,
 * oversized frames, EOF in mid-message (file removed), and the client's
 * local 451 on a dead service.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "config.h"
#include "inject.h"
#include "log.h"
#include "params.h"
#include "qfile.h"
#include "../../queue/inject_session.h"

static char top[64], sockpath[100], incoming[100];

/* Start a child that serves one connection (or closes it at once). */
static pid_t
serve_one(int close_at_once)
{
	struct sockaddr_un sun;
	int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath);
	unlink(sockpath);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(lfd, 1) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct server_peer peer;
		int fd = accept(lfd, NULL, NULL);

		memset(&peer, 0, sizeof(peer));
		peer.is_unix = 1;
		if (fd >= 0 && !close_at_once)
			inject_session(fd, fd, &peer);
		_exit(0);
	}
	close(lfd);
	return pid;
}

/* Wait for the server child. */
static void
reap(pid_t pid)
{
	int st;

	if (pid > 0)
		waitpid(pid, &st, 0);
}

/* Number of files in incoming/. */
static int
count_incoming(void)
{
	DIR *d = opendir(incoming);
	struct dirent *de;
	int n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	if (d != NULL)
		closedir(d);
	return n;
}

/* Remove every file in incoming/. */
static void
clean_incoming(void)
{
	DIR *d = opendir(incoming);
	struct dirent *de;
	char p[600];

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    de->d_name[1] == '.'))
			continue;
		snprintf(p, sizeof(p), "%s/%s", incoming, de->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
}

/* Read queue file qid and compare sender, first rcpt and content. */
static int
check_file(const char *qid, const char *sender, const char *rcpt,
    const char *text)
{
	char p[600];
	struct qfile_env *env = NULL;
	struct qfile_content *it;
	const char *err, *c;
	size_t n, off = 0;
	int fd, ok;

	snprintf(p, sizeof(p), "%s/%s", incoming, qid);
	fd = open(p, O_RDONLY);
	if (fd < 0 || qfile_read_envelope(fd, &env, &err) < 0) {
		printf("  %s: %s\n", qid, fd < 0 ? "cannot open" : err);
		return 0;
	}
	ok = strcmp(env->sender, sender) == 0 && env->nrcpts >= 1 &&
	    strcmp(env->rcpts[0].addr, rcpt) == 0 &&
	    env->content_len == (off_t)strlen(text);
	it = qfile_content_open(fd, env);
	while (qfile_content_next(it, &c, &n) == 1) {
		ok = ok && off + n <= strlen(text) && memcmp(c, text + off, n) == 0;
		off += n;
	}
	qfile_content_close(&it);
	qfile_env_free(&env);
	close(fd);
	return ok && off == strlen(text);
}

/* Send one message through the client; 0 or -1 with *reply_r. */
static int
send_msg(struct inject *ij, const char *sender, const char *rcpt,
    const char *text, char qid[QFILE_QID_MAX], const char **reply_r)
{
	const char *early;

	if (inject_begin(ij, sender) < 0)
		return -2;
	early = inject_qid(ij, reply_r);
	if (inject_attr(ij, "helo", "client.example") < 0 ||
	    (rcpt != NULL && inject_rcpt(ij, rcpt) < 0))
		return -2;
	for (size_t i = 0, len = strlen(text); i < len; i += 7) {
		size_t n = len - i < 7 ? len - i : 7;
		if (inject_data(ij, text + i, n) < 0)
			return -2;
	}
	if (inject_end(ij, qid, reply_r) < 0)
		return -1;
	return early != NULL && strcmp(early, qid) == 0 ? 0 : -3;
}

/* Two messages on one connection are queued and read back exactly. */
static void
test_queue_two(void)
{
	pid_t pid = serve_one(0);
	const char *err = NULL, *reply = NULL;
	struct inject *ij = inject_connect(sockpath, &err);
	char q1[QFILE_QID_MAX], q2[QFILE_QID_MAX];
	const char *t1 = "Subject: one\n\nbody line\nsecond line\n";

	CHECK(ij != NULL);
	if (ij == NULL)
		return;
	CHECK(send_msg(ij, "alice@example.com", "bob@example.org", t1, q1,
	    &reply) == 0);
	CHECK(send_msg(ij, "", "postmaster@example.org", "x\n", q2, &reply) == 0);
	inject_close(&ij);
	reap(pid);
	CHECK(strcmp(q1, q2) != 0);
	CHECK(check_file(q1, "alice@example.com", "bob@example.org", t1));
	CHECK(check_file(q2, "", "postmaster@example.org", "x\n"));
	CHECK(count_incoming() == 2);
	clean_incoming();
}

/* Size limit, no recipient and bad syntax get ERR and leave no file. */
static void
test_errors(void)
{
	pid_t pid = serve_one(0);
	const char *err = NULL, *reply = "";
	struct inject *ij = inject_connect(sockpath, &err);
	/* over message_size_limit (2000) plus the trace-header allowance */
	char qid[QFILE_QID_MAX], *big = malloc(20001);
	const char *ok = "Subject: ok\n\nfine\n";

	memset(big, 'a', 20000);
	big[20000] = '\0';
	CHECK(ij != NULL);
	if (ij == NULL) {
		free(big);
		return;
	}
	CHECK(send_msg(ij, "a@b", "c@d", big, qid, &reply) == -1);
	CHECK(strcmp(reply, "552 5.3.4 Message size exceeds fixed limit") == 0);
	CHECK(send_msg(ij, "a@b", NULL, ok, qid, &reply) == -1);
	CHECK(strncmp(reply, "503 5.5.1", 9) == 0);
	CHECK(send_msg(ij, "a@b", "bad\001rcpt", ok, qid, &reply) == -1);
	CHECK(strncmp(reply, "501 5.1.3", 9) == 0);
	CHECK(send_msg(ij, "a\001b", "c@d", ok, qid, &reply) == -1);
	CHECK(strncmp(reply, "501 5.1.7", 9) == 0);
	CHECK(count_incoming() == 0);
	CHECK(send_msg(ij, "a@b", "c@d", ok, qid, &reply) == 0);
	inject_close(&ij);
	reap(pid);
	CHECK(count_incoming() == 1);
	clean_incoming();
	free(big);
}

/* Raw bytes to a fresh session; returns what the server sent back. */
static void
raw_session(const char *in, size_t len, char *out, size_t outsize)
{
	pid_t pid = serve_one(0);
	struct sockaddr_un sun;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	size_t got = 0;
	ssize_t r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    write(fd, in, len) == (ssize_t)len) {
		shutdown(fd, SHUT_WR);
		while (got + 1 < outsize &&
		    (r = read(fd, out + got, outsize - 1 - got)) > 0)
			got += (size_t)r;
	}
	out[got] = '\0';
	close(fd);
	reap(pid);
}

/* EOF, an oversized frame or junk in mid-message remove the file. */
static void
test_abort_mid_message(void)
{
	static const char *cases[] = {
		"MAIL a@b\nRCPT c@d\nDATA\n100\nonly ten..",
		"MAIL a@b\nRCPT c@d\nDATA\n2000000\n",
		"MAIL a@b\nRCPT c@d\nDATA\nxyz\n",
		"MAIL a@b\nRCPT c@d\n",
	};
	const char *junk = "MAIL a@b\nFOO\nRCPT c@d\nDATA\n0\n";
	char out[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw_session(cases[i], strlen(cases[i]), out, sizeof(out));
		CHECK(strncmp(out, "QID ", 4) == 0);
		CHECK(strstr(out, "OK ") == NULL);
		CHECK(count_incoming() == 0);
	}
	raw_session("RCPT c@d\n", 9, out, sizeof(out));
	CHECK(strncmp(out, "ERR 503", 7) == 0);
	raw_session(junk, strlen(junk), out, sizeof(out));
	CHECK(strstr(out, "\nERR 503 5.5.1") != NULL);
	CHECK(count_incoming() == 0);
}

/* A service that hangs up gives the client the local 451 reply. */
static void
test_dead_service(void)
{
	pid_t pid = serve_one(1);
	const char *err = NULL, *reply = NULL;
	struct inject *ij = inject_connect(sockpath, &err);
	char qid[QFILE_QID_MAX];

	CHECK(ij != NULL);
	if (ij == NULL)
		return;
	reap(pid);
	CHECK(send_msg(ij, "a@b", "c@d", "x\n", qid, &reply) < 0);
	CHECK(reply != NULL && strncmp(reply, "451 4.3.0", 9) == 0);
	inject_close(&ij);
	unlink(sockpath);
	CHECK(inject_connect(sockpath, &err) == NULL && err != NULL);
}

/* Private queue directory and configuration, then the tests. */
int
main(void)
{
	char conf[400], cmd[300];
	const char *err = NULL;
	FILE *fp;

	signal(SIGPIPE, SIG_IGN);
	snprintf(top, sizeof(top), "/tmp/test_inject.XXXXXX");
	if (mkdtemp(top) == NULL)
		return 1;
	snprintf(incoming, sizeof(incoming), "%s/incoming", top);
	snprintf(sockpath, sizeof(sockpath), "%s/inject.sock", top);
	snprintf(conf, sizeof(conf), "%s/petrel.conf", top);
	if (mkdir(incoming, 0700) < 0 || (fp = fopen(conf, "w")) == NULL)
		return 1;
	fprintf(fp, "queue_directory = %s\nmessage_size_limit = 2000\n"
	    "inject_timeout = 10s\nmaillog_file = %s/maillog\n", top, top);
	fclose(fp);
	log_init("test_inject", 0);
	if (config_load(conf, &err) < 0) {
		printf("FAIL: unit/test_inject.c: config (%s)\n", err);
		return 1;
	}
	log_set_file(var_maillog_file);
	TEST_RUN(test_queue_two);
	TEST_RUN(test_errors);
	TEST_RUN(test_abort_mid_message);
	TEST_RUN(test_dead_service);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		return 1;
	TEST_EXIT();
}
