/*
 * qtool.h - internal interface of petrel-qtool (queue/qtool_*.c).
 *
 * qtool_main.c   command line, privilege rules, dispatch.
 * qtool_list.c   the queue walk shared by every command, and the listing
 *                (postqueue -p text, postqueue -j JSON lines).
 * qtool_admin.c  show, delete, hold, release, requeue, expire, flush.
 * qtool_check.c  check and repair the spool.
 */
#ifndef PETREL_QTOOL_H
#define PETREL_QTOOL_H

#include <stddef.h>
#include <sys/types.h>

#include "log.h"
#include "qfile.h"

#define QT_EX_OK 0
#define QT_EX_FAIL 1
#define QT_EX_USAGE 64
#define QT_EX_TEMPFAIL 75

/* The queues a message can be in, in listing order. */
extern const char *const qt_queues[];

/* One message found by qt_walk. */
struct qt_entry {
	const char *queue;	/* one of qt_queues */
	const char *qid;
	int fd;			/* open read-only, or -1 (not opened) */
	struct qfile_env *env;	/* NULL when not read / unreadable */
};

typedef void (*qt_walk_fn)(void *arg, struct qt_entry *e);

/* qtool_list.c */
int qt_walk(const char *queue, int read_env, qt_walk_fn fn, void *arg);
int qt_find(const char *qid, const char **queue_r);
char *qt_defer_text(const char *qid);
const char *qt_defer_lookup(const char *text, const char *addr, size_t *len_r);
int qt_list(int json);

/* qtool_admin.c */
enum qt_op { QT_DELETE, QT_HOLD, QT_RELEASE, QT_REQUEUE, QT_EXPIRE };
int qt_admin(enum qt_op op, const char *arg);
int qt_show(const char *qid);
int qt_flush(const char *qid, const char *site);

/* qtool_check.c */
int qt_check(void);

#endif
