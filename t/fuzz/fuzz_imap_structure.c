/*
 * fuzz_imap_structure.c - libFuzzer target for the FETCH ENVELOPE, BODY
 * and BODYSTRUCTURE writers (imapd/imap_envelope.c, imap_bodystructure.c
 * over common/mime_parse.c and msg_header.c): the message is untrusted
 * and what they write goes to the client as IMAP syntax.  (The command
 * parser imap_parse_args cannot check it: a multipart's parts follow each
 * other without a blank, RFC 9051 body-type-mpart.)
 *
 * Input: the first byte's low bit selects UTF8=ACCEPT, the rest is the
 * message.  Checks: every writer succeeds with an unbounded buffer; its
 * output is one parenthesised list in IMAP syntax (quoted strings without
 * CR, LF, NUL or, unless UTF8=ACCEPT, 8-bit octets; literals without NUL
 * and with their exact length; NIL; numbers; single blanks; balanced
 * parentheses); the ENVELOPE list has its ten fields;
 * with a small maximum a writer fails cleanly without passing it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "../../imapd/imap_bodystructure.h"
#include "../../imapd/imap_envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Length of a quoted string at p (RFC 9051 quoted: no CR, LF or NUL,
 * only \\ and \" escaped, 8-bit only under utf8), or aborts. */
static size_t
quoted_len(const char *p, size_t n, int utf8)
{
	size_t i = 1;

	for (; i < n && p[i] != '"'; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '\\' && i + 1 < n && (p[i + 1] == '\\' || p[i + 1] == '"'))
			i++;
		else if (c == '\\' || c == '\r' || c == '\n' || c == '\0' ||
		    (c >= 0x80 && !utf8))
			abort();
	}
	if (i >= n)
		abort();
	return i + 1;
}

/* Length of a literal "{n}\r\n" and n octets without NUL, or aborts. */
static size_t
literal_len(const char *p, size_t n)
{
	size_t i = 1, size = 0;

	for (; i < n && p[i] >= '0' && p[i] <= '9' && i < 12; i++)
		size = size * 10 + (size_t)(p[i] - '0');
	if (i == 1 || i + 2 >= n || p[i] != '}' || p[i + 1] != '\r' ||
	    p[i + 2] != '\n' || size > n - i - 3 ||
	    memchr(p + i + 3, '\0', size) != NULL)
		abort();
	return i + 3 + size;
}

/* Aborts unless out is one parenthesised list of IMAP body syntax:
 * quoted strings, literals, NIL and numbers separated by one blank,
 * parts of a multipart directly after each other; its item count. */
static size_t
check_syntax(const struct buf *out, int utf8)
{
	const char *p = out->data;
	size_t n = out->len, i = 0, depth = 0, items = 0;
	char prev = '(';	/* the last token: '(', ')' or 'x' (a value) */

	if (n < 2 || p[0] != '(' || p[n - 1] != ')')
		abort();
	while (i < n) {
		if (i > 0 && prev != '(' && p[i] != ')' &&
		    !(prev == ')' && p[i] == '(')) {
			if (p[i] != ' ' || i + 1 >= n || p[i + 1] == ' ' ||
			    p[i + 1] == ')')
				abort();
			i++;
		}
		if (depth == 1 && p[i] != ')')
			items++;
		prev = p[i] == '(' || p[i] == ')' ? p[i] : 'x';
		if (p[i] == '(')
			depth++, i++;
		else if (p[i] == ')') {
			if (depth-- == 0 || (depth == 0 && i != n - 1))
				abort();
			i++;
		} else if (p[i] == '"')
			i += quoted_len(p + i, n - i, utf8);
		else if (p[i] == '{')
			i += literal_len(p + i, n - i);
		else if (n - i >= 3 && memcmp(p + i, "NIL", 3) == 0)
			i += 3;
		else if (p[i] >= '0' && p[i] <= '9')
			while (i < n && p[i] >= '0' && p[i] <= '9')
				i++;
		else
			abort();
	}
	if (depth != 0)
		abort();
	return items;
}

/* Render one item into an unbounded and into a small buffer. */
static void
render(int item, const char *p, size_t n, int utf8)
{
	struct buf *b = buf_new(256, 0), *small;
	size_t items;
	int r = item == 0 ? imap_envelope_append(b, p, n, utf8) :
	    imap_bodystructure_append(b, p, n, item == 2, utf8);

	if (r != 0)
		abort();
	items = check_syntax(b, utf8);
	if (item == 0 && items != 10)
		abort();
	small = buf_new(1, b->len / 2);
	r = item == 0 ? imap_envelope_append(small, p, n, utf8) :
	    imap_bodystructure_append(small, p, n, item == 2, utf8);
	if ((r == 0 && b->len > b->len / 2) || small->len > b->len / 2)
		abort();
	buf_free(&small);
	buf_free(&b);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0 || size > 65536)
		return 0;
	for (int item = 0; item < 3; item++)
		render(item, (const char *)data + 1, size - 1, data[0] & 1);
	return 0;
}
