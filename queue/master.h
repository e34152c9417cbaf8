/*
 * master.h - petrel-master, the supervisor that starts every configured
 * daemon, starts again one that died (with a back-off) while the others
 * keep serving, and stops them all on SIGTERM/SIGINT.
 *
 * Public (between master_main.c and master_loop.c):
 *   master_table_add(t, bindir, name, &errstr)  one more daemon to watch:
 *                        <bindir>/petrel-<name>; 0, or -1 (bad name, too
 *                        many, path too long).
 *   master_run(t, conf, foreground)  the supervisor's loop: starts every
 *                        daemon, restarts those that die, returns the exit
 *                        status (0) once told to stop and every child is
 *                        gone.  Fatal only when signals cannot be set up.
 * Security: runs as root and stays root (it starts daemons that bind
 * privileged ports and drop privileges themselves); it reads no network
 * input and no file but petrel.conf; its command line comes from root's
 * control script (etc/petrel).
 */
#ifndef PETREL_MASTER_H
#define PETREL_MASTER_H

#include <limits.h>
#include <sys/types.h>
#include <time.h>

#include "log.h"

#define MASTER_DAEMONS_MAX 16	/* programs under one master */
#define MASTER_NAME_MAX 16	/* "smtpd", "imapd" ... */
#define MASTER_STABLE 60	/* seconds up that forgive earlier deaths */
#define MASTER_STOP_WAIT 15	/* seconds from SIGTERM to SIGKILL */

struct master_daemon {
	char name[MASTER_NAME_MAX + 1];
	char path[PATH_MAX];	/* <bindir>/petrel-<name> */
	pid_t pid;		/* 0: not running */
	time_t started;		/* monotonic, when pid was forked */
	time_t due;		/* monotonic: start again at (pid 0) */
	int failures;		/* deaths in a row that came too soon */
};

struct master_table {
	struct master_daemon d[MASTER_DAEMONS_MAX];
	size_t count;
};

int master_table_add(struct master_table *t, const char *bindir,
    const char *name, const char **errstr_r) WARN_UNUSED;
int master_run(struct master_table *t, const char *conf, int foreground);

#endif
