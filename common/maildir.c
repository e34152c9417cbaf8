/*
 * maildir.c - maildir delivery and maildir file-name parsing.
 *
 * Public: maildir_create, maildir_deliver, maildir_parse_name,
 * maildir_hostname.  See maildir.h for the contract.
 *
 * Delivery order (DESIGN.md "Local delivery" and spool rule 1): write an
 * unnamed file (O_TMPFILE, unnamed.h) in tmp/ through a 64 KB buffer, fstat
 * for dev/ino, link it into new/<final>, optionally fsync new/ (sync_dir, for
 * filesystems that need it), then the one fsync of the file, which on
 * ext4/XFS also commits the earlier link, and a checked close().  Only then
 * is 0 returned.  The unnamed file takes no lock on tmp/ and leaves nothing
 * there if the agent dies; where O_TMPFILE is not supported the file is
 * written as tmp/<unique>, linked into new/ (EEXIST counts as success) and
 * the tmp name removed, as the maildir specification describes.  A failure
 * after the link removes the new/ name again so that the retry does not
 * leave a duplicate.
 * Returns 0, or -1 with a reason in errstr and errno kept from the failing
 * call (the caller maps it to 4.x.x: ENOSPC 4.3.1, EDQUOT 4.2.2).
 * Security: runs as the mailbox owner (never root); maildir_parse_name is a
 * pure function over untrusted names (it is fuzzed).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "alloc.h"
#include "maildir.h"
#include "unnamed.h"

#define MAILDIR_BUF 65536

struct maildir_out {
	int fd;
	int unnamed;		/* O_TMPFILE: no tmp/ name to link or remove */
	size_t len;
	long long size;
	long long lfs;
	char buf[MAILDIR_BUF];
};

static char maildir_errbuf[512];
static unsigned long maildir_counter;

/* Format "what: strerror" into the static error buffer. */
static const char *
maildir_err(const char *what, const char *path, int err)
{
	snprintf(maildir_errbuf, sizeof(maildir_errbuf), "%s %.300s: %s", what,
	    path, strerror(err != 0 ? err : EIO));
	return maildir_errbuf;
}

/* mkdir that accepts an existing directory. */
static int
maildir_mkdir(const char *path)
{
	struct stat st;

	if (mkdir(path, 0700) == 0)
		return 0;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (errno == EEXIST)
		errno = ENOTDIR;
	return -1;
}

/* Make path and its parents, then tmp/, new/ and cur/ (mode 0700). */
int
maildir_create(const char *path, const char **errstr_r)
{
	static const char *sub[] = { "tmp", "new", "cur" };
	char p[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n + 5 >= sizeof(p)) {
		*errstr_r = "maildir path too long or empty";
		return -1;
	}
	memcpy(p, path, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (maildir_mkdir(p) < 0) {
			*errstr_r = maildir_err("create", p, errno);
			return -1;
		}
		p[i] = '/';
	}
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s%s", path, i ? "/" : "",
		    i ? sub[i - 1] : "");
		if (maildir_mkdir(p) < 0) {
			*errstr_r = maildir_err("create", p, errno);
			return -1;
		}
	}
	return 0;
}

/* Host name for unique names; '/', ':' and ',' are escaped as octal. */
const char *
maildir_hostname(void)
{
	static char out[256 * 4 + 1];
	char host[256];
	size_t o = 0;

	if (out[0] != '\0')
		return out;
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	for (size_t i = 0; host[i] != '\0'; i++) {
		if (host[i] == '/' || host[i] == ':' || host[i] == ',') {
			snprintf(out + o, sizeof(out) - o, "\\%03o",
			    (unsigned char)host[i]);
			o += 4;
		} else
			out[o++] = host[i];
	}
	out[o] = '\0';
	return out;
}

/* Write the buffered bytes to the file; 0 or -1. */
static int
maildir_flush(struct maildir_out *o)
{
	size_t done = 0;
	ssize_t r;

	while (done < o->len) {
		r = write(o->fd, o->buf + done, o->len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)r;
	}
	o->len = 0;
	return 0;
}

