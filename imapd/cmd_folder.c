/*
 * cmd_folder.c - managing mailboxes: CREATE (RFC 9051 6.3.4, with RFC 6154
 * CREATE-SPECIAL-USE), DELETE (6.3.5), RENAME (6.3.6, INBOX too),
 * SUBSCRIBE and UNSUBSCRIBE (6.3.7/6.3.8).
 *
 * Public: cmd_create, cmd_delete, cmd_rename, cmd_subscribe (SUBSCRIBE and
 * UNSUBSCRIBE) (session.h).
 * The store does the work and refuses what the RFC forbids (creating
 * INBOX or an existing name, deleting INBOX, renaming onto an existing
 * name); its reason becomes the NO text, with the RFC 5530 code that
 * fits.  Deleting or renaming the selected mailbox deselects it first.
 * Security: names are checked by the store (no '.', no path escapes).
 */
#include <stdlib.h>
#include <string.h>

#include "imap_mailbox.h"
#include "imap_mbox_args.h"
#include "mstore.h"
#include "session.h"

static const struct {
	unsigned use;
	unsigned bit;
} folder_uses[] = {
	{ IMAP_USE_SENT, MSTORE_SU_SENT },
	{ IMAP_USE_DRAFTS, MSTORE_SU_DRAFTS },
	{ IMAP_USE_TRASH, MSTORE_SU_TRASH },
	{ IMAP_USE_JUNK, MSTORE_SU_JUNK },
	{ IMAP_USE_ARCHIVE, MSTORE_SU_ARCHIVE },
};

/* The store's special-use bits for CREATE's USE; -1 for one it lacks. */
static int
folder_use_bits(unsigned use, unsigned *bits_r)
{
	*bits_r = 0;
	for (size_t i = 0; i < sizeof(folder_uses) / sizeof(folder_uses[0]);
	    i++)
		if (use & folder_uses[i].use) {
			*bits_r |= folder_uses[i].bit;
			use &= ~folder_uses[i].use;
		}
	return use == 0 ? 0 : -1;
}

/* The selected mailbox is name (or under it): deselect it. */
static void
folder_leave(struct imapd_session *s, const char *name)
{
	size_t n = strlen(name);

	if (s->box_name != NULL && strncmp(s->box_name, name, n) == 0 &&
	    (s->box_name[n] == '\0' || s->box_name[n] == '/'))
		imapd_unselect(s);
}

/* CREATE name [(USE (...))]. */
void
cmd_create(struct imapd_session *s, const struct imap_cmd *cmd)
{
	const char *err = NULL, *arg;
	unsigned use = 0, bits;
	char *name;
	size_t n;

	if (imap_create_parse(cmd->args, cmd->count, imapd_utf8(s), s->pool,
	    &arg, &use, &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid arguments.");
		return;
	}
	if (folder_use_bits(use, &bits) != 0) {
		imapd_tagged(s, "NO [USEATTR] Unsupported special-use "
		    "attribute.");
		return;
	}
	name = imap_pool_strndup(s->pool, arg, strlen(arg));
	n = name != NULL ? strlen(name) : 0;
	if (n > 0 && name[n - 1] == '/')
		name[n - 1] = '\0';	/* RFC 9051 6.3.4: a trailing separator */
	if (name == NULL || mstore_create(s->root, name, bits, &err) != 0)
		imapd_tagged(s, "NO %s", err != NULL ? err : "Cannot create.");
	else
		imapd_tagged(s, "OK Create completed.");
}

/* DELETE name. */
void
cmd_delete(struct imapd_session *s, const struct imap_cmd *cmd)
{
	const char *err = NULL;
	const char *name = NULL;

	if (cmd->count != 1 ||
	    imap_mailbox_from_arg(&cmd->args[0], imapd_utf8(s), s->pool, &name,
	    &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid arguments.");
		return;
	}
	folder_leave(s, name);
	if (mstore_delete(s->root, name, &err) != 0)
		imapd_tagged(s, "NO %s", err != NULL ? err : "Cannot delete.");
	else
		imapd_tagged(s, "OK Delete completed.");
}

/* RENAME old new. */
void
cmd_rename(struct imapd_session *s, const struct imap_cmd *cmd)
{
	const char *err = NULL;
	const char *from = NULL, *to = NULL;

	if (cmd->count != 2 ||
	    imap_mailbox_from_arg(&cmd->args[0], imapd_utf8(s), s->pool, &from,
	    &err) != 0 ||
	    imap_mailbox_from_arg(&cmd->args[1], imapd_utf8(s), s->pool, &to,
	    &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid arguments.");
		return;
	}
	folder_leave(s, from);
	if (mstore_rename(s->root, from, to, &err) != 0)
		imapd_tagged(s, "NO %s", err != NULL ? err : "Cannot rename.");
	else
		imapd_tagged(s, "OK Rename completed.");
}

/* SUBSCRIBE and UNSUBSCRIBE name. */
void
cmd_subscribe(struct imapd_session *s, const struct imap_cmd *cmd)
{
	int on = strcmp(cmd->name, "SUBSCRIBE") == 0;
	const char *err = NULL;
	const char *name = NULL;

	if (cmd->count != 1 ||
	    imap_mailbox_from_arg(&cmd->args[0], imapd_utf8(s), s->pool, &name,
	    &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid arguments.");
		return;
	}
	if (mstore_subscribe(s->root, name, on, &err) != 0)
		imapd_tagged(s, "NO %s", err != NULL ? err :
		    "Cannot change the subscription.");
	else
		imapd_tagged(s, "OK %s completed.", on ? "Subscribe" :
		    "Unsubscribe");
}
