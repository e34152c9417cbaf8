/*
 * qmgr.h - internal interfaces of petrel-qmgr, the queue manager.
 *
 * Modules:
 *   qmgr_main.c     server spec.
 *   qmgr_loop.c     the poll() event loop, the wakeup FIFO, timers.
 *   qmgr_scan.c     restart recovery, incoming/ and deferred/ scans, taking a
 *                   queue file into active/ (or corrupt/).
 *   qmgr_msg.c      one active message: per-recipient results, the final
 *                   step (remove, or mark + defer + reschedule).
 *   qmgr_route.c    which transport and next hop each recipient goes to
 *                   (local, transport_maps, relayhost, the domain's MX).
 *   qmgr_dest.c     destinations: per-next-hop job queues, concurrency
 *                   windows with feedback, dead destinations, fair dispatch.
 *   qmgr_agent.c    connections to a transport's delivery agent (petrel-local
 *                   or petrel-smtp), one job each at a time.
 *   qmgr_bounce.c   failure and delay notices (RFC 3464) written as new
 *                   queue files.
 * Security: runs as qmgr_user; trusts nothing in queue files beyond what
 * qfile_read_envelope validated and nothing the agents send beyond what the
 * deliver decoder validated.
 */
#ifndef PETREL_QMGR_H
#define PETREL_QMGR_H

#include <sys/time.h>
#include <time.h>
#include "qfile.h"

#define QMGR_ACTIVE_MAX 20000	/* messages held at once */
#define QMGR_INCOMING_SCAN 5	/* seconds between incoming/ fallback scans */
#define QMGR_RESOURCE_RETRY 30	/* next try after a lack of space (4.3.1,
				 * 4.2.2): soon after space returns */

/* Per-recipient state inside the active message. */
struct qmgr_rstate {
	int result;		/* 0 untried, 2 delivered, 4 deferred, 5 failed */
	int in_flight;		/* part of the request at an agent now */
	char *reason;		/* "4.4.1 text" for the defer/ file and logs */
	char *mta;		/* remote host of the last attempt, or NULL */
	char *diag;		/* its SMTP reply, or NULL */
	int dsn_passed;		/* the next hop took over DSN duties */
};

struct qmgr_msg {
	char qid[QFILE_QID_MAX];
	int fd;
	struct qfile_env *env;
	struct qmgr_rstate *rs;	/* env->nrcpts entries */
	int agent_lost;		/* an agent that may still hold the fd went away */
	int own_file;		/* not the injection service's: never recycled */
	int expire;		/* the queue tool asked to return it now */
	int warned;		/* a delay warning was sent */
	int is_notice;		/* a notice to postmaster: never notify again */
	size_t jobs_left;	/* jobs not yet finished */
	struct qmgr_msg *anext, *aprev;	/* every active message */
};

struct qmgr_transport;
struct qmgr_dest;

/* Some recipients of one message for one destination: one agent request. */
struct qmgr_job {
	struct qmgr_msg *msg;
	struct qmgr_dest *dest;
	size_t *idx;		/* recipient indexes */
	size_t n;
	int retried;		/* one free retry after a stale reused connection */
	int started;		/* handed to an agent (counts in the window) */
	struct qmgr_job *next;	/* in the destination's queue */
};

struct resolver;

/* qmgr_loop.c */
void qmgr_loop(void);
extern struct resolver *qmgr_resolver;
extern size_t qmgr_active_count;

/* qmgr_scan.c */
void qmgr_recover(void);
void qmgr_scan_incoming(void);
void qmgr_scan_deferred(void);
void qmgr_scan_deferred_by(time_t when);
int qmgr_scan_early_due(time_t now);
void qmgr_take_incoming(const char *qid);
void qmgr_scan_maildrop(void);
void qmgr_flush(const char *qid, const char *domain);

/* qmgr_recycle.c; larger finished files are unlinked, not kept in free/ */
#define QMGR_RECYCLE_MAX_SIZE 65536
void qmgr_retire(const char *qid, int recyclable);
void qmgr_recycle_scan(void);
void qmgr_recycle_taken(void);

/* qmgr_loop.c */
void qmgr_wakeup(const char *qid);

/* qmgr_msg.c */
void qmgr_msg_start(const char *qid, int fd, struct qfile_env *env);
void qmgr_msg_result(struct qmgr_msg *m, size_t idx, int result,
    const char *enh, const char *text);
void qmgr_msg_remote(struct qmgr_msg *m, size_t idx, const char *mta,
    const char *diag);
void qmgr_msg_job_done(struct qmgr_msg *m);
void qmgr_msg_finish(struct qmgr_msg *m);
double qmgr_msg_delay(const struct qmgr_msg *m);
void qmgr_msg_abandon(struct qmgr_msg *m);
void qmgr_msg_abandon_all(void);

/* qmgr_route.c */
int qmgr_route_init(const char **errstr_r) WARN_UNUSED;
void qmgr_route(struct qmgr_msg *m);
void qmgr_route_free(void);

/* qmgr_dest.c */
extern struct qmgr_transport *qmgr_local_transport, *qmgr_smtp_transport;
void qmgr_dest_init(void);
struct qmgr_dest *qmgr_dest_get(struct qmgr_transport *t, const char *name);
void qmgr_job_add(struct qmgr_dest *d, struct qmgr_msg *m, size_t idx);
void qmgr_job_flush(void);
void qmgr_job_done(struct qmgr_job *j, int site_failed, const char *why);
void qmgr_job_requeue(struct qmgr_job *j);
void qmgr_dispatch(void);
const char *qmgr_dest_name(const struct qmgr_dest *d);
void qmgr_dest_gc(void);
void qmgr_dest_revive(void);
void qmgr_dest_shutdown(void);

/* qmgr_agent.c */
struct qmgr_transport *qmgr_agent_new(const char *name, const char *listen,
    long slots, long timeout);
int qmgr_agent_start(struct qmgr_transport *t, struct qmgr_job *j,
    const char *nexthop);
const char *qmgr_agent_name(const struct qmgr_transport *t);
struct pollfd;
size_t qmgr_agent_pollfds(struct pollfd *pfd, size_t max);
void qmgr_agent_events(struct pollfd *pfd, size_t n);
void qmgr_agent_timeouts(time_t now);
size_t qmgr_agent_maxfds(void);
void qmgr_agent_shutdown(void);

/* qmgr_bounce.c */
int qmgr_bounce(struct qmgr_msg *m, int kind);
#define QMGR_NOTICE_FAILURE 0
#define QMGR_NOTICE_DELAY 1
#define QMGR_NOTICE_SUCCESS 2

#endif
