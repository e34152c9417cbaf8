/*
 * fuzz_auth_proto.c - libFuzzer target for petrel-auth's request and
 * answer parsers (common/auth_proto.c).  Any input must parse, ask for
 * more, or be refused without crashing; a parsed request's fields must lie
 * inside the consumed bytes and keep their bounds, and re-encoding them
 * must give back exactly those bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* abort() unless f lies inside p[0..used) and is at most max long. */
static void
fuzz_inside(const struct auth_field *f, const char *p, size_t used,
    size_t max)
{
	if (f->len > max || (f->len > 0 && (f->p < p ||
	    f->p + f->len > p + used)))
		abort();
}

/* A field as a C string (dst is big enough for the field's bound). */
static void
fuzz_cstr(char *dst, const struct auth_field *f)
{
	if (f->len > 0)
		memcpy(dst, f->p, f->len);
	dst[f->len] = '\0';
}

/* Re-encode a parsed request; it must equal the bytes it came from. */
static void
fuzz_reencode(const struct auth_req *r, const char *p, size_t used)
{
	struct buf *b = buf_new(64, AUTH_PROTO_REQ_MAX);
	char s[AUTH_PROTO_SERVICE_MAX + 1], u[AUTH_PROTO_USER_MAX + 1];
	char a[AUTH_PROTO_ADDR_MAX + 1], c[AUTH_PROTO_COOKIE_LEN + 1];
	int rc;

	fuzz_cstr(s, &r->service);
	fuzz_cstr(u, &r->user);
	fuzz_cstr(a, &r->addr);
	fuzz_cstr(c, &r->cookie);
	rc = r->cmd == AUTH_CMD_VERIFY ? auth_proto_put_verify(b, s, u,
	    r->password.p, r->password.len, a) : auth_proto_put_redeem(b, c);
	if (rc != 0 || b->len != used || memcmp(b->data, p, used) != 0)
		abort();
	buf_free(&b);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct auth_req r;
	struct auth_reply rep;
	size_t used = 0;

	if (auth_proto_parse_request(p, size, &r, &used) == 1) {
		if (used > size || used > AUTH_PROTO_REQ_MAX)
			abort();
		fuzz_inside(&r.service, p, used, AUTH_PROTO_SERVICE_MAX);
		fuzz_inside(&r.user, p, used, AUTH_PROTO_USER_MAX);
		fuzz_inside(&r.password, p, used, AUTH_PROTO_PASSWORD_MAX);
		fuzz_inside(&r.addr, p, used, AUTH_PROTO_ADDR_MAX);
		fuzz_inside(&r.cookie, p, used, AUTH_PROTO_COOKIE_LEN);
		fuzz_reencode(&r, p, used);
	}
	if (auth_proto_parse_reply(p, size, &rep, &used) == 1) {
		if (used > size)
			abort();
		fuzz_inside(&rep.value, p, used, AUTH_PROTO_VALUE_MAX);
		if (auth_proto_seconds(&rep.value) > AUTH_PROTO_DELAY_MAX)
			abort();
	}
	return 0;
}
