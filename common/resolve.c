/*
 * resolve.c - which class a recipient belongs to, whether it exists, and
 * which mailbox (or alias expansion) it delivers to.  See resolve.h.
 *
 * Public: resolver_new, resolver_free, resolve_class, resolve_exists,
 * resolve_mailbox, resolve_mailbox_clear.  Lookups return 1 / 0 / -1
 * (temporary failure: a map error, or a configuration the delivery code
 * must not guess about, such as a virtual mailbox that is not a maildir).
 *
 * Order: virtual_alias_maps (full address, address without extension,
 * "@domain") for every class; then LOCAL: alias_maps by localpart, then the
 * system user (getpwnam of the lower-cased localpart), each with the
 * recipient_delimiter extension stripped on a miss; VIRTUAL:
 * virtual_mailbox_maps by address, then without the extension.
 * "postmaster" always exists in LOCAL and VIRTUAL domains (RFC 5321 4.5.1);
 * without a mapping it falls back to the local alias "postmaster" and then
 * to root's maildir with uid 0 - which local delivery refuses, so the
 * administrator must alias postmaster/root to a real user (documented in
 * petrel-user(8) and INSTALL).
 * Security: addresses are untrusted network input.  Map keys are bounded by
 * maps.c; virtual mailbox paths containing ".." are refused; the resolver
 * never returns a maildir outside virtual_mailbox_base for virtual users.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "maps.h"
#include "params.h"
#include "resolve.h"
#include "strutil.h"

struct resolver {
	struct maplist *aliases;
	struct maplist *valiases;
	struct maplist *vmailboxes;
	char **mydest;		/* NULL-terminated, lower case */
	char **vdomains;
	char **relay;
};

/* A parsed, lower-cased address: local part, its base (no extension). */
struct rcpt {
	char *local;
	char *base;		/* NULL when there is no extension */
	char *domain;		/* "" when there was no '@' */
};

static char resolve_err[512];

/* Split a comma/blank separated domain list into lower-case items. */
static char **
dlist_new(const char *s)
{
	char **v = xcalloc(1, sizeof(*v));
	size_t n = 0;

	while (s != NULL && *s != '\0') {
		size_t len = strcspn(s, ", \t\r\n");
		if (len > 0 && len < 256) {
			while (len > 1 && s[len - 1] == '.')
				len--;
			v = xreallocarray(v, n + 2, sizeof(*v));
			v[n++] = str_lower(xstrndup(s, len));
			v[n] = NULL;
		}
		s += len;
		if (*s != '\0')
			s++;
	}
	return v;
}

/* Free a domain list. */
static void
dlist_free(char ***vp)
{
	if (*vp == NULL)
		return;
	for (char **p = *vp; *p != NULL; p++)
		free(*p);
	free(*vp);
	*vp = NULL;
}

/* Is the (lower-case) domain in the list? */
static int
dlist_has(char *const *v, const char *domain)
{
	for (; *v != NULL; v++)
		if (strcmp(*v, domain) == 0)
			return 1;
	return 0;
}

/* Open the maps and domain lists named in the configuration. */
struct resolver *
resolver_new(const char **errstr_r)
{
	struct resolver *r = xcalloc(1, sizeof(*r));

	r->aliases = maplist_open(var_alias_maps ? var_alias_maps : "",
	    errstr_r);
	if (r->aliases != NULL)
		r->valiases = maplist_open(var_virtual_alias_maps ?
		    var_virtual_alias_maps : "", errstr_r);
	if (r->valiases != NULL)
		r->vmailboxes = maplist_open(var_virtual_mailbox_maps ?
		    var_virtual_mailbox_maps : "", errstr_r);
	if (r->vmailboxes == NULL) {
		resolver_free(&r);
		return NULL;
	}
	r->mydest = dlist_new(var_mydestination);
	r->vdomains = dlist_new(var_virtual_mailbox_domains);
	r->relay = dlist_new(var_relay_domains);
	return r;
}

/* Close everything and NULL the pointer. */
void
resolver_free(struct resolver **rp)
{
	struct resolver *r = *rp;

	if (r == NULL)
		return;
	maplist_close(&r->aliases);
	maplist_close(&r->valiases);
	maplist_close(&r->vmailboxes);
	dlist_free(&r->mydest);
	dlist_free(&r->vdomains);
	dlist_free(&r->relay);
	free(r);
	*rp = NULL;
}

