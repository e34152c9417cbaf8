/*
 * test_mstore_conc.c - the mail store under concurrency and crashes.
 *
 * test_concurrent: forked processes work on one INBOX at once - two
 * deliverers (maildir_deliver, no lock), two IMAP sessions (sync, read
 * messages by UID, STORE flags, \Deleted on "deletable" messages only,
 * EXPUNGE) and a POP3-like process that renames files behind the store's
 * back (new/ -> cur/, flag letters toggled).  Every process logs the
 * "uid base" pairs it saw.  Then: no UID ever named two messages, no
 * message got two UIDs, no non-deletable message was lost or duplicated,
 * the index equals the maildir (names, flags), and a rebuild from the
 * maildir and the UID map gives the same UIDs.
 * (Changes made within one mtime tick of a scan or of our own change are
 * seen after MSTORE_MTIME_SLACK, so the checks wait that long.)
 * test_sigkill: a writer (APPEND, STORE, EXPUNGE, sync) is killed with
 * SIGKILL at random points while a deliverer runs; after each kill the
 * folder reopens with the same invariants.
 * Works under a fresh directory in /tmp, removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "alloc.h"
#include "log.h"
#include "../../imapd/mstore.h"

#define NDELIVER 120
#define SEEN_MAX 200000

static char top[256];
static char seen_dir[300];	/* where processes log "uid base" */

