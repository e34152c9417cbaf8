/*
 * local_deliver.c - one delivery request: scan the message header once for
 * Delivered-To: lines, then for each recipient expand aliases, write each
 * maildir leaf as its owner, forward the other leaves, and append one
 * STATUS line per recipient to the reply.
 *
 * Public: local_deliver_request(qfd, req, reply).
 * Rules: a leaf whose address is already in a Delivered-To: line fails with
 * 5.4.6 (mail forwarding loop); uid 0 is refused (4.3.0); every maildir
 * failure is temporary (a full filesystem 4.3.1, a quota 4.2.2); recipients of one request that end in the same
 * maildir get one copy (the first result is reused).  A recipient with any
 * temporary leaf failure is deferred as a whole (a retry may duplicate the
 * copies that did succeed: at-least-once).
 * Security: runs as root; privs_become() precedes every maildir access,
 * and the worker stays the mailbox owner afterwards until it needs root
 * again (local_main.c); a failure to restore root is fatal.  The header scan
 * (the shared reader, msg_header.h) reads at most LOCAL_HEADER_MAX bytes
 * and holds one field of at most DT_FIELD bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "buf.h"
#include "deliver.h"
#include "local.h"
#include "log.h"
#include "maildir.h"
#include "msg_header.h"
#include "params.h"
#include "privs.h"
#include "strutil.h"

#define DT_MAX 1000		/* Delivered-To lines remembered */
#define DT_FIELD 4096		/* longest Delivered-To: field examined */

struct maildir_done {
	char *path;
	struct local_status st;
};

struct req_ctx {
	int qfd;
	struct qfile_env *env;
	const char *sender;
	const char *qid;
	char **dt;		/* Delivered-To values, lower case */
	size_t ndt;
	struct maildir_done *done;
	size_t ndone;
};

/* Remember the value of one Delivered-To: field (folded or not, with
 * or without blanks before the colon: the shared reader unfolds it). */
static void
header_field(struct req_ctx *c, const struct msg_header_field *f)
{
	size_t vl = f->value_len;
	const char *v = f->value;

	if (!msg_header_name_is(f->name, f->name_len, "Delivered-To") ||
	    c->ndt >= DT_MAX)
		return;
	if (vl >= 2 && v[0] == '<' && v[vl - 1] == '>') {
		v++;
		vl -= 2;
	}
	c->dt = xreallocarray(c->dt, c->ndt + 1, sizeof(*c->dt));
	c->dt[c->ndt] = str_lower(xstrndup(v, vl));
	c->ndt++;
}

/* Feed content bytes to the header reader; 1 at the header end. */
static int
header_bytes(struct req_ctx *c, struct msg_header *h, const char *p,
    size_t n)
{
	struct msg_header_field f;
	size_t used;

	while (n > 0) {
		enum msg_header_result r = msg_header_feed(h, p, n, &used, &f);

		if (r == MSG_HEADER_FIELD)
			header_field(c, &f);
		else if (r == MSG_HEADER_END)
			return 1;
		p += used;
		n -= used;
	}
	return 0;
}

/* Scan the header block (bounded) for Delivered-To: fields. */
static int
scan_header(struct req_ctx *c)
{
	struct qfile_content *it = qfile_content_open(c->qfd, c->env);
	struct msg_header *h = msg_header_new(DT_FIELD, 0, 0);
	struct msg_header_field f;
	const char *p;
	size_t n, total = 0;
	int r = 0, ended = 0;

	while (!ended && total < LOCAL_HEADER_MAX &&
	    (r = qfile_content_next(it, &p, &n)) == 1) {
		if (n > LOCAL_HEADER_MAX - total)
			n = LOCAL_HEADER_MAX - total;
		total += n;
		ended = header_bytes(c, h, p, n);
	}
	if (!ended && msg_header_finish(h, &f) == MSG_HEADER_FIELD)
		header_field(c, &f);
	msg_header_free(&h);
	qfile_content_close(&it);
	return r < 0 ? -1 : 0;
}

