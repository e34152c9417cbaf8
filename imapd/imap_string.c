/*
 * imap_string.c - NIL, quoted strings and literals on output (see
 * imap_string.h).
 */
#include <string.h>

#include "buf.h"
#include "imap_parse.h"
#include "imap_string.h"

/* Whether p can travel as a quoted string. */
static int
string_quotable(const char *p, size_t len, int utf8)
{
	if (len >= IMAP_QUOTED_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
			return 0;
	}
	return 1;
}

/* A quoted string with '"' and '\' escaped. */
static int
string_quoted(struct buf *b, const char *p, size_t len)
{
	size_t start = 0;

	if (buf_append_char(b, '"') != 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] != '"' && p[i] != '\\')
			continue;
		if (buf_append(b, p + start, i - start) != 0 ||
		    buf_append_char(b, '\\') != 0)
			return -1;
		start = i;
	}
	if (buf_append(b, p + start, len - start) != 0)
		return -1;
	return buf_append_char(b, '"');
}

/* NIL, a quoted string or a literal, with the UTF-8 choice. */
int
imap_string_append_u(struct buf *b, const char *p, size_t len, int utf8)
{
	if (p == NULL)
		return buf_append_str(b, "NIL");
	if (string_quotable(p, len, utf8))
		return string_quoted(b, p, len);
	if (buf_printf(b, "{%zu}\r\n", len) != 0 || buf_append(b, p, len) != 0)
		return -1;
	/* a literal must not hold NUL (RFC 9051 4.3), and ENVELOPE or
	 * BODYSTRUCTURE fields cannot be literal8: a NUL goes out as 0x80 */
	for (char *z = b->data + b->len - len;
	    (z = memchr(z, '\0', (size_t)(b->data + b->len - z))) != NULL; z++)
		*z = (char)0x80;
	return 0;
}

/* NIL, a quoted string or a literal (8-bit octets need a literal). */
int
imap_string_append(struct buf *b, const char *p, size_t len)
{
	return imap_string_append_u(b, p, len, 0);
}

/* An atom when it is one, else a string. */
int
imap_string_append_astring(struct buf *b, const char *p, size_t len,
    int utf8)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!imap_atom_char((unsigned char)p[i]))
			break;
	if (len > 0 && i == len && !(len == 3 && strncasecmp(p, "NIL", 3) == 0))
		return buf_append(b, p, len);
	return imap_string_append_u(b, p, len, utf8);
}
