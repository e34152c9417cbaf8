/*
 * test_deliver.c - unit tests for common/deliver.c: request and reply
 * encoding, decoding fed split at every byte, protocol errors, bounds, and
 * descriptor passing over a socketpair.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "buf.h"
#include "deliver.h"

struct expect {
	enum deliver_kind kind;
	int want;		/* 1 complete, -1 error */
	int (*check)(const struct deliver_msg *m);
};

/* Feed a then b (in small pieces) and run; result of the final run. */
static int
decode_two(struct deliver_decoder *d, const char *a, size_t alen,
    const char *b, size_t blen)
{
	const char *parts[2] = { a, b };
	size_t lens[2] = { alen, blen };
	const char *err;
	int r = 0;

	for (int i = 0; i < 2; i++) {
		const char *p = parts[i];
		size_t n = lens[i];
		while (n > 0) {
			size_t k = deliver_decoder_feed(d, p, n);
			p += k;
			n -= k;
			r = deliver_decoder_run(d, &err);
			if (r != 0)
				return r;
		}
	}
	return deliver_decoder_run(d, &err);
}

/* Split-feed callback: decodes and compares with the expectation. */
static int
split_cb(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	struct expect *e = ctx;
	struct deliver_decoder *d = deliver_decoder_new(e->kind);
	int r = decode_two(d, a, alen, b, blen), bad;

	bad = r != e->want || (r == 1 && e->check != NULL &&
	    e->check(&d->msg) != 0);
	deliver_decoder_free(&d);
	return bad;
}

/* The request built in test_request_roundtrip. */
static int
check_request(const struct deliver_msg *m)
{
	return !(strcmp(m->qid, "5A1B2C3") == 0 && strcmp(m->sender, "") == 0 &&
	    m->nrcpts == 2 && m->rcpts[0].index == 0 &&
	    strcmp(m->rcpts[0].addr, "u@example.test") == 0 &&
	    m->rcpts[1].index == 7 &&
	    strcmp(m->rcpts[1].addr, "\"a b\"@example.test") == 0);
}

/* Encode a request and decode it at every split. */
static void
test_request_roundtrip(void)
{
	struct buf *b = buf_new(64, 0);
	struct deliver_rcpt r[2] = {
		{ .index = 0, .addr = "u@example.test" },
		{ .index = 7, .addr = "\"a b\"@example.test" },
	};
	struct expect e = { DELIVER_REQUEST, 1, check_request };

	CHECK(deliver_encode_request(b, "5A1B2C3", "", r, 2) == 0);
	CHECK(strstr(buf_cstr(b), "SENDER \n") != NULL);
	CHECK(test_split_feed(b->data, b->len, split_cb, &e) == 0);
	buf_free(&b);
}

/* The reply built in test_reply_roundtrip. */
static int
check_reply(const struct deliver_msg *m)
{
	return !(m->nrcpts == 3 && m->rcpts[0].status_class == 2 &&
	    strcmp(m->rcpts[0].enh, "2.0.0") == 0 &&
	    strcmp(m->rcpts[0].text, "delivered to maildir") == 0 &&
	    m->rcpts[1].index == 4 && m->rcpts[1].status_class == 4 &&
	    strcmp(m->rcpts[1].text, "bad?text") == 0 &&
	    m->rcpts[2].status_class == 5 && m->rcpts[2].text[0] == '\0');
}

/* Encode a reply and decode it at every split. */
static void
test_reply_roundtrip(void)
{
	struct buf *b = buf_new(64, 0);
	struct expect e = { DELIVER_REPLY, 1, check_reply };

	CHECK(deliver_encode_status(b, 0, 2, "2.0.0",
	    "delivered to maildir") == 0);
	CHECK(deliver_encode_status(b, 4, 4, "4.2.0", "bad\ntext") == 0);
	CHECK(deliver_encode_status(b, 5, 5, "5.1.1", "") == 0);
	CHECK(deliver_encode_end(b) == 0);
	CHECK(test_split_feed(b->data, b->len, split_cb, &e) == 0);
	CHECK(deliver_encode_status(b, 1, 3, "3.0.0", "x") == -1);
	CHECK(deliver_encode_status(b, 1, 2, "2.0.x", "x") == -1);
	buf_free(&b);
}

