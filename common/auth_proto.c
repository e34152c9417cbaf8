/*
 * auth_proto.c - netstring framing of petrel-auth's requests and answers
 * (the format is documented in auth_proto.h).
 *
 * Public: auth_proto_parse_request, auth_proto_parse_reply (1 complete,
 * 0 read more, -1 malformed), auth_proto_put_verify, auth_proto_put_redeem,
 * auth_proto_put_reply (0 or -1), auth_proto_status_name.
 * Security: parsers are pure over (p, len), read nothing past len, and
 * refuse a length prefix longer than its field's bound before the bytes
 * arrive.  An encoder that fails wipes and removes what it appended, so a
 * half-written password never stays in the caller's buffer.
 */
#include <string.h>

#include "auth_proto.h"

#define NS_DIGITS_MAX 4

/* One netstring at p: 1 with the field and its encoded size, 0 when p is
 * a valid but incomplete prefix, -1 when malformed or longer than max. */
static int
ns_get(const char *p, size_t len, size_t max, struct auth_field *f,
    size_t *used_r)
{
	size_t i = 0, n = 0;

	while (i < len && i <= NS_DIGITS_MAX && p[i] >= '0' && p[i] <= '9') {
		if (i > 0 && p[0] == '0')
			return -1;	/* leading zero */
		n = n * 10 + (size_t)(p[i] - '0');
		i++;
	}
	if (i > NS_DIGITS_MAX)
		return -1;
	if (i == len)
		return 0;
	if (i == 0 || p[i] != ':' || n > max)
		return -1;
	if (len - i - 1 < n + 1)
		return 0;
	if (p[i + 1 + n] != ',')
		return -1;
	f->p = p + i + 1;
	f->len = n;
	*used_r = i + 2 + n;
	return 1;
}

/* n consecutive netstrings with bounds max[]: as ns_get, *used_r total. */
static int
ns_get_n(const char *p, size_t len, const size_t *max, size_t n,
    struct auth_field *f, size_t *used_r)
{
	size_t off = 0, u = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		rc = ns_get(p + off, len - off, max[i], &f[i], &u);
		if (rc <= 0)
			return rc;
		off += u;
	}
	*used_r = off;
	return 1;
}

/* 1 when f is exactly the C string s. */
static int
field_is(const struct auth_field *f, const char *s)
{
	return f->len == strlen(s) && memcmp(f->p, s, f->len) == 0;
}

