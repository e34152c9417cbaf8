/*
 * test_dsn.c - unit tests for common/dsn.c: a failure report with the full
 * original, an 8-bit original, headers only by flag and by size limit (fed
 * in chunks of every size), a delay report, hostile diagnostic text, errors
 * (read error, out's maximum), boundary clashes, the date format, and a
 * parse of composed reports by Python's email package.
 */
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "harness.h"
#include "buf.h"
#include "dsn.h"

static const char orig_msg[] =
    "Received: from x by y\n"
    "From: Alice <alice@example.org>\n"
    "To: bob@example.net\n"
    "Subject: hello there\n"
    "\n"
    "Body line one.\n"
    "Body line two.\n";

/* The original served in chunks of `chunk` bytes; fail makes it err. */
struct feed {
	const char *p;
	size_t len, pos, chunk;
	int calls, fail;
};

/* dsn_next_fn over a struct feed. */
static int
feed_next(void *arg, const char **p_r, size_t *n_r)
{
	struct feed *f = arg;
	size_t n = f->len - f->pos;

	f->calls++;
	if (f->fail)
		return -1;
	if (n == 0)
		return 0;
	if (f->chunk != 0 && n > f->chunk)
		n = f->chunk;
	*p_r = f->p + f->pos;
	*n_r = n;
	f->pos += n;
	return 1;
}

static struct dsn_rcpt rcpt1 = {
	.final_rcpt = "bob@example.net", .orig_rcpt = "bob@example.net",
	.action = "failed", .status = "5.1.1", .remote_mta = "mx.example.net",
	.diag = "550 5.1.1 <bob@example.net>: no such user",
	.last_attempt = 1700000000,
};

/* A report of kind with rcpt1 and sensible fields. */
static struct dsn_report
report(const char *kind)
{
	struct dsn_report r = {
		.kind = kind, .myhostname = "mail.example.org",
		.to = "alice@example.org", .qid = "4F3A2B1C0D",
		.envid = "env-1", .orig_sender = "alice@example.org",
		.arrival = 1699990000, .rcpts = &rcpt1, .nrcpts = 1,
		.now = 1700000100,
	};
	return r;
}

/* Compose r over msg (chunked) into a fresh buffer; NULL on failure. */
static struct buf *
compose(const struct dsn_report *r, const char *msg, size_t chunk)
{
	struct buf *b = buf_new(0, 0);
	struct feed f = { msg, strlen(msg), 0, chunk, 0, 0 };
	const char *err = NULL;

	if (dsn_compose(b, r, feed_next, &f, &err) != 0) {
		printf("# dsn_compose: %s\n", err);
		buf_free(&b);
		return NULL;
	}
	buf_cstr(b);
	return b;
}

/* 1 when every line is short, and no CR or NUL appears. */
static int
clean_lines(const struct buf *b)
{
	size_t col = 0;

	for (size_t i = 0; i < b->len; i++) {
		if (b->data[i] == '\r' || b->data[i] == '\0')
			return 0;
		col = b->data[i] == '\n' ? 0 : col + 1;
		if (col > 998)
			return 0;
	}
	return 1;
}

/* 1 when the strings occur in s in this order (NULL-terminated list). */
static int
in_order(const char *s, const char *const *list)
{
	for (; *list != NULL; list++) {
		const char *p = strstr(s, *list);

		if (p == NULL)
			return 0;
		s = p + strlen(*list);
	}
	return 1;
}