/* The request and reply of test_remote_lines. */
static int
check_nexthop(const struct deliver_msg *m)
{
	return !(m->nexthop != NULL && strcmp(m->nexthop, "[10.0.0.1]:2525") == 0 &&
	    m->nrcpts == 1 && strcmp(m->sender, "s@x") == 0);
}

static int
check_remote(const struct deliver_msg *m)
{
	return !(m->nrcpts == 2 && m->site_failed == 1 &&
	    m->rcpts[0].remote_mta != NULL &&
	    strcmp(m->rcpts[0].remote_mta, "mx.example[192.0.2.1]:25") == 0 &&
	    strcmp(m->rcpts[0].diag, "550 5.1.1 no such user") == 0 &&
	    m->rcpts[1].remote_mta == NULL);
}

/* NEXTHOP in requests; REMOTE and SITEFAIL in replies (remote agent). */
static void
test_remote_lines(void)
{
	struct buf *b = buf_new(64, 0);
	struct deliver_rcpt r[1] = { { .index = 3, .addr = "u@example.test" } };
	struct expect e = { DELIVER_REQUEST, 1, check_nexthop };

	CHECK(deliver_encode_request_nh(b, "Q1", "s@x", "[10.0.0.1]:2525", r,
	    1) == 0);
	CHECK(test_split_feed(b->data, b->len, split_cb, &e) == 0);
	buf_reset(b);
	CHECK(deliver_encode_request_nh(b, "Q1", "s@x", "a\nb", r, 1) == -1);
	buf_reset(b);
	CHECK(deliver_encode_status(b, 0, 5, "5.1.1", "host said no") == 0);
	CHECK(deliver_encode_remote(b, "mx.example[192.0.2.1]:25",
	    "550 5.1.1 no such user") == 0);
	CHECK(deliver_encode_status(b, 1, 4, "4.4.1", "x") == 0);
	CHECK(deliver_encode_sitefail(b) == 0);
	CHECK(deliver_encode_end(b) == 0);
	e.kind = DELIVER_REPLY;
	e.check = check_remote;
	CHECK(test_split_feed(b->data, b->len, split_cb, &e) == 0);
	CHECK(deliver_encode_remote(b, "two words", "x") == -1);
	buf_free(&b);
}

/* Requests and replies that must be refused. */
static void
test_errors(void)
{
	static const char *bad_req[] = {
		"SENDER a\n", "QID \n", "QID x\nRCPT 0 a\n",
		"QID x\nSENDER a\nEND\n", "QID x\nSENDER a\nRCPT a b\n",
		"QID x\nSENDER a\nRCPT 0\n", "QID x\nSENDER a\nRCPT -1 a\n",
		"QID x\nSENDER a\nRCPT 0 a\nFOO\n",
		"QID 0123456789012345678901234567890123\n",
		"QID x\nSENDER a\nRCPT 0 a\nNEXTHOP h\nEND\n",
		"QID x\nSENDER a\nNEXTHOP h\nNEXTHOP h\nRCPT 0 a\nEND\n",
		"QID x\nSENDER a\nNEXTHOP \nRCPT 0 a\nEND\n",
	};
	static const char *bad_rep[] = {
		"STATUS 0 3 3.0.0 x\n", "STATUS 0 2\n", "STATUS x 2 2.0.0 t\n",
		"STATUS 0 2 2.0.0a t\n", "STATUS 0 2  t\n", "ENDX\n",
		"STATUS 0 6 6.0.0 t\n", "REMOTE mx x\nEND\n",
		"STATUS 0 2 2.0.0 t\nREMOTE mx a\nREMOTE mx b\nEND\n",
		"SITEFAILX\nEND\n",
	};
	struct expect e = { DELIVER_REQUEST, -1, NULL };

	for (size_t i = 0; i < sizeof(bad_req) / sizeof(bad_req[0]); i++)
		CHECK(test_split_feed(bad_req[i], strlen(bad_req[i]), split_cb,
		    &e) == 0);
	e.kind = DELIVER_REPLY;
	for (size_t i = 0; i < sizeof(bad_rep) / sizeof(bad_rep[0]); i++)
		CHECK(test_split_feed(bad_rep[i], strlen(bad_rep[i]), split_cb,
		    &e) == 0);
}

