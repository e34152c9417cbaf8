/*
 * mailbox.c - the maildir behind a POP3 session: the lock, the listing taken
 * once at login, RETR/TOP streaming and the expunge at QUIT.
 *
 * Public: pop3d_mailbox_open, pop3d_mailbox_free, pop3d_mailbox_msg_open,
 * pop3d_mailbox_stream, pop3d_mailbox_mark, pop3d_mailbox_expunge (see
 * mailbox.h).
 * Locking: "<maildir>/petrel-pop3.lock" with a non-blocking exclusive
 * open-file-description lock (F_OFD_SETLK; plain F_SETLK where the kernel
 * lacks it), so two POP3 sessions never serve one mailbox; the lock goes
 * with the descriptor, so a crashed session cannot leave it behind.
 * Listing: new/ and cur/ are read once; dot files and anything but regular
 * files are skipped; at most POP3D_MAX_MESSAGES messages are listed (the
 * rest stay untouched for the next session).  Sizes come from the name's
 * W= when present, else from reading the file once (size + bare LFs).
 * Messages are sorted by delivery time, then by name.
 * Nothing is deleted unless the client says QUIT in TRANSACTION state.
 * Deletion is crash-safe: QUIT first writes the names of the marked
 * messages to "<maildir>/petrel-pop3.expunge" (written to a .tmp name,
 * fsynced, renamed), then unlinks them, then removes that journal.  A
 * session that dies between the rename and the end (crash, kill, I/O
 * error) leaves the journal; the next login, holding the lock, unlinks
 * the names it lists (following a rename into cur/ by an IMAP client) and
 * only then lists the mailbox, so a deletion is never half applied and a
 * deleted message never comes back.  A crash before the rename deletes
 * nothing; the client did not get its +OK, so it will retry.  A
 * message renamed meanwhile by another reader (new/ -> cur/, flag changes)
 * is found again by its unique part; one that vanished is reported, never
 * fatal.
 * Security: runs as the vmail user inside the user's maildir; every open
 * uses O_NOFOLLOW and O_NONBLOCK and checks for a regular file, so
 * symlinks and FIFOs planted in the maildir cannot redirect or hang us.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "maildir.h"
#include "mailbox.h"

#define MBOX_READ_SIZE	(64 * 1024)
#define MBOX_LOCK_NAME	"petrel-pop3.lock"
#define MBOX_JOURNAL	"petrel-pop3.expunge"
#define MBOX_JOURNAL_TMP	"petrel-pop3.expunge.tmp"
#define MBOX_PATH_MAX	(NAME_MAX + 8)

static char mbox_err[256];

static int mbox_journal_replay(struct pop3d_mailbox *mb);

/* Set a static error text with the errno description. */
static const char *
mbox_error(const char *what)
{
	snprintf(mbox_err, sizeof(mbox_err), "%s: %s", what, strerror(errno));
	return mbox_err;
}

/* Open a regular file below the maildir for reading; -1 with errno. */
static int
mbox_openat(int dir_fd, const char *name)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	struct stat st;

	if (fd < 0) {
		if (errno == ELOOP)
			errno = ENOENT;
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = ENOENT;
		return -1;
	}
	return fd;
}

/* The CRLF size of a file without W=: its length plus its bare LFs (plus
 * the CRLF that RETR adds to an unterminated last line). */
static long long
mbox_count_size(struct pop3d_mailbox *mb, const char *name)
{
	int fd = mbox_openat(mb->dir_fd, name), prev_cr = 0;
	long long size = 0;
	char last = '\n';
	ssize_t r;

	if (fd < 0)
		return -1;
	for (;;) {
		r = read(fd, mb->rbuf, MBOX_READ_SIZE);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		size += r + (long long)pop3_mailbox_bare_lf(mb->rbuf,
		    (size_t)r, &prev_cr);
		last = mb->rbuf[r - 1];
	}
	close(fd);
	/* RETR completes an unterminated last line (pop3_mailbox_encode_end):
	 * LF after a trailing CR, CRLF after anything else. */
	if (last == '\r')
		size += 1;
	else if (last != '\n')
		size += 2;
	return r < 0 ? -1 : size;
}