struct onemsg {
	char text[128];
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

/* Deliver n messages "id=<who>-<i>" with small pauses. */
static void
deliverer(const char *root, int who, int n)
{
	for (int i = 0; i < n; i++) {
		struct onemsg m = { "", 0 };
		char *name;
		const char *err;

		snprintf(m.text, sizeof(m.text), "Subject: t\n\nid=%d-%d\n", who, i);
		if (maildir_deliver(root, NULL, 0, next_one, &m, 0, &name,
		    &err) < 0)
			_exit(2);
		free(name);
		usleep((useconds_t)(rand() % 3000));
	}
}

/* The id number i of a message file's content, or -1. */
static int
msg_index(int fd)
{
	char b[256];
	ssize_t r = pread(fd, b, sizeof(b) - 1, 0);
	const char *p, *dash;

	if (r <= 0)
		return -1;
	b[r] = '\0';
	if ((p = strstr(b, "id=")) == NULL || (dash = strchr(p, '-')) == NULL)
		return -1;
	return (int)strtol(dash + 1, NULL, 10);
}

/* Append "uid base" lines of the view to the process's log. */
static void
log_view(struct mstore_box *box, FILE *f)
{
	for (size_t i = 0; i < mstore_count(box); i++) {
		const struct mstore_msg *m = mstore_msg(box, i);
		const char *n = mstore_msg_name(box, m);

		fprintf(f, "%u %.*s\n", m->uid, (int)strcspn(n, ":"), n);
	}
	fflush(f);
}

/* One IMAP session's work for rounds rounds. */
static void
imap_session(const char *root, int who, int rounds)
{
	struct mstore_box *box;
	struct mstore_changes ch;
	const char *err;
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/seen.%d", seen_dir, who);
	if ((f = fopen(p, "a")) == NULL ||
	    mstore_open(root, "INBOX", MSTORE_RDWR, &box, &err) < 0)
		_exit(3);
	for (int r = 0; r < rounds; r++) {
		if (mstore_sync(box, &ch, &err) < 0)
			_exit(4);
		mstore_changes_free(&ch);
		log_view(box, f);
		size_t n = mstore_count(box);
		for (int k = 0; k < 4 && n > 0; k++) {
			uint32_t uid = mstore_msg(box, (size_t)rand() % n)->uid, *fl;
			size_t nf;
			int fd, idx = -1;
			unsigned flag = MSTORE_F_SEEN;

			if (mstore_open_msg(box, uid, &fd, &err) == 0) {
				idx = msg_index(fd);
				close(fd);
			}
			if (idx >= 0 && idx % 3 == 0)
				flag = MSTORE_F_DELETED;
			else if (rand() % 2)
				flag = MSTORE_F_FLAGGED;
			if (mstore_store(box, &uid, 1, rand() % 3 ? MSTORE_ADD :
			    MSTORE_REMOVE, flag, NULL, 0, 0, &fl, &nf, &err) < 0)
				_exit(5);
		}
		if (r % 5 == 4 && mstore_expunge(box, NULL, 0, &err) < 0)
			_exit(6);
		usleep((useconds_t)(rand() % 2000));
	}
	mstore_close(&box);
	fclose(f);
}

/* Rename files behind the store's back as a POP3 server would. */
static void
pop3_like(const char *root, int rounds)
{
	char dir[512], from[1024], to[1024];

	for (int r = 0; r < rounds; r++) {
		for (int sub = 0; sub < 2; sub++) {
			snprintf(dir, sizeof(dir), "%s/%s", root, sub ? "cur" : "new");
			DIR *d = opendir(dir);
			struct dirent *de;

			while (d != NULL && (de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.' || rand() % 4 != 0)
					continue;
				snprintf(from, sizeof(from), "%s/%s", dir, de->d_name);
				if (sub == 0)
					snprintf(to, sizeof(to), "%s/cur/%s:2,S", root,
					    de->d_name);
				else if (strstr(de->d_name, ":2,F") != NULL)
					snprintf(to, sizeof(to), "%s/%.*s:2,%s", dir,
					    (int)strcspn(de->d_name, ":"), de->d_name,
					    strstr(de->d_name, ":2,F") + 4);
				else
					continue;
				(void)rename(from, to);
			}
			if (d != NULL)
				closedir(d);
		}
		usleep(3000);
	}
}

struct pair {
	uint32_t uid;
	char base[96];
};

/* Order pairs by uid, then base. */
static int
pair_cmp_uid(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return strcmp(x->base, y->base);
}

/* Order pairs by base, then uid. */
static int
pair_cmp_base(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->base, y->base);

	return c != 0 ? c : pair_cmp_uid(a, b);
}

/* Read every seen.* log; 0 when no UID names two bases and no base two
 * UIDs. */
static int
check_seen_logs(void)
{
	struct pair *v = xcalloc(SEEN_MAX, sizeof(*v));
	size_t n = 0;
	char p[512];
	int bad = 0;
	DIR *d = opendir(seen_dir);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "seen.", 5) != 0)
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%.40s", seen_dir,
		    de->d_name) >= sizeof(p))
			continue;
		FILE *f = fopen(p, "r");
		while (f != NULL && n < SEEN_MAX &&
		    // NOLINTNEXTLINE(cert-err34-c): the test's own "uid name" lines
		    fscanf(f, "%u %95s", &v[n].uid, v[n].base) == 2)
			n++;
		if (f != NULL)
			fclose(f);
	}
	if (d != NULL)
		closedir(d);
	qsort(v, n, sizeof(*v), pair_cmp_uid);
	for (size_t i = 1; i < n; i++)
		if (v[i].uid == v[i - 1].uid &&
		    strcmp(v[i].base, v[i - 1].base) != 0)
			bad++;
	qsort(v, n, sizeof(*v), pair_cmp_base);
	for (size_t i = 1; i < n; i++)
		if (v[i].uid != v[i - 1].uid && !strcmp(v[i].base, v[i - 1].base))
			bad++;
	if (bad)
		printf("# %d UID conflicts among %zu observations\n", bad, n);
	free(v);
	return bad;
}

