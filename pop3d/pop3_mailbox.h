/*
 * pop3_mailbox.h - the pure pieces of serving a maildir over POP3: the
 * delivery-time order of maildir names, UIDLs, the CRLF size of a message
 * and the RETR/TOP wire encoding (LF -> CRLF, dot-stuffing, TOP cut).
 *
 * Public:
 *   pop3_mailbox_name_key(name, &key)  delivery time from a maildir base
 *                     name "<sec>.<...>M<usec>...": key.sec, key.usec; a name
 *                     that does not start with digits and '.' gets
 *                     sec = LLONG_MAX (sorted last).
 *   pop3_mailbox_key_cmp(a, b)  -1, 0, 1 by (sec, usec).
 *   pop3_mailbox_uidl(name, out, outsize)  the UIDL: the unique part of the
 *                     name (before ',' or ':') when it is 1..70 printable
 *                     octets (RFC 1939 7), else "H" + 32 hex digits of a
 *                     stable hash of it.  outsize >= POP3_UIDL_SIZE.
 *                     Returns the length.
 *   pop3_mailbox_bare_lf(p, n, &prev_cr)  LFs not preceded by CR in this
 *                     chunk (prev_cr carries the state across chunks): the
 *                     octets LF -> CRLF adds.
 *   pop3_mailbox_encoder_init(&e, body_lines)  body_lines -1 = whole message
 *                     (RETR), else the TOP line count.
 *   pop3_mailbox_encode(&e, in, n, out)  encodes a chunk into out, which must
 *                     hold 2 * n bytes; returns the bytes written.  After the
 *                     TOP cut e.done is set and further input is ignored.
 *   pop3_mailbox_encode_end(&e, out)  the terminator (CRLF first when the
 *                     message did not end with a line end, then ".CRLF");
 *                     out holds POP3_ENCODE_END_MAX bytes; returns the length.
 * Security: pure functions over counted data; output sizes are bounded by
 * the stated formulas, so callers can size buffers statically.
 */
#ifndef PETREL_POP3_MAILBOX_H
#define PETREL_POP3_MAILBOX_H

#include <stddef.h>

#define POP3_UIDL_MAX		70
#define POP3_UIDL_SIZE		(POP3_UIDL_MAX + 1)
#define POP3_ENCODE_END_MAX	5

struct pop3_mailbox_key {
	long long sec;
	long usec;
};

struct pop3_mailbox_encoder {
	int at_bol;		/* the next byte starts a line */
	int prev_cr;		/* the last byte was CR */
	int line_blank;		/* only CRs so far on this line */
	int in_header;
	long body_left;		/* TOP: body lines still to send; -1 = all */
	int done;
};

void pop3_mailbox_name_key(const char *name, struct pop3_mailbox_key *key_r);
int pop3_mailbox_key_cmp(const struct pop3_mailbox_key *a,
    const struct pop3_mailbox_key *b);
size_t pop3_mailbox_uidl(const char *name, char *out, size_t outsize);
size_t pop3_mailbox_bare_lf(const char *p, size_t n, int *prev_cr);
void pop3_mailbox_encoder_init(struct pop3_mailbox_encoder *e, long body_lines);
size_t pop3_mailbox_encode(struct pop3_mailbox_encoder *e, const char *in,
    size_t n, char *out);
size_t pop3_mailbox_encode_end(struct pop3_mailbox_encoder *e, char *out);

#endif