/* Run Python's email parser over a composed report; 1 when it passes. */
static int
python_ok(const struct buf *b)
{
	static const char script[] =
	    "import sys, email, email.policy\n"
	    "m = email.message_from_binary_file(open(sys.argv[1], \"rb\"),"
	    " policy=email.policy.default)\n"
	    "assert m.get_content_type() == \"multipart/report\"\n"
	    "assert m.get_param(\"report-type\") == \"delivery-status\"\n"
	    "p = m.get_payload()\n"
	    "assert len(p) == 3, len(p)\n"
	    "assert p[0].get_content_type() == \"text/plain\"\n"
	    "assert p[1].get_content_type() == \"message/delivery-status\"\n"
	    "g = p[1].get_payload()\n"
	    "assert len(g) >= 2 and g[0][\"Reporting-MTA\"]\n"
	    "for r in g[1:]:\n"
	    "    assert r[\"Action\"] and r[\"Status\"] and r[\"Final-Recipient\"]\n"
	    "assert p[2].get_content_type() in (\"message/rfc822\","
	    " \"text/rfc822-headers\")\n"
	    "assert m[\"Subject\"] and m[\"Message-Id\"]\n";
	char path[] = "/tmp/test_dsn.XXXXXX", cmd[sizeof(script) + 128];
	int fd = mkstemp(path), st;

	if (fd < 0)
		return 0;
	if (write(fd, b->data, b->len) != (ssize_t)b->len) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "python3 -c '%s' %s", script, path);
	st = system(cmd);
	unlink(path);
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* A failure report with the whole original attached. */
static void
test_failure_full(void)
{
	struct dsn_report r = report("failure");
	struct buf *b = compose(&r, orig_msg, 0);
	/* Parentheses mark a string split over two lines (no comma lost). */
	static const char *const order[] = { "Date: ", ("\nFrom: MAILER-DAEMON@"
	    "mail.example.org (Mail Delivery System)\n"), ("Subject: "
	    "Undelivered Mail Returned to Sender\n"), "To: alice@example.org\n",
	    "Auto-Submitted: auto-replied\n", "MIME-Version: 1.0\n",
	    "Content-Type: multipart/report; report-type=delivery-status;",
	    "boundary=\"4F3A2B1C0D.1700000100/mail.example.org\"\n",
	    "Message-Id: <", ".4F3A2B1C0D@mail.example.org>\n\n",
	    "This is a MIME-encapsulated message.",
	    "Content-Description: Notification\n", "text/plain; charset=us-ascii",
	    "bob@example.net: 550 5.1.1 <bob@example.net>: no such user\n",
	    "Content-Description: Delivery report\n",
	    "Content-Type: message/delivery-status\n\n",
	    "Reporting-MTA: dns; mail.example.org\n",
	    "X-Petrel-Queue-ID: 4F3A2B1C0D\n",
	    "X-Petrel-Sender: rfc822; alice@example.org\n",
	    "Original-Envelope-Id: env-1\n", "Arrival-Date: ",
	    "\n\nFinal-Recipient: rfc822; bob@example.net\n",
	    "Original-Recipient: rfc822;bob@example.net\n",
	    "Action: failed\n", "Status: 5.1.1\n",
	    "Remote-MTA: dns; mx.example.net\n",
	    "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: no such user\n",
	    "Last-Attempt-Date: ", ("Content-Description: Undelivered Message\n"
	    "Content-Type: message/rfc822\n\n"), orig_msg,
	    "\n--4F3A2B1C0D.1700000100/mail.example.org--\n", NULL };

	CHECK(b != NULL);
	if (b == NULL)
		return;
	CHECK(in_order(b->data, order));
	CHECK(strstr(b->data, "Content-Transfer-Encoding") == NULL);
	CHECK(strstr(b->data, "Will-Retry-Until") == NULL);
	CHECK(clean_lines(b));
	CHECK(python_ok(b));
	buf_free(&b);
}

/* An 8-bit original makes the report (and part 3) 8bit. */
static void
test_eight_bit(void)
{
	struct dsn_report r = report("failure");
	struct buf *b = compose(&r, "Subject: caf\xc3\xa9\n\nna\xc3\xafve\n", 3);
	const char *p;

	CHECK(b != NULL);
	if (b == NULL)
		return;
	p = strstr(b->data, "Content-Transfer-Encoding: 8bit\nMessage-Id:");
	CHECK(p != NULL && p < strstr(b->data, "\n\n"));
	CHECK(strstr(b->data, "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: 8bit\n\nSubject: caf\xc3\xa9\n") != NULL);
	CHECK(python_ok(b));
	buf_free(&b);
}

/* RET=HDRS: only the header block, and reading stops after it. */
static void
test_headers_flag(void)
{
	struct dsn_report r = report("failure");
	struct buf *b = buf_new(0, 0);
	static char big[200000];
	struct feed f;
	const char *err = NULL;

	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, "Subject: s\n\n", 12);
	f = (struct feed){ big, strlen(big), 0, 100, 0, 0 };
	r.headers_only = 1;
	CHECK(dsn_compose(b, &r, feed_next, &f, &err) == 0);
	buf_cstr(b);
	CHECK(strstr(b->data, "Content-Type: text/rfc822-headers\n\n"
	    "Subject: s\n\n--4F3A") != NULL);
	CHECK(strstr(b->data, "xxx") == NULL);
	CHECK(f.calls == 1);
	CHECK(python_ok(b));
	buf_reset(b);
	f = (struct feed){ orig_msg, strlen(orig_msg), 0, 0, 0, 0 };
	CHECK(dsn_compose(b, &r, feed_next, &f, &err) == 0);
	buf_cstr(b);
	CHECK(strstr(b->data, "Subject: hello there\n\n--4F3A") != NULL);
	CHECK(strstr(b->data, "Body line") == NULL);
	buf_free(&b);
}

