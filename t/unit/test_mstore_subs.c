/*
 * test_mstore_subs.c - unit tests for the subscriptions file of the IMAP
 * mail store (imapd/mstore_folders.c) as the login path uses it: every
 * login calls mstore_make_defaults, which makes and subscribes INBOX and
 * the default folders for a new user only; when nothing changes the file
 * must not be rewritten (no rename, no fsync per login), a real change
 * still is, and what the user deleted or unsubscribed stays so.  "Rewritten"
 * is seen as a new inode (the file is replaced by rename).
 * Works under a fresh directory in /tmp, removed at the end.
 */
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "log.h"
#include "../../imapd/mstore.h"

static char top[256];

/* Inode of root/subscriptions, 0 when it is missing. */
static ino_t
subs_ino(const char *root)
{
	char p[400];
	struct stat st;

	snprintf(p, sizeof(p), "%s/subscriptions", root);
	return stat(p, &st) == 0 ? st.st_ino : 0;
}

/* Whether name is subscribed. */
static int
subscribed(const char *root, const char *name)
{
	char **subs;
	size_t n;
	const char *err;
	int found = 0;

	if (mstore_subscriptions(root, &subs, &n, &err) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		found |= strcmp(subs[i], name) == 0;
	mstore_names_free(&subs, n);
	return found;
}

/* A second login's defaults leave the file alone. */
static void
test_defaults_twice(void)
{
	const char *err = NULL;
	char root[300];
	ino_t ino;

	snprintf(root, sizeof(root), "%s/twice", top);
	CHECK(mstore_make_defaults(root, &err) == 0);
	CHECK((ino = subs_ino(root)) != 0);
	CHECK(subscribed(root, "INBOX") == 1);
	CHECK(subscribed(root, "Trash") == 1);
	CHECK(mstore_make_defaults(root, &err) == 0);
	CHECK(subs_ino(root) == ino);
	CHECK(mstore_subscribe(root, "Sent", 1, &err) == 0);
	CHECK(subs_ino(root) == ino);
}

/* The defaults are made once: what the user deletes or unsubscribes
 * afterwards stays so at later logins. */
static void
test_defaults_once(void)
{
	const char *err = NULL;
	char root[300];

	snprintf(root, sizeof(root), "%s/once", top);
	CHECK(mstore_make_defaults(root, &err) == 0);
	CHECK(mstore_delete(root, "Junk", &err) == 0);
	CHECK(mstore_subscribe(root, "Trash", 0, &err) == 0);
	CHECK(mstore_make_defaults(root, &err) == 0);
	CHECK(subscribed(root, "Trash") == 0);
	CHECK(mstore_create(root, "Junk", 0, &err) == 0);	/* it was gone */
}

/* Real changes are still written; repeating one is not. */
static void
test_changes_written(void)
{
	const char *err = NULL;
	char root[300];
	ino_t ino;

	snprintf(root, sizeof(root), "%s/change", top);
	CHECK(mstore_make_defaults(root, &err) == 0);
	ino = subs_ino(root);
	CHECK(mstore_subscribe(root, "Junk", 0, &err) == 0);
	CHECK(subscribed(root, "Junk") == 0);
	CHECK(subs_ino(root) != ino);
	ino = subs_ino(root);
	CHECK(mstore_subscribe(root, "Junk", 0, &err) == 0);
	CHECK(subs_ino(root) == ino);
	CHECK(mstore_subscribe(root, "Work", 1, &err) == 0);
	CHECK(subscribed(root, "Work") == 1);
	CHECK(subs_ino(root) != ino);
	CHECK(subscribed(root, "Drafts") == 1);
}

int
main(void)
{
	char cmd[300];

	snprintf(top, sizeof(top), "/tmp/test_mstore_subs.%ld", (long)getpid());
	if (mkdir(top, 0700) < 0)
		return 1;
	log_init("test_mstore_subs", 0);
	log_set_file("/dev/null");
	TEST_RUN(test_defaults_twice);
	TEST_RUN(test_changes_written);
	TEST_RUN(test_defaults_once);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		return 1;
	TEST_EXIT();
}
