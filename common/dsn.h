/*
 * dsn.h - compose delivery status notifications (RFC 3464 message/delivery-status
 * inside an RFC 6522 multipart/report) that the queue manager queues as a new
 * message from MAILER-DAEMON with the null sender.
 *
 * Public:
 *   dsn_compose(out, r, next, arg, &errstr)  append the whole report (headers +
 *             body, LF line ends) to out; the original message is read through
 *             next() (LF line ends, as stored in the queue).  0, or -1 with
 *             *errstr_r set (read error, out's maximum reached, bad arguments);
 *             on -1 out->len is restored to what it was.  next may be NULL
 *             (original unknown: an empty attachment).
 *   dsn_subject(kind)   the Subject: text for "failure", "delay", "success".
 *   dsn_rfc5322_date(t, buf, size)  "Tue, 06 Feb 2024 10:11:12 +0100" in local
 *             time with a numeric zone; 0, or -1 when size is too small.
 *
 * The original is attached in full (message/rfc822) when !headers_only and it
 * is no bigger than size_limit (0: no limit beyond out->max); otherwise only its
 * header block (text/rfc822-headers, cut at DSN_HEADER_MAX).  At most
 * max(size_limit, DSN_HEADER_MAX) + 1 bytes of it are held in memory, and
 * reading stops as soon as the attachment is decided.
 *
 * Security: every caller-supplied value that goes into a header field or the
 * notification text (addresses, diagnostics from remote servers, host names)
 * is sanitised: CR, LF and TAB become spaces (runs collapsed), other control
 * bytes, DEL and 8-bit bytes become '?', and values are cut at DSN_TEXT_MAX
 * bytes and folded, so no remote text can start a header or a MIME part.
 * The MIME boundary is "<qid>.<now>/<myhostname>"; the composer checks that it
 * occurs neither in the attached original nor in any caller text, and adds a
 * counter suffix if it does.
 */
#ifndef PETREL_DSN_H
#define PETREL_DSN_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "log.h"

#define DSN_TEXT_MAX 900	/* a diagnostic or address is cut here */
#define DSN_HEADER_MAX 102400	/* header block cap for text/rfc822-headers */

struct dsn_rcpt {
	const char *final_rcpt;	/* address as delivered to, required */
	const char *orig_rcpt;	/* ORCPT value ("rfc822;addr", xtext-decoded) or NULL */
	const char *action;	/* "failed", "delayed", "delivered", "relayed", "expanded";
				   NULL: derived from the report kind */
	const char *status;	/* "5.1.1"; NULL: x.0.0 derived from the action */
	const char *remote_mta;	/* host name or NULL */
	const char *diag;	/* full diagnostic text, e.g. "550 5.1.1 <x@y>: no such user", or NULL */
	const char *diag_type;	/* "smtp" (default when NULL) or "x-unix" etc. */
	time_t last_attempt;	/* 0 = omit */
	time_t retry_until;	/* delayed only; 0 = omit */
};

struct dsn_report {
	const char *kind;	/* "failure", "delay" or "success" */
	const char *myhostname;	/* reporting MTA (Reporting-MTA: dns; host) */
	const char *to;		/* the report's recipient (original envelope sender, or postmaster) */
	const char *qid;	/* original queue ID (X-Petrel-Queue-ID) */
	const char *envid;	/* ENVID or NULL */
	const char *orig_sender;	/* original envelope sender ("" null sender) */
	time_t arrival;		/* Arrival-Date (0 = omit) */
	int headers_only;	/* 1: RET=HDRS or forced: attach only the headers */
	size_t size_limit;	/* bounce_size_limit: bigger message -> headers only; 0 = none */
	const struct dsn_rcpt *rcpts;
	size_t nrcpts;
	time_t now;		/* Date: of the report (0 = time(NULL)) */
};

/* Reads the original message (LF line ends, as stored in the queue): returns 1
   with a chunk, 0 at the end, -1 on error. */
typedef int (*dsn_next_fn)(void *arg, const char **p_r, size_t *n_r);

int dsn_compose(struct buf *out, const struct dsn_report *r, dsn_next_fn next,
    void *arg, const char **errstr_r) WARN_UNUSED;
const char *dsn_subject(const char *kind);
int dsn_rfc5322_date(time_t t, char *buf, size_t size) WARN_UNUSED;

#endif
