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

#include "imap_mutf7.h"
#include "mstore_int.h"

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

/* Append a checked name as ".A.B": modified UTF-7 (imap_mutf7.c, the
 * one codec), with the hierarchy's '/' as Maildir++'s '.'. */
int
mstore_name_to_dir(const char *name, struct buf *out)
{
	const char *err = NULL;
	size_t start = out->len;

	if (buf_append_char(out, '.') < 0 ||
	    imap_utf8_to_mutf7(name, strlen(name), out, &err) < 0)
		return -1;
	for (size_t i = start + 1; i < out->len; i++)
		if (out->data[i] == '/')
			out->data[i] = '.';
	return 0;
}

/* Decode a Maildir++ directory name ".A.B" to "A/B" in UTF-8; -1 for
 * anything the encoder would not have written (one spelling per name). */
int
mstore_dir_to_name(const char *p, size_t len, struct buf *out)
{
	const char *err = NULL;
	size_t start = out->len;

	if (len < 2 || p[0] != '.' || p[1] == '.' || p[len - 1] == '.' ||
	    memmem(p, len, "..", 2) != NULL || memchr(p, '/', len) != NULL)
		return -1;
	if (imap_mutf7_to_utf8(p + 1, len - 1, out, &err) < 0)
		return -1;
	for (size_t i = start; i < out->len; i++)
		if (out->data[i] == '.')
			out->data[i] = '/';
	return 0;
}
