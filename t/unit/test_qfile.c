/*
 * test_qfile.c - unit tests for the queue-file codec, writer and reader.
 *
 * Golden files: t/unit/data/qfile/<name>.in describes a message (see
 * mkref.py there); <name>.ref are the exact bytes, built by mkref.py from
 * the format description alone.  The test writes each message with
 * qfile_create/put/commit, patches the arrival time to the fixed one, and
 * compares bytes; then it reads the file back and checks every field, and
 * checks that every truncation and a set of damaged files are refused.
 * Files live in a fresh directory under /tmp (its incoming/, with the
 * sibling free/ the writer recycles from), removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "qfile.h"

#define MAXMSG (1 << 20)

struct msg {
	char sender[1024];
	char *rcpts[16];
	int nrcpts;
	char *attrs[16];
	int nattrs;
	unsigned char *content;
	size_t clen;
	int nputs;			/* content pieces, to vary framing */
	size_t puts[64];
};

static char rootdir[256];	/* the scratch directory */
static char tmpdir[300];	/* rootdir/incoming: where files are written */
static const char *datadir;

/* Decode the escapes of an .in line value into out; returns its length. */
static size_t
unescape(const char *s, unsigned char *out)
{
	size_t n = 0;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] == 'n') {
			out[n++] = '\n';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 't') {
			out[n++] = '\t';
			s += 2;
		} else if (s[0] == '\\' && s[1] == '\\') {
			out[n++] = '\\';
			s += 2;
		} else if (s[0] == '\\' && s[1] == 'x') {
			char hex[3] = { s[2], s[3], 0 };
			out[n++] = (unsigned char)strtol(hex, NULL, 16);
			s += 4;
		} else
			out[n++] = (unsigned char)*s++;
	}
	return n;
}

/* Apply one .in line to the message description. */
static void
parse_line(struct msg *m, char *line)
{
	unsigned char tmp[1024];
	char *v = line[0] != '\0' && line[1] == ' ' ? line + 2 : line + 1;
	size_t n;

	if (line[0] == 'F') {
		n = unescape(v, tmp);
		memcpy(m->sender, tmp, n);
		m->sender[n] = '\0';
	} else if (line[0] == 'R')
		m->rcpts[m->nrcpts++] = strdup(v);
	else if (line[0] == 'A')
		m->attrs[m->nattrs++] = strdup(v);
	else if (line[0] == 'C') {
		n = unescape(v, m->content + m->clen);
		m->clen += n;
		m->puts[m->nputs++] = n;
	} else if (line[0] == 'N') {
		long cnt = strtol(v, &v, 10);
		memset(m->content + m->clen, v[1], (size_t)cnt);
		m->clen += (size_t)cnt;
		m->puts[m->nputs++] = (size_t)cnt;
	}
}

/* Load an .in description. */
static int
load_msg(const char *path, struct msg *m)
{
	char line[2048];
	FILE *fp = fopen(path, "r");

	memset(m, 0, sizeof(*m));
	if (fp == NULL)
		return -1;
	m->content = malloc(MAXMSG);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '#' && line[0] != '\0')
			parse_line(m, line);
	}
	fclose(fp);
	return 0;
}

/* Free a message description. */
static void
free_msg(struct msg *m)
{
	for (int i = 0; i < m->nrcpts; i++)
		free(m->rcpts[i]);
	for (int i = 0; i < m->nattrs; i++)
		free(m->attrs[i]);
	free(m->content);
}

/* Write m as a queue file in tmpdir; qid_r receives its ID. */
static int
write_msg(const struct msg *m, char qid_r[QFILE_QID_MAX])
{
	const char *err = NULL;
	struct qfile_writer *w = qfile_create(tmpdir, &err);
	size_t off = 0;

	if (w == NULL)
		return -1;
	snprintf(qid_r, QFILE_QID_MAX, "%s", qfile_qid(w));
	if (qfile_put(w, QREC_SENDER, m->sender, strlen(m->sender)) < 0)
		return -1;
	for (int i = 0; i < m->nattrs; i++)
		if (qfile_put(w, QREC_ATTR, m->attrs[i], strlen(m->attrs[i])) < 0)
			return -1;
	for (int i = 0; i < m->nrcpts; i++)
		if (qfile_put_rcpt(w, m->rcpts[i]) < 0)
			return -1;
	for (int i = 0; i < m->nputs; i++) {
		if (qfile_put_content(w, m->content + off, m->puts[i]) < 0)
			return -1;
		off += m->puts[i];
	}
	return qfile_commit(&w, 1, &err);
}