/* Parse addr into lower-cased parts; base is set when an extension exists. */
static void
rcpt_parse(const char *addr, struct rcpt *rc)
{
	const char *at = strrchr(addr, '@');
	const char *delim = var_recipient_delimiter ? var_recipient_delimiter : "";
	size_t n;

	rc->local = str_lower(at ? xstrndup(addr, (size_t)(at - addr)) :
	    xstrdup(addr));
	rc->domain = str_lower(xstrdup(at ? at + 1 : ""));
	n = strlen(rc->domain);
	while (n > 0 && rc->domain[n - 1] == '.')
		rc->domain[--n] = '\0';
	rc->base = NULL;
	n = *delim != '\0' ? strcspn(rc->local, delim) : 0;
	if (n > 0 && rc->local[n] != '\0')
		rc->base = xstrndup(rc->local, n);
}

/* Free the parts. */
static void
rcpt_clear(struct rcpt *rc)
{
	free(rc->local);
	free(rc->base);
	free(rc->domain);
}

/* Class of a parsed address. */
static enum resolve_class
class_of(struct resolver *r, const struct rcpt *rc)
{
	if (rc->domain[0] == '\0' || dlist_has(r->mydest, rc->domain))
		return RESOLVE_LOCAL;
	if (dlist_has(r->vdomains, rc->domain))
		return RESOLVE_VIRTUAL;
	if (dlist_has(r->relay, rc->domain))
		return RESOLVE_RELAY;
	return RESOLVE_REMOTE;
}

/* The class of addr's domain. */
enum resolve_class
resolve_class(struct resolver *r, const char *addr)
{
	struct rcpt rc;
	enum resolve_class c;

	rcpt_parse(addr, &rc);
	c = class_of(r, &rc);
	rcpt_clear(&rc);
	return c;
}

/* Look up "local@domain" in l; a hit copies the value into *value_r. */
static int
lookup_addr(struct maplist *l, const char *local, const char *domain,
    char **value_r, const char **errstr_r)
{
	size_t n = strlen(local) + strlen(domain) + 2;
	char *key = xmalloc(n);
	const char *v;
	int rc;

	snprintf(key, n, "%s@%s", local, domain);
	rc = maplist_lookup(l, key, &v, errstr_r);
	free(key);
	if (rc == 1)
		*value_r = xstrdup(v);
	return rc;
}

/* virtual_alias_maps: address, address without extension, "@domain". */
static int
valias_lookup(struct resolver *r, const struct rcpt *rc, char **value_r,
    const char **errstr_r)
{
	const char *domain = rc->domain;
	int res;

	if (domain[0] == '\0')
		domain = var_myorigin != NULL ? var_myorigin : "";
	if (domain[0] == '\0')
		return 0;
	res = lookup_addr(r->valiases, rc->local, domain, value_r, errstr_r);
	if (res == 0 && rc->base != NULL)
		res = lookup_addr(r->valiases, rc->base, domain, value_r,
		    errstr_r);
	if (res == 0)
		res = lookup_addr(r->valiases, "", domain, value_r, errstr_r);
	return res;
}

/* alias_maps by localpart, then by its base. */
static int
alias_lookup(struct resolver *r, const struct rcpt *rc, char **value_r,
    const char **errstr_r)
{
	const char *v;
	int res = maplist_lookup(r->aliases, rc->local, &v, errstr_r);

	if (res == 0 && rc->base != NULL)
		res = maplist_lookup(r->aliases, rc->base, &v, errstr_r);
	if (res == 1)
		*value_r = xstrdup(v);
	return res;
}

/* The system user for the localpart (or its base). */
static struct passwd *
local_user(const struct rcpt *rc)
{
	struct passwd *pw = getpwnam(rc->local);

	if (pw == NULL && rc->base != NULL)
		pw = getpwnam(rc->base);
	return pw;
}

/* virtual_mailbox_maps by address, then without the extension. */
static int
vmailbox_lookup(struct resolver *r, const struct rcpt *rc, char **value_r,
    const char **matched_r, const char **errstr_r)
{
	int res = lookup_addr(r->vmailboxes, rc->local, rc->domain, value_r,
	    errstr_r);

	*matched_r = rc->local;
	if (res == 0 && rc->base != NULL) {
		res = lookup_addr(r->vmailboxes, rc->base, rc->domain, value_r,
		    errstr_r);
		*matched_r = rc->base;
	}
	return res;
}

/* Does the recipient exist in a class we own? */
static int
exists_in_class(struct resolver *r, const struct rcpt *rc,
    enum resolve_class c, const char **errstr_r)
{
	char *v = NULL;
	int res;

