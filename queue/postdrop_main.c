/*
 * postdrop_main.c - petrel-postdrop: put one locally submitted message into
 * $queue_directory/maildrop/, so that sendmail works while the daemons are
 * down.  Run by petrel-sendmail, installed set-group-ID spool_group.
 *
 * Usage: petrel-postdrop [-C petrel.conf]      (input on standard input)
 * Input frame (every line ends in LF, at most PD_LINE_MAX bytes):
 *   S <sender>          first, exactly once; "S " alone is the null sender
 *   N <full name>       optional; printable ASCII, at most 256 bytes
 *   R <recipient>       zero or more (at most smtpd_recipient_limit in all)
 *   T                   optional: also take recipients from To:/Cc:/Bcc:
 *                       and remove Bcc: (sendmail -t)
 *   A <name>=<value>    optional DSN data: dsn_ret, dsn_envid, dsn_notify,
 *                       dsn_by, body_type (printable, at most 256 bytes)
 *   D                   end of the envelope; the message follows until EOF
 * Addresses without a domain get "@$myorigin".  The queue file carries the
 * attributes "uid=<real uid>" and "origin=sendmail".
 * Exit: 0 only after the queue file is committed (fsynced, named in
 * maildrop/); otherwise "petrel-postdrop: <reason>" on stderr and 75
 * (EX_TEMPFAIL: spool or configuration trouble), 65 (EX_DATAERR: bad
 * frame, address, or size) or 64 (usage).
 * Security: the effective gid is the caller's (sgid_init) for everything
 * except creating the file in maildrop/, naming it at commit and writing
 * the queue manager's FIFO; the privilege is then given up for good.  An
 * explicit configuration (-C, $PETREL_CONF) is honoured only when safe
 * (sgid.c).  The queue file is created O_TMPFILE in maildrop/ (mode 1730:
 * the spool group may create but not list) and named only at commit, so a
 * failed or killed postdrop leaves nothing behind.  "maildrop/." is passed
 * to qfile_create so that the writer finds no free/ next to it: recycled
 * files belong to the injection user and must not be taken by a caller.
 * Space: under queue_minfree (diskspace.h) nothing is written and the exit
 * is 75 with the reason; a write that fails (ENOSPC) exits 75 too and
 * leaves nothing, since the file has no name until commit.
 * Run by root without the set-group-ID bit, it takes spool_group as its
 * effective gid for the same result.
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "alloc.h"
#include "config.h"
#include "diskspace.h"
#include "params.h"
#include "postdrop.h"
#include "sgid.h"
#include "spool.h"
#include "trigger.h"

#define PD_NAME_MAX 256

/* Print the reason and exit with the given code. */
void
pd_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("petrel-postdrop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* Check an address and add @$myorigin when it has no domain. */
int
pd_qualify(const char *p, size_t len, int allow_null, char **addr_r,
    const char **errstr_r)
{
	char tmp[ADDR_MAX + 3];
	struct addr_path path;
	const char *domain;
	size_t lp;

	if (len > ADDR_MAX) {
		*errstr_r = "address too long";
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "<%.*s>", (int)len, p);
	if (addr_parse_path(tmp, len + 2, allow_null ? ADDR_ALLOW_NULL : 0,
	    &path, errstr_r) < 0)
		return -1;
	if (path.params_len > 0) {
		*errstr_r = "junk after address";
		return -1;
	}
	addr_split(path.addr, &lp, &domain);
	if (path.addr_len == 0 || domain != NULL) {
		*addr_r = xstrdup(path.addr);
		return 0;
	}
	if (path.addr_len + 1 + strlen(var_myorigin) > ADDR_MAX) {
		*errstr_r = "address too long";
		return -1;
	}
	*addr_r = xmalloc(path.addr_len + strlen(var_myorigin) + 2);
	snprintf(*addr_r, path.addr_len + strlen(var_myorigin) + 2, "%s@%s",
	    path.addr, var_myorigin);
	return 0;
}

/* Add one recipient, bounded by smtpd_recipient_limit. */
int
pd_add_rcpt(struct pd_env *env, const char *p, size_t len,
    const char **errstr_r)
{
	char *addr;

	if (env->nrcpts >= (size_t)var_smtpd_recipient_limit) {
		*errstr_r = "too many recipients";
		return -1;
	}
	if (pd_qualify(p, len, 0, &addr, errstr_r) < 0)
		return -1;
	env->rcpts = xreallocarray(env->rcpts, env->nrcpts + 1,
	    sizeof(*env->rcpts));
	env->rcpts[env->nrcpts++] = addr;
	return 0;
}

/* 1 if the text is printable ASCII and short enough for the frame. */
static int
pd_printable(const char *p, size_t len)
{
	if (len > PD_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)p[i] < ' ' || (unsigned char)p[i] > '~')
			return 0;
	return 1;
}