/* 1 when every byte is printable (no controls, no DEL; 8-bit allowed). */
static int
field_printable(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

/* A service name: 1..AUTH_PROTO_SERVICE_MAX of [a-z0-9-]. */
static int
field_service(const char *p, size_t len)
{
	if (len == 0 || len > AUTH_PROTO_SERVICE_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
			return 0;
	return 1;
}

/* A cookie: exactly AUTH_PROTO_COOKIE_LEN lower-case hex digits. */
static int
field_cookie(const char *p, size_t len)
{
	if (len != AUTH_PROTO_COOKIE_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

/* The fields of a VERIFY request are within their rules. */
static int
verify_fields_ok(const struct auth_req *r)
{
	return field_service(r->service.p, r->service.len) &&
	    r->user.len > 0 && field_printable(r->user.p, r->user.len) &&
	    memchr(r->password.p, '\0', r->password.len) == NULL &&
	    field_printable(r->addr.p, r->addr.len);
}

/* The arguments of the command named by req->cmd, starting at p. */
static int
request_args(const char *p, size_t len, struct auth_req *req, size_t *used_r)
{
	static const size_t vmax[] = { AUTH_PROTO_SERVICE_MAX,
	    AUTH_PROTO_USER_MAX, AUTH_PROTO_PASSWORD_MAX, AUTH_PROTO_ADDR_MAX };
	static const size_t rmax[] = { AUTH_PROTO_COOKIE_LEN };
	struct auth_field f[4];
	int rc;

	if (req->cmd == AUTH_CMD_REDEEM) {
		if ((rc = ns_get_n(p, len, rmax, 1, f, used_r)) != 1)
			return rc;
		req->cookie = f[0];
		return field_cookie(f[0].p, f[0].len) ? 1 : -1;
	}
	if ((rc = ns_get_n(p, len, vmax, 4, f, used_r)) != 1)
		return rc;
	req->service = f[0];
	req->user = f[1];
	req->password = f[2];
	req->addr = f[3];
	return verify_fields_ok(req) ? 1 : -1;
}

/* Parse one request (see auth_proto.h). */
int
auth_proto_parse_request(const char *p, size_t len, struct auth_req *req,
    size_t *used_r)
{
	struct auth_field cmd;
	size_t u = 0, ua = 0;
	int rc;

	memset(req, 0, sizeof(*req));
	rc = ns_get(p, len, 6, &cmd, &u);
	if (rc == 1) {
		if (field_is(&cmd, "VERIFY"))
			req->cmd = AUTH_CMD_VERIFY;
		else if (field_is(&cmd, "REDEEM"))
			req->cmd = AUTH_CMD_REDEEM;
		else
			return -1;
		rc = request_args(p + u, len - u, req, &ua);
	}
	if (rc == 0 && len >= AUTH_PROTO_REQ_MAX)
		return -1;
	if (rc == 1)
		*used_r = u + ua;
	return rc;
}

/* Parse one answer (see auth_proto.h). */
int
auth_proto_parse_reply(const char *p, size_t len, struct auth_reply *rep,
    size_t *used_r)
{
	static const size_t max[] = { 4, AUTH_PROTO_VALUE_MAX };
	static const char *const names[] = { "OK", "NO", "TEMP", "DENY",
	    "WAIT" };
	struct auth_field f[2];
	int rc;

	memset(rep, 0, sizeof(*rep));
	if ((rc = ns_get_n(p, len, max, 2, f, used_r)) != 1)
		return rc;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (field_is(&f[0], names[i]))
			rep->status = (enum auth_status)(AUTH_ST_OK + (int)i);
	if (rep->status == 0 || !field_printable(f[1].p, f[1].len))
		return -1;
	rep->value = f[1];
	return 1;
}

/* Append one netstring; 0 or -1. */
static int
ns_put(struct buf *b, const char *p, size_t len)
{
	if (buf_printf(b, "%zu:", len) != 0 || buf_append(b, p, len) != 0 ||
	    buf_append_char(b, ',') != 0)
		return -1;
	return 0;
}

/* Undo a failed encoding: wipe and drop everything after start. */
static int
put_fail(struct buf *b, size_t start)
{
	if (b->len > start)
		explicit_bzero(b->data + start, b->len - start);
	b->len = start;
	return -1;
}

/* Encode a VERIFY request (see auth_proto.h). */
int
auth_proto_put_verify(struct buf *b, const char *service, const char *user,
    const char *pw, size_t pwlen, const char *addr)
{
	size_t start = b->len, ulen = strlen(user), alen = strlen(addr);

	if (!field_service(service, strlen(service)) || ulen == 0 ||
	    ulen > AUTH_PROTO_USER_MAX || !field_printable(user, ulen) ||
	    pwlen > AUTH_PROTO_PASSWORD_MAX ||
	    memchr(pw, '\0', pwlen) != NULL || alen > AUTH_PROTO_ADDR_MAX ||
	    !field_printable(addr, alen))
		return -1;
	if (ns_put(b, "VERIFY", 6) != 0 ||
	    ns_put(b, service, strlen(service)) != 0 ||
	    ns_put(b, user, ulen) != 0 || ns_put(b, pw, pwlen) != 0 ||
	    ns_put(b, addr, alen) != 0)
		return put_fail(b, start);
	return 0;
}

/* Encode a REDEEM request. */
int
auth_proto_put_redeem(struct buf *b, const char *cookie)
{
	size_t start = b->len;

	if (!field_cookie(cookie, strlen(cookie)))
		return -1;
	if (ns_put(b, "REDEEM", 6) != 0 ||
	    ns_put(b, cookie, AUTH_PROTO_COOKIE_LEN) != 0)
		return put_fail(b, start);
	return 0;
}

/* Encode an answer. */
int
auth_proto_put_reply(struct buf *b, enum auth_status status,
    const char *value, size_t len)
{
	const char *name = auth_proto_status_name(status);
	size_t start = b->len;

	if (name[0] == '?' || len > AUTH_PROTO_VALUE_MAX ||
	    !field_printable(value, len))
		return -1;
	if (ns_put(b, name, strlen(name)) != 0 || ns_put(b, value, len) != 0)
		return put_fail(b, start);
	return 0;
}

/* The wire name of a status. */
const char *
auth_proto_status_name(enum auth_status status)
{
	switch (status) {
	case AUTH_ST_OK: return "OK";
	case AUTH_ST_NO: return "NO";
	case AUTH_ST_TEMP: return "TEMP";
	case AUTH_ST_DENY: return "DENY";
	case AUTH_ST_WAIT: return "WAIT";
	}
	return "?";
}

/* The seconds an answer's value names (see auth_proto.h). */
unsigned
auth_proto_seconds(const struct auth_field *value)
{
	unsigned n = 0;

	if (value->len == 0 || value->len > 2)
		return 0;
	for (size_t i = 0; i < value->len; i++) {
		if (value->p[i] < '0' || value->p[i] > '9')
			return 0;
		n = n * 10 + (unsigned)(value->p[i] - '0');
	}
	return n > AUTH_PROTO_DELAY_MAX ? AUTH_PROTO_DELAY_MAX : n;
}