/* Add one directory entry to the listing (skipped when unreadable). */
static void
mbox_add(struct pop3d_mailbox *mb, const char *sub, const char *base)
{
	struct maildir_name_info info;
	char name[MBOX_PATH_MAX];
	struct pop3d_msg *m;
	long long size;

	if ((size_t)snprintf(name, sizeof(name), "%s/%s", sub, base) >=
	    sizeof(name))
		return;
	if (maildir_parse_name(base, &info) == 0 && info.vsize >= 0)
		size = info.vsize;
	else if ((size = mbox_count_size(mb, name)) < 0)
		return;
	if (mb->count == mb->cap) {
		mb->cap = mb->cap ? mb->cap * 2 : 64;
		mb->msgs = xreallocarray(mb->msgs, mb->cap, sizeof(*mb->msgs));
	}
	m = &mb->msgs[mb->count++];
	m->name = xstrdup(name);
	m->size = size;
	m->deleted = 0;
	pop3_mailbox_name_key(base, &m->key);
	mb->total_size += size;
}

/* List one of new/ and cur/; a missing directory is empty. */
static int
mbox_scan_dir(struct pop3d_mailbox *mb, const char *sub)
{
	int fd = openat(mb->dir_fd, sub,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		if (mb->count >= POP3D_MAX_MESSAGES) {
			log_warn("mailbox holds more than %d messages; "
			    "listing only the first ones", POP3D_MAX_MESSAGES);
			break;
		}
		mbox_add(mb, sub, de->d_name);
	}
	closedir(d);
	return 0;
}

/* qsort order: delivery time, then base name. */
static int
mbox_cmp(const void *a, const void *b)
{
	const struct pop3d_msg *x = a, *y = b;
	int c = pop3_mailbox_key_cmp(&x->key, &y->key);

	return c != 0 ? c : strcmp(x->name + 4, y->name + 4);
}

/* Take the POP3 lock: 0 taken, 1 held elsewhere, -1 error. */
static int
mbox_lock(struct pop3d_mailbox *mb)
{
	struct flock fl;
	int fd, rc, busy;

	fd = openat(mb->dir_fd, MBOX_LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	rc = fcntl(fd, F_OFD_SETLK, &fl);
	if (rc < 0 && errno == EINVAL)
		rc = fcntl(fd, F_SETLK, &fl);
	if (rc == 0) {
		mb->lock_fd = fd;
		return 0;
	}
	busy = errno == EAGAIN || errno == EACCES;
	close(fd);
	return busy ? 1 : -1;
}

/* Open the maildir directory, creating it when it does not exist yet. */
static int
mbox_open_dir(const char *path, const char **errstr_r)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT) {
		if (maildir_create(path, errstr_r) < 0)
			return -1;
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd < 0)
		*errstr_r = mbox_error("open maildir");
	return fd;
}

/* Lock and list a maildir for one session. */
enum pop3d_open
pop3d_mailbox_open(const char *path, struct pop3d_mailbox **mb_r,
    const char **errstr_r)
{
	struct pop3d_mailbox *mb = xcalloc(1, sizeof(*mb));
	int rc;

	*mb_r = NULL;
	mb->lock_fd = -1;
	if ((mb->dir_fd = mbox_open_dir(path, errstr_r)) < 0) {
		free(mb);
		return POP3D_OPEN_ERROR;
	}
	if ((rc = mbox_lock(mb)) != 0) {
		if (rc < 0)
			*errstr_r = mbox_error("lock " MBOX_LOCK_NAME);
		pop3d_mailbox_free(&mb);
		return rc > 0 ? POP3D_OPEN_LOCKED : POP3D_OPEN_ERROR;
	}
	if (mbox_journal_replay(mb) < 0) {
		*errstr_r = mbox_error("finish " MBOX_JOURNAL);
		pop3d_mailbox_free(&mb);
		return POP3D_OPEN_ERROR;
	}
	mb->rbuf = xmalloc(MBOX_READ_SIZE);
	mb->wbuf = xmalloc(2 * MBOX_READ_SIZE + POP3_ENCODE_END_MAX);
	/* cur/ first: a message another client moves from new/ to cur/
	 * meanwhile is then missed for this session, never listed twice. */
	if (mbox_scan_dir(mb, "cur") < 0 || mbox_scan_dir(mb, "new") < 0) {
		*errstr_r = mbox_error("list maildir");
		pop3d_mailbox_free(&mb);
		return POP3D_OPEN_ERROR;
	}
	if (mb->count > 1)
		qsort(mb->msgs, mb->count, sizeof(*mb->msgs), mbox_cmp);
	mb->live_count = mb->count;
	mb->live_size = mb->total_size;
	*mb_r = mb;
	return POP3D_OPEN_OK;
}

