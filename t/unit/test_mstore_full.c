/*
 * test_mstore_full.c - the IMAP mail store when a write fails for lack of
 * room (imapd/mstore*.c).  A file-size limit (RLIMIT_FSIZE, SIGXFSZ
 * ignored) makes writes short and then fail with EFBIG exactly where a
 * full disk would with ENOSPC, without needing a full filesystem (the
 * loop-mounted ENOSPC case is t/interop/disk_full.py):
 *   - a STORE whose log write is cut short leaves the log as it was (no
 *     torn entry for the next writer to append behind), the error is
 *     reported, and the next STORE is seen by a fresh reader;
 *   - an APPEND whose message cannot be written leaves no file;
 *   - an APPEND whose message was written but whose UID record cannot be
 *     takes its file back, leaves the uidlist as it was, and the next
 *     APPEND gets the next UID;
 *   - an incomplete entry a failed writer left at the log's end is cut
 *     by the next writer under the lock, so its entry is read by others.
 * Works under a fresh directory in /tmp, removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "../../imapd/mstore.h"
#include "../../imapd/mstore_int.h"

static char top[256];
static int seq;

struct onemsg {
	const char *text;
	int done;
};

/* Content callback: one string. */
static int
next_one(void *ctx, const char **p_r, size_t *n_r)
{
	struct onemsg *m = ctx;

	if (m->done)
		return 0;
	m->done = 1;
	*p_r = m->text;
	*n_r = strlen(m->text);
	return 1;
}

/* A fresh maildir root with n delivered messages. */
static const char *
new_root(int n)
{
	static char root[300];
	const char *err;
	char *name;

	snprintf(root, sizeof(root), "%s/r%d", top, seq++);
	if (maildir_create(root, &err) < 0)
		abort();
	for (int i = 0; i < n; i++) {
		struct onemsg m = { "Subject: x\n\nbody\n", 0 };

		if (maildir_deliver(root, NULL, 0, next_one, &m, 0, &name,
		    &err) < 0)
			abort();
		free(name);
	}
	return root;
}

/* Size of root/name, or -1. */
static long long
fsize(const char *root, const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, name);
	return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

