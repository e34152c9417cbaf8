/*
 * msg_header.c - the streaming RFC 5322 header-field reader and its small
 * helpers (see msg_header.h for the contract).
 *
 * A field is complete only when the first byte of the next line shows it
 * is not continued, so the reader holds the current field (raw, at most
 * field_max bytes) and hands it out when that byte arrives, without taking
 * the byte.  A CR at the start of a line waits for the next byte: CRLF
 * there is the empty line.  Offsets count every byte ever fed, so callers
 * get positions in the whole message however it was chunked.
 * Security: the input is untrusted; memory is bounded by field_max, the
 * number of fields returned by count_max; nothing here does I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "msg_header.h"
#include "strutil.h"

enum hstate { H_LINE_START, H_LINE_START_CR, H_IN_LINE, H_EOF, H_DONE };

struct msg_header {
	size_t field_max;
	size_t count_max;
	int flags;
	enum hstate state;
	size_t offset;		/* bytes taken so far */
	size_t body_offset;	/* set when the block ended */
	size_t count;		/* fields seen */
	int too_many_said;
	/* the current field */
	int pending;		/* a field is being read */
	struct buf *raw;
	struct buf *value;
	size_t field_offset;
	size_t field_size;
	size_t field_lines;
	int first_line;		/* still in the field's first line */
	int cut;		/* raw passed field_max */
	int crlf;
};

/* A reader for one header block; field_max and count_max bound it. */
struct msg_header *
msg_header_new(size_t field_max, size_t count_max, int flags)
{
	struct msg_header *h = xcalloc(1, sizeof(*h));

	h->field_max = field_max > 0 ? field_max : 1;
	h->count_max = count_max;
	h->flags = flags;
	h->state = H_LINE_START;
	h->raw = buf_new(h->field_max < 256 ? h->field_max : 256,
	    h->field_max);
	h->value = buf_new(h->field_max < 256 ? h->field_max : 256,
	    h->field_max);
	return h;
}

/* Free the reader and NULL the pointer. */
void
msg_header_free(struct msg_header **hp)
{
	if (*hp == NULL)
		return;
	buf_free(&(*hp)->raw);
	buf_free(&(*hp)->value);
	free(*hp);
	*hp = NULL;
}

/* Fields seen so far (returned or not). */
size_t
msg_header_count(const struct msg_header *h)
{
	return h->count;
}

/* 1 when the counted name equals want, ignoring ASCII case. */
int
msg_header_name_is(const char *name, size_t len, const char *want)
{
	return str_casecmp_n(name, len, want) == 0;
}

/* Append the value with CRLF and LF removed (RFC 5322 2.2.3 unfolding);
 * a CR not followed by LF is kept as data. */
int
msg_header_unfold(const char *p, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(p + i, '\n', len - i);
		size_t seg = nl != NULL ? (size_t)(nl - (p + i)) : len - i;
		size_t keep = seg;

		if (nl != NULL && seg > 0 && p[i + seg - 1] == '\r')
			keep--;
		if (buf_append(out, p + i, keep) < 0)
			return -1;
		i += seg + (nl != NULL);
	}
	return 0;
}

/* Start a new field at absolute offset off. */
static void
field_start(struct msg_header *h, size_t off)
{
	buf_reset(h->raw);
	h->pending = 1;
	h->field_offset = off;
	h->field_size = 0;
	h->field_lines = 0;
	h->first_line = 1;
	h->cut = 0;
	h->crlf = 0;
}

/* Add raw field bytes, keeping at most field_max of them. */
static void
field_bytes(struct msg_header *h, const char *p, size_t n)
{
	size_t room = h->field_max - h->raw->len;

	h->field_size += n;
	if (n > room) {
		h->cut = 1;
		n = room;
	}
	if (n > 0 && buf_append(h->raw, p, n) < 0)
		h->cut = 1;	/* cannot happen: room was checked */
}

/* Length of the field name at the start of raw and where its colon is;
 * 0 when the line is no field. */
static size_t
field_name(const char *p, size_t len, size_t *colon_r)
{
	size_t i = 0, n;

	while (i < len && (unsigned char)p[i] > 32 &&
	    (unsigned char)p[i] < 127 && p[i] != ':')
		i++;
	n = i;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (n == 0 || i >= len || p[i] != ':')
		return 0;
	*colon_r = i;
	return n;
}

/* The name of the field being read when its colon has been seen. */
int
msg_header_pending(const struct msg_header *h, const char **name_r,
    size_t *len_r)
{
	size_t colon;

	if (!h->pending || h->state == H_DONE || h->state == H_EOF)
		return 0;
	*name_r = h->raw->data;
	*len_r = field_name(h->raw->data, h->raw->len, &colon);
	return *len_r > 0;
}

/* Fill f from the pending field; the result to return for it. */
static enum msg_header_result
field_out(struct msg_header *h, struct msg_header_field *f)
{
	size_t colon = 0, vl;
	const char *v;

	memset(f, 0, sizeof(*f));
	h->pending = 0;
	h->count++;
	f->offset = h->field_offset;
	f->size = h->field_size;
	f->lines = h->field_lines;
	f->flags = h->crlf ? MSG_HEADER_F_CRLF : 0;
	f->name = h->raw->data;
	f->name_len = field_name(h->raw->data, h->raw->len, &colon);
	if (f->name_len == 0)
		f->flags |= MSG_HEADER_F_NONFIELD;
	if (h->count_max > 0 && h->count > h->count_max) {
		f->name_len = 0;
		if (h->too_many_said)
			return MSG_HEADER_MORE;	/* skipped */
		h->too_many_said = 1;
		return MSG_HEADER_TOO_MANY;
	}
	if (h->cut)
		return MSG_HEADER_TOO_LONG;
	f->raw = h->raw->data;
	f->raw_len = h->raw->len;
	buf_reset(h->value);
	v = f->name_len > 0 ? h->raw->data + colon + 1 : h->raw->data;
	if (msg_header_unfold(v, h->raw->len - (size_t)(v - h->raw->data),
	    h->value) < 0)
		return MSG_HEADER_TOO_LONG;	/* cannot happen: same max */
	vl = h->value->len;
	f->value = str_trim(h->value->data, &vl);
	f->value_len = vl;
	return MSG_HEADER_FIELD;
}

