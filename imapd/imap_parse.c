/*
 * imap_parse.c - the generic IMAP command parser (tag, name, argument tree).
 *
 * Public: see imap_parse.h.  A recursive-descent parser over (p, len) whose
 * recursion is bounded by IMAP_PARSE_DEPTH_MAX and whose node count is
 * bounded by IMAP_PARSE_ARGS_MAX; all memory comes from the caller's pool.
 * Never fatal.
 * Security: input is untrusted network data, also before login.  Quoted
 * strings are unescaped into the pool and must be UTF-8; literal octets are
 * bounds-checked against len before they are referenced.
 */
#include <string.h>

#include "imap_num.h"
#include "imap_parse.h"
#include "strutil.h"

struct parser {
	const char *p;
	size_t len;
	size_t pos;
	struct imap_pool *pool;
	size_t nodes;
	int in_section;
	const char *err;
};

struct item {
	struct imap_arg arg;
	struct item *next;
};

static int parse_items(struct parser *ps, int depth, char term,
    struct imap_arg **args_r, size_t *count_r);

/* ATOM-CHAR: any CHAR except atom-specials (RFC 9051 section 9). */
int
imap_atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	return strchr("(){%*\"\\]", c) == NULL;
}

/* Characters an atom token may carry: ATOM-CHAR, wildcards, "]". */
static int
token_char(unsigned char c, int in_section)
{
	if (imap_atom_char(c) || c == '%' || c == '*')
		return 1;
	return c == ']' && !in_section;
}

/* Record an error text; always returns -1. */
static int
fail(struct parser *ps, const char *err)
{
	if (ps->err == NULL)
		ps->err = err;
	return -1;
}

/* 1 when only blanks and an optional final CRLF or LF remain. */
static int
at_end(const struct parser *ps)
{
	size_t i = ps->pos;

	while (i < ps->len && ps->p[i] == ' ')
		i++;
	if (i == ps->len)
		return 1;
	if (ps->p[i] == '\r' && i + 2 == ps->len && ps->p[i + 1] == '\n')
		return 1;
	return ps->p[i] == '\n' && i + 1 == ps->len;
}

/* The next octet, or 0 at the end of input. */
static unsigned char
peek(const struct parser *ps)
{
	return ps->pos < ps->len ? (unsigned char)ps->p[ps->pos] : 0;
}

/* Scan a quoted string's extent: the unescaped length, or -1. */
static int
quoted_scan(struct parser *ps, size_t *end_r, size_t *n_r)
{
	size_t i = ps->pos, n = 0;

	while (i < ps->len && ps->p[i] != '"') {
		unsigned char c = (unsigned char)ps->p[i];
		if (c == '\\') {
			if (i + 1 >= ps->len ||
			    (ps->p[i + 1] != '"' && ps->p[i + 1] != '\\'))
				return fail(ps, "Invalid escape in quoted string");
			i++;
		} else if (c == '\r' || c == '\n' || c == '\0') {
			return fail(ps, "Invalid character in quoted string");
		}
		i++;
		n++;
	}
	if (i >= ps->len)
		return fail(ps, "Missing closing quote");
	*end_r = i;
	*n_r = n;
	return 0;
}

/* Parse a quoted string (ps->pos just after the opening quote). */
static int
parse_quoted(struct parser *ps, struct imap_arg *arg)
{
	size_t end = 0, n = 0, o = 0;	/* set by quoted_scan (analyzer) */
	char *s;

	if (quoted_scan(ps, &end, &n) < 0)
		return -1;
	if ((s = imap_pool_alloc(ps->pool, n + 1)) == NULL)
		return fail(ps, "Command too complex");
	for (size_t i = ps->pos; i < end; i++) {
		if (ps->p[i] == '\\')
			i++;
		s[o++] = ps->p[i];
	}
	s[o] = '\0';
	if (!imap_utf8_valid(s, o))
		return fail(ps, "Quoted string is not valid UTF-8");
	arg->type = IMAP_ARG_QUOTED;
	arg->str = s;
	arg->len = o;
	ps->pos = end + 1;
	return 0;
}

