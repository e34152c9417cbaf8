/*
 * harness.h - the tiny unit-test harness.  Each t/unit/test_<module>.c has a
 * main() that calls TEST_RUN(fn) for each test function; a test uses
 * CHECK(cond) and may call CHECK several times.  Output: one line per test,
 * "PASS: unit/<file>: <test>" or "FAIL: unit/<file>: <test> (<file>:<line>:
 * <cond>)"; t/run.sh counts these lines.  Exit status is 1 if any failed.
 * REQUIRE(cond) is CHECK(cond) that also returns from the (void) test
 * function when cond is false: for what the rest of the test builds on
 * (a pointer it dereferences, a descriptor it uses), so a failed setup is
 * reported as a FAIL instead of crashing the test program.
 *
 * For parsers, test_split_feed(input, len, fn, ctx) calls fn once for every
 * split position (0..len), so each parser is also fed its input in two
 * pieces at every byte; fn returns 0 when the result matched.
 */
#ifndef PETREL_HARNESS_H
#define PETREL_HARNESS_H

#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static int harness_failed_total;
static int harness_cur_failed;
static const char *harness_cur_name;

#define CHECK(cond) do { \
	if (!(cond)) \
		harness_fail(__FILE__, __LINE__, #cond); \
} while (0)

#define REQUIRE(cond) do { \
	if (!(cond)) { \
		harness_fail(__FILE__, __LINE__, #cond); \
		return; \
	} \
} while (0)

static inline const char *
harness_file(const char *path)
{
	const char *s = strrchr(path, '/');
	return s != NULL ? s + 1 : path;
}

/* Record a failed check; the first failure of a test is printed. */
static inline void
harness_fail(const char *file, int line, const char *cond)
{
	if (!harness_cur_failed)
		printf("FAIL: unit/%s: %s (%s:%d: %s)\n", harness_file(file),
		    harness_cur_name, file, line, cond);
	harness_cur_failed = 1;
}

#define TEST_RUN(fn) do { \
	harness_cur_name = #fn; \
	harness_cur_failed = 0; \
	fn(); \
	if (!harness_cur_failed) \
		printf("PASS: unit/%s: %s\n", harness_file(__FILE__), #fn); \
	else \
		harness_failed_total++; \
	fflush(stdout); \
} while (0)

#define TEST_EXIT() return harness_failed_total ? 1 : 0

typedef int (*harness_split_fn)(const char *a, size_t alen, const char *b,
    size_t blen, void *ctx);

/* Feed (a, b) split at every position; returns the number of mismatches. */
static inline int
test_split_feed(const char *input, size_t len, harness_split_fn fn, void *ctx)
{
	int bad = 0;
	for (size_t i = 0; i <= len; i++)
		if (fn(input, i, input + i, len - i, ctx) != 0)
			bad++;
	return bad;
}

#endif