/* Buffered write that counts bytes and line feeds. */
static int
maildir_write(struct maildir_out *o, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	o->size += (long long)n;
	for (const char *q = p; (q = memchr(q, '\n', n - (size_t)(q - p)))
	    != NULL; q++)
		o->lfs++;
	while (n > 0) {
		size_t t = sizeof(o->buf) - o->len;

		if (t > n)
			t = n;
		memcpy(o->buf + o->len, p, t);
		o->len += t;
		p += t;
		n -= t;
		if (o->len == sizeof(o->buf) && maildir_flush(o) < 0)
			return -1;
	}
	return 0;
}

/* Copy the prepend and every content chunk into the file. */
static int
maildir_copy(struct maildir_out *o, const char *prepend, size_t prepend_len,
    maildir_next_fn next, void *ctx, const char **errstr_r)
{
	const char *p;
	size_t n;
	int r;

	if (maildir_write(o, prepend, prepend_len) < 0)
		goto write_error;
	while ((r = next(ctx, &p, &n)) == 1)
		if (maildir_write(o, p, n) < 0)
			goto write_error;
	if (r < 0) {
		*errstr_r = "error reading message content";
		errno = EIO;
		return -1;
	}
	if (maildir_flush(o) == 0)
		return 0;
write_error:
	*errstr_r = maildir_err("write", "maildir file", errno);
	return -1;
}

/* Link tmp into new/ under its final name; EEXIST counts as success. */
static int
maildir_link(const char *path, const char *tmp, struct maildir_out *o,
    const struct timeval *tv, char **name_r, const char **errstr_r)
{
	char name[1400], newp[PATH_MAX];
	struct stat st;

	if (fstat(o->fd, &st) < 0) {
		*errstr_r = maildir_err("fstat", tmp, errno);
		return -1;
	}
	snprintf(name, sizeof(name), "%lld.V%llxI%llxM%06ld.%s,S=%lld,W=%lld",
	    (long long)tv->tv_sec, (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino, (long)tv->tv_usec,
	    maildir_hostname(), o->size, o->size + o->lfs);
	if ((size_t)snprintf(newp, sizeof(newp), "%s/new/%s", path, name) >=
	    sizeof(newp)) {
		*errstr_r = "maildir path too long";
		return -1;
	}
	if (o->unnamed ? unnamed_link(o->fd, AT_FDCWD, newp) < 0 :
	    link(tmp, newp) < 0 && errno != EEXIST) {
		*errstr_r = maildir_err("link", newp, errno);
		return -1;
	}
	*name_r = xstrdup(name);
	return 0;
}

/* Make the new/ entry and the file durable, then close; 0 or -1. */
static int
maildir_sync(const char *path, int fd, int sync_dir, const char **errstr_r)
{
	char dir[PATH_MAX];
	int dfd, r = 0;

	if (sync_dir) {
		snprintf(dir, sizeof(dir), "%s/new", path);
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || fsync(dfd) < 0) {
			*errstr_r = maildir_err("fsync", dir, errno);
			r = -1;
		}
		if (dfd >= 0)
			close(dfd);
	}
	if (r == 0 && fsync(fd) < 0) {
		*errstr_r = maildir_err("fsync", "maildir file", errno);
		r = -1;
	}
	if (close(fd) < 0 && r == 0) {
		*errstr_r = maildir_err("close", "maildir file", errno);
		r = -1;
	}
	return r;
}

/* Open the file to write in path/tmp: unnamed where the filesystem can,
 * else under the unique name left in tmp; fd or -1. */
