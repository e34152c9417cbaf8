/*
 * smtpd.h - private interfaces between the parts of petrel-smtpd.
 *
 *   main.c      configuration/server spec, calls server_main().
 *   session.c   smtpd_session(): one client from greeting to close; reply
 *               helper, error budget, timeouts, connect/disconnect logging.
 *   cmd.c       the command table and the envelope commands.
 *   data.c      DATA: body decoding and injection into the queue.
 *   received.c  the Received: header (returns its length or -1).
 * Security: everything a session reads is untrusted network input; the
 * worker runs as smtpd_user and writes nothing itself - mail goes to the
 * queue through the injection service.
 */
#ifndef PETREL_SMTPD_H
#define PETREL_SMTPD_H

#include <stddef.h>

#include "addr.h"
#include "qfile.h"
#include "server.h"
#include "smtp_parse.h"

struct conn;
struct inject;
struct resolver;
struct netmatch;

#define SMTPD_NAME_MAX 256
#define SMTPD_NCOUNT 16		/* counters: command table + unknown */

struct smtpd_count {
	long ok;
	long total;
};

struct smtpd_session {
	struct conn *conn;
	char addr[64];			/* client IP address text */
	char name[SMTPD_NAME_MAX];	/* client host name or "unknown" */
	char helo[SMTPD_NAME_MAX];	/* validated HELO/EHLO argument */
	int helo_seen;			/* 0 none, 1 HELO, 2 EHLO */
	int trusted;			/* client is in mynetworks */
	int in_mail;			/* MAIL accepted */
	char sender[ADDR_MAX + 1];
	struct smtp_mail_opts mail_opts;
	char **rcpt;
	size_t nrcpt;
	int errors;			/* 4xx/5xx replies so far */
	int done;			/* end the session */
	const char *last_verb;		/* for "lost connection after X" */
	struct inject *ij;		/* reused across transactions */
	char qid[QFILE_QID_MAX];
	struct smtpd_count counts[SMTPD_NCOUNT];
	struct smtpd_count commands;
};

/* session.c */
void smtpd_session(int fd_in, int fd_out, const struct server_peer *peer);
void smtpd_open_maps(void);
struct resolver *smtpd_resolver(void);
void smtpd_reply(struct smtpd_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void smtpd_lost(struct smtpd_session *s);
void smtpd_reset(struct smtpd_session *s);
const char *smtpd_proto(const struct smtpd_session *s);

/* cmd.c */
void smtpd_dispatch(struct smtpd_session *s, const char *line, size_t len);
void smtpd_count_summary(const struct smtpd_session *s, char *dst, size_t n);

/* data.c */
int smtpd_cmd_data(struct smtpd_session *s, const char *arg, size_t arg_len);
void smtpd_inject_keep(struct inject **ijp);

/* received.c */
int smtpd_received(const struct smtpd_session *s, char *dst, size_t n);

#endif