/* Read a whole file into memory (test only). */
static unsigned char *
slurp(const char *path, size_t *len_r)
{
	unsigned char *p = malloc(2 * MAXMSG);
	int fd = open(path, O_RDONLY);
	ssize_t r;

	*len_r = 0;
	if (fd < 0)
		return p;
	while ((r = read(fd, p + *len_r, 2 * MAXMSG - *len_r)) > 0)
		*len_r += (size_t)r;
	close(fd);
	return p;
}

/* Path of a queue file in tmpdir. */
static const char *
qpath(const char *qid)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, qid);
	return path;
}

/* Check that the envelope and content read back equal m. */
static void
check_readback(const struct msg *m, const char *qid)
{
	struct qfile_env *env = NULL;
	struct qfile_content *it;
	const char *err = NULL, *p;
	size_t n, off = 0;
	int fd = open(qpath(qid), O_RDONLY), r;

	CHECK(fd >= 0);
	CHECK(qfile_read_envelope(fd, &env, &err) == 0);
	if (env == NULL) {
		printf("  read: %s\n", err);
		close(fd);
		return;
	}
	CHECK(strcmp(env->sender, m->sender) == 0);
	CHECK(env->nrcpts == (size_t)m->nrcpts);
	CHECK(env->nattrs == (size_t)m->nattrs);
	for (int i = 0; i < m->nrcpts && i < (int)env->nrcpts; i++) {
		CHECK(strcmp(env->rcpts[i].addr, m->rcpts[i]) == 0);
		CHECK(env->rcpts[i].status == QFILE_RCPT_PENDING);
	}
	for (int i = 0; i < m->nattrs && i < (int)env->nattrs; i++)
		CHECK(strcmp(env->attrs[i], m->attrs[i]) == 0);
	CHECK(env->attrs == NULL || env->attrs[env->nattrs] == NULL);
	CHECK(env->content_len == (off_t)m->clen);
	it = qfile_content_open(fd, env);
	while ((r = qfile_content_next(it, &p, &n)) == 1) {
		CHECK(off + n <= m->clen && memcmp(p, m->content + off, n) == 0);
		off += n;
	}
	CHECK(r == 0);
	CHECK(off == m->clen);
	qfile_content_close(&it);
	CHECK(it == NULL);
	qfile_env_free(&env);
	CHECK(env == NULL);
	close(fd);
}

/* Replace the 'T' payload (at its fixed place) by the golden time. */
static void
patch_time(unsigned char *p, size_t len)
{
	static const char t[] = "1700000000.000000";

	if (len > 14 + sizeof(t) - 1 && p[12] == 'T' && p[13] == 17)
		memcpy(p + 14, t, sizeof(t) - 1);
}

/* One golden case: write, compare bytes, read back. */
static void
golden_one(const char *name)
{
	char path[512], qid[QFILE_QID_MAX];
	unsigned char *got, *ref;
	size_t glen, rlen;
	struct msg m;

	snprintf(path, sizeof(path), "%s/%s.in", datadir, name);
	CHECK(load_msg(path, &m) == 0);
	CHECK(write_msg(&m, qid) == 0);
	CHECK(qfile_valid_qid(qid));
	got = slurp(qpath(qid), &glen);
	patch_time(got, glen);
	snprintf(path, sizeof(path), "%s/%s.ref", datadir, name);
	ref = slurp(path, &rlen);
	CHECK(rlen > 0 && glen == rlen && memcmp(got, ref, rlen) == 0);
	if (glen != rlen || memcmp(got, ref, rlen) != 0)
		printf("  golden %s differs (%zu vs %zu bytes)\n", name, glen, rlen);
	check_readback(&m, qid);
	unlink(qpath(qid));
	free(got);
	free(ref);
	free_msg(&m);
}

/* Every .in file in the data directory. */
static void
test_golden(void)
{
	DIR *d = opendir(datadir);
	struct dirent *de;
	int count = 0;

	CHECK(d != NULL);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char name[256];

		if (n < 4 || strcmp(de->d_name + n - 3, ".in") != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 3), de->d_name);
		golden_one(name);
		count++;
	}
	closedir(d);
	CHECK(count >= 3);
}