/* Index == maildir: every file once in the view with its flags. */
static int
check_index(const char *root, struct mstore_box *box)
{
	int files = 0, bad = 0;
	char dir[512];

	for (int sub = 0; sub < 2; sub++) {
		snprintf(dir, sizeof(dir), "%s/%s", root, sub ? "cur" : "new");
		DIR *d = opendir(dir);
		struct dirent *de;

		while (d != NULL && (de = readdir(d)) != NULL)
			files += de->d_name[0] != '.';
		if (d != NULL)
			closedir(d);
	}
	for (size_t i = 0; i < mstore_count(box); i++) {
		const struct mstore_msg *m = mstore_msg(box, i);
		const char *name = mstore_msg_name(box, m);
		struct stat st;
		unsigned fl = 0;
		const char *c = strstr(name, ":2,");

		snprintf(dir, sizeof(dir), "%s/%s/%s", root,
		    (m->flags & MSTORE_F_NEWDIR) ? "new" : "cur", name);
		for (; c != NULL && *c != '\0'; c++)
			fl |= *c == 'S' ? MSTORE_F_SEEN : *c == 'F' ?
			    MSTORE_F_FLAGGED : *c == 'T' ? MSTORE_F_DELETED : 0;
		if (stat(dir, &st) < 0 || fl != (m->flags & MSTORE_F_ALL))
			bad++;
	}
	if ((size_t)files != mstore_count(box) || bad)
		printf("# index: %zu records, %d files, %d mismatches\n",
		    mstore_count(box), files, bad);
	return (size_t)files != mstore_count(box) || bad;
}

/* No non-deletable message lost, none duplicated. */
static int
check_messages(struct mstore_box *box, int nwho, int n)
{
	char *have = xcalloc((size_t)nwho * (size_t)n, 1);
	int bad = 0;

	for (size_t i = 0; i < mstore_count(box); i++) {
		int fd, who = -1, idx;
		const char *err;
		char b[256];

		if (mstore_open_msg(box, mstore_msg(box, i)->uid, &fd, &err) < 0) {
			bad++;
			continue;
		}
		ssize_t r = pread(fd, b, sizeof(b) - 1, 0);
		b[r > 0 ? r : 0] = '\0';
		close(fd);
		char *p = strstr(b, "id=");
		// NOLINTNEXTLINE(cert-err34-c): a bad id fails the range checks
		if (p == NULL || sscanf(p, "id=%d-%d", &who, &idx) != 2 ||
		    who < 0 || who >= nwho || idx < 0 || idx >= n ||
		    have[who * n + idx]++) {
			bad++;
		}
	}
	for (int k = 0; k < nwho * n; k++)
		if (!have[k] && (k % n) % 3 != 0)
			bad++;
	if (bad)
		printf("# messages: %d lost or duplicated\n", bad);
	free(have);
	return bad;
}

/* Open, check the index against the maildir, rebuild, compare UIDs. */
static int
check_folder(const char *root, int nwho, int n)
{
	struct mstore_box *a, *b;
	const char *err;
	char cmd[600];
	int bad = 0;

	if (mstore_open(root, "INBOX", MSTORE_RDWR, &a, &err) < 0) {
		printf("# open: %s\n", err);
		return 1;
	}
	printf("# %s: %zu messages, UIDNEXT %u\n", root, mstore_count(a),
	    mstore_uidnext(a));
	bad += check_index(root, a);
	if (nwho > 0)
		bad += check_messages(a, nwho, n);
	snprintf(cmd, sizeof(cmd), "rm -f %s/petrel-index*", root);
	if (system(cmd) != 0 || mstore_open(root, "INBOX", 0, &b, &err) < 0)
		return bad + 1;
	bad += mstore_count(a) != mstore_count(b);
	for (size_t i = 0; i < mstore_count(a) && i < mstore_count(b); i++)
		bad += mstore_msg(a, i)->uid != mstore_msg(b, i)->uid;
	bad += mstore_uidvalidity(a) != mstore_uidvalidity(b);
	mstore_close(&a);
	mstore_close(&b);
	return bad;
}

/* Wait for every child; the number that failed. */
static int
wait_all(void)
{
	int st, bad = 0;

	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	return bad;
}

