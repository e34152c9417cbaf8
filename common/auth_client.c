/*
 * auth_client.c - the client side of petrel-auth (protocol and API in
 * auth_client.h, framing in auth_proto.h).
 *
 * Public: auth_client_verify, auth_client_redeem (blocking, bounded by
 * auth_timeout), auth_client_start_verify, auth_client_start_redeem,
 * auth_client_fd, auth_client_events, auth_client_step, auth_client_value,
 * auth_client_free.  1 good, 0 refused, -1 temporary failure; never fatal.
 * Security: runs in smtpd workers, the login processes and spawners of
 * imapd and pop3d.  The encoded request (with the password) is wiped once
 * sent and on free; the service's answer is bounded and parsed as
 * untrusted.  Reasons from the service are sanitised before they reach
 * *errstr_r (and so the log).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "auth_client.h"
#include "params.h"
#include "password.h"
#include "server.h"

struct auth_client {
	int fd;			/* -1: result already known */
	struct buf *out;	/* the encoded request, being sent */
	size_t sent;
	char in[AUTH_PROTO_REPLY_MAX];
	size_t inlen;
	int result;		/* AUTH_CLIENT_AGAIN until known */
	unsigned delay;		/* NO: delay the answer; WAIT: ask again */
	char value[AUTH_PROTO_VALUE_MAX + 1];
};

static char client_err[320];

/* A reason in our static buffer (sanitised), for *errstr_r. */
static const char *
client_reason(const char *what, const char *p, size_t len)
{
	char safe[AUTH_PROTO_VALUE_MAX + 4];

	log_sanitize(safe, sizeof(safe), p, len);
	snprintf(client_err, sizeof(client_err), "%s%s%s", what,
	    len > 0 ? ": " : "", len > 0 ? safe : "");
	return client_err;
}

