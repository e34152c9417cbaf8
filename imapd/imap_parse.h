/*
 * imap_parse.h - the generic IMAP command parser: tag, command name and an
 * argument tree (RFC 9051 section 9, RFC 3501 section 9).
 *
 * Usage (the session's dispatch):
 *	struct imap_cmd cmd;
 *	if (imap_parse_cmd(data, len, pool, &cmd, &err) < 0)
 *		reply "<cmd.tag or *> BAD <err>";
 *	else look cmd.name (and cmd.uid) up in the table { verb, handler,
 *		allowed states }; the handler gets &cmd and calls a typed parser
 *		(imap_seqset_parse, imap_fetch_parse, imap_search_parse, ...)
 *		on cmd.args / cmd.count.
 *	imap_pool_clear(pool) when the command is finished.
 *
 * The tree: each argument is an ATOM, a NUMBER (an atom of digits only), NIL,
 * a QUOTED string (unescaped), a LITERAL or LITERAL8 (octets pointing into
 * the command buffer, which must outlive the tree), or a LIST.  An atom
 * BODY, BODY.PEEK, BINARY, BINARY.PEEK or BINARY.SIZE directly followed by
 * "[" is a section atom: str is the part before "[", list/count hold the
 * arguments inside the brackets (e.g. HEADER.FIELDS and a LIST), and
 * partial holds what follows "]" ("<0.100>" or empty).  Atom tokens also
 * carry the characters sequence sets, flags and LIST patterns need:
 * "*", "%", "]" and a leading "\".
 *
 * Public:
 *   imap_parse_cmd(p, len, pool, &cmd_r, &errstr_r)  p is the whole command
 *        as imap_asm_data gives it (a final CRLF or LF is allowed, not
 *        required).  0, or -1 with a text for BAD; cmd_r->tag is set
 *        whenever the tag itself was valid.  "UID x" sets cmd.uid and
 *        cmd.name = "X".  Names are upper-cased.  All memory is the pool's.
 *   imap_parse_args(p, len, pool, &args_r, &count_r, &errstr_r)  the same
 *        for a bare argument list (for tests and continuation data).
 *   Accessors (0 / -1 unless noted; strings are never NULL on success):
 *   imap_arg_atom_is(arg, "NAME")    1 when arg is that atom (ci), else 0.
 *   imap_arg_astring(arg, &p, &len)  astring: atom of ASTRING-CHARs, number,
 *        NIL as text, quoted or literal.
 *   imap_arg_string(arg, &p, &len)   string: quoted or literal only.
 *   imap_arg_nstring(arg, &p, &len)  string or NIL (p NULL for NIL).
 *   imap_arg_list_mailbox(arg, &p, &len)  astring, or an atom with "%"/"*".
 *   imap_arg_number32(arg, nonzero, &v) / imap_arg_number64(arg, nonzero, &v)
 * Bounds: IMAP_TAG_MAX, IMAP_CMDNAME_MAX, nesting IMAP_PARSE_DEPTH_MAX,
 * IMAP_PARSE_ARGS_MAX nodes per command, and the pool's maximum.
 * Security: input is untrusted (pre-login too); nothing reads past len, no
 * recursion deeper than the depth bound, quoted strings must be UTF-8,
 * plain literals must not contain NUL (literal8 may).
 */
#ifndef PETREL_IMAP_PARSE_H
#define PETREL_IMAP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "log.h"
#include "imap_pool.h"

#define IMAP_TAG_MAX		128
#define IMAP_CMDNAME_MAX	32
#define IMAP_PARSE_DEPTH_MAX	16
#define IMAP_PARSE_ARGS_MAX	20000

enum imap_arg_type {
	IMAP_ARG_ATOM,
	IMAP_ARG_NUMBER,
	IMAP_ARG_NIL,
	IMAP_ARG_QUOTED,
	IMAP_ARG_LITERAL,
	IMAP_ARG_LITERAL8,
	IMAP_ARG_LIST
};

struct imap_arg {
	enum imap_arg_type type;
	const char *str;	/* atoms, NIL, quoted: NUL-terminated */
	size_t len;
	struct imap_arg *list;	/* LIST items; section contents */
	size_t count;
	int has_section;	/* atom followed by "[...]" */
	const char *partial;	/* section atom: text after "]" */
	size_t partial_len;
};

struct imap_cmd {
	const char *tag;	/* NULL when the tag was not valid */
	const char *name;	/* upper-cased, without "UID " */
	int uid;		/* the command was "UID <name>" */
	struct imap_arg *args;
	size_t count;
};

int imap_parse_cmd(const char *p, size_t len, struct imap_pool *pool,
    struct imap_cmd *cmd_r, const char **errstr_r) WARN_UNUSED;
int imap_parse_args(const char *p, size_t len, struct imap_pool *pool,
    struct imap_arg **args_r, size_t *count_r, const char **errstr_r)
    WARN_UNUSED;

int imap_arg_atom_is(const struct imap_arg *arg, const char *name);
int imap_arg_astring(const struct imap_arg *arg, const char **p_r,
    size_t *len_r) WARN_UNUSED;
int imap_arg_string(const struct imap_arg *arg, const char **p_r,
    size_t *len_r) WARN_UNUSED;
int imap_arg_nstring(const struct imap_arg *arg, const char **p_r,
    size_t *len_r) WARN_UNUSED;
int imap_arg_list_mailbox(const struct imap_arg *arg, const char **p_r,
    size_t *len_r) WARN_UNUSED;
int imap_arg_number32(const struct imap_arg *arg, int nonzero,
    uint32_t *val_r) WARN_UNUSED;
int imap_arg_number64(const struct imap_arg *arg, int nonzero,
    uint64_t *val_r) WARN_UNUSED;
int imap_atom_char(unsigned char c);

#endif
