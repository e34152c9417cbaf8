/*
 * dsn.c - compose RFC 3464 delivery status notifications (multipart/report,
 * RFC 6522) for the queue manager: a human-readable notification, the
 * message/delivery-status part, and the original message or its header.
 *
 * Public: dsn_compose, dsn_subject, dsn_rfc5322_date (see dsn.h).
 * Returns 0, or -1 with *errstr_r set; out is left as it was on -1.  Never
 * fatal except on out-of-memory (through xmalloc).
 *
 * Security: runs in the queue manager (petrel-queue).  The original message,
 * addresses and above all the diagnostic texts of remote servers are
 * untrusted: every value written into a header or the notification text goes
 * through dsn_clean() (no control bytes, no line breaks, ASCII only, cut at
 * DSN_TEXT_MAX) and is folded below 998 bytes a line.  The original is read
 * once, in chunks, and at most max(size_limit, DSN_HEADER_MAX) + 1 bytes of it
 * are kept; the boundary is checked against it before use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "dsn.h"

#define DSN_FOLD_COL 78		/* fold header lines at blanks past this column */
#define DSN_HARD_COL 990	/* break even inside a word past this column */
#define DSN_BOUNDARY_BASE 60	/* boundary length before any clash suffix */

struct dsn_kind {
	const char *name;
	const char *subject;
	const char *action;	/* default Action: */
	const char *desc;	/* Content-Description of the attached original */
};

static const struct dsn_kind dsn_kinds[] = {
	{ "failure", "Undelivered Mail Returned to Sender", "failed",
	    "Undelivered Message" },
	{ "delay", "Delayed Mail (still being retried)", "delayed",
	    "Delayed Message" },
	{ "success", "Successful Mail Delivery Report", "delivered",
	    "Delivered Message" },
};

/* The original as kept for attaching. */
struct dsn_orig {
	struct buf *b;
	size_t limit;		/* whole message attached up to this size */
	size_t hdr_len;		/* length of the header block once eoh */
	int full;		/* still hoping to attach the whole message */
	int eoh;		/* end of the header block seen */
	int bol;		/* the last byte scanned ended a line */
	int done;		/* attachment decided: stop reading */
};

/* Everything the part writers share. */
struct dsn_ctx {
	const struct dsn_report *r;
	const struct dsn_kind *k;
	time_t now;
	char host[256];
	char qid[64];
	char bnd[DSN_BOUNDARY_BASE + 16];
	const char *att;	/* attached bytes */
	size_t att_len;
	int att_full;		/* message/rfc822 (1) or text/rfc822-headers */
	int eight_bit;
};

