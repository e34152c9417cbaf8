/*
 * deliver.c - request/reply framing between the queue manager and delivery
 * agents (see deliver.h for the protocol), and descriptor passing.
 *
 * Public: deliver_decoder_new/free/feed/run/reset, deliver_encode_request,
 * deliver_encode_status, deliver_encode_end, deliver_send_fd, deliver_recv.
 * The decoder is pure (no I/O) and bounded: one fixed line buffer, at most
 * DELIVER_RCPT_MAX recipients, every number range-checked.
 * Security: the peer is a local daemon but its bytes are still parsed as
 * untrusted input; a received descriptor is always close-on-exec.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "deliver.h"
#include "linereader.h"
#include "strutil.h"

#define DEC_FIRST 0		/* request: QID; reply: STATUS/END */
#define DEC_SENDER 1
#define DEC_RCPT 2
#define DEC_DONE 3
#define DEC_INDEX_MAX 10000000L

/* A fresh decoder for requests or replies. */
struct deliver_decoder *
deliver_decoder_new(enum deliver_kind kind)
{
	struct deliver_decoder *d = xcalloc(1, sizeof(*d));

	d->kind = kind;
	d->lr = linereader_new(DELIVER_LINE_MAX);
	return d;
}

/* Drop the parsed message's allocations. */
static void
msg_clear(struct deliver_msg *m)
{
	for (size_t i = 0; i < m->nrcpts; i++) {
		free(m->rcpts[i].addr);
		free(m->rcpts[i].text);
		free(m->rcpts[i].remote_mta);
		free(m->rcpts[i].diag);
	}
	free(m->rcpts);
	free(m->sender);
	free(m->nexthop);
	memset(m, 0, sizeof(*m));
}

/* Free the decoder and NULL the pointer. */
void
deliver_decoder_free(struct deliver_decoder **dp)
{
	if (*dp == NULL)
		return;
	msg_clear(&(*dp)->msg);
	linereader_free(&(*dp)->lr);
	free(*dp);
	*dp = NULL;
}

/* Forget the current message; buffered input stays for the next one. */
void
deliver_decoder_reset(struct deliver_decoder *d)
{
	msg_clear(&d->msg);
	d->state = DEC_FIRST;
}

/* Buffer input bytes; returns how many were taken. */
size_t
deliver_decoder_feed(struct deliver_decoder *d, const char *p, size_t n)
{
	return linereader_feed(d->lr, p, n);
}

/* A new recipient slot, or NULL past the bound. */
static struct deliver_rcpt *
msg_add_rcpt(struct deliver_msg *m)
{
	if (m->nrcpts >= DELIVER_RCPT_MAX)
		return NULL;
	if (m->nrcpts == m->alloc) {
		m->alloc = m->alloc ? m->alloc * 2 : 8;
		m->rcpts = xreallocarray(m->rcpts, m->alloc, sizeof(*m->rcpts));
	}
	memset(&m->rcpts[m->nrcpts], 0, sizeof(m->rcpts[0]));
	return &m->rcpts[m->nrcpts++];
}

/* Split "word rest": word length, and rest after one blank (or NULL). */
static size_t
next_word(const char *p, size_t len, const char **rest_r, size_t *restlen_r)
{
	const char *sp = memchr(p, ' ', len);

	if (sp == NULL) {
		*rest_r = NULL;
		*restlen_r = 0;
		return len;
	}
	*rest_r = sp + 1;
	*restlen_r = len - (size_t)(sp + 1 - p);
	return (size_t)(sp - p);
}

/* "<index> <address>" of a RCPT line. */
static int
parse_rcpt(struct deliver_msg *m, const char *p, size_t len)
{
	const char *rest;
	size_t restlen, wl = next_word(p, len, &rest, &restlen);
	long idx;
	struct deliver_rcpt *r;

	if (rest == NULL || restlen == 0 ||
	    str_to_long(p, wl, 0, DEC_INDEX_MAX, &idx) < 0)
		return -1;
	if ((r = msg_add_rcpt(m)) == NULL)
		return -1;
	r->index = idx;
	r->addr = xstrndup(rest, restlen);
	return 0;
}

/* 1 if p/n looks like an enhanced status code (digits and dots). */
static int
enh_valid(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((p[i] < '0' || p[i] > '9') && p[i] != '.')
			return 0;
	return n > 0;
}

/* "<index> <class> <enh> <text>" of a STATUS line. */
static int
parse_status(struct deliver_msg *m, const char *p, size_t len)
{
	const char *a, *b, *c;
	size_t alen, blen, clen, wl, cl, el;
	long idx, klass;
	struct deliver_rcpt *r;

	wl = next_word(p, len, &a, &alen);
	if (a == NULL || str_to_long(p, wl, 0, DEC_INDEX_MAX, &idx) < 0)
		return -1;
	cl = next_word(a, alen, &b, &blen);
	if (b == NULL || str_to_long(a, cl, 2, 5, &klass) < 0 || klass == 3)
		return -1;
	el = next_word(b, blen, &c, &clen);
	if (el == 0 || el >= DELIVER_ENH_MAX || !enh_valid(b, el))
		return -1;
	if ((r = msg_add_rcpt(m)) == NULL)
		return -1;
	r->index = idx;
	r->status_class = (int)klass;
	memcpy(r->enh, b, el);
	r->enh[el] = '\0';
	r->text = c != NULL ? xstrndup(c, clen) : xstrdup("");
	return 0;
}

