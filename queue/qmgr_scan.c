/*
 * qmgr_scan.c - how queue files reach the active set: restart recovery,
 * the incoming/ and deferred/ scans, and taking one file (rename into
 * active/, open, validate; unreadable files go to corrupt/, never deleted).
 *
 * Public: qmgr_recover, qmgr_scan_incoming, qmgr_scan_deferred,
 * qmgr_scan_deferred_by, qmgr_scan_early_due, qmgr_scan_maildrop,
 * qmgr_take_incoming, qmgr_flush.
 * Next attempt time of a deferred message: the mtime of defer/QID (written
 * by the queue manager, so it may set any time), else the queue file's own
 * mtime.  Queue files are owned by the injection user, and only a file's
 * owner may set an arbitrary mtime; qmgr_msg.c tries both.
 * Scans stop taking files when QMGR_ACTIVE_MAX messages are active.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "params.h"
#include "qmgr.h"
#include "spool.h"
#include "strutil.h"

/* Give up on an unreadable file: keep it in corrupt/ and say why. */
static void
to_corrupt(const char *qid, const char *reason)
{
	if (spool_move(SPOOL_ACTIVE, SPOOL_CORRUPT, qid) < 0)
		log_warn("%s: cannot move to corrupt/: %m", qid);
	else
		log_warn("%s: corrupt queue file moved to corrupt/: %s", qid,
		    reason);
}

/* Open and validate active/QID and start working on it. */
static void
take_active(const char *qid)
{
	char path[4096];
	const char *err = "open failed";
	struct qfile_env *env;
	int fd;

	if (spool_path(path, sizeof(path), SPOOL_ACTIVE, qid) < 0)
		return;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;

		log_warn("%s: open %s: %m", qid, path);
		if (e == EMFILE || e == ENFILE || e == ENOMEM || e == EINTR) {
			/* Our trouble, not the file's: the next scan retries. */
			if (spool_move(SPOOL_ACTIVE, SPOOL_INCOMING, qid) < 0)
				log_warn("%s: rename back to incoming/: %m", qid);
		} else if (e != ENOENT) {
			to_corrupt(qid, strerror(e));
		}
		return;
	}
	if (qfile_read_envelope(fd, &env, &err) < 0) {
		close(fd);
		to_corrupt(qid, err);
		return;
	}
	qmgr_msg_start(qid, fd, env);
}

/* 1 if the directory entry is a complete queue file. */
static int
is_complete(const char *dir, const char *qid, struct stat *st)
{
	char path[4096];

	if (spool_path(path, sizeof(path), dir, qid) < 0 ||
	    lstat(path, st) < 0)
		return 0;
	return S_ISREG(st->st_mode) && (st->st_mode & 0100) != 0;
}

/* Take a named message from incoming/ (FIFO hot path, no scan). */
void
qmgr_take_incoming(const char *qid)
{
	struct stat st;

	if (qmgr_active_count >= QMGR_ACTIVE_MAX ||
	    !is_complete(SPOOL_INCOMING, qid, &st))
		return;
	if (spool_move(SPOOL_INCOMING, SPOOL_ACTIVE, qid) < 0) {
		if (errno != ENOENT)
			log_warn("%s: rename to active/: %m", qid);
		return;
	}
	qmgr_recycle_taken();
	take_active(qid);
}

/* 1 if name is a writer's temporary ".t<pid>.<n>" and that process is
 * gone (a killed injection worker: its file can never be committed). */
