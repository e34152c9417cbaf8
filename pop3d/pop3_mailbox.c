/*
 * pop3_mailbox.c - pure pieces of POP3 maildir serving: name order, UIDL,
 * CRLF size and the RETR/TOP wire encoding.
 *
 * Public: pop3_mailbox_name_key, pop3_mailbox_key_cmp, pop3_mailbox_uidl,
 * pop3_mailbox_bare_lf, pop3_mailbox_encoder_init, pop3_mailbox_encode,
 * pop3_mailbox_encode_end (contracts in pop3_mailbox.h).  Nothing fails.
 * The encoder is a byte-at-a-time state machine, so a message may arrive in
 * chunks split anywhere (the unit test splits at every byte).  A CRLF in
 * the file is kept as is and only a bare LF gains a CR, which is exactly
 * what pop3_mailbox_bare_lf counts, so LIST sizes match RETR output
 * (before dot-stuffing, as RFC 1939 allows).
 * Security: file names come from the maildir (written by our delivery
 * agent or by other mail software); they are parsed with bounded counters
 * and never trusted to be well-formed.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pop3_mailbox.h"

/* Parse digits from *pp into a bounded value; the count of digits. */
static size_t
pm_digits(const char **pp, long long max, long long *val_r)
{
	const char *p = *pp;
	long long v = 0;
	size_t n = 0;

	while (*p >= '0' && *p <= '9') {
		if (v <= (max - (*p - '0')) / 10)
			v = v * 10 + (*p - '0');
		else
			v = max;
		p++;
		n++;
	}
	*pp = p;
	*val_r = v;
	return n;
}

/* Delivery time from a maildir name ("<sec>.V..I..M<usec>.host"). */
void
pop3_mailbox_name_key(const char *name, struct pop3_mailbox_key *key_r)
{
	const char *p = name;
	long long v;

	key_r->sec = LLONG_MAX;
	key_r->usec = 0;
	if (pm_digits(&p, LLONG_MAX - 1, &v) == 0 || *p != '.')
		return;
	key_r->sec = v;
	for (p++; *p != '\0' && *p != '.' && *p != ',' && *p != ':'; p++) {
		if (*p == 'M' && p[1] >= '0' && p[1] <= '9') {
			p++;
			pm_digits(&p, 999999, &v);
			key_r->usec = (long)v;
			return;
		}
	}
}

/* Order two keys by time. */
int
pop3_mailbox_key_cmp(const struct pop3_mailbox_key *a,
    const struct pop3_mailbox_key *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	if (a->usec != b->usec)
		return a->usec < b->usec ? -1 : 1;
	return 0;
}

/* 64-bit FNV-1a over n bytes, starting from seed. */
static uint64_t
pm_fnv(const char *p, size_t n, uint64_t seed)
{
	uint64_t h = seed;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The UIDL of a maildir name: its unique part, or a hash of it. */
size_t
pop3_mailbox_uidl(const char *name, char *out, size_t outsize)
{
	size_t n = strcspn(name, ",:"), i;
	int ok = n > 0 && n <= POP3_UIDL_MAX;

	for (i = 0; ok && i < n; i++)
		if ((unsigned char)name[i] < 0x21 || (unsigned char)name[i] > 0x7e)
			ok = 0;
	if (outsize < POP3_UIDL_SIZE) {
		if (outsize > 0)
			out[0] = '\0';
		return 0;
	}
	if (ok) {
		memcpy(out, name, n);
		out[n] = '\0';
		return n;
	}
	if (n == 0)
		n = strlen(name);
	snprintf(out, outsize, "H%016llx%016llx",
	    (unsigned long long)pm_fnv(name, n, 0xcbf29ce484222325ULL),
	    (unsigned long long)pm_fnv(name, n, 0x84222325cbf29ce4ULL));
	return 33;
}

/* Count the LFs that the wire encoding turns into CRLF. */
size_t
pop3_mailbox_bare_lf(const char *p, size_t n, int *prev_cr)
{
	size_t count = 0;
	int cr = *prev_cr;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n' && !cr)
			count++;
		cr = p[i] == '\r';
	}
	*prev_cr = cr;
	return count;
}

/* Start encoding a message; body_lines -1 sends it all. */
void
pop3_mailbox_encoder_init(struct pop3_mailbox_encoder *e, long body_lines)
{
	memset(e, 0, sizeof(*e));
	e->at_bol = 1;
	e->line_blank = 1;
	e->in_header = 1;
	e->body_left = body_lines < 0 ? -1 : body_lines;
}

/* Account for a finished line: header end and the TOP cut. */
static void
pm_line_done(struct pop3_mailbox_encoder *e)
{
	if (e->in_header) {
		if (e->line_blank)
			e->in_header = 0;
	} else if (e->body_left > 0) {
		e->body_left--;
	}
	if (!e->in_header && e->body_left == 0)
		e->done = 1;
	e->at_bol = 1;
	e->line_blank = 1;
}

/* Encode one chunk: LF -> CRLF, dot-stuffing, TOP cut. */
size_t
pop3_mailbox_encode(struct pop3_mailbox_encoder *e, const char *in, size_t n,
    char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n && !e->done; i++) {
		char c = in[i];

		if (c == '\n') {
			if (!e->prev_cr)
				out[o++] = '\r';
			out[o++] = '\n';
			e->prev_cr = 0;
			pm_line_done(e);
			continue;
		}
		if (e->at_bol && c == '.')
			out[o++] = '.';
		if (c != '\r')
			e->line_blank = 0;
		e->at_bol = 0;
		e->prev_cr = c == '\r';
		out[o++] = c;
	}
	return o;
}

/* The end of a multi-line reply, completing an unterminated last line. */
size_t
pop3_mailbox_encode_end(struct pop3_mailbox_encoder *e, char *out)
{
	size_t o = 0;

	if (!e->at_bol) {
		if (!e->prev_cr)
			out[o++] = '\r';
		out[o++] = '\n';
	}
	memcpy(out + o, ".\r\n", 3);
	return o + 3;
}