/* Parse {n}CRLF or {n+}CRLF and the n octets (ps->pos at "{"). */
static int
parse_literal(struct parser *ps, struct imap_arg *arg, int binary)
{
	size_t start = ++ps->pos;
	uint64_t size;

	while (ps->pos < ps->len && ps->p[ps->pos] >= '0' &&
	    ps->p[ps->pos] <= '9')
		ps->pos++;
	if (imap_num_parse64(ps->p + start, ps->pos - start, 0, &size) < 0)
		return fail(ps, "Invalid literal size");
	if (peek(ps) == '+')
		ps->pos++;
	if (peek(ps) != '}')
		return fail(ps, "Invalid literal marker");
	ps->pos++;
	if (peek(ps) == '\r')
		ps->pos++;
	if (peek(ps) != '\n')
		return fail(ps, "Literal marker not at the end of a line");
	ps->pos++;
	if (size > ps->len - ps->pos)
		return fail(ps, "Literal data missing");
	if (!binary && memchr(ps->p + ps->pos, '\0', (size_t)size) != NULL)
		return fail(ps, "NUL in literal (use literal8)");
	arg->type = binary ? IMAP_ARG_LITERAL8 : IMAP_ARG_LITERAL;
	arg->str = ps->p + ps->pos;
	arg->len = (size_t)size;
	ps->pos += (size_t)size;
	return 0;
}