static const char *const dsn_days[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const dsn_months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

/* Format t as an RFC 5322 date in local time with a numeric zone. */
int
dsn_rfc5322_date(time_t t, char *buf, size_t size)
{
	struct tm tm;
	long off;
	char sign = '+';
	int n;

	if (localtime_r(&t, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	n = snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld",
	    dsn_days[tm.tm_wday], tm.tm_mday, dsn_months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
	    off / 60, off % 60);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Look up a report kind; NULL when unknown. */
static const struct dsn_kind *
dsn_kind(const char *name)
{
	for (size_t i = 0; name != NULL && i < sizeof(dsn_kinds) /
	    sizeof(dsn_kinds[0]); i++)
		if (strcmp(dsn_kinds[i].name, name) == 0)
			return &dsn_kinds[i];
	return NULL;
}

/* The Subject: of a report of this kind. */
const char *
dsn_subject(const char *kind)
{
	const struct dsn_kind *k = dsn_kind(kind);

	return k != NULL ? k->subject : "Mail Delivery Status Report";
}

/* Sanitise untrusted text into dst: blanks and line breaks collapse to one
   space, other controls/DEL/8-bit become '?', cut at size-1; returns length. */
static size_t
dsn_clean(char *dst, size_t size, const char *src)
{
	size_t n = 0;
	int blank = 0;

	for (const char *s = src != NULL ? src : ""; *s != '\0' && n + 1 < size;
	    s++) {
		unsigned char c = (unsigned char)*s;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			blank = n > 0;
			continue;
		}
		if (blank && n + 2 >= size)
			break;
		if (blank)
			dst[n++] = ' ';
		blank = 0;
		dst[n++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	dst[n] = '\0';
	return n;
}

/* Copy src into dst keeping only characters safe in a msg-id, host name or
   boundary (letters, digits, "-._"); others become '-'. */
static void
dsn_token(char *dst, size_t size, const char *src)
{
	size_t n = 0;

	for (const char *s = src != NULL ? src : ""; *s != '\0' && n + 1 < size;
	    s++) {
		unsigned char c = (unsigned char)*s;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';

		dst[n++] = ok ? (char)c : '-';
	}
	dst[n] = '\0';
}

/* Append cleaned text s (n bytes) that starts at column col, folding before
   blanks past DSN_FOLD_COL, then a newline. */
static int
dsn_fold(struct buf *o, size_t col, const char *s, size_t n)
{
	char t[2 * DSN_TEXT_MAX * 2 + 8];
	size_t k = 0;

	if (n > DSN_TEXT_MAX * 2)
		n = DSN_TEXT_MAX * 2;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' && col > 1) {
			size_t j = i + 1;

			while (j < n && s[j] != ' ')
				j++;
			if (col + (j - i) > DSN_FOLD_COL) {
				t[k++] = '\n';
				col = 0;
			}
		} else if (col >= DSN_HARD_COL) {
			t[k++] = '\n';
			t[k++] = ' ';
			col = 1;
		}
		t[k++] = s[i];
		col++;
	}
	t[k++] = '\n';
	return buf_append(o, t, k);
}

/* Append "name: prefix<cleaned val>" as one (folded) header field. */
static int
dsn_field(struct buf *o, const char *name, const char *prefix, const char *val)
{
	char c[DSN_TEXT_MAX + 1];
	size_t n = dsn_clean(c, sizeof(c), val);

	if (buf_printf(o, "%s: %s", name, prefix) < 0)
		return -1;
	return dsn_fold(o, strlen(name) + 2 + strlen(prefix), c, n);
}

/* Append a date field; nothing when t is 0. */
static int
dsn_date_field(struct buf *o, const char *name, time_t t)
{
	char d[64];

	if (t == 0)
		return 0;
	if (dsn_rfc5322_date(t, d, sizeof(d)) < 0)
		return buf_printf(o, "%s: Thu, 01 Jan 1970 00:00:00 +0000\n",
		    name);
	return buf_printf(o, "%s: %s\n", name, d);
}

/* Keep the header block at most DSN_HEADER_MAX, cut after a whole line;
   the attachment is then decided. */
static void
dsn_orig_cut(struct dsn_orig *o)
{
	const char *lf;

	if (o->b->len > DSN_HEADER_MAX)
		o->b->len = DSN_HEADER_MAX;
	lf = memrchr(o->b->data, '\n', o->b->len);
	if (lf != NULL)
		o->b->len = (size_t)(lf - o->b->data) + 1;
	o->hdr_len = o->b->len;
	o->eoh = 1;
	o->done = 1;
}

/* Look for the empty line that ends the header block; returns how many
   bytes of the chunk still belong to the header block. */
static size_t
dsn_orig_scan(struct dsn_orig *o, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (o->bol && p[i] == '\n') {
			o->eoh = 1;
			o->hdr_len = o->b->len + i;
			return i;
		}
		o->bol = p[i] == '\n';
	}
	return n;
}

/* Keep header bytes only (take of them from this chunk). */
static int
dsn_orig_headers(struct dsn_orig *o, const char *p, size_t take)
{
	if (o->eoh && o->hdr_len <= o->b->len) {
		o->b->len = o->hdr_len;
		if (o->b->len > DSN_HEADER_MAX)
			dsn_orig_cut(o);
		o->done = 1;
		return 0;
	}
	if (o->b->len >= DSN_HEADER_MAX || take > DSN_HEADER_MAX - o->b->len) {
		if (o->b->len < DSN_HEADER_MAX &&
		    buf_append(o->b, p, DSN_HEADER_MAX - o->b->len) < 0)
			return -1;
		dsn_orig_cut(o);
		return 0;
	}
	if (buf_append(o->b, p, take) < 0)
		return -1;
	o->done = o->eoh;
	return 0;
}

/* Take one chunk of the original. */
static int
dsn_orig_chunk(struct dsn_orig *o, const char *p, size_t n)
{
	size_t take = n;

	if (!o->eoh)
		take = dsn_orig_scan(o, p, n);
	if (o->full) {
		if (n <= o->limit - o->b->len)
			return buf_append(o->b, p, n);
		o->full = 0;	/* too big: fall back to the header block */
	}
	return dsn_orig_headers(o, p, take);
}

/* Read the original through next() and decide what to attach. */
static int
dsn_orig_read(struct dsn_orig *o, const struct dsn_report *r, size_t room,
    dsn_next_fn next, void *arg, const char **errstr_r)
{
	const char *p;
	size_t n;
	int rc = 1;

	o->limit = r->size_limit != 0 && r->size_limit < room ? r->size_limit :
	    room;
	o->b = buf_new(8192, o->limit > DSN_HEADER_MAX ? o->limit :
	    DSN_HEADER_MAX);
	o->full = !r->headers_only;
	o->bol = 1;
	while (next != NULL && !o->done && (rc = next(arg, &p, &n)) == 1) {
		if (n > 0 && dsn_orig_chunk(o, p, n) < 0) {
			*errstr_r = "original message does not fit";
			return -1;
		}
	}
	if (rc < 0) {
		*errstr_r = "error reading the original message";
		return -1;
	}
	if (!o->full && !o->eoh)
		o->hdr_len = o->b->len;	/* the message was all header */
	return 0;
}

/* 1 when the boundary occurs in the attachment or in any caller text. */
static int
dsn_clash(const struct dsn_ctx *c)
{
	const struct dsn_report *r = c->r;

	if (memmem(c->att, c->att_len, c->bnd, strlen(c->bnd)) != NULL)
		return 1;
	if ((r->to != NULL && strstr(r->to, c->bnd) != NULL) ||
	    (r->envid != NULL && strstr(r->envid, c->bnd) != NULL) ||
	    (r->orig_sender != NULL && strstr(r->orig_sender, c->bnd) != NULL))
		return 1;
	for (size_t i = 0; i < r->nrcpts; i++) {
		const struct dsn_rcpt *d = &r->rcpts[i];
		const char *v[] = { d->final_rcpt, d->orig_rcpt, d->diag,
		    d->remote_mta, d->diag_type, d->status, d->action };

		for (size_t j = 0; j < sizeof(v) / sizeof(v[0]); j++)
			if (v[j] != NULL && strstr(v[j], c->bnd) != NULL)
				return 1;
	}
	return 0;
}

/* Choose "<qid>.<now>/<host>" (cut to 60), adding "/<n>" on a clash. */
static int
dsn_boundary(struct dsn_ctx *c)
{
	size_t base;
	int n = snprintf(c->bnd, DSN_BOUNDARY_BASE + 1, "%s.%lld/%s", c->qid,
	    (long long)c->now, c->host);

	if (n < 0)
		return -1;
	base = strlen(c->bnd);
	for (int i = 1; i < 1000 && dsn_clash(c); i++)
		if (snprintf(c->bnd + base, sizeof(c->bnd) - base, "/%d", i) < 0)
			return -1;
	return dsn_clash(c) ? -1 : 0;
}

/* The message's top header. */
static int
dsn_top(struct buf *o, const struct dsn_ctx *c)
{
	const struct dsn_report *r = c->r;
	struct tm tm;
	char id[32];

	if (gmtime_r(&c->now, &tm) == NULL ||
	    strftime(id, sizeof(id), "%Y%m%d%H%M%S", &tm) == 0)
		return -1;
	if (dsn_date_field(o, "Date", c->now) < 0 ||
	    buf_printf(o, "From: MAILER-DAEMON@%s (Mail Delivery System)\n"
	    "Subject: %s\n", c->host, c->k->subject) < 0 ||
	    dsn_field(o, "To", "", r->to != NULL && r->to[0] != '\0' ? r->to :
	    "postmaster") < 0)
		return -1;
	if (buf_printf(o, "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"%s\"\n%sMessage-Id: <%s.%s@%s>\n\n"
	    "This is a MIME-encapsulated message.\n\n", c->bnd,
	    c->eight_bit ? "Content-Transfer-Encoding: 8bit\n" : "", id,
	    c->qid, c->host) < 0)
		return -1;
	return 0;
}

/* 1 when an ORCPT value starts with an address type and ';'. */
static int
dsn_has_type(const char *s)
{
	size_t i = 0;

	while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
	    (s[i] >= '0' && s[i] <= '9') || s[i] == '-')
		i++;
	return i > 0 && s[i] == ';';
}

