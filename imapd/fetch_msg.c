/*
 * fetch_msg.c - loading a message file and cutting BODY[section]s out of
 * it (see fetch_msg.h).
 * Sections (RFC 9051 6.4.5): an empty part path is the message itself; a
 * part path names a MIME part (mime_part_section), whose body is the
 * section (for message/rfc822 the whole enclosed message); HEADER, TEXT
 * and HEADER.FIELDS[.NOT] after a part path refer to the message that a
 * message/rfc822 part encloses, MIME to the part's own header.  The
 * header of a HEADER.FIELDS answer ends with the empty line, as RFC 9051
 * requires.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "fetch_msg.h"
#include "imap_fetch_args.h"
#include "mime_parse.h"
#include "msg_header.h"
#include "mstore.h"

/* Read or map an open file. */
static int
msg_fill(struct fetch_msg *fm, int fd, size_t size, const char **errstr_r)
{
	size_t got = 0;
	ssize_t n;

	if (size > FETCH_READ_MAX) {
		fm->map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (fm->map == MAP_FAILED) {
			fm->map = NULL;
			*errstr_r = strerror(errno);
			return -1;
		}
		fm->map_len = size;
		fm->data = fm->map;
		fm->len = size;
		return 0;
	}
	if (fm->rcap < size + 1) {
		fm->rcap = size + 4096;
		fm->rbuf = xrealloc(fm->rbuf, fm->rcap);
	}
	while (got < size && (n = read(fd, fm->rbuf + got, size - got)) > 0)
		got += (size_t)n;
	fm->data = fm->rbuf;
	fm->len = got;
	return 0;
}

/* Load the message with this UID. */
int
fetch_msg_load(struct fetch_msg *fm, struct mstore_box *box, uint32_t uid,
    const char **errstr_r)
{
	struct stat st;
	int fd, rc;

	fetch_msg_release(fm);
	if (mstore_open_msg(box, uid, &fd, errstr_r) != 0)
		return -1;
	if (fstat(fd, &st) != 0) {
		*errstr_r = strerror(errno);
		close(fd);
		return -1;
	}
	rc = st.st_size == 0 ? 0 : msg_fill(fm, fd, (size_t)st.st_size,
	    errstr_r);
	if (st.st_size == 0) {
		fm->data = "";
		fm->len = 0;
	}
	close(fd);
	return rc;
}

/* The MIME structure, parsed once per load. */
const struct mime_message *
fetch_msg_mime(struct fetch_msg *fm)
{
	if (fm->mime == NULL)
		fm->mime = mime_parse(fm->data, fm->len);
	return fm->mime;
}

/* Forget the current message (the read buffer stays). */
void
fetch_msg_release(struct fetch_msg *fm)
{
	if (fm->map != NULL)
		munmap(fm->map, fm->map_len);
	fm->map = NULL;
	fm->data = NULL;
	fm->len = 0;
	if (fm->mime != NULL)
		mime_message_free(&fm->mime);
}

/* Free everything. */
void
fetch_msg_free(struct fetch_msg *fm)
{
	fetch_msg_release(fm);
	free(fm->rbuf);
	fm->rbuf = NULL;
	fm->rcap = 0;
}

/* The size with every bare LF counted as CRLF. */
size_t
fetch_crlf_size(const char *p, size_t len)
{
	const char *start = p, *end = p + len, *lf;
	size_t extra = 0;

	for (; p < end && (lf = memchr(p, '\n', (size_t)(end - p))) != NULL;
	    p = lf + 1)
		if (lf == start || lf[-1] != '\r')
			extra++;
	return len + extra;
}

/* Append with every bare LF as CRLF. */
int
fetch_crlf_append(struct buf *b, const char *p, size_t len)
{
	const char *start = p, *end = p + len, *lf;

	for (; p < end && (lf = memchr(p, '\n', (size_t)(end - p))) != NULL;
	    p = lf + 1) {
		if (lf > start && lf[-1] == '\r')
			continue;
		if (buf_append(b, start, (size_t)(lf - start)) != 0 ||
		    buf_append(b, "\r\n", 2) != 0)
			return -1;
		start = lf + 1;
	}
	return buf_append(b, start, (size_t)(end - start));
}

