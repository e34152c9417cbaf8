/*
 * local.h - internal interfaces of petrel-local, the local delivery agent.
 *
 * Modules:
 *   local_main.c     server spec, pre_drop (virtual_mailbox_base), post_drop
 *                    (resolver), local_regain_root (fatal on failure).
 *   local_session.c  one queue manager connection: requests in (with the
 *                    queue file descriptor), replies out.
 *   local_deliver.c  one request: header scan for Delivered-To, per
 *                    recipient expansion, maildir delivery, result.
 *   local_alias.c    recursive alias expansion into leaves (maildirs and
 *                    addresses to forward).
 *   local_forward.c  forwarding through the injection service.
 * Security: workers keep root's real and saved ids; each maildir delivery
 * runs under the mailbox owner's effective ids (privs_become) and never as
 * uid 0, and the worker stays that owner until it needs root again.
 */
#ifndef PETREL_LOCAL_H
#define PETREL_LOCAL_H

#include <stddef.h>
#include <sys/types.h>
#include "qfile.h"

#define LOCAL_ALIAS_DEPTH 10
#define LOCAL_ALIAS_TARGETS 1000
#define LOCAL_HEADER_MAX (1024 * 1024)
#define LOCAL_WHY_MAX 300

struct resolver;
struct deliver_msg;
struct buf;

extern struct resolver *local_resolver;
void local_regain_root(void);

/* One result: class 2/4/5, enhanced code, text. */
struct local_status {
	int status_class;
	char enh[16];
	char text[LOCAL_WHY_MAX];
};

/* An expansion leaf: a maildir to write or an address to forward to. */
struct local_leaf {
	char *addr;		/* final address (domain added if missing) */
	char *maildir;		/* NULL: forward */
	uid_t uid;
	gid_t gid;
};

struct local_expansion {
	struct local_leaf *leaves;
	size_t nleaves;
	char **seen;
	size_t nseen;
	struct local_status fail;	/* first failure met (class 0: none) */
};

/* local_alias.c */
void local_expand(struct resolver *r, const char *addr,
    struct local_expansion *x);
void local_expansion_free(struct local_expansion *x);
void local_status_set(struct local_status *st, int status_class,
    const char *enh, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* local_deliver.c */
void local_deliver_request(int qfd, const struct deliver_msg *req,
    struct buf *reply);

/* local_forward.c */
void local_forward(int qfd, const struct qfile_env *env, const char *sender,
    const char *orig, char **addrs, size_t n, struct local_status *st);

/* local_session.c */
struct server_peer;
void local_session(int fd_in, int fd_out, const struct server_peer *peer);

#endif
