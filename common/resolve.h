/*
 * resolve.h - where a recipient address goes, shared by smtpd (RCPT checks),
 * the queue manager (which transport) and local delivery (which mailbox).
 *
 * Address classes, as Postfix's:
 *   RESOLVE_LOCAL    domain in mydestination (or no domain): system users via
 *                    getpwnam(localpart) and alias_maps; mailbox ~/$home_mailbox
 *   RESOLVE_VIRTUAL  domain in virtual_mailbox_domains: virtual_mailbox_maps
 *                    (address -> path under virtual_mailbox_base; a trailing
 *                    '/' means maildir), owned by vmail_user
 *   RESOLVE_RELAY    domain in relay_domains (accepted from anyone)
 *   RESOLVE_REMOTE   everything else (only mynetworks may send there)
 * virtual_alias_maps are consulted for every class before the class rules.
 * The recipient_delimiter extension ("user+ext") is stripped for lookups.
 *
 * Public:
 *   resolver_new(&errstr)   opens the maps named in the configuration.
 *   resolver_free(&r)
 *   resolve_class(r, addr)  the class of the address's domain.
 *   resolve_exists(r, addr, &errstr)  1 the recipient exists (or is not ours
 *                           to judge: RELAY/REMOTE), 0 unknown user, -1 a
 *                           temporary lookup failure (reply 451 4.3.0).
 *   resolve_mailbox(r, addr, &mb, &errstr)  for local delivery: 1 with mb
 *                           filled (maildir path, uid, gid, or alias
 *                           expansion), 0 unknown, -1 temporary failure.
 *   resolve_login_maildir(r, user, &maildir, &uid, &gid, &errstr)  for
 *                           POP3/IMAP logins: the user's own maildir
 *                           (malloced) and owner; 1, 0 none (unknown,
 *                           alias, not our domain), -1 temporary failure.
 */
#ifndef PETREL_RESOLVE_H
#define PETREL_RESOLVE_H

#include <sys/types.h>
#include "log.h"

enum resolve_class { RESOLVE_LOCAL, RESOLVE_VIRTUAL, RESOLVE_RELAY, RESOLVE_REMOTE };

struct resolver;

struct resolve_mailbox {
	int is_alias;		/* 1: expansion holds the alias value */
	char *expansion;	/* comma separated targets (aliases/virtual aliases) */
	char *maildir;		/* absolute path ending in '/' */
	uid_t uid;
	gid_t gid;
	char *user;		/* system user name or virtual address */
};

struct resolver *resolver_new(const char **errstr_r);
void resolver_free(struct resolver **rp);
enum resolve_class resolve_class(struct resolver *r, const char *addr);
int resolve_exists(struct resolver *r, const char *addr, const char **errstr_r)
    WARN_UNUSED;
int resolve_mailbox(struct resolver *r, const char *addr,
    struct resolve_mailbox *mb_r, const char **errstr_r) WARN_UNUSED;
int resolve_login_maildir(struct resolver *r, const char *user,
    char **maildir_r, uid_t *uid_r, gid_t *gid_r, const char **errstr_r)
    WARN_UNUSED;
void resolve_mailbox_clear(struct resolve_mailbox *mb);

#endif
