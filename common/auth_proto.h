/*
 * auth_proto.h - the framing of the requests to the password-checking
 * service petrel-auth (local/auth_*.c) and of its answers.  Pure code: no
 * I/O, so the parsers can be unit tested and fuzzed; the client
 * (auth_client.c) and the service both use it.
 *
 * Wire format (binary-safe; one request and one answer per connection on
 * the unix stream socket auth_listen): every field is a netstring,
 * "<length>:<bytes>,", the length in decimal without leading zeros and
 * at most 4 digits.
 *   request  = "VERIFY" service user password client-address
 *            | "REDEEM" cookie
 *   answer   = status value
 *   status   = "OK"   value: the login cookie (VERIFY), the user (REDEEM)
 *            | "NO"   bad user or password (value: the seconds the client
 *                     should wait before it tells its user, 0..60, in
 *                     decimal); unknown, used or expired cookie (a reason)
 *            | "TEMP" try later (map trouble, timeout); value: a reason
 *            | "DENY" this peer may not ask this; value: a reason
 *            | "WAIT" VERIFY only: the password was not checked because
 *                     the client address is under a failure penalty; ask
 *                     again after value seconds (1..60, decimal)
 * Example: "6:VERIFY,4:smtp,17:alice@example.test,6:secret,9:127.0.0.1,"
 * is answered "2:OK,32:<32 lower-case hex digits>,".
 * Bounds: a request is at most AUTH_PROTO_REQ_MAX bytes, an answer at most
 * AUTH_PROTO_REPLY_MAX; service 1..32 bytes of [a-z0-9-], user 1..255 and
 * client-address 0..64 printable bytes (no controls), password 0..1024
 * bytes without NUL, cookie exactly 32 lower-case hex digits, answer value
 * 0..255 printable bytes.
 *
 * Public:
 *   auth_proto_parse_request(p, len, &req, &used)  1: a complete request
 *       in the first *used bytes (fields point into p); 0: a valid prefix,
 *       read more; -1: malformed or too long (drop the connection).
 *   auth_proto_parse_reply(p, len, &rep, &used)     the same for answers.
 *   auth_proto_put_verify(b, service, user, pw, pwlen, addr)
 *   auth_proto_put_redeem(b, cookie)
 *   auth_proto_put_reply(b, status, value, len)     append an encoded
 *       request or answer to b; 0, or -1 when a field breaks its bound
 *       (or b's maximum is reached).
 *   auth_proto_status_name(status)                  "OK", "NO", ...
 *   auth_proto_seconds(value)  the seconds a NO or WAIT value names
 *       (0 when it is not 1-2 decimal digits; at most AUTH_PROTO_DELAY_MAX).
 * Security: the service parses requests from local processes it has not
 * yet trusted (the peer check comes first, but the bytes are still
 * untrusted): nothing reads past len, every field is bounded.  Encoded
 * requests carry passwords: callers wipe their buffers.
 */
#ifndef PETREL_AUTH_PROTO_H
#define PETREL_AUTH_PROTO_H

#include <stddef.h>
#include "buf.h"
#include "log.h"

#define AUTH_PROTO_REQ_MAX	2048
#define AUTH_PROTO_REPLY_MAX	512
#define AUTH_PROTO_SERVICE_MAX	32
#define AUTH_PROTO_USER_MAX	255
#define AUTH_PROTO_PASSWORD_MAX	1024
#define AUTH_PROTO_ADDR_MAX	64
#define AUTH_PROTO_VALUE_MAX	255
#define AUTH_PROTO_COOKIE_LEN	32	/* 128 bits in hex */
#define AUTH_PROTO_DELAY_MAX	60	/* seconds in a NO or WAIT answer */

struct auth_field {
	const char *p;
	size_t len;
};

enum auth_cmd {
	AUTH_CMD_VERIFY = 1,
	AUTH_CMD_REDEEM
};

struct auth_req {
	enum auth_cmd cmd;
	struct auth_field service, user, password, addr;	/* VERIFY */
	struct auth_field cookie;				/* REDEEM */
};

enum auth_status {
	AUTH_ST_OK = 1,
	AUTH_ST_NO,
	AUTH_ST_TEMP,
	AUTH_ST_DENY,
	AUTH_ST_WAIT
};

struct auth_reply {
	enum auth_status status;
	struct auth_field value;
};

int auth_proto_parse_request(const char *p, size_t len, struct auth_req *req,
    size_t *used_r) WARN_UNUSED;
int auth_proto_parse_reply(const char *p, size_t len, struct auth_reply *rep,
    size_t *used_r) WARN_UNUSED;
int auth_proto_put_verify(struct buf *b, const char *service,
    const char *user, const char *pw, size_t pwlen, const char *addr)
    WARN_UNUSED;
int auth_proto_put_redeem(struct buf *b, const char *cookie) WARN_UNUSED;
int auth_proto_put_reply(struct buf *b, enum auth_status status,
    const char *value, size_t len) WARN_UNUSED;
const char *auth_proto_status_name(enum auth_status status);
unsigned auth_proto_seconds(const struct auth_field *value);

#endif
