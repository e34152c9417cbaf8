/*
 * mime_parse.h - the MIME structure of a whole message (RFC 2045, 2046,
 * 2183, 2231, 3282, 2557, 1864), as IMAP's BODYSTRUCTURE and
 * BODY[section] need it.
 *
 * Structure (common/mime_parse.c):
 *   msg = mime_parse(p, len);   never fails: every message has a tree
 *   msg->parts[0] is the message; parts[i].first_child / .next walk the
 *   tree (MIME_PART_NONE ends a list); mime_message_free(&msg).
 *   mime_part_section(msg, "1.2", len) finds an IMAP section's part.
 * A part has the offset and size of its header (up to and including the
 * empty line) and of its body, the body's LF count, its "virtual" sizes
 * (each bare LF counted as CRLF, as IMAP sizes are), and its MIME fields.
 * The body of a multipart's child ends before the line end that precedes
 * the next boundary line (RFC 2046 5.1.1).  A message/rfc822 or
 * message/global part (7bit, 8bit, binary or no encoding) has one child:
 * the enclosed message, whose header starts at the part's body.
 * Broken structure, decided here once for every reader:
 *   - a multipart without (or with an empty or over-long) boundary
 *     parameter keeps its type but has no children
 *     (MIME_PART_BROKEN_BOUNDARY and MIME_PART_NO_PARTS): its body is
 *     all preamble, nothing in it is a part;
 *   - a multipart whose body holds no boundary line has no children
 *     either (MIME_PART_NO_PARTS).  IMAP shows both as a multipart
 *     holding one empty text/plain part, as Dovecot does
 *     (imapd/imap_bodystructure.c);
 *   - a missing final boundary ends the last part at the end of the
 *     multipart's body (MIME_PART_NO_END);
 *   - a boundary line is a line starting with "--" and the boundary
 *     (RFC 2046: a boundary must not occur as the prefix of any line);
 *     the innermost open multipart's boundary is tried first, and a line
 *     naming an outer boundary ends the inner multipart too;
 *   - deeper than MIME_PARSE_DEPTH, or past MIME_PARSE_PARTS parts, a
 *     part is kept as a leaf (msg->truncated is set);
 *   - Content-Type without a valid type/subtype counts as absent: the
 *     default is text/plain; charset=us-ascii, or message/rfc822 in a
 *     multipart/digest (RFC 2046 5.1.5).
 * Parameters (common/mime_param.c): mime_param_parse(p, len, &list, &n)
 * reads ";name=value" lists with RFC 2231 continuations joined and
 * charset'language'%XX values decoded (value has the octets, raw keeps
 * the merged encoded text); mime_param_get(list, n, name) finds one;
 * mime_param_free(&list, n).  mime_content_type(p, len, &ct) reads a
 * whole Content-Type value; mime_value_token(p, len, &tok) the first
 * token of a value (Content-Transfer-Encoding), comments skipped.
 * Security: the message is untrusted; fields are read with msg_header
 * bounds, parameters bounded by MIME_PARAM_MAX, nesting and part counts
 * bounded; the parser holds copies of the MIME fields only.
 */
#ifndef PETREL_MIME_PARSE_H
#define PETREL_MIME_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "log.h"

#define MIME_PARSE_DEPTH 40
#define MIME_PARSE_PARTS 10000
#define MIME_PARSE_FIELD_MAX (64 * 1024)	/* one MIME field */
#define MIME_PARAM_MAX 64			/* parameters per field */
#define MIME_BOUNDARY_MAX 200			/* RFC 2046 says 70 */
#define MIME_PART_NONE SIZE_MAX

struct mime_param {
	char *name;		/* without RFC 2231 "*n*" suffixes */
	char *value;		/* joined, %XX decoded (may hold any octet) */
	size_t value_len;
	char *raw;		/* joined as written (RFC 2231: encoded) */
	char *charset;		/* RFC 2231 charset, NULL when none */
	char *language;
	int extended;		/* any section was name*= (RFC 2231) */
};

struct mime_content_type {
	char *type;		/* as written (case kept), NULL when invalid */
	char *subtype;
	struct mime_param *params;
	size_t nparams;
};

#define MIME_PART_MULTIPART 0x01
#define MIME_PART_MESSAGE 0x02		/* message/rfc822 or global */
#define MIME_PART_BROKEN_BOUNDARY 0x04
#define MIME_PART_NO_PARTS 0x08
#define MIME_PART_NO_END 0x10
#define MIME_PART_CT_DEFAULT 0x20	/* no valid Content-Type */
#define MIME_PART_PARAMS_CUT 0x40	/* over MIME_PARAM_MAX parameters */

struct mime_part {
	size_t parent, first_child, next;
	size_t children;
	int depth;
	int flags;
	size_t header_offset, header_size, header_vsize, header_lines;
	size_t body_offset, body_size, body_vsize, body_lines;
	struct mime_content_type ct;	/* type/subtype always set */
	char *encoding;		/* Content-Transfer-Encoding, NULL absent */
	char *id;
	char *description;
	char *md5;
	char *location;
	char *disposition;	/* its value (lower-cased NO), NULL absent */
	struct mime_param *disp_params;
	size_t ndisp_params;
	char *language;		/* Content-Language value, unfolded */
	int ct_seen;		/* private: a Content-Type field was read */
};

struct mime_message {
	struct mime_part *parts;
	size_t nparts;
	int truncated;		/* a depth or count bound was reached */
};

struct mime_message *mime_parse(const char *p, size_t len);
void mime_message_free(struct mime_message **msgp);
const struct mime_part *mime_part_section(const struct mime_message *msg,
    const char *section, size_t len);
int mime_part_is(const struct mime_part *part, const char *type,
    const char *subtype);

int mime_param_parse(const char *p, size_t len, struct mime_param **list_r,
    size_t *n_r) WARN_UNUSED;
const struct mime_param *mime_param_get(const struct mime_param *list,
    size_t n, const char *name);
void mime_param_free(struct mime_param **listp, size_t n);
int mime_content_type(const char *p, size_t len,
    struct mime_content_type *ct) WARN_UNUSED;
void mime_content_type_free(struct mime_content_type *ct);
size_t mime_value_token(const char *p, size_t len, const char **tok_r);

#endif
