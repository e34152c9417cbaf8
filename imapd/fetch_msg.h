/*
 * fetch_msg.h - one message file as FETCH and SEARCH read it: loaded once
 * per message (read into a reused buffer, or mapped when large), its MIME
 * structure parsed on demand, and the bytes of any BODY[section] in IMAP
 * form (every bare LF sent as CRLF: IMAP sizes and literals count CRLF).
 *
 * Public:
 *   fetch_msg_load(fm, box, uid, &errstr)  0, or -1 (the file is gone:
 *        expunged under us, or unreadable).
 *   fetch_msg_mime(fm)             the parsed structure (cached per load).
 *   fetch_msg_release(fm)          after one message (keeps the buffer).
 *   fetch_msg_free(fm)             at the end of the command.
 *   fetch_crlf_size(p, len)        the size once bare LFs become CRLF.
 *   fetch_crlf_append(b, p, len)   append with bare LFs as CRLF; 0 or -1.
 *   fetch_section(fm, sec, out, &exists)  the section's bytes (CRLF form,
 *        before any partial) appended to out; *exists 0 when the message
 *        has no such part (the caller sends NIL).  0 or -1 (out full).
 * Security: message files are untrusted; the MIME parser bounds depth,
 * part count and field sizes.
 */
#ifndef PETREL_IMAPD_FETCH_MSG_H
#define PETREL_IMAPD_FETCH_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "log.h"

#define FETCH_READ_MAX	(256 * 1024)	/* larger files are mapped */

struct buf;
struct mime_message;
struct mstore_box;
struct imap_fetch_section;

struct fetch_msg {
	const char *data;
	size_t len;
	char *rbuf;			/* reused read buffer */
	size_t rcap;
	void *map;			/* mapped file, or NULL */
	size_t map_len;
	struct mime_message *mime;
};

int fetch_msg_load(struct fetch_msg *fm, struct mstore_box *box,
    uint32_t uid, const char **errstr_r) WARN_UNUSED;
const struct mime_message *fetch_msg_mime(struct fetch_msg *fm);
void fetch_msg_release(struct fetch_msg *fm);
void fetch_msg_free(struct fetch_msg *fm);
size_t fetch_crlf_size(const char *p, size_t len);
int fetch_crlf_append(struct buf *b, const char *p, size_t len) WARN_UNUSED;
int fetch_section(struct fetch_msg *fm, const struct imap_fetch_section *sec,
    struct buf *out, int *exists_r) WARN_UNUSED;

#endif
