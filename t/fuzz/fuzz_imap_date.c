/*
 * fuzz_imap_date.c - libFuzzer target for imapd/imap_date.c: SEARCH dates,
 * APPEND date-times and the RFC 5322 Date: header (untrusted message text)
 * that SENTBEFORE/SENTON/SENTSINCE compare against.
 *
 * Input: the text of one date.  Checks: a parsed date has a valid month
 * and day and its day count formats back to the same calendar day; a
 * parsed date-time formats to IMAP_DATETIME_LEN characters that parse
 * back to the same instant and zone; an RFC 5322 date gives a zone within
 * +-9959 (minutes east below 100 hours) whose date-time formats, and that
 * formatted form parses back to the same instant.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../imapd/imap_date.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Format t/tz and parse it back; aborts unless it is the same. */
static void
round_trip(time_t t, int tz)
{
	char out[IMAP_DATETIME_LEN + 1];
	time_t t2;
	int tz2;

	if (imap_datetime_format(t, tz, out) != 0)
		return;
	if (strlen(out) != IMAP_DATETIME_LEN ||
	    imap_datetime_parse(out, strlen(out), &t2, &tz2) != 0 ||
	    t2 != t || tz2 != tz)
		abort();
}

/* date-text: the calendar day survives days -> date-time -> date. */
static void
fuzz_date(const char *p, size_t n)
{
	struct imap_date d, d2;
	char out[IMAP_DATETIME_LEN + 1];

	if (imap_date_parse(p, n, &d) != 0)
		return;
	if (d.mon < 1 || d.mon > 12 || d.mday < 1 || d.mday > 31)
		abort();
	if (imap_datetime_format((time_t)(imap_date_days(&d) * 86400), 0,
	    out) != 0)
		return;
	/* "dd-MMM-yyyy": a leading blank for days below 10 */
	if (imap_date_parse(out + (out[0] == ' '), 11 - (out[0] == ' '),
	    &d2) != 0 || d2.year != d.year || d2.mon != d.mon ||
	    d2.mday != d.mday)
		abort();
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	time_t t;
	int tz;

	if (size > 1024)
		return 0;
	fuzz_date(p, size);
	if (imap_datetime_parse(p, size, &t, &tz) == 0) {
		if (tz <= -6000 || tz >= 6000)
			abort();
		round_trip(t, tz);
	}
	if (imap_rfc5322_date_parse(p, size, &t, &tz) == 0) {
		if (tz <= -6000 || tz >= 6000)
			abort();
		round_trip(t, tz);
	}
	return 0;
}