/* A line longer than the bound is an error, not a hang or overflow. */
static void
test_long_line(void)
{
	struct deliver_decoder *d = deliver_decoder_new(DELIVER_REQUEST);
	char big[DELIVER_LINE_MAX + 100];
	const char *err;
	int r = 0;
	size_t off = 0;

	memset(big, 'a', sizeof(big));
	while (off < sizeof(big) && r == 0) {
		off += deliver_decoder_feed(d, big + off, sizeof(big) - off);
		r = deliver_decoder_run(d, &err);
	}
	CHECK(r == -1);
	deliver_decoder_free(&d);
}

/* Addresses with line breaks are never encoded. */
static void
test_encode_refuses(void)
{
	struct buf *b = buf_new(64, 0);
	struct deliver_rcpt r = { .index = 0, .addr = "a\nQID x" };

	CHECK(deliver_encode_request(b, "Q1", "s", &r, 1) == -1);
	r.addr = "ok@x";
	CHECK(deliver_encode_request(b, "Q1", "s\r", &r, 1) == -1);
	CHECK(deliver_encode_request(b, "Q1", "s", &r, 0) == -1);
	buf_free(&b);
}

/* Two messages back to back in one buffer decode one after the other. */
static void
test_reset_keeps_input(void)
{
	const char *in = "STATUS 1 2 2.0.0 a\nEND\nSTATUS 2 5 5.1.1 b\nEND\n";
	struct deliver_decoder *d = deliver_decoder_new(DELIVER_REPLY);
	const char *err;

	CHECK(deliver_decoder_feed(d, in, strlen(in)) == strlen(in));
	CHECK(deliver_decoder_run(d, &err) == 1);
	CHECK(d->msg.nrcpts == 1 && d->msg.rcpts[0].index == 1);
	deliver_decoder_reset(d);
	CHECK(deliver_decoder_run(d, &err) == 1);
	CHECK(d->msg.nrcpts == 1 && d->msg.rcpts[0].status_class == 5);
	deliver_decoder_reset(d);
	CHECK(deliver_decoder_run(d, &err) == 0);
	deliver_decoder_free(&d);
}

/* A descriptor sent with the bytes arrives, close-on-exec, same file. */
static void
test_fd_passing(void)
{
	int sv[2], fd, got_fd = -1;
	char tmpl[] = "/tmp/test_deliver.XXXXXX", rb[16];
	struct stat a, b;
	ssize_t n;

	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	fd = mkstemp(tmpl);
	REQUIRE(fd >= 0);
	unlink(tmpl);
	CHECK(deliver_send_fd(sv[0], fd, "QID x\n", 6) == 6);
	n = deliver_recv(sv[1], rb, sizeof(rb), &got_fd);
	CHECK(n == 6 && memcmp(rb, "QID x\n", 6) == 0);
	CHECK(got_fd >= 0);
	REQUIRE(fstat(fd, &a) == 0 && fstat(got_fd, &b) == 0);
	CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	CHECK((fcntl(got_fd, F_GETFD) & FD_CLOEXEC) != 0);
	CHECK(write(sv[0], "END\n", 4) == 4);
	n = deliver_recv(sv[1], rb, sizeof(rb), &got_fd);
	CHECK(n == 4 && got_fd == -1);
	close(fd);
	close(sv[0]);
	n = deliver_recv(sv[1], rb, sizeof(rb), &got_fd);
	CHECK(n == 0);
	close(sv[1]);
}

/* Run every test. */
int
main(void)
{
	TEST_RUN(test_request_roundtrip);
	TEST_RUN(test_reply_roundtrip);
	TEST_RUN(test_remote_lines);
	TEST_RUN(test_errors);
	TEST_RUN(test_long_line);
	TEST_RUN(test_encode_refuses);
	TEST_RUN(test_reset_keeps_input);
	TEST_RUN(test_fd_passing);
	TEST_EXIT();
}
