/*
 * qmgr_dest.c - destinations: one per (transport, next hop), each with a
 * queue of jobs, a concurrency window and a dead/alive state, and the fair
 * dispatch of their jobs to the delivery agents.
 *
 * Public: qmgr_dest_init, qmgr_dest_get, qmgr_job_add, qmgr_job_flush,
 * qmgr_job_done, qmgr_job_requeue, qmgr_dispatch, qmgr_dest_name,
 * qmgr_dest_gc, qmgr_dest_revive, qmgr_dest_shutdown; qmgr_local_transport and
 * qmgr_smtp_transport.
 *
 * Concurrency (smtp destinations, as Postfix's defaults): a destination
 * starts with initial_destination_concurrency parallel jobs; every job that
 * reached the destination adds 1/window (up to
 * default_destination_concurrency_limit), every job that found the site
 * unreachable (the agent says SITEFAIL) takes 1/window away (down to 1).
 * When the consecutive site failures reach the window - a whole cohort
 * failed - the destination is dead for minimal_backoff_time: its queued
 * jobs and every new one are deferred at once without a connection
 * attempt, so a dead site's backlog costs nothing and never delays others.
 * The local destination has a fixed window of
 * local_destination_concurrency_limit and no feedback.
 * Fairness: dispatch takes one job from each ready destination in turn
 * (round robin over a ring per transport), so a long queue for one next
 * hop never starves the others; a destination never holds more agent slots
 * than its window.
 * Jobs: qmgr_job_add groups a message's recipients per destination (at
 * most smtp_destination_recipient_limit per smtp job); qmgr_job_flush
 * queues the jobs built so far.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "log.h"
#include "params.h"
#include "qmgr.h"

#define DEST_BUCKETS 4096

struct ring {
	struct qmgr_transport *t;
	struct qmgr_dest *cursor;	/* NULL: empty */
};

struct qmgr_dest {
	char *name;
	struct qmgr_transport *t;
	struct ring *ring;
	int feedback;		/* smtp: window feedback and dead marking */
	double window;
	long limit;		/* recipients per job */
	int active;		/* jobs at agents */
	int fails;		/* consecutive site failures */
	time_t dead_until;	/* 0: alive */
	char *dead_reason;	/* "4.4.1 text" */
	struct qmgr_job *head, *tail;
	struct qmgr_job *building;	/* job being filled by qmgr_job_add */
	struct qmgr_dest *hnext;	/* hash chain */
	struct qmgr_dest *rnext, *rprev;	/* ready ring; NULL: not in it */
	struct qmgr_dest *bnext;	/* list of destinations building */
	int in_building_list;
};

struct qmgr_transport *qmgr_local_transport, *qmgr_smtp_transport;
static struct ring rings[2];
static struct qmgr_dest *buckets[DEST_BUCKETS];
static struct qmgr_dest *building_list;

/* Connect the two transports. */
void
qmgr_dest_init(void)
{
	qmgr_local_transport = qmgr_agent_new("local", var_local_listen,
	    var_local_process_limit, var_local_timeout);
	qmgr_smtp_transport = qmgr_agent_new("smtp", var_smtp_listen,
	    var_smtp_process_limit, var_smtp_data_done_timeout +
	    var_smtp_connect_timeout * var_smtp_mx_session_limit +
	    var_smtp_helo_timeout + var_smtp_data_xfer_timeout + 60);
	rings[0].t = qmgr_local_transport;
	rings[1].t = qmgr_smtp_transport;
}

/* FNV-1a of a transport pointer and a name. */
static size_t
dest_hash(const struct qmgr_transport *t, const char *name)
{
	unsigned long h = 2166136261UL ^ (unsigned long)(size_t)t;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619UL;
	return h % DEST_BUCKETS;
}

/* The destination of a transport and next hop, created on first use. */
struct qmgr_dest *
qmgr_dest_get(struct qmgr_transport *t, const char *name)
{
	size_t h = dest_hash(t, name);
	struct qmgr_dest *d;

	for (d = buckets[h]; d != NULL; d = d->hnext)
		if (d->t == t && strcmp(d->name, name) == 0)
			return d;
	d = xcalloc(1, sizeof(*d));
	d->name = xstrdup(name);
	d->t = t;
	d->ring = t == qmgr_local_transport ? &rings[0] : &rings[1];
	d->feedback = t != qmgr_local_transport;
	d->window = d->feedback ? (double)var_initial_destination_concurrency :
	    (double)var_local_destination_concurrency_limit;
	d->limit = d->feedback ? var_smtp_destination_recipient_limit : 0;
	d->hnext = buckets[h];
	buckets[h] = d;
	return d;
}