	if (c == RESOLVE_LOCAL) {
		res = alias_lookup(r, rc, &v, errstr_r);
		if (res == 0 && local_user(rc) != NULL)
			res = 1;
	} else {
		const char *matched;
		res = vmailbox_lookup(r, rc, &v, &matched, errstr_r);
	}
	free(v);
	if (res == 0 && strcmp(rc->local, "postmaster") == 0)
		res = 1;
	return res;
}

/* 1 exists (or not ours to judge), 0 unknown, -1 temporary failure. */
int
resolve_exists(struct resolver *r, const char *addr, const char **errstr_r)
{
	struct rcpt rc;
	enum resolve_class c;
	char *v = NULL;
	int res;

	rcpt_parse(addr, &rc);
	c = class_of(r, &rc);
	res = valias_lookup(r, &rc, &v, errstr_r);
	free(v);
	if (res == 0 && (c == RESOLVE_LOCAL || c == RESOLVE_VIRTUAL))
		res = exists_in_class(r, &rc, c, errstr_r);
	else if (res == 0)
		res = 1;
	rcpt_clear(&rc);
	return res;
}

/* Fill mb with an alias expansion (takes ownership of value). */
static int
mb_alias(struct resolve_mailbox *mb, char *value, const char *user)
{
	mb->is_alias = 1;
	mb->expansion = value;
	mb->user = xstrdup(user);
	return 1;
}

/* Fill mb with a system user's maildir: <home>/<home_mailbox>. */
static int
mb_system_user(struct resolve_mailbox *mb, const struct passwd *pw,
    const char **errstr_r)
{
	const char *hm = var_home_mailbox != NULL ? var_home_mailbox : "";
	size_t n = strlen(hm), hl = strlen(pw->pw_dir), len;

	if (n == 0 || hm[n - 1] != '/' || hm[0] == '/') {
		*errstr_r = "home_mailbox must be a relative maildir path "
		    "ending in '/'";
		return -1;
	}
	while (hl > 0 && pw->pw_dir[hl - 1] == '/')
		hl--;
	len = hl + n + 2;
	mb->maildir = xmalloc(len);
	snprintf(mb->maildir, len, "%.*s/%s", (int)hl, pw->pw_dir, hm);
	mb->uid = pw->pw_uid;
	mb->gid = pw->pw_gid;
	mb->user = xstrdup(pw->pw_name);
	return 1;
}

/* Postmaster without a mapping: the alias "postmaster", then root. */
static int
mb_postmaster(struct resolver *r, struct resolve_mailbox *mb,
    const char **errstr_r)
{
	struct passwd *pw;
	const char *v;
	int res = maplist_lookup(r->aliases, "postmaster", &v, errstr_r);

	if (res != 0)
		return res < 0 ? -1 : mb_alias(mb, xstrdup(v), "postmaster");
	if ((pw = getpwnam("root")) == NULL) {
		*errstr_r = "postmaster has no alias and there is no root user";
		return -1;
	}
	return mb_system_user(mb, pw, errstr_r);
}

/* LOCAL class: alias, system user, postmaster fallback. */
static int
mailbox_local(struct resolver *r, const struct rcpt *rc,
    struct resolve_mailbox *mb, const char **errstr_r)
{
	struct passwd *pw;
	char *v = NULL;
	int res = alias_lookup(r, rc, &v, errstr_r);

	if (res != 0)
		return res < 0 ? -1 : mb_alias(mb, v, rc->local);
	if ((pw = local_user(rc)) != NULL)
		return mb_system_user(mb, pw, errstr_r);
	if (strcmp(rc->local, "postmaster") == 0)
		return mb_postmaster(r, mb, errstr_r);
	return 0;
}

/* Check a virtual mailbox value: a maildir ("/" at the end), no "..". */
static const char *
vpath_problem(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || v[n - 1] != '/')
		return "virtual mailbox is not a maildir (only maildir, "
		    "a path ending in '/', is supported)";
	for (const char *p = v; *p != '\0';) {
		size_t c = strcspn(p, "/");
		if (c == 2 && p[0] == '.' && p[1] == '.')
			return "virtual mailbox path contains \"..\"";
		p += c;
		if (*p != '\0')
			p++;
	}
	return NULL;
}

/* vmail_user's ids, looked up once per user name (not once per delivery:
 * getpwnam reads /etc/passwd each time). */
