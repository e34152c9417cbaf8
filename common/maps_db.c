/*
 * maps_db.c - the Berkeley DB 5.3 side of lookup maps: read-only handles for
 * hash:/btree: and map_build(), which turns a text source into "<path>.db".
 *
 * Public: map_build (maps.h); map_db_open, map_db_get, map_db_close
 * (maps_int.h).  Keys are stored lower-cased without a trailing NUL; values
 * are stored without a NUL too (a trailing NUL from foreign tools is
 * tolerated on lookup).  Returns 0/-1 (get: 1/0/-1) with *errstr_r.
 *
 * Atomicity: the map is written to "<path>.db.tmp<pid>", closed, given the
 * source file's permission bits (and owner/group when run as root, so a
 * 0640 password source gives a 0640 password map), fsynced and renamed over
 * "<path>.db".  A reader sees the old map or the new one, never a half-built
 * one; readers notice the new inode (maps.c) and reopen.
 * Security: run by the administrator (root); a malformed source line fails
 * the build with "file:line: reason" and leaves the old map in place.
 * Exit: handles still open when the process calls exit() are closed by an
 * atexit handler, so that every process exits clean: libdb keeps its page
 * cache in memory that it links by offsets, which LeakSanitizer cannot
 * follow and would report as lost (up to MAP_DB_TRACK handles at a time).
 */
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "maps.h"
#include "maps_int.h"

#define MAP_DB_TRACK 64		/* open handles closed at exit */

static char db_err[8192];
static DB *db_open_handles[MAP_DB_TRACK];

/* At exit: close the handles the process still holds (see the header). */
static void
map_db_close_all(void)
{
	for (size_t i = 0; i < MAP_DB_TRACK; i++) {
		DB *db = db_open_handles[i];

		db_open_handles[i] = NULL;
		if (db != NULL)
			db->close(db, 0);
	}
}

/* Replace from by to in the list of open handles (NULL: a free slot). */
static void
map_db_track(DB *from, DB *to)
{
	static int registered;

	if (!registered && atexit(map_db_close_all) == 0)
		registered = 1;
	for (size_t i = 0; i < MAP_DB_TRACK; i++) {
		if (db_open_handles[i] == from) {
			db_open_handles[i] = to;
			return;
		}
	}
}

/* Open "<path>.db" read-only as a hash or btree. */
void *
map_db_open(const char *dbpath, int is_btree, const char **errstr_r)
{
	DB *db;
	int ret;

	if ((ret = db_create(&db, NULL, 0)) != 0) {
		snprintf(db_err, sizeof(db_err), "db_create: %s",
		    db_strerror(ret));
		*errstr_r = db_err;
		return NULL;
	}
	ret = db->open(db, NULL, dbpath, NULL, is_btree ? DB_BTREE : DB_HASH,
	    DB_RDONLY, 0);
	if (ret != 0) {
		snprintf(db_err, sizeof(db_err), "open database %s: %s",
		    dbpath, db_strerror(ret));
		db->close(db, 0);
		*errstr_r = db_err;
		return NULL;
	}
	map_db_track(NULL, db);
	return db;
}

/* Look a key up; the value goes into out (NUL-terminated by buf_cstr). */
int
map_db_get(void *handle, const char *key, size_t keylen, struct buf *out,
    const char **errstr_r)
{
	DB *db = handle;
	DBT k, v;
	int ret;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)keylen;
	ret = db->get(db, NULL, &k, &v, 0);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0) {
		snprintf(db_err, sizeof(db_err), "database lookup: %s",
		    db_strerror(ret));
		*errstr_r = db_err;
		return -1;
	}
	size_t n = v.size;
	if (n > 0 && ((const char *)v.data)[n - 1] == '\0')
		n--;
	buf_reset(out);
	if (buf_append(out, v.data, n) < 0) {
		*errstr_r = "database value too long";
		return -1;
	}
	return 1;
}

/* Close a handle from map_db_open. */
void
map_db_close(void *handle)
{
	DB *db = handle;

	if (db == NULL)
		return;
	map_db_track(db, NULL);
	db->close(db, 0);
}

struct build_ctx {
	DB *db;
	const char *source;
};

/* Store one parsed entry; a duplicate key keeps the first value. */
static int
build_put(void *vctx, const char *key, const char *value,
    const char **errstr_r)
{
	struct build_ctx *ctx = vctx;
	DBT k, v;
	int ret;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)strlen(key);
	v.data = (void *)value;
	v.size = (u_int32_t)strlen(value);
	ret = ctx->db->put(ctx->db, NULL, &k, &v, DB_NOOVERWRITE);
	if (ret == DB_KEYEXIST) {
		log_warn("%s: duplicate entry \"%s\" ignored", ctx->source, key);
		return 0;
	}
	if (ret != 0) {
		*errstr_r = db_strerror(ret);
		return -1;
	}
	return 0;
}

