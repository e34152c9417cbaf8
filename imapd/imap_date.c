/*
 * imap_date.c - IMAP date, date-time and RFC 5322 Date: parsing/formatting.
 *
 * Public: see imap_date.h.  Calendar arithmetic is done here (days from a
 * proleptic Gregorian date) so nothing depends on TZ or the C library's
 * time zone state.  Never fatal.
 * Security: untrusted input; every field is bounded before arithmetic.
 */
#include <stdio.h>
#include <string.h>

#include "imap_date.h"
#include "imap_num.h"
#include "strutil.h"

static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* 1 for a Gregorian leap year. */
static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m (1-12) of year y. */
static int
mdays(int y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* A three-letter month name (case-insensitive): 1-12, or 0. */
static int
month_num(const char *p, size_t len)
{
	for (int i = 0; i < 12; i++)
		if (str_casecmp_n(p, len, months[i]) == 0)
			return i + 1;
	return 0;
}

/* Days since 1970-01-01 of a valid proleptic Gregorian date. */
int64_t
imap_date_days(const struct imap_date *date)
{
	int64_t y = date->year - (date->mon <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int m = date->mon;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + date->mday - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* Parse a fixed-width decimal field. */
static int
field(const char *p, size_t len, int min, int max, int *v_r)
{
	uint32_t v;

	if (len == 0 || len > 4 || imap_num_parse32(p, len, 0, &v) < 0 ||
	    v < (uint32_t)min || v > (uint32_t)max)
		return -1;
	*v_r = (int)v;
	return 0;
}

/* Check day against month and year. */
static int
date_valid(const struct imap_date *d)
{
	return d->mon >= 1 && d->mon <= 12 && d->mday >= 1 &&
	    d->mday <= mdays(d->year, d->mon) ? 0 : -1;
}

/* date-text: date-day "-" date-month "-" date-year. */
int
imap_date_parse(const char *p, size_t len, struct imap_date *date_r)
{
	const char *d1 = memchr(p, '-', len);
	size_t dl;

	if (d1 == NULL)
		return -1;
	dl = (size_t)(d1 - p);
	if (dl < 1 || dl > 2 || len != dl + 1 + 3 + 1 + 4 || d1[4] != '-')
		return -1;
	if (field(p, dl, 1, 31, &date_r->mday) < 0 ||
	    (date_r->mon = month_num(d1 + 1, 3)) == 0 ||
	    field(d1 + 5, 4, 0, 9999, &date_r->year) < 0)
		return -1;
	return date_valid(date_r);
}

/* Parse "+hhmm" / "-hhmm" into minutes east. */
static int
zone_numeric(const char *p, size_t len, int *tzoff_r)
{
	int hh, mm;

	if (len != 5 || (p[0] != '+' && p[0] != '-') ||
	    field(p + 1, 2, 0, 99, &hh) < 0 || field(p + 3, 2, 0, 59, &mm) < 0)
		return -1;
	*tzoff_r = (p[0] == '-' ? -1 : 1) * (hh * 60 + mm);
	return 0;
}

/* Combine a date, a time of day and a zone into UTC seconds. */
static time_t
to_time(const struct imap_date *d, int hh, int mi, int ss, int tzoff)
{
	int64_t t = imap_date_days(d) * 86400 + hh * 3600 + mi * 60 + ss;

	return (time_t)(t - (int64_t)tzoff * 60);
}

/* date-time contents: "dd-MMM-yyyy hh:mm:ss +zzzz" (dd may be " d"). */
int
imap_datetime_parse(const char *p, size_t len, time_t *t_r, int *tzoff_r)
{
	struct imap_date d;
	int hh, mi, ss;
	size_t off = p[0] == ' ' ? 1 : 0;

	if (len != IMAP_DATETIME_LEN || p[11] != ' ' || p[14] != ':' ||
	    p[17] != ':' || p[20] != ' ')
		return -1;
	if (imap_date_parse(p + off, 11 - off, &d) < 0 ||
	    (off == 0 && p[1] == '-') ||
	    field(p + 12, 2, 0, 23, &hh) < 0 ||
	    field(p + 15, 2, 0, 59, &mi) < 0 ||
	    field(p + 18, 2, 0, 60, &ss) < 0 ||
	    zone_numeric(p + 21, 5, tzoff_r) < 0)
		return -1;
	*t_r = to_time(&d, hh, mi, ss, *tzoff_r);
	return 0;
}

/* Format t as an IMAP date-time in zone tzoff (minutes east). */
int
imap_datetime_format(time_t t, int tzoff, char out[IMAP_DATETIME_LEN + 1])
{
	struct tm tm;
	time_t local;
	int a = tzoff < 0 ? -tzoff : tzoff;

	if (tzoff <= -6000 || tzoff >= 6000)
		return -1;
	local = t + (time_t)tzoff * 60;
	if (gmtime_r(&local, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0)
		return -1;
	if (snprintf(out, IMAP_DATETIME_LEN + 1,
	    "%02d-%s-%04d %02d:%02d:%02d %c%02d%02d", tm.tm_mday,
	    months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, tzoff < 0 ? '-' : '+', a / 60, a % 60) !=
	    IMAP_DATETIME_LEN)
		return -1;
	return 0;
}

/* A cursor over an RFC 5322 date-time. */
struct lex {
	const char *p;
	size_t len;
	size_t pos;
};

#define COMMENT_DEPTH_MAX	16

/* Skip blanks, line breaks and (nested, bounded) comments. */
static int
skip_cfws(struct lex *lx)
{
	int depth = 0;

	for (; lx->pos < lx->len; lx->pos++) {
		char c = lx->p[lx->pos];
		if (c == '(' && ++depth > COMMENT_DEPTH_MAX)
			return -1;
		else if (c == ')' && depth-- == 0)
			return -1;
		else if (c == '\\' && depth > 0 && lx->pos + 1 < lx->len)
			lx->pos++;
		else if (depth == 0 && c != '(' && c != ' ' && c != '\t' &&
		    c != '\r' && c != '\n')
			break;
	}
	return depth == 0 ? 0 : -1;
}

/* The next token: a run of letters, a run of digits, or one octet. */
static int
next_tok(struct lex *lx, const char **t_r, size_t *len_r)
{
	size_t start;
	int digit;

	if (skip_cfws(lx) < 0 || lx->pos >= lx->len)
		return -1;
	start = lx->pos;
	digit = lx->p[start] >= '0' && lx->p[start] <= '9';
	while (lx->pos < lx->len) {
		char c = lx->p[lx->pos];
		int d = c >= '0' && c <= '9';
		int a = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		if (!(digit ? d : a))
			break;
		lx->pos++;
	}
	if (lx->pos == start)
		lx->pos++;
	*t_r = lx->p + start;
	*len_r = lx->pos - start;
	return 0;
}

/* Expect one given punctuation token. */
static int
expect(struct lex *lx, char c)
{
	const char *t;
	size_t n;

	if (next_tok(lx, &t, &n) < 0 || n != 1 || t[0] != c)
		return -1;
	return 0;
}

/* An obsolete or named zone (RFC 5322 4.3), in minutes east. */
static int
zone_named(const char *t, size_t n)
{
	static const struct { const char *name; int off; } z[] = {
		{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 },
		{ "CDT", -300 }, { "MST", -420 }, { "MDT", -360 },
		{ "PST", -480 }, { "PDT", -420 } };

	for (size_t i = 0; i < sizeof(z) / sizeof(z[0]); i++)
		if (str_casecmp_n(t, n, z[i].name) == 0)
			return z[i].off;
	return 0;		/* UT, GMT, military and unknown zones */
}

/* Parse the zone, if any. */
static int
parse_zone(struct lex *lx, int *tzoff_r)
{
	const char *t, *num;
	size_t n, nn;
	char buf[5];

	*tzoff_r = 0;
	if (skip_cfws(lx) < 0)
		return -1;
	if (next_tok(lx, &t, &n) < 0)
		return 0;
	if (n == 1 && (t[0] == '+' || t[0] == '-')) {
		if (next_tok(lx, &num, &nn) < 0 || nn != 4)
			return -1;
		buf[0] = t[0];
		memcpy(buf + 1, num, 4);
		return zone_numeric(buf, 5, tzoff_r);
	}
	if (t[0] >= '0' && t[0] <= '9')
		return -1;
	*tzoff_r = zone_named(t, n);
	return 0;
}

/* Parse day, month and year (obsolete 2- and 3-digit years too). */
static int
parse_dmy(struct lex *lx, struct imap_date *d)
{
	const char *t;
	size_t n;

	if (next_tok(lx, &t, &n) < 0 || field(t, n, 1, 31, &d->mday) < 0 ||
	    n > 2 || next_tok(lx, &t, &n) < 0 ||
	    (d->mon = month_num(t, n)) == 0 ||
	    next_tok(lx, &t, &n) < 0 || n < 2 || n > 4 ||
	    field(t, n, 0, 9999, &d->year) < 0)
		return -1;
	if (n == 2)
		d->year += d->year < 50 ? 2000 : 1900;
	else if (n == 3)
		d->year += 1900;
	return date_valid(d);
}

/* Parse hour ":" minute [":" second]. */
static int
parse_hms(struct lex *lx, int *hh, int *mi, int *ss)
{
	const char *t;
	size_t n, save;

	if (next_tok(lx, &t, &n) < 0 || n > 2 || field(t, n, 0, 23, hh) < 0 ||
	    expect(lx, ':') < 0 || next_tok(lx, &t, &n) < 0 || n != 2 ||
	    field(t, n, 0, 59, mi) < 0)
		return -1;
	*ss = 0;
	save = lx->pos;
	if (expect(lx, ':') < 0) {
		lx->pos = save;
		return 0;
	}
	if (next_tok(lx, &t, &n) < 0 || n != 2 || field(t, n, 0, 60, ss) < 0)
		return -1;
	return 0;
}

/* RFC 5322 date-time (section 3.3 and the obsolete forms of 4.3). */
int
imap_rfc5322_date_parse(const char *p, size_t len, time_t *t_r, int *tzoff_r)
{
	struct lex lx = { p, len, 0 };
	struct imap_date d;
	const char *t;
	size_t n, save;
	int hh, mi, ss;

	if (next_tok(&lx, &t, &n) < 0)
		return -1;
	if (t[0] >= '0' && t[0] <= '9') {
		lx.pos = (size_t)(t - p);	/* no day-of-week */
	} else {
		save = lx.pos;
		if (expect(&lx, ',') < 0)
			lx.pos = save;
	}
	if (parse_dmy(&lx, &d) < 0 || parse_hms(&lx, &hh, &mi, &ss) < 0 ||
	    parse_zone(&lx, tzoff_r) < 0)
		return -1;
	*t_r = to_time(&d, hh, mi, ss, *tzoff_r);
	return 0;
}
