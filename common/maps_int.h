/*
 * maps_int.h - internals of the lookup-table module shared by maps.c,
 * maps_text.c and maps_db.c (and the unit tests / fuzz targets).  Not a
 * public interface: other modules use maps.h.
 *
 * Text sources:
 *   map_text_new(flags, cb, ctx)  an incremental parser for the text source
 *                     format (or alias format with MAP_BUILD_ALIASES); cb is
 *                     called once per complete entry with a lower-cased key
 *                     and the joined value; cb returns 0 or -1 (abort, with
 *                     its reason in *errstr_r).
 *   map_text_feed(p, data, len, &errstr)  any split of the input is fine.
 *   map_text_finish(p, &errstr)   flushes the last entry.  Errors read
 *                     "line N: reason".
 *   map_text_read_file(path, flags, cb, ctx, &errstr)  parses a whole file;
 *                     errors read "path:N: reason".
 * Berkeley DB:
 *   map_db_open(dbpath, is_btree, &errstr)   read-only handle or NULL.
 *   map_db_get(db, key, keylen, out, &errstr)  1/0/-1, value into out.
 *   map_db_close(db)
 */
#ifndef PETREL_MAPS_INT_H
#define PETREL_MAPS_INT_H

#include <stddef.h>
#include "buf.h"
#include "log.h"

#define MAP_KEY_MAX	1024		/* longest key */
#define MAP_VALUE_MAX	(1024 * 1024)	/* longest joined value */
#define MAP_LINE_MAX	65536		/* longest physical source line */

struct map_text_parser;

struct map_text_parser *map_text_new(int flags,
    int (*cb)(void *ctx, const char *key, const char *value,
    const char **errstr_r), void *ctx);
void map_text_free(struct map_text_parser **pp);
int map_text_feed(struct map_text_parser *p, const char *data, size_t len,
    const char **errstr_r) WARN_UNUSED;
int map_text_finish(struct map_text_parser *p, const char **errstr_r)
    WARN_UNUSED;
int map_text_read_file(const char *path, int flags,
    int (*cb)(void *ctx, const char *key, const char *value,
    const char **errstr_r), void *ctx, const char **errstr_r) WARN_UNUSED;

void *map_db_open(const char *dbpath, int is_btree, const char **errstr_r);
int map_db_get(void *db, const char *key, size_t keylen, struct buf *out,
    const char **errstr_r) WARN_UNUSED;
void map_db_close(void *db);

#endif