/* Entries (not . or ..) in root/sub. */
static int
nfiles(const char *root, const char *sub)
{
	char p[512];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Limit the size of files this process writes (0: no limit). */
static void
fsize_limit(long long n)
{
	struct rlimit rl;

	getrlimit(RLIMIT_FSIZE, &rl);
	rl.rlim_cur = n > 0 ? (rlim_t)n : rl.rlim_max;
	if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
		abort();
}

/* Open root's INBOX read-write and sync; NULL on failure. */
static struct mstore_box *
open_synced(const char *root)
{
	struct mstore_box *box = NULL;
	struct mstore_changes ch;
	const char *err;

	if (mstore_open(root, "INBOX", MSTORE_RDWR, &box, &err) < 0)
		return NULL;
	memset(&ch, 0, sizeof(ch));
	if (mstore_sync(box, &ch, &err) < 0)
		mstore_close(&box);
	else
		mstore_changes_free(&ch);
	return box;
}

/* 1 if uid has \Flagged in a fresh session's view. */
static int
flagged_fresh(const char *root, uint32_t uid)
{
	struct mstore_box *b = open_synced(root);
	long s;
	int r;

	if (b == NULL)
		return 0;
	s = mstore_seq_of(b, uid);
	r = s >= 0 && (mstore_msg(b, (size_t)s)->flags & MSTORE_F_FLAGGED);
	mstore_close(&b);
	return r;
}

/* A STORE cut short: the log stays whole; the next STORE is read. */
static void
test_store_short(void)
{
	const char *root = new_root(2), *err = NULL;
	struct mstore_box *box = open_synced(root);
	uint32_t one = 1, two = 2, *failed = NULL;
	size_t nfailed = 0;
	long long len;

	CHECK(box != NULL && mstore_count(box) == 2);
	if (box == NULL)
		return;
	len = fsize(root, MSTORE_LOG);
	mstore_errno_reset();
	fsize_limit(len + 10);	/* room for part of one entry */
	CHECK(mstore_store(box, &one, 1, MSTORE_ADD, MSTORE_F_FLAGGED, NULL, 0,
	    0, &failed, &nfailed, &err) == -1);
	fsize_limit(0);
	CHECK(mstore_last_errno() == EFBIG);
	CHECK(fsize(root, MSTORE_LOG) == len);
	CHECK(mstore_store(box, &two, 1, MSTORE_ADD, MSTORE_F_FLAGGED, NULL, 0,
	    0, &failed, &nfailed, &err) == 0);
	free(failed);
	CHECK(fsize(root, MSTORE_LOG) > len);
	CHECK(flagged_fresh(root, 2));
	mstore_close(&box);
}

/* An APPEND whose message cannot be written leaves nothing. */
static void
test_append_nowrite(void)
{
	const char *root = new_root(1), *err = NULL;
	struct mstore_box *box = open_synced(root);
	char big[4096];
	struct onemsg m = { big, 0 };
	uint32_t uid = 0;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(box != NULL);
	if (box == NULL)
		return;
	mstore_errno_reset();
	fsize_limit(1000);
	CHECK(mstore_append(box, next_one, &m, 0, NULL, 0, 0, &uid, &err) ==
	    -1);
	fsize_limit(0);
	CHECK(mstore_last_errno() == EFBIG);
	CHECK(nfiles(root, "tmp") == 0 && nfiles(root, "new") == 0 &&
	    nfiles(root, "cur") == 1);
	mstore_close(&box);
}

/* An APPEND written but not recorded takes its file back. */
static void
test_append_unrecorded(void)
{
	const char *root = new_root(1), *err = NULL;
	struct mstore_box *box = open_synced(root);
	struct onemsg m = { "Subject: y\n\nz\n", 0 };
	long long ul;
	uint32_t uid = 0;

	CHECK(box != NULL);
	if (box == NULL)
		return;
	ul = fsize(root, MSTORE_UIDLIST);
	CHECK(ul > 20);
	mstore_errno_reset();
	fsize_limit(20);	/* the message fits, the uidlist record not */
	CHECK(mstore_append(box, next_one, &m, 0, NULL, 0, 0, &uid, &err) ==
	    -1);
	fsize_limit(0);
	CHECK(mstore_last_errno() == EFBIG);
	CHECK(nfiles(root, "cur") == 1 && nfiles(root, "new") == 0);
	CHECK(fsize(root, MSTORE_UIDLIST) == ul);
	m.done = 0;
	CHECK(mstore_append(box, next_one, &m, 0, NULL, 0, 0, &uid, &err) == 0);
	CHECK(uid == 2 && nfiles(root, "cur") == 2);
	mstore_close(&box);
	box = open_synced(root);
	CHECK(box != NULL && mstore_count(box) == 2);
	mstore_close(&box);
}

/* A failed writer's incomplete entry is cut by the next writer. */
static void
test_log_tail_cut(void)
{
	const char *root = new_root(2), *err = NULL;
	struct mstore_box *box = open_synced(root);
	uint32_t two = 2, *failed = NULL;
	size_t nfailed = 0;
	char p[512];
	long long len;
	int fd;

	CHECK(box != NULL);
	if (box == NULL)
		return;
	len = fsize(root, MSTORE_LOG);
	snprintf(p, sizeof(p), "%s/%s", root, MSTORE_LOG);
	fd = open(p, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && write(fd, "\x01\x02\x03", 3) == 3);
	close(fd);
	CHECK(mstore_store(box, &two, 1, MSTORE_ADD, MSTORE_F_FLAGGED, NULL, 0,
	    0, &failed, &nfailed, &err) == 0);
	free(failed);
	mstore_close(&box);
	/* The three bytes are gone: the entry follows the old end at once. */
	CHECK(fsize(root, MSTORE_LOG) > len);
	fd = open(p, O_RDONLY);
	CHECK(fd >= 0);
	if (fd >= 0) {
		char c[3] = { 0, 0, 0 };

		CHECK(pread(fd, c, 3, (off_t)len) == 3 &&
		    memcmp(c, "\x01\x02\x03", 3) != 0);
		close(fd);
	}
	CHECK(flagged_fresh(root, 2));
}

int
main(void)
{
	char cmd[300];

	signal(SIGXFSZ, SIG_IGN);
	snprintf(top, sizeof(top), "/tmp/petrel-mstore-full.%ld", (long)getpid());
	if (mkdir(top, 0700) < 0)
		return 1;
	TEST_RUN(test_store_short);
	TEST_RUN(test_append_nowrite);
	TEST_RUN(test_append_unrecorded);
	TEST_RUN(test_log_tail_cut);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", top);
	TEST_EXIT();
}