static int
maildir_open_tmp(const char *path, const struct timeval *tv,
    struct maildir_out *o, char *tmp, size_t size)
{
	if ((size_t)snprintf(tmp, size, "%s/tmp", path) >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	o->fd = unnamed_open(AT_FDCWD, tmp, 0600);
	if (o->fd >= 0) {
		o->unnamed = 1;
		return o->fd;
	}
	if (!unnamed_unsupported(errno))
		return -1;
	if ((size_t)snprintf(tmp, size, "%s/tmp/%lld.M%06ldP%ldQ%lu.%s",
	    path, (long long)tv->tv_sec, (long)tv->tv_usec, (long)getpid(),
	    maildir_counter++, maildir_hostname()) >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return o->fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
	    0600);
}

/* Deliver one message into the maildir at path (see maildir.h). */
int
maildir_deliver(const char *path, const char *prepend, size_t prepend_len,
    maildir_next_fn next, void *ctx, int sync_dir, char **name_r,
    const char **errstr_r)
{
	struct maildir_out *o = xmalloc(sizeof(*o));
	char tmp[PATH_MAX], newp[PATH_MAX];
	struct timeval tv;
	int r = -1, e;

	o->fd = -1;
	o->unnamed = 0;
	o->len = 0;
	o->size = o->lfs = 0;
	*name_r = NULL;
	gettimeofday(&tv, NULL);
	if (maildir_open_tmp(path, &tv, o, tmp, sizeof(tmp)) < 0) {
		e = errno;
		*errstr_r = maildir_err("create", tmp, e);
		free(o);
		errno = e;
		return -1;
	}
	if (maildir_copy(o, prepend, prepend_len, next, ctx, errstr_r) == 0 &&
	    maildir_link(path, tmp, o, &tv, name_r, errstr_r) == 0)
		r = 0;
	e = errno;	/* the caller tells a full disk from other trouble */
	if (!o->unnamed)
		(void)unlink(tmp);
	if (r == 0) {
		r = maildir_sync(path, o->fd, sync_dir, errstr_r);
		e = errno;
	} else
		close(o->fd);
	if (r < 0 && *name_r != NULL) {
		snprintf(newp, sizeof(newp), "%s/new/%s", path, *name_r);
		(void)unlink(newp);
		free(*name_r);
		*name_r = NULL;
	}
	free(o);
	errno = e;
	return r;
}

/* Parse a decimal size field value of len bytes; -1 when malformed. */
static long long
maildir_num(const char *p, size_t len)
{
	long long v = 0;

	if (len == 0 || len > 18)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Parse the ",key=value" fields between the base and ':'. */
static int
maildir_parse_fields(const char *p, size_t len, struct maildir_name_info *info)
{
	while (len > 0) {
		const char *f = p + 1, *e = memchr(f, ',', len - 1);
		size_t flen = e != NULL ? (size_t)(e - f) : len - 1;

		if (flen >= 2 && (f[0] == 'S' || f[0] == 'W') && f[1] == '=') {
			long long v = maildir_num(f + 2, flen - 2);
			if (v < 0)
				return -1;
			if (f[0] == 'S')
				info->size = v;
			else
				info->vsize = v;
		}
		p += flen + 1;
		len -= flen + 1;
	}
	return 0;
}

/* Pure: sizes and flags from a maildir file name; 0 or -1. */
int
maildir_parse_name(const char *name, struct maildir_name_info *info_r)
{
	size_t len = strlen(name), base, fend;
	const char *colon = strchr(name, ':');

	info_r->size = info_r->vsize = -1;
	info_r->flags[0] = '\0';
	info_r->base_len = 0;
	if (len == 0 || name[0] == '.' || strchr(name, '/') != NULL)
		return -1;
	fend = colon != NULL ? (size_t)(colon - name) : len;
	base = strcspn(name, ",:");
	if (base == 0)
		return -1;
	info_r->base_len = base;
	if (maildir_parse_fields(name + base, fend - base, info_r) < 0)
		return -1;
	if (colon == NULL)
		return 0;
	if (strncmp(colon, ":2,", 3) != 0 ||
	    strlen(colon + 3) >= sizeof(info_r->flags))
		return -1;
	snprintf(info_r->flags, sizeof(info_r->flags), "%s", colon + 3);
	return 0;
}
