/*
 * test_resolve.c - unit tests for common/resolve.c with a temporary
 * configuration: address classes, local aliases and system users,
 * extensions, virtual aliases (exact and "@domain" catch-all), virtual
 * mailboxes (maildir paths, mbox and ".." refused), postmaster fallback.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>

#include "harness.h"
#include "config.h"
#include "log.h"
#include "maps.h"
#include "resolve.h"

static char dir[64];
static struct resolver *r;

/* Write dir/name. */
static void
put(const char *name, const char *content)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) != NULL) {
		fputs(content, fp);
		fclose(fp);
	}
}

/* Write the configuration and maps, load, build, open the resolver. */
static int
setup(void)
{
	char conf[1024], path[128];
	const char *err = NULL;

	snprintf(conf, sizeof(conf),
	    "config_directory = %s\n"
	    "mydestination = local.test, localhost\n"
	    "virtual_mailbox_domains = Example.TEST\n"
	    "relay_domains = relay.test\n"
	    "alias_maps = hash:$config_directory/aliases\n"
	    "virtual_alias_maps = texthash:$config_directory/valias\n"
	    "virtual_mailbox_maps = hash:$config_directory/vmailbox\n"
	    "virtual_mailbox_base = /var/mail/vhosts/\n"
	    "vmail_user = nobody\n"
	    "recipient_delimiter = +\n"
	    "home_mailbox = Maildir/\n", dir);
	put("petrel.conf", conf);
	put("aliases", "list: a@x.test,\n  b\nabuse: root\n");
	put("valias", "info@example.test sales@example.test\n"
	    "@catch.test catchall@example.test\n");
	put("vmailbox", "demo@example.test example.test/demo/\n"
	    "mbox@example.test example.test/mbox\n"
	    "evil@example.test ../../etc/\n");
	snprintf(path, sizeof(path), "%s/petrel.conf", dir);
	if (config_load(path, &err) < 0) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	snprintf(path, sizeof(path), "hash:%s/aliases", dir);
	if (map_build(path, NULL, MAP_BUILD_ALIASES, &err) < 0)
		return -1;
	snprintf(path, sizeof(path), "hash:%s/vmailbox", dir);
	if (map_build(path, NULL, 0, &err) < 0)
		return -1;
	r = resolver_new(&err);
	if (r == NULL)
		fprintf(stderr, "resolver: %s\n", err);
	return r != NULL ? 0 : -1;
}

static void
test_classes(void)
{
	CHECK(resolve_class(r, "x@local.test") == RESOLVE_LOCAL);
	CHECK(resolve_class(r, "x@LOCAL.Test.") == RESOLVE_LOCAL);
	CHECK(resolve_class(r, "x@localhost") == RESOLVE_LOCAL);
	CHECK(resolve_class(r, "x") == RESOLVE_LOCAL);
	CHECK(resolve_class(r, "x@example.test") == RESOLVE_VIRTUAL);
	CHECK(resolve_class(r, "x@relay.test") == RESOLVE_RELAY);
	CHECK(resolve_class(r, "x@other.test") == RESOLVE_REMOTE);
	CHECK(resolve_class(r, "x@sub.local.test") == RESOLVE_REMOTE);
	CHECK(resolve_class(r, "a@b@example.test") == RESOLVE_VIRTUAL);
}

/* resolve_exists as a plain int. */
static int
ex(const char *addr)
{
	const char *err = NULL;

	return resolve_exists(r, addr, &err);
}

static void
test_exists(void)
{
	CHECK(ex("nobody@local.test") == 1);
	CHECK(ex("NoBody@local.test") == 1);
	CHECK(ex("nobody+ext@localhost") == 1);
	CHECK(ex("no-such-user-xyz@local.test") == 0);
	CHECK(ex("list@local.test") == 1);
	CHECK(ex("list+foo@local.test") == 1);
	CHECK(ex("Postmaster@local.test") == 1);
	CHECK(ex("demo@example.test") == 1);
	CHECK(ex("DEMO+x@Example.Test") == 1);
	CHECK(ex("ghost@example.test") == 0);
	CHECK(ex("nobody@example.test") == 0);
	CHECK(ex("postmaster@example.test") == 1);
	CHECK(ex("info@example.test") == 1);
	CHECK(ex("anyone@catch.test") == 1);
	CHECK(ex("x@relay.test") == 1);
	CHECK(ex("x@other.test") == 1);
}

static void
test_mailbox(void)
{
	struct resolve_mailbox mb;
	struct passwd *pw = getpwnam("nobody");
	const char *err = NULL;
	char want[256];

	CHECK(resolve_mailbox(r, "demo+tag@example.test", &mb, &err) == 1);
	CHECK(!mb.is_alias && mb.maildir != NULL &&
	    strcmp(mb.maildir, "/var/mail/vhosts/example.test/demo/") == 0);
	CHECK(pw != NULL && mb.uid == pw->pw_uid && mb.gid == pw->pw_gid);
	CHECK(mb.user != NULL && strcmp(mb.user, "demo@example.test") == 0);
	resolve_mailbox_clear(&mb);
	CHECK(mb.maildir == NULL);
	CHECK(resolve_mailbox(r, "mbox@example.test", &mb, &err) == -1);
	CHECK(err != NULL && strstr(err, "maildir") != NULL);
	CHECK(resolve_mailbox(r, "evil@example.test", &mb, &err) == -1);
	CHECK(resolve_mailbox(r, "list@local.test", &mb, &err) == 1);
	CHECK(mb.is_alias && strcmp(mb.expansion, "a@x.test, b") == 0);
	resolve_mailbox_clear(&mb);
	CHECK(resolve_mailbox(r, "info@example.test", &mb, &err) == 1);
	CHECK(mb.is_alias && strcmp(mb.expansion, "sales@example.test") == 0);
	resolve_mailbox_clear(&mb);
	CHECK(resolve_mailbox(r, "x@catch.test", &mb, &err) == 1);
	CHECK(mb.is_alias && strcmp(mb.expansion, "catchall@example.test") == 0);
	resolve_mailbox_clear(&mb);
	CHECK(resolve_mailbox(r, "nobody+x@local.test", &mb, &err) == 1);
	snprintf(want, sizeof(want), "%s/Maildir/", pw ? pw->pw_dir : "");
	CHECK(!mb.is_alias && strcmp(mb.maildir, want) == 0);
	resolve_mailbox_clear(&mb);
	CHECK(resolve_mailbox(r, "postmaster@example.test", &mb, &err) == 1);
	CHECK(!mb.is_alias && mb.uid == 0);
	resolve_mailbox_clear(&mb);
	CHECK(resolve_mailbox(r, "ghost@example.test", &mb, &err) == 0);
	CHECK(resolve_mailbox(r, "x@other.test", &mb, &err) == 0);
	CHECK(resolve_mailbox(r, "no-such-user-xyz@local.test", &mb, &err) == 0);
}

int
main(void)
{
	char cmd[128];
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/petrel-resolve-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	log_init("test_resolve", 1);
	rc = setup();
	if (rc == 0) {
		TEST_RUN(test_classes);
		TEST_RUN(test_exists);
		TEST_RUN(test_mailbox);
		resolver_free(&r);
	} else
		printf("FAIL: unit/test_resolve.c: setup\n");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	if (rc != 0)
		return 1;
	TEST_EXIT();
}
