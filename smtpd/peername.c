/*
 * peername.c - the client's host name for logs and Received: headers:
 * the PTR name of its address, kept only when that name resolves back to
 * the same address (forward-confirmed), else "unknown" (as Postfix does
 * with smtpd_peername_lookup = yes).
 *
 * Public: smtpd_peer_name(addr, name, size) - fills name ("unknown" when
 * there is no name, it does not confirm, looks invalid, or
 * smtpd_peername_lookup = no).
 * Lookups go through the system's resolver (getnameinfo, getaddrinfo:
 * /etc/hosts, then DNS), so its timeouts bound them (resolv.conf).
 * Security: the PTR answer is untrusted: only letters, digits, '-', '_'
 * and '.' are accepted, at most SMTPD_NAME_MAX-1 bytes, lower-cased; a
 * name that does not map back to the address is never used, and one that
 * does not confirm is logged.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "log.h"
#include "params.h"
#include "smtpd.h"

/* The numeric address as a socket address (an IPv4-mapped IPv6 address
 * as the IPv4 one); 0, or -1 if it is none. */
static int
peer_sockaddr(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strncasecmp(addr, "::ffff:", 7) == 0 && strchr(addr + 7, '.'))
		addr += 7;
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* 1 if name looks like a host name; lower-cases it. */
static int
valid_host_name(char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= SMTPD_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	if (name[n - 1] == '.')
		name[--n] = '\0';	/* the root label */
	for (char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			return 0;
		*p = (char)tolower((unsigned char)*p);
	}
	return n > 0;
}

/* 1 if one of name's addresses is the client's address. */
static int
confirms(const char *name, const struct sockaddr_storage *ss)
{
	struct addrinfo hints, *res = NULL;
	int found = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = ss->ss_family;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return 0;
	for (struct addrinfo *a = res; a != NULL && !found; a = a->ai_next) {
		if (a->ai_family == AF_INET && ss->ss_family == AF_INET)
			found = memcmp(&((struct sockaddr_in *)a->ai_addr)->sin_addr,
			    &((const struct sockaddr_in *)ss)->sin_addr,
			    sizeof(struct in_addr)) == 0;
		else if (a->ai_family == AF_INET6 && ss->ss_family == AF_INET6)
			found = memcmp(&((struct sockaddr_in6 *)a->ai_addr)->
			    sin6_addr, &((const struct sockaddr_in6 *)ss)->
			    sin6_addr, sizeof(struct in6_addr)) == 0;
	}
	freeaddrinfo(res);
	return found;
}

void
smtpd_peer_name(const char *addr, char *name, size_t size)
{
	struct sockaddr_storage ss;
	char host[NI_MAXHOST];
	socklen_t len;

	snprintf(name, size, "unknown");
	if (!var_smtpd_peername_lookup || peer_sockaddr(addr, &ss, &len) != 0)
		return;
	if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), NULL,
	    0, NI_NAMEREQD) != 0)
		return;
	if (!valid_host_name(host)) {
		char safe[128];

		log_warn("%s: malformed host name from the PTR lookup: %s", addr,
		    log_sanitize(safe, sizeof(safe), host, strlen(host)));
		return;
	}
	if (!confirms(host, &ss)) {
		log_warn("hostname %s does not resolve to address %s", host,
		    addr);
		return;
	}
	snprintf(name, size, "%s", host);
}
