/*
 * mime7.h - 8-bit to 7-bit MIME conversion for a server without 8BITMIME
 * (RFC 6152 section 3 allows converting instead of returning the mail;
 * RFC 2045 quoted-printable; RFC 2046 multipart boundaries).
 *
 * The message (LF line ends, as in the queue file) is read twice: the
 * analysis pass learns which body parts must change and whether the
 * message can be made 7-bit at all; the emitting pass writes the
 * converted message.  Both passes take the message in chunks of any size.
 *
 *   struct mime7_plan plan;       mime7_plan_init(&plan);
 *   m = mime7_new(&plan, 0);      mime7_feed(m, p, n, NULL) ...
 *   mime7_finish(m, NULL);        mime7_free(&m);
 *   if (plan.why != NULL) -> not convertible, plan.why says why
 *   m = mime7_new(&plan, 1);      mime7_feed(m, p, n, out) ... appends
 *   mime7_finish(m, out);         the converted message to out
 *   mime7_plan_free(&plan);
 *
 * Conversion: a leaf part (top-level message without MIME-Version, or any
 * non-multipart, non-message/rfc822 part) holding 8-bit bytes or a line
 * over 998 bytes is encoded quoted-printable and its
 * Content-Transfer-Encoding header replaced; a plain (non-MIME) message
 * also gets "MIME-Version: 1.0" and, without one, "Content-Type:
 * text/plain; charset=unknown-8bit" (RFC 1428).  Parts, multiparts and
 * message/rfc822 parts declared 8bit or binary that need no encoding are
 * relabelled 7bit.  Not convertible (why is set): 8-bit bytes in a header,
 * in a multipart preamble or epilogue, or in a part already declared
 * base64 or quoted-printable; a header block over MIME7_HEAD_MAX bytes,
 * more than MIME7_DEPTH nested multiparts or MIME7_PARTS leaf parts.
 * Every byte of the message not named above passes through unchanged.
 * Errors: mime7_feed/mime7_finish return -1 only when out refuses bytes
 * (its maximum).
 */
#ifndef PETREL_MIME7_H
#define PETREL_MIME7_H

#include <stddef.h>
#include "buf.h"

#define MIME7_HEAD_MAX (1024 * 1024)
#define MIME7_DEPTH 32
#define MIME7_PARTS 10000

struct mime7_plan {
	unsigned char *encode;	/* per leaf part: 1 = quoted-printable */
	size_t parts;		/* leaf parts seen */
	const char *why;	/* NULL, or why the message cannot be 7-bit */
};

struct mime7;

void mime7_plan_init(struct mime7_plan *plan);
void mime7_plan_free(struct mime7_plan *plan);
struct mime7 *mime7_new(struct mime7_plan *plan, int emit);
int mime7_feed(struct mime7 *m, const char *p, size_t n, struct buf *out)
    WARN_UNUSED;
int mime7_finish(struct mime7 *m, struct buf *out) WARN_UNUSED;
void mime7_free(struct mime7 **mp);

#endif