/* The block ended; the body starts at absolute offset off. */
static enum msg_header_result
block_end(struct msg_header *h, size_t off, struct msg_header_field *f)
{
	memset(f, 0, sizeof(*f));
	h->state = H_DONE;
	h->body_offset = off;
	f->offset = off;
	return MSG_HEADER_END;
}

/* 1 when the first line just read is no field and ends the block. */
static int
nonfield_ends(const struct msg_header *h)
{
	size_t colon;

	return (h->flags & MSG_HEADER_NONFIELD_ENDS) &&
	    field_name(h->raw->data, h->raw->len, &colon) == 0;
}

/* Take bytes of the current line up to and including its LF. */
static size_t
line_bytes(struct msg_header *h, const char *p, size_t len)
{
	const char *nl = memchr(p, '\n', len);
	size_t n = nl != NULL ? (size_t)(nl - p) + 1 : len;

	field_bytes(h, p, n);
	if (nl != NULL) {
		h->crlf = (n >= 2 && p[n - 2] == '\r') ||
		    (n == 1 && h->raw->len >= 2 &&
		    h->raw->data[h->raw->len - 2] == '\r');
		h->field_lines++;
		h->state = H_LINE_START;
	}
	return n;
}

/* One step at the start of a line; returns a result or MORE to go on. */
static enum msg_header_result
line_start(struct msg_header *h, char c, size_t *i,
    struct msg_header_field *f)
{
	enum msg_header_result r;

	if ((c == ' ' || c == '\t') && h->pending) {
		h->state = H_IN_LINE;
		return MSG_HEADER_MORE;
	}
	if (h->pending && (r = field_out(h, f)) != MSG_HEADER_MORE)
		return r;
	if (c == '\n') {
		(*i)++;
		return block_end(h, h->offset + *i, f);
	}
	if (c == '\r') {
		(*i)++;
		h->state = H_LINE_START_CR;
		return MSG_HEADER_MORE;
	}
	field_start(h, h->offset + *i);
	h->state = H_IN_LINE;
	return MSG_HEADER_MORE;
}

/* Feed bytes; see msg_header.h for the results. */
enum msg_header_result
msg_header_feed(struct msg_header *h, const char *p, size_t len,
    size_t *used_r, struct msg_header_field *f_r)
{
	enum msg_header_result r = MSG_HEADER_MORE;
	size_t i = 0;

	while (i < len && r == MSG_HEADER_MORE) {
		switch (h->state) {
		case H_LINE_START:
			r = line_start(h, p[i], &i, f_r);
			break;
		case H_LINE_START_CR:
			if (p[i] == '\n') {
				i++;
				r = block_end(h, h->offset + i, f_r);
				break;
			}
			field_start(h, h->offset + i - 1);
			field_bytes(h, "\r", 1);
			h->state = H_IN_LINE;
			break;
		case H_IN_LINE:
			i += line_bytes(h, p + i, len - i);
			if (h->state != H_LINE_START)
				break;
			if (h->first_line && nonfield_ends(h))
				r = block_end(h, h->field_offset, f_r);
			h->first_line = 0;
			break;
		case H_EOF:
		case H_DONE:
			r = block_end(h, h->body_offset, f_r);
			break;
		}
	}
	h->offset += i;
	*used_r = i;
	return r;
}

/* Read the header block at the start of p[0..len) in one go, calling fn
 * for every FIELD and TOO_LONG result; returns where the body starts, or
 * -1 as soon as fn returns -1. */
long
msg_header_each(const char *p, size_t len, size_t field_max, int flags,
    msg_header_fn fn, void *arg)
{
	struct msg_header *h = msg_header_new(field_max, 0, flags);
	struct msg_header_field f;
	enum msg_header_result r = MSG_HEADER_MORE;
	size_t used;
	long ret = 0;

	while (r != MSG_HEADER_END && ret == 0) {
		r = len > 0 ? msg_header_feed(h, p, len, &used, &f) :
		    msg_header_finish(h, &f);
		if (len > 0) {
			p += used;
			len -= used;
		}
		if (r == MSG_HEADER_FIELD || r == MSG_HEADER_TOO_LONG)
			ret = fn(arg, r, &f);
	}
	msg_header_free(&h);
	return ret < 0 ? -1 : (long)f.offset;
}

/* The input ended: the pending field, then END. */
enum msg_header_result
msg_header_finish(struct msg_header *h, struct msg_header_field *f_r)
{
	enum msg_header_result r;

	if (h->state == H_DONE)
		return block_end(h, h->body_offset, f_r);
	if (h->state == H_LINE_START_CR)
		return block_end(h, h->offset - 1, f_r);
	if (h->state == H_IN_LINE && h->first_line && nonfield_ends(h))
		return block_end(h, h->field_offset, f_r);
	h->state = H_EOF;
	if (h->pending && (r = field_out(h, f_r)) != MSG_HEADER_MORE)
		return r;
	return block_end(h, h->offset, f_r);
}
