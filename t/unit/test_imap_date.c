/*
 * test_imap_date.c - unit tests for imapd/imap_date.c: SEARCH dates,
 * APPEND date-times (parse and format round trip), and RFC 5322 Date:
 * headers with comments, obsolete years and named zones.
 */
#include <string.h>

#include "harness.h"
#include "../../imapd/imap_date.h"

/* Parse a C string as a SEARCH date. */
static int
date(const char *s, struct imap_date *d)
{
	return imap_date_parse(s, strlen(s), d);
}

/* SEARCH dates: d-MMM-yyyy, day checked against the month. */
static void
test_date(void)
{
	struct imap_date d;

	CHECK(date("1-Feb-1994", &d) == 0 && d.mday == 1 && d.mon == 2);
	CHECK(d.year == 1994);
	CHECK(date("01-jan-1970", &d) == 0 && imap_date_days(&d) == 0);
	CHECK(date("29-Feb-2000", &d) == 0);
	CHECK(imap_date_days(&d) == 11016);
	CHECK(date("29-Feb-1900", &d) == -1);
	CHECK(date("29-Feb-2024", &d) == 0);
	CHECK(date("31-Apr-2024", &d) == -1);
	CHECK(date("0-Apr-2024", &d) == -1);
	CHECK(date("001-Apr-2024", &d) == -1);
	CHECK(date("1-Apri-2024", &d) == -1);
	CHECK(date("1-Apr-24", &d) == -1);
	CHECK(date("1 Apr 2024", &d) == -1);
	CHECK(date("", &d) == -1);
	CHECK(date("31-Dec-1969", &d) == 0 && imap_date_days(&d) == -1);
}

/* date-time: parse, zone, and the formatter's inverse. */
static void
test_datetime(void)
{
	const char *s = "17-Jul-1996 02:44:25 -0700";
	char out[IMAP_DATETIME_LEN + 1];
	time_t t;
	int tz;

	CHECK(imap_datetime_parse(s, strlen(s), &t, &tz) == 0);
	CHECK(t == 837596665 && tz == -420);
	CHECK(imap_datetime_format(t, tz, out) == 0 && strcmp(out, s) == 0);
	s = " 7-Jul-1996 02:44:25 +0000";
	CHECK(imap_datetime_parse(s, strlen(s), &t, &tz) == 0 && tz == 0);
	CHECK(imap_datetime_format(t, tz, out) == 0);
	CHECK(strcmp(out, "07-Jul-1996 02:44:25 +0000") == 0);
	s = "07-Jul-1996 24:00:00 +0000";
	CHECK(imap_datetime_parse(s, strlen(s), &t, &tz) == -1);
	s = "07-Jul-1996 02:44:25 +0060";
	CHECK(imap_datetime_parse(s, strlen(s), &t, &tz) == -1);
	s = "07-Jul-1996 02:44:25 0000";
	CHECK(imap_datetime_parse(s, strlen(s), &t, &tz) == -1);
	s = "7-Jul-1996 02:44:25 +0000";
	CHECK(imap_datetime_parse(s, strlen(s), &t, &tz) == -1);
	CHECK(imap_datetime_format(0, 6000, out) == -1);
	CHECK(imap_datetime_format(0, 330, out) == 0);
	CHECK(strcmp(out, "01-Jan-1970 05:30:00 +0530") == 0);
}

/* Parse an RFC 5322 date; returns t or -1. */
static long long
hdr(const char *s, int *tz)
{
	time_t t;

	if (imap_rfc5322_date_parse(s, strlen(s), &t, tz) < 0)
		return -1;
	return (long long)t;
}

/* RFC 5322 Date: headers, modern and obsolete. */
static void
test_rfc5322(void)
{
	int tz;

	CHECK(hdr("Wed, 17 Jul 1996 02:44:25 -0700", &tz) == 837596665);
	CHECK(tz == -420);
	CHECK(hdr("17 Jul 1996 02:44:25 -0700", &tz) == 837596665);
	CHECK(hdr("  Wed,17 Jul 96 09:44:25 GMT (comment (nested))", &tz) ==
	    837596665 && tz == 0);
	CHECK(hdr("Wed, 17 Jul 1996 05:44:25 EDT", &tz) == 837596665);
	CHECK(tz == -240);
	CHECK(hdr("Wed, 17 Jul 1996 09:44 +0000", &tz) == 837596640);
	CHECK(hdr("Wed, 17 Jul 1996 09:44:25", &tz) == 837596665 && tz == 0);
	CHECK(hdr("1 Jan 49 00:00:00 +0000", &tz) == 2493072000LL);
	CHECK(hdr("1 Jan 50 00:00:00 +0000", &tz) == -631152000LL);
	CHECK(hdr("1 Jan 100 00:00:00 +0000", &tz) == 946684800LL);
	CHECK(hdr("Wed, 32 Jul 1996 09:44:25 +0000", &tz) == -1);
	CHECK(hdr("Wed, 17 Jul 1996 25:44:25 +0000", &tz) == -1);
	CHECK(hdr("Wed, 17 Jul 1996 09:44:25 +00", &tz) == -1);
	CHECK(hdr("Wed, 17 Jul 1996 09:44:25 (open", &tz) == -1);
	CHECK(hdr("((((((((((((((((((((x))))))))))))))))))) 1 Jan 2000 00:00",
	    &tz) == -1);
	CHECK(hdr("", &tz) == -1);
	CHECK(hdr("garbage", &tz) == -1);
}

int
main(void)
{
	TEST_RUN(test_date);
	TEST_RUN(test_datetime);
	TEST_RUN(test_rfc5322);
	TEST_EXIT();
}
