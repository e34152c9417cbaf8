/*
 * test_maildir.c - unit tests for maildir delivery and name parsing.
 *
 * Delivers into a fresh maildir under /tmp (removed at the end), checks the
 * new/ name's sizes against the file, that tmp/ is empty, and parses names,
 * good and bad, including every split of a name (parse of the two halves
 * joined must equal the parse of the whole).
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "maildir.h"

static char tmpdir[256];

struct feed {
	const char *chunks[4];
	int i;
	int fail_at;
};

/* Content callback over a fixed list of chunks. */
static int
next_chunk(void *ctx, const char **p_r, size_t *n_r)
{
	struct feed *f = ctx;

	if (f->i == f->fail_at)
		return -1;
	if (f->chunks[f->i] == NULL)
		return 0;
	*p_r = f->chunks[f->i];
	*n_r = strlen(f->chunks[f->i]);
	f->i++;
	return 1;
}

/* Number of entries in dir (without . and ..). */
static int
count_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	if (d != NULL)
		closedir(d);
	return d == NULL ? -1 : n;
}

/* Create, deliver, and check the name and the file. */
static void
test_deliver(void)
{
	char md[300], path[700], *name = NULL;
	const char *err = NULL, *pre = "Return-Path: <a@b>\nDelivered-To: c@d\n";
	struct feed f = { { "Subject: x\n\n", "line1\nline2\n", "tail", NULL }, 0, -1 };
	struct maildir_name_info info;
	struct stat st;

	snprintf(md, sizeof(md), "%s/deep/Maildir", tmpdir);
	CHECK(maildir_create(md, &err) == 0);
	CHECK(maildir_create(md, &err) == 0);
	CHECK(maildir_deliver(md, pre, strlen(pre), next_chunk, &f, 1, &name,
	    &err) == 0);
	CHECK(name != NULL);
	if (name == NULL)
		return;
	CHECK(maildir_parse_name(name, &info) == 0);
	snprintf(path, sizeof(path), "%s/new/%s", md, name);
	CHECK(stat(path, &st) == 0 && st.st_size == info.size);
	CHECK(info.size == (long long)(strlen(pre) + 12 + 12 + 4));
	CHECK(info.vsize == info.size + 2 + 2 + 2);
	CHECK(info.flags[0] == '\0');
	CHECK(strncmp(name + info.base_len, ",S=", 3) == 0);
	CHECK(strstr(name, maildir_hostname()) != NULL);
	snprintf(path, sizeof(path), "%s/tmp", md);
	CHECK(count_dir(path) == 0);
	free(name);
	f.i = 0;
	f.fail_at = 1;
	CHECK(maildir_deliver(md, "", 0, next_chunk, &f, 0, &name, &err) == -1);
	CHECK(name == NULL && err != NULL);
	CHECK(count_dir(path) == 0);
	snprintf(path, sizeof(path), "%s/new", md);
	CHECK(count_dir(path) == 1);
	CHECK(maildir_deliver("/nonexistent/md", "", 0, next_chunk, &f, 0,
	    &name, &err) == -1);
}

/* The host part never holds '/' or ':'. */
static void
test_hostname(void)
{
	const char *h = maildir_hostname();

	CHECK(h[0] != '\0');
	CHECK(strchr(h, '/') == NULL && strchr(h, ':') == NULL);
	CHECK(strchr(h, ',') == NULL);
}

/* Good and bad names. */
static void
test_parse(void)
{
	struct maildir_name_info i;

	CHECK(maildir_parse_name("1700000000.V801I1a2bM000123.host,S=1234,W=1260:2,FS", &i) == 0);
	CHECK(i.size == 1234 && i.vsize == 1260 && strcmp(i.flags, "FS") == 0);
	CHECK(i.base_len == strlen("1700000000.V801I1a2bM000123.host"));
	CHECK(maildir_parse_name("123.abc", &i) == 0);
	CHECK(i.size == -1 && i.vsize == -1 && i.base_len == 7 && i.flags[0] == 0);
	CHECK(maildir_parse_name("123.abc:2,", &i) == 0 && i.flags[0] == 0);
	CHECK(maildir_parse_name("123.abc,W=5,S=4,X=zz", &i) == 0);
	CHECK(i.size == 4 && i.vsize == 5);
	CHECK(maildir_parse_name("", &i) == -1);
	CHECK(maildir_parse_name(".hidden", &i) == -1);
	CHECK(maildir_parse_name(",S=1", &i) == -1);
	CHECK(maildir_parse_name("a/b", &i) == -1);
	CHECK(maildir_parse_name("1.x,S=", &i) == -1);
	CHECK(maildir_parse_name("1.x,S=12a", &i) == -1);
	CHECK(maildir_parse_name("1.x,S=99999999999999999999", &i) == -1);
	CHECK(maildir_parse_name("1.x:1,abc", &i) == -1);
	CHECK(maildir_parse_name("1.x:2,ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh", &i) == -1);
}

/* Split-feed: the joined halves parse like the whole. */
static int
split_name(const char *a, size_t alen, const char *b, size_t blen, void *ctx)
{
	struct maildir_name_info x, y;
	char buf[256];
	int rx, ry;

	(void)ctx;
	snprintf(buf, sizeof(buf), "%.*s%.*s", (int)alen, a, (int)blen, b);
	rx = maildir_parse_name(buf, &x);
	ry = maildir_parse_name("1700000000.V801I1a2bM000123.host,S=1234,W=1260:2,RS", &y);
	return !(rx == ry && x.size == y.size && x.vsize == y.vsize &&
	    x.base_len == y.base_len && strcmp(x.flags, y.flags) == 0);
}

/* The name parser fed its input split at every byte. */
static void
test_parse_split(void)
{
	const char *n = "1700000000.V801I1a2bM000123.host,S=1234,W=1260:2,RS";

	CHECK(test_split_feed(n, strlen(n), split_name, NULL) == 0);
}

/* Make the scratch directory and run the tests. */
int
main(void)
{
	char cmd[300];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_maildir.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	TEST_RUN(test_deliver);
	TEST_RUN(test_hostname);
	TEST_RUN(test_parse);
	TEST_RUN(test_parse_split);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return 1;
	TEST_EXIT();
}
