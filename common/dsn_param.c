/*
 * dsn_param.c - RFC 3461 DSN parameter parsing and xtext (see
 * dsn_param.h).  Pure functions over (p, len); unit tested.
 *
 * Public: dsn_notify_parse, dsn_notify_text, dsn_xtext_valid,
 * dsn_xtext_decode, dsn_orcpt_valid, dsn_field, dsn_rcpt_notify.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dsn_param.h"

static const struct {
	const char *kw;
	int bit;
} notify_kw[] = {
	{ "NEVER", DSN_NOTIFY_NEVER },
	{ "SUCCESS", DSN_NOTIFY_SUCCESS },
	{ "FAILURE", DSN_NOTIFY_FAILURE },
	{ "DELAY", DSN_NOTIFY_DELAY },
};

/* The bit of one NOTIFY keyword, or 0. */
static int
notify_bit(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(notify_kw) / sizeof(notify_kw[0]); i++)
		if (strlen(notify_kw[i].kw) == n &&
		    strncasecmp(p, notify_kw[i].kw, n) == 0)
			return notify_kw[i].bit;
	return 0;
}

/* NOTIFY value to a mask; -1 if malformed. */
int
dsn_notify_parse(const char *p, size_t n)
{
	int mask = 0, bit;
	size_t i = 0, start;

	while (i <= n) {
		start = i;
		while (i < n && p[i] != ',')
			i++;
		bit = notify_bit(p + start, i - start);
		if (bit == 0 || (mask & bit))
			return -1;
		mask |= bit;
		i++;
	}
	if ((mask & DSN_NOTIFY_NEVER) && mask != DSN_NOTIFY_NEVER)
		return -1;
	return mask;
}

/* The mask as a NOTIFY value. */
const char *
dsn_notify_text(int mask, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(notify_kw) / sizeof(notify_kw[0]); i++) {
		if (!(mask & notify_kw[i].bit))
			continue;
		len += (size_t)snprintf(buf + len, len < size ? size - len : 0,
		    "%s%s", len ? "," : "", notify_kw[i].kw);
	}
	return buf;
}

/* Value of a hex digit, or -1 (xtext uses upper case only). */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode xtext into out; length or -1 (RFC 3461 values are printable
 * US-ASCII: "+HH" above 0x7e is refused as well as controls). */
long
dsn_xtext_decode(const char *p, size_t n, char *out, size_t size)
{
	size_t o = 0;
	int c;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '+') {
			if (i + 2 >= n || hexval(p[i + 1]) < 0 ||
			    hexval(p[i + 2]) < 0)
				return -1;
			c = hexval(p[i + 1]) * 16 + hexval(p[i + 2]);
			i += 2;
		} else if (p[i] < '!' || p[i] > '~' || p[i] == '=') {
			return -1;
		} else {
			c = (unsigned char)p[i];
		}
		if (c < 0x20 || c >= 0x7f || o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return (long)o;
}

/* 1 if p/n is valid xtext. */
int
dsn_xtext_valid(const char *p, size_t n)
{
	char tmp[1024];

	return n > 0 && n < sizeof(tmp) && dsn_xtext_decode(p, n, tmp,
	    sizeof(tmp)) >= 0;
}

/* 1 if p/n is "addr-type;xtext". */
int
dsn_orcpt_valid(const char *p, size_t n)
{
	const char *semi = memchr(p, ';', n);
	size_t tl;

	if (semi == NULL || (tl = (size_t)(semi - p)) == 0 || tl > 64)
		return 0;
	for (size_t i = 0; i < tl; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '-')
			return 0;
	return dsn_xtext_valid(semi + 1, n - tl - 1);
}

/* Value of name= in a blank separated list; 1 found, 0 not. */
int
dsn_field(const char *payload, const char *name, char *out, size_t size)
{
	size_t nl = strlen(name), wl;
	const char *p = payload;

	if (p == NULL)
		return 0;
	while (*p) {
		wl = strcspn(p, " ");
		if (wl > nl && p[nl] == '=' && strncmp(p, name, nl) == 0) {
			snprintf(out, size, "%.*s", (int)(wl - nl - 1), p + nl + 1);
			return 1;
		}
		p += wl;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/* The NOTIFY mask of an 'O' record (0 = absent: the default). */
int
dsn_rcpt_notify(const char *payload)
{
	char v[64];
	int mask;

	if (payload == NULL || !dsn_field(payload, "notify", v, sizeof(v)))
		return 0;
	mask = dsn_notify_parse(v, strlen(v));
	return mask < 0 ? 0 : mask;
}
