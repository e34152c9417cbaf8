/*
 * mstore_name.c - folder names: UTF-8 API names <-> Maildir++ directory
 * names in modified UTF-7 (RFC 3501 5.1.3), and the checks that keep every
 * name inside the maildir root.
 *
 * Public (mstore_int.h): mstore_name_check, mstore_name_to_dir,
 * mstore_dir_to_name, mstore_is_inbox.  All pure functions.
 * Returns 0 or -1 (name refused / directory name not ours).
 * Security: names come from clients and from directory listings.  A valid
 * name has no '.', no control character, no '%' or '*', no empty component
 * and is well-formed UTF-8 without surrogates; so the directory name is
 * "." followed by components joined by '.', none empty, none "." or "..".
 */
#include <string.h>
#include <strings.h>

#include "mstore_int.h"

static const char mstore_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* Decode one UTF-8 sequence at p; its length, or 0 when malformed. */
static size_t
mstore_utf8_dec(const unsigned char *p, size_t len, uint32_t *cp_r)
{
	size_t n;
	uint32_t cp, min;

	if (p[0] < 0x80) {
		*cp_r = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2; cp = p[0] & 0x1f; min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3; cp = p[0] & 0x0f; min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4; cp = p[0] & 0x07; min = 0x10000;
	} else
		return 0;
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_r = cp;
	return n;
}

/* Append code point cp as UTF-8. */
static int
mstore_utf8_enc(struct buf *out, uint32_t cp)
{
	char t[4];
	size_t n;

	if (cp < 0x80) {
		t[0] = (char)cp; n = 1;
	} else if (cp < 0x800) {
		t[0] = (char)(0xc0 | (cp >> 6)); n = 2;
	} else if (cp < 0x10000) {
		t[0] = (char)(0xe0 | (cp >> 12)); n = 3;
	} else {
		t[0] = (char)(0xf0 | (cp >> 18)); n = 4;
	}
	for (size_t i = 1; i < n; i++)
		t[i] = (char)(0x80 | ((cp >> (6 * (n - 1 - i))) & 0x3f));
	return buf_append(out, t, n);
}

/* 1 if the folder name is INBOX (any case). */
int
mstore_is_inbox(const char *name)
{
	return strcasecmp(name, "INBOX") == 0;
}

/* Check an API folder name; 0 or -1 with a reason. */
int
mstore_name_check(const char *name, const char **errstr_r)
{
	size_t len = strlen(name), n;
	uint32_t cp;

	*errstr_r = "invalid mailbox name";
	if (len == 0 || len > MSTORE_NAME_MAX)
		return -1;
	if (name[0] == '/' || name[len - 1] == '/' || strstr(name, "//"))
		return -1;
	for (size_t i = 0; i < len; i += n) {
		n = mstore_utf8_dec((const unsigned char *)name + i, len - i,
		    &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f || cp == '.' ||
		    cp == '%' || cp == '*' || (cp >= 0x80 && cp < 0xa0))
			return -1;
	}
	return 0;
}

/* Flush pending UTF-16 units as modified base64 between '&' and '-'. */
static int
mstore_b64_flush(struct buf *out, const uint16_t *u, size_t nu)
{
	uint32_t acc = 0;
	int bits = 0;

	if (nu == 0)
		return 0;
	if (buf_append_char(out, '&') < 0)
		return -1;
	for (size_t i = 0; i < nu; i++) {
		acc = (acc << 16) | u[i];
		bits += 16;
		while (bits >= 6) {
			bits -= 6;
			if (buf_append_char(out, mstore_b64[(acc >> bits) & 63]) < 0)
				return -1;
		}
	}
	if (bits > 0 && buf_append_char(out,
	    mstore_b64[(acc << (6 - bits)) & 63]) < 0)
		return -1;
	return buf_append_char(out, '-');
}

