/*
 * test_diskspace.c - unit tests for the queue_minfree rule (diskspace.c):
 * the pure need/enough functions at and around their boundaries, a real
 * statvfs, and diskspace_queue_ok against a temporary queue directory
 * with a floor that cannot be met and one that always is.
 */
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "diskspace.h"
#include "harness.h"
#include "params.h"

/* The byte rule: max(minfree, 1.5 limit, minfree + 1.5 SIZE). */
static void
test_need(void)
{
	CHECK(diskspace_need(0, 10240000, -1) == 15360000ULL);
	CHECK(diskspace_need(20000000, 10240000, -1) == 20000000ULL);
	CHECK(diskspace_need(0, 1000, 0) == 1500ULL);
	/* SIZE adds to queue_minfree, with the same 1.5 margin. */
	CHECK(diskspace_need(1000, 1000, 1000) == 2500ULL);
	CHECK(diskspace_need(0, 1000, 999) == 1500ULL);
	/* The largest configurable values do not overflow. */
	CHECK(diskspace_need(LONG_MAX / 4, LONG_MAX / 4, LONG_MAX / 4) ==
	    (unsigned long long)(LONG_MAX / 4) * 5 / 2);
	CHECK(diskspace_need(-5, 0, -1) == 0ULL);
}

/* Bytes and inodes, each exactly at, above and below the floor. */
static void
test_enough(void)
{
	struct diskspace ds = { 1000, 10, 1 };

	CHECK(diskspace_enough(&ds, 1000, 10) == 1);
	CHECK(diskspace_enough(&ds, 1001, 10) == 0);
	CHECK(diskspace_enough(&ds, 1000, 11) == 0);
	CHECK(diskspace_enough(&ds, 0, 0) == 1);
	ds.inodes_known = 0;		/* btrfs and the like: no inode count */
	CHECK(diskspace_enough(&ds, 1000, 1000000) == 1);
	CHECK(diskspace_enough(&ds, 1001, 0) == 0);
}

/* A real filesystem measures; a missing path fails with ENOENT. */
static void
test_get(void)
{
	struct diskspace ds = { 0, 0, 0 };

	CHECK(diskspace_get("/tmp", &ds) == 0);
	CHECK(ds.bytes_free > 0);
	errno = 0;
	CHECK(diskspace_get("/nonexistent/petrel-diskspace", &ds) == -1);
	CHECK(errno == ENOENT);
}

/* The queue rule: a floor above any disk refuses, with a reason; none
 * passes; a SIZE past the free space refuses. */
static void
test_queue_ok(void)
{
	char dir[] = "/tmp/petrel-diskspace-XXXXXX";
	const char *why = "x";

	CHECK(mkdtemp(dir) != NULL);
	var_queue_directory = dir;
	var_message_size_limit = 1024;
	var_queue_minfree = 0;
	var_queue_minfree_inodes = 0;
	CHECK(diskspace_queue_ok(-1, &why) == 1);
	CHECK(why == NULL);
	var_queue_minfree = LONG_MAX / 4;
	CHECK(diskspace_queue_ok(-1, &why) == 0);
	CHECK(why != NULL && strstr(why, "queue_minfree") != NULL);
	var_queue_minfree = 0;
	CHECK(diskspace_queue_ok(LONG_MAX / 4, &why) == 0);
	CHECK(diskspace_queue_ok(100, &why) == 1);
	rmdir(dir);
}

int
main(void)
{
	TEST_RUN(test_need);
	TEST_RUN(test_enough);
	TEST_RUN(test_get);
	TEST_RUN(test_queue_ok);
	TEST_EXIT();
}
