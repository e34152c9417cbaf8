/*
 * mstore_tool.c - a small driver of the IMAP mail store (imapd/mstore.h) for
 * interop tests and benchmarks, until petrel-imapd itself drives it.
 *
 *   mstore_tool dump ROOT FOLDER   open read-only and print
 *                                  "UIDVALIDITY n", "UIDNEXT n",
 *                                  "HIGHESTMODSEQ n", "KEYWORD i name" and one
 *                                  "MSG uid flags=\Seen,... kw=name,..." line
 *                                  per message (flags and keywords sorted)
 *   mstore_tool list ROOT          "FOLDER name attrs" lines
 *   mstore_tool bench DIR N        make a folder of N messages (cur/ files
 *                                  named like deliveries, with ,W=) and print
 *                                  the time of the first open, a warm
 *                                  SELECT + FLAGS of all, an idle sync, a
 *                                  STORE on one message and the sync after
 * Exit status 0, or 1 with a message on standard error.
 * Security: a test tool; runs as the caller on the paths given.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "../../imapd/mstore.h"

/* Print one message line. */
static void
dump_msg(const struct mstore_box *box, const struct mstore_msg *m)
{
	static const char *fl[] = { "\\Seen", "\\Answered", "\\Flagged",
	    "\\Deleted", "\\Draft" };
	static const int order[] = { 1, 3, 4, 2, 0 };	/* sorted by name */
	const char *sep = "";

	printf("MSG %u flags=", m->uid);
	for (int i = 0; i < 5; i++)
		if (m->flags & (1u << order[i])) {
			printf("%s%s", sep, fl[order[i]]);
			sep = ",";
		}
	printf(" kw=");
	sep = "";
	for (size_t i = 0; i < 26; i++)
		if ((m->kw & (1u << i)) && mstore_keyword_name(box, i) != NULL) {
			printf("%s%s", sep, mstore_keyword_name(box, i));
			sep = ",";
		}
	printf(" size=%llu\n", (unsigned long long)m->vsize);
}

/* dump ROOT FOLDER */
static int
cmd_dump(const char *root, const char *name)
{
	struct mstore_box *box;
	const char *err;

	if (mstore_open(root, name, 0, &box, &err) < 0) {
		fprintf(stderr, "mstore_tool: %s: %s\n", name, err);
		return 1;
	}
	printf("UIDVALIDITY %u\nUIDNEXT %u\nHIGHESTMODSEQ %llu\n",
	    mstore_uidvalidity(box), mstore_uidnext(box),
	    (unsigned long long)mstore_highestmodseq(box));
	for (size_t i = 0; i < mstore_keyword_count(box); i++)
		if (mstore_keyword_name(box, i) != NULL)
			printf("KEYWORD %zu %s\n", i, mstore_keyword_name(box, i));
	for (size_t i = 0; i < mstore_count(box); i++)
		dump_msg(box, mstore_msg(box, i));
	mstore_close(&box);
	return 0;
}

/* list ROOT */
static int
cmd_list(const char *root)
{
	struct mstore_folder *l;
	size_t n;
	const char *err;

	if (mstore_list(root, &l, &n, &err) < 0) {
		fprintf(stderr, "mstore_tool: %s\n", err);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		printf("FOLDER %s %#x\n", l[i].name, l[i].attrs);
	mstore_list_free(&l, n);
	return 0;
}

/* Milliseconds since t0. */
static double
ms_since(const struct timeval *t0)
{
	struct timeval t;

	gettimeofday(&t, NULL);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t.tv_usec - t0->tv_usec) / 1e3;
}

/* Create n empty message files named like deliveries in dir/cur. */
static int
bench_fill(const char *dir, unsigned long n)
{
	char p[4096];
	const char *err;

	if (maildir_create(dir, &err) < 0) {
		fprintf(stderr, "mstore_tool: %s\n", err);
		return -1;
	}
	for (unsigned long i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/cur/%lu.V801I%lxM%06lu.bench,S=2000,"
		    "W=2040:2,%s", dir, 1600000000 + i / 10, i, (i % 10) * 1000,
		    i % 3 ? "S" : "");
		int fd = open(p, O_CREAT | O_WRONLY, 0600);
		if (fd < 0)
			return -1;
		close(fd);
	}
	return 0;
}

/* bench DIR N */
static int
cmd_bench(const char *dir, unsigned long n)
{
	struct mstore_box *box;
	struct mstore_changes ch;
	struct timeval t0;
	const char *err;
	unsigned long seen = 0;
	uint32_t uid = 1, *fl;
	size_t nf;

	if (bench_fill(dir, n) < 0)
		return 1;
	gettimeofday(&t0, NULL);
	if (mstore_open(dir, "INBOX", MSTORE_RDWR, &box, &err) < 0)
		return 1;
	printf("mstore: first open of %lu messages: %.1f ms\n", n, ms_since(&t0));
	mstore_close(&box);
	sleep(1);
	if (mstore_open(dir, "INBOX", 0, &box, &err) < 0)
		return 1;
	mstore_close(&box);
	gettimeofday(&t0, NULL);
	if (mstore_open(dir, "INBOX", MSTORE_RDWR, &box, &err) < 0)
		return 1;
	for (size_t i = 0; i < mstore_count(box); i++)
		seen += (mstore_msg(box, i)->flags & MSTORE_F_SEEN) != 0;
	printf("mstore: warm SELECT + UID FETCH 1:* (FLAGS): %.1f ms (%lu seen)\n",
	    ms_since(&t0), seen);
	gettimeofday(&t0, NULL);
	if (mstore_sync(box, &ch, &err) < 0)
		return 1;
	mstore_changes_free(&ch);
	printf("mstore: idle sync: %.3f ms\n", ms_since(&t0));
	gettimeofday(&t0, NULL);
	if (mstore_store(box, &uid, 1, MSTORE_ADD, MSTORE_F_FLAGGED, NULL, 0, 0,
	    &fl, &nf, &err) < 0 || mstore_sync(box, &ch, &err) < 0)
		return 1;
	printf("mstore: STORE one + sync: %.1f ms (%zu changed)\n",
	    ms_since(&t0), ch.n_changed);
	mstore_changes_free(&ch);
	mstore_close(&box);
	return 0;
}

int
main(int argc, char **argv)
{
	log_init("mstore_tool", 1);
	if (argc == 4 && strcmp(argv[1], "dump") == 0)
		return cmd_dump(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "list") == 0)
		return cmd_list(argv[2]);
	if (argc == 4 && strcmp(argv[1], "bench") == 0)
		return cmd_bench(argv[2], strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: mstore_tool dump ROOT FOLDER | list ROOT | "
	    "bench DIR N\n");
	return 1;
}
