/*
 * spool.h - the spool's directory layout and who owns what.
 *
 *   $queue_directory/             root:root 0755
 *     incoming/   qmgr_user:spool_group 0770   new complete/in-progress files
 *     maildrop/   qmgr_user:spool_group 1730   complete files from petrel-postdrop
 *                                              (setgid spool_group: sendmail works
 *                                              while the daemons are down); the
 *                                              queue manager moves them to incoming/
 *     active/     qmgr_user:spool_group 0750   files the queue manager holds
 *     deferred/   qmgr_user:spool_group 0750   waiting; next attempt = mtime of defer/QID
 *     hold/       qmgr_user:spool_group 0750   put on hold by the queue tool; never
 *                                              taken until released
 *     corrupt/    qmgr_user:spool_group 0750   unreadable files, kept
 *     defer/      qmgr_user:spool_group 2750   last deferral reasons ("addr<TAB>reason"
 *                                              lines after optional "#warned" and
 *                                              "#expire" flag lines); its mtime is
 *                                              the next attempt (queue files belong
 *                                              to the injection user, so qmgr cannot
 *                                              set their times); files 0640, the
 *                                              setgid bit gives them the spool group
 * The spool group may list and read the queue (the setgid queue tool lists
 * it for everyone, shows contents only to root) but never write outside
 * incoming/, maildrop/ and free/.
 *     free/       qmgr_user:spool_group 0770   finished queue files kept for
 *                                              reuse (their inodes spare the
 *                                              filesystem an allocation)
 *     public/     root:root 0755  qmgr FIFO "qmgr" (qmgr_user:spool_group 0620)
 *     private/    root:root 0711  "inject" socket (root:<smtpd_user group> 0660,
 *                                 so smtpd workers may inject and nobody else
 *                                 unprivileged), "local" socket
 *                                 (root:<qmgr_user group> 0660)
 *     pid/        root:root 0755  daemon pid files
 * Public:
 *   spool_setup(&errstr)   creates/fixes the tree (as root; as another user it
 *                          only creates what it can) - idempotent.
 *   spool_path(buf, size, dir, name)  "$queue_directory/dir/name"; -1 if it
 *                          does not fit.
 *   spool_move(from, to, name)  rename between spool directories; 0 or -1
 *                          (errno).
 */
#ifndef PETREL_SPOOL_H
#define PETREL_SPOOL_H

#include <stddef.h>
#include "log.h"

#define SPOOL_INCOMING "incoming"
#define SPOOL_ACTIVE "active"
#define SPOOL_DEFERRED "deferred"
#define SPOOL_CORRUPT "corrupt"
#define SPOOL_DEFER "defer"
#define SPOOL_FREE "free"
#define SPOOL_MAILDROP "maildrop"
#define SPOOL_HOLD "hold"
#define SPOOL_PUBLIC "public"
#define SPOOL_PRIVATE "private"
#define SPOOL_PID "pid"

int spool_setup(const char **errstr_r) WARN_UNUSED;
int spool_path(char *buf, size_t size, const char *dir, const char *name)
    WARN_UNUSED;
int spool_move(const char *from, const char *to, const char *name);

#endif
