/*
 * local_main.c - petrel-local, the local delivery agent: receives delivery
 * requests from the queue manager on $local_listen and writes maildirs.
 *
 * Runs as root in pre-forked workers (user_param NULL) because it becomes
 * each mailbox owner in turn; see local.h.  pre_drop creates
 * virtual_mailbox_base (owned by vmail_user, 0755) when it is missing;
 * post_drop opens the address maps (fatal when they cannot be opened).
 * A worker keeps acting as the last mailbox owner between deliveries
 * (privs_become is free for the same owner again) and becomes root again
 * only where it needs to: another owner, forwarding (local_forward.c), or
 * a map file to look at again (the maps' refresh hook).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "local.h"
#include "log.h"
#include "maps.h"
#include "params.h"
#include "privs.h"
#include "resolve.h"
#include "server.h"

struct resolver *local_resolver;

/* Create the virtual mailbox base for vmail_user if it is missing. */
static void
local_pre_drop(void)
{
	const char *base = var_virtual_mailbox_base;
	struct stat st;
	uid_t uid;
	gid_t gid;

	if (base == NULL || base[0] != '/' || stat(base, &st) == 0)
		return;
	if (privs_lookup(var_vmail_user, &uid, &gid) < 0) {
		log_warn("vmail_user %s does not exist; not creating %s",
		    var_vmail_user, base);
		return;
	}
	if (mkdir(base, 0755) < 0 && errno != EEXIST) {
		log_warn("mkdir %s: %m", base);
		return;
	}
	if (chown(base, uid, gid) < 0 || chmod(base, 0755) < 0)
		log_warn("chown/chmod %s: %m", base);
}

/* Be root again (the worker may still act as the last mailbox owner). */
void
local_regain_root(void)
{
	const char *err;

	if (privs_restore(&err) < 0)
		log_fatal("cannot restore privileges: %s", err);
}

/* Open the maps once per worker; they are looked at again as root. */
static void
local_post_drop(void)
{
	const char *err;

	if ((local_resolver = resolver_new(&err)) == NULL)
		log_fatal("cannot open address maps: %s", err);
	maps_set_refresh_hook(local_regain_root);
}

static const struct server_spec local_spec = {
	.name = "local",
	.listen_param = "local_listen",
	.user_param = NULL,
	.process_limit_param = "local_process_limit",
	.unix_mode = 0660,
	.unix_group_param = "qmgr_user",
	.pre_drop = local_pre_drop,
	.post_drop = local_post_drop,
	.session = local_session,
	.loop = NULL,
};

/* Hand over to the server skeleton. */
int
main(int argc, char **argv)
{
	server_main(argc, argv, &local_spec);
}
