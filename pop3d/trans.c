/*
 * trans.c - the TRANSACTION state: STAT, LIST, UIDL, RETR, TOP, DELE, RSET
 * (RFC 1939 5, 7).
 *
 * Public: pop3d_cmd_stat, pop3d_cmd_list, pop3d_cmd_uidl, pop3d_cmd_retr,
 * pop3d_cmd_top, pop3d_cmd_dele, pop3d_cmd_rset (see pop3d.h).
 * Message numbers are 1-based indexes into the listing taken at login; a
 * message marked with DELE answers "-ERR Message is deleted.".  Sizes are
 * octets with CRLF line ends, before dot-stuffing (as RFC 1939 allows).
 * A message file that vanished since login gets an -ERR reply; a read
 * error after "+OK" leaves a broken reply, so the session closes.
 * Security: arguments are untrusted and parsed with bounded counters.
 */
#include <unistd.h>

#include "pop3_parse.h"
#include "pop3d.h"

/* Message number argument -> 0-based index of a live message, or -1. */
static int
trans_msg(struct pop3d_session *s, const struct pop3_arg *a, size_t *idx_r)
{
	long n;

	if (pop3_parse_msgnum(a->p, a->len, &n) < 0) {
		pop3d_bad(s, "-ERR Invalid message number.");
		return -1;
	}
	if ((unsigned long)n > s->mbox->count) {
		pop3d_bad(s, "-ERR There is no such message.");
		return -1;
	}
	if (s->mbox->msgs[n - 1].deleted) {
		pop3d_bad(s, "-ERR Message is deleted.");
		return -1;
	}
	*idx_r = (size_t)n - 1;
	return 0;
}

/* Arguments: between min and max of them, else an error reply; count. */
static int
trans_args(struct pop3d_session *s, const char *p, size_t len,
    struct pop3_arg *argv, int min, int max)
{
	int n = pop3_parse_args(p, len, argv, max);

	if (n < min) {
		pop3d_bad(s, "-ERR Invalid arguments.");
		return -1;
	}
	return n;
}

/* STAT: live messages and their total size. */
void
pop3d_cmd_stat(struct pop3d_session *s, const char *p, size_t len)
{
	struct pop3_arg a[1];

	if (trans_args(s, p, len, a, 0, 0) < 0)
		return;
	pop3d_reply(s, "+OK %zu %lld", s->mbox->live_count,
	    s->mbox->live_size);
}

/* One LIST or UIDL line for message index i. */
static void
trans_line(struct pop3d_session *s, size_t i, int uidl, const char *prefix)
{
	const struct pop3d_msg *m = &s->mbox->msgs[i];
	char u[POP3_UIDL_SIZE];

	if (uidl) {
		pop3_mailbox_uidl(m->name + 4, u, sizeof(u));
		pop3d_reply(s, "%s%zu %s", prefix, i + 1, u);
	} else {
		pop3d_reply(s, "%s%zu %lld", prefix, i + 1, m->size);
	}
}

/* LIST and UIDL share their shape: one message or all live ones. */
static void
trans_listing(struct pop3d_session *s, const char *p, size_t len, int uidl)
{
	struct pop3_arg a[1];
	size_t i;
	int n = trans_args(s, p, len, a, 0, 1);

	if (n < 0)
		return;
	if (n == 1) {
		if (trans_msg(s, &a[0], &i) == 0)
			trans_line(s, i, uidl, "+OK ");
		return;
	}
	if (uidl)
		pop3d_reply(s, "+OK");
	else
		pop3d_reply(s, "+OK %zu messages:", s->mbox->live_count);
	for (i = 0; i < s->mbox->count && !s->conn->broken; i++)
		if (!s->mbox->msgs[i].deleted)
			trans_line(s, i, uidl, "");
	pop3d_reply(s, ".");
}

/* LIST [n] */
void
pop3d_cmd_list(struct pop3d_session *s, const char *p, size_t len)
{
	trans_listing(s, p, len, 0);
}

/* UIDL [n] */
void
pop3d_cmd_uidl(struct pop3d_session *s, const char *p, size_t len)
{
	trans_listing(s, p, len, 1);
}

/* Send message i whole (lines < 0) or its header and some body lines. */
static void
trans_send(struct pop3d_session *s, size_t i, long lines)
{
	long long bytes = 0;
	int fd = pop3d_mailbox_msg_open(s->mbox, i);

	if (fd < 0) {
		pop3d_reply(s, "-ERR Message was deleted by another session.");
		return;
	}
	if (lines < 0)
		pop3d_reply(s, "+OK %lld octets", s->mbox->msgs[i].size);
	else
		pop3d_reply(s, "+OK");
	if (pop3d_mailbox_stream(s->mbox, fd, s->conn, lines, &bytes) < 0)
		s->closing = 1;
	close(fd);
	if (lines < 0) {
		s->retr_count++;
		s->retr_bytes += bytes;
	} else {
		s->top_count++;
		s->top_bytes += bytes;
	}
}

/* RETR n */
void
pop3d_cmd_retr(struct pop3d_session *s, const char *p, size_t len)
{
	struct pop3_arg a[1];
	size_t i;

	if (trans_args(s, p, len, a, 1, 1) < 0 || trans_msg(s, &a[0], &i) < 0)
		return;
	trans_send(s, i, -1);
}

/* TOP n m */
void
pop3d_cmd_top(struct pop3d_session *s, const char *p, size_t len)
{
	struct pop3_arg a[2];
	size_t i;
	long lines;

	if (trans_args(s, p, len, a, 2, 2) < 0 || trans_msg(s, &a[0], &i) < 0)
		return;
	if (pop3_parse_lines(a[1].p, a[1].len, &lines) < 0) {
		pop3d_bad(s, "-ERR Invalid number of lines.");
		return;
	}
	trans_send(s, i, lines);
}

/* DELE n: mark for removal at QUIT. */
void
pop3d_cmd_dele(struct pop3d_session *s, const char *p, size_t len)
{
	struct pop3_arg a[1];
	size_t i;

	if (trans_args(s, p, len, a, 1, 1) < 0 || trans_msg(s, &a[0], &i) < 0)
		return;
	pop3d_mailbox_mark(s->mbox, i, 1);
	pop3d_reply(s, "+OK Marked to be deleted.");
}

/* RSET: unmark everything. */
void
pop3d_cmd_rset(struct pop3d_session *s, const char *p, size_t len)
{
	struct pop3_arg a[1];

	if (trans_args(s, p, len, a, 0, 0) < 0)
		return;
	for (size_t i = 0; i < s->mbox->count; i++)
		pop3d_mailbox_mark(s->mbox, i, 0);
	pop3d_reply(s, "+OK Maildrop has %zu messages (%lld octets).",
	    s->mbox->live_count, s->mbox->live_size);
}