/* Fill a fresh database file at tmp from the text source. */
static int
build_db(const char *tmp, int is_btree, const char *source, int flags,
    const char **errstr_r)
{
	struct build_ctx ctx;
	int ret, rc;

	if ((ret = db_create(&ctx.db, NULL, 0)) != 0) {
		snprintf(db_err, sizeof(db_err), "db_create: %s",
		    db_strerror(ret));
		*errstr_r = db_err;
		return -1;
	}
	ret = ctx.db->open(ctx.db, NULL, tmp, NULL,
	    is_btree ? DB_BTREE : DB_HASH, DB_CREATE | DB_EXCL, 0600);
	if (ret != 0) {
		snprintf(db_err, sizeof(db_err), "create %s: %s", tmp,
		    db_strerror(ret));
		ctx.db->close(ctx.db, 0);
		*errstr_r = db_err;
		return -1;
	}
	ctx.source = source;
	rc = map_text_read_file(source, flags, build_put, &ctx, errstr_r);
	ret = ctx.db->close(ctx.db, 0);
	if (rc == 0 && ret != 0) {
		snprintf(db_err, sizeof(db_err), "close %s: %s", tmp,
		    db_strerror(ret));
		*errstr_r = db_err;
		rc = -1;
	}
	return rc;
}

/* Give the new file the source's permissions and owner, and sync it. */
static int
build_finish_file(const char *tmp, const struct stat *src,
    const char **errstr_r)
{
	int fd, rc = 0;

	if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0)
		rc = -1;
	else if (fchmod(fd, src->st_mode & 0666) < 0)
		rc = -1;
	else if (geteuid() == 0 && fchown(fd, src->st_uid, src->st_gid) < 0)
		rc = -1;
	else if (fsync(fd) < 0)
		rc = -1;
	if (rc < 0) {
		snprintf(db_err, sizeof(db_err), "%s: %s", tmp, strerror(errno));
		*errstr_r = db_err;
	}
	if (fd >= 0 && close(fd) < 0 && rc == 0) {
		snprintf(db_err, sizeof(db_err), "close %s: %s", tmp,
		    strerror(errno));
		*errstr_r = db_err;
		rc = -1;
	}
	return rc;
}

/* Null callback: texthash "building" only checks the syntax. */
static int
build_check(void *ctx, const char *key, const char *value,
    const char **errstr_r)
{
	(void)ctx;
	(void)key;
	(void)value;
	(void)errstr_r;
	return 0;
}

/* Build "<path>.db" for spec from source_path (NULL: the spec's path). */
int
map_build(const char *spec, const char *source_path, int flags,
    const char **errstr_r)
{
	char dbpath[1024], tmp[1100];
	const char *path = strchr(spec, ':');
	struct stat st;
	int is_btree;

	if (path == NULL || path[1] == '\0') {
		*errstr_r = "map spec is not type:path";
		return -1;
	}
	path++;
	if (source_path == NULL)
		source_path = path;
	if (strncmp(spec, "texthash:", 9) == 0)
		return map_text_read_file(source_path, flags, build_check, NULL,
		    errstr_r);
	if (strncmp(spec, "hash:", 5) != 0 && strncmp(spec, "btree:", 6) != 0) {
		snprintf(db_err, sizeof(db_err), "%s: unsupported map type "
		    "(hash, btree, texthash)", spec);
		*errstr_r = db_err;
		return -1;
	}
	is_btree = spec[0] == 'b';
	if ((size_t)snprintf(dbpath, sizeof(dbpath), "%s.db", path) >=
	    sizeof(dbpath)) {
		*errstr_r = "map path too long";
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", dbpath, (long)getpid());
	if (stat(source_path, &st) < 0) {
		snprintf(db_err, sizeof(db_err), "%s: %s", source_path,
		    strerror(errno));
		*errstr_r = db_err;
		return -1;
	}
	(void)unlink(tmp);
	if (build_db(tmp, is_btree, source_path, flags, errstr_r) < 0 ||
	    build_finish_file(tmp, &st, errstr_r) < 0) {
		(void)unlink(tmp);
		return -1;
	}
	if (rename(tmp, dbpath) < 0) {
		snprintf(db_err, sizeof(db_err), "rename %s to %s: %s", tmp,
		    dbpath, strerror(errno));
		*errstr_r = db_err;
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}
