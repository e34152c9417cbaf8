/*
 * qmgr.h - internal interfaces of petrel-qmgr, the queue manager.
 *
 * Modules:
 *   qmgr_main.c     server spec.
 *   qmgr_loop.c     the poll() event loop, the wakeup FIFO, timers.
 *   qmgr_scan.c     restart recovery, incoming/ and deferred/ scans, taking a
 *                   queue file into active/ (or corrupt/).
 *   qmgr_msg.c      one active message: routing, per-recipient results, the
 *                   final step (remove, or mark + defer + reschedule).
 *   qmgr_local.c    connections to petrel-local (one request each at a time).
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

/* Per-recipient state inside the active message. */
struct qmgr_rstate {
	int result;		/* 0 untried, 2 delivered, 4 deferred, 5 failed */
	int in_flight;		/* part of the request at an agent now */
	char *reason;		/* "4.4.1 text" for the defer/ file and logs */
};

struct qmgr_msg {
	char qid[QFILE_QID_MAX];
	int fd;
	struct qfile_env *env;
	struct qmgr_rstate *rs;	/* env->nrcpts entries */
	int retried;		/* one free retry after a stale reused connection */
	int agent_lost;		/* an agent that may still hold the fd went away */
	struct qmgr_msg *next;	/* in the wait queue */
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
void qmgr_take_incoming(const char *qid);

/* qmgr_recycle.c */
void qmgr_retire(const char *qid, int recyclable);
void qmgr_recycle_scan(void);

/* qmgr_msg.c */
void qmgr_msg_start(const char *qid, int fd, struct qfile_env *env);
void qmgr_msg_result(struct qmgr_msg *m, size_t idx, int result,
    const char *enh, const char *text);
void qmgr_msg_finish(struct qmgr_msg *m);
double qmgr_msg_delay(const struct qmgr_msg *m);
void qmgr_msg_abandon(struct qmgr_msg *m);

/* qmgr_local.c */
void qmgr_local_init(void);
void qmgr_local_enqueue(struct qmgr_msg *m);
void qmgr_local_dispatch(void);
struct pollfd;
size_t qmgr_local_pollfds(struct pollfd *pfd, size_t max);
void qmgr_local_events(struct pollfd *pfd, size_t n);
void qmgr_local_timeouts(time_t now);
size_t qmgr_local_maxfds(void);
void qmgr_local_shutdown(void);

#endif