static int
writer_gone(const char *name)
{
	const char *dot;
	long pid;

	if (strncmp(name, ".t", 2) != 0 || (dot = strchr(name + 2, '.')) ==
	    NULL || str_to_long(name + 2, (size_t)(dot - name - 2), 2,
	    4194304, &pid) < 0)
		return 0;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Remove an incoming/ entry that no writer will finish any more. */
static void
maybe_stale(const char *name, time_t now)
{
	char path[4096];
	struct stat st;

	if (spool_path(path, sizeof(path), SPOOL_INCOMING, name) < 0 ||
	    lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	if (qfile_valid_qid(name) && (st.st_mode & 0100) != 0)
		return;
	/* An incomplete file with a queue-ID name (only where O_TMPFILE is
	 * missing) may still be committed by a slow writer: wait out the
	 * longest injection before removing it.  A temporary name is safe to
	 * remove: its writer's commit then fails and nothing is acknowledged. */
	if ((now - st.st_mtime < var_stale_temp_file_time &&
	    !writer_gone(name)) || (qfile_valid_qid(name) && now - st.st_mtime <
	    var_smtpd_session_time_limit + var_inject_timeout))
		return;
	if (unlink(path) == 0)
		log_warn("removed stale incomplete queue file incoming/%s", name);
}

/* Call fn for every entry of a spool directory (no dot entries "." ".."). */
static void
scan_dir(const char *dir, void (*fn)(const char *name, time_t now))
{
	char path[4096];
	DIR *d;
	struct dirent *de;
	time_t now = time(NULL);

	if (spool_path(path, sizeof(path), dir, "") < 0 ||
	    (d = opendir(path)) == NULL) {
		log_warn("open directory %s: %m", dir);
		return;
	}
	while ((de = readdir(d)) != NULL &&
	    qmgr_active_count < QMGR_ACTIVE_MAX) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			fn(de->d_name, now);
	}
	closedir(d);
}

/* Scan callback for incoming/: take complete files. */
static void
incoming_entry(const char *name, time_t now)
{
	(void)now;
	if (qfile_valid_qid(name))
		qmgr_take_incoming(name);
}

/* Scan callback for incoming/ at start: stale cleanup, then take. */
static void
incoming_start_entry(const char *name, time_t now)
{
	maybe_stale(name, now);
	incoming_entry(name, now);
}

/* Scan callback for active/ at start: whatever was in flight. */
static void
active_entry(const char *name, time_t now)
{
	(void)now;
	if (qfile_valid_qid(name))
		take_active(name);
	else
		log_warn("unexpected file active/%s left alone", name);
}

/* Next attempt time of a deferred message. */
static time_t
next_attempt(const char *qid, const struct stat *qst)
{
	char path[4096];
	struct stat st;

	if (spool_path(path, sizeof(path), SPOOL_DEFER, qid) == 0 &&
	    stat(path, &st) == 0)
		return st.st_mtime;
	return qst->st_mtime;
}

static int flush_all;		/* deferred scan ignores next-attempt times */
static const char *flush_domain;	/* only messages with a recipient here */

/* 1 if defer/QID lists a pending recipient in flush_domain. */
static int
defer_has_domain(const char *qid)
{
	char path[4096], line[1100];
	size_t dl = strlen(flush_domain);
	FILE *f;
	int found = 0;

	if (spool_path(path, sizeof(path), SPOOL_DEFER, qid) < 0 ||
	    (f = fopen(path, "re")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char *tab = strchr(line, '\t'), *at;
		if (tab == NULL || line[0] == '#')
			continue;
		*tab = '\0';
		at = strrchr(line, '@');
		found = at != NULL && strlen(at + 1) == dl &&
		    strncasecmp(at + 1, flush_domain, dl) == 0;
	}
	fclose(f);
	return found;
}

/* Scan callback for deferred/: take messages whose time has come. */
static void
deferred_entry(const char *name, time_t now)
{
	struct stat st;

	if (!qfile_valid_qid(name) || !is_complete(SPOOL_DEFERRED, name, &st))
		return;
	if (flush_domain != NULL && !defer_has_domain(name))
		return;
	if (!flush_all && next_attempt(name, &st) > now)
		return;
	if (spool_move(SPOOL_DEFERRED, SPOOL_ACTIVE, name) < 0) {
		log_warn("%s: rename to active/: %m", name);
		return;
	}
	take_active(name);
}

static time_t early_run;	/* a deferred-queue run is due by then (0: none) */

/* Ask for a deferred-queue run no later than when (a message deferred for
 * lack of space comes back before the regular queue_run_delay). */
void
qmgr_scan_deferred_by(time_t when)
{
	if (early_run == 0 || when < early_run)
		early_run = when;
}

/* 1 (once) when an early deferred-queue run is due. */
int
qmgr_scan_early_due(time_t now)
{
	if (early_run == 0 || now < early_run)
		return 0;
	early_run = 0;
	return 1;
}

/* Deferred-queue run: messages whose next attempt time has passed. */
void
qmgr_scan_deferred(void)
{
	scan_dir(SPOOL_DEFERRED, deferred_entry);
	scan_dir(SPOOL_INCOMING, maybe_stale);
	qmgr_recycle_scan();
}

/* Scan callback for maildrop/: complete files from petrel-postdrop move
 * to incoming/ and are taken; incomplete ones are removed when stale. */
static void
maildrop_entry(const char *name, time_t now)
{
	char path[4096];
	struct stat st;

	if (spool_path(path, sizeof(path), SPOOL_MAILDROP, name) < 0 ||
	    lstat(path, &st) < 0)
		return;
	if (!S_ISREG(st.st_mode) || !qfile_valid_qid(name) ||
	    (st.st_mode & 0100) == 0) {
		if (now - st.st_mtime >= var_stale_temp_file_time &&
		    unlink(path) == 0)
			log_warn("removed stale file maildrop/%s", name);
		return;
	}
	if (spool_move(SPOOL_MAILDROP, SPOOL_INCOMING, name) < 0) {
		log_warn("%s: rename maildrop/ to incoming/: %m", name);
		return;
	}
	qmgr_take_incoming(name);
}

/* Fallback scan of incoming/ (and maildrop/). */
void
qmgr_scan_incoming(void)
{
	scan_dir(SPOOL_INCOMING, incoming_entry);
	qmgr_scan_maildrop();
}

/* Pick up what petrel-postdrop left in maildrop/. */
void
qmgr_scan_maildrop(void)
{
	scan_dir(SPOOL_MAILDROP, maildrop_entry);
}

/* Flush: deferred mail now, ignoring back-off (all, one queue ID, or the
 * messages with a pending recipient in a domain); dead destinations are
 * given another chance. */
void
qmgr_flush(const char *qid, const char *domain)
{
	struct stat st;

	qmgr_dest_revive();
	if (qid != NULL) {
		if (qfile_valid_qid(qid) && is_complete(SPOOL_DEFERRED, qid, &st)) {
			flush_all = 1;
			deferred_entry(qid, time(NULL));
			flush_all = 0;
		}
		return;
	}
	flush_all = 1;
	flush_domain = domain;
	scan_dir(SPOOL_DEFERRED, deferred_entry);
	flush_all = 0;
	flush_domain = NULL;
}

/* At start: redo active/, clean and take incoming/, run deferred/. */
void
qmgr_recover(void)
{
	scan_dir(SPOOL_ACTIVE, active_entry);
	scan_dir(SPOOL_INCOMING, incoming_start_entry);
	scan_dir(SPOOL_DEFERRED, deferred_entry);
	qmgr_scan_maildrop();
	qmgr_recycle_scan();
}
