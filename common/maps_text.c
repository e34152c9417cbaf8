/*
 * maps_text.c - the parser for map text sources (maps.h describes the
 * format): "key value", or "name: value, ..." for aliases; '#' comments and
 * blank lines are skipped; a line starting with white space continues the
 * previous entry's value (joined with one space).
 *
 * Public (maps_int.h): map_text_new, map_text_feed, map_text_finish,
 * map_text_free, map_text_read_file.
 * Returns 0, or -1 with "line N: reason" (read_file: "path:N: reason").
 *
 * Security: sources are written by the administrator (and petrel-user), but
 * the parser still bounds every line, key and value, rejects NUL bytes and
 * is fed in arbitrary pieces, so it is safe on any input (fuzz_mapsource).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "maps.h"
#include "maps_int.h"
#include "strutil.h"

struct map_text_parser {
	int flags;
	int (*cb)(void *ctx, const char *key, const char *value,
	    const char **errstr_r);
	void *ctx;
	struct buf *line;	/* current physical line */
	struct buf *key;	/* pending entry */
	struct buf *value;
	int pending;
	unsigned long lineno;	/* current physical line number */
	unsigned long entry_line;	/* where the pending entry started */
	char err[256];
};

/* Create a parser that reports entries to cb. */
struct map_text_parser *
map_text_new(int flags, int (*cb)(void *ctx, const char *key,
    const char *value, const char **errstr_r), void *ctx)
{
	struct map_text_parser *p = xcalloc(1, sizeof(*p));

	p->flags = flags;
	p->cb = cb;
	p->ctx = ctx;
	p->line = buf_new(256, MAP_LINE_MAX);
	p->key = buf_new(64, MAP_KEY_MAX);
	p->value = buf_new(256, MAP_VALUE_MAX);
	p->lineno = 1;
	return p;
}

/* Free a parser and NULL the pointer. */
void
map_text_free(struct map_text_parser **pp)
{
	struct map_text_parser *p = *pp;

	if (p == NULL)
		return;
	buf_free(&p->line);
	buf_free(&p->key);
	buf_free(&p->value);
	free(p);
	*pp = NULL;
}

/* Format an error for line n into the parser's buffer. */
static int
text_error(struct map_text_parser *p, unsigned long n, const char *why,
    const char **errstr_r)
{
	snprintf(p->err, sizeof(p->err), "line %lu: %s", n, why);
	*errstr_r = p->err;
	return -1;
}

/* Hand the pending entry to the callback. */
static int
text_flush(struct map_text_parser *p, const char **errstr_r)
{
	const char *cb_err = "callback failed";

	if (!p->pending)
		return 0;
	p->pending = 0;
	if (p->value->len == 0)
		return text_error(p, p->entry_line, "missing value", errstr_r);
	str_lower(buf_cstr(p->key));
	if (p->cb(p->ctx, buf_cstr(p->key), buf_cstr(p->value), &cb_err) < 0)
		return text_error(p, p->entry_line, cb_err, errstr_r);
	return 0;
}

/* Append trimmed text to the pending value, one space between pieces. */
static int
text_add_value(struct map_text_parser *p, const char *s, size_t n)
{
	s = str_trim(s, &n);
	if (n == 0)
		return 0;
	if (p->value->len > 0 && buf_append_char(p->value, ' ') < 0)
		return -1;
	return buf_append(p->value, s, n);
}

