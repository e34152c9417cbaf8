/*
 * imap_frame.h - IMAP command framing: literal markers at line ends and the
 * assembly of one command's exact wire bytes (RFC 9051 4.3, RFC 7888
 * LITERAL+/LITERAL-, RFC 3516 literal8).
 *
 * The session reads CRLF lines.  A line that ends in {n}, {n+}, ~{n} or
 * ~{n+} is followed by n raw octets and then more of the same command on
 * further lines.  Usage:
 *
 *	struct imap_asm *a = imap_asm_new(&limits);
 *	for each line (terminator stripped):
 *		r = imap_asm_line(a, line, len, &mark, &err);
 *		r == IMAP_ASM_DONE:     imap_asm_data(a, &len) is the whole
 *		                        command; parse it, then imap_asm_reset(a).
 *		r == IMAP_ASM_LITERAL:  mark.size octets follow; for a
 *		                        synchronising literal send "+ OK" first;
 *		                        feed them with imap_asm_literal() until
 *		                        imap_asm_literal_left(a) is 0, then read
 *		                        the next line.
 *		r == -1:                reply "tag BAD err".  If mark.kind is
 *		                        IMAP_LIT_NONSYNC the client sends
 *		                        mark.size octets anyway: discard them (or
 *		                        close); then imap_asm_reset(a).
 *
 * Public:
 *   imap_frame_literal(line, len, &mark_r, &errstr_r)  whether one line (no
 *        terminator) ends in a literal marker: 0 with mark_r->kind NONE,
 *        SYNC or NONSYNC, binary, size and the marker's offset; -1 when the
 *        marker's number is past 2^63-1.
 *   imap_asm_new(limits) / imap_asm_free(&a) / imap_asm_reset(a)
 *   imap_asm_line(a, line, len, &mark_r, &errstr_r)   see above; -1 when
 *        the command would pass limits->max_bytes (or the size in a marker
 *        does), when there are more than limits->max_literals literals, or
 *        under LITERAL- for a non-synchronising literal over 4096 octets.
 *   imap_asm_literal(a, p, len)   takes up to the octets still owed; returns
 *        how many it took.  imap_asm_literal_left(a) says how many remain.
 *   imap_asm_data(a, &len_r)      the command so far (lines joined with
 *        CRLF, literals verbatim), valid until the next call on a.
 * Security: all input is untrusted and pre-authentication; the sizes are
 * checked before a single literal octet is accepted, so the session can
 * refuse before answering "+".
 */
#ifndef PETREL_IMAP_FRAME_H
#define PETREL_IMAP_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "log.h"

#define IMAP_LITERAL_MINUS_MAX	4096	/* RFC 7888 section 4 */

enum imap_lit_kind { IMAP_LIT_NONE, IMAP_LIT_SYNC, IMAP_LIT_NONSYNC };

struct imap_literal_mark {
	enum imap_lit_kind kind;
	int binary;		/* ~{n}: literal8 (RFC 3516) */
	uint64_t size;
	size_t offset;		/* where "{" (or "~{") starts in the line */
};

struct imap_asm_limits {
	size_t max_bytes;	/* the whole command including literals */
	unsigned max_literals;
	int literal_minus;	/* advertised LITERAL- instead of LITERAL+ */
};

enum imap_asm_status { IMAP_ASM_DONE = 0, IMAP_ASM_LITERAL = 1 };

struct imap_asm;

int imap_frame_literal(const char *line, size_t len,
    struct imap_literal_mark *mark_r, const char **errstr_r) WARN_UNUSED;

struct imap_asm *imap_asm_new(const struct imap_asm_limits *limits);
void imap_asm_free(struct imap_asm **ap);
void imap_asm_reset(struct imap_asm *a);
int imap_asm_line(struct imap_asm *a, const char *line, size_t len,
    struct imap_literal_mark *mark_r, const char **errstr_r) WARN_UNUSED;
size_t imap_asm_literal(struct imap_asm *a, const char *p, size_t len);
uint64_t imap_asm_literal_left(const struct imap_asm *a);
const char *imap_asm_data(const struct imap_asm *a, size_t *len_r);

#endif
