/*
 * maps.c - lookup tables "type:path" (hash:, btree:, texthash:) and lists
 * of them; see maps.h for the formats.
 *
 * Public: map_open, map_lookup, map_close, maplist_open, maplist_lookup,
 * maplist_close, maps_set_refresh_hook (map_build lives in maps_db.c).
 * map_lookup returns 1 found, 0 not found, -1 temporary error; the value
 * stays valid until the next call on the same map.
 *
 * Berkeley DB maps are reopened when "<path>.db" gets a new inode, size or
 * mtime (petrel-map renames a fresh file into place), checked at most once a
 * second, so daemons pick up rebuilt maps without a restart.  If the new
 * file cannot be opened the old handle keeps serving and a warning is
 * logged.  texthash: maps are read once at open.
 * Security: keys come from the network (addresses); they are bounded
 * (MAP_KEY_MAX, longer keys simply miss) and lower-cased in a copy.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "alloc.h"
#include "maps.h"
#include "maps_int.h"
#include "strutil.h"

enum map_type { MAP_HASH, MAP_BTREE, MAP_TEXTHASH };

struct th_entry {
	char *key;
	char *value;
	struct th_entry *next;
};

struct map {
	enum map_type type;
	char *spec;
	char *dbpath;		/* "<path>.db" for DB types */
	void *db;
	struct stat id;		/* identity of the open .db file */
	time_t last_check;
	struct th_entry **buckets;	/* texthash */
	size_t nbuckets;
	size_t nentries;
	struct buf *value;
	char key[MAP_KEY_MAX + 1];
};

struct maplist {
	struct map **maps;
	size_t n;
};

static char maps_err[1024];

/* FNV-1a over a C string. */
static size_t
th_hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Find a texthash entry. */
static struct th_entry *
th_find(const struct map *m, const char *key)
{
	struct th_entry *e = m->buckets[th_hash(key) & (m->nbuckets - 1)];

	while (e != NULL && strcmp(e->key, key) != 0)
		e = e->next;
	return e;
}

