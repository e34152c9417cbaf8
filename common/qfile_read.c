/*
 * qfile_read.c - queue files: the validating reader, recipient marking and
 * the content iterator (format: see qfile.h).
 *
 * Public: qfile_read_envelope, qfile_env_free, qfile_mark,
 * qfile_content_open, qfile_content_next, qfile_content_close.
 *
 * qfile_read_envelope reads through a 64 KB window with pread (the file
 * position is never used), checks the completion mode bit, the record order
 * V T F {A|R O?}* M C* Z E, every bound (envelope records <= QFILE_CHUNK bytes,
 * <= QFILE_MAX_RCPTS recipients, <= QFILE_MAX_ATTRS attributes), that the
 * content chunks add up to 'Z' and that 'E' ends the file.  Content chunks
 * are skipped by offset, not read.  Anything else is "corrupt": -1 with the
 * reason in errstr; the queue manager then moves the file to corrupt/.
 * Security: a queue file is trusted no more than network input; a damaged or
 * foreign file can cost at most its own size in memory and never crashes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "qfile.h"
#include "strutil.h"

#define QFILE_MAX_RCPTS 100000
#define QFILE_MAX_ATTRS 1000
#define QFILE_WINDOW (QFILE_CHUNK + 16)

struct qfile_reader {
	int fd;
	off_t size;		/* file size from fstat */
	off_t boff;		/* file offset of buf[0] */
	size_t blen;		/* valid bytes in buf */
	off_t pos;		/* offset of the next record */
	unsigned char buf[QFILE_WINDOW];
};

struct qfile_record {
	int type;
	off_t off;		/* offset of the record header */
	size_t hdrlen;
	size_t len;
	const unsigned char *p;	/* payload (NULL for skipped records) */
};

struct qfile_content {
	int fd;
	off_t pos;
	off_t end;
	unsigned char buf[QFILE_WINDOW];
};

