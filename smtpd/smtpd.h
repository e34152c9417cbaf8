/*
 * smtpd.h - private interfaces between the parts of petrel-smtpd.
 *
 *   main.c      configuration/server spec, calls server_main().
 *   session.c   smtpd_session(): one client from greeting to close; reply
 *               helper, error budget, timeouts, connect/disconnect logging.
 *   cmd.c       the command table and the envelope commands.
 *   data.c      DATA: body decoding and injection into the queue.
 *   received.c  the Received: header (returns its length or -1).
 *   tls.c       the server TLS context (loaded, or made self-signed, as
 *               root before the drop), STARTTLS and implicit TLS (smtps).
 *   auth.c      AUTH PLAIN/LOGIN (RFC 4954) and sender ownership;
 *               passwords are checked by petrel-auth (common/auth_client.h),
 *               so workers never read password hashes.
 *   peername.c  the client's forward-confirmed host name, or "unknown".
 *   climit.c    per-client connection count/rate and message rate, shared
 *               by all workers in one MAP_SHARED table.
 *   esmtp.c     pure MAIL/RCPT parameter parsers (SIZE, BODY, DSN,
 *               SMTPUTF8, AUTH=).
 *   bdat.c      CHUNKING: the BDAT command (RFC 3030).
 *   chunk.c     pure BDAT chunk decoder (CRLF to LF, bare CR/LF flag).
 *   etrn.c      ETRN (RFC 1985) through the injection service; EXPN.
 *   dnsbl.c     DNSBL/DNSWL scoring of port 25 clients (the pure site
 *               list parser is dnsbl_sites.c, see dnsbl.h).
 *   greylist.c  greylisting of (client network, sender, recipient) in a
 *               Berkeley DB file shared by the workers.
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
struct smtpd_dnsbl;

#define SMTPD_NAME_MAX 256
#define SMTPD_LOGIN_MAX 256

/* server_peer.listener: which listen parameter accepted the client */
enum smtpd_role {
	SMTPD_ROLE_SMTP = 0,		/* smtpd_listen (25) */
	SMTPD_ROLE_SUBMISSION = 1,	/* smtpd_submission_listen (587) */
	SMTPD_ROLE_SMTPS = 2		/* smtpd_smtps_listen (465) */
};
#define SMTPD_NCOUNT 24		/* counters: command table + unknown */

struct smtpd_count {
	long ok;
	long total;
};

#define SMTPD_RET_FULL 1
#define SMTPD_RET_HDRS 2
#define SMTPD_ENVID_MAX 100	/* RFC 3461 4.4 */
#define SMTPD_ORCPT_MAX 512	/* type ";" 500 octets of xtext (4.2) */

/* MAIL FROM parameters (esmtp.c). */
struct smtpd_mail_params {
	long size;			/* -1 when absent */
	enum smtp_body body;
	int ret;			/* 0 or SMTPD_RET_* */
	char envid[SMTPD_ENVID_MAX + 1];	/* xtext as received, or "" */
	int smtputf8;
	int auth_seen;
};

/* RCPT TO parameters (esmtp.c). */
struct smtpd_rcpt_params {
	int notify;			/* DSN_NOTIFY_* mask, 0 when absent */
	char orcpt[SMTPD_ORCPT_MAX + 1];	/* "type;xtext", or "" */
};