/* Varint encoding round-trips through the header parser at the limits. */
static void
test_varint(void)
{
	static const size_t v[] = { 0, 1, 127, 128, 300, 16383, 16384,
	    2097151, 2097152, 268435455 };
	unsigned char b[8];
	size_t n, len, hdr;
	int type;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		b[0] = 'C';
		n = qfile_varint_encode(v[i], b + 1);
		CHECK(n >= 1 && n <= 4);
		CHECK(qfile_record_header(b, n + 1, &type, &len, &hdr) == 1);
		CHECK(type == 'C' && len == v[i] && hdr == n + 1);
	}
	CHECK(qfile_varint_encode(127, b) == 1 && b[0] == 0x7f);
	CHECK(qfile_varint_encode(128, b) == 2 && b[0] == 0x80 && b[1] == 1);
}

/* Split-feed callback: a prefix says "need more" or the full answer. */
static int
split_hdr(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	unsigned char all[16];
	size_t len = 0, hdr = 0, want = *(size_t *)ctx;
	int type = 0, r;

	memcpy(all, a, alen);
	memcpy(all + alen, b, blen);
	r = qfile_record_header(all, alen, &type, &len, &hdr);
	if (alen < alen + blen && r != 0)
		return 1;
	r = qfile_record_header(all, alen + blen, &type, &len, &hdr);
	return !(r == 1 && type == 'R' && len == want && hdr == alen + blen);
}

/* The header parser fed its input split at every byte. */
static void
test_header_split(void)
{
	static const size_t v[] = { 5, 200, 70000, 268435455 };
	unsigned char b[8];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t want = v[i];
		b[0] = 'R';
		size_t n = qfile_varint_encode(want, b + 1) + 1;
		CHECK(test_split_feed((const char *)b, n, split_hdr, &want) == 0);
	}
}

/* Malformed headers: unknown type, too long, non-canonical varints. */
static void
test_header_bad(void)
{
	size_t len, hdr;
	int type;

	CHECK(qfile_record_header((const unsigned char *)"Q\x01", 2, &type,
	    &len, &hdr) == -1);
	CHECK(qfile_record_header((const unsigned char *)"\0\x01", 2, &type,
	    &len, &hdr) == -1);
	CHECK(qfile_record_header((const unsigned char *)"C\x80\x80\x80\x80\x01",
	    6, &type, &len, &hdr) == -1);
	CHECK(qfile_record_header((const unsigned char *)"C\x85\x00", 3, &type,
	    &len, &hdr) == -1);
	CHECK(qfile_record_header((const unsigned char *)"C\x85", 2, &type,
	    &len, &hdr) == 0);
	CHECK(qfile_record_header((const unsigned char *)"", 0, &type,
	    &len, &hdr) == 0);
}

/* Queue-ID syntax and construction. */
static void
test_qid(void)
{
	char q[QFILE_QID_MAX];

	qfile_make_qid(q, 999999, (ino_t)0x1234);
	CHECK(strcmp(q, "F423F1234") == 0);
	qfile_make_qid(q, 5, (ino_t)UINT64_MAX);
	CHECK(strcmp(q, "00005FFFFFFFFFFFFFFFF") == 0);
	CHECK(qfile_valid_qid(q));
	CHECK(!qfile_valid_qid(""));
	CHECK(!qfile_valid_qid("00005"));
	CHECK(!qfile_valid_qid("00005a1"));
	CHECK(!qfile_valid_qid(".t123.4"));
	CHECK(!qfile_valid_qid("../../etc"));
	CHECK(!qfile_valid_qid("0123456789ABCDEF0123456789ABCDEF"));
	CHECK(qfile_valid_qid("0123456789ABCDEF0123456789ABCDE"));
}

/* After writing, the directory holds only queue-ID names. */
static void
test_no_temp_left(void)
{
	char qid[QFILE_QID_MAX];
	struct msg m;
	struct stat st;
	DIR *d;
	struct dirent *de;
	int files = 0;

	memset(&m, 0, sizeof(m));
	m.rcpts[m.nrcpts++] = strdup("x@example.org");
	CHECK(write_msg(&m, qid) == 0);
	CHECK(stat(qpath(qid), &st) == 0 && (st.st_mode & 07777) ==
	    QFILE_MODE_COMPLETE);
	d = opendir(tmpdir);
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    strcmp(de->d_name, "..") == 0))
			continue;
		CHECK(qfile_valid_qid(de->d_name));
		files++;
	}
	if (d != NULL)
		closedir(d);
	CHECK(files == 1);
	unlink(qpath(qid));
	free_msg(&m);
}