/* The part a section's path names (the message for an empty path). */
static const struct mime_part *
section_part(struct fetch_msg *fm, const struct imap_fetch_section *sec)
{
	const struct mime_message *msg = fetch_msg_mime(fm);
	char path[IMAP_PART_DEPTH_MAX * 11];
	size_t n = 0;

	if (sec->part_count == 0)
		return &msg->parts[0];
	for (size_t i = 0; i < sec->part_count; i++)
		n += (size_t)snprintf(path + n, sizeof(path) - n, "%s%lu",
		    i ? "." : "", (unsigned long)sec->part[i]);
	return mime_part_section(msg, path, n);
}

struct fields_ctx {
	const struct imap_fetch_section *sec;
	struct buf *out;
	int failed;
};

/* Whether a field name is in the section's list. */
static int
fields_listed(const struct imap_fetch_section *sec, const char *name,
    size_t len)
{
	for (size_t i = 0; i < sec->field_count; i++)
		if (msg_header_name_is(name, len, sec->fields[i]))
			return 1;
	return 0;
}

/* msg_header_each callback: keep the fields HEADER.FIELDS[.NOT] wants. */
static int
fields_one(void *arg, enum msg_header_result r,
    const struct msg_header_field *f)
{
	struct fields_ctx *fc = arg;
	int want;

	if (r != MSG_HEADER_FIELD || (f->flags & MSG_HEADER_F_NONFIELD))
		return r == MSG_HEADER_END ? 1 : 0;
	want = fields_listed(fc->sec, f->name, f->name_len);
	if (fc->sec->text == IMAP_SECTION_HEADER_FIELDS_NOT)
		want = !want;
	if (want && fetch_crlf_append(fc->out, f->raw, f->raw_len) != 0)
		fc->failed = 1;
	return fc->failed ? -1 : 0;
}

/* Header fields of the header at (p, len), then the empty line. */
static int
section_fields(const struct imap_fetch_section *sec, const char *p,
    size_t len, struct buf *out)
{
	struct fields_ctx fc = { sec, out, 0 };

	if (msg_header_each(p, len, MIME_PARSE_FIELD_MAX, 0, fields_one,
	    &fc) < 0 && fc.failed)
		return -1;
	return buf_append(out, "\r\n", 2);
}

/* Append (p, len) of the message in CRLF form. */
static int
section_bytes(struct fetch_msg *fm, size_t off, size_t len, struct buf *out)
{
	if (off > fm->len || len > fm->len - off)
		return 0;
	return fetch_crlf_append(out, fm->data + off, len);
}

/* A section's bytes; see fetch_msg.h. */
int
fetch_section(struct fetch_msg *fm, const struct imap_fetch_section *sec,
    struct buf *out, int *exists_r)
{
	const struct mime_message *msg;
	const struct mime_part *part;

	*exists_r = 1;
	if (sec->part_count == 0 && sec->text == IMAP_SECTION_WHOLE)
		return fetch_crlf_append(out, fm->data, fm->len);
	if ((part = section_part(fm, sec)) == NULL) {
		*exists_r = 0;
		return 0;
	}
	if (sec->text == IMAP_SECTION_MIME)
		return section_bytes(fm, part->header_offset, part->header_size,
		    out);
	if (sec->text == IMAP_SECTION_WHOLE)
		return section_bytes(fm, part->body_offset, part->body_size,
		    out);
	if (sec->part_count > 0) {
		msg = fetch_msg_mime(fm);
		if (!(part->flags & MIME_PART_MESSAGE) ||
		    part->first_child == MIME_PART_NONE)
			return 0;	/* not a message: empty */
		part = &msg->parts[part->first_child];
	}
	if (sec->text == IMAP_SECTION_TEXT)
		return section_bytes(fm, part->body_offset, part->body_size,
		    out);
	if (sec->text == IMAP_SECTION_HEADER)
		return section_bytes(fm, part->header_offset, part->header_size,
		    out);
	if (part->header_offset > fm->len ||
	    part->header_size > fm->len - part->header_offset)
		return 0;
	return section_fields(sec, fm->data + part->header_offset,
	    part->header_size, out);
}