/* 1 if addr already appears in a Delivered-To: line. */
static int
looped(const struct req_ctx *c, const char *addr)
{
	for (size_t i = 0; i < c->ndt; i++)
		if (strcasecmp(c->dt[i], addr) == 0)
			return 1;
	return 0;
}

/* Content iterator adapter for maildir_deliver. */
static int
content_next(void *ctx, const char **p_r, size_t *n_r)
{
	return qfile_content_next(ctx, p_r, n_r);
}

/* Whether the maildir has all three subdirectories: one stat in the
 * common case (cur/ is made last by maildir_create), and a half-made
 * maildir gets repaired instead of deferring forever. */
static int
maildir_complete(const char *maildir)
{
	char path[4096];
	struct stat sb;
	int n = snprintf(path, sizeof(path), "%s/cur", maildir);

	return n > 0 && (size_t)n < sizeof(path) && stat(path, &sb) == 0 &&
	    S_ISDIR(sb.st_mode);
}

/* A failed maildir write: every failure defers; a full filesystem is
 * 4.3.1 and a quota 4.2.2 (RFC 3463), which the queue manager retries
 * soon (qmgr_msg.c). */
static void
maildir_failed(struct local_status *st, const char *err, int e)
{
	if (e == ENOSPC)
		local_status_set(st, 4, "4.3.1", "insufficient system storage: %s",
		    err);
	else if (e == EDQUOT)
		local_status_set(st, 4, "4.2.2", "mailbox full: %s", err);
	else
		local_status_set(st, 4, "4.2.0", "maildir delivery failed: %s",
		    err);
}

/* Write one maildir as its owner. */
static void
write_maildir(struct req_ctx *c, const struct local_leaf *l,
    struct local_status *st)
{
	struct buf *pre = buf_new(256, 4096);
	struct qfile_content *it = NULL;
	const char *err;
	char *name = NULL;
	int ok, e = 0;

	if (privs_become(l->uid, l->gid, &err) < 0) {
		local_status_set(st, 4, "4.3.0", "cannot become mailbox owner: %s",
		    err);
		buf_free(&pre);
		return;
	}
	ok = buf_printf(pre, "Return-Path: <%s>\nDelivered-To: %s\n", c->sender,
	    l->addr) == 0;
	if (!ok)
		err = "envelope too long";
	else if (!maildir_complete(l->maildir) &&
	    maildir_create(l->maildir, &err) < 0) {
		ok = 0;
		e = errno;
	}
	if (ok) {
		it = qfile_content_open(c->qfd, c->env);
		ok = maildir_deliver(l->maildir, pre->data, pre->len,
		    content_next, it, var_sync_directories, &name, &err) == 0;
		e = errno;
		qfile_content_close(&it);
	}
	if (ok)
		local_status_set(st, 2, "2.0.0", "delivered to maildir");
	else
		maildir_failed(st, err, e);
	free(name);
	buf_free(&pre);
}

/* Deliver one maildir leaf, once per maildir for the whole request. */
static void
deliver_leaf(struct req_ctx *c, const struct local_leaf *l,
    struct local_status *st)
{
	for (size_t i = 0; i < c->ndone; i++) {
		if (strcmp(c->done[i].path, l->maildir) == 0) {
			*st = c->done[i].st;
			return;
		}
	}
	if (looped(c, l->addr))
		local_status_set(st, 5, "5.4.6", "mail forwarding loop for %s",
		    l->addr);
	else if (l->uid == 0)
		local_status_set(st, 4, "4.3.0",
		    "refusing to deliver as root (alias root to a user)");
	else
		write_maildir(c, l, st);
	c->done = xreallocarray(c->done, c->ndone + 1, sizeof(*c->done));
	c->done[c->ndone].path = xstrdup(l->maildir);
	c->done[c->ndone++].st = *st;
}

/* Fold one leaf result into the recipient's: 4 beats 2 beats 5. */
static void
combine(struct local_status *acc, const struct local_status *st)
{
	static const int rank[6] = { 0, 0, 2, 0, 3, 1 };

	if (acc->status_class == 0 ||
	    rank[st->status_class] > rank[acc->status_class])
		*acc = *st;
}