/* An "A name=value" line: only the DSN names we know. */
static void
pd_frame_attr(struct pd_env *env, const char *p, size_t len)
{
	static const char *const names[] = { "dsn_ret=", "dsn_envid=",
	    "dsn_notify=", "dsn_by=", "body_type=", NULL };
	int ok = 0;

	for (int i = 0; names[i] != NULL; i++)
		if (len > strlen(names[i]) &&
		    strncmp(p, names[i], strlen(names[i])) == 0)
			ok = 1;
	if (!ok || !pd_printable(p, len) || env->nattrs >= PD_ATTR_MAX)
		pd_fail(PD_EX_DATAERR, "bad attribute in the envelope");
	env->attrs = xreallocarray(env->attrs, env->nattrs + 1,
	    sizeof(*env->attrs));
	env->attrs[env->nattrs++] = xstrndup(p, len);
}

/* One frame line (without LF); 1 when "D" ended the envelope. */
static int
pd_frame_line(struct pd_env *env, const char *p, size_t len)
{
	const char *err;

	if (len == 1 && p[0] == 'D')
		return 1;
	if (len == 1 && p[0] == 'T') {
		env->extract = 1;
		return 0;
	}
	if (len < 2 || p[1] != ' ')
		pd_fail(PD_EX_DATAERR, "malformed envelope line");
	if (p[0] == 'S' && env->sender == NULL) {
		if (pd_qualify(p + 2, len - 2, 1, &env->sender, &err) < 0)
			pd_fail(PD_EX_DATAERR, "bad sender address: %s", err);
	} else if (p[0] == 'R' && env->sender != NULL) {
		if (pd_add_rcpt(env, p + 2, len - 2, &err) < 0)
			pd_fail(PD_EX_DATAERR, "bad recipient address: %s", err);
	} else if (p[0] == 'N' && env->fullname == NULL &&
	    pd_printable(p + 2, len - 2)) {
		env->fullname = xstrndup(p + 2, len - 2);
	} else if (p[0] == 'A') {
		pd_frame_attr(env, p + 2, len - 2);
	} else {
		pd_fail(PD_EX_DATAERR, "unexpected envelope line '%c'", p[0]);
	}
	return 0;
}

/* Read the envelope frame up to "D". */
static void
pd_read_frame(struct pd_in *in, struct pd_env *env)
{
	const char *line;
	size_t len;
	int r;

	while ((r = pd_in_line(in, &line, &len)) == 1) {
		if (line[len - 1] != '\n')
			break;
		if (pd_frame_line(env, line, len - 1))
			return;
	}
	pd_fail(PD_EX_DATAERR, r < 0 ? "envelope line too long" :
	    "incomplete envelope (no D line)");
}

/* Create the queue file in maildrop/ with the spool group; NULL: fatal. */
static struct qfile_writer *
pd_create(void)
{
	char dir[4096];
	struct qfile_writer *w;
	const char *err = "path too long";

	/* "maildrop/.": no free/ next to it, see the file header. */
	if (spool_path(dir, sizeof(dir), SPOOL_MAILDROP, ".") < 0)
		pd_fail(PD_EX_TEMPFAIL, "queue directory: %s", err);
	if (!diskspace_queue_ok(-1, &err))
		pd_fail(PD_EX_TEMPFAIL, "%s; try again later", err);
	if (sgid_raise() < 0)
		pd_fail(PD_EX_TEMPFAIL, "setegid: %s", strerror(errno));
	w = qfile_create(dir, &err);
	if (sgid_lower() < 0)
		pd_fail(PD_EX_TEMPFAIL, "setegid: %s", strerror(errno));
	if (w == NULL)
		pd_fail(PD_EX_TEMPFAIL, "cannot create queue file in %s: %s", dir,
		    err);
	return w;
}

