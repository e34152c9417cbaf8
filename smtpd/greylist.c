/*
 * greylist.c - greylisting on port 25 (smtpd_greylist = yes): the first
 * time a triplet (client network, envelope sender, recipient) is seen,
 * RCPT gets "450 4.7.1 Greylisted, try again later"; a retry after
 * smtpd_greylist_delay (and within smtpd_greylist_retry_window of the
 * first try) is accepted and the triplet is then remembered for
 * smtpd_greylist_lifetime from its last use.  The client network is the
 * /24 of an IPv4 address or the /64 of an IPv6 one, so a sender's pool of
 * outgoing servers counts as one client.  Not for authenticated clients,
 * mynetworks, the submission/smtps ports or clients that passed the DNSWL
 * threshold (dnsbl.c).
 *
 * Public (smtpd.h): smtpd_greylist_init (parent, as root: the data
 * directory), smtpd_greylist_check (0 go on, 1 after the 450).
 * Storage: $queue_directory/data/greylist.db, a Berkeley DB btree shared by
 * every worker, made with its lock file by the parent at start (Berkeley
 * DB creates a file by renaming, which the workers' seccomp filter does
 * not allow; a database removed while smtpd runs is made again at the
 * next start or reload... until then greylisting is off, logged).  Each check takes an exclusive flock on greylist.lock, opens
 * the database, reads and writes the triplet, closes it (which writes and
 * syncs it: no worker keeps stale pages cached) and unlocks; every
 * GREYLIST_PRUNE_SECONDS a worker also deletes expired triplets, at most
 * GREYLIST_PRUNE_BATCH per pass, going on from where the last pass stopped
 * (the key of the record "\001prune").  The file survives restarts.  Any
 * failure of the database lets the recipient through (logged): greylisting
 * must never lose mail.
 * Security: the data directory belongs to smtpd_user (0700); keys are
 * built from the client address (from the kernel) and the already parsed
 * and length-bounded addresses, lowercased.
 */
#include <arpa/inet.h>
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "log.h"
#include "params.h"
#include "privs.h"
#include "smtpd.h"

#define GREYLIST_PRUNE_SECONDS 60
#define GREYLIST_PRUNE_BATCH 200
#define GREYLIST_KEY_MAX (2 * ADDR_MAX + 64)
#define GREYLIST_PRUNE_KEY "\001prune"

struct greylist_rec {
	int64_t first;		/* first try */
	int64_t passed;		/* last accepted use, 0 until the delay passed */
};

static time_t greylist_last_prune;

/* A path under $queue_directory/data into buf. */
static const char *
greylist_path(char *buf, size_t size, const char *file)
{
	(void)snprintf(buf, size, "%s/data%s%s", var_queue_directory,
	    file[0] != '\0' ? "/" : "", file);
	return buf;
}

/* Creates (as root) one file of the data directory owned by uid/gid;
 * the database through Berkeley DB, whose creation renames a temporary
 * file, which a worker's seccomp filter forbids. */
static void
greylist_create(const char *file, int is_db, uid_t uid, gid_t gid)
{
	char path[4096];
	DB *db;
	int fd;

	greylist_path(path, sizeof(path), file);
	if (is_db && db_create(&db, NULL, 0) == 0) {
		if (db->open(db, NULL, path, NULL, DB_BTREE, DB_CREATE,
		    0600) != 0)
			log_warn("greylisting: cannot create %s", path);
		(void)db->close(db, 0);
	} else if (!is_db) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			(void)close(fd);
	}
	if (privs_is_root() && chown(path, uid, gid) != 0)
		log_warn("greylisting: chown %s: %m", path);
}

/* Parent, as root: the data directory, the database and its lock file,
 * all owned by smtpd_user (workers only open them). */
void
smtpd_greylist_init(void)
{
	char dir[4096];
	uid_t uid = 0;
	gid_t gid = 0;

	if (!var_smtpd_greylist)
		return;
	greylist_path(dir, sizeof(dir), "");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		log_warn("greylisting: mkdir %s: %m", dir);
		return;
	}
	if (privs_is_root() && privs_lookup(var_smtpd_user, &uid, &gid) != 0) {
		log_warn("greylisting: unknown smtpd_user %s", var_smtpd_user);
		return;
	}
	if (privs_is_root() && chown(dir, uid, gid) != 0)
		log_warn("greylisting: chown %s: %m", dir);
	greylist_create("greylist.lock", 0, uid, gid);
	greylist_create("greylist.db", 1, uid, gid);
}

