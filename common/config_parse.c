/*
 * config_parse.c - the petrel.conf line parser and bounded file reader,
 * private to config.c (see config_int.h).
 *
 * Functions: config_int_read_file (whole file, at most CFG_FILE_MAX bytes;
 * -1 with errno kept, ENOENT for a missing file) and config_int_parse (text
 * to raw values by parameter; -1 with "file:line: reason").
 * Rules: blank and '#' lines are skipped; a line starting with blank
 * continues the previous value; "name = value" otherwise; unknown names,
 * NUL bytes, missing '=' and over-long values are errors.  Trailing CR is
 * dropped so files edited on other systems work.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "config_int.h"
#include "params.h"
#include "strutil.h"

/* State of the logical line being assembled by the parser. */
struct cfg_parse {
	struct cfg_state *st;
	int idx;		/* parameter being assembled, or -1 */
	int line;		/* its first line */
	struct buf *val;	/* its value so far */
};

/* Read a whole file (bounded); -1 with errno kept (ENOENT for missing). */
int
config_int_read_file(const char *path, struct buf **text_r, const char **errstr_r)
{
	FILE *fp = fopen(path, "r");
	struct buf *b;
	char chunk[8192];
	size_t n;
	int save;

	if (fp == NULL) {
		save = errno;
		config_int_err(errstr_r, "%s: cannot open: %s", path, strerror(errno));
		errno = save;
		return -1;
	}
	b = buf_new(sizeof(chunk), CFG_FILE_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (buf_append(b, chunk, n) < 0) {
			fclose(fp);
			buf_free(&b);
			errno = EFBIG;
			return config_int_err(errstr_r, "%s: file too large", path);
		}
	}
	save = ferror(fp);
	fclose(fp);
	if (save) {
		buf_free(&b);
		errno = EIO;
		return config_int_err(errstr_r, "%s: read error", path);
	}
	*text_r = b;
	return 0;
}

/* Store the assembled logical line into the state. */
static void
cfg_parse_store(struct cfg_parse *ps)
{
	size_t len;
	const char *v;

	if (ps->idx < 0)
		return;
	len = ps->val->len;
	v = str_trim(ps->val->data, &len);
	free(ps->st->file_raw[ps->idx]);
	ps->st->file_raw[ps->idx] = xstrndup(v, len);
	ps->st->file_line[ps->idx] = ps->line;
	ps->idx = -1;
	buf_reset(ps->val);
}

/* Start a new "name = value" logical line. */
static int
cfg_parse_setting(struct cfg_parse *ps, const char *p, size_t len, int lineno,
    const char **errstr_r)
{
	const char *file = ps->st->path;
	char shown[80];
	size_t n = 0;

	while (n < len && (p[n] == '_' || p[n] == '-' || p[n] == '.' ||
	    (p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
	    (p[n] >= '0' && p[n] <= '9')))
		n++;
	if (n == 0)
		return config_int_err(errstr_r, "%s:%d: syntax error: expected "
		    "'name = value'", file, lineno);
	log_sanitize(shown, sizeof(shown), p, n);
	ps->idx = config_int_index(p, n);
	if (ps->idx < 0)
		return config_int_err(errstr_r, "%s:%d: unknown parameter name '%s'",
		    file, lineno, shown);
	while (n < len && (p[n] == ' ' || p[n] == '\t'))
		n++;
	if (n == len || p[n] != '=') {
		ps->idx = -1;
		return config_int_err(errstr_r, "%s:%d: syntax error: missing '=' "
		    "after '%s'", file, lineno, shown);
	}
	ps->line = lineno;
	if (buf_append(ps->val, p + n + 1, len - n - 1) < 0)
		return config_int_err(errstr_r, "%s:%d: value too long", file, lineno);
	return 0;
}

/* Handle one physical line (without its LF). */
static int
cfg_parse_line(struct cfg_parse *ps, const char *p, size_t len, int lineno,
    const char **errstr_r)
{
	const char *file = ps->st->path, *t;
	size_t tlen = len;

	if (memchr(p, '\0', len) != NULL)
		return config_int_err(errstr_r, "%s:%d: syntax error: NUL byte",
		    file, lineno);
	if (len > 0 && p[len - 1] == '\r')
		tlen = --len;
	t = str_trim(p, &tlen);
	if (tlen == 0 || t[0] == '#')
		return 0;
	if (p[0] != ' ' && p[0] != '\t') {
		cfg_parse_store(ps);
		return cfg_parse_setting(ps, p, len, lineno, errstr_r);
	}
	if (ps->idx < 0)
		return config_int_err(errstr_r, "%s:%d: syntax error: continuation "
		    "line without a preceding parameter", file, lineno);
	if (buf_append_char(ps->val, ' ') < 0 ||
	    buf_append(ps->val, t, tlen) < 0)
		return config_int_err(errstr_r, "%s:%d: value too long", file, lineno);
	return 0;
}

/* Parse petrel.conf text into st->file_raw. */
int
config_int_parse(struct cfg_state *st, const char *p, size_t len,
    const char **errstr_r)
{
	struct cfg_parse ps = { st, -1, 0, NULL };
	size_t pos = 0;
	int lineno = 0, rc = 0;

	ps.val = buf_new(256, CFG_VALUE_MAX);
	while (pos < len && rc == 0) {
		const char *eol = memchr(p + pos, '\n', len - pos);
		size_t l = eol != NULL ? (size_t)(eol - (p + pos)) : len - pos;

		if (++lineno > 1000000)
			rc = config_int_err(errstr_r, "%s: too many lines", st->path);
		else
			rc = cfg_parse_line(&ps, p + pos, l, lineno, errstr_r);
		pos += l + 1;
	}
	if (rc == 0)
		cfg_parse_store(&ps);
	buf_free(&ps.val);
	return rc;
}