static int
vmail_ids(uid_t *uid_r, gid_t *gid_r)
{
	static char *cached_name;
	static uid_t cached_uid;
	static gid_t cached_gid;
	const char *name = var_vmail_user ? var_vmail_user : "";
	struct passwd *pw;

	if (cached_name == NULL || strcmp(cached_name, name) != 0) {
		if ((pw = getpwnam(name)) == NULL)
			return -1;
		free(cached_name);
		cached_name = xstrdup(name);
		cached_uid = pw->pw_uid;
		cached_gid = pw->pw_gid;
	}
	*uid_r = cached_uid;
	*gid_r = cached_gid;
	return 0;
}

/* Fill mb with <virtual_mailbox_base>/<value> owned by vmail_user. */
static int
mb_virtual(struct resolve_mailbox *mb, const char *value,
    const char *local, const char *domain, const char **errstr_r)
{
	const char *base = var_virtual_mailbox_base ? var_virtual_mailbox_base : "";
	const char *why = vpath_problem(value);
	uid_t uid;
	gid_t gid;
	size_t bl = strlen(base), len;

	if (why != NULL) {
		snprintf(resolve_err, sizeof(resolve_err), "%s@%s: %s",
		    local, domain, why);
		*errstr_r = resolve_err;
		return -1;
	}
	if (vmail_ids(&uid, &gid) < 0) {
		*errstr_r = "vmail_user does not exist";
		return -1;
	}
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	while (*value == '/')
		value++;
	len = bl + strlen(value) + 2;
	mb->maildir = xmalloc(len);
	snprintf(mb->maildir, len, "%.*s/%s", (int)bl, base, value);
	mb->uid = uid;
	mb->gid = gid;
	len = strlen(local) + strlen(domain) + 2;
	mb->user = xmalloc(len);
	snprintf(mb->user, len, "%s@%s", local, domain);
	return 1;
}

/* VIRTUAL class: virtual_mailbox_maps, postmaster fallback. */
static int
mailbox_virtual(struct resolver *r, const struct rcpt *rc,
    struct resolve_mailbox *mb, const char **errstr_r)
{
	const char *matched;
	char *v = NULL;
	int res = vmailbox_lookup(r, rc, &v, &matched, errstr_r);

	if (res == 1)
		res = mb_virtual(mb, v, matched, rc->domain, errstr_r);
	else if (res == 0 && strcmp(rc->local, "postmaster") == 0)
		res = mb_postmaster(r, mb, errstr_r);
	free(v);
	return res;
}

/* Where does addr deliver?  1 with mb filled, 0 unknown, -1 temporary. */
int
resolve_mailbox(struct resolver *r, const char *addr,
    struct resolve_mailbox *mb_r, const char **errstr_r)
{
	struct rcpt rc;
	enum resolve_class c;
	char *v = NULL;
	int res;

	memset(mb_r, 0, sizeof(*mb_r));
	rcpt_parse(addr, &rc);
	c = class_of(r, &rc);
	res = valias_lookup(r, &rc, &v, errstr_r);
	if (res == 1)
		res = mb_alias(mb_r, v, addr);
	else if (res == 0 && c == RESOLVE_LOCAL)
		res = mailbox_local(r, &rc, mb_r, errstr_r);
	else if (res == 0 && c == RESOLVE_VIRTUAL)
		res = mailbox_virtual(r, &rc, mb_r, errstr_r);
	rcpt_clear(&rc);
	if (res != 1)
		resolve_mailbox_clear(mb_r);
	return res;
}

/* Free what resolve_mailbox filled in. */
void
resolve_mailbox_clear(struct resolve_mailbox *mb)
{
	free(mb->expansion);
	free(mb->maildir);
	free(mb->user);
	memset(mb, 0, sizeof(*mb));
}

/* Where a login user's mail lives: 1 with *maildir_r (malloced) and its
 * owner's ids, 0 when the address has no mailbox of ours (unknown, an
 * alias, a remote domain), -1 on a temporary lookup failure. */
int
resolve_login_maildir(struct resolver *r, const char *user, char **maildir_r,
    uid_t *uid_r, gid_t *gid_r, const char **errstr_r)
{
	struct resolve_mailbox mb;
	enum resolve_class cls = resolve_class(r, user);
	int rc;

	*maildir_r = NULL;
	if (cls != RESOLVE_VIRTUAL && cls != RESOLVE_LOCAL)
		return 0;
	memset(&mb, 0, sizeof(mb));
	rc = resolve_mailbox(r, user, &mb, errstr_r);
	if (rc > 0 && !mb.is_alias && mb.maildir != NULL) {
		*maildir_r = xstrdup(mb.maildir);
		*uid_r = mb.uid;
		*gid_r = mb.gid;
	}
	resolve_mailbox_clear(&mb);
	return rc < 0 ? -1 : *maildir_r != NULL;
}