/* Append a checked name as ".A.B" in modified UTF-7. */
int
mstore_name_to_dir(const char *name, struct buf *out)
{
	uint16_t u[MSTORE_NAME_MAX * 2];
	size_t nu = 0, len = strlen(name), n;
	uint32_t cp;

	if (buf_append_char(out, '.') < 0)
		return -1;
	for (size_t i = 0; i < len; i += n) {
		n = mstore_utf8_dec((const unsigned char *)name + i, len - i,
		    &cp);
		if (n == 0)
			return -1;
		if (cp >= 0x20 && cp < 0x7f) {
			if (mstore_b64_flush(out, u, nu) < 0)
				return -1;
			nu = 0;
			if (buf_append_char(out, cp == '/' ? '.' : (char)cp) < 0 ||
			    (cp == '&' && buf_append_char(out, '-') < 0))
				return -1;
		} else if (cp >= 0x10000) {
			cp -= 0x10000;
			u[nu++] = (uint16_t)(0xd800 | (cp >> 10));
			u[nu++] = (uint16_t)(0xdc00 | (cp & 0x3ff));
		} else
			u[nu++] = (uint16_t)cp;
	}
	return mstore_b64_flush(out, u, nu);
}

/* Value of a modified base64 character, or -1. */
static int
mstore_b64_val(char c)
{
	const char *s = c != '\0' ? strchr(mstore_b64, c) : NULL;

	return s != NULL ? (int)(s - mstore_b64) : -1;
}

/* Decode one "&...-" run (p after '&'); bytes used or 0 when malformed. */
static size_t
mstore_b64_run(const char *p, size_t len, struct buf *out)
{
	uint32_t acc = 0, hi = 0;
	int bits = 0, v;
	size_t i;

	for (i = 0; i < len && p[i] != '-'; i++) {
		if ((v = mstore_b64_val(p[i])) < 0)
			return 0;
		acc = (acc << 6) | (uint32_t)v;
		if ((bits += 6) < 16)
			continue;
		bits -= 16;
		uint32_t w = (acc >> bits) & 0xffff;
		if (w >= 0xd800 && w < 0xdc00 && hi == 0) {
			hi = w;
			continue;
		}
		if (hi != 0 && (w < 0xdc00 || w > 0xdfff))
			return 0;
		if (hi == 0 && ((w >= 0xdc00 && w <= 0xdfff) || w < 0x80))
			return 0;
		w = hi != 0 ? 0x10000 + ((hi - 0xd800) << 10) + (w - 0xdc00) : w;
		hi = 0;
		if (mstore_utf8_enc(out, w) < 0)
			return 0;
	}
	if (i == len || i == 0 || hi != 0 || bits >= 6 ||
	    (acc & ((1u << bits) - 1)) != 0)
		return 0;
	return i + 1;
}

/* Decode a directory name ".A.B" (without NUL) to "A/B"; 0 or -1.  Only
 * the canonical encoding is accepted (no two adjacent base64 runs), so
 * one folder name has one directory name. */
int
mstore_dir_to_name(const char *p, size_t len, struct buf *out)
{
	size_t i = 1, n;
	int run = 0;

	if (len < 2 || p[0] != '.' || p[1] == '.' || p[len - 1] == '.')
		return -1;
	while (i < len) {
		if (p[i] == '&' && i + 1 < len && p[i + 1] == '-') {
			n = 2;
			run = 0;
			if (buf_append_char(out, '&') < 0)
				return -1;
		} else if (p[i] == '&') {
			if (run || (n = mstore_b64_run(p + i + 1, len - i - 1,
			    out)) == 0)
				return -1;
			n++;
			run = 1;
		} else if ((unsigned char)p[i] < 0x20 ||
		    (unsigned char)p[i] >= 0x7f || p[i] == '/') {
			return -1;
		} else {
			if (p[i] == '.' && p[i + 1] == '.')
				return -1;
			n = 1;
			run = 0;
			if (buf_append_char(out, p[i] == '.' ? '/' : p[i]) < 0)
				return -1;
		}
		i += n;
	}
	return 0;
}
