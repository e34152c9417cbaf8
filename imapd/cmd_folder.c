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

#include "mstore.h"
#include "session.h"

static const struct {
	const char *flag;
	unsigned bit;
} folder_uses[] = {
	{ "\\Sent", MSTORE_SU_SENT },
	{ "\\Drafts", MSTORE_SU_DRAFTS },
	{ "\\Trash", MSTORE_SU_TRASH },
	{ "\\Junk", MSTORE_SU_JUNK },
	{ "\\Archive", MSTORE_SU_ARCHIVE },
};

/* CREATE's "(USE (\Sent ...))"; 0, or -1 for an unknown use or syntax. */
static int
folder_use_arg(const struct imap_arg *arg, unsigned *use_r)
{
	const struct imap_arg *list;
	size_t i, j;

	*use_r = 0;
	if (arg->type != IMAP_ARG_LIST || arg->count != 2 ||
	    !imap_arg_atom_is(&arg->list[0], "USE") ||
	    arg->list[1].type != IMAP_ARG_LIST)
		return -1;
	list = arg->list[1].list;
	for (i = 0; i < arg->list[1].count; i++) {
		for (j = 0; j < sizeof(folder_uses) / sizeof(folder_uses[0]); j++)
			if (imap_arg_atom_is(&list[i], folder_uses[j].flag))
				break;
		if (j == sizeof(folder_uses) / sizeof(folder_uses[0]))
			return -1;
		*use_r |= folder_uses[j].bit;
	}
	return 0;
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
	const char *err = NULL;
	char *name = NULL;
	unsigned use = 0;
	size_t n;

	if (cmd->count < 1 || cmd->count > 2 ||
	    imapd_mailbox_arg(s, &cmd->args[0], &name, &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid arguments.");
		return;
	}
	if (cmd->count == 2 && folder_use_arg(&cmd->args[1], &use) != 0) {
		imapd_tagged(s, "NO [USEATTR] Unsupported special-use "
		    "attribute.");
		free(name);
		return;
	}
	n = strlen(name);
	if (n > 0 && name[n - 1] == '/')
		name[n - 1] = '\0';	/* RFC 9051 6.3.4: a trailing separator */
	if (mstore_create(s->root, name, use, &err) != 0)
		imapd_tagged(s, "NO %s", err != NULL ? err : "Cannot create.");
	else
		imapd_tagged(s, "OK Create completed.");
	free(name);
}

/* DELETE name. */
void
cmd_delete(struct imapd_session *s, const struct imap_cmd *cmd)
{
	const char *err = NULL;
	char *name = NULL;

	if (cmd->count != 1 ||
	    imapd_mailbox_arg(s, &cmd->args[0], &name, &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid arguments.");
		return;
	}
	if (s->box_name != NULL && strcmp(s->box_name, name) == 0)
		imapd_unselect(s);
	if (mstore_delete(s->root, name, &err) != 0)
		imapd_tagged(s, "NO %s", err != NULL ? err : "Cannot delete.");
	else
		imapd_tagged(s, "OK Delete completed.");
	free(name);
}

/* RENAME old new. */
void
cmd_rename(struct imapd_session *s, const struct imap_cmd *cmd)
{
	const char *err = NULL;
	char *from = NULL, *to = NULL;

	if (cmd->count != 2 ||
	    imapd_mailbox_arg(s, &cmd->args[0], &from, &err) != 0 ||
	    imapd_mailbox_arg(s, &cmd->args[1], &to, &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid arguments.");
		free(from);
		return;
	}
	folder_leave(s, from);
	if (mstore_rename(s->root, from, to, &err) != 0)
		imapd_tagged(s, "NO %s", err != NULL ? err : "Cannot rename.");
	else
		imapd_tagged(s, "OK Rename completed.");
	free(from);
	free(to);
}

/* SUBSCRIBE and UNSUBSCRIBE name. */
void
cmd_subscribe(struct imapd_session *s, const struct imap_cmd *cmd)
{
	int on = strcmp(cmd->name, "SUBSCRIBE") == 0;
	const char *err = NULL;
	char *name = NULL;

	if (cmd->count != 1 ||
	    imapd_mailbox_arg(s, &cmd->args[0], &name, &err) != 0) {
		imapd_bad(s, err != NULL ? err : "Invalid arguments.");
		return;
	}
	if (mstore_subscribe(s->root, name, on, &err) != 0)
		imapd_tagged(s, "NO %s", err != NULL ? err :
		    "Cannot change the subscription.");
	else
		imapd_tagged(s, "OK %s completed.", on ? "Subscribe" :
		    "Unsubscribe");
	free(name);
}