/* The status code for a recipient: given, or derived from the action. */
static const char *
dsn_status(const struct dsn_rcpt *d, const char *action)
{
	if (d->status != NULL && d->status[0] != '\0')
		return d->status;
	if (strcmp(action, "failed") == 0)
		return "5.0.0";
	return strcmp(action, "delayed") == 0 ? "4.0.0" : "2.0.0";
}

/* The latest Will-Retry-Until of the delayed recipients (0: none). */
static time_t
dsn_retry_until(const struct dsn_report *r)
{
	time_t t = 0;

	for (size_t i = 0; i < r->nrcpts; i++)
		if (r->rcpts[i].retry_until > t)
			t = r->rcpts[i].retry_until;
	return t;
}

/* The first paragraphs of the human-readable part, by kind. */
static int
dsn_intro(struct buf *o, const struct dsn_ctx *c)
{
	char d[64];
	time_t until = dsn_retry_until(c->r);

	if (buf_printf(o, "This is the Petrel mail system at host %s.\n\n",
	    c->host) < 0)
		return -1;
	if (strcmp(c->k->name, "failure") == 0)
		return buf_append_str(o, "Your message could not be delivered "
		    "to one or more recipients, and\nno further attempts will "
		    "be made.  The reasons are given below; the\nmessage, or "
		    "its header, is attached.  If you need help, send this\n"
		    "report to your postmaster.\n\n");
	if (strcmp(c->k->name, "delay") == 0) {
		if (until == 0 || dsn_rfc5322_date(until, d, sizeof(d)) < 0)
			snprintf(d, sizeof(d), "the message expires");
		return buf_printf(o, "Your message has not been delivered yet "
		    "to the recipients listed below.\nThis is only a warning: "
		    "you need not send it again.  Delivery will\nbe retried "
		    "until %s.\n\n", d);
	}
	return buf_append_str(o, "Your message was handled as shown below for "
	    "the recipients who asked\nfor a delivery notification.\n\n");
}

