/*
 * addr.c - pure RFC 5321 path and mailbox parsers (no I/O, no allocation).
 *
 * Public: addr_parse_path, addr_split, addr_is_valid_domain, addr_normalize.
 * addr_parse_path returns 0 with *path_r filled, or -1 with *errstr_r set to
 * a short reason fit for a 501 reply.  Grammar (RFC 5321 4.1.2):
 *   Path      = "<" [ A-d-l ":" ] Mailbox ">"   (A-d-l is parsed, ignored)
 *   Mailbox   = Local-part [ "@" ( Domain / address-literal ) ]
 * The domain is optional so that "<postmaster>" works (RFC 5321 4.5.1).
 * Local parts are a Dot-string or a Quoted-string, kept as given; 8-bit
 * bytes are refused unless the caller passes ADDR_ALLOW_UTF8 (RFC 6531:
 * the client declared SMTPUTF8), which admits well-formed UTF-8 in
 * dot-string local parts and in domain labels (U-labels).  Limits: local part 64,
 * domain 255, mailbox 254 (so the path with its brackets fits in 256).
 * Security: every input is untrusted network data and travels with its
 * length; no byte past p+len is read and nothing is written past
 * path_r->addr[ADDR_MAX].
 */
#include <arpa/inet.h>
#include <string.h>

#include "addr.h"
#include "strutil.h"

#define ADDR_LOCAL_MAX	64
#define ADDR_DOMAIN_MAX	255
#define ADDR_LABEL_MAX	63
#define ADDR_MAILBOX_MAX (ADDR_MAX - 2)