/* "<mta> <diag>" of a REMOTE line: belongs to the last STATUS line. */
static int
parse_remote(struct deliver_msg *m, const char *p, size_t len)
{
	const char *rest;
	size_t restlen, wl = next_word(p, len, &rest, &restlen);
	struct deliver_rcpt *r;

	if (m->nrcpts == 0 || wl == 0)
		return -1;
	r = &m->rcpts[m->nrcpts - 1];
	if (r->remote_mta != NULL)
		return -1;
	r->remote_mta = xstrndup(p, wl);
	r->diag = rest != NULL ? xstrndup(rest, restlen) : xstrdup("");
	return 0;
}

/* Keyword match: line starts with kw followed by a blank (or ends). */
static int
keyword(const char *p, size_t len, const char *kw, const char **arg_r,
    size_t *arglen_r)
{
	size_t kl = strlen(kw);

	if (len < kl || memcmp(p, kw, kl) != 0)
		return 0;
	if (len == kl) {
		*arg_r = NULL;
		*arglen_r = 0;
		return 1;
	}
	if (p[kl] != ' ')
		return 0;
	*arg_r = p + kl + 1;
	*arglen_r = len - kl - 1;
	return 1;
}

/* One request line; 1 at END, 0 to go on, -1 on error. */
static int
request_line(struct deliver_decoder *d, const char *p, size_t len)
{
	const char *arg;
	size_t al;

	if (d->state == DEC_FIRST) {
		if (!keyword(p, len, "QID", &arg, &al) || arg == NULL ||
		    al == 0 || al >= QFILE_QID_MAX)
			return -1;
		memcpy(d->msg.qid, arg, al);
		d->msg.qid[al] = '\0';
		d->state = DEC_SENDER;
		return 0;
	}
	if (d->state == DEC_SENDER) {
		if (!keyword(p, len, "SENDER", &arg, &al))
			return -1;
		d->msg.sender = arg != NULL ? xstrndup(arg, al) : xstrdup("");
		d->state = DEC_RCPT;
		return 0;
	}
	if (keyword(p, len, "NEXTHOP", &arg, &al) && arg != NULL && al > 0 &&
	    d->msg.nexthop == NULL && d->msg.nrcpts == 0) {
		d->msg.nexthop = xstrndup(arg, al);
		return 0;
	}
	if (keyword(p, len, "RCPT", &arg, &al) && arg != NULL)
		return parse_rcpt(&d->msg, arg, al);
	if (len == 3 && memcmp(p, "END", 3) == 0 && d->msg.nrcpts > 0)
		return 1;
	return -1;
}

/* One reply line; 1 at END, 0 to go on, -1 on error. */
static int
reply_line(struct deliver_decoder *d, const char *p, size_t len)
{
	const char *arg;
	size_t al;

	if (keyword(p, len, "STATUS", &arg, &al) && arg != NULL)
		return parse_status(&d->msg, arg, al);
	if (keyword(p, len, "REMOTE", &arg, &al) && arg != NULL)
		return parse_remote(&d->msg, arg, al);
	if (len == 5 && memcmp(p, "DSNOK", 5) == 0) {
		if (d->msg.nrcpts == 0 ||
		    d->msg.rcpts[d->msg.nrcpts - 1].dsn_passed ||
		    d->msg.rcpts[d->msg.nrcpts - 1].status_class != 2)
			return -1;
		d->msg.rcpts[d->msg.nrcpts - 1].dsn_passed = 1;
		return 0;
	}
	if (len == 8 && memcmp(p, "SITEFAIL", 8) == 0) {
		d->msg.site_failed = 1;
		return 0;
	}
	if (len == 3 && memcmp(p, "END", 3) == 0)
		return 1;
	return -1;
}

/* Parse buffered lines: 1 message complete, 0 need more, -1 error. */
int
deliver_decoder_run(struct deliver_decoder *d, const char **errstr_r)
{
	const char *line;
	size_t len;
	enum line_ending end;
	enum line_status st;
	int r;

	while (d->state != DEC_DONE) {
		st = linereader_get(d->lr, &line, &len, &end);
		if (st == LINE_NEED_MORE)
			return 0;
		if (st == LINE_TOO_LONG || memchr(line, '\0', len) != NULL) {
			*errstr_r = "protocol error: bad line";
			return -1;
		}
		r = d->kind == DELIVER_REQUEST ? request_line(d, line, len) :
		    reply_line(d, line, len);
		if (r < 0) {
			*errstr_r = "protocol error: unexpected line";
			return -1;
		}
		if (r == 1)
			d->state = DEC_DONE;
	}
	return 1;
}