/* Close the maildir and release the lock. */
void
pop3d_mailbox_free(struct pop3d_mailbox **mbp)
{
	struct pop3d_mailbox *mb = *mbp;

	if (mb == NULL)
		return;
	for (size_t i = 0; i < mb->count; i++)
		free(mb->msgs[i].name);
	free(mb->msgs);
	free(mb->rbuf);
	free(mb->wbuf);
	if (mb->lock_fd >= 0)
		close(mb->lock_fd);
	if (mb->dir_fd >= 0)
		close(mb->dir_fd);
	free(mb);
	*mbp = NULL;
}

/* Find a message again in cur/ by the unique part of its base name, after
 * another reader renamed it; 0 with a new "cur/..." name in *name_r
 * (malloced), or -1 (errno ENOENT). */
static int
mbox_find_cur(struct pop3d_mailbox *mb, const char *old, char **name_r)
{
	const char *base = strchr(old, '/') != NULL ? strchr(old, '/') + 1 : old;
	size_t ulen = strcspn(base, ":");
	int fd = openat(mb->dir_fd, "cur",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *de;
	DIR *d;

	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		errno = ENOENT;
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char name[MBOX_PATH_MAX];

		if (strncmp(de->d_name, base, ulen) != 0 ||
		    (de->d_name[ulen] != ':' && de->d_name[ulen] != '\0'))
			continue;
		snprintf(name, sizeof(name), "cur/%s", de->d_name);
		if (strcmp(name, old) == 0)
			continue;
		*name_r = xstrdup(name);
		closedir(d);
		return 0;
	}
	closedir(d);
	errno = ENOENT;
	return -1;
}

/* Find message i again in cur/ after another reader renamed it. */
static int
mbox_relocate(struct pop3d_mailbox *mb, size_t i)
{
	char *name;

	if (mbox_find_cur(mb, mb->msgs[i].name, &name) < 0)
		return -1;
	free(mb->msgs[i].name);
	mb->msgs[i].name = name;
	return 0;
}

/* A read descriptor for message i, or -1 when it is gone. */
int
pop3d_mailbox_msg_open(struct pop3d_mailbox *mb, size_t i)
{
	int fd = mbox_openat(mb->dir_fd, mb->msgs[i].name);

	if (fd < 0 && errno == ENOENT && mbox_relocate(mb, i) == 0)
		fd = mbox_openat(mb->dir_fd, mb->msgs[i].name);
	return fd;
}

/* Stream a message (or its TOP part) to the client, then ".CRLF". */
int
pop3d_mailbox_stream(struct pop3d_mailbox *mb, int fd, struct conn *c,
    long body_lines, long long *bytes_r)
{
	struct pop3_mailbox_encoder e;
	size_t n;
	ssize_t r;

	*bytes_r = 0;
	pop3_mailbox_encoder_init(&e, body_lines);
	while (!e.done) {
		r = read(fd, mb->rbuf, MBOX_READ_SIZE);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			log_warn("read message: %s", strerror(errno));
			return -1;
		}
		if (r == 0)
			break;
		n = pop3_mailbox_encode(&e, mb->rbuf, (size_t)r, mb->wbuf);
		conn_write(c, mb->wbuf, n);
		*bytes_r += (long long)n;
		if (c->broken)
			return -1;
	}
	n = pop3_mailbox_encode_end(&e, mb->wbuf);
	conn_write(c, mb->wbuf, n);
	return c->broken ? -1 : 0;
}

