/*
 * local_alias.c - expand one recipient into leaves: maildirs (with their
 * owner) and addresses in other domains to forward to.
 *
 * Public:
 *   local_expand(r, addr, &x)   recursive: aliases and virtual aliases are
 *                               followed up to LOCAL_ALIAS_DEPTH levels and
 *                               LOCAL_ALIAS_TARGETS addresses in all;
 *                               duplicates are dropped.  x->fail keeps the
 *                               first problem (4.3.0 lookup failure, 5.1.1
 *                               unknown user, 5.4.6 too deep, 5.3.0 too many).
 *   local_expansion_free(&x)
 *   local_status_set(st, class, enh, fmt, ...)
 * Program ("|cmd"), file ("/path") and ":include:" targets are not
 * supported yet: they are refused with 5.3.0 and logged.
 * Security: alias values come from maps the administrator controls, but
 * recipient addresses are network input; every count is bounded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config.h"
#include "local.h"
#include "log.h"
#include "params.h"
#include "resolve.h"
#include "strutil.h"

/* Fill a status with class, enhanced code and formatted text. */
void
local_status_set(struct local_status *st, int status_class, const char *enh,
    const char *fmt, ...)
{
	va_list ap;

	st->status_class = status_class;
	snprintf(st->enh, sizeof(st->enh), "%s", enh);
	va_start(ap, fmt);
	vsnprintf(st->text, sizeof(st->text), fmt, ap);
	va_end(ap);
}

/* Remember the first failure only (a temporary one wins over permanent). */
static void
expand_fail(struct local_expansion *x, int status_class, const char *enh,
    const char *what, const char *addr)
{
	if (x->fail.status_class == 4 ||
	    (x->fail.status_class == 5 && status_class == 5))
		return;
	local_status_set(&x->fail, status_class, enh, "%s: %s", addr, what);
}

/* 1 if addr was met before, else remember it. */
static int
seen_before(struct local_expansion *x, const char *addr)
{
	for (size_t i = 0; i < x->nseen; i++)
		if (strcasecmp(x->seen[i], addr) == 0)
			return 1;
	x->seen = xreallocarray(x->seen, x->nseen + 1, sizeof(*x->seen));
	x->seen[x->nseen++] = xstrdup(addr);
	return 0;
}

/* Add a leaf; the address gets @myhostname when it has no domain. */
static void
add_leaf(struct local_expansion *x, const char *addr,
    const struct resolve_mailbox *mb)
{
	struct local_leaf *l;
	size_t len = strlen(addr) + strlen(var_myhostname) + 2;

	x->leaves = xreallocarray(x->leaves, x->nleaves + 1,
	    sizeof(*x->leaves));
	l = &x->leaves[x->nleaves++];
	memset(l, 0, sizeof(*l));
	l->addr = xmalloc(len);
	if (strchr(addr, '@') != NULL)
		snprintf(l->addr, len, "%s", addr);
	else
		snprintf(l->addr, len, "%s@%s", addr, var_myhostname);
	if (mb != NULL) {
		l->maildir = xstrdup(mb->maildir);
		l->uid = mb->uid;
		l->gid = mb->gid;
	}
}

static void expand_one(struct resolver *r, const char *addr, int depth,
    struct local_expansion *x);

/* Walk a comma/blank separated alias value. */
static void
expand_value(struct resolver *r, const char *owner, const char *value,
    int depth, struct local_expansion *x)
{
	char **list = config_list(value);

	for (size_t i = 0; list != NULL && list[i] != NULL; i++) {
		const char *t = list[i];
		if (t[0] == '|' || t[0] == '/' || strncmp(t, ":include:", 9) == 0) {
			log_warn("alias %s: unsupported target %.100s", owner, t);
			expand_fail(x, 5, "5.3.0", "unsupported alias target",
			    owner);
			continue;
		}
		expand_one(r, t, depth + 1, x);
	}
	config_list_free(&list);
}

/* Expand one address into leaves. */
static void
expand_one(struct resolver *r, const char *addr, int depth,
    struct local_expansion *x)
{
	struct resolve_mailbox mb;
	enum resolve_class c;
	const char *err = "lookup failed";
	int res;

	if (depth > LOCAL_ALIAS_DEPTH) {
		expand_fail(x, 5, "5.4.6", "alias expansion too deep", addr);
		return;
	}
	if (seen_before(x, addr))
		return;
	if (x->nseen > LOCAL_ALIAS_TARGETS) {
		expand_fail(x, 5, "5.3.0", "too many alias targets", addr);
		return;
	}
	c = resolve_class(r, addr);
	if (c != RESOLVE_LOCAL && c != RESOLVE_VIRTUAL && depth > 0) {
		add_leaf(x, addr, NULL);
		return;
	}
	res = resolve_mailbox(r, addr, &mb, &err);
	if (res < 0)
		expand_fail(x, 4, "4.3.0", err, addr);
	else if (res == 0)
		expand_fail(x, 5, "5.1.1", "unknown user", addr);
	else if (mb.is_alias)
		expand_value(r, addr, mb.expansion, depth, x);
	else
		add_leaf(x, addr, &mb);
	if (res == 1)
		resolve_mailbox_clear(&mb);
}

/* Expand a recipient (see the file header). */
void
local_expand(struct resolver *r, const char *addr, struct local_expansion *x)
{
	memset(x, 0, sizeof(*x));
	expand_one(r, addr, 0, x);
}

/* Free an expansion. */
void
local_expansion_free(struct local_expansion *x)
{
	for (size_t i = 0; i < x->nleaves; i++) {
		free(x->leaves[i].addr);
		free(x->leaves[i].maildir);
	}
	for (size_t i = 0; i < x->nseen; i++)
		free(x->seen[i]);
	free(x->leaves);
	free(x->seen);
	memset(x, 0, sizeof(*x));
}
