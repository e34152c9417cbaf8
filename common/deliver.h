/*
 * deliver.h - the protocol between the queue manager and its delivery agents
 * (petrel-local now, the remote SMTP client later), over a unix stream
 * socket.  One connection carries one request at a time and is reused.
 *
 * Request (queue manager -> agent), lines end in LF:
 *   QID <qid>                 first line; the open queue file travels with
 *                             this line's bytes as an SCM_RIGHTS descriptor
 *                             (the agent never opens spool paths)
 *   SENDER <address>          "SENDER " alone is the null sender
 *   NEXTHOP <destination>     optional (remote agent): a domain for an MX
 *                             lookup, "[host]" or "[host]:port" for no MX
 *                             lookup, "host:port" for an MX lookup on port
 *   RCPT <index> <address>    one or more; index = position in the queue
 *                             file's recipient list (the address is the rest
 *                             of the line and may hold blanks)
 *   END
 * Reply (agent -> queue manager):
 *   STATUS <index> <class> <enhanced> <text>   one per request recipient;
 *                             class 2 (delivered), 4 (try again), 5 (failed)
 *   REMOTE <mta> <reply>      optional, right after a STATUS line: the
 *                             remote host name and its SMTP reply text (for
 *                             the DSN's Remote-MTA and Diagnostic-Code)
 *   DSNOK                     optional, after a STATUS line of class 2: the
 *                             next hop took over DSN duties (it offered the
 *                             DSN extension), so no "relayed" notice is due
 *   SITEFAIL                  optional: the destination itself could not be
 *                             reached (no session at all); the queue manager
 *                             uses it to shrink concurrency / mark it dead
 *   END
 * Lines are at most DELIVER_LINE_MAX bytes, a request holds at most
 * DELIVER_RCPT_MAX recipients; anything else is a protocol error and the
 * connection is dropped (the queue manager then defers).
 *
 * Public (pure, no I/O):
 *   deliver_decoder_new(kind)        kind DELIVER_REQUEST or DELIVER_REPLY.
 *   deliver_decoder_feed(d, p, n)    buffers bytes; returns how many it took
 *                                    (less than n only when its line buffer
 *                                    is full: run the decoder and feed again).
 *   deliver_decoder_run(d, &errstr)  1: a whole message is in d->msg; 0: need
 *                                    more bytes; -1: protocol error.
 *   deliver_decoder_reset(d)         forget the message, keep buffered input.
 *   deliver_decoder_free(&d)
 *   deliver_encode_request(b, qid, sender, rcpts, n)  -1 if an address holds
 *                                    CR/LF/NUL or b's maximum is passed.
 *   deliver_encode_status(b, index, class, enh, text)  text is cleaned of
 *                                    control characters and cut.
 *   deliver_encode_end(b)
 *   deliver_encode_request_nh(b, qid, sender, nexthop, rcpts, n)  the
 *                                    same with a NEXTHOP line (NULL: none).
 *   deliver_encode_remote(b, mta, diag)  REMOTE line (cleaned and cut).
 *   deliver_encode_sitefail(b)
 *   deliver_encode_dsnok(b)          DSNOK for the last STATUS line.
 * Public (I/O):
 *   deliver_send_fd(sock, fd, p, n)  sendmsg with the descriptor attached to
 *                                    the bytes; MSG_NOSIGNAL|MSG_DONTWAIT;
 *                                    bytes sent or -1.
 *   deliver_recv(sock, p, n, &fd_r)  recvmsg with MSG_CMSG_CLOEXEC; *fd_r is
 *                                    a received descriptor or -1 (extra or
 *                                    truncated descriptors are closed and
 *                                    counted as an error: -1, EBADMSG).
 * Security: both sides treat the other's bytes as untrusted input: bounded
 * lines and counts, checked numbers.
 */
#ifndef PETREL_DELIVER_H
#define PETREL_DELIVER_H

#include <stddef.h>
#include <sys/types.h>
#include "log.h"
#include "qfile.h"

#define DELIVER_LINE_MAX 4096
#define DELIVER_RCPT_MAX 100000
#define DELIVER_ENH_MAX 16
#define DELIVER_TEXT_MAX 512

enum deliver_kind { DELIVER_REQUEST, DELIVER_REPLY };

struct buf;

struct deliver_rcpt {
	long index;
	char *addr;		/* request */
	int status_class;	/* reply: 2, 4 or 5 */
	char enh[DELIVER_ENH_MAX];
	char *text;		/* reply */
	char *remote_mta;	/* reply, optional: remote host name */
	char *diag;		/* reply, optional: remote server's reply */
	int dsn_passed;		/* reply: DSNOK followed the STATUS line */
};

struct deliver_msg {
	char qid[QFILE_QID_MAX];
	char *sender;
	char *nexthop;		/* request, optional; NULL when absent */
	int site_failed;	/* reply: SITEFAIL was present */
	struct deliver_rcpt *rcpts;
	size_t nrcpts;
	size_t alloc;
};

struct deliver_decoder {
	enum deliver_kind kind;
	int state;
	struct linereader *lr;
	struct deliver_msg msg;
};

struct deliver_decoder *deliver_decoder_new(enum deliver_kind kind);
void deliver_decoder_free(struct deliver_decoder **dp);
size_t deliver_decoder_feed(struct deliver_decoder *d, const char *p, size_t n);
int deliver_decoder_run(struct deliver_decoder *d, const char **errstr_r)
    WARN_UNUSED;
void deliver_decoder_reset(struct deliver_decoder *d);

int deliver_encode_request(struct buf *b, const char *qid, const char *sender,
    const struct deliver_rcpt *rcpts, size_t n) WARN_UNUSED;
int deliver_encode_request_nh(struct buf *b, const char *qid,
    const char *sender, const char *nexthop, const struct deliver_rcpt *rcpts,
    size_t n) WARN_UNUSED;
int deliver_encode_status(struct buf *b, long index, int status_class,
    const char *enh, const char *text) WARN_UNUSED;
int deliver_encode_end(struct buf *b) WARN_UNUSED;
int deliver_encode_remote(struct buf *b, const char *mta, const char *diag)
    WARN_UNUSED;
int deliver_encode_sitefail(struct buf *b) WARN_UNUSED;
int deliver_encode_dsnok(struct buf *b) WARN_UNUSED;

ssize_t deliver_send_fd(int sock, int fd, const void *p, size_t n);
ssize_t deliver_recv(int sock, void *p, size_t n, int *fd_r);

#endif
