/*
 * inject.c - client side of the queue injection service (protocol in
 * inject.h), used by smtpd and the sendmail front end.
 *
 * Public: inject_connect, inject_begin, inject_qid, inject_attr,
 * inject_rcpt, inject_rcpt_dsn, inject_data, inject_end, inject_etrn,
 * inject_alive, inject_close.
 *
 * Output goes through a 64 KB buffer; message text is gathered into frames
 * of up to 64 KB ("<n>\n<n bytes>") however small the caller's pieces are.
 * Every read and write waits at most var_inject_timeout seconds.  Every
 * transaction gets exactly two reply lines from the service: "QID <qid>"
 * or "ERR ..." after MAIL, and "OK <qid>" or "ERR ..." after the final "0".
 * Any I/O failure, timeout or unparsable reply makes the connection broken
 * and the reply the local "451 4.3.0 Queue file write error".
 * Security: the service's replies are bounded (1 KB lines) and checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "alloc.h"
#include "inject.h"
#include "params.h"

#define INJECT_BUF 65536
#define INJECT_LINE 1024
#define INJECT_IOERR "451 4.3.0 Queue file write error"

struct inject {
	int fd;
	int broken;
	int qid_read;		/* the reply to MAIL was consumed */
	int qid_failed;		/* ... and it was ERR */
	int data_started;
	size_t olen, ilen, slen;
	char qid[QFILE_QID_MAX];
	char reply[INJECT_LINE];
	char in[INJECT_LINE];
	char out[INJECT_BUF];
	char stage[INJECT_BUF];
};

/* Wait until fd is ready for events; 1 ready, 0 timeout, -1 error. */
static int
inject_wait(int fd, short events)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int r;

	do {
		r = poll(&pfd, 1, (int)(var_inject_timeout > 0 ?
		    var_inject_timeout * 1000 : 300000));
	} while (r < 0 && errno == EINTR);
	return r;
}

/* Whether an idle connection is still usable: the service closes idle
 * connections after inject_timeout, and an idle one has nothing to read. */
int
inject_alive(struct inject *ij)
{
	char c;
	ssize_t r;

	if (ij == NULL || ij->broken)
		return 0;
	r = recv(ij->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* Connect to the service's unix socket; NULL with errstr on failure. */
struct inject *
inject_connect(const char *path, const char **errstr_r)
{
	struct sockaddr_un sun;
	struct inject *ij;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		*errstr_r = "inject socket path too long";
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*errstr_r = "cannot create socket";
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		*errstr_r = errno == ENOENT || errno == ECONNREFUSED ?
		    "queue injection service not running" :
		    "cannot connect to queue injection service";
		close(fd);
		return NULL;
	}
	ij = xmalloc(sizeof(*ij));
	/* out and stage (128 KB) are written before they are read */
	memset(ij, 0, offsetof(struct inject, out));
	ij->fd = fd;
	return ij;
}

/* Write the whole output buffer plus (p, n); marks broken on failure. */
static int
inject_write_all(struct inject *ij, const char *p, size_t n)
{
	const char *parts[2] = { ij->out, p };
	size_t lens[2] = { ij->olen, n };

	for (int k = 0; k < 2 && !ij->broken; k++) {
		while (lens[k] > 0) {
			/* MSG_DONTWAIT: a service that stops reading must
			 * not hold us past the timeout poll() enforces; poll
			 * only when the socket is full. */
			ssize_t r = send(ij->fd, parts[k], lens[k],
			    MSG_NOSIGNAL | MSG_DONTWAIT);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno == EAGAIN) {
				if (inject_wait(ij->fd, POLLOUT) <= 0)
					break;
				continue;
			}
			if (r <= 0)
				break;
			parts[k] += r;
			lens[k] -= (size_t)r;
		}
		if (lens[k] > 0)
			ij->broken = 1;
	}
	ij->olen = 0;
	return ij->broken ? -1 : 0;
}

/* Send what is buffered; 0 or -1. */
int
inject_flush(struct inject *ij)
{
	if (ij->broken)
		return -1;
	return ij->olen > 0 ? inject_write_all(ij, "", 0) : 0;
}

/* Buffered output. */
static int
inject_out(struct inject *ij, const void *p, size_t n)
{
	if (ij->broken)
		return -1;
	if (ij->olen + n <= sizeof(ij->out)) {
		memcpy(ij->out + ij->olen, p, n);
		ij->olen += n;
		return 0;
	}
	return inject_write_all(ij, p, n);
}

