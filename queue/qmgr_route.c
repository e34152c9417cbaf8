/*
 * qmgr_route.c - where each pending recipient of a message goes.
 *
 * Public: qmgr_route_init(&errstr), qmgr_route(m), qmgr_route_free().
 * Order, as Postfix's trivial-rewrite:
 *   1. local and virtual mailbox domains -> the "local" transport;
 *   2. transport_maps, looked up by the recipient's domain, then by each
 *      parent domain with a leading dot (".example.com"): the value is
 *      "transport:nexthop" where transport is "smtp" or "local", or
 *      "error:text" (the recipient fails with text; "4.x.x text" defers);
 *      "smtp:" alone (or "smtp") keeps the recipient's domain as next hop;
 *   3. relayhost when set;
 *   4. otherwise the recipient's domain (MX lookup by the agent).
 * Next hop syntax (passed to petrel-smtp): "domain", "[host]", "[host]:port"
 * or "host:port".  A map lookup failure defers the recipient (4.3.0).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "log.h"
#include "maps.h"
#include "params.h"
#include "qmgr.h"
#include "resolve.h"

static struct maplist *transport_maps;

/* Open transport_maps. */
int
qmgr_route_init(const char **errstr_r)
{
	transport_maps = maplist_open(var_transport_maps, errstr_r);
	return transport_maps != NULL ? 0 : -1;
}

/* Close transport_maps. */
void
qmgr_route_free(void)
{
	maplist_close(&transport_maps);
}

/* transport_maps lookup for domain and its parents; 1/0/-1 as maps. */
static int
transport_lookup(const char *domain, const char **value_r)
{
	const char *err, *p;
	int r;

	if ((r = maplist_lookup(transport_maps, domain, value_r, &err)) != 0)
		return r;
	for (p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.')) {
		if ((r = maplist_lookup(transport_maps, p, value_r, &err)) != 0)
			return r;
	}
	return 0;
}

/* Apply a transport_maps value; 1 routed (or failed), 0 fall through. */
static int
apply_transport(struct qmgr_msg *m, size_t idx, const char *domain,
    const char *value)
{
	const char *colon = strchr(value, ':');
	size_t tl = colon ? (size_t)(colon - value) : strlen(value);
	const char *nh = colon ? colon + 1 : "";
	char enh[8];

	while (*nh == ' ' || *nh == '\t')
		nh++;
	if (tl == 5 && strncmp(value, "local", 5) == 0) {
		qmgr_job_add(qmgr_dest_get(qmgr_local_transport, "local"), m,
		    idx);
		return 1;
	}
	if (tl == 4 && strncmp(value, "smtp", 4) == 0) {
		qmgr_job_add(qmgr_dest_get(qmgr_smtp_transport,
		    *nh ? nh : domain), m, idx);
		return 1;
	}
	if (tl == 5 && strncmp(value, "error", 5) == 0) {
		int soft = nh[0] == '4' && nh[1] == '.';
		if ((nh[0] == '4' || nh[0] == '5') && nh[1] == '.' &&
		    strchr(nh, ' ') != NULL && strchr(nh, ' ') - nh < 8) {
			snprintf(enh, sizeof(enh), "%.*s",
			    (int)(strchr(nh, ' ') - nh), nh);
			nh = strchr(nh, ' ') + 1;
		} else {
			snprintf(enh, sizeof(enh), "5.0.0");
		}
		qmgr_msg_result(m, idx, soft ? 4 : 5, enh,
		    *nh ? nh : "delivery refused by transport_maps");
		return 1;
	}
	log_warn("%s: transport_maps: unknown transport in \"%s\" for %s",
	    m->qid, value, domain);
	qmgr_msg_result(m, idx, 4, "4.3.5", "mail transport unavailable");
	return 1;
}

/* Route one remote recipient. */
static void
route_remote(struct qmgr_msg *m, size_t idx)
{
	const char *addr = m->env->rcpts[idx].addr, *at = strrchr(addr, '@');
	char domain[256];
	const char *value;
	size_t n = 0;
	int r;

	if (at == NULL || at[1] == '\0' || strlen(at + 1) >= sizeof(domain)) {
		qmgr_msg_result(m, idx, 5, "5.1.3", "bad address syntax");
		return;
	}
	for (at++; *at && *at != '>'; at++)
		domain[n++] = (char)tolower((unsigned char)*at);
	domain[n] = '\0';
	r = transport_lookup(domain, &value);
	if (r < 0) {
		qmgr_msg_result(m, idx, 4, "4.3.0", "transport_maps lookup "
		    "failed");
		return;
	}
	if (r == 1 && apply_transport(m, idx, domain, value))
		return;
	qmgr_job_add(qmgr_dest_get(qmgr_smtp_transport,
	    var_relayhost[0] ? var_relayhost : domain), m, idx);
}

/* Route every pending recipient of m into jobs and queue them. */
void
qmgr_route(struct qmgr_msg *m)
{
	struct qmgr_dest *local = qmgr_dest_get(qmgr_local_transport, "local");
	enum resolve_class c;

	m->jobs_left++;		/* guard: no finish while routing */
	for (size_t i = 0; i < m->env->nrcpts; i++) {
		if (m->env->rcpts[i].status != QFILE_RCPT_PENDING)
			continue;
		c = resolve_class(qmgr_resolver, m->env->rcpts[i].addr);
		if (c == RESOLVE_LOCAL || c == RESOLVE_VIRTUAL)
			qmgr_job_add(local, m, i);
		else
			route_remote(m, i);
	}
	qmgr_job_flush();
	qmgr_msg_job_done(m);
}
