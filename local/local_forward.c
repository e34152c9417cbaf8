/*
 * local_forward.c - forward a copy of a message to addresses outside our
 * domains (alias targets) by injecting it anew through petrel-inject
 * (socket $inject_listen without "unix:"): same envelope sender, the given
 * recipients, and a "Delivered-To: <original recipient>" line on top so a
 * forwarding loop is caught when the copy comes back.
 *
 * Public: local_forward(qfd, env, sender, orig, addrs, n, &status).
 * status: 2.0.0 "forwarded as QID", or the injection service's error
 * (class from its reply code), or 4.3.0 on a local I/O failure.
 * Security: runs in the root worker; the injection service applies its own
 * limits to what it receives.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "inject.h"
#include "local.h"
#include "log.h"
#include "params.h"

/* Send the envelope, the Delivered-To line and the content; 0 or -1. */
static int
send_message(struct inject *ij, int qfd, const struct qfile_env *env,
    const char *sender, const char *orig, char **addrs, size_t n)
{
	struct qfile_content *it;
	struct buf *dt = buf_new(128, 4096);
	const char *p;
	size_t len;
	int r = 0, ok;

	ok = inject_begin(ij, sender) == 0;
	for (size_t i = 0; ok && i < n; i++)
		ok = inject_rcpt(ij, addrs[i]) == 0;
	ok = ok && buf_printf(dt, "Delivered-To: %s\n", orig) == 0 &&
	    inject_data(ij, dt->data, dt->len) == 0;
	buf_free(&dt);
	if (!ok)
		return -1;
	it = qfile_content_open(qfd, env);
	while (ok && (r = qfile_content_next(it, &p, &len)) == 1)
		ok = inject_data(ij, p, len) == 0;
	qfile_content_close(&it);
	return ok && r == 0 ? 0 : -1;
}

/* Turn an injection reply "<code> <enh> <text>" into a status. */
static void
reply_status(const char *reply, struct local_status *st)
{
	const char *sp = strchr(reply, ' ');
	const char *text = sp != NULL ? strchr(sp + 1, ' ') : NULL;
	int klass = reply[0] == '5' ? 5 : 4;
	char enh[16];

	if (sp != NULL && text != NULL && text - sp - 1 < 15 &&
	    sp[1] == reply[0]) {
		snprintf(enh, sizeof(enh), "%.*s", (int)(text - sp - 1), sp + 1);
		local_status_set(st, klass, enh, "forwarding failed: %s",
		    text + 1);
	} else {
		local_status_set(st, klass, klass == 5 ? "5.3.0" : "4.3.0",
		    "forwarding failed: %s", reply);
	}
}

/* Inject a copy for addrs (see the file header). */
void
local_forward(int qfd, const struct qfile_env *env, const char *sender,
    const char *orig, char **addrs, size_t n, struct local_status *st)
{
	const char *path = var_inject_listen, *err, *reply = NULL;
	char qid[QFILE_QID_MAX];
	struct inject *ij;

	if (strncmp(path, "unix:", 5) == 0)
		path += 5;
	local_regain_root();	/* the socket is the spool's */
	if ((ij = inject_connect(path, &err)) == NULL) {
		local_status_set(st, 4, "4.3.0", "cannot forward: %s", err);
		return;
	}
	if (send_message(ij, qfd, env, sender, orig, addrs, n) < 0) {
		local_status_set(st, 4, "4.3.0",
		    "cannot forward: injection I/O error");
	} else if (inject_end(ij, qid, &reply) < 0) {
		reply_status(reply != NULL ? reply : "451 4.3.0 unknown", st);
	} else {
		local_status_set(st, 2, "2.0.0", "forwarded as %s", qid);
	}
	inject_close(&ij);
}
