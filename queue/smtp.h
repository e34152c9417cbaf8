/*
 * smtp.h - internal interfaces of petrel-smtp, the remote SMTP delivery
 * agent (runs as remote_user; one queue manager request at a time per
 * process).
 *
 * Modules:
 *   smtp_main.c     server spec; post_drop opens the TLS client context and
 *                   smtp_tls_policy_maps.
 *   smtp_session.c  the queue manager connection (common/agent.c) and the
 *                   idle timer that closes a cached session.
 *   smtp_deliver.c  one request: next hop, DNS, the MX host and address
 *                   loop, session reuse, per-recipient results.
 *   smtp_proto.c    one SMTP session: greeting, EHLO/HELO, STARTTLS, and
 *                   the mail transaction (pipelined when offered).
 *   smtp_connect.c  TCP connect with a timeout; the TLS policy lookup.
 * Results: every recipient of a request gets exactly one STATUS line.
 */
#ifndef PETREL_SMTP_H
#define PETREL_SMTP_H

#include <stddef.h>
#include <time.h>
#include "dns.h"
#include "mime7.h"
#include "qfile.h"
#include "smtp_reply.h"

struct conn;
struct buf;
struct tls_ctx;
struct deliver_msg;

enum smtp_tls_level { SMTP_TLS_NONE, SMTP_TLS_MAY, SMTP_TLS_ENCRYPT,
	SMTP_TLS_VERIFY };

/* One recipient's outcome inside the agent. */
struct smtp_rcpt {
	long index;
	const char *addr;
	int done;		/* a final answer for this attempt */
	int status_class;	/* 2, 4 or 5 */
	char enh[16];
	char text[600];
	char diag[SMTP_REPLY_TEXT_MAX];	/* the server's reply, if any */
	int accepted;		/* RCPT got 2xx in the current transaction */
	int sent_rcpt;		/* RCPT sent in the current transaction */
	const char *dsn;	/* the queue file's DSN words, or NULL */
	int dsn_passed;		/* delivered to a server that does DSN */
	char mta[DNS_NAME_MAX + 64];	/* server that answered, or "" */
};

/* An open session with a server. */
struct smtp_session {
	struct conn *c;
	int fd;
	char host[DNS_NAME_MAX];	/* MX host name (or address) */
	char mta[DNS_NAME_MAX + 64];	/* "host[addr]:port" */
	unsigned ext;			/* SMTP_EXT_* of the EHLO reply */
	unsigned long size_limit;
	int tls;
	char nexthop[DNS_NAME_MAX + 8];
	time_t expires;			/* cached: close at this time */
	int dead;			/* lost or timed out: never reuse */
	int need_rset;			/* a transaction is still open */
};

/* One delivery attempt: the message and its recipients. */
struct smtp_job {
	const char *qid;
	const char *sender;
	int qfd;
	struct qfile_env *env;
	int has_8bit;
	int smtputf8;		/* the client asked for SMTPUTF8 */
	const char *dsn_ret;	/* RET= value, or NULL */
	const char *dsn_envid;	/* ENVID= value (xtext), or NULL */
	struct smtp_rcpt *rcpts;
	size_t nrcpts;
	size_t pending;		/* recipients without a final answer */
	enum smtp_tls_level tls_level;
	int site_failed;
	/* 8-bit content for a server without 8BITMIME (smtp_downgrade.c),
	 * worked out once per message */
	int down_state;		/* 0 not yet, 1 convertible, -1 not */
	const char *down_why;	/* why not */
	struct mime7_plan down_plan;
	long long down_size;	/* the converted form's size */
	int downgrading;	/* this transaction sends the converted form */
};

/* smtp_main.c */
extern struct tls_ctx *smtp_tls_ctx;

/* smtp_session.c */
struct server_peer;
void smtp_agent_session(int fd_in, int fd_out, const struct server_peer *peer);
void smtp_session_cache_put(struct smtp_session *s);
struct smtp_session *smtp_session_cache_take(const char *nexthop);
void smtp_session_close(struct smtp_session **sp, int quit);

/* smtp_deliver.c */
void smtp_deliver(int qfd, const struct deliver_msg *req, struct buf *reply);
void smtp_rcpt_set(struct smtp_rcpt *r, int klass, const char *enh,
    const char *text, const char *diag);
void smtp_job_fail_pending(struct smtp_job *j, int klass, const char *enh,
    const char *text);

/* smtp_proto.c: 0 transaction done (results set), -1 session failed
 * before any result (why_r: "4.4.2 ..." for the next host), -2 session
 * lost after results began (pending recipients already deferred). */
int smtp_proto_open(struct smtp_session *s, struct smtp_job *j, char *why,
    size_t whylen);
int smtp_proto_transaction(struct smtp_session *s, struct smtp_job *j,
    char *why, size_t whylen);
void smtp_proto_quit(struct smtp_session *s);

/* smtp_downgrade.c */
int smtp_downgrade_check(struct smtp_job *j);
void smtp_downgrade_free(struct smtp_job *j);

/* smtp_connect.c */
int smtp_connect(const struct dns_addr *a, long timeout, char *why,
    size_t whylen);
enum smtp_tls_level smtp_tls_policy(const char *nexthop);
int smtp_tls_policy_init(const char **errstr_r);

#endif