/* Connect (non-blocking) to the service; the fd, or -1 with errno. */
static int
client_connect(void)
{
	struct sockaddr_un sun;
	const char *path = var_auth_listen != NULL ? var_auth_listen : "";
	int fd;

	if (strncmp(path, "unix:", 5) == 0)
		path += 5;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* A new handle for an encoded request (c->out filled by the caller). */
static struct auth_client *
client_new(void)
{
	struct auth_client *c = xcalloc(1, sizeof(*c));

	c->fd = -1;
	c->out = buf_new(256, AUTH_PROTO_REQ_MAX);
	c->result = AUTH_CLIENT_AGAIN;
	return c;
}

/* Open the connection for c; 0, or -1 (c freed) with *errstr_r. */
static int
client_open(struct auth_client **cp, int may_fallback, const char **errstr_r)
{
	int e;

	if (((*cp)->fd = client_connect()) >= 0)
		return 0;
	e = errno;
	if (may_fallback && server_single_session() &&
	    (e == ENOENT || e == ECONNREFUSED))
		return 1;
	auth_client_free(cp);
	if (e == EAGAIN)
		*errstr_r = "the password service is busy";
	else if (e == ENOENT || e == ECONNREFUSED)
		*errstr_r = "the password service is not running";
	else
		*errstr_r = client_reason("cannot reach the password service",
		    strerror(e), strlen(strerror(e)));
	return -1;
}

/* Start a VERIFY (see auth_client.h). */
struct auth_client *
auth_client_start_verify(const char *service, const char *user,
    const char *pw, size_t pwlen, const char *addr, const char **errstr_r)
{
	struct auth_client *c = client_new();
	const char *err = NULL;
	int rc;

	if (auth_proto_put_verify(c->out, service, user, pw, pwlen,
	    addr != NULL ? addr : "") != 0) {
		/* over-long or strange input can never be a good login */
		c->result = 0;
		return c;
	}
	if ((rc = client_open(&c, 1, errstr_r)) < 0)
		return NULL;
	if (rc == 1) {		/* -S without a service: check here */
		c->result = password_lookup_verify(user, pw, pwlen, &err);
		if (c->result < 0)
			*errstr_r = client_reason("password lookup",
			    err != NULL ? err : "", err != NULL ? strlen(err) : 0);
	}
	return c;
}

/* Start a REDEEM (see auth_client.h). */
struct auth_client *
auth_client_start_redeem(const char *cookie, const char **errstr_r)
{
	struct auth_client *c = client_new();

	if (auth_proto_put_redeem(c->out, cookie) != 0) {
		c->result = 0;	/* not a cookie we could have issued */
		return c;
	}
	if (client_open(&c, 0, errstr_r) < 0)
		return NULL;
	return c;
}

/* The descriptor to poll, or -1 when the result is known. */
int
auth_client_fd(const struct auth_client *c)
{
	return c->result == AUTH_CLIENT_AGAIN ? c->fd : -1;
}

/* What to poll for. */
int
auth_client_events(const struct auth_client *c)
{
	return c->out != NULL && c->sent < c->out->len ? POLLOUT : POLLIN;
}

/* Send what is left of the request; 0 (maybe partly), or -1. */
static int
client_send(struct auth_client *c, const char **errstr_r)
{
	ssize_t n;

	while (c->sent < c->out->len) {
		n = send(c->fd, c->out->data + c->sent, c->out->len - c->sent,
		    MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0) {
			*errstr_r = "the password service closed the connection";
			return -1;
		}
		c->sent += (size_t)n;
	}
	return 0;
}

/* Turn a parsed answer into the final result. */
static int
client_result(struct auth_client *c, const struct auth_reply *rep,
    const char **errstr_r)
{
	switch (rep->status) {
	case AUTH_ST_OK:
		memcpy(c->value, rep->value.p, rep->value.len);
		c->value[rep->value.len] = '\0';
		return 1;
	case AUTH_ST_NO:
		c->delay = auth_proto_seconds(&rep->value);
		return 0;
	case AUTH_ST_WAIT:
		c->delay = auth_proto_seconds(&rep->value);
		if (c->delay > 0)
			return AUTH_CLIENT_WAIT;
		*errstr_r = "malformed WAIT answer from the password service";
		return -1;
	case AUTH_ST_DENY:
		*errstr_r = client_reason("the password service refused us",
		    rep->value.p, rep->value.len);
		return -1;
	case AUTH_ST_TEMP:
		break;
	}
	*errstr_r = client_reason("the password service failed",
	    rep->value.p, rep->value.len);
	return -1;
}

/* Read and parse what the service sent so far. */
static int
client_receive(struct auth_client *c, const char **errstr_r)
{
	struct auth_reply rep;
	size_t used = 0;
	ssize_t n;
	int rc;

	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return AUTH_CLIENT_AGAIN;
	if (n <= 0) {
		*errstr_r = "the password service closed the connection";
		return -1;
	}
	c->inlen += (size_t)n;
	rc = auth_proto_parse_reply(c->in, c->inlen, &rep, &used);
	if (rc == 1)
		return client_result(c, &rep, errstr_r);
	if (rc < 0 || c->inlen == sizeof(c->in)) {
		*errstr_r = "malformed answer from the password service";
		return -1;
	}
	return AUTH_CLIENT_AGAIN;
}

/* One step after poll (see auth_client.h). */
int
auth_client_step(struct auth_client *c, const char **errstr_r)
{
	if (c->result != AUTH_CLIENT_AGAIN)
		return c->result;
	if (c->sent < c->out->len) {
		if (client_send(c, errstr_r) < 0)
			return c->result = -1;
		if (c->sent < c->out->len)
			return AUTH_CLIENT_AGAIN;
	}
	c->result = client_receive(c, errstr_r);
	return c->result;
}

/* Seconds named by a NO (delay the answer) or WAIT (ask again) answer. */
unsigned
auth_client_delay(const struct auth_client *c)
{
	return c->delay;
}

/* After AUTH_CLIENT_WAIT: send the same request again (see auth_client.h). */
int
auth_client_retry(struct auth_client *c, const char **errstr_r)
{
	int e;

	if (c->result != AUTH_CLIENT_WAIT) {
		*errstr_r = "nothing to ask again";
		return -1;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->sent = 0;
	c->inlen = 0;
	c->delay = 0;
	c->result = AUTH_CLIENT_AGAIN;
	if ((c->fd = client_connect()) >= 0)
		return 0;
	e = errno;
	c->result = -1;
	*errstr_r = client_reason("cannot reach the password service",
	    strerror(e), strlen(strerror(e)));
	return -1;
}

/* The cookie or user name of a good answer ("" otherwise). */
const char *
auth_client_value(const struct auth_client *c)
{
	return c->value;
}

/* Close, wipe and free a handle. */
void
auth_client_free(struct auth_client **cp)
{
	struct auth_client *c = *cp;

	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	if (c->out != NULL) {
		explicit_bzero(c->out->data, c->out->cap);
		buf_free(&c->out);
	}
	explicit_bzero(c, sizeof(*c));
	free(c);
	*cp = NULL;
}

/* Milliseconds left until deadline (CLOCK_MONOTONIC), at least 0. */
static int
client_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > 86400000 ? 86400000 : (int)ms;
}

/* Drive a started request to its end within auth_timeout. */
static int
client_run(struct auth_client *c, const char **errstr_r)
{
	struct timespec deadline;
	struct pollfd pfd;
	int n;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += var_auth_timeout > 0 ? var_auth_timeout : 30;
	while (auth_client_fd(c) >= 0 &&
	    auth_client_step(c, errstr_r) == AUTH_CLIENT_AGAIN) {
		pfd.fd = c->fd;
		pfd.events = (short)auth_client_events(c);
		n = poll(&pfd, 1, client_ms_left(&deadline));
		if (n == 0) {
			*errstr_r = "the password service did not answer in time";
			return -1;
		}
		if (n < 0 && errno != EINTR) {
			*errstr_r = "poll failed";
			return -1;
		}
	}
	return auth_client_step(c, errstr_r);
}

/* Blocking VERIFY (see auth_client.h). */
int
auth_client_verify(const char *service, const char *user, const char *pw,
    size_t pwlen, const char *addr, char *cookie_r, unsigned *delay_r,
    const char **errstr_r)
{
	struct auth_client *c;
	unsigned waited = 0;
	size_t n;
	int rc;

	if (cookie_r != NULL)
		cookie_r[0] = '\0';
	if (delay_r != NULL)
		*delay_r = 0;
	if ((c = auth_client_start_verify(service, user, pw, pwlen, addr,
	    errstr_r)) == NULL)
		return -1;
	while ((rc = client_run(c, errstr_r)) == AUTH_CLIENT_WAIT) {
		if ((waited += c->delay) > (unsigned)var_auth_timeout) {
			*errstr_r = "too many failed logins from this address";
			rc = -1;
			break;
		}
		sleep(c->delay);
		if (auth_client_retry(c, errstr_r) != 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0 && delay_r != NULL)
		*delay_r = c->delay;
	if (rc == 1 && cookie_r != NULL) {
		n = strnlen(c->value, AUTH_PROTO_COOKIE_LEN);
		memcpy(cookie_r, c->value, n);
		cookie_r[n] = '\0';
	}
	auth_client_free(&c);
	return rc;
}

/* Blocking REDEEM (see auth_client.h). */
int
auth_client_redeem(const char *cookie, char *user_r, size_t size,
    const char **errstr_r)
{
	struct auth_client *c;
	int rc;

	if (size > 0)
		user_r[0] = '\0';
	if ((c = auth_client_start_redeem(cookie, errstr_r)) == NULL)
		return -1;
	rc = client_run(c, errstr_r);
	if (rc == 1 && strlen(c->value) >= size) {
		*errstr_r = "the redeemed user name does not fit";
		rc = -1;
	} else if (rc == 1)
		memcpy(user_r, c->value, strlen(c->value) + 1);
	auth_client_free(&c);
	return rc;
}
