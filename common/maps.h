/*
 * maps.h - lookup tables "type:path".
 *
 *   hash:/p      Berkeley DB hash file /p.db built from text /p by petrel-map
 *   btree:/p     Berkeley DB btree /p.db
 *   texthash:/p  the text file /p itself, read into memory at open
 * Text source format: "key value..." (key, white space, rest of line is the
 * value), '#' comments, blank lines ignored, indented lines continue the
 * previous value.  Alias format (for alias_maps sources): "name: value, ...".
 * Keys are stored and looked up in lower case.  The Berkeley DB file is
 * reopened when its mtime changes (checked at most once a second), so
 * rebuilt maps take effect without restarting daemons.
 *
 * Public:
 *   map_open(spec, &errstr)             NULL on error.
 *   map_lookup(m, key, &value, &errstr) 1 found, 0 not found, -1 error (temporary).
 *                                       *value valid until the next call on m.
 *   map_close(&m)
 *   maplist_open(specs, &errstr)        comma/blank separated list of specs;
 *                                       "" gives an empty list (lookups miss).
 *   maplist_lookup(l, key, &value, &errstr)  first hit wins; same returns.
 *   maplist_close(&l)
 *   maps_set_refresh_hook(fn)           fn() runs before a Berkeley DB map's
 *                                       file is looked at again (at most once
 *                                       a second per map): local delivery
 *                                       regains root there, as the maps were
 *                                       opened with it.
 *   map_build(spec, source_path, flags, &errstr)   write the .db (atomically:
 *                                       temp file + rename) from a text source.
 *                                       flags: MAP_BUILD_ALIASES for alias syntax.
 */
#ifndef PETREL_MAPS_H
#define PETREL_MAPS_H

#include "log.h"

#define MAP_BUILD_ALIASES 1

struct map;
struct maplist;

struct map *map_open(const char *spec, const char **errstr_r);
int map_lookup(struct map *m, const char *key, const char **value_r,
    const char **errstr_r) WARN_UNUSED;
void map_close(struct map **mp);
void maps_set_refresh_hook(void (*hook)(void));
struct maplist *maplist_open(const char *specs, const char **errstr_r);
int maplist_lookup(struct maplist *l, const char *key, const char **value_r,
    const char **errstr_r) WARN_UNUSED;
void maplist_close(struct maplist **lp);
int map_build(const char *spec, const char *source_path, int flags,
    const char **errstr_r) WARN_UNUSED;

#endif