/* Send "<verb> <arg>\n" after checking arg holds no line break or NUL. */
static int
inject_cmd(struct inject *ij, const char *verb, const char *a, const char *b)
{
	char line[INJECT_LINE];
	int n;

	if (strpbrk(a, "\r\n") != NULL || (b != NULL && strpbrk(b, "\r\n")))
		return -1;
	n = snprintf(line, sizeof(line), "%s %s%s%s\n", verb, a,
	    b != NULL ? "=" : "", b != NULL ? b : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return inject_out(ij, line, (size_t)n);
}

/* Start a message: MAIL with the envelope sender ("" = null sender). */
int
inject_begin(struct inject *ij, const char *sender)
{
	ij->qid_read = ij->qid_failed = ij->data_started = 0;
	ij->slen = 0;
	ij->qid[0] = '\0';
	return inject_cmd(ij, "MAIL", sender, NULL);
}

/* One attribute line (client_address, helo, ...). */
int
inject_attr(struct inject *ij, const char *name, const char *value)
{
	if (name[0] == '\0' || strchr(name, '=') != NULL)
		return -1;
	return inject_cmd(ij, "ATTR", name, value);
}

/* One recipient line. */
int
inject_rcpt(struct inject *ij, const char *addr)
{
	return inject_cmd(ij, "RCPT", addr, NULL);
}

/* Queue an RDSN line for the recipient just sent. */
int
inject_rcpt_dsn(struct inject *ij, const char *words)
{
	return inject_cmd(ij, "RDSN", words, NULL);
}

/* Flush output, then read one reply line into ij->in; 0 or -1. */
static int
inject_read_line(struct inject *ij)
{
	char *nl;
	ssize_t r;

	if (ij->broken || (ij->olen > 0 && inject_write_all(ij, "", 0) < 0))
		return -1;
	while ((nl = memchr(ij->in, '\n', ij->ilen)) == NULL) {
		if (ij->ilen >= sizeof(ij->in) - 1 ||
		    inject_wait(ij->fd, POLLIN) <= 0)
			break;
		r = read(ij->fd, ij->in + ij->ilen, sizeof(ij->in) - 1 - ij->ilen);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		ij->ilen += (size_t)r;
	}
	if (nl == NULL) {
		ij->broken = 1;
		return -1;
	}
	*nl = '\0';
	snprintf(ij->reply, sizeof(ij->reply), "%s", ij->in);
	ij->ilen -= (size_t)(nl + 1 - ij->in);
	memmove(ij->in, nl + 1, ij->ilen);
	return 0;
}

/* Check an "ERR <code> <enh> <text>" line and point *reply_r at its text. */
static void
inject_err_reply(struct inject *ij, const char **reply_r)
{
	const char *r = ij->reply + 4;

	if (strncmp(ij->reply, "ERR ", 4) != 0 || (r[0] != '4' && r[0] != '5')
	    || r[1] < '0' || r[1] > '9' || r[2] < '0' || r[2] > '9' ||
	    r[3] != ' ') {
		ij->broken = 1;
		*reply_r = INJECT_IOERR;
		return;
	}
	*reply_r = r;
}

/* Read the reply to MAIL once; the queue ID or NULL with *reply_r. */
const char *
inject_qid(struct inject *ij, const char **reply_r)
{
	if (!ij->qid_read) {
		if (inject_read_line(ij) < 0) {
			*reply_r = INJECT_IOERR;
			return NULL;
		}
		ij->qid_read = 1;
		if (strncmp(ij->reply, "QID ", 4) == 0 &&
		    qfile_valid_qid(ij->reply + 4)) {
			snprintf(ij->qid, sizeof(ij->qid), "%s", ij->reply + 4);
		} else {
			ij->qid_failed = 1;
			inject_err_reply(ij, reply_r);
			return NULL;
		}
	}
	if (ij->qid_failed) {
		*reply_r = ij->broken ? INJECT_IOERR : ij->reply + 4;
		return NULL;
	}
	return ij->qid;
}

/* Emit the staged text as one frame. */
static int
inject_frame(struct inject *ij)
{
	char hdr[32];
	int n;

	if (!ij->data_started) {
		if (inject_out(ij, "DATA\n", 5) < 0)
			return -1;
		ij->data_started = 1;
	}
	if (ij->slen == 0)
		return 0;
	n = snprintf(hdr, sizeof(hdr), "%zu\n", ij->slen);
	if (inject_out(ij, hdr, (size_t)n) < 0 ||
	    inject_out(ij, ij->stage, ij->slen) < 0)
		return -1;
	ij->slen = 0;
	return 0;
}

/* Message text (LF line ends, already dot-unstuffed). */
int
inject_data(struct inject *ij, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		size_t t = sizeof(ij->stage) - ij->slen;

		if (t > n)
			t = n;
		memcpy(ij->stage + ij->slen, s, t);
		ij->slen += t;
		s += t;
		n -= t;
		if (ij->slen == sizeof(ij->stage) && inject_frame(ij) < 0)
			return -1;
	}
	return ij->broken ? -1 : 0;
}

/* End the message and read the verdict: 0 queued (qid_r), -1 (*reply_r). */
int
inject_end(struct inject *ij, char qid_r[QFILE_QID_MAX], const char **reply_r)
{
	const char *dummy;

	if (inject_frame(ij) < 0 || inject_out(ij, "0\n", 2) < 0) {
		*reply_r = INJECT_IOERR;
		return -1;
	}
	if (!ij->qid_read)
		(void)inject_qid(ij, &dummy);
	if (ij->broken || inject_read_line(ij) < 0) {
		*reply_r = INJECT_IOERR;
		return -1;
	}
	if (strncmp(ij->reply, "OK ", 3) == 0 && !ij->qid_failed &&
	    strcmp(ij->reply + 3, ij->qid) == 0) {
		snprintf(qid_r, QFILE_QID_MAX, "%s", ij->qid);
		return 0;
	}
	inject_err_reply(ij, reply_r);
	return -1;
}

/* Ask the service to flush deferred mail for domain (ETRN); 0 or -1. */
int
inject_etrn(struct inject *ij, const char *domain, const char **reply_r)
{
	if (inject_cmd(ij, "ETRN", domain, NULL) < 0 ||
	    inject_read_line(ij) < 0) {
		ij->broken = 1;
		*reply_r = INJECT_IOERR;
		return -1;
	}
	if (strcmp(ij->reply, "OK") == 0)
		return 0;
	inject_err_reply(ij, reply_r);
	return -1;
}

/* Close the connection and free; NULLs the pointer. */
void
inject_close(struct inject **ijp)
{
	struct inject *ij = *ijp;

	if (ij == NULL)
		return;
	if (ij->olen > 0 && !ij->broken)
		(void)inject_write_all(ij, "", 0);
	close(ij->fd);
	free(ij);
	*ijp = NULL;
}