/* 1 for an ASCII letter or digit. */
static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* 1 for an RFC 5322 atext byte. */
static int
is_atext(int c)
{
	return is_alnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* 1 for SP or HTAB. */
static int
is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* 1 if p/len is well-formed UTF-8 (shortest forms, no surrogates, at
 * most U+10FFFF). */
static int
addr_utf8_valid(const char *p, size_t len)
{
	size_t i = 0, k, n;
	unsigned long cp;

	while (i < len) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
		if (n == 0 || c > 0xf4 || len - i <= n)
			return 0;
		cp = c & (0x3fu >> n);
		for (k = 1; k <= n; k++) {
			unsigned char cc = (unsigned char)p[i + k];

			if ((cc & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (cc & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* Validate one dotted host name (no literal); utf8 admits 8-bit bytes
 * (the caller checks UTF-8 well-formedness). */
static int
addr_valid_hostname_f(const char *p, size_t len, int utf8)
{
	size_t i, label = 0;

	if (len == 0 || len > ADDR_DOMAIN_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (label == 0 || p[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!is_alnum(c) && !(c == '-' && label > 0) &&
		    !(utf8 && c >= 0x80))
			return 0;
		if (++label > ADDR_LABEL_MAX)
			return 0;
	}
	return label > 0 && p[len - 1] != '-';
}

/* Validate one dotted host name (no literal). */
static int
addr_valid_hostname(const char *p, size_t len)
{
	return addr_valid_hostname_f(p, len, 0);
}

/* Validate "[1.2.3.4]" or "[IPv6:...]" (general literals are refused). */
static int
addr_valid_literal(const char *p, size_t len)
{
	char tmp[64];
	unsigned char bin[16];
	size_t n;

	if (len < 3 || p[0] != '[' || p[len - 1] != ']')
		return 0;
	p++;
	n = len - 2;
	if (n >= sizeof(tmp) || memchr(p, '\0', n) != NULL)
		return 0;	/* inet_pton would stop at a NUL */
	if (str_has_prefix_ci(p, n, "IPv6:")) {
		memcpy(tmp, p + 5, n - 5);
		tmp[n - 5] = '\0';
		return inet_pton(AF_INET6, tmp, bin) == 1;
	}
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	return inet_pton(AF_INET, tmp, bin) == 1;
}

/* RFC 5321 Domain or address literal. */
int
addr_is_valid_domain(const char *p, size_t len)
{
	if (len > 0 && p[0] == '[')
		return addr_valid_literal(p, len);
	return addr_valid_hostname(p, len);
}

/* Length of a Quoted-string at p (p[0] == '"'), or 0 when malformed. */
static size_t
addr_quoted_len(const char *p, size_t len)
{
	size_t i;

	for (i = 1; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"')
			return i + 1;
		if (c == '\\') {
			if (++i >= len || p[i] < 32 || p[i] > 126)
				return 0;
		} else if (c < 32 || c > 126) {
			return 0;
		}
	}
	return 0;
}

/* Length of a Dot-string at p (possibly 0: not a dot-string); utf8
 * admits 8-bit bytes as atext (RFC 6531 atext =/ UTF8-non-ascii). */
static size_t
addr_dotstring_len(const char *p, size_t len, int utf8)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '.') {
			if (i == 0 || p[i - 1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)p[i]) &&
		    !(utf8 && (unsigned char)p[i] >= 0x80)) {
			break;
		}
	}
	if (i > 0 && p[i - 1] == '.')
		return 0;
	return i;
}

/* Validate a Mailbox occupying exactly p/len. */
static int
addr_valid_mailbox(const char *p, size_t len, int flags,
    const char **errstr_r)
{
	size_t lp;
	int utf8 = (flags & ADDR_ALLOW_UTF8) != 0;

	if (len == 0) {
		*errstr_r = "empty address";
		return -1;
	}
	if (len > ADDR_MAILBOX_MAX) {
		*errstr_r = "address too long";
		return -1;
	}
	if (utf8 && !addr_utf8_valid(p, len)) {
		*errstr_r = "malformed UTF-8";
		return -1;
	}
	lp = p[0] == '"' ? addr_quoted_len(p, len) :
	    addr_dotstring_len(p, len, utf8);
	if (lp == 0 || (lp < len && p[lp] != '@')) {
		*errstr_r = "bad local part syntax";
		return -1;
	}
	if (lp > ADDR_LOCAL_MAX) {
		*errstr_r = "local part too long";
		return -1;
	}
	if (lp < len && !(addr_is_valid_domain(p + lp + 1, len - lp - 1) ||
	    (utf8 && addr_valid_hostname_f(p + lp + 1, len - lp - 1, 1)))) {
		*errstr_r = "bad domain syntax";
		return -1;
	}
	return 0;
}

/* Skip an A-d-l "@a,@b:" source route; returns bytes used or 0 if bad. */
static size_t
addr_skip_route(const char *p, size_t len)
{
	size_t i = 0, start;

	for (;;) {
		if (i >= len || p[i] != '@')
			return 0;
		start = ++i;
		while (i < len && p[i] != ',' && p[i] != ':' && p[i] != '>')
			i++;
		if (i >= len || !addr_is_valid_domain(p + start, i - start))
			return 0;
		if (p[i] == ':')
			return i + 1;
		if (p[i] != ',')
			return 0;
		i++;
	}
}

/* End of the mailbox starting at p: the closing '>' (or a blank when
 * bare), honouring quotes; returns its length. */
static size_t
addr_mailbox_end(const char *p, size_t len, int bare)
{
	size_t i = 0, q;

	if (len > 0 && p[0] == '"') {
		q = addr_quoted_len(p, len);
		i = q == 0 ? len : q;
	}
	for (; i < len; i++) {
		if (bare ? is_blank((unsigned char)p[i]) : p[i] == '>')
			break;
	}
	return i;
}

/* Fill path_r from the mailbox p/n and the parameter text that follows. */
static int
addr_fill(struct addr_path *path_r, const char *p, size_t n,
    const char *rest, size_t rest_len, int flags, const char **errstr_r)
{
	if (rest_len > 0 && !is_blank((unsigned char)rest[0])) {
		*errstr_r = "junk after address";
		return -1;
	}
	if (n > 0 && addr_valid_mailbox(p, n, flags, errstr_r) < 0)
		return -1;
	memcpy(path_r->addr, p, n);
	path_r->addr[n] = '\0';
	path_r->addr_len = n;
	path_r->params = str_trim(rest, &rest_len);
	path_r->params_len = rest_len;
	return 0;
}

/* Parse a reverse-path or forward-path with optional ESMTP parameters. */
int
addr_parse_path(const char *p, size_t len, int flags,
    struct addr_path *path_r, const char **errstr_r)
{
	size_t i = 0, n, r;

	memset(path_r, 0, sizeof(*path_r));
	path_r->params = "";
	while (i < len && is_blank((unsigned char)p[i]))
		i++;
	p += i;
	len -= i;
	if (len == 0 || p[0] != '<') {
		if (!(flags & ADDR_ALLOW_BARE) || len == 0) {
			*errstr_r = "address must be enclosed in <>";
			return -1;
		}
		n = addr_mailbox_end(p, len, 1);
		return addr_fill(path_r, p, n, p + n, len - n, flags,
		    errstr_r);
	}
	p++;
	len--;
	if (len > 0 && p[0] == '@') {
		if ((r = addr_skip_route(p, len)) == 0) {
			*errstr_r = "bad source route";
			return -1;
		}
		p += r;
		len -= r;
	}
	n = addr_mailbox_end(p, len, 0);
	if (n >= len) {
		*errstr_r = "missing closing >";
		return -1;
	}
	if (n == 0 && !(flags & ADDR_ALLOW_NULL)) {
		*errstr_r = "null address not allowed here";
		return -1;
	}
	return addr_fill(path_r, p, n, p + n + 1, len - n - 1, flags,
	    errstr_r);
}

/* Locate the domain (after the '@' that ends the local part) and the
 * local part's length. */
void
addr_split(const char *addr, size_t *localpart_len_r, const char **domain_r)
{
	size_t skip = 0;
	const char *at;

	if (addr[0] == '"')	/* a quoted local part may hold '@' */
		skip = addr_quoted_len(addr, strlen(addr));
	at = strchr(addr + skip, '@');
	if (at == NULL) {
		*localpart_len_r = strlen(addr);
		*domain_r = NULL;
		return;
	}
	*localpart_len_r = (size_t)(at - addr);
	*domain_r = at + 1;
}

/* Lower-case the domain part in place (local parts are case-sensitive). */
char *
addr_normalize(char *addr)
{
	size_t lp;
	const char *dom;

	addr_split(addr, &lp, &dom);
	if (dom != NULL)
		str_lower(addr + lp + 1);
	return addr;
}
