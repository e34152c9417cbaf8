/*
 * sendmail.h - internal interface of petrel-sendmail (queue/sendmail_*.c).
 *
 * sendmail_main.c  the command line (sendmail, mailq, newaliases) and the
 *                  mode dispatch.
 * sendmail_drop.c  finding and running the helper programs, and handing one
 *                  message to petrel-postdrop through a pipe.
 * sendmail_smtp.c  "sendmail -bs": a small SMTP server on stdin/stdout
 *                  whose messages go through petrel-postdrop as well.
 */
#ifndef PETREL_SENDMAIL_H
#define PETREL_SENDMAIL_H

#include <stddef.h>
#include <sys/types.h>

#include "log.h"

#define SM_EX_OK 0
#define SM_EX_USAGE 64
#define SM_EX_DATAERR 65
#define SM_EX_SOFTWARE 70
#define SM_EX_TEMPFAIL 75

struct sm_opts {
	const char *conf;	/* -C or $PETREL_CONF; NULL: default */
	const char *sender;	/* -f / -r */
	const char *fullname;	/* -F */
	const char *dsn_ret;	/* -R */
	const char *dsn_notify;	/* -N */
	const char *dsn_envid;	/* -V */
	const char *body_type;	/* -B */
	int extract;		/* -t */
	int dot_ends;		/* 0 with -i / -oi */
	int verbose;
	char **rcpts;
	int nrcpts;
};

/* A message being handed to petrel-postdrop. */
struct sm_drop {
	pid_t pid;
	int fd;			/* the pipe to its standard input */
	int broken;		/* a write failed: postdrop gave up */
};

/* sendmail_drop.c */
int sm_find_prog(const char *name, char *path, size_t size);
int sm_exec_prog(const char *name, char **args);
int sm_drop_start(struct sm_drop *d, const struct sm_opts *o);
void sm_drop_write(struct sm_drop *d, const void *p, size_t n);
void sm_drop_line(struct sm_drop *d, char type, const char *text);
int sm_drop_finish(struct sm_drop *d);
int sm_copy_stdin(struct sm_drop *d, int dot_ends);

/* sendmail_smtp.c */
int sm_smtp_session(const struct sm_opts *o);

#endif