/* Check one size-limit case at one chunk size; 0 when right. */
static int
limit_case(size_t limit, size_t chunk, int want_full)
{
	struct dsn_report r = report("failure");
	struct buf *b;
	int bad;

	r.size_limit = limit;
	b = compose(&r, orig_msg, chunk);
	if (b == NULL)
		return 1;
	if (want_full)
		bad = strstr(b->data, "message/rfc822\n\n") == NULL ||
		    strstr(b->data, orig_msg) == NULL;
	else
		bad = strstr(b->data, "text/rfc822-headers\n\nReceived: from x"
		    " by y\n") == NULL || strstr(b->data, "hello there\n\n--4F")
		    == NULL || strstr(b->data, "Body line") != NULL;
	buf_free(&b);
	return bad;
}

/* bounce_size_limit: bigger than the limit means headers only. */
static void
test_size_limit(void)
{
	size_t n = strlen(orig_msg);
	int bad = 0;

	for (size_t chunk = 0; chunk <= n; chunk++) {
		bad += limit_case(n, chunk, 1);
		bad += limit_case(n - 1, chunk, 0);
		bad += limit_case(20, chunk, 0);
		bad += limit_case(1, chunk, 0);
	}
	CHECK(bad == 0);
}

/* A delay warning with Will-Retry-Until and derived fields. */
static void
test_delay(void)
{
	struct dsn_rcpt rc[2] = {
		{ .final_rcpt = "carol@example.com", .orig_rcpt =
		    "rfc822;Carol@Example.COM", .status = "4.4.1", .diag =
		    "connect to mx.example.com: Connection timed out",
		    .diag_type = "x-unix", .last_attempt = 1700000000,
		    .retry_until = 1700400000 },
		{ .final_rcpt = "dave@example.com" },
	};
	struct dsn_report r = report("delay");
	struct buf *b;
	char d[64];

	r.rcpts = rc;
	r.nrcpts = 2;
	r.envid = NULL;
	b = compose(&r, orig_msg, 5);
	CHECK(b != NULL);
	if (b == NULL)
		return;
	CHECK(dsn_rfc5322_date(1700400000, d, sizeof(d)) == 0);
	CHECK(strstr(b->data, "Subject: Delayed Mail (still being retried)\n"));
	CHECK(strstr(b->data, d) != NULL);
	CHECK(strstr(b->data, "Original-Recipient: rfc822;Carol@Example.COM\n"
	    "Action: delayed\nStatus: 4.4.1\nDiagnostic-Code: x-unix; connect"));
	CHECK(strstr(b->data, "Will-Retry-Until: ") != NULL);
	CHECK(strstr(b->data, "\n\nFinal-Recipient: rfc822; dave@example.com\n"
	    "Action: delayed\nStatus: 4.0.0\n\n--") != NULL);
	CHECK(strstr(b->data, "Original-Envelope-Id") == NULL);
	CHECK(strstr(b->data, "Content-Description: Delayed Message\n"));
	CHECK(python_ok(b));
	buf_free(&b);
}

