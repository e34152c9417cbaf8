/*
 * imap_flags.c - IMAP flag lists: system flags and keywords.
 *
 * Public: see imap_flags.h.  Pure; memory from the caller's pool.
 * Security: untrusted input; keyword count and length are bounded and
 * de-duplication is quadratic only up to IMAP_KEYWORDS_MAX.
 */
#include <strings.h>
#include <string.h>

#include "imap_flags.h"
#include "strutil.h"

/* The bit of a system flag, or 0. */
unsigned
imap_flag_system(const char *p, size_t len)
{
	static const struct { const char *name; unsigned bit; } f[] = {
		{ "\\Answered", IMAP_FLAG_ANSWERED },
		{ "\\Flagged", IMAP_FLAG_FLAGGED },
		{ "\\Deleted", IMAP_FLAG_DELETED },
		{ "\\Seen", IMAP_FLAG_SEEN },
		{ "\\Draft", IMAP_FLAG_DRAFT },
		{ "\\Recent", IMAP_FLAG_RECENT } };

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (str_casecmp_n(p, len, f[i].name) == 0)
			return f[i].bit;
	return 0;
}

/* 1 for a flag-keyword: 1*ATOM-CHAR, bounded. */
int
imap_keyword_valid(const char *p, size_t len)
{
	if (len == 0 || len > IMAP_KEYWORD_LEN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!imap_atom_char((unsigned char)p[i]))
			return 0;
	return 1;
}

/* Add one flag argument to the result. */
static int
add_flag(const struct imap_arg *a, struct imap_flags *fl, size_t max,
    const char **errstr_r)
{
	unsigned bit;

	if ((a->type != IMAP_ARG_ATOM && a->type != IMAP_ARG_NIL &&
	    a->type != IMAP_ARG_NUMBER) || a->has_section) {
		*errstr_r = "Invalid flag";
		return -1;
	}
	if (a->str[0] == '\\') {
		bit = imap_flag_system(a->str, a->len);
		if (bit == 0 || bit == IMAP_FLAG_RECENT) {
			*errstr_r = "Invalid system flag";
			return -1;
		}
		fl->system |= bit;
		return 0;
	}
	if (!imap_keyword_valid(a->str, a->len)) {
		*errstr_r = "Invalid keyword";
		return -1;
	}
	for (size_t i = 0; i < fl->keyword_count; i++)
		if (strcasecmp(fl->keywords[i], a->str) == 0)
			return 0;
	if (fl->keyword_count >= max) {
		*errstr_r = "Too many keywords";
		return -1;
	}
	fl->keywords[fl->keyword_count++] = a->str;
	return 0;
}

/* Parse flag arguments into system bits and keywords. */
int
imap_flags_parse(const struct imap_arg *args, size_t count,
    struct imap_pool *pool, struct imap_flags *flags_r, const char **errstr_r)
{
	size_t max = count < IMAP_KEYWORDS_MAX ? count : IMAP_KEYWORDS_MAX;

	memset(flags_r, 0, sizeof(*flags_r));
	if (max != 0) {
		flags_r->keywords = imap_pool_alloc_array(pool, max,
		    sizeof(*flags_r->keywords));
		if (flags_r->keywords == NULL) {
			*errstr_r = "Command too complex";
			return -1;
		}
	}
	for (size_t i = 0; i < count; i++)
		if (add_flag(&args[i], flags_r, max, errstr_r) < 0)
			return -1;
	return 0;
}

/* Parse a parenthesised flag list. */
int
imap_flags_from_list(const struct imap_arg *arg, struct imap_pool *pool,
    struct imap_flags *flags_r, const char **errstr_r)
{
	if (arg->type != IMAP_ARG_LIST) {
		*errstr_r = "Expected a flag list";
		return -1;
	}
	return imap_flags_parse(arg->list, arg->count, pool, flags_r,
	    errstr_r);
}