/* The triplet's key: "net/sender/recipient", lowercased; its length. */
static size_t
greylist_key(const struct smtpd_session *s, const char *rcpt, char *key,
    size_t size)
{
	unsigned char a[16];
	char net[64];
	int n;

	if (inet_pton(AF_INET, s->addr, a) == 1)
		(void)snprintf(net, sizeof(net), "%u.%u.%u", a[0], a[1], a[2]);
	else if (inet_pton(AF_INET6, s->addr, a) == 1)
		(void)snprintf(net, sizeof(net), "%02x%02x:%02x%02x:%02x%02x:"
		    "%02x%02x", a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
	else
		(void)snprintf(net, sizeof(net), "%s", s->addr);
	n = snprintf(key, size, "%s/%s/%s", net, s->sender, rcpt);
	if (n < 0)
		return 0;
	if ((size_t)n >= size)
		n = (int)size - 1;
	for (int i = 0; i < n; i++)
		if (key[i] >= 'A' && key[i] <= 'Z')
			key[i] = (char)(key[i] - 'A' + 'a');
	return (size_t)n;
}

/* 1 when a record has expired at now. */
static int
greylist_expired(const struct greylist_rec *r, time_t now)
{
	if (r->passed != 0)
		return r->passed + var_smtpd_greylist_lifetime < now;
	return r->first + var_smtpd_greylist_retry_window < now;
}

/* Reads key into r; 1 found, 0 not found (or expired), -1 error. */
static int
greylist_get(DB *db, const char *key, size_t klen, struct greylist_rec *r,
    time_t now)
{
	DBT k, v;
	int ret;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)klen;
	ret = db->get(db, NULL, &k, &v, 0);
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0)
		return -1;
	if (v.size != sizeof(*r))
		return 0;	/* not ours: start over */
	memcpy(r, v.data, sizeof(*r));
	return greylist_expired(r, now) ? 0 : 1;
}

/* Stores r under key; 0 or -1. */
static int
greylist_put(DB *db, const char *key, size_t klen,
    const struct greylist_rec *r)
{
	DBT k, v;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)key;
	k.size = (u_int32_t)klen;
	v.data = (void *)r;
	v.size = sizeof(*r);
	return db->put(db, NULL, &k, &v, 0) == 0 ? 0 : -1;
}

/* Reads the saved prune position into buf; its length (0: start). */
static size_t
greylist_prune_start(DB *db, char *buf, size_t size)
{
	DBT k, v;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)GREYLIST_PRUNE_KEY;
	k.size = sizeof(GREYLIST_PRUNE_KEY) - 1;
	if (db->get(db, NULL, &k, &v, 0) != 0 || v.size == 0 || v.size > size)
		return 0;
	memcpy(buf, v.data, v.size);
	return v.size;
}

/* Saves the prune position (length 0: start over next time). */
static void
greylist_prune_save(DB *db, const char *pos, size_t len)
{
	DBT k, v;

	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = (void *)GREYLIST_PRUNE_KEY;
	k.size = sizeof(GREYLIST_PRUNE_KEY) - 1;
	v.data = (void *)pos;
	v.size = (u_int32_t)len;
	if (len == 0)
		(void)db->del(db, NULL, &k, 0);
	else
		(void)db->put(db, NULL, &k, &v, 0);
}

/* Deletes expired triplets, at most GREYLIST_PRUNE_BATCH records looked
 * at, going on from the saved position; returns how many were deleted. */
