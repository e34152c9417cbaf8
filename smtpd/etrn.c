/*
 * etrn.c - ETRN (RFC 1985) and EXPN for petrel-smtpd.
 *
 * Public: smtpd_cmd_etrn, smtpd_cmd_expn.
 * ETRN <domain> (or "@domain", taken as the domain itself) is allowed for
 * clients in smtpd_etrn_networks (default $mynetworks; others get 554
 * 5.7.1); the worker cannot write the queue manager's FIFO, so it asks the
 * injection service ("ETRN <domain>"), which writes "D <domain>" there;
 * the answer is "250 Queuing started".  "#queue" names are not supported
 * (458).  ETRN inside a mail transaction gets 503, a bad domain 501.
 * EXPN is off by default (smtpd_expn_enable = no: 502 5.5.1); when on it
 * answers 252 like VRFY and never lists alias targets.
 * Security: the domain is untrusted; only a syntactically valid domain
 * name (no literal, at most 120 octets) reaches the injection service.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "inject.h"
#include "log.h"
#include "netmatch.h"
#include "params.h"
#include "smtpd.h"

#define SMTPD_ETRN_MAX 120	/* the FIFO line limit of trigger_qmgr */

static struct netmatch *etrn_nets;
static int etrn_nets_opened;

/* 1 if the client may use ETRN (smtpd_etrn_networks). */
static int
etrn_allowed(const struct smtpd_session *s)
{
	const char *err = NULL;

	if (!etrn_nets_opened) {
		etrn_nets_opened = 1;
		etrn_nets = netmatch_new(var_smtpd_etrn_networks != NULL ?
		    var_smtpd_etrn_networks : "", &err);
		if (etrn_nets == NULL)
			log_warn("smtpd_etrn_networks: %s (ETRN refused)",
			    err != NULL ? err : "bad value");
	}
	return etrn_nets != NULL && netmatch_match(etrn_nets, s->addr);
}

/* Check the ETRN argument; the domain's start and length, or -1 after a
 * reply. */
static int
etrn_domain(struct smtpd_session *s, const char *arg, size_t len,
    const char **dom_r, size_t *dom_len_r)
{
	char what[64];

	if (len > 0 && arg[0] == '#') {
		log_sanitize(what, sizeof(what), arg, len);
		smtpd_reply(s, "458 4.5.1 Unable to queue messages for node %s"
		    ": queue names are not supported", what);
		return -1;
	}
	if (len > 0 && arg[0] == '@') {
		arg++;
		len--;
	}
	if (len == 0 || len > SMTPD_ETRN_MAX || arg[0] == '[' ||
	    !addr_is_valid_domain(arg, len)) {
		smtpd_reply(s, "501 5.5.4 Syntax: ETRN domain");
		return -1;
	}
	*dom_r = arg;
	*dom_len_r = len;
	return 0;
}

/* ETRN <domain>: flush the domain's deferred mail. */
int
smtpd_cmd_etrn(struct smtpd_session *s, const char *arg, size_t len)
{
	char domain[SMTPD_ETRN_MAX + 1];
	const char *dom, *reply = NULL;
	size_t dlen;

	if (s->in_mail) {
		smtpd_reply(s, "503 5.5.1 Error: MAIL transaction in progress");
		return -1;
	}
	if (etrn_domain(s, arg, len, &dom, &dlen) < 0)
		return -1;
	if (!etrn_allowed(s)) {
		smtpd_reply(s, "554 5.7.1 <%s>: Client host rejected: Access "
		    "denied", s->addr);
		log_info("NOQUEUE: reject: ETRN from %s[%s]: 554 5.7.1 Client "
		    "host rejected: Access denied", s->name, s->addr);
		return -1;
	}
	memcpy(domain, dom, dlen);
	domain[dlen] = '\0';
	if (smtpd_inject_connect(s) < 0)
		return -1;
	if (inject_etrn(s->ij, domain, &reply) < 0) {
		inject_close(&s->ij);
		smtpd_reply(s, "458 4.3.0 Unable to queue messages for node %s",
		    domain);
		return -1;
	}
	log_info("ETRN %s from %s[%s]", domain, s->name, s->addr);
	smtpd_reply(s, "250 Queuing started");
	return 0;
}

/* EXPN: off unless smtpd_expn_enable; never discloses alias targets. */
int
smtpd_cmd_expn(struct smtpd_session *s, const char *arg, size_t len)
{
	(void)arg;
	if (!var_smtpd_expn_enable) {
		smtpd_reply(s, "502 5.5.1 Error: command not implemented");
		return -1;
	}
	if (len == 0) {
		smtpd_reply(s, "501 5.5.4 Syntax: EXPN mailing-list");
		return -1;
	}
	smtpd_reply(s, "252 2.0.0 Cannot EXPN, but will accept message and "
	    "attempt delivery");
	return 0;
}