/* Deliveries, two sessions and a POP3-like renamer at once. */
static void
test_concurrent(void)
{
	char root[300];
	const char *err;

	snprintf(root, sizeof(root), "%s/conc", top);
	snprintf(seen_dir, sizeof(seen_dir), "%s/conc-seen", top);
	CHECK(maildir_create(root, &err) == 0 && mkdir(seen_dir, 0700) == 0);
	for (int p = 0; p < 5; p++) {
		pid_t pid = fork();

		if (pid == 0) {
			srand((unsigned)getpid());
			if (p < 2)
				deliverer(root, p, NDELIVER);
			else if (p < 4)
				imap_session(root, p, 60);
			else
				pop3_like(root, 60);
			_exit(0);
		}
		CHECK(pid > 0);
	}
	CHECK(wait_all() == 0);
	CHECK(check_seen_logs() == 0);
	usleep(1100000);	/* changes in the last mtime tick show after 1 s */
	CHECK(check_folder(root, 2, NDELIVER) == 0);
}

/* A writer doing everything, to be killed. */
static void
writer(const char *root)
{
	struct mstore_box *box;
	struct mstore_changes ch;
	const char *err;
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/seen.w%d", seen_dir, (int)getpid());
	if ((f = fopen(p, "a")) == NULL ||
	    mstore_open(root, "INBOX", MSTORE_RDWR, &box, &err) < 0)
		_exit(3);
	for (int r = 0;; r++) {
		struct onemsg m = { "Subject: w\n\nid=9-0\n", 0 };
		uint32_t uid, *fl;
		size_t nf;

		if (mstore_append(box, next_one, &m, 0, NULL, 0, 0, &uid, &err) < 0 ||
		    mstore_sync(box, &ch, &err) < 0)
			_exit(4);
		mstore_changes_free(&ch);
		log_view(box, f);
		if (mstore_count(box) > 0) {
			uid = mstore_msg(box, (size_t)rand() % mstore_count(box))->uid;
			if (mstore_store(box, &uid, 1, MSTORE_ADD, r % 2 ?
			    MSTORE_F_DELETED : MSTORE_F_SEEN, NULL, 0, 0, &fl, &nf,
			    &err) < 0)
				_exit(5);
		}
		if (r % 3 == 2 && mstore_expunge(box, NULL, 0, &err) < 0)
			_exit(6);
	}
}

/* SIGKILL the writer at random points; the folder must stay sound. */
static void
test_sigkill(void)
{
	char root[300];
	const char *err;
	int bad = 0;

	snprintf(root, sizeof(root), "%s/kill", top);
	snprintf(seen_dir, sizeof(seen_dir), "%s/kill-seen", top);
	CHECK(maildir_create(root, &err) == 0 && mkdir(seen_dir, 0700) == 0);
	srand((unsigned)time(NULL));
	for (int round = 0; round < 6; round++) {
		pid_t d = fork(), w;

		if (d == 0) {
			deliverer(root, 0, 10);
			_exit(0);
		}
		if ((w = fork()) == 0)
			writer(root);
		usleep((useconds_t)(20000 + rand() % 150000));
		CHECK(kill(w, SIGKILL) == 0);
		(void)wait_all();
		usleep(1100000);
		bad += check_folder(root, 0, 0);
	}
	CHECK(bad == 0);
	CHECK(check_seen_logs() == 0);
}

int
main(void)
{
	char cmd[300];

	snprintf(top, sizeof(top), "/tmp/test_mstore_conc.%ld", (long)getpid());
	if (mkdir(top, 0700) < 0)
		return 1;
	log_init("test_mstore_conc", 0);
	log_set_file("/dev/null");
	TEST_RUN(test_concurrent);
	TEST_RUN(test_sigkill);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", top);
	if (getenv("MSTORE_KEEP") == NULL && system(cmd) != 0)
		return 1;
	TEST_EXIT();
}