/* 1 when an atom so far may be followed by a [section]. */
static int
section_prefix(const char *p, size_t len)
{
	static const char *const names[] = { "BODY", "BODY.PEEK", "BINARY",
	    "BINARY.PEEK", "BINARY.SIZE" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (str_casecmp_n(p, len, names[i]) == 0)
			return 1;
	return 0;
}

/* Parse "[...]" and the partial after it for a section atom. */
static int
parse_section(struct parser *ps, int depth, struct imap_arg *arg)
{
	size_t start;
	int r;

	if (depth + 1 > IMAP_PARSE_DEPTH_MAX)
		return fail(ps, "Too deeply nested");
	ps->pos++;
	ps->in_section++;
	r = parse_items(ps, depth + 1, ']', &arg->list, &arg->count);
	ps->in_section--;
	if (r < 0)
		return -1;
	if (peek(ps) != ']')
		return fail(ps, "Missing ] in section");
	start = ++ps->pos;
	while (ps->pos < ps->len && peek(ps) != '[' &&
	    token_char(peek(ps), 1))
		ps->pos++;
	arg->has_section = 1;
	arg->partial = ps->p + start;
	arg->partial_len = ps->pos - start;
	return 0;
}

/* Decide NUMBER / NIL / ATOM for a plain atom token. */
static void
atom_type(struct imap_arg *arg)
{
	size_t i;

	for (i = 0; i < arg->len; i++)
		if (arg->str[i] < '0' || arg->str[i] > '9')
			break;
	if (i == arg->len)
		arg->type = IMAP_ARG_NUMBER;
	else if (str_casecmp_n(arg->str, arg->len, "NIL") == 0)
		arg->type = IMAP_ARG_NIL;
	else
		arg->type = IMAP_ARG_ATOM;
}

/* Parse an atom token, possibly a section atom. */
static int
parse_atom(struct parser *ps, int depth, struct imap_arg *arg)
{
	size_t start = ps->pos;
	int flag = peek(ps) == '\\';

	if (flag)
		ps->pos++;
	while (ps->pos < ps->len && token_char(peek(ps), ps->in_section)) {
		if (peek(ps) == '[' && !ps->in_section && !flag &&
		    section_prefix(ps->p + start, ps->pos - start))
			break;
		ps->pos++;
	}
	if (ps->pos == start + (size_t)flag)
		return fail(ps, ps->pos < ps->len ? "Unexpected character" :
		    "Missing argument");
	arg->str = imap_pool_strndup(ps->pool, ps->p + start, ps->pos - start);
	if (arg->str == NULL)
		return fail(ps, "Command too complex");
	arg->len = ps->pos - start;
	arg->type = IMAP_ARG_ATOM;
	if (peek(ps) == '[')
		return parse_section(ps, depth, arg);
	if (!flag)
		atom_type(arg);
	return 0;
}

/* Parse one argument of any kind. */
static int
parse_one(struct parser *ps, int depth, struct imap_arg *arg)
{
	unsigned char c = peek(ps);

	if (c == '(') {
		if (depth + 1 > IMAP_PARSE_DEPTH_MAX)
			return fail(ps, "Too deeply nested");
		ps->pos++;
		if (parse_items(ps, depth + 1, ')', &arg->list,
		    &arg->count) < 0)
			return -1;
		if (peek(ps) != ')')
			return fail(ps, "Missing )");
		ps->pos++;
		arg->type = IMAP_ARG_LIST;
		return 0;
	}
	if (c == '"') {
		ps->pos++;
		return parse_quoted(ps, arg);
	}
	if (c == '{')
		return parse_literal(ps, arg, 0);
	if (c == '~' && ps->pos + 1 < ps->len && ps->p[ps->pos + 1] == '{') {
		ps->pos++;
		return parse_literal(ps, arg, 1);
	}
	return parse_atom(ps, depth, arg);
}

/* Turn a chain of items into a pool array. */
static int
items_to_array(struct parser *ps, struct item *head, size_t n,
    struct imap_arg **args_r, size_t *count_r)
{
	struct imap_arg *a = NULL;

	if (n != 0) {
		a = imap_pool_alloc_array(ps->pool, n, sizeof(*a));
		if (a == NULL)
			return fail(ps, "Command too complex");
	}
	for (size_t i = 0; i < n; i++, head = head->next)
		a[i] = head->arg;
	*args_r = a;
	*count_r = n;
	return 0;
}

/* 1 when the item list ends here (at term, or the command's end). */
static int
items_done(const struct parser *ps, char term)
{
	return term != 0 ? peek(ps) == (unsigned char)term : at_end(ps);
}

/* Parse SP-separated arguments up to term (0: the end of the command). */
static int
parse_items(struct parser *ps, int depth, char term, struct imap_arg **args_r,
    size_t *count_r)
{
	struct item *head = NULL, **tailp = &head;
	size_t n = 0;

	*args_r = NULL;
	*count_r = 0;
	if (items_done(ps, term))
		return 0;
	for (;;) {
		struct item *it = imap_pool_alloc(ps->pool, sizeof(*it));
		if (it == NULL || ++ps->nodes > IMAP_PARSE_ARGS_MAX)
			return fail(ps, "Command too complex");
		if (parse_one(ps, depth, &it->arg) < 0)
			return -1;
		*tailp = it;
		tailp = &it->next;
		n++;
		if (items_done(ps, term))
			break;
		if (peek(ps) != ' ')
			return fail(ps, term == ')' ? "Missing )" :
			    term == ']' ? "Missing ]" : "Expected space");
		ps->pos++;
	}
	return items_to_array(ps, head, n, args_r, count_r);
}

/* Parse a bare argument list. */
int
imap_parse_args(const char *p, size_t len, struct imap_pool *pool,
    struct imap_arg **args_r, size_t *count_r, const char **errstr_r)
{
	struct parser ps = { .p = p, .len = len, .pool = pool };

	if (parse_items(&ps, 0, 0, args_r, count_r) < 0) {
		*errstr_r = ps.err;
		return -1;
	}
	return 0;
}

/* Parse the tag: 1*<ASTRING-CHAR except "+">. */
static int
parse_tag(struct parser *ps, struct imap_cmd *cmd)
{
	size_t start = ps->pos;

	while (ps->pos < ps->len) {
		unsigned char c = peek(ps);
		if (c == '+' || !(imap_atom_char(c) || c == ']'))
			break;
		ps->pos++;
	}
	if (ps->pos == start)
		return fail(ps, at_end(ps) ? "Empty command" : "Invalid tag");
	if (ps->pos - start > IMAP_TAG_MAX)
		return fail(ps, "Tag too long");
	if (ps->pos < ps->len && peek(ps) != ' ' && !at_end(ps))
		return fail(ps, "Invalid tag");
	cmd->tag = imap_pool_strndup(ps->pool, ps->p + start, ps->pos - start);
	return cmd->tag != NULL ? 0 : fail(ps, "Command too complex");
}

/* Parse SP and a command name into an upper-cased pool string. */
static int
parse_name(struct parser *ps, const char **name_r)
{
	size_t start;
	char *s;

	if (at_end(ps) || peek(ps) != ' ')
		return fail(ps, "Missing command");
	start = ++ps->pos;
	while (ps->pos < ps->len && imap_atom_char(peek(ps)))
		ps->pos++;
	if (ps->pos == start)
		return fail(ps, "Missing command");
	if (ps->pos - start > IMAP_CMDNAME_MAX)
		return fail(ps, "Unknown command");
	s = imap_pool_strndup(ps->pool, ps->p + start, ps->pos - start);
	if (s == NULL)
		return fail(ps, "Command too complex");
	for (char *q = s; *q != '\0'; q++)
		if (*q >= 'a' && *q <= 'z')
			*q = (char)(*q - 'a' + 'A');
	*name_r = s;
	return 0;
}

/* Parse a whole command: tag, name, arguments. */
int
imap_parse_cmd(const char *p, size_t len, struct imap_pool *pool,
    struct imap_cmd *cmd_r, const char **errstr_r)
{
	struct parser ps = { .p = p, .len = len, .pool = pool };

	memset(cmd_r, 0, sizeof(*cmd_r));
	if (parse_tag(&ps, cmd_r) < 0 || parse_name(&ps, &cmd_r->name) < 0)
		goto bad;
	if (strcmp(cmd_r->name, "UID") == 0) {
		cmd_r->uid = 1;
		if (parse_name(&ps, &cmd_r->name) < 0)
			goto bad;
	}
	if (!at_end(&ps)) {
		if (peek(&ps) != ' ') {
			fail(&ps, "Unknown command");
			goto bad;
		}
		ps.pos++;
	}
	if (parse_items(&ps, 0, 0, &cmd_r->args, &cmd_r->count) < 0)
		goto bad;
	return 0;
bad:
	*errstr_r = ps.err;
	return -1;
}

/* 1 when arg is the atom name (ASCII case-insensitive). */
int
imap_arg_atom_is(const struct imap_arg *arg, const char *name)
{
	if (arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_NIL)
		return 0;
	if (arg->has_section)
		return 0;
	return str_casecmp_n(arg->str, arg->len, name) == 0;
}

/* 1 when every octet is ATOM-CHAR or "]" (an astring's atom form). */
static int
astring_chars(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!imap_atom_char((unsigned char)p[i]) && p[i] != ']')
			return 0;
	return len != 0;
}

