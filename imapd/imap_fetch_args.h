/*
 * imap_fetch_args.h - FETCH / UID FETCH arguments (RFC 9051 6.4.5, RFC 3501
 * 6.4.5, RFC 3516 BINARY, RFC 7162 CONDSTORE/QRESYNC modifiers).
 *
 * Usage, in the FETCH handler (cmd.args[0] is the sequence set):
 *	struct imap_fetch_args fa;
 *	if (imap_fetch_parse(cmd.args + 1, cmd.count - 1, cmd.uid, pool, &fa,
 *	    &err) < 0)  -> BAD err
 *	fa.items has IMAP_FETCH_* bits (macros expanded; UID added for UID
 *	FETCH; MODSEQ added with CHANGEDSINCE); fa.sections[] lists every
 *	BODY[...], BINARY[...] and BINARY.SIZE[...] in order; fa.sets_seen is
 *	1 when a non-PEEK body part or RFC822/RFC822.TEXT was asked for.
 *	imap_fetch_section_name(&fa.sections[i], out) writes the name the
 *	response uses, e.g. "BODY[1.HEADER.FIELDS (FROM TO)]<0>".
 *
 * Public:
 *   imap_fetch_parse(args, count, uid, pool, &fa_r, &errstr_r)  0, or -1
 *        for an unknown item, a macro inside a list, a bad section (part
 *        numbers past 2^32-1 or deeper than IMAP_PART_DEPTH_MAX, MIME
 *        without a part, an empty or invalid header list, a BINARY section
 *        with text), a bad partial (<offset.length>, length > 0, 63 bits),
 *        a partial on BINARY.SIZE, an unknown or repeated modifier, or
 *        VANISHED without CHANGEDSINCE or outside UID FETCH.
 *   imap_fetch_section_name(section, out)   0, or -1 when out is full.
 * Security: untrusted input; counts come from the bounded argument tree.
 */
#ifndef PETREL_IMAP_FETCH_ARGS_H
#define PETREL_IMAP_FETCH_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "log.h"
#include "imap_parse.h"

#define IMAP_FETCH_FLAGS		0x0001
#define IMAP_FETCH_UID			0x0002
#define IMAP_FETCH_INTERNALDATE		0x0004
#define IMAP_FETCH_RFC822_SIZE		0x0008
#define IMAP_FETCH_ENVELOPE		0x0010
#define IMAP_FETCH_BODY			0x0020	/* non-extensible structure */
#define IMAP_FETCH_BODYSTRUCTURE	0x0040
#define IMAP_FETCH_RFC822		0x0080
#define IMAP_FETCH_RFC822_HEADER	0x0100
#define IMAP_FETCH_RFC822_TEXT		0x0200
#define IMAP_FETCH_MODSEQ		0x0400

#define IMAP_PART_DEPTH_MAX	32

enum imap_section_kind {
	IMAP_SECTION_BODY,
	IMAP_SECTION_BINARY,
	IMAP_SECTION_BINARY_SIZE
};

enum imap_section_text {
	IMAP_SECTION_WHOLE,		/* [] or [1.2] */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_HEADER_FIELDS,
	IMAP_SECTION_HEADER_FIELDS_NOT,
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME
};

struct imap_fetch_section {
	enum imap_section_kind kind;
	int peek;
	uint32_t part[IMAP_PART_DEPTH_MAX];
	size_t part_count;
	enum imap_section_text text;
	const char **fields;	/* HEADER.FIELDS[.NOT]: NUL-terminated */
	size_t field_count;
	int partial;
	uint64_t offset;
	uint64_t length;
};

struct imap_fetch_args {
	unsigned items;
	struct imap_fetch_section *sections;
	size_t section_count;
	int sets_seen;
	int changedsince_set;
	uint64_t changedsince;
	int vanished;
};

int imap_fetch_parse(const struct imap_arg *args, size_t count, int uid,
    struct imap_pool *pool, struct imap_fetch_args *fa_r,
    const char **errstr_r) WARN_UNUSED;
int imap_fetch_section_name(const struct imap_fetch_section *sec,
    struct buf *out) WARN_UNUSED;

#endif