/* Forward the non-local leaves of one recipient. */
static void
forward_leaves(struct req_ctx *c, const char *orig,
    const struct local_expansion *x, struct local_status *acc)
{
	char **addrs = xcalloc(x->nleaves + 1, sizeof(*addrs));
	size_t n = 0;
	struct local_status st;

	for (size_t i = 0; i < x->nleaves; i++)
		if (x->leaves[i].maildir == NULL)
			addrs[n++] = x->leaves[i].addr;
	if (n > 0) {
		if (looped(c, orig))
			local_status_set(&st, 5, "5.4.6",
			    "mail forwarding loop for %s", orig);
		else
			local_forward(c->qfd, c->env, c->sender, orig, addrs, n,
			    &st);
		combine(acc, &st);
	}
	free(addrs);
}

/* Log one recipient's outcome when aliases changed where it went; the
 * queue manager logs every result itself, so a plain delivery needs no
 * second line. */
static void
log_result(const struct req_ctx *c, const char *orig,
    const struct local_expansion *x, const struct local_status *st)
{
	static const char *const word[6] = { "", "", "sent", "", "deferred",
	    "bounced" };
	char a[300], o[300];
	const char *fin = x->nleaves == 1 ? x->leaves[0].addr : orig;

	if (x->nleaves == 1 && strcmp(fin, orig) == 0)
		return;

	log_sanitize(a, sizeof(a), fin, strlen(fin));
	log_sanitize(o, sizeof(o), orig, strlen(orig));
	log_info("%s: to=<%s>, orig_to=<%s>, relay=local, dsn=%s, status=%s (%s)",
	    c->qid, a, o, st->enh, word[st->status_class], st->text);
}

/* One recipient: expand, deliver every leaf, reply. */
static void
one_rcpt(struct req_ctx *c, const struct deliver_rcpt *r, struct buf *reply)
{
	struct local_expansion x;
	struct local_status acc, st;
	int stop;

	memset(&acc, 0, sizeof(acc));
	local_expand(local_resolver, r->addr, &x);
	if (x.fail.status_class == 4 || (x.nleaves == 0 &&
	    x.fail.status_class == 5))
		acc = x.fail;
	else if (x.nleaves == 0)
		local_status_set(&acc, 5, "5.1.1", "%s: no mailbox", r->addr);
	stop = acc.status_class != 0;
	for (size_t i = 0; !stop && i < x.nleaves; i++) {
		if (x.leaves[i].maildir == NULL)
			continue;
		deliver_leaf(c, &x.leaves[i], &st);
		combine(&acc, &st);
	}
	if (!stop && acc.status_class != 4)
		forward_leaves(c, r->addr, &x, &acc);
	log_result(c, r->addr, &x, &acc);
	if (deliver_encode_status(reply, r->index, acc.status_class, acc.enh,
	    acc.text) < 0)
		log_warn("%s: cannot encode status", c->qid);
	local_expansion_free(&x);
}

/* Free the request context. */
static void
ctx_clear(struct req_ctx *c)
{
	for (size_t i = 0; i < c->ndt; i++)
		free(c->dt[i]);
	for (size_t i = 0; i < c->ndone; i++)
		free(c->done[i].path);
	free(c->dt);
	free(c->done);
	qfile_env_free(&c->env);
}

/* Handle one request; the reply (STATUS lines and END) goes into reply. */
void
local_deliver_request(int qfd, const struct deliver_msg *req,
    struct buf *reply)
{
	struct req_ctx c;
	const char *err = "unreadable queue file";
	int bad;

	memset(&c, 0, sizeof(c));
	c.qfd = qfd;
	c.sender = req->sender;
	c.qid = req->qid;
	bad = qfile_read_envelope(qfd, &c.env, &err) < 0 || scan_header(&c) < 0;
	for (size_t i = 0; i < req->nrcpts; i++) {
		if (bad) {
			log_warn("%s: %s", req->qid, err);
			if (deliver_encode_status(reply, req->rcpts[i].index, 4,
			    "4.3.0", err) < 0)
				log_warn("%s: cannot encode status", req->qid);
		} else {
			one_rcpt(&c, &req->rcpts[i], reply);
		}
	}
	ctx_clear(&c);
}