/* BDAT decoder state (chunk.c). */
struct smtpd_chunk {
	int cr;			/* a CR waits for its LF */
	int bare;		/* bare CR or LF seen */
	size_t size;		/* decoded octets (saturates) */
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
	struct smtpd_mail_params mail_opts;
	char **rcpt;
	char **rcpt_dsn;		/* RDSN words per recipient, or NULL */
	size_t nrcpt;
	int bdat;			/* BDAT seen in this transaction */
	int bdat_open;			/* its injection transaction is open */
	int bdat_failed;		/* inject_data failed: 451 */
	struct smtpd_chunk chunk;
	int errors;			/* 4xx/5xx replies so far */
	int done;			/* end the session */
	const char *last_verb;		/* for "lost connection after X" */
	struct inject *ij;		/* reused across transactions */
	char qid[QFILE_QID_MAX];
	struct smtpd_count counts[SMTPD_NCOUNT];
	struct smtpd_count commands;
	enum smtpd_role role;
	char auth_user[SMTPD_LOGIN_MAX];	/* "" until AUTH succeeded */
	const char *auth_method;	/* "PLAIN" or "LOGIN" */
	int auth_failures;
	long messages;			/* MAIL commands accepted */
	char tls_info[128];		/* "TLSv1.3 with cipher ..." or "" */
	struct smtpd_dnsbl *dnsbl;	/* DNSBL lookups in flight, or NULL */
	long dnsbl_score;
	int dnsbl_blocked;		/* score >= smtpd_dnsbl_threshold */
	int dnsbl_allowed;		/* <= the whitelist threshold (< 0) */
	char dnsbl_site[SMTPD_NAME_MAX];	/* named in the 550 */
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
int smtpd_inject_connect(struct smtpd_session *s);
int smtpd_inject_start(struct smtpd_session *s);
void smtpd_data_refuse(struct smtpd_session *s, const char *reply);

/* bdat.c */
int smtpd_cmd_bdat(struct smtpd_session *s, const char *arg, size_t len);

/* chunk.c */
void smtpd_chunk_init(struct smtpd_chunk *c);
size_t smtpd_chunk_decode(struct smtpd_chunk *c, const char *p, size_t len,
    char *out);
void smtpd_chunk_end(struct smtpd_chunk *c);

/* esmtp.c */
enum smtp_params_status smtpd_parse_mail_params(const char *p, size_t len,
    struct smtpd_mail_params *mp, struct smtp_param *bad_r,
    const char **errstr_r);
enum smtp_params_status smtpd_parse_rcpt_params(const char *p, size_t len,
    struct smtpd_rcpt_params *rp, struct smtp_param *bad_r,
    const char **errstr_r);
int smtpd_rcpt_dsn_words(const struct smtpd_rcpt_params *rp, char *dst,
    size_t n);

/* etrn.c */
int smtpd_cmd_etrn(struct smtpd_session *s, const char *arg, size_t len);
int smtpd_cmd_expn(struct smtpd_session *s, const char *arg, size_t len);

/* tls.c */
void smtpd_tls_init(void);
void smtpd_tls_reload(void);
int smtpd_tls_offered(const struct smtpd_session *s);
int smtpd_tls_wrap(struct smtpd_session *s);
int smtpd_cmd_starttls(struct smtpd_session *s, const char *arg, size_t len);

/* auth.c */
int smtpd_auth_offered(const struct smtpd_session *s);
int smtpd_cmd_auth(struct smtpd_session *s, const char *arg, size_t len);
int smtpd_sender_owned(struct smtpd_session *s, const char *sender);
void smtpd_auth_open_maps(void);

/* peername.c */
void smtpd_peer_name(const char *addr, char *name, size_t size);

/* climit.c */
void smtpd_climit_init(void);
void smtpd_climit_open(void);
int smtpd_climit_connect(const char *addr);
void smtpd_climit_disconnect(void);
int smtpd_climit_message(const char *addr);

/* dnsbl.c */
void smtpd_dnsbl_init(void);
void smtpd_dnsbl_reload(void);
void smtpd_dnsbl_start(struct smtpd_session *s);
void smtpd_dnsbl_finish(struct smtpd_session *s);
int smtpd_dnsbl_gate(struct smtpd_session *s, const char *line, size_t len);
void smtpd_dnsbl_end(struct smtpd_session *s);

/* greylist.c */
void smtpd_greylist_init(void);
int smtpd_greylist_check(struct smtpd_session *s, const char *rcpt);

/* received.c */
int smtpd_received(const struct smtpd_session *s, char *dst, size_t n);

#endif
