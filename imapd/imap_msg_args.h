/*
 * imap_msg_args.h - arguments of STORE (RFC 9051 6.4.6, RFC 7162
 * UNCHANGEDSINCE), APPEND (6.3.12, RFC 3502 MULTIAPPEND, RFC 3516 literal8),
 * ENABLE (RFC 5161), ID (RFC 2971) and AUTHENTICATE (RFC 4959 SASL-IR).
 *
 * Each function takes the command's arguments and the pool and returns 0,
 * or -1 with a text for BAD.
 *
 * Public:
 *   imap_store_parse(args, count, pool, &st_r, &errstr_r)  the arguments
 *        after the sequence set: [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT]
 *        then a flag list or bare flags (validated by imap_flags.c).
 *   imap_append_parse(args, count, utf8, pool, &aa_r, &errstr_r)  mailbox,
 *        then 1..IMAP_APPEND_MSGS_MAX messages, each [flag-list]
 *        [date-time] literal|literal8.  A message's data points into the
 *        command buffer.
 *   imap_enable_parse(args, count, pool, &en_r, &errstr_r)  capability
 *        names; known ones also as IMAP_CAP_* bits (unknown ones are not
 *        an error: ENABLE ignores them).
 *   imap_id_parse(args, count, pool, &id_r, &errstr_r)  NIL or a list of
 *        field/value pairs, within RFC 2971's bounds (30 pairs, 30-octet
 *        fields, 1024-octet values); a NIL value has value NULL.
 *   imap_authenticate_parse(args, count, &au_r, &errstr_r)  mechanism and
 *        the optional SASL-IR initial response (base64 letters; "=" is an
 *        empty response).  The session decodes it with base64_decode.
 * Security: untrusted input (ID and AUTHENTICATE before login); every count
 * and length is bounded.
 */
#ifndef PETREL_IMAP_MSG_ARGS_H
#define PETREL_IMAP_MSG_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "log.h"
#include "imap_flags.h"
#include "imap_parse.h"

#define IMAP_APPEND_MSGS_MAX	256
#define IMAP_ID_PAIRS_MAX	30
#define IMAP_ID_FIELD_MAX	30
#define IMAP_ID_VALUE_MAX	1024

#define IMAP_CAP_CONDSTORE	0x01
#define IMAP_CAP_QRESYNC	0x02
#define IMAP_CAP_UTF8_ACCEPT	0x04
#define IMAP_CAP_IMAP4REV2	0x08

enum imap_store_op { IMAP_STORE_SET, IMAP_STORE_ADD, IMAP_STORE_REMOVE };

struct imap_store_args {
	enum imap_store_op op;
	int silent;
	struct imap_flags flags;
	int unchangedsince_set;
	uint64_t unchangedsince;
};

struct imap_append_msg {
	struct imap_flags flags;
	int has_date;
	time_t date;
	int tzoff;		/* minutes east */
	const char *data;
	size_t len;
	int binary;		/* literal8 */
};

struct imap_append_args {
	const char *mailbox;
	struct imap_append_msg *msgs;
	size_t count;
};

struct imap_enable_args {
	const char **names;
	size_t count;
	unsigned known;		/* IMAP_CAP_* */
};

struct imap_id_args {
	int nil;
	const char **fields;	/* NUL-terminated */
	const char **values;	/* NUL-terminated, or NULL for NIL */
	size_t count;
};

struct imap_auth_args {
	const char *mech;	/* upper-cased */
	int has_ir;
	const char *ir;		/* base64 text; "" for "=" */
	size_t ir_len;
};

int imap_store_parse(const struct imap_arg *args, size_t count,
    struct imap_pool *pool, struct imap_store_args *st_r,
    const char **errstr_r) WARN_UNUSED;
int imap_append_parse(const struct imap_arg *args, size_t count, int utf8,
    struct imap_pool *pool, struct imap_append_args *aa_r,
    const char **errstr_r) WARN_UNUSED;
int imap_enable_parse(const struct imap_arg *args, size_t count,
    struct imap_pool *pool, struct imap_enable_args *en_r,
    const char **errstr_r) WARN_UNUSED;
int imap_id_parse(const struct imap_arg *args, size_t count,
    struct imap_pool *pool, struct imap_id_args *id_r,
    const char **errstr_r) WARN_UNUSED;
int imap_authenticate_parse(const struct imap_arg *args, size_t count,
    struct imap_pool *pool, struct imap_auth_args *au_r,
    const char **errstr_r) WARN_UNUSED;

#endif
