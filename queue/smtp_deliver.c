/*
 * smtp_deliver.c - one delivery request of petrel-smtp: find the next hop's
 * servers, try them in order, and answer every recipient.
 *
 * Public: smtp_deliver(qfd, request, reply), smtp_rcpt_set,
 * smtp_job_fail_pending.
 * Next hop (from the queue manager's NEXTHOP line, else the first
 * recipient's domain): "[host]" or "[host]:port" - that host, no MX lookup;
 * "domain" or "domain:port" - MX lookup (dns.c: preference order, equal
 * preferences shuffled, cut at myhostname, A/AAAA fallback, null MX).
 * Order of tries: a cached session for the same next hop first (one free
 * retry on a fresh connection if it turns out dead), then the addresses of
 * the MX hosts (at most smtp_mx_address_limit) until smtp_mx_session_limit
 * sessions got as far as a greeting.  A session failure (connect, greeting,
 * HELO, TLS) moves on to the next address; the last reason defers whatever
 * is left, and a request where no server answered any recipient is a site
 * failure (SITEFAIL: the queue manager's concurrency feedback).
 * DNS: not found 5.4.4, null MX 5.1.0, loop 5.4.6 - all final; temporary
 * failures 4.4.3.
 * TLS level "may": a failed handshake is retried once on the same address
 * without TLS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "conn.h"
#include "deliver.h"
#include "log.h"
#include "params.h"
#include "smtp.h"
#include "strutil.h"

/* Set one recipient's result for this attempt. */
void
smtp_rcpt_set(struct smtp_rcpt *r, int klass, const char *enh,
    const char *text, const char *diag)
{
	r->done = 1;
	r->status_class = klass;
	snprintf(r->enh, sizeof(r->enh), "%s", enh);
	snprintf(r->text, sizeof(r->text), "%s", text);
	snprintf(r->diag, sizeof(r->diag), "%s", diag != NULL ? diag : "");
}

/* Give every unanswered recipient the result "enh text" of why. */
void
smtp_job_fail_pending(struct smtp_job *j, int klass, const char *enh,
    const char *text)
{
	for (size_t i = 0; i < j->nrcpts; i++)
		if (!j->rcpts[i].done)
			smtp_rcpt_set(&j->rcpts[i], klass, enh, text, NULL);
}

/* The same from a "4.4.1 text" reason string; class from its first digit. */
static void
fail_why(struct smtp_job *j, const char *why)
{
	size_t el = strcspn(why, " ");
	char enh[16];
	int klass = why[0] == '5' ? 5 : 4;

	snprintf(enh, sizeof(enh), "%.*s", (int)(el < 15 ? el : 15), why);
	if (el == 0 || el >= 15 || (why[0] != '4' && why[0] != '5'))
		snprintf(enh, sizeof(enh), "4.4.1");
	smtp_job_fail_pending(j, klass, enh, why[el] ? why + el + 1 : why);
}

/* Number of unanswered recipients. */
static size_t
pending(const struct smtp_job *j)
{
	size_t n = 0;

	for (size_t i = 0; i < j->nrcpts; i++)
		n += !j->rcpts[i].done;
	return n;
}

