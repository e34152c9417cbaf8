/*
 * imap_envelope.c - ENVELOPE (see imap_envelope.h) over the shared header
 * reader and address parser (common/msg_header.h).
 *
 * Public: imap_envelope_append.
 * The first occurrence of each field counts.  Date, In-Reply-To and
 * Message-ID go out as their unfolded values; address fields are parsed
 * (RFC 5322 with obsolete syntax) into (name route mailbox host) lists.
 * Security: untrusted message text; bounded by the reader's field bound
 * and the address parser's entry bound; output bounded by b's maximum.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "imap_envelope.h"
#include "imap_string.h"
#include "msg_header.h"

enum env_field {
	ENV_DATE, ENV_SUBJECT, ENV_FROM, ENV_SENDER, ENV_REPLY_TO, ENV_TO,
	ENV_CC, ENV_BCC, ENV_IN_REPLY_TO, ENV_MESSAGE_ID, ENV_COUNT
};

static const char *const env_names[ENV_COUNT] = {
	"Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc", "Bcc",
	"In-Reply-To", "Message-ID"
};

struct env {
	char *value[ENV_COUNT];	/* NULL: absent */
	size_t len[ENV_COUNT];
};

/* msg_header_each callback: keep the first of each envelope field. */
static int
env_field(void *arg, enum msg_header_result r,
    const struct msg_header_field *f)
{
	struct env *e = arg;

	if (r != MSG_HEADER_FIELD)
		return 0;
	for (int i = 0; i < ENV_COUNT; i++) {
		if (e->value[i] == NULL &&
		    msg_header_name_is(f->name, f->name_len, env_names[i])) {
			e->value[i] = xmemdup(f->value, f->value_len + 1);
			e->value[i][f->value_len] = '\0';
			e->len[i] = f->value_len;
		}
	}
	return 0;
}

/* 1 if the string needs the "for humans" rewrite: folds, tabs, CRs or
 * runs of blanks. */
static int
human_changes(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] == '\t' || p[i] == '\r' || p[i] == '\n' ||
		    (p[i] == ' ' && i + 1 < len && p[i + 1] == ' '))
			return 1;
	return 0;
}

/* A string for people to read: white space runs become one blank, and a
 * string so changed goes out as a literal (Dovecot's choice). */
static int
human_string(struct buf *b, const char *p, size_t len, int utf8)
{
	struct buf *t;
	int r;

	if (p == NULL || !human_changes(p, len))
		return imap_string_append_u(b, p, len, utf8);
	t = buf_new(len + 1, len + 1);
	r = 0;
	for (size_t i = 0; i < len && r == 0; i++) {
		char c = p[i] == '\t' || p[i] == '\r' || p[i] == '\n' ? ' ' :
		    p[i] == '\0' ? (char)0x80 : p[i];	/* as imap_string.c */

		if (c != ' ' || (t->len > 0 && t->data[t->len - 1] != ' '))
			r = buf_append_char(t, c);
	}
	if (t->len > 0 && t->data[t->len - 1] == ' ')
		t->len--;
	if (r == 0)
		r = buf_printf(b, "{%zu}\r\n", t->len) < 0 ||
		    buf_append(b, t->data, t->len) < 0 ? -1 : 0;
	buf_free(&t);
	return r;
}

/* A C string (NULL: NIL) as an IMAP string. */
static int
cstring(struct buf *b, const char *s, int utf8)
{
	return imap_string_append_u(b, s, s != NULL ? strlen(s) : 0, utf8);
}

/* One address: (name route mailbox host). */
static int
address(struct buf *b, const struct msg_header_addr *a, int utf8)
{
	const char *mailbox = a->mailbox, *host = a->host;

	if (a->kind == MSG_HEADER_ADDR_MAILBOX) {
		if (mailbox == NULL || mailbox[0] == '\0')
			mailbox = "MISSING_MAILBOX";
		if (host == NULL)
			host = "MISSING_DOMAIN";
	}
	if (buf_append_char(b, '(') < 0 ||
	    human_string(b, a->name, a->name != NULL ? strlen(a->name) : 0,
	    utf8) < 0 || buf_append_char(b, ' ') < 0 ||
	    cstring(b, a->route, utf8) < 0 || buf_append_char(b, ' ') < 0 ||
	    cstring(b, mailbox, utf8) < 0 || buf_append_char(b, ' ') < 0 ||
	    cstring(b, host, utf8) < 0)
		return -1;
	return buf_append_char(b, ')');
}

/* An address field: NIL when absent or empty, else a list. */
static int
address_list(struct buf *b, const char *p, size_t len, int utf8)
{
	struct msg_header_addr *l = NULL;
	size_t n = 0;
	int r = 0;

	if (p != NULL && msg_header_addr_parse(p, len, 0, &l, &n) < 0) {
		/* past MSG_HEADER_ADDR_MAX: the first ones are shown */
	}
	if (n == 0)
		r = buf_append_str(b, "NIL");
	else
		r = buf_append_char(b, '(');
	for (size_t i = 0; i < n && r == 0; i++)
		r = address(b, &l[i], utf8);
	if (n > 0 && r == 0)
		r = buf_append_char(b, ')');
	msg_header_addr_free(&l, n);
	return r;
}

/* One envelope member by its field, with the RFC 3501 defaults. */
static int
member(struct buf *b, const struct env *e, int i, int utf8)
{
	int k = i;

	if ((i == ENV_SENDER || i == ENV_REPLY_TO) && e->value[i] == NULL)
		k = ENV_FROM;
	switch (i) {
	case ENV_SUBJECT:
		return human_string(b, e->value[k], e->len[k], utf8);
	case ENV_FROM: case ENV_SENDER: case ENV_REPLY_TO:
	case ENV_TO: case ENV_CC: case ENV_BCC:
		return address_list(b, e->value[k], e->len[k], utf8);
	default:
		return imap_string_append_u(b, e->value[k], e->len[k], utf8);
	}
}

/* The ENVELOPE of the message at p; see imap_envelope.h. */
int
imap_envelope_append(struct buf *b, const char *p, size_t len, int utf8)
{
	struct env e;
	int r;

	memset(&e, 0, sizeof(e));
	r = msg_header_each(p, len, IMAP_ENVELOPE_FIELD_MAX, 0, env_field,
	    &e) < 0 ? -1 : buf_append_char(b, '(');
	for (int i = 0; i < ENV_COUNT && r == 0; i++)
		r = (i > 0 ? buf_append_char(b, ' ') : 0) < 0 ? -1 :
		    member(b, &e, i, utf8);
	if (r == 0)
		r = buf_append_char(b, ')');
	for (int i = 0; i < ENV_COUNT; i++)
		free(e.value[i]);
	return r;
}
