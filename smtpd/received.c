/*
 * received.c - the Received: trace header petrel-smtpd prepends
 * (RFC 5321 4.4, RFC 5322 3.6.7), with LF line ends as the queue wants:
 *   Received: from <helo> (<client name> [<ip>])
 *   	by <myhostname> (Petrel) with ESMTP id <QID>
 *   	for <rcpt>; <RFC 5322 date>
 * After TLS a line "(using TLSv1.3 with cipher ... (256/256 bits))" follows
 * the from clause and the protocol is ESMTPS, or ESMTPSA after AUTH
 * (RFC 3848).  The login name is not disclosed.
 * "for" appears only with exactly one recipient (naming several would
 * disclose Bcc recipients); the protocol is SMTP after HELO.
 *
 * Public: smtpd_received(s, dst, n) - the length written, or -1 when it does
 * not fit.
 * Security: the HELO name was validated as a domain or address literal and
 * the recipient as an RFC 5321 mailbox, so neither can contain a line end.
 */
#include <stdio.h>
#include <time.h>

#include "params.h"
#include "smtpd.h"

/* Format the current time as an RFC 5322 date-time (once a second). */
static void
smtpd_rfc5322_date(char *dst, size_t n)
{
	static time_t formatted_at = (time_t)-1;
	static char date[64];
	time_t now = time(NULL);
	struct tm tm;

	if (now != formatted_at) {
		if (localtime_r(&now, &tm) == NULL ||
		    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z",
		    &tm) == 0)
			snprintf(date, sizeof(date),
			    "Thu, 01 Jan 1970 00:00:00 +0000");
		formatted_at = now;
	}
	snprintf(dst, n, "%s", date);
}

/* The "(using ...)" line for a TLS session, "" otherwise. */
static void
smtpd_received_tls(const struct smtpd_session *s, char *dst, size_t n)
{
	if (s->tls_info[0] == '\0')
		snprintf(dst, n, "%s", "");
	else
		snprintf(dst, n, "\n\t(using %s)", s->tls_info);
}

/* Build the Received: header for the current transaction. */
int
smtpd_received(const struct smtpd_session *s, char *dst, size_t n)
{
	char date[64], tls[160];
	int len;

	smtpd_rfc5322_date(date, sizeof(date));
	smtpd_received_tls(s, tls, sizeof(tls));
	if (s->nrcpt == 1)
		len = snprintf(dst, n, "Received: from %s (%s [%s])%s\n\tby %s "
		    "(Petrel) with %s id %s\n\tfor <%s>; %s\n", s->helo,
		    s->name, s->addr, tls, var_myhostname, smtpd_proto(s),
		    s->qid, s->rcpt[0], date);
	else
		len = snprintf(dst, n, "Received: from %s (%s [%s])%s\n\tby %s "
		    "(Petrel) with %s id %s;\n\t%s\n", s->helo, s->name,
		    s->addr, tls, var_myhostname, smtpd_proto(s), s->qid, date);
	return len < 0 || (size_t)len >= n ? -1 : len;
}