/* Split a next hop into host, port and whether to look up MX. */
static int
parse_nexthop(const char *nh, char *host, size_t size, int *port_r,
    int *mx_r)
{
	const char *end, *colon;
	long port = 25;
	size_t hl;

	*mx_r = nh[0] != '[';
	if (nh[0] == '[') {
		if ((end = strchr(nh, ']')) == NULL)
			return -1;
		hl = (size_t)(end - nh - 1);
		nh++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return -1;
	} else {
		colon = strchr(nh, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;	/* an IPv6 literal without brackets */
		hl = colon != NULL ? (size_t)(colon - nh) : strlen(nh);
	}
	if (hl == 0 || hl >= size)
		return -1;
	memcpy(host, nh, hl);
	host[hl] = '\0';
	if (colon != NULL && str_to_long(colon + 1, strlen(colon + 1), 1,
	    65535, &port) < 0)
		return -1;
	*port_r = (int)port;
	return 0;
}

/* A new session on a connected socket. */
static struct smtp_session *
session_new(int fd, const char *host, const struct dns_addr *a, int port,
    const char *nexthop)
{
	struct smtp_session *s = xcalloc(1, sizeof(*s));
	char at[64];

	s->fd = fd;
	s->c = conn_new(fd, fd, 4096, (int)var_smtp_helo_timeout);
	snprintf(s->host, sizeof(s->host), "%s", host);
	snprintf(s->mta, sizeof(s->mta), "%s[%s]:%d", host,
	    dns_addr_text(a, at, sizeof(at)), port);
	snprintf(s->nexthop, sizeof(s->nexthop), "%s", nexthop);
	return s;
}

/* One address: connect, open, deliver.  1 the job is settled (stop),
 * 0 try the next address (why set), and counts sessions. */
static int
try_address(struct smtp_job *j, const struct dns_host *h,
    const struct dns_addr *a, int port, const char *nexthop, int *sessions,
    char *why, size_t whylen, char lastmta[DNS_NAME_MAX + 64])
{
	enum smtp_tls_level saved = j->tls_level;
	struct smtp_session *s;
	char err[256], at[64];
	int fd, r;

	for (int plain_retry = 0; plain_retry < 2; plain_retry++) {
		fd = smtp_connect(a, var_smtp_connect_timeout, err, sizeof(err));
		if (fd < 0) {
			snprintf(why, whylen, "4.4.1 connect to %s[%s]:%d: %s",
			    h->name, dns_addr_text(a, at, sizeof(at)), port, err);
			return 0;
		}
		(*sessions)++;
		s = session_new(fd, h->name, a, port, nexthop);
		memcpy(lastmta, s->mta, sizeof(s->mta));
		r = smtp_proto_open(s, j, why, whylen);
		if (r == -3) {
			log_info("%s: %s; trying without TLS", j->qid, why);
			smtp_session_close(&s, 0);
			j->tls_level = SMTP_TLS_NONE;
			continue;
		}
		if (r == 0)
			r = smtp_proto_transaction(s, j, why, whylen);
		j->tls_level = saved;
		if (r == 0 && pending(j) == 0)
			smtp_session_cache_put(s);
		else
			smtp_session_close(&s, r == 0);
		return r != -1;
	}
	j->tls_level = saved;
	return 0;
}

/* Deliver over a cached session; 1 settled, 0 go on with fresh ones. */
static int
try_cached(struct smtp_job *j, const char *nexthop)
{
	struct smtp_session *s = smtp_session_cache_take(nexthop);
	char why[600];
	int r;

	if (s == NULL)
		return 0;
	r = smtp_proto_transaction(s, j, why, sizeof(why));
	if (r == 0 && pending(j) == 0) {
		smtp_session_cache_put(s);
		return 1;
	}
	smtp_session_close(&s, r == 0);
	return r != -1;
}

/* Find the next hop's servers and try them. */
static void
deliver_nexthop(struct smtp_job *j, const char *nexthop)
{
	struct dns_hosts hosts = { NULL, 0 };
	enum dns_status st;
	char host[DNS_NAME_MAX], why[600], lastmta[DNS_NAME_MAX + 64] = "";
	int port, mx, sessions = 0;

	if (try_cached(j, nexthop))
		return;
	if (parse_nexthop(nexthop, host, sizeof(host), &port, &mx) < 0) {
		snprintf(why, sizeof(why), "4.3.5 bad next hop \"%s\"", nexthop);
		fail_why(j, why);
		return;
	}
	st = mx ? dns_lookup_mx(host, port, var_myhostname,
	    (size_t)var_smtp_mx_address_limit, &hosts, why, sizeof(why)) :
	    dns_lookup_host(host, port, (size_t)var_smtp_mx_address_limit,
	    &hosts, why, sizeof(why));
	if (st != DNS_OK) {
		j->site_failed = st == DNS_TEMPFAIL;
		fail_why(j, why);
		dns_hosts_free(&hosts);
		return;
	}
	snprintf(why, sizeof(why), "4.4.1 no mail server for %s", nexthop);
	for (size_t h = 0; h < hosts.n; h++) {
		for (size_t k = 0; k < hosts.hosts[h].naddrs; k++) {
			if (sessions >= var_smtp_mx_session_limit)
				break;
			if (try_address(j, &hosts.hosts[h],
			    &hosts.hosts[h].addrs[k], port, nexthop, &sessions,
			    why, sizeof(why), lastmta)) {
				dns_hosts_free(&hosts);
				return;
			}
		}
	}
	dns_hosts_free(&hosts);
	j->site_failed = pending(j) == j->nrcpts;
	for (size_t i = 0; i < j->nrcpts && lastmta[0]; i++)
		if (!j->rcpts[i].done)
			memcpy(j->rcpts[i].mta, lastmta, sizeof(lastmta));
	fail_why(j, why);
}

/* 1 if the message content has a byte with the high bit set. */
static int
content_8bit(int qfd, const struct qfile_env *env)
{
	struct qfile_content *it = qfile_content_open(qfd, env);
	const char *p;
	size_t n;
	int found = 0;

	while (it != NULL && !found && qfile_content_next(it, &p, &n) == 1)
		found = smtp_body_has_8bit(p, n);
	qfile_content_close(&it);
	return found;
}

/* Encode the results into the reply. */
static void
encode_results(const struct smtp_job *j, struct buf *reply)
{
	for (size_t i = 0; i < j->nrcpts; i++) {
		const struct smtp_rcpt *r = &j->rcpts[i];
		if (deliver_encode_status(reply, r->index, r->status_class,
		    r->enh, r->text) < 0 ||
		    (r->mta[0] && deliver_encode_remote(reply, r->mta,
		    r->diag) < 0) || (r->status_class == 2 && r->dsn_passed &&
		    deliver_encode_dsnok(reply) < 0))
			log_warn("%s: cannot encode status", j->qid);
	}
	if (j->site_failed && deliver_encode_sitefail(reply) < 0)
		log_warn("%s: cannot encode status", j->qid);
}

/* The value of an attribute "name=value" of the envelope, or NULL. */
static const char *
env_attr(const struct qfile_env *env, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < env->nattrs; i++)
		if (strncmp(env->attrs[i], name, nl) == 0 &&
		    env->attrs[i][nl] == '=')
			return env->attrs[i] + nl + 1;
	return NULL;
}