/* Write the golden message "name" and return its path's qid. */
static int
write_golden(const char *name, char qid[QFILE_QID_MAX])
{
	char path[512];
	struct msg m;
	int r;

	snprintf(path, sizeof(path), "%s/%s.in", datadir, name);
	if (load_msg(path, &m) < 0)
		return -1;
	r = write_msg(&m, qid);
	free_msg(&m);
	return r;
}

/* 0 when the file at fd is accepted by the reader. */
static int
accepted(int fd)
{
	struct qfile_env *env = NULL;
	const char *err = NULL;
	int r = qfile_read_envelope(fd, &env, &err);

	if (r < 0 && (err == NULL || env != NULL))
		return 2;
	qfile_env_free(&env);
	return r == 0;
}

/* Every proper prefix of a valid file is refused. */
static void
test_truncated(void)
{
	static const char *names[] = { "simple", "nullsender", "multi" };

	for (size_t k = 0; k < 3; k++) {
		char qid[QFILE_QID_MAX];
		struct stat st;
		int fd, bad = 0;

		REQUIRE(write_golden(names[k], qid) == 0);
		fd = open(qpath(qid), O_RDWR);
		REQUIRE(fd >= 0 && fstat(fd, &st) == 0);
		CHECK(accepted(fd) == 1);
		for (off_t len = st.st_size - 1; len >= 0; len--) {
			if (ftruncate(fd, len) < 0 || accepted(fd) != 0)
				bad++;
		}
		CHECK(bad == 0);
		close(fd);
		unlink(qpath(qid));
	}
}

/* Overwrite n bytes at off in the file and report acceptance. */
static int
damage(const char *path, off_t off, const void *p, size_t n)
{
	int fd = open(path, O_RDWR), r;

	if (fd < 0 || pwrite(fd, p, n, off) != (ssize_t)n)
		return -1;
	r = accepted(fd);
	close(fd);
	return r;
}

/* Wrong version, incomplete mode, bad 'Z', junk after 'E', bad status. */
static void
test_damaged(void)
{
	char qid[QFILE_QID_MAX], path[512];
	unsigned char *p;
	size_t len;
	int fd;

	CHECK(write_golden("simple", qid) == 0);
	snprintf(path, sizeof(path), "%s", qpath(qid));
	p = slurp(path, &len);
	CHECK(damage(path, 11, "2", 1) == 0);	/* "PETREL-Q 2" */
	CHECK(damage(path, 11, "1", 1) == 1);
	CHECK(chmod(path, QFILE_MODE_WRITING) == 0);
	fd = open(path, O_RDONLY);
	CHECK(accepted(fd) == 0);
	close(fd);
	CHECK(chmod(path, QFILE_MODE_COMPLETE) == 0);
	CHECK(damage(path, (off_t)len - 3, "2", 1) == 0);	/* Z "22" */
	CHECK(damage(path, (off_t)len - 3, "1", 1) == 1);
	CHECK(damage(path, (off_t)len - 2, "Z", 1) == 0);	/* no 'E' */
	CHECK(damage(path, (off_t)len - 2, "E", 1) == 1);
	CHECK(damage(path, (off_t)len, "E\0", 2) == 0);	/* after 'E' */
	CHECK(truncate(path, (off_t)len) == 0);
	CHECK(damage(path, 0x67, "Q", 1) == 0);		/* rcpt status */
	CHECK(damage(path, 0x67, "P", 1) == 1);
	CHECK(damage(path, 0x7a, "\x16", 1) == 0);	/* 'C' length + 1 */
	CHECK(damage(path, 0x7a, "\x15", 1) == 1);
	CHECK(damage(path, 0x12, "x", 1) == 0);		/* bad time */
	free(p);
	unlink(path);
}

