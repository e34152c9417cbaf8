/*
 * test_strutil.c - unit tests for common/strutil.c: checked number parsing
 * (overflow, junk, empty, signs), case-insensitive compares, trim, split.
 */
#include <errno.h>
#include <limits.h>

#include "harness.h"
#include "strutil.h"

/* Parse a C string with str_to_long. */
static int
num(const char *s, long min, long max, long *v)
{
	return str_to_long(s, strlen(s), min, max, v);
}

/* Valid numbers, bounds, overflow, junk and empty input. */
static void
test_to_long(void)
{
	long v = 7;

	CHECK(num("0", 0, 10, &v) == 0 && v == 0);
	CHECK(num("10", 0, 10, &v) == 0 && v == 10);
	CHECK(num("11", 0, 10, &v) == -1 && errno == ERANGE);
	CHECK(num("", 0, 10, &v) == -1 && errno == EINVAL);
	CHECK(num("-", -10, 10, &v) == -1 && errno == EINVAL);
	CHECK(num("-5", 0, 10, &v) == -1);
	CHECK(num("-5", -10, 10, &v) == 0 && v == -5);
	CHECK(num("+5", 0, 10, &v) == -1);
	CHECK(num(" 5", 0, 10, &v) == -1);
	CHECK(num("5 ", 0, 10, &v) == -1);
	CHECK(num("5x", 0, 10, &v) == -1 && errno == EINVAL);
	CHECK(num("0x10", 0, 100, &v) == -1);
	CHECK(num("9223372036854775807", 0, LONG_MAX, &v) == 0 &&
	    v == LONG_MAX);
	CHECK(num("9223372036854775808", 0, LONG_MAX, &v) == -1 &&
	    errno == ERANGE);
	CHECK(num("99999999999999999999999", 0, LONG_MAX, &v) == -1);
	CHECK(num("-9223372036854775808", LONG_MIN, 0, &v) == 0 &&
	    v == LONG_MIN);
	CHECK(num("-9223372036854775809", LONG_MIN, 0, &v) == -1);
	CHECK(num("007", 0, 10, &v) == 0 && v == 7);
	CHECK(str_to_long("123", 2, 0, 100, &v) == 0 && v == 12);
	CHECK(str_to_long("1\0002", 3, 0, 1000, &v) == -1);
}

/* Case-insensitive compare and prefix test on counted strings. */
static void
test_case(void)
{
	char s[] = "HeLLo WORLD";

	CHECK(str_casecmp_n("HELO", 4, "helo") == 0);
	CHECK(str_casecmp_n("HELO", 3, "helo") != 0);
	CHECK(str_casecmp_n("HELOX", 5, "helo") != 0);
	CHECK(str_casecmp_n("", 0, "") == 0);
	CHECK(str_casecmp_n("a\0b", 3, "a") != 0);
	CHECK(str_has_prefix_ci("MAIL FROM:<x>", 13, "mail from:") == 1);
	CHECK(str_has_prefix_ci("MAIL", 4, "mail from:") == 0);
	CHECK(str_has_prefix_ci("x", 1, "") == 1);
	CHECK(strcmp(str_lower(s), "hello world") == 0);
}

/* Trimming and splitting on white space. */
static void
test_trim_split(void)
{
	size_t len = 8;
	const char *t = str_trim(" \tab c\t ", &len), *blank = "   ";
	char line[] = "  one two\tthree  four ";
	char *argv[3];

	CHECK(len == 4 && memcmp(t, "ab c", 4) == 0);
	len = 3;
	t = str_trim(blank, &len);
	CHECK(len == 0 && t >= blank && t <= blank + 3);
	CHECK(str_split_ws(line, argv, 3) == 3);
	CHECK(strcmp(argv[0], "one") == 0 && strcmp(argv[1], "two") == 0 &&
	    strcmp(argv[2], "three") == 0);
	{
		char empty[] = " \t ";
		CHECK(str_split_ws(empty, argv, 3) == 0);
	}
}

/* Run the strutil tests. */
static void
test_hexval(void)
{
	CHECK(str_hexval('0') == 0 && str_hexval('9') == 9);
	CHECK(str_hexval('a') == 10 && str_hexval('F') == 15);
	CHECK(str_hexval('g') == -1 && str_hexval('G') == -1);
	CHECK(str_hexval('/') == -1 && str_hexval('\0') == -1);
}

int
main(void)
{
	TEST_RUN(test_to_long);
	TEST_RUN(test_case);
	TEST_RUN(test_trim_split);
	TEST_RUN(test_hexval);
	TEST_EXIT();
}