/* Hostile diagnostics and addresses cannot add header lines or parts. */
static void
test_sanitize(void)
{
	static char longdiag[5000];
	struct dsn_rcpt rc[2] = {
		{ .final_rcpt = "eve@example.com\r\nBcc: x@y", .action =
		    "failed", .status = "5.0.0", .remote_mta = "mx\n.evil",
		    .diag = "550 oops\r\nX-Injected: yes\r\n\r\n--4F3A\x01\x7f"
		    "\xff end" },
		{ .final_rcpt = "long@example.com", .diag = longdiag },
	};
	struct dsn_report r = report("failure");
	struct buf *b;

	for (size_t i = 0; i + 1 < sizeof(longdiag); i++)
		longdiag[i] = i % 7 == 6 ? ' ' : 'a';
	r.rcpts = rc;
	r.nrcpts = 2;
	b = compose(&r, orig_msg, 0);
	CHECK(b != NULL);
	if (b == NULL)
		return;
	CHECK(clean_lines(b));
	CHECK(strstr(b->data, "\nX-Injected") == NULL);
	CHECK(strstr(b->data, "\nBcc:") == NULL);
	CHECK(strstr(b->data, "\n--4F3A\?\?\?") == NULL);
	CHECK(strstr(b->data, "Diagnostic-Code: smtp; 550 oops X-Injected: yes"
	    " --4F3A??? end\n") != NULL);
	CHECK(strstr(b->data, "Final-Recipient: rfc822; eve@example.com Bcc: "
	    "x@y\n") != NULL);
	CHECK(strstr(b->data, "Remote-MTA: dns; mx .evil\n") != NULL);
	CHECK(strstr(b->data, "\n aaaaaa") != NULL);	/* folded */
	CHECK(python_ok(b));
	buf_free(&b);
}

/* Read errors, a full buffer and bad arguments fail and leave out as is. */
static void
test_errors(void)
{
	struct dsn_report r = report("failure");
	struct buf *b = buf_new(0, 3000);
	struct feed f = { orig_msg, strlen(orig_msg), 0, 0, 0, 1 };
	const char *err = NULL;

	CHECK(buf_append_str(b, "keep") == 0);
	CHECK(dsn_compose(b, &r, feed_next, &f, &err) == -1 && err != NULL);
	CHECK(b->len == 4);
	f.fail = 0;
	CHECK(dsn_compose(b, &r, feed_next, &f, &err) == 0);
	b->max = b->len + 500;
	f.pos = 0;
	err = NULL;
	CHECK(dsn_compose(b, &r, feed_next, &f, &err) == -1 && err != NULL);
	r.kind = "bogus";
	CHECK(dsn_compose(b, &r, feed_next, &f, &err) == -1);
	r = report("failure");
	r.nrcpts = 0;
	CHECK(dsn_compose(b, &r, feed_next, &f, &err) == -1);
	CHECK(strcmp(dsn_subject("success"), "Successful Mail Delivery Report")
	    == 0);
	buf_free(&b);
}

/* An original that contains the boundary gets another one. */
static void
test_boundary_clash(void)
{
	struct dsn_rcpt rc = { .final_rcpt = "frank@example.com" };
	struct dsn_report r = report("success");
	struct buf *b;

	r.rcpts = &rc;
	b = compose(&r, "Subject: x\n\n"
	    "--4F3A2B1C0D.1700000100/mail.example.org\n", 0);

	CHECK(b != NULL);
	if (b == NULL)
		return;
	CHECK(strstr(b->data, "boundary=\"4F3A2B1C0D.1700000100/"
	    "mail.example.org/1\"") != NULL);
	CHECK(strstr(b->data, "Action: delivered\nStatus: 2.0.0\n") != NULL);
	CHECK(strstr(b->data, "frank@example.com: delivered, status 2.0.0\n"));
	CHECK(strstr(b->data, "Content-Description: Delivered Message\n"));
	CHECK(strstr(b->data, "Subject: Successful Mail Delivery Report\n"));
	CHECK(python_ok(b));
	buf_free(&b);
}

/* RFC 5322 dates in local time with a numeric zone. */
static void
test_date(void)
{
	char d[64];

	setenv("TZ", "UTC", 1);
	tzset();
	CHECK(dsn_rfc5322_date(0, d, sizeof(d)) == 0);
	CHECK(strcmp(d, "Thu, 01 Jan 1970 00:00:00 +0000") == 0);
	setenv("TZ", "EST5", 1);
	tzset();
	CHECK(dsn_rfc5322_date(1700000000, d, sizeof(d)) == 0);
	CHECK(strcmp(d, "Tue, 14 Nov 2023 17:13:20 -0500") == 0);
	CHECK(dsn_rfc5322_date(0, d, 10) == -1);
}

int
main(void)
{
	TEST_RUN(test_date);
	TEST_RUN(test_failure_full);
	TEST_RUN(test_eight_bit);
	TEST_RUN(test_headers_flag);
	TEST_RUN(test_size_limit);
	TEST_RUN(test_delay);
	TEST_RUN(test_sanitize);
	TEST_RUN(test_errors);
	TEST_RUN(test_boundary_clash);
	TEST_EXIT();
}