/* Marking a recipient rewrites one byte that a re-read sees. */
static void
test_mark(void)
{
	char qid[QFILE_QID_MAX];
	struct qfile_env *env = NULL;
	const char *err;
	int fd;

	CHECK(write_golden("multi", qid) == 0);
	fd = open(qpath(qid), O_RDWR);
	CHECK(qfile_read_envelope(fd, &env, &err) == 0 && env->nrcpts == 3);
	CHECK(qfile_mark(fd, &env->rcpts[1], QFILE_RCPT_DONE) == 0);
	CHECK(qfile_mark(fd, &env->rcpts[2], QFILE_RCPT_FAILED) == 0);
	CHECK(qfile_mark(fd, &env->rcpts[0], 'Q') == -1);
	qfile_env_free(&env);
	CHECK(qfile_read_envelope(fd, &env, &err) == 0);
	CHECK(env->rcpts[0].status == 'P' && env->rcpts[1].status == 'D' &&
	    env->rcpts[2].status == 'X');
	CHECK(strcmp(env->rcpts[2].addr, "c@example.org") == 0);
	qfile_env_free(&env);
	close(fd);
	unlink(qpath(qid));
}

/* A file is invisible until committed (or, without O_TMPFILE, visible but
 * not complete); abort leaves nothing; a missing directory fails with a
 * reason. */
static void
test_abort(void)
{
	const char *err = NULL;
	struct qfile_writer *w = qfile_create(tmpdir, &err);
	char qid[QFILE_QID_MAX];
	struct stat st;

	CHECK(w != NULL);
	if (w == NULL)
		return;
	snprintf(qid, sizeof(qid), "%s", qfile_qid(w));
	CHECK(stat(qpath(qid), &st) < 0 ||
	    (st.st_mode & 07777) == QFILE_MODE_WRITING);
	CHECK(qfile_put(w, QREC_SENDER, "a", 1) == 0);
	qfile_abort(&w);
	CHECK(w == NULL);
	CHECK(stat(qpath(qid), &st) < 0 && errno == ENOENT);
	w = qfile_create("/nonexistent/dir", &err);
	CHECK(w == NULL && err != NULL && strstr(err, "No such") != NULL);
}

/* A file left in free/ is reused: same inode, overwritten in place, and a
 * shorter message leaves nothing of the longer one it replaces. */
static void
test_recycled(void)
{
	char qid[QFILE_QID_MAX], qid2[QFILE_QID_MAX], path[600], path2[600];
	unsigned char *got, *ref;
	size_t glen, rlen;
	struct stat big, st;
	struct msg m;

	memset(&m, 0, sizeof(m));
	snprintf(m.sender, sizeof(m.sender), "big@example.org");
	m.rcpts[m.nrcpts++] = strdup("to@example.org");
	m.content = malloc(MAXMSG);
	memset(m.content, 'x', 200000);
	m.clen = m.puts[m.nputs++] = 200000;
	CHECK(write_msg(&m, qid) == 0);
	free_msg(&m);
	CHECK(stat(qpath(qid), &big) == 0 && big.st_size > 200000);
	snprintf(path, sizeof(path), "%s/free/%s", rootdir, qid);
	CHECK(rename(qpath(qid), path) == 0);
	usleep(1100000);	/* an empty free/ is looked at once a second */

	snprintf(path2, sizeof(path2), "%s/simple.in", datadir);
	CHECK(load_msg(path2, &m) == 0);
	CHECK(write_msg(&m, qid2) == 0);
	CHECK(stat(qpath(qid2), &st) == 0 && st.st_ino == big.st_ino);
	CHECK(access(path, F_OK) < 0 && errno == ENOENT);
	got = slurp(qpath(qid2), &glen);
	patch_time(got, glen);
	snprintf(path2, sizeof(path2), "%s/simple.ref", datadir);
	ref = slurp(path2, &rlen);
	CHECK(rlen > 0 && glen == rlen && memcmp(got, ref, rlen) == 0);
	check_readback(&m, qid2);
	unlink(qpath(qid2));
	free(got);
	free(ref);
	free_msg(&m);
}

/* Put a finished file into free/ and return its inode (path in path_r). */
static ino_t
make_free_file(char *path_r, size_t size)
{
	char qid[QFILE_QID_MAX], path[600];
	struct stat st;
	struct msg m;

	snprintf(path, sizeof(path), "%s/simple.in", datadir);
	if (load_msg(path, &m) != 0)
		return 0;
	if (write_msg(&m, qid) != 0 || stat(qpath(qid), &st) != 0) {
		free_msg(&m);
		return 0;
	}
	free_msg(&m);
	snprintf(path_r, size, "%s/free/%s", rootdir, qid);
	if (rename(qpath(qid), path_r) != 0)
		return 0;
	return st.st_ino;
}