/* Mark (DELE) or unmark (RSET) message i, keeping the live totals. */
void
pop3d_mailbox_mark(struct pop3d_mailbox *mb, size_t i, int deleted)
{
	struct pop3d_msg *m = &mb->msgs[i];

	if (m->deleted == deleted)
		return;
	m->deleted = deleted;
	if (deleted) {
		mb->live_count--;
		mb->live_size -= m->size;
	} else {
		mb->live_count++;
		mb->live_size += m->size;
	}
}

/* Remove one file named in the maildir ("cur/x" or "new/x"), following a
 * rename into cur/; a file already gone counts as removed.  0 or -1. */
static int
mbox_unlink_name(struct pop3d_mailbox *mb, const char *name)
{
	char *moved = NULL;
	int rc;

	if (unlinkat(mb->dir_fd, name, 0) == 0)
		return 0;
	if (errno == ENOENT && mbox_find_cur(mb, name, &moved) == 0) {
		rc = unlinkat(mb->dir_fd, moved, 0);
		free(moved);
		if (rc == 0)
			return 0;
	}
	if (errno == ENOENT)
		return 0;
	log_warn("unlink %s: %s", name, strerror(errno));
	return -1;
}

/* Write the names of the marked messages to the journal (tmp, fsync,
 * rename), so that a crash in the middle of the unlinks is finished at
 * the next login.  0 or -1. */
static int
mbox_journal_write(struct pop3d_mailbox *mb)
{
	int fd = openat(mb->dir_fd, MBOX_JOURNAL_TMP, O_WRONLY | O_CREAT |
	    O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *fp;
	int bad;

	if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		log_warn("create %s: %s", MBOX_JOURNAL_TMP, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < mb->count; i++)
		if (mb->msgs[i].deleted)
			fprintf(fp, "%s\n", mb->msgs[i].name);
	bad = fflush(fp) != 0 || fsync(fileno(fp)) != 0;
	bad |= fclose(fp) != 0;
	if (bad || renameat(mb->dir_fd, MBOX_JOURNAL_TMP, mb->dir_fd,
	    MBOX_JOURNAL) != 0) {
		log_warn("write %s: %s", MBOX_JOURNAL, strerror(errno));
		(void)unlinkat(mb->dir_fd, MBOX_JOURNAL_TMP, 0);
		return -1;
	}
	return 0;
}

/* One journal line: a "cur/" or "new/" name without another slash. */
static int
mbox_journal_name_ok(const char *line)
{
	return (strncmp(line, "cur/", 4) == 0 || strncmp(line, "new/", 4) == 0)
	    && line[4] != '\0' && line[4] != '.' && strchr(line + 4, '/') == NULL;
}

/* At login: finish the deletions of a session that died in its UPDATE
 * state.  0 (nothing to do, or done) or -1 (left for the next login). */
static int
mbox_journal_replay(struct pop3d_mailbox *mb)
{
	int fd = openat(mb->dir_fd, MBOX_JOURNAL, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC);
	char line[MBOX_PATH_MAX + 2];
	size_t failed = 0, done = 0;
	FILE *fp;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (!mbox_journal_name_ok(line))
			continue;
		if (mbox_unlink_name(mb, line) < 0)
			failed++;
		else
			done++;
	}
	fclose(fp);
	if (failed)
		return -1;
	log_info("finished %zu deletions of an interrupted session", done);
	return unlinkat(mb->dir_fd, MBOX_JOURNAL, 0);
}

/* The UPDATE state: journal the marked messages, unlink them, drop the
 * journal.  0, or -1 when some could not be removed (the journal then
 * stays, and the next login retries). */
int
pop3d_mailbox_expunge(struct pop3d_mailbox *mb, size_t *deleted_r)
{
	size_t failed = 0;

	*deleted_r = 0;
	if (mb->live_count == mb->count)
		return 0;
	if (mbox_journal_write(mb) < 0)
		return -1;
	for (size_t i = 0; i < mb->count; i++) {
		if (!mb->msgs[i].deleted)
			continue;
		if (mbox_unlink_name(mb, mb->msgs[i].name) == 0)
			(*deleted_r)++;
		else
			failed++;
	}
	if (failed)
		return -1;
	if (unlinkat(mb->dir_fd, MBOX_JOURNAL, 0) != 0)
		log_warn("unlink %s: %s", MBOX_JOURNAL, strerror(errno));
	return 0;
}
