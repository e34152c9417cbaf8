/*
 * dsn_param.h - the ESMTP DSN parameters (RFC 3461): NOTIFY, ORCPT, RET,
 * ENVID and their xtext encoding; pure parsers shared by smtpd (checking
 * what clients send), the queue manager (who gets which notice) and the
 * remote agent (passing them on).
 *
 * Public:
 *   dsn_notify_parse(p, n)    NOTIFY value: a DSN_NOTIFY_* mask, or -1 when
 *                             malformed (NEVER must stand alone; keywords
 *                             case-insensitive, each at most once).
 *   dsn_notify_text(mask, buf, size)  "SUCCESS,FAILURE" / "NEVER".
 *   dsn_xtext_valid(p, n)     1 if p/n is xtext: printable ASCII except
 *                             '+' and '=', and "+HH" hex escapes.
 *   dsn_xtext_decode(p, n, out, size)  decoded length, or -1 (invalid,
 *                             does not fit, or decodes to a control char
 *                             or an octet above 0x7e).
 *   dsn_orcpt_valid(p, n)     1 if "addr-type;xtext" (addr-type an atom).
 *   dsn_field(payload, name, out, size)  value of "name=" in a blank
 *                             separated word list (the queue file's 'O'
 *                             record): 1 found, 0 not.
 *   dsn_rcpt_notify(payload)  the NOTIFY mask of a recipient's 'O' record;
 *                             0 when absent (RFC 3461 default: FAILURE and
 *                             DELAY notices, no SUCCESS).
 */
#ifndef PETREL_DSN_PARAM_H
#define PETREL_DSN_PARAM_H

#include <stddef.h>

#define DSN_NOTIFY_NEVER 0x01
#define DSN_NOTIFY_SUCCESS 0x02
#define DSN_NOTIFY_FAILURE 0x04
#define DSN_NOTIFY_DELAY 0x08

/* Does a recipient with this mask (0 = default) want a notice of kind? */
#define DSN_WANTS(mask, bit) ((mask) == 0 ? (bit) != DSN_NOTIFY_SUCCESS : \
	((mask) & (bit)) != 0)

int dsn_notify_parse(const char *p, size_t n);
const char *dsn_notify_text(int mask, char *buf, size_t size);
int dsn_xtext_valid(const char *p, size_t n);
long dsn_xtext_decode(const char *p, size_t n, char *out, size_t size);
int dsn_orcpt_valid(const char *p, size_t n);
int dsn_field(const char *payload, const char *name, char *out, size_t size);
int dsn_rcpt_notify(const char *payload);

#endif