/* 1 if the queue ID was made from inode ino (it ends in its hex form). */
static int
qid_has_ino(const char *qid, ino_t ino)
{
	char hex[32];
	size_t n = (size_t)snprintf(hex, sizeof(hex), "%lX",
	    (unsigned long)ino);

	return strlen(qid) > n && strcmp(qid + strlen(qid) - n, hex) == 0;
}

/* A file of free/ that another writer has locked is left alone; one that
 * a writer gives up on stays in free/; one that leaves free/ while it is
 * rewritten makes the commit fail and never appears in incoming/. */
static void
test_recycled_claims(void)
{
	char qid[QFILE_QID_MAX], path[600], msgpath[600];
	const char *err = NULL;
	struct qfile_writer *w;
	struct stat st;
	struct msg m;
	ino_t ino;
	int fd;

	snprintf(msgpath, sizeof(msgpath), "%s/simple.in", datadir);
	CHECK(load_msg(msgpath, &m) == 0);

	/* locked by another writer: a new file is made instead */
	ino = make_free_file(path, sizeof(path));
	CHECK(ino != 0);
	usleep(1100000);	/* free/ was seen empty just now */
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
	CHECK(write_msg(&m, qid) == 0);
	CHECK(stat(qpath(qid), &st) == 0 && st.st_ino != ino);
	CHECK(stat(path, &st) == 0 && st.st_ino == ino);
	unlink(qpath(qid));
	close(fd);

	/* given up: still in free/, nothing in incoming/ */
	w = qfile_create(tmpdir, &err);
	CHECK(w != NULL);
	if (w != NULL) {
		snprintf(qid, sizeof(qid), "%s", qfile_qid(w));
		CHECK(qid_has_ino(qid, ino));	/* the recycled file */
		CHECK(qfile_put(w, QREC_SENDER, "a@b", 3) == 0);
		qfile_abort(&w);
	}
	CHECK(access(qpath(qid), F_OK) < 0 && errno == ENOENT);
	CHECK(stat(path, &st) == 0 && st.st_ino == ino);

	/* taken out of free/ meanwhile: the commit fails */
	w = qfile_create(tmpdir, &err);
	CHECK(w != NULL);
	if (w != NULL) {
		snprintf(qid, sizeof(qid), "%s", qfile_qid(w));
		CHECK(qid_has_ino(qid, ino));	/* the recycled file */
		CHECK(unlink(path) == 0);
		CHECK(qfile_put(w, QREC_SENDER, "a@b", 3) == 0);
		CHECK(qfile_put_rcpt(w, "to@example.org") == 0);
		CHECK(qfile_commit(&w, 0, &err) < 0);
		CHECK(access(qpath(qid), F_OK) < 0 && errno == ENOENT);
	}
	free_msg(&m);
}

/* Create the scratch directory and run every test. */
int
main(void)
{
	char cmd[300];

	datadir = getenv("PETREL_TOP") != NULL ? NULL : "t/unit/data/qfile";
	if (datadir == NULL) {
		static char d[512];
		snprintf(d, sizeof(d), "%s/t/unit/data/qfile",
		    getenv("PETREL_TOP"));
		datadir = d;
	}
	snprintf(rootdir, sizeof(rootdir), "/tmp/test_qfile.XXXXXX");
	if (mkdtemp(rootdir) == NULL)
		return 1;
	snprintf(tmpdir, sizeof(tmpdir), "%s/incoming", rootdir);
	snprintf(cmd, sizeof(cmd), "%s/free", rootdir);
	if (mkdir(tmpdir, 0700) < 0 || mkdir(cmd, 0700) < 0)
		return 1;
	TEST_RUN(test_varint);
	TEST_RUN(test_header_split);
	TEST_RUN(test_header_bad);
	TEST_RUN(test_qid);
	TEST_RUN(test_golden);
	TEST_RUN(test_no_temp_left);
	TEST_RUN(test_truncated);
	TEST_RUN(test_damaged);
	TEST_RUN(test_mark);
	TEST_RUN(test_abort);
	TEST_RUN(test_recycled);
	TEST_RUN(test_recycled_claims);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rootdir);
	if (system(cmd) != 0)
		return 1;
	TEST_EXIT();
}
