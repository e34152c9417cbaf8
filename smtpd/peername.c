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
 * Each worker remembers its last PEER_CACHE_SIZE answers for
 * PEER_CACHE_SECONDS (far below the TTLs such records have), so a client
 * that opens a connection per message costs one lookup, not one each
 * time (the two lookups take some 15 system calls even from /etc/hosts);
 * a cached name that did not confirm is warned about again each time.
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
#include <time.h>

#include "log.h"
#include "params.h"
#include "smtpd.h"

#define PEER_CACHE_SIZE 16
#define PEER_CACHE_SECONDS 10

/* One remembered answer: the name to use, and the name that failed to
 * confirm (for the warning), if any. */
struct peer_cache_entry {
	char addr[INET6_ADDRSTRLEN + 8];
	char name[SMTPD_NAME_MAX];
	char liar[SMTPD_NAME_MAX];
	time_t when;
};

static struct peer_cache_entry peer_cache[PEER_CACHE_SIZE];
static unsigned int peer_cache_next;

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

/* The fresh cache entry for addr, or NULL. */
static const struct peer_cache_entry *
peer_cache_find(const char *addr, time_t now)
{
	for (size_t i = 0; i < PEER_CACHE_SIZE; i++) {
		const struct peer_cache_entry *e = &peer_cache[i];

		if (e->addr[0] != '\0' && strcmp(e->addr, addr) == 0 &&
		    now >= e->when && now - e->when < PEER_CACHE_SECONDS)
			return e;
	}
	return NULL;
}

/* Remember an answer (oldest entry replaced). */
static void
peer_cache_put(const char *addr, const char *name, const char *liar,
    time_t now)
{
	struct peer_cache_entry *e;

	if (strlen(addr) >= sizeof(e->addr))
		return;
	e = &peer_cache[peer_cache_next++ % PEER_CACHE_SIZE];
	snprintf(e->addr, sizeof(e->addr), "%s", addr);
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->liar, sizeof(e->liar), "%s", liar);
	e->when = now;
}

/* The two lookups: 0 with the confirmed name in host, else -1 with
 * liar set to a PTR name that did not confirm (or empty). */
static int
peer_lookup(const char *addr, char *host, size_t hsize, char *liar,
    size_t lsize)
{
	struct sockaddr_storage ss;
	socklen_t len;

	liar[0] = '\0';
	if (peer_sockaddr(addr, &ss, &len) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, hsize, NULL, 0,
	    NI_NAMEREQD) != 0)
		return -1;
	if (!valid_host_name(host)) {
		char safe[128];

		log_warn("%s: malformed host name from the PTR lookup: %s", addr,
		    log_sanitize(safe, sizeof(safe), host, strlen(host)));
		return -1;
	}
	if (!confirms(host, &ss)) {
		/* valid_host_name bounded it below SMTPD_NAME_MAX */
		snprintf(liar, lsize, "%.*s", (int)(lsize - 1), host);
		return -1;
	}
	return 0;
}

void
smtpd_peer_name(const char *addr, char *name, size_t size)
{
	const struct peer_cache_entry *e;
	char host[NI_MAXHOST], liar[SMTPD_NAME_MAX];
	time_t now = time(NULL);

	snprintf(name, size, "unknown");
	if (!var_smtpd_peername_lookup)
		return;
	if ((e = peer_cache_find(addr, now)) != NULL) {
		snprintf(name, size, "%s", e->name);
		snprintf(liar, sizeof(liar), "%s", e->liar);
	} else {
		if (peer_lookup(addr, host, sizeof(host), liar,
		    sizeof(liar)) == 0)
			snprintf(name, size, "%s", host);
		peer_cache_put(addr, name, liar, now);
	}
	if (liar[0] != '\0')
		log_warn("hostname %s does not resolve to address %s", liar,
		    addr);
}