/* Write the envelope records. */
static void
pd_write_envelope(struct qfile_writer *w, const struct pd_env *env)
{
	char uid[64];
	int bad = 0;

	snprintf(uid, sizeof(uid), "uid=%lu", (unsigned long)env->uid);
	bad |= qfile_put(w, QREC_SENDER, env->sender, strlen(env->sender));
	bad |= qfile_put(w, QREC_ATTR, uid, strlen(uid));
	bad |= qfile_put(w, QREC_ATTR, "origin=sendmail", 15);
	for (size_t i = 0; i < env->nattrs; i++)
		bad |= qfile_put(w, QREC_ATTR, env->attrs[i],
		    strlen(env->attrs[i]));
	for (size_t i = 0; i < env->nrcpts; i++)
		bad |= qfile_put_rcpt(w, env->rcpts[i]);
	if (bad)
		pd_fail(PD_EX_TEMPFAIL, "queue file write error: %s",
		    strerror(qfile_error(w)));
}

/* Commit with the spool group, wake the queue manager, drop for good. */
static void
pd_commit(struct qfile_writer *w)
{
	const char *err;
	int r;

	if (sgid_raise() < 0)
		pd_fail(PD_EX_TEMPFAIL, "setegid: %s", strerror(errno));
	r = qfile_commit(&w, var_sync_directories, &err);
	if (r == 0)
		trigger_qmgr("M");
	sgid_drop();
	if (r < 0)
		pd_fail(PD_EX_TEMPFAIL, "%s", err);
}

/* As root (not installed setgid, e.g. tests or an admin's own copy): take
 * the spool group as effective gid, so that the queue file, which gets the
 * effective gid, is readable by the queue manager like any other. */
static void
pd_root_group(void)
{
	struct group *gr;

	if (geteuid() != 0 || sgid_is_setgid())
		return;
	if ((gr = getgrnam(var_spool_group)) == NULL)
		pd_fail(PD_EX_TEMPFAIL, "unknown spool_group %s", var_spool_group);
	if (setegid(gr->gr_gid) < 0)
		pd_fail(PD_EX_TEMPFAIL, "setegid: %s", strerror(errno));
}

/* Free the envelope and the header buffers (the process exits clean). */
static void
pd_free(struct pd_env *env, struct pd_msg *m)
{
	for (size_t i = 0; i < env->nrcpts; i++)
		free(env->rcpts[i]);
	for (size_t i = 0; i < env->nattrs; i++)
		free(env->attrs[i]);
	free(env->rcpts);
	free(env->attrs);
	free(env->sender);
	free(env->fullname);
	buf_free(&m->headers);
	buf_free(&m->first);
}

/* Parse options, load the configuration, read, queue. */
int
main(int argc, char **argv)
{
	struct pd_env env = { 0 };
	struct pd_msg msg = { 0 };
	struct pd_in *in = xmalloc(sizeof(*in));
	struct qfile_writer *w;
	const char *conf = NULL, *err;
	int c;

	sgid_init();
	log_init("postdrop", 1);
	while ((c = getopt(argc, argv, "C:")) != -1) {
		if (c != 'C')
			pd_fail(PD_EX_USAGE, "usage: petrel-postdrop [-C petrel.conf]");
		conf = optarg;
	}
	if (optind != argc)
		pd_fail(PD_EX_USAGE, "usage: petrel-postdrop [-C petrel.conf]");
	if (sgid_config_load(conf, &err) < 0)
		pd_fail(PD_EX_TEMPFAIL, "configuration: %s", err);
	pd_root_group();
	env.uid = getuid();
	pd_in_init(in, 0);
	pd_read_frame(in, &env);
	pd_read_headers(in, &env, &msg);
	if (env.sender == NULL || env.nrcpts == 0)
		pd_fail(PD_EX_DATAERR, "no recipient addresses");
	w = pd_create();
	pd_write_envelope(w, &env);
	pd_write_message(w, in, &env, &msg);
	pd_commit(w);
	pd_free(&env, &msg);
	free(in);
	return 0;
}
