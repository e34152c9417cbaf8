/*
 * addr.h - pure address parsers (no I/O): RFC 5321 paths and mailboxes.
 *
 * Public:
 *   addr_parse_path(p, len, flags, &path, &errstr)
 *        p/len is what follows "MAIL FROM:" or "RCPT TO:" (leading blanks
 *        allowed).  Accepts "<mailbox>", "<>" (only with ADDR_ALLOW_NULL),
 *        an optional source route "<@a,@b:mailbox>" (ignored, RFC 5321 C),
 *        and, with ADDR_ALLOW_BARE, an address without brackets (sendmail
 *        compatibility, Postfix's strict_rfc821_envelopes = no).  What
 *        follows the path is returned in path->params (ESMTP parameters,
 *        blanks trimmed).  Quoted local parts are kept as given.  0 or -1
 *        with a reason suitable for a 501/553 reply.  ADDR_ALLOW_UTF8 admits
 *        well-formed UTF-8 in dot-string local parts and domain labels
 *        (SMTPUTF8); without it 8-bit bytes are refused.
 *   addr_split(addr, &localpart_len, &domain)  domain points after '@'
 *        (NULL when there is none); lengths from the counted address.
 *   addr_is_valid_domain(p, len)   RFC 5321 Domain or address literal.
 *   addr_normalize(addr)           lower-cases the domain part in place.
 * Limits: local part 64 octets, domain 255, path 256 (RFC 5321 4.5.3.1).
 */
#ifndef PETREL_ADDR_H
#define PETREL_ADDR_H

#include <stddef.h>
#include "log.h"

#define ADDR_ALLOW_NULL 1
#define ADDR_ALLOW_BARE 2
#define ADDR_ALLOW_UTF8 4	/* RFC 6531 UTF-8 local part and domain */
#define ADDR_MAX 256

struct addr_path {
	char addr[ADDR_MAX + 1];	/* mailbox without brackets; "" for <> */
	size_t addr_len;
	const char *params;		/* points into the input; may be "" */
	size_t params_len;
};

int addr_parse_path(const char *p, size_t len, int flags,
    struct addr_path *path_r, const char **errstr_r) WARN_UNUSED;
void addr_split(const char *addr, size_t *localpart_len_r, const char **domain_r);
int addr_is_valid_domain(const char *p, size_t len);
char *addr_normalize(char *addr);

#endif