static int
greylist_prune(DB *db, time_t now)
{
	char pos[GREYLIST_KEY_MAX];
	size_t plen = greylist_prune_start(db, pos, sizeof(pos));
	u_int32_t flags = plen > 0 ? DB_SET_RANGE : DB_FIRST;
	struct greylist_rec r;
	DBC *cur;
	DBT k, v;
	int deleted = 0;

	if (db->cursor(db, NULL, &cur, 0) != 0)
		return 0;
	memset(&k, 0, sizeof(k));
	memset(&v, 0, sizeof(v));
	k.data = pos;
	k.size = (u_int32_t)plen;
	for (int n = 0; n < GREYLIST_PRUNE_BATCH; n++, flags = DB_NEXT) {
		if (cur->get(cur, &k, &v, flags) != 0) {
			plen = 0;	/* the end: wrap around next time */
			break;
		}
		if (v.size == sizeof(r)) {
			memcpy(&r, v.data, sizeof(r));
			if (greylist_expired(&r, now) && cur->del(cur, 0) == 0)
				deleted++;
		}
		plen = k.size <= sizeof(pos) ? k.size : 0;
		memcpy(pos, k.data, plen);
	}
	(void)cur->close(cur);
	greylist_prune_save(db, pos, plen);
	return deleted;
}

/* The verdict on one triplet: 1 greylisted, 0 pass, -1 database error. */
static int
greylist_decide(DB *db, const char *key, size_t klen, time_t now)
{
	struct greylist_rec r;
	int rc = greylist_get(db, key, klen, &r, now);

	if (rc < 0)
		return -1;
	if (rc == 0) {
		r.first = now;
		r.passed = 0;
		return greylist_put(db, key, klen, &r) == 0 ? 1 : -1;
	}
	if (r.passed == 0 && now - r.first < var_smtpd_greylist_delay)
		return 1;	/* too early: the first try still counts */
	r.passed = now;
	return greylist_put(db, key, klen, &r) == 0 ? 0 : -1;
}

/* Opens the database (the parent created it); NULL on failure. */
static DB *
greylist_open(void)
{
	char path[4096];
	DB *db;

	if (db_create(&db, NULL, 0) != 0)
		return NULL;
	if (db->open(db, NULL, greylist_path(path, sizeof(path),
	    "greylist.db"), NULL, DB_BTREE, 0, 0600) != 0) {
		(void)db->close(db, 0);
		return NULL;
	}
	return db;
}

/* Under the lock: open, decide, maybe prune, close; as greylist_decide. */
static int
greylist_run(const char *key, size_t klen, time_t now)
{
	char path[4096];
	int fd, rc = -1;
	DB *db;

	fd = open(greylist_path(path, sizeof(path), "greylist.lock"),
	    O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX) == 0 && (db = greylist_open()) != NULL) {
		rc = greylist_decide(db, key, klen, now);
		if (now - greylist_last_prune >= GREYLIST_PRUNE_SECONDS ||
		    now < greylist_last_prune) {
			greylist_last_prune = now;
			if (greylist_prune(db, now) > 0)
				log_info("greylisting: expired triplets "
				    "removed");
		}
		if (db->close(db, 0) != 0)
			rc = -1;
	}
	(void)close(fd);	/* releases the lock */
	return rc;
}

/* Greylists one recipient; 0 go on, 1 after the 450 (see the header). */
int
smtpd_greylist_check(struct smtpd_session *s, const char *rcpt)
{
	char key[GREYLIST_KEY_MAX], to[ADDR_MAX + 8], from[ADDR_MAX + 8];
	size_t klen;
	int rc;

	if (!var_smtpd_greylist || s->role != SMTPD_ROLE_SMTP || s->trusted ||
	    s->auth_user[0] != '\0' || s->dnsbl_allowed)
		return 0;
	klen = greylist_key(s, rcpt, key, sizeof(key));
	rc = klen > 0 ? greylist_run(key, klen, time(NULL)) : -1;
	if (rc < 0) {
		log_warn("greylisting: database %s/data/greylist.db unusable "
		    "(recipient not greylisted): %m", var_queue_directory);
		return 0;
	}
	if (rc == 0)
		return 0;
	smtpd_reply(s, "450 4.7.1 Greylisted, try again later");
	log_sanitize(from, sizeof(from), s->sender, strlen(s->sender));
	log_sanitize(to, sizeof(to), rcpt, strlen(rcpt));
	log_info("NOQUEUE: reject: RCPT from %s[%s]: 450 4.7.1 Greylisted, "
	    "try again later; from=<%s> to=<%s> proto=%s helo=<%s>", s->name,
	    s->addr, from, to, smtpd_proto(s), s->helo);
	return 1;
}