/* 1 if s is safe to put on one protocol line. */
static int
line_safe(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}

/* Append a whole request to b. */
int
deliver_encode_request(struct buf *b, const char *qid, const char *sender,
    const struct deliver_rcpt *rcpts, size_t n)
{
	return deliver_encode_request_nh(b, qid, sender, NULL, rcpts, n);
}

/* Append a whole request with an optional NEXTHOP line to b. */
int
deliver_encode_request_nh(struct buf *b, const char *qid, const char *sender,
    const char *nexthop, const struct deliver_rcpt *rcpts, size_t n)
{
	if (!line_safe(qid) || !line_safe(sender) || n == 0 ||
	    n > DELIVER_RCPT_MAX)
		return -1;
	if (buf_printf(b, "QID %s\nSENDER %s\n", qid, sender) < 0)
		return -1;
	if (nexthop != NULL && (!line_safe(nexthop) || nexthop[0] == '\0' ||
	    strlen(nexthop) > DELIVER_LINE_MAX - 16 ||
	    buf_printf(b, "NEXTHOP %s\n", nexthop) < 0))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!line_safe(rcpts[i].addr) || rcpts[i].addr[0] == '\0' ||
		    strlen(rcpts[i].addr) > DELIVER_LINE_MAX - 32)
			return -1;
		if (buf_printf(b, "RCPT %ld %s\n", rcpts[i].index,
		    rcpts[i].addr) < 0)
			return -1;
	}
	return buf_append_str(b, "END\n");
}

/* Append one STATUS line; the text is cleaned and cut. */
int
deliver_encode_status(struct buf *b, long index, int status_class,
    const char *enh, const char *text)
{
	char clean[DELIVER_TEXT_MAX];

	if (status_class != 2 && status_class != 4 && status_class != 5)
		return -1;
	if (strlen(enh) >= DELIVER_ENH_MAX || !enh_valid(enh, strlen(enh)))
		return -1;
	log_sanitize(clean, sizeof(clean), text, strlen(text));
	return buf_printf(b, "STATUS %ld %d %s %s\n", index, status_class,
	    enh, clean);
}

/* Append a REMOTE line (mta and diagnostic cleaned and cut). */
int
deliver_encode_remote(struct buf *b, const char *mta, const char *diag)
{
	char cm[256], cd[DELIVER_TEXT_MAX];

	log_sanitize(cm, sizeof(cm), mta, strlen(mta));
	log_sanitize(cd, sizeof(cd), diag, strlen(diag));
	if (cm[0] == '\0' || strchr(cm, ' ') != NULL)
		return -1;
	return buf_printf(b, "REMOTE %s %s\n", cm, cd);
}

/* Append the DSNOK line. */
int
deliver_encode_dsnok(struct buf *b)
{
	return buf_append_str(b, "DSNOK\n");
}

/* Append the SITEFAIL line. */
int
deliver_encode_sitefail(struct buf *b)
{
	return buf_append_str(b, "SITEFAIL\n");
}

/* Append the END line of a reply. */
int
deliver_encode_end(struct buf *b)
{
	return buf_append_str(b, "END\n");
}

/* Send bytes with a descriptor attached; bytes sent or -1. */
ssize_t
deliver_send_fd(int sock, int fd, const void *p, size_t n)
{
	struct msghdr mh;
	struct iovec iov;
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int))];
	} u;
	struct cmsghdr *cm;

	memset(&mh, 0, sizeof(mh));
	memset(&u, 0, sizeof(u));
	iov.iov_base = (void *)p;
	iov.iov_len = n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.space;
	mh.msg_controllen = sizeof(u.space);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Close every descriptor in a control message. */
static int
close_cmsg_fds(struct cmsghdr *cm, int keep_first, int *fd_r)
{
	size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	int fd, extra = 0;

	for (size_t i = 0; i < nfd; i++) {
		memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
		if (keep_first && i == 0 && *fd_r < 0) {
			*fd_r = fd;
			continue;
		}
		close(fd);
		extra = 1;
	}
	return extra;
}

/* Receive bytes and at most one descriptor. */
ssize_t
deliver_recv(int sock, void *p, size_t n, int *fd_r)
{
	struct msghdr mh;
	struct iovec iov;
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(int) * 4)];
	} u;
	struct cmsghdr *cm;
	ssize_t got;
	int bad = 0;

	*fd_r = -1;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = p;
	iov.iov_len = n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.space;
	mh.msg_controllen = sizeof(u.space);
	got = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	if (got < 0)
		return -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			bad |= close_cmsg_fds(cm, 1, fd_r);
	}
	if (bad || (mh.msg_flags & MSG_CTRUNC)) {
		if (*fd_r >= 0)
			close(*fd_r);
		*fd_r = -1;
		errno = EBADMSG;
		return -1;
	}
	return got;
}
