/*
 * imap_search_args.h - SEARCH / UID SEARCH programs into a small AST
 * (RFC 9051 6.4.4, RFC 3501 6.4.4, RFC 4731 ESEARCH RETURN, RFC 5182
 * SEARCHRES "$", RFC 7162 MODSEQ).
 *
 * Usage, in the SEARCH handler:
 *	struct imap_search_args sa;
 *	r = imap_search_parse(cmd.args, cmd.count, pool, &sa, &err);
 *	r == IMAP_SEARCH_BADCHARSET -> "NO [BADCHARSET (UTF-8 US-ASCII)] err"
 *	r == -1                     -> BAD err
 *	else evaluate sa.root per message; sa.return_given says to answer
 *	with ESEARCH (sa.return_opts: IMAP_SEARCH_RET_*).
 *
 * The tree is normalised so an evaluator needs few cases:
 *   AND (children), OR (2 children), NOT (1 child), ALL,
 *   FLAG (flag = IMAP_FLAG_* bit; UNSEEN is NOT FLAG SEEN, NEW is
 *   AND(FLAG RECENT, NOT FLAG SEEN), OLD is NOT FLAG RECENT),
 *   KEYWORD (str; UNKEYWORD is NOT KEYWORD),
 *   SEQSET / UID (set, not resolved; set->searchres for "$"),
 *   BEFORE / ON / SINCE (internal date), SENTBEFORE / SENTON / SENTSINCE
 *   (the Date: header), both with date (calendar day, no zone),
 *   LARGER / SMALLER (number), MODSEQ (number, optional entry name and
 *   entry type), HEADER (field, str), and the string keys BCC, BODY, CC,
 *   FROM, SUBJECT, TEXT, TO (str, str_len; a literal's octets point into
 *   the command buffer).
 *
 * Public:
 *   imap_search_parse(args, count, pool, &sa_r, &errstr_r)  0; -1 for a
 *        syntax error, an unknown key, a bad date, a number out of range,
 *        more than IMAP_SEARCH_KEYS_MAX keys or nesting deeper than
 *        IMAP_SEARCH_DEPTH_MAX; IMAP_SEARCH_BADCHARSET for a CHARSET other
 *        than UTF-8 and US-ASCII.
 * Security: untrusted input; recursion and size are bounded.
 */
#ifndef PETREL_IMAP_SEARCH_ARGS_H
#define PETREL_IMAP_SEARCH_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include "log.h"
#include "imap_date.h"
#include "imap_parse.h"
#include "imap_seqset.h"

#define IMAP_SEARCH_BADCHARSET	(-2)
#define IMAP_SEARCH_KEYS_MAX	1000
#define IMAP_SEARCH_DEPTH_MAX	32

#define IMAP_SEARCH_RET_MIN	0x01
#define IMAP_SEARCH_RET_MAX	0x02
#define IMAP_SEARCH_RET_ALL	0x04
#define IMAP_SEARCH_RET_COUNT	0x08
#define IMAP_SEARCH_RET_SAVE	0x10

enum imap_search_type {
	IMAP_SK_AND, IMAP_SK_OR, IMAP_SK_NOT, IMAP_SK_ALL,
	IMAP_SK_FLAG, IMAP_SK_KEYWORD, IMAP_SK_SEQSET, IMAP_SK_UID,
	IMAP_SK_BEFORE, IMAP_SK_ON, IMAP_SK_SINCE,
	IMAP_SK_SENTBEFORE, IMAP_SK_SENTON, IMAP_SK_SENTSINCE,
	IMAP_SK_LARGER, IMAP_SK_SMALLER, IMAP_SK_MODSEQ, IMAP_SK_HEADER,
	IMAP_SK_BCC, IMAP_SK_BODY, IMAP_SK_CC, IMAP_SK_FROM,
	IMAP_SK_SUBJECT, IMAP_SK_TEXT, IMAP_SK_TO
};

enum imap_entry_type { IMAP_ENTRY_ALL, IMAP_ENTRY_PRIV, IMAP_ENTRY_SHARED };

struct imap_search_key {
	enum imap_search_type type;
	unsigned flag;
	const char *str;
	size_t str_len;
	const char *field;		/* HEADER: NUL-terminated */
	struct imap_date date;
	uint64_t number;
	struct imap_seqset *set;
	const char *entry_name;		/* MODSEQ: NULL when not given */
	enum imap_entry_type entry_type;
	struct imap_search_key *children;
	size_t child_count;
};

struct imap_search_args {
	const char *charset;		/* NULL when not given */
	int return_given;		/* RETURN (...) seen: answer ESEARCH */
	unsigned return_opts;
	int uses_searchres;		/* a "$" appears in the program */
	int uses_modseq;		/* a MODSEQ key appears */
	struct imap_search_key *root;	/* an AND */
};

int imap_search_parse(const struct imap_arg *args, size_t count,
    struct imap_pool *pool, struct imap_search_args *sa_r,
    const char **errstr_r) WARN_UNUSED;

#endif