/* Double the texthash bucket array and rehash. */
static void
th_grow(struct map *m)
{
	size_t n = m->nbuckets * 2;
	struct th_entry **b = xcalloc(n, sizeof(*b));

	for (size_t i = 0; i < m->nbuckets; i++) {
		struct th_entry *e = m->buckets[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			e->next = b[th_hash(e->key) & (n - 1)];
			b[th_hash(e->key) & (n - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

/* Parser callback for texthash: insert, first entry for a key wins. */
static int
th_insert(void *ctx, const char *key, const char *value,
    const char **errstr_r)
{
	struct map *m = ctx;
	struct th_entry *e;
	size_t h;

	(void)errstr_r;
	if (th_find(m, key) != NULL) {
		log_warn("%s: duplicate entry \"%s\" ignored", m->spec, key);
		return 0;
	}
	if (++m->nentries > m->nbuckets)
		th_grow(m);
	e = xmalloc(sizeof(*e));
	e->key = xstrdup(key);
	e->value = xstrdup(value);
	h = th_hash(key) & (m->nbuckets - 1);
	e->next = m->buckets[h];
	m->buckets[h] = e;
	return 0;
}

/* Free every texthash entry. */
static void
th_free(struct map *m)
{
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct th_entry *e = m->buckets[i], *next;
		for (; e != NULL; e = next) {
			next = e->next;
			free(e->key);
			free(e->value);
			free(e);
		}
	}
	free(m->buckets);
	m->buckets = NULL;
}

/* Open the .db file and remember its identity. */
static int
map_db_attach(struct map *m, const char **errstr_r)
{
	struct stat st;
	void *db;

	if (stat(m->dbpath, &st) < 0) {
		snprintf(maps_err, sizeof(maps_err), "%s: %s (run petrel-map)",
		    m->dbpath, strerror(errno));
		*errstr_r = maps_err;
		return -1;
	}
	if ((db = map_db_open(m->dbpath, m->type == MAP_BTREE, errstr_r)) == NULL)
		return -1;
	map_db_close(m->db);
	m->db = db;
	m->id = st;
	return 0;
}

static void (*maps_refresh_hook)(void);

/* Set the function called before a map file is looked at again. */
void
maps_set_refresh_hook(void (*hook)(void))
{
	maps_refresh_hook = hook;
}

/* Reopen a DB map whose file was replaced (at most once a second). */
static void
map_db_refresh(struct map *m)
{
	time_t now = time(NULL);
	const char *why;
	struct stat st;

	if (now == m->last_check)
		return;
	m->last_check = now;
	if (maps_refresh_hook != NULL)
		maps_refresh_hook();
	if (stat(m->dbpath, &st) < 0)
		return;		/* keep serving the old file */
	if (st.st_ino == m->id.st_ino && st.st_dev == m->id.st_dev &&
	    st.st_size == m->id.st_size &&
	    st.st_mtim.tv_sec == m->id.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == m->id.st_mtim.tv_nsec)
		return;
	if (map_db_attach(m, &why) < 0)
		log_warn("%s: reopen failed, using the old map: %s", m->spec,
		    why);
}

/* Open one "type:path" map. */
struct map *
map_open(const char *spec, const char **errstr_r)
{
	const char *path = strchr(spec, ':');
	struct map *m;

	if (path == NULL || path[1] == '\0') {
		snprintf(maps_err, sizeof(maps_err), "%s: not type:path", spec);
		*errstr_r = maps_err;
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->spec = xstrdup(spec);
	m->value = buf_new(256, MAP_VALUE_MAX);
	path++;
	if (strncmp(spec, "texthash:", 9) == 0) {
		m->type = MAP_TEXTHASH;
		m->nbuckets = 64;
		m->buckets = xcalloc(m->nbuckets, sizeof(*m->buckets));
		if (map_text_read_file(path, 0, th_insert, m, errstr_r) == 0)
			return m;
	} else if (strncmp(spec, "hash:", 5) == 0 ||
	    strncmp(spec, "btree:", 6) == 0) {
		m->type = spec[0] == 'b' ? MAP_BTREE : MAP_HASH;
		m->dbpath = xmalloc(strlen(path) + 4);
		snprintf(m->dbpath, strlen(path) + 4, "%s.db", path);
		m->last_check = time(NULL);
		if (map_db_attach(m, errstr_r) == 0)
			return m;
	} else {
		snprintf(maps_err, sizeof(maps_err), "%s: unsupported map type "
		    "(hash, btree, texthash)", spec);
		*errstr_r = maps_err;
	}
	map_close(&m);
	return NULL;
}

/* Look key up (case-insensitively). */
int
map_lookup(struct map *m, const char *key, const char **value_r,
    const char **errstr_r)
{
	size_t n = strlen(key);
	int rc;

	if (n == 0 || n > MAP_KEY_MAX)
		return 0;
	memcpy(m->key, key, n + 1);
	str_lower(m->key);
	if (m->type == MAP_TEXTHASH) {
		struct th_entry *e = th_find(m, m->key);
		if (e == NULL)
			return 0;
		*value_r = e->value;
		return 1;
	}
	map_db_refresh(m);
	rc = map_db_get(m->db, m->key, n, m->value, errstr_r);
	if (rc == 1)
		*value_r = buf_cstr(m->value);
	return rc;
}

/* Close a map and NULL the pointer. */
void
map_close(struct map **mp)
{
	struct map *m = *mp;

	if (m == NULL)
		return;
	if (m->buckets != NULL)
		th_free(m);
	map_db_close(m->db);
	buf_free(&m->value);
	free(m->dbpath);
	free(m->spec);
	free(m);
	*mp = NULL;
}

/* Open every map of a comma/blank separated list. */
struct maplist *
maplist_open(const char *specs, const char **errstr_r)
{
	struct maplist *l = xcalloc(1, sizeof(*l));
	const char *p = specs;

	while (*p != '\0') {
		size_t n = strcspn(p, ", \t\r\n");
		if (n > 0) {
			char *spec = xstrndup(p, n);
			struct map *m = map_open(spec, errstr_r);
			free(spec);
			if (m == NULL) {
				maplist_close(&l);
				return NULL;
			}
			l->maps = xreallocarray(l->maps, l->n + 1,
			    sizeof(*l->maps));
			l->maps[l->n++] = m;
		}
		p += n;
		if (*p != '\0')
			p++;
	}
	return l;
}

/* First map with the key wins; an error stops the search. */
int
maplist_lookup(struct maplist *l, const char *key, const char **value_r,
    const char **errstr_r)
{
	for (size_t i = 0; i < l->n; i++) {
		int rc = map_lookup(l->maps[i], key, value_r, errstr_r);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Close every map of the list and NULL the pointer. */
void
maplist_close(struct maplist **lp)
{
	struct maplist *l = *lp;

	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		map_close(&l->maps[i]);
	free(l->maps);
	free(l);
	*lp = NULL;
}
