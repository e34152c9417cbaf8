/*
 * fuzz_pop3_parse.c - libFuzzer target for pop3d/pop3_parse.c and the
 * pure parts of pop3d/pop3_mailbox.c.  Any input must parse or be
 * refused without crashing; parsed pieces must stay inside the input; the
 * RETR/TOP encoder must respect its 2n output bound, emit only CRLF line
 * ends and never a lone "." line before the terminator; UIDLs must be 1..70
 * printable octets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../pop3d/pop3_mailbox.h"
#include "../../pop3d/pop3_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The command-line parser and its helpers. */
static void
fuzz_line(const char *p, size_t n)
{
	struct pop3_cmdline c;
	struct pop3_arg a[3];
	long v;
	int k;

	if (pop3_parse_line(p, n, &c) != 0)
		return;
	if (strlen(c.verb) == 0 || strlen(c.verb) > POP3_VERB_MAX ||
	    c.rest < p || c.rest + c.rest_len > p + n)
		abort();
	k = pop3_parse_args(c.rest, c.rest_len, a, 3);
	for (int i = 0; i < k; i++) {
		if (a[i].len == 0 || a[i].p < c.rest ||
		    a[i].p + a[i].len > c.rest + c.rest_len)
			abort();
		if (pop3_parse_msgnum(a[i].p, a[i].len, &v) == 0 &&
		    (v < 1 || v > POP3_MSGNUM_MAX))
			abort();
		if (pop3_parse_lines(a[i].p, a[i].len, &v) == 0 && v < 0)
			abort();
	}
}

/* Check the encoded message: CRLF only, no premature "." line. */
static void
fuzz_check_wire(const char *o, size_t n)
{
	int bol = 1;

	if (n < 3 || memcmp(o + n - 3, ".\r\n", 3) != 0)
		abort();
	for (size_t i = 0; i + 3 < n; i++) {
		if (o[i] == '\n' && (i == 0 || o[i - 1] != '\r'))
			abort();
		if (bol && o[i] == '.' && o[i + 1] == '\r' && o[i + 2] == '\n')
			abort();
		bol = o[i] == '\n';
	}
}

/* The encoder, with a TOP count taken from the first byte. */
static void
fuzz_encode(const char *p, size_t n)
{
	struct pop3_mailbox_encoder e;
	long lines = n > 0 ? (long)(unsigned char)p[0] - 128 : -1;
	char *out = malloc(2 * n + POP3_ENCODE_END_MAX);
	size_t half = n / 2, o;

	if (out == NULL)
		return;
	pop3_mailbox_encoder_init(&e, lines);
	o = pop3_mailbox_encode(&e, p, half, out);
	if (o > 2 * half)
		abort();
	o += pop3_mailbox_encode(&e, p + half, n - half, out + o);
	if (o > 2 * n)
		abort();
	o += pop3_mailbox_encode_end(&e, out + o);
	fuzz_check_wire(out, o);
	free(out);
}

/* Name key and UIDL of the input as a file name. */
static void
fuzz_name(const char *p, size_t n)
{
	struct pop3_mailbox_key k;
	char name[512], u[POP3_UIDL_SIZE];
	size_t len;

	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, p, n);
	name[n] = '\0';
	pop3_mailbox_name_key(name, &k);
	len = pop3_mailbox_uidl(name, u, sizeof(u));
	if (len == 0 || len > POP3_UIDL_MAX || strlen(u) != len)
		abort();
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)u[i] < 0x21 || (unsigned char)u[i] > 0x7e)
			abort();
}

/* One input through every POP3 parser. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;

	fuzz_line(p, size);
	fuzz_encode(p, size);
	fuzz_name(p, size);
	return 0;
}
