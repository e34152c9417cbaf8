/*
 * imap_date.h - IMAP dates and times: SEARCH "date" (d-MMM-yyyy), APPEND and
 * INTERNALDATE "date-time" (dd-MMM-yyyy hh:mm:ss +zzzz), and the RFC 5322
 * Date: header that SENTBEFORE/SENTON/SENTSINCE compare against.
 *
 * Public:
 *   imap_date_parse(p, len, &date_r)   date-text (RFC 9051: date-day is
 *        1*2DIGIT, month names case-insensitive, 4-digit year); the caller
 *        passes an atom's or a quoted string's contents.  0 or -1.
 *   imap_date_days(&date)              days since 1970-01-01 (may be < 0);
 *        SEARCH compares calendar days and ignores time and zone.
 *   imap_datetime_parse(p, len, &t_r, &tzoff_r)  date-time without the
 *        quotes; t_r is UTC seconds, tzoff_r the zone in minutes east.
 *   imap_datetime_format(t, tzoff, out)  writes IMAP_DATETIME_LEN chars
 *        and a NUL: "dd-MMM-yyyy hh:mm:ss +zzzz" for t shown in zone tzoff.
 *        0, or -1 when the zone is out of range or t is not representable.
 *   imap_rfc5322_date_parse(p, len, &t_r, &tzoff_r)  an RFC 5322 date-time
 *        with CFWS, optional day-of-week, 2/3-digit obsolete years, named
 *        obsolete zones (military zones count as +0000 as RFC 5322 4.3
 *        advises), a missing zone as +0000 and missing seconds.  0 or -1.
 * All pure; no time zone database, no locale.
 * Security: untrusted input; fields are range-checked (day against the
 * month, hours, minutes, seconds 0-60, zones within +-9959) before use.
 */
#ifndef PETREL_IMAP_DATE_H
#define PETREL_IMAP_DATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "log.h"

#define IMAP_DATETIME_LEN	26

struct imap_date {
	int year;
	int mon;		/* 1-12 */
	int mday;		/* 1-31 */
};

int imap_date_parse(const char *p, size_t len, struct imap_date *date_r)
    WARN_UNUSED;
int64_t imap_date_days(const struct imap_date *date);
int imap_datetime_parse(const char *p, size_t len, time_t *t_r, int *tzoff_r)
    WARN_UNUSED;
int imap_datetime_format(time_t t, int tzoff, char out[IMAP_DATETIME_LEN + 1])
    WARN_UNUSED;
int imap_rfc5322_date_parse(const char *p, size_t len, time_t *t_r,
    int *tzoff_r) WARN_UNUSED;

#endif