/* Part 1: text/plain notification with one line per recipient. */
static int
dsn_part_text(struct buf *o, const struct dsn_ctx *c)
{
	if (buf_printf(o, "--%s\nContent-Description: Notification\n"
	    "Content-Type: text/plain; charset=us-ascii\n\n", c->bnd) < 0 ||
	    dsn_intro(o, c) < 0)
		return -1;
	for (size_t i = 0; i < c->r->nrcpts; i++) {
		const struct dsn_rcpt *d = &c->r->rcpts[i];
		const char *action = d->action != NULL && d->action[0] != '\0' ?
		    d->action : c->k->action;
		char a[DSN_TEXT_MAX + 1], t[DSN_TEXT_MAX + 1];
		size_t an = dsn_clean(a, sizeof(a), d->final_rcpt);

		if (d->diag != NULL && d->diag[0] != '\0')
			dsn_clean(t, sizeof(t), d->diag);
		else	/* cleaned in place: action and status are caller text */
			snprintf(t, sizeof(t), "%s, status %s", action,
			    dsn_status(d, action));
		dsn_clean(t, sizeof(t), t);
		if (buf_printf(o, "%s: ", a) < 0 || dsn_fold(o, an + 2, t,
		    strlen(t)) < 0)
			return -1;
	}
	return 0;
}

/* One per-recipient group of the delivery-status part. */
static int
dsn_rcpt_group(struct buf *o, const struct dsn_ctx *c, const struct dsn_rcpt *d)
{
	const char *action = d->action != NULL && d->action[0] != '\0' ?
	    d->action : c->k->action;
	char type[64], prefix[80];

	dsn_token(type, sizeof(type), d->diag_type != NULL &&
	    d->diag_type[0] != '\0' ? d->diag_type : "smtp");
	snprintf(prefix, sizeof(prefix), "%s; ", type);
	if (buf_append_char(o, '\n') < 0 ||
	    dsn_field(o, "Final-Recipient", "rfc822; ", d->final_rcpt) < 0)
		return -1;
	if (d->orig_rcpt != NULL && d->orig_rcpt[0] != '\0' &&
	    dsn_field(o, "Original-Recipient", dsn_has_type(d->orig_rcpt) ?
	    "" : "rfc822;", d->orig_rcpt) < 0)
		return -1;
	if (dsn_field(o, "Action", "", action) < 0 ||
	    dsn_field(o, "Status", "", dsn_status(d, action)) < 0)
		return -1;
	if (d->remote_mta != NULL && d->remote_mta[0] != '\0' &&
	    dsn_field(o, "Remote-MTA", "dns; ", d->remote_mta) < 0)
		return -1;
	if (d->diag != NULL && d->diag[0] != '\0' &&
	    dsn_field(o, "Diagnostic-Code", prefix, d->diag) < 0)
		return -1;
	if (dsn_date_field(o, "Last-Attempt-Date", d->last_attempt) < 0)
		return -1;
	if (strcmp(action, "delayed") == 0 &&
	    dsn_date_field(o, "Will-Retry-Until", d->retry_until) < 0)
		return -1;
	return 0;
}

