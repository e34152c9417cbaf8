/*
 * capability.c - the one CAPABILITY list of petrel-imapd, before and after
 * login (RFC 9051 6.1.1, 7.2.2).
 *
 * Public: imapd_capability(prelogin, starttls_ok, plaintext_ok) - a static
 * string without the leading "CAPABILITY ".
 * Before login: IMAP4rev1 IMAP4rev2, what a client needs to log in
 * (STARTTLS while it is possible, AUTH=PLAIN only where a password may be
 * sent, LOGINDISABLED where it may not), SASL-IR, LITERAL+ (or LITERAL-
 * with imapd_literal_minus = yes: non-synchronising literals only up to
 * 4096 octets, RFC 7888), ID, ENABLE,
 * IDLE (clients decide about push from the first list they see).
 * After login: every extension the session implements.  Each name here
 * must be backed by code: advertising a broken extension is worse than
 * leaving it out (research/imap-clients.md, pitfall 4).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "imapd.h"
#include "params.h"

#define CAP_COMMON "IMAP4rev1 IMAP4rev2 SASL-IR %s ID ENABLE IDLE"

#define CAP_SESSION CAP_COMMON " NAMESPACE UNSELECT UIDPLUS CHILDREN " \
	"MOVE MULTIAPPEND LIST-EXTENDED LIST-STATUS SPECIAL-USE " \
	"CREATE-SPECIAL-USE STATUS=SIZE ESEARCH SEARCHRES CONDSTORE QRESYNC"

/* Whether word (n bytes) is one of the names in list. */
int
imapd_capability_listed(const char *list, const char *word, size_t n)
{
	const char *p = list;
	size_t len;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t,");
		len = strcspn(p, " \t,");
		if (len == n && len > 0 && strncasecmp(p, word, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}

/* The post-login list without the names in hidden. */
const char *
imapd_capability_hiding(const char *hidden)
{
	static char cap[768];
	const char *all = imapd_capability(0, 0, 1), *p = all;
	size_t o = 0, len;

	if (hidden == NULL || *hidden == '\0')
		return all;
	while (*p != '\0') {
		len = strcspn(p, " ");
		if (!imapd_capability_listed(hidden, p, len) &&
		    o + len + 2 < sizeof(cap)) {
			if (o > 0)
				cap[o++] = ' ';
			memcpy(cap + o, p, len);
			o += len;
		}
		p += len;
		p += strspn(p, " ");
	}
	cap[o] = '\0';
	return cap;
}

/* The capability list for a client in the given state. */
const char *
imapd_capability(int prelogin, int starttls_ok, int plaintext_ok)
{
	static char cap[768];
	const char *lit = var_imapd_literal_minus ? "LITERAL-" : "LITERAL+";

	if (!prelogin) {
		snprintf(cap, sizeof(cap), CAP_SESSION " APPENDLIMIT=%ld", lit,
		    var_imapd_append_limit);
		return cap;
	}
	snprintf(cap, sizeof(cap), CAP_COMMON "%s%s", lit,
	    starttls_ok ? " STARTTLS" : "",
	    plaintext_ok ? " AUTH=PLAIN" : " LOGINDISABLED");
	return cap;
}