/* string: a quoted string or a literal. */
int
imap_arg_string(const struct imap_arg *arg, const char **p_r, size_t *len_r)
{
	if (arg->type != IMAP_ARG_QUOTED && arg->type != IMAP_ARG_LITERAL)
		return -1;
	*p_r = arg->str;
	*len_r = arg->len;
	return 0;
}

/* astring: 1*ASTRING-CHAR or string. */
int
imap_arg_astring(const struct imap_arg *arg, const char **p_r, size_t *len_r)
{
	if (imap_arg_string(arg, p_r, len_r) == 0)
		return 0;
	if (arg->type == IMAP_ARG_LIST || arg->type == IMAP_ARG_LITERAL8 ||
	    arg->has_section || !astring_chars(arg->str, arg->len))
		return -1;
	*p_r = arg->str;
	*len_r = arg->len;
	return 0;
}

/* nstring: string or NIL (then *p_r is NULL). */
int
imap_arg_nstring(const struct imap_arg *arg, const char **p_r, size_t *len_r)
{
	if (arg->type == IMAP_ARG_NIL) {
		*p_r = NULL;
		*len_r = 0;
		return 0;
	}
	return imap_arg_string(arg, p_r, len_r);
}

/* list-mailbox: 1*list-char or string (list-char adds "%" and "*"). */
int
imap_arg_list_mailbox(const struct imap_arg *arg, const char **p_r,
    size_t *len_r)
{
	if (imap_arg_string(arg, p_r, len_r) == 0)
		return 0;
	if (arg->type == IMAP_ARG_LIST || arg->type == IMAP_ARG_LITERAL8 ||
	    arg->has_section || arg->len == 0 || arg->str[0] == '\\')
		return -1;
	*p_r = arg->str;
	*len_r = arg->len;
	return 0;
}

/* number / nz-number: 32 bits, never wrapped. */
int
imap_arg_number32(const struct imap_arg *arg, int nonzero, uint32_t *val_r)
{
	if (arg->type != IMAP_ARG_NUMBER)
		return -1;
	return imap_num_parse32(arg->str, arg->len, nonzero, val_r);
}

/* number64 / nz-number64 / mod-sequence-value: 63 bits, never wrapped. */
int
imap_arg_number64(const struct imap_arg *arg, int nonzero, uint64_t *val_r)
{
	if (arg->type != IMAP_ARG_NUMBER)
		return -1;
	return imap_num_parse64(arg->str, arg->len, nonzero, val_r);
}