/* Part 2: message/delivery-status. */
static int
dsn_part_status(struct buf *o, const struct dsn_ctx *c)
{
	const struct dsn_report *r = c->r;

	if (buf_printf(o, "\n--%s\nContent-Description: Delivery report\n"
	    "Content-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; %s\nX-Petrel-Queue-ID: %s\n", c->bnd,
	    c->host, c->qid) < 0 ||
	    dsn_field(o, "X-Petrel-Sender", "rfc822; ", r->orig_sender) < 0)
		return -1;
	if (r->envid != NULL && r->envid[0] != '\0' &&
	    dsn_field(o, "Original-Envelope-Id", "", r->envid) < 0)
		return -1;
	if (dsn_date_field(o, "Arrival-Date", r->arrival) < 0)
		return -1;
	for (size_t i = 0; i < r->nrcpts; i++)
		if (dsn_rcpt_group(o, c, &r->rcpts[i]) < 0)
			return -1;
	return 0;
}

/* Part 3: the original (or its header block), then the closing boundary. */
static int
dsn_part_orig(struct buf *o, const struct dsn_ctx *c)
{
	if (buf_printf(o, "\n--%s\nContent-Description: %s\n"
	    "Content-Type: %s\n%s\n", c->bnd, c->k->desc,
	    c->att_full ? "message/rfc822" : "text/rfc822-headers",
	    c->eight_bit ? "Content-Transfer-Encoding: 8bit\n" : "") < 0 ||
	    buf_append(o, c->att, c->att_len) < 0)
		return -1;
	if (c->att_len > 0 && c->att[c->att_len - 1] != '\n' &&
	    buf_append_char(o, '\n') < 0)
		return -1;
	return buf_printf(o, "\n--%s--\n", c->bnd);
}

/* Check the caller's report for what the format requires. */
static const char *
dsn_check(const struct dsn_report *r)
{
	if (dsn_kind(r->kind) == NULL)
		return "unknown report kind";
	if (r->myhostname == NULL || r->myhostname[0] == '\0' ||
	    r->qid == NULL || r->qid[0] == '\0')
		return "report without host name or queue ID";
	if (r->rcpts == NULL || r->nrcpts == 0)
		return "report without recipients";
	for (size_t i = 0; i < r->nrcpts; i++)
		if (r->rcpts[i].final_rcpt == NULL)
			return "recipient without an address";
	return NULL;
}

/* Fill in the shared context once the original has been read. */
static void
dsn_ctx_init(struct dsn_ctx *c, const struct dsn_report *r,
    const struct dsn_orig *o)
{
	memset(c, 0, sizeof(*c));
	c->r = r;
	c->k = dsn_kind(r->kind);
	c->now = r->now != 0 ? r->now : time(NULL);
	dsn_token(c->host, sizeof(c->host), r->myhostname);
	dsn_token(c->qid, sizeof(c->qid), r->qid);
	c->att = o->b->data;
	c->att_full = o->full;
	c->att_len = o->full ? o->b->len : o->hdr_len;
	for (size_t i = 0; i < c->att_len && !c->eight_bit; i++)
		c->eight_bit = (unsigned char)c->att[i] >= 0x80;
}

/* Compose the whole report into out (see dsn.h). */
int
dsn_compose(struct buf *out, const struct dsn_report *r, dsn_next_fn next,
    void *arg, const char **errstr_r)
{
	struct dsn_orig o;
	struct dsn_ctx c;
	size_t start = out->len;
	int rc = -1;

	memset(&o, 0, sizeof(o));
	if ((*errstr_r = dsn_check(r)) != NULL)
		return -1;
	if (dsn_orig_read(&o, r, out->max - out->len, next, arg, errstr_r) < 0)
		goto done;
	dsn_ctx_init(&c, r, &o);
	if (dsn_boundary(&c) < 0) {
		*errstr_r = "cannot choose a MIME boundary";
		goto done;
	}
	if (dsn_top(out, &c) < 0 || dsn_part_text(out, &c) < 0 ||
	    dsn_part_status(out, &c) < 0 || dsn_part_orig(out, &c) < 0) {
		*errstr_r = "report too large";
		goto done;
	}
	rc = 0;
done:
	if (rc < 0)
		out->len = start;
	buf_free(&o.b);
	return rc;
}