/* The next hop of a destination. */
const char *
qmgr_dest_name(const struct qmgr_dest *d)
{
	return d->name;
}

/* Put a destination with jobs into its transport's ready ring. */
static void
ring_add(struct qmgr_dest *d)
{
	struct ring *r = d->ring;

	if (d->rnext != NULL)
		return;
	if (r->cursor == NULL) {
		d->rnext = d->rprev = d;
		r->cursor = d;
		return;
	}
	d->rnext = r->cursor;
	d->rprev = r->cursor->rprev;
	d->rprev->rnext = d;
	r->cursor->rprev = d;
}

/* Take a destination out of its ready ring. */
static void
ring_remove(struct qmgr_dest *d)
{
	struct ring *r = d->ring;

	if (d->rnext == NULL)
		return;
	if (d->rnext == d) {
		r->cursor = NULL;
	} else {
		d->rprev->rnext = d->rnext;
		d->rnext->rprev = d->rprev;
		if (r->cursor == d)
			r->cursor = d->rnext;
	}
	d->rnext = d->rprev = NULL;
}

/* Free a job (not its message). */
static void
job_free(struct qmgr_job *j)
{
	free(j->idx);
	free(j);
}

/* Defer a job's recipients because its destination is dead. */
static void
defer_dead(struct qmgr_job *j)
{
	struct qmgr_dest *d = j->dest;
	const char *r = d->dead_reason != NULL ? d->dead_reason : "4.4.1 ";
	const char *sp = strchr(r, ' ');
	char enh[16], text[600];

	snprintf(enh, sizeof(enh), "%.*s", sp ? (int)(sp - r) : 5, r);
	snprintf(text, sizeof(text), "delivery temporarily suspended: %s",
	    sp ? sp + 1 : "destination not reachable");
	for (size_t i = 0; i < j->n; i++)
		qmgr_msg_result(j->msg, j->idx[i], 4, enh, text);
	qmgr_job_done(j, -1, NULL);
}

/* 1 if the destination is dead now (reviving it when its time is up). */
static int
dest_dead(struct qmgr_dest *d)
{
	if (d->dead_until == 0)
		return 0;
	if (time(NULL) < d->dead_until)
		return 1;
	log_info("destination %s: retrying", d->name);
	d->dead_until = 0;
	d->fails = 0;
	d->window = (double)var_initial_destination_concurrency;
	return 0;
}

/* Queue a finished job on its destination (or defer it: dead). */
static void
job_queue(struct qmgr_job *j)
{
	struct qmgr_dest *d = j->dest;

	if (dest_dead(d)) {
		defer_dead(j);
		return;
	}
	j->next = NULL;
	if (d->tail != NULL)
		d->tail->next = j;
	else
		d->head = j;
	d->tail = j;
	ring_add(d);
}

/* Add recipient idx of m to its destination's job under construction. */
void
qmgr_job_add(struct qmgr_dest *d, struct qmgr_msg *m, size_t idx)
{
	struct qmgr_job *j = d->building;

	if (j != NULL && (j->msg != m || (d->limit > 0 &&
	    j->n >= (size_t)d->limit))) {
		d->building = NULL;
		job_queue(j);
		j = NULL;
	}
	if (j == NULL) {
		j = xcalloc(1, sizeof(*j));
		j->msg = m;
		j->dest = d;
		j->idx = xcalloc(m->env->nrcpts, sizeof(*j->idx));
		m->jobs_left++;
		if (!d->in_building_list) {
			d->in_building_list = 1;
			d->bnext = building_list;
			building_list = d;
		}
		d->building = j;
	}
	m->rs[idx].in_flight = 1;
	j->idx[j->n++] = idx;
}

/* Queue every job built since the last flush. */
void
qmgr_job_flush(void)
{
	struct qmgr_dest *d, *next;
	struct qmgr_job *j;

	for (d = building_list, building_list = NULL; d != NULL; d = next) {
		next = d->bnext;
		d->bnext = NULL;
		d->in_building_list = 0;
		j = d->building;
		d->building = NULL;
		if (j != NULL)
			job_queue(j);
	}
}

/* Put a started job back at the head of its destination's queue. */
void
qmgr_job_requeue(struct qmgr_job *j)
{
	struct qmgr_dest *d = j->dest;

	j->started = 0;
	d->active--;
	j->next = d->head;
	d->head = j;
	if (d->tail == NULL)
		d->tail = j;
	ring_add(d);
}

