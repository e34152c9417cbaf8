/*
 * imap_frame.c - literal markers and command assembly for petrel-imapd.
 *
 * Public: see imap_frame.h.  The assembler appends each line with CRLF and
 * the literal octets verbatim to one bounded struct buf, so imap_parse_cmd
 * sees exactly "{n}\r\n" followed by n octets wherever a literal was.
 * Security: untrusted, pre-authentication input; every size is checked
 * against the limits before anything is stored.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "imap_frame.h"
#include "imap_num.h"

struct imap_asm {
	struct imap_asm_limits lim;
	struct buf *b;
	uint64_t left;		/* literal octets still owed */
	unsigned literals;
};

/* Find "{digits[+]}" (optionally after "~") at the end of a line. */
int
imap_frame_literal(const char *line, size_t len,
    struct imap_literal_mark *mark_r, const char **errstr_r)
{
	size_t end, i;

	memset(mark_r, 0, sizeof(*mark_r));
	if (len < 3 || line[len - 1] != '}')
		return 0;
	end = len - 1;
	if (line[end - 1] == '+') {
		mark_r->kind = IMAP_LIT_NONSYNC;
		end--;
	}
	i = end;
	while (i > 0 && line[i - 1] >= '0' && line[i - 1] <= '9')
		i--;
	if (i == end || i == 0 || line[i - 1] != '{') {
		mark_r->kind = IMAP_LIT_NONE;
		return 0;
	}
	if (imap_num_parse64(line + i, end - i, 0, &mark_r->size) < 0) {
		mark_r->kind = IMAP_LIT_NONE;
		*errstr_r = "Literal size too large";
		return -1;
	}
	if (mark_r->kind == IMAP_LIT_NONE)
		mark_r->kind = IMAP_LIT_SYNC;
	mark_r->offset = i - 1;
	if (i >= 2 && line[i - 2] == '~') {
		mark_r->binary = 1;
		mark_r->offset--;
	}
	return 0;
}

/* Create an assembler bounded by limits. */
struct imap_asm *
imap_asm_new(const struct imap_asm_limits *limits)
{
	struct imap_asm *a = xcalloc(1, sizeof(*a));

	a->lim = *limits;
	a->b = buf_new(1024, limits->max_bytes);
	return a;
}

/* Free the assembler and NULL the caller's pointer. */
void
imap_asm_free(struct imap_asm **ap)
{
	if (*ap == NULL)
		return;
	buf_free(&(*ap)->b);
	free(*ap);
	*ap = NULL;
}

/* Forget the command being assembled. */
void
imap_asm_reset(struct imap_asm *a)
{
	buf_reset(a->b);
	a->left = 0;
	a->literals = 0;
}

/* Check a literal marker against the limits before any octet arrives. */
static int
asm_check_literal(struct imap_asm *a, const struct imap_literal_mark *m,
    const char **errstr_r)
{
	if (++a->literals > a->lim.max_literals) {
		*errstr_r = "Too many literals in one command";
		return -1;
	}
	if (a->lim.literal_minus && m->kind == IMAP_LIT_NONSYNC &&
	    m->size > IMAP_LITERAL_MINUS_MAX) {
		*errstr_r = "Non-synchronizing literal too large (LITERAL-)";
		return -1;
	}
	if (m->size > a->b->max - a->b->len) {
		*errstr_r = "Command too long";
		return -1;
	}
	return 0;
}

/* Append one line of the command; tell whether a literal follows. */
int
imap_asm_line(struct imap_asm *a, const char *line, size_t len,
    struct imap_literal_mark *mark_r, const char **errstr_r)
{
	if (a->left != 0) {
		*errstr_r = "Literal data missing";
		memset(mark_r, 0, sizeof(*mark_r));
		return -1;
	}
	if (imap_frame_literal(line, len, mark_r, errstr_r) < 0)
		return -1;
	if (buf_append(a->b, line, len) < 0 ||
	    buf_append(a->b, "\r\n", 2) < 0) {
		*errstr_r = "Command too long";
		return -1;
	}
	if (mark_r->kind == IMAP_LIT_NONE)
		return IMAP_ASM_DONE;
	if (asm_check_literal(a, mark_r, errstr_r) < 0)
		return -1;
	a->left = mark_r->size;
	return IMAP_ASM_LITERAL;
}

/* Take literal octets still owed; returns how many were taken. */
size_t
imap_asm_literal(struct imap_asm *a, const char *p, size_t len)
{
	size_t n = len;

	if ((uint64_t)n > a->left)
		n = (size_t)a->left;
	if (n == 0)
		return 0;
	/* asm_check_literal reserved the room, so this cannot fail. */
	if (buf_append(a->b, p, n) < 0)
		log_panic("imap_asm_literal: reserved room vanished");
	a->left -= n;
	return n;
}

/* Octets of the current literal not yet received. */
uint64_t
imap_asm_literal_left(const struct imap_asm *a)
{
	return a->left;
}

/* The command assembled so far. */
const char *
imap_asm_data(const struct imap_asm *a, size_t *len_r)
{
	*len_r = a->b->len;
	return a->b->data;
}
