/*
 * cmd_misc.c - the commands valid in any logged-in state that touch no
 * mailbox: CAPABILITY, NOOP, LOGOUT (RFC 9051 6.1), ID (RFC 2971), ENABLE
 * (RFC 5161, RFC 9051 6.3.1) and NAMESPACE (RFC 2342).
 *
 * Public: cmd_capability, cmd_noop, cmd_logout, cmd_id, cmd_enable,
 * cmd_namespace (session.h).
 * NOOP is the client's poll: its completion announces what changed in
 * the selected mailbox (session_view.c).  ENABLE switches on what this
 * server implements of IMAP4rev2, CONDSTORE and QRESYNC, and answers
 * "* ENABLED" with the ones newly on; unknown names are ignored as RFC
 * 5161 says.  One namespace: personal, "" with "/" as separator.
 * Security: arguments are untrusted; ID's values are not believed.
 */
#include <string.h>

#include "buf.h"
#include "imapd.h"
#include "session.h"

/* CAPABILITY: the post-login list. */
void
cmd_capability(struct imapd_session *s, const struct imap_cmd *cmd)
{
	if (cmd->count != 0) {
		imapd_bad(s, "CAPABILITY takes no arguments.");
		return;
	}
	imapd_reply(s, "* CAPABILITY %s", imapd_capability_hiding(s->hidden_caps));
	imapd_tagged(s, "OK Capability completed.");
}

/* NOOP: nothing but the announcements its completion carries. */
void
cmd_noop(struct imapd_session *s, const struct imap_cmd *cmd)
{
	(void)cmd;
	imapd_tagged(s, "OK NOOP completed.");
}

/* LOGOUT. */
void
cmd_logout(struct imapd_session *s, const struct imap_cmd *cmd)
{
	(void)cmd;
	imapd_reply(s, "* BYE Logging out");
	s->expunge_ok = 0;
	imapd_tagged(s, "OK Logout completed.");
	s->logout = 1;
}

/* ID: our name; the client's list is only checked for form. */
void
cmd_id(struct imapd_session *s, const struct imap_cmd *cmd)
{
	if (cmd->count != 1 || (cmd->args[0].type != IMAP_ARG_NIL &&
	    cmd->args[0].type != IMAP_ARG_LIST)) {
		imapd_bad(s, "Invalid ID parameters.");
		return;
	}
	imapd_reply(s, "* ID (\"name\" \"Petrel\")");
	imapd_tagged(s, "OK ID completed.");
}

static const struct {
	const char *name;
	unsigned bit;
} enable_names[] = {
	{ "IMAP4REV2", EN_IMAP4REV2 },
	{ "CONDSTORE", EN_CONDSTORE },
	{ "QRESYNC", EN_QRESYNC | EN_CONDSTORE },
};

/* ENABLE: switch extensions on; report the ones newly on. */
void
cmd_enable(struct imapd_session *s, const struct imap_cmd *cmd)
{
	struct buf *b = buf_new(64, 1024);

	if (cmd->count == 0) {
		imapd_bad(s, "ENABLE needs a capability.");
		buf_free(&b);
		return;
	}
	for (size_t i = 0; i < cmd->count; i++) {
		if (cmd->args[i].type != IMAP_ARG_ATOM)
			continue;
		for (size_t j = 0; j < sizeof(enable_names) /
		    sizeof(enable_names[0]); j++) {
			if (!imap_arg_atom_is(&cmd->args[i],
			    enable_names[j].name) ||
			    (s->hidden_caps != NULL && imapd_capability_listed(
			    s->hidden_caps, cmd->args[i].str, cmd->args[i].len)) ||
			    (s->enabled & enable_names[j].bit) ==
			    enable_names[j].bit)
				continue;
			s->enabled |= enable_names[j].bit;
			buf_putf(b, " %s", cmd->args[i].str);
		}
	}
	imapd_reply(s, "* ENABLED%s", buf_cstr(b));
	imapd_tagged(s, "OK Enabled.");
	buf_free(&b);
}

/* NAMESPACE: one personal namespace, "/" separated. */
void
cmd_namespace(struct imapd_session *s, const struct imap_cmd *cmd)
{
	(void)cmd;
	imapd_reply(s, "* NAMESPACE ((\"\" \"/\")) NIL NIL");
	imapd_tagged(s, "OK Namespace completed.");
}