/* The destination is unreachable: dead for a while, its queue deferred. */
static void
mark_dead(struct qmgr_dest *d, const char *why)
{
	struct qmgr_job *j;

	free(d->dead_reason);
	d->dead_reason = xstrdup(why != NULL && why[0] ? why :
	    "4.4.1 destination not reachable");
	d->dead_until = time(NULL) + var_minimal_backoff_time;
	log_info("destination %s: dead for %lds: %s", d->name,
	    var_minimal_backoff_time, d->dead_reason);
	ring_remove(d);
	while ((j = d->head) != NULL) {
		d->head = j->next;
		if (d->head == NULL)
			d->tail = NULL;
		defer_dead(j);
	}
}

/* Concurrency feedback from one finished job. */
static void
feedback(struct qmgr_dest *d, int site_failed, const char *why)
{
	if (!site_failed) {
		d->fails = 0;
		d->window += 1.0 / d->window;
		if (d->window > (double)var_default_destination_concurrency_limit)
			d->window =
			    (double)var_default_destination_concurrency_limit;
		return;
	}
	d->fails++;
	d->window -= 1.0 / d->window;
	if (d->window < 1.0)
		d->window = 1.0;
	if (d->fails >= (int)d->window && d->dead_until == 0)
		mark_dead(d, why);
}

/* A job is over (all its recipients have results); site_failed 1: the
 * agent could not reach the destination, 0: it could, -1: no verdict. */
void
qmgr_job_done(struct qmgr_job *j, int site_failed, const char *why)
{
	struct qmgr_dest *d = j->dest;
	struct qmgr_msg *m = j->msg;

	if (j->started) {
		d->active--;
		if (d->feedback && site_failed >= 0)
			feedback(d, site_failed, why);
	}
	job_free(j);
	qmgr_msg_job_done(m);
}

/* One round over a transport's ring: start at most one job per
 * destination; 1 if anything started, 0 if nothing could. */
static int
dispatch_round(struct ring *r)
{
	size_t steps = 0, max = 1;
	struct qmgr_dest *d;
	struct qmgr_job *j;
	int started = 0;

	for (d = r->cursor->rnext; d != r->cursor; d = d->rnext)
		max++;
	while (r->cursor != NULL && steps++ < max) {
		d = r->cursor;
		r->cursor = d->rnext;
		if (d->head == NULL) {
			ring_remove(d);
			continue;
		}
		if (d->active >= (int)d->window)
			continue;
		j = d->head;
		d->head = j->next;
		if (d->head == NULL) {
			d->tail = NULL;
			ring_remove(d);
		}
		j->started = 1;
		d->active++;
		if (!qmgr_agent_start(r->t, j, d->feedback ? d->name : NULL)) {
			qmgr_job_requeue(j);
			return 0;	/* every agent slot is busy */
		}
		started = 1;
	}
	return started;
}

/* Start queued jobs while destinations have room and agents free slots. */
void
qmgr_dispatch(void)
{
	for (size_t k = 0; k < 2; k++) {
		int rounds = 0;
		while (rings[k].cursor != NULL && dispatch_round(&rings[k]) &&
		    ++rounds < 100000)
			;
	}
}

/* Give every dead destination another chance now (a flush). */
void
qmgr_dest_revive(void)
{
	for (size_t h = 0; h < DEST_BUCKETS; h++)
		for (struct qmgr_dest *d = buckets[h]; d != NULL; d = d->hnext)
			if (d->dead_until != 0)
				d->dead_until = 1;	/* past: revived on next use */
}

/* Free destinations with nothing to do (keeping dead ones until due). */
void
qmgr_dest_gc(void)
{
	time_t now = time(NULL);

	for (size_t h = 0; h < DEST_BUCKETS; h++) {
		struct qmgr_dest **pp = &buckets[h], *d;
		while ((d = *pp) != NULL) {
			if (d->head != NULL || d->active > 0 ||
			    d->building != NULL || d->rnext != NULL ||
			    (d->dead_until != 0 && now < d->dead_until) ||
			    d->t == qmgr_local_transport) {
				pp = &d->hnext;
				continue;
			}
			*pp = d->hnext;
			free(d->name);
			free(d->dead_reason);
			free(d);
		}
	}
}

/* Free every destination and queued job (messages are abandoned by
 * qmgr_msg.c). */
void
qmgr_dest_shutdown(void)
{
	for (size_t h = 0; h < DEST_BUCKETS; h++) {
		struct qmgr_dest *d, *next;
		for (d = buckets[h]; d != NULL; d = next) {
			struct qmgr_job *j, *jn;
			next = d->hnext;
			for (j = d->head; j != NULL; j = jn) {
				jn = j->next;
				job_free(j);
			}
			if (d->building != NULL)
				job_free(d->building);
			free(d->name);
			free(d->dead_reason);
			free(d);
		}
		buckets[h] = NULL;
	}
	rings[0].cursor = rings[1].cursor = NULL;
	building_list = NULL;
}