/* pread until n bytes or EOF; bytes read or -1. */
static ssize_t
qfile_pread_full(int fd, unsigned char *p, size_t n, off_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = pread(fd, p + got, n - got, off + (off_t)got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* Make need bytes at rd->pos available; bytes available there, or -1. */
static ssize_t
qfile_fill(struct qfile_reader *rd, size_t need)
{
	size_t want;
	ssize_t r;

	if (rd->pos >= rd->boff && rd->pos + (off_t)need <= rd->boff +
	    (off_t)rd->blen)
		return (ssize_t)(rd->boff + (off_t)rd->blen - rd->pos);
	/* The window already holds everything up to the end of the file. */
	if (rd->blen > 0 && rd->pos >= rd->boff && rd->pos <= rd->boff +
	    (off_t)rd->blen && rd->boff + (off_t)rd->blen == rd->size)
		return (ssize_t)(rd->boff + (off_t)rd->blen - rd->pos);
	want = sizeof(rd->buf);
	if (rd->size - rd->pos < (off_t)want)
		want = rd->pos < rd->size ? (size_t)(rd->size - rd->pos) : 0;
	r = qfile_pread_full(rd->fd, rd->buf, want, rd->pos);
	if (r < 0)
		return -1;
	rd->boff = rd->pos;
	rd->blen = (size_t)r;
	return r;
}

/* Read the next record; payload kept unless skip.  0 or -1 with errstr. */
static int
qfile_next_record(struct qfile_reader *rd, struct qfile_record *rec, int skip,
    const char **errstr_r)
{
	ssize_t avail = qfile_fill(rd, 5);
	const unsigned char *h = rd->buf + (rd->pos - rd->boff);
	int r;

	if (avail < 0) {
		*errstr_r = "read error";
		return -1;
	}
	r = qfile_record_header(h, (size_t)avail, &rec->type, &rec->len,
	    &rec->hdrlen);
	if (r <= 0) {
		*errstr_r = r == 0 ? "truncated record header" :
		    "malformed record header";
		return -1;
	}
	rec->off = rd->pos;
	rec->p = NULL;
	if ((off_t)(rec->hdrlen + rec->len) > rd->size - rd->pos) {
		*errstr_r = "truncated record";
		return -1;
	}
	if (!skip) {
		if (rec->len > QFILE_CHUNK) {
			*errstr_r = "record too long";
			return -1;
		}
		avail = qfile_fill(rd, rec->hdrlen + rec->len);
		if (avail < (ssize_t)(rec->hdrlen + rec->len)) {
			*errstr_r = "truncated record";
			return -1;
		}
		rec->p = rd->buf + (rd->pos - rd->boff) + rec->hdrlen;
	}
	rd->pos += (off_t)(rec->hdrlen + rec->len);
	return 0;
}

/* Read the next record and require the given type. */
static int
qfile_expect(struct qfile_reader *rd, struct qfile_record *rec, int type,
    const char **errstr_r)
{
	if (qfile_next_record(rd, rec, 0, errstr_r) < 0)
		return -1;
	if (rec->type != type) {
		*errstr_r = "unexpected record type";
		return -1;
	}
	return 0;
}

/* Parse the 'T' payload "<sec>.<usec>". */
static int
qfile_parse_time(struct qfile_env *env, const unsigned char *p, size_t n)
{
	const char *s = (const char *)p;
	const char *dot = memchr(s, '.', n);
	long sec, usec;

	if (dot == NULL ||
	    str_to_long(s, (size_t)(dot - s), 0, 0x7fffffffffffL, &sec) < 0 ||
	    str_to_long(dot + 1, n - (size_t)(dot - s) - 1, 0, 999999,
	    &usec) < 0)
		return -1;
	env->arrival_sec = (time_t)sec;
	env->arrival_usec = usec;
	return 0;
}

/* Copy a payload as a C string; NULL when it holds a NUL byte. */
static char *
qfile_payload_str(const unsigned char *p, size_t n)
{
	if (memchr(p, '\0', n) != NULL)
		return NULL;
	return xstrndup((const char *)p, n);
}

/* Store one 'A' record. */
static int
qfile_add_attr(struct qfile_env *env, const struct qfile_record *rec,
    const char **errstr_r)
{
	const unsigned char *eq = memchr(rec->p, '=', rec->len);
	char *s;

	if (env->nattrs >= QFILE_MAX_ATTRS || eq == NULL || eq == rec->p ||
	    (s = qfile_payload_str(rec->p, rec->len)) == NULL) {
		*errstr_r = "bad attribute record";
		return -1;
	}
	env->attrs = xreallocarray(env->attrs, env->nattrs + 2, sizeof(char *));
	env->attrs[env->nattrs++] = s;
	env->attrs[env->nattrs] = NULL;
	return 0;
}

/* Store one 'R' record with the offset of its status byte. */
static int
qfile_add_rcpt(struct qfile_env *env, const struct qfile_record *rec,
    const char **errstr_r)
{
	struct qfile_rcpt *r;
	char *s;

	if (env->nrcpts >= QFILE_MAX_RCPTS || rec->len < 2 ||
	    strchr("PDX", rec->p[0]) == NULL || rec->p[0] == '\0' ||
	    (s = qfile_payload_str(rec->p + 1, rec->len - 1)) == NULL) {
		*errstr_r = "bad recipient record";
		return -1;
	}
	if ((env->nrcpts & (env->nrcpts - 1)) == 0)
		env->rcpts = xreallocarray(env->rcpts,
		    env->nrcpts ? env->nrcpts * 2 : 1, sizeof(*env->rcpts));
	r = &env->rcpts[env->nrcpts++];
	r->addr = s;
	r->dsn = NULL;
	r->status = (char)rec->p[0];
	r->status_off = rec->off + (off_t)rec->hdrlen;
	return 0;
}

/* 'O': DSN parameters of the recipient just read (one at most). */
static int
qfile_add_rcpt_dsn(struct qfile_env *env, const struct qfile_record *rec,
    const char **errstr_r)
{
	struct qfile_rcpt *r;

	if (env->nrcpts == 0 || env->rcpts[env->nrcpts - 1].dsn != NULL ||
	    (r = &env->rcpts[env->nrcpts - 1],
	    r->dsn = qfile_payload_str(rec->p, rec->len)) == NULL) {
		*errstr_r = "bad recipient DSN record";
		return -1;
	}
	return 0;
}

/* V, T, F: the fixed head of every file. */
static int
qfile_read_head(struct qfile_reader *rd, struct qfile_env *env,
    const char **errstr_r)
{
	struct qfile_record rec;

	if (qfile_expect(rd, &rec, QREC_VERSION, errstr_r) < 0)
		return -1;
	if (rec.len != strlen(QFILE_VERSION) ||
	    memcmp(rec.p, QFILE_VERSION, rec.len) != 0) {
		*errstr_r = "unsupported queue file version";
		return -1;
	}
	if (qfile_expect(rd, &rec, QREC_TIME, errstr_r) < 0)
		return -1;
	if (qfile_parse_time(env, rec.p, rec.len) < 0) {
		*errstr_r = "bad arrival time record";
		return -1;
	}
	if (qfile_expect(rd, &rec, QREC_SENDER, errstr_r) < 0)
		return -1;
	if ((env->sender = qfile_payload_str(rec.p, rec.len)) == NULL) {
		*errstr_r = "bad sender record";
		return -1;
	}
	return 0;
}

/* A and R records up to and including 'M'. */
static int
qfile_read_rcpts(struct qfile_reader *rd, struct qfile_env *env,
    const char **errstr_r)
{
	struct qfile_record rec;

	for (;;) {
		if (qfile_next_record(rd, &rec, 0, errstr_r) < 0)
			return -1;
		if (rec.type == QREC_ATTR) {
			if (qfile_add_attr(env, &rec, errstr_r) < 0)
				return -1;
		} else if (rec.type == QREC_RCPT) {
			if (qfile_add_rcpt(env, &rec, errstr_r) < 0)
				return -1;
		} else if (rec.type == QREC_RCPT_DSN) {
			if (qfile_add_rcpt_dsn(env, &rec, errstr_r) < 0)
				return -1;
		} else if (rec.type == QREC_CONTENT_START && rec.len == 0) {
			break;
		} else {
			*errstr_r = "unexpected record in envelope";
			return -1;
		}
	}
	if (env->nrcpts == 0) {
		*errstr_r = "no recipients";
		return -1;
	}
	env->content_off = rd->pos;
	return 0;
}

/* Skip the 'C' records, check 'Z' against their sum and 'E' at EOF. */
static int
qfile_read_content(struct qfile_reader *rd, struct qfile_env *env,
    const char **errstr_r)
{
	struct qfile_record rec;
	off_t sum = 0;
	long z;

	for (;;) {
		if (qfile_next_record(rd, &rec, 1, errstr_r) < 0)
			return -1;
		if (rec.type != QREC_CONTENT)
			break;
		if (rec.len == 0 || rec.len > QFILE_CHUNK) {
			*errstr_r = "bad content record";
			return -1;
		}
		sum += (off_t)rec.len;
	}
	rd->pos = rec.off;
	if (qfile_expect(rd, &rec, QREC_CONTENT_END, errstr_r) < 0)
		return -1;
	if (str_to_long((const char *)rec.p, rec.len, 0, 0x7fffffffffffL,
	    &z) < 0 || (off_t)z != sum) {
		*errstr_r = "content length mismatch";
		return -1;
	}
	env->content_len = sum;
	if (qfile_expect(rd, &rec, QREC_END, errstr_r) < 0)
		return -1;
	if (rec.len != 0 || rd->pos != rd->size) {
		*errstr_r = "data after end record";
		return -1;
	}
	return 0;
}

/* Parse and validate a whole queue file; 0 with *env_r, or -1. */
int
qfile_read_envelope(int fd, struct qfile_env **env_r, const char **errstr_r)
{
	struct qfile_reader *rd;
	struct qfile_env *env;
	struct stat st;
	int r = -1;

	*env_r = NULL;
	if (fstat(fd, &st) < 0) {
		*errstr_r = "fstat failed";
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & S_IXUSR) == 0) {
		*errstr_r = "queue file not marked complete";
		return -1;
	}
	rd = xmalloc(sizeof(*rd));	/* the window is read only once filled */
	memset(rd, 0, offsetof(struct qfile_reader, buf));
	rd->fd = fd;
	rd->size = st.st_size;
	env = xcalloc(1, sizeof(*env));
	env->file_size = st.st_size;
	if (qfile_read_head(rd, env, errstr_r) == 0 &&
	    qfile_read_rcpts(rd, env, errstr_r) == 0 &&
	    qfile_read_content(rd, env, errstr_r) == 0)
		r = 0;
	free(rd);
	if (r < 0)
		qfile_env_free(&env);
	*env_r = env;
	return r;
}

/* Free an envelope and NULL the pointer. */
void
qfile_env_free(struct qfile_env **envp)
{
	struct qfile_env *env = *envp;

	if (env == NULL)
		return;
	free(env->sender);
	for (size_t i = 0; i < env->nattrs; i++)
		free(env->attrs[i]);
	free(env->attrs);
	for (size_t i = 0; i < env->nrcpts; i++) {
		free(env->rcpts[i].addr);
		free(env->rcpts[i].dsn);
	}
	free(env->rcpts);
	free(env);
	*envp = NULL;
}

/* Rewrite one recipient's status byte in place (the caller syncs). */
int
qfile_mark(int fd, const struct qfile_rcpt *rcpt, char status)
{
	ssize_t r;

	if (status != QFILE_RCPT_PENDING && status != QFILE_RCPT_DONE &&
	    status != QFILE_RCPT_FAILED) {
		errno = EINVAL;
		return -1;
	}
	do {
		r = pwrite(fd, &status, 1, rcpt->status_off);
	} while (r < 0 && errno == EINTR);
	if (r != 1) {
		if (r >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

/* Start iterating the content chunks of a validated file. */
struct qfile_content *
qfile_content_open(int fd, const struct qfile_env *env)
{
	struct qfile_content *it = xmalloc(sizeof(*it));

	it->fd = fd;
	it->pos = env->content_off;
	it->end = env->file_size;
	return it;
}

/* Next chunk: 1 with (p, n), 0 at the 'Z' record, -1 on error. */
int
qfile_content_next(struct qfile_content *it, const char **p_r, size_t *n_r)
{
	size_t want = sizeof(it->buf), hdr, len;
	ssize_t got;
	int type;

	if (it->pos >= it->end)
		return -1;
	if (it->end - it->pos < (off_t)want)
		want = (size_t)(it->end - it->pos);
	got = qfile_pread_full(it->fd, it->buf, want, it->pos);
	if (got <= 0 ||
	    qfile_record_header(it->buf, (size_t)got, &type, &len, &hdr) != 1)
		return -1;
	if (type == QREC_CONTENT_END)
		return 0;
	if (type != QREC_CONTENT || len > QFILE_CHUNK ||
	    (size_t)got < hdr + len)
		return -1;
	*p_r = (const char *)it->buf + hdr;
	*n_r = len;
	it->pos += (off_t)(hdr + len);
	return 1;
}

/* End the iteration and NULL the pointer. */
void
qfile_content_close(struct qfile_content **itp)
{
	free(*itp);
	*itp = NULL;
}