/* Start a new entry from a line that begins in column one. */
static int
text_start_entry(struct map_text_parser *p, const char *s, size_t n,
    const char **errstr_r)
{
	size_t k = 0;

	if (p->flags & MAP_BUILD_ALIASES) {
		const char *colon = memchr(s, ':', n);
		if (colon == NULL)
			return text_error(p, p->lineno,
			    "expected \"name: value\"", errstr_r);
		k = (size_t)(colon - s);
	} else {
		while (k < n && s[k] != ' ' && s[k] != '\t')
			k++;
	}
	size_t klen = k;
	const char *key = str_trim(s, &klen);
	if (klen == 0 || memchr(key, ' ', klen) || memchr(key, '\t', klen))
		return text_error(p, p->lineno, "bad key", errstr_r);
	buf_reset(p->key);
	buf_reset(p->value);
	if (buf_append(p->key, key, klen) < 0)
		return text_error(p, p->lineno, "key too long", errstr_r);
	if (p->flags & MAP_BUILD_ALIASES)
		k++;		/* skip the colon */
	if (text_add_value(p, s + k, n - k) < 0)
		return text_error(p, p->lineno, "value too long", errstr_r);
	p->pending = 1;
	p->entry_line = p->lineno;
	return 0;
}

/* Process one complete physical line (without its LF). */
static int
text_line(struct map_text_parser *p, const char *s, size_t n,
    const char **errstr_r)
{
	size_t tn = n;
	const char *t;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (memchr(s, '\0', n) != NULL)
		return text_error(p, p->lineno, "NUL byte", errstr_r);
	tn = n;
	t = str_trim(s, &tn);
	if (tn == 0 || t[0] == '#')
		return 0;
	if (s[0] == ' ' || s[0] == '\t') {
		if (!p->pending)
			return text_error(p, p->lineno,
			    "continuation line without an entry", errstr_r);
		if (text_add_value(p, t, tn) < 0)
			return text_error(p, p->lineno, "value too long",
			    errstr_r);
		return 0;
	}
	if (text_flush(p, errstr_r) < 0)
		return -1;
	return text_start_entry(p, s, n, errstr_r);
}

/* Feed bytes; complete lines are processed as they arrive. */
int
map_text_feed(struct map_text_parser *p, const char *data, size_t len,
    const char **errstr_r)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - data) : len;

		if (buf_append(p->line, data, n) < 0)
			return text_error(p, p->lineno, "line too long",
			    errstr_r);
		if (nl == NULL)
			return 0;
		if (text_line(p, p->line->data, p->line->len, errstr_r) < 0)
			return -1;
		buf_reset(p->line);
		p->lineno++;
		data += n + 1;
		len -= n + 1;
	}
	return 0;
}

/* End of input: a last line without LF counts, then flush the entry. */
int
map_text_finish(struct map_text_parser *p, const char **errstr_r)
{
	if (p->line->len > 0) {
		if (text_line(p, p->line->data, p->line->len, errstr_r) < 0)
			return -1;
		buf_reset(p->line);
	}
	return text_flush(p, errstr_r);
}

/* Parse a whole file; errors are "path:N: reason" in a static buffer. */
int
map_text_read_file(const char *path, int flags, int (*cb)(void *ctx,
    const char *key, const char *value, const char **errstr_r), void *ctx,
    const char **errstr_r)
{
	static char err[1024];
	struct map_text_parser *p;
	const char *why = NULL;
	char chunk[16384];
	ssize_t n;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, sizeof(err), "open %s: %s", path, strerror(errno));
		*errstr_r = err;
		return -1;
	}
	p = map_text_new(flags, cb, ctx);
	while (rc == 0 && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, sizeof(err), "read %s: %s", path,
			    strerror(errno));
			why = err;
			rc = -1;
		} else if (map_text_feed(p, chunk, (size_t)n, &why) < 0)
			rc = -1;
	}
	if (rc == 0 && map_text_finish(p, &why) < 0)
		rc = -1;
	close(fd);
	if (rc < 0 && why != err) {
		/* why is "line N: reason"; make it "path:N: reason" */
		const char *r = strncmp(why, "line ", 5) == 0 ? why + 5 : why;
		snprintf(err, sizeof(err), "%s:%s", path, r);
	}
	map_text_free(&p);
	if (rc < 0)
		*errstr_r = err;
	return rc;
}
