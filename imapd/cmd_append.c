/*
 * cmd_append.c - APPEND (RFC 9051 6.3.12) with MULTIAPPEND (RFC 3502),
 * APPENDUID (RFC 4315) and APPENDLIMIT (RFC 7889).
 *
 * Public: cmd_append (session.h).
 * Each message is stored as local delivery stores mail: in maildir form
 * with LF line ends (a CRLF pair becomes LF, a lone CR stays), written to
 * tmp/, fsynced and linked (mstore_append), with its flags and, when given,
 * its date as INTERNALDATE; so FETCH BODY[] gives back exactly the octets
 * appended when they used CRLF, as RFC 9051 requires.  OK means every
 * message is on disk: "OK [APPENDUID uidvalidity uid-set]".  A mailbox that
 * does not exist gets "NO [TRYCREATE]"; a message past imapd_append_limit
 * gets "NO [TOOBIG]" (the session refuses a bigger literal before it is
 * sent).  Appending to the selected mailbox shows up as EXISTS at the
 * completion.  MULTIAPPEND is all or nothing only as far as the store
 * allows: messages stored before a failure stay, and the reply says so.
 * A full disk or quota answers "NO [OVERQUOTA]" (RFC 5530, as Dovecot
 * does); the failed message leaves no file behind (mstore_append).
 * Security: the message is untrusted octets; it is bounded by the limit.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "imap_msg_args.h"
#include "log.h"
#include "mstore.h"
#include "params.h"
#include "session.h"

struct append_src {
	const char *p;
	size_t len;
	int done;
};

/* maildir_next_fn: the converted message in one chunk. */
static int
append_next(void *ctx, const char **p_r, size_t *n_r)
{
	struct append_src *src = ctx;

	if (src->done)
		return 0;
	src->done = 1;
	*p_r = src->p;
	*n_r = src->len;
	return 1;
}

/* The message with each CRLF as LF. */
static void
append_to_lf(struct buf *out, const char *p, size_t len)
{
	const char *end = p + len, *cr;

	buf_reset(out);
	while (p < end && (cr = memchr(p, '\r', (size_t)(end - p))) != NULL) {
		if (cr + 1 < end && cr[1] == '\n') {
			buf_put(out, p, (size_t)(cr - p));
			p = cr + 1;	/* the LF starts the next run */
			continue;
		}
		buf_put(out, p, (size_t)(cr + 1 - p));
		p = cr + 1;
	}
	buf_put(out, p, (size_t)(end - p));
}

/* Store one message; 0 or -1 with *errstr_r. */
static int
append_one(struct imapd_session *s, struct mstore_box *box,
    const struct imap_append_msg *msg, struct buf *conv, uint32_t *uid_r,
    const char **errstr_r)
{
	struct append_src src;

	append_to_lf(conv, msg->data, msg->len);
	src.p = conv->data;
	src.len = conv->len;
	src.done = 0;
	s->appended++;
	return mstore_append(box, append_next, &src,
	    imapd_store_bits(msg->flags.system), msg->flags.keywords,
	    msg->flags.keyword_count, msg->has_date ? msg->date : time(NULL),
	    uid_r, errstr_r);
}

/* APPEND mailbox [flags] [date] literal [[flags] [date] literal ...]. */
void
cmd_append(struct imapd_session *s, const struct imap_cmd *cmd)
{
	struct imap_append_args aa;
	struct mstore_box *box = NULL;
	struct buf *conv, *set;
	const char *err = NULL;
	uint32_t *uids;
	size_t k = 0;

	if (imap_append_parse(cmd->args, cmd->count, imapd_utf8(s), s->pool,
	    &aa, &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid APPEND arguments.");
		return;
	}
	for (size_t i = 0; i < aa.count; i++)
		if (aa.msgs[i].len > (size_t)var_imapd_append_limit) {
			imapd_tagged(s, "NO [TOOBIG] Message too large.");
			return;
		}
	mstore_errno_reset();
	if (mstore_open(s->root, aa.mailbox, MSTORE_RDWR, &box, &err) != 0) {
		if (strcmp(imapd_store_code(), "OVERQUOTA") == 0)
			imapd_tagged(s, "NO [OVERQUOTA] %s", err != NULL ? err :
			    "Not enough disk space.");
		else
			imapd_tagged(s, "NO [TRYCREATE] Mailbox doesn't exist.");
		return;
	}
	uids = imap_pool_alloc_array(s->pool, aa.count + 1, sizeof(*uids));
	conv = buf_new(4096, 0);
	while (uids != NULL && k < aa.count &&
	    append_one(s, box, &aa.msgs[k], conv, &uids[k], &err) == 0)
		k++;
	set = buf_new(64, 0);
	imapd_uidset(set, uids, k);
	if (k == aa.count)
		imapd_tagged(s, "OK [APPENDUID %lu %s] Append completed.",
		    (unsigned long)mstore_uidvalidity(box), buf_cstr(set));
	else {
		log_warn("imap(%s): APPEND to %s: %s", s->user, aa.mailbox,
		    err != NULL ? err : "error");
		imapd_tagged(s, "NO [%s] %zu of %zu messages saved: %s",
		    imapd_store_code(), k, aa.count, err != NULL ? err :
		    "error");
	}
	buf_free(&set);
	buf_free(&conv);
	mstore_close(&box);
}