/* Per-message and per-recipient extension data from the envelope. */
static void
job_extensions(struct smtp_job *j)
{
	const char *v = env_attr(j->env, "smtputf8");

	j->smtputf8 = v != NULL && strcmp(v, "1") == 0;
	j->dsn_ret = env_attr(j->env, "dsn_ret");
	j->dsn_envid = env_attr(j->env, "dsn_envid");
	for (size_t i = 0; i < j->nrcpts; i++)
		if (j->rcpts[i].index >= 0 &&
		    (size_t)j->rcpts[i].index < j->env->nrcpts)
			j->rcpts[i].dsn = j->env->rcpts[j->rcpts[i].index].dsn;
}

/* Serve one request from the queue manager. */
void
smtp_deliver(int qfd, const struct deliver_msg *req, struct buf *reply)
{
	struct smtp_job j;
	const char *err = NULL, *nexthop = req->nexthop, *at;

	memset(&j, 0, sizeof(j));
	j.qid = req->qid;
	j.sender = req->sender;
	j.qfd = qfd;
	j.nrcpts = req->nrcpts;
	j.rcpts = xcalloc(req->nrcpts, sizeof(*j.rcpts));
	for (size_t i = 0; i < req->nrcpts; i++) {
		j.rcpts[i].index = req->rcpts[i].index;
		j.rcpts[i].addr = req->rcpts[i].addr;
	}
	if (nexthop == NULL && (at = strrchr(req->rcpts[0].addr, '@')) != NULL)
		nexthop = at + 1;
	if (qfile_read_envelope(qfd, &j.env, &err) < 0) {
		log_warn("%s: %s", j.qid, err);
		smtp_job_fail_pending(&j, 4, "4.3.0", err);
	} else if (nexthop == NULL || nexthop[0] == '\0') {
		smtp_job_fail_pending(&j, 5, "5.1.3", "no domain to send to");
	} else {
		j.has_8bit = content_8bit(qfd, j.env);
		job_extensions(&j);
		j.tls_level = smtp_tls_policy(nexthop);
		deliver_nexthop(&j, nexthop);
	}
	encode_results(&j, reply);
	smtp_downgrade_free(&j);
	qfile_env_free(&j.env);
	free(j.rcpts);
}
