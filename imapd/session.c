/*
 * session.c - the life of one logged-in IMAP connection: the tagged OK of
 * the login, then commands read (lines and literals assembled by
 * imap_frame.h), parsed (imap_parse.h) and run from the table below until
 * LOGOUT, EOF, the autologout timer (imapd_timeout) or SIGTERM.
 *
 * Public: imapd_session_main (imapd.h); imapd_reply, imapd_write,
 * imapd_tagged, imapd_bad (session.h).
 * The table says in which states a command is valid and whether its
 * completion may announce expunges: never after FETCH, STORE, SEARCH,
 * COPY or MOVE by sequence number (RFC 9051 7.5.1), which would shift the
 * numbers the client just used; their UID forms may.
 * Bounds: a line of imapd_line_length_limit, a command of
 * imapd_append_limit + SESSION_CMD_MAX bytes (APPEND's literals; a
 * bigger literal is refused with [TOOBIG] before "+" is sent),
 * IMAPD_ERROR_LIMIT bad commands, imapd_timeout between commands.
 * Memory: the heap is trimmed (malloc_trim) whenever the session is about
 * to wait for the client, so an idle session holds what its folder's
 * state needs, not the peak of its last command.
 * Security: runs as the mailbox owner (common/login_spawn.c); in -S mode,
 * as whoever started it, after becoming the owner when that is root.
 */
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "conn.h"
#include "imap_frame.h"
#include "imap_parse.h"
#include "imapd.h"
#include "linger.h"
#include "log.h"
#include "login.h"
#include "maps.h"
#include "mstore.h"
#include "params.h"
#include "privs.h"
#include "resolve.h"
#include "session.h"

#define SESSION_CMD_MAX		(1024 * 1024)
#define SESSION_LITERALS_MAX	1000
#define SESSION_DISCARD_MAX	(64LL * 1024 * 1024)

#define F_NO_EXPUNGE	0x01	/* by sequence number: no EXPUNGE after */
#define F_UID_OK	0x02	/* a UID form exists (expunges allowed) */

static const struct session_cmd {
	const char *name;
	imapd_handler fn;
	unsigned states;
	unsigned flags;
} session_cmds[] = {
	{ "CAPABILITY", cmd_capability, ST_AUTH | ST_SELECTED, 0 },
	{ "NOOP", cmd_noop, ST_AUTH | ST_SELECTED, 0 },
	{ "LOGOUT", cmd_logout, ST_AUTH | ST_SELECTED, 0 },
	{ "ID", cmd_id, ST_AUTH | ST_SELECTED, 0 },
	{ "ENABLE", cmd_enable, ST_AUTH, 0 },
	{ "NAMESPACE", cmd_namespace, ST_AUTH | ST_SELECTED, 0 },
	{ "SELECT", cmd_select, ST_AUTH | ST_SELECTED, 0 },
	{ "EXAMINE", cmd_select, ST_AUTH | ST_SELECTED, 0 },
	{ "CREATE", cmd_create, ST_AUTH | ST_SELECTED, 0 },
	{ "DELETE", cmd_delete, ST_AUTH | ST_SELECTED, 0 },
	{ "RENAME", cmd_rename, ST_AUTH | ST_SELECTED, 0 },
	{ "SUBSCRIBE", cmd_subscribe, ST_AUTH | ST_SELECTED, 0 },
	{ "UNSUBSCRIBE", cmd_subscribe, ST_AUTH | ST_SELECTED, 0 },
	{ "LIST", cmd_list, ST_AUTH | ST_SELECTED, 0 },
	{ "LSUB", cmd_list, ST_AUTH | ST_SELECTED, 0 },
	{ "STATUS", cmd_status, ST_AUTH | ST_SELECTED, 0 },
	{ "CHECK", cmd_check, ST_SELECTED, 0 },
	{ "CLOSE", cmd_close, ST_SELECTED, 0 },
	{ "UNSELECT", cmd_unselect, ST_SELECTED, 0 },
	{ "APPEND", cmd_append, ST_AUTH | ST_SELECTED, 0 },
	{ "IDLE", cmd_idle, ST_AUTH | ST_SELECTED, 0 },
	{ "FETCH", cmd_fetch, ST_SELECTED, F_NO_EXPUNGE | F_UID_OK },
	{ "STORE", cmd_store, ST_SELECTED, F_NO_EXPUNGE | F_UID_OK },
	{ "COPY", cmd_copy, ST_SELECTED, F_NO_EXPUNGE | F_UID_OK },
	{ "MOVE", cmd_copy, ST_SELECTED, F_UID_OK },
	{ "EXPUNGE", cmd_expunge, ST_SELECTED, F_UID_OK },
	{ "SEARCH", cmd_search, ST_SELECTED, F_NO_EXPUNGE | F_UID_OK },
};

static volatile sig_atomic_t session_term, session_waiting;
static int session_out_fd = -1;

/* SIGTERM: between commands say BYE and leave at once; inside one,
 * finish it first (the main loop says BYE then). */
static void
session_on_term(int sig)
{
	static const char bye[] = "* BYE Server shutting down.\r\n";

	(void)sig;
	session_term = 1;
	if (session_waiting) {
		if (write(session_out_fd, bye, sizeof(bye) - 1) < 0)
			_exit(0);
		_exit(0);
	}
}

/* 1 once SIGTERM asked the session to end. */
int
imapd_terminating(void)
{
	return session_term != 0;
}

/* Queue one line (CRLF added). */
void
imapd_reply(struct imapd_session *s, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	(void)conn_vputline(s->conn, line, sizeof(line), fmt, ap);
	va_end(ap);
}

/* Queue raw bytes. */
void
imapd_write(struct imapd_session *s, const void *p, size_t n)
{
	conn_write(s->conn, p, n);
}

/* The current command's completion, after what changed meanwhile. */
void
imapd_tagged(struct imapd_session *s, const char *fmt, ...)
{
	char line[2048];
	size_t n;
	va_list ap;
	int m;

	if (s->state == ST_SELECTED && s->box != NULL)
		(void)imapd_announce(s, s->expunge_ok);
	m = snprintf(line, sizeof(line), "%s ", s->tag);
	n = m > 0 && (size_t)m < sizeof(line) / 2 ? (size_t)m : 0;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - n - 2, fmt, ap);
	va_end(ap);
	if (m > 0)
		n += (size_t)m < sizeof(line) - n - 3 ? (size_t)m :
		    sizeof(line) - n - 3;
	line[n++] = '\r';
	line[n++] = '\n';
	conn_write(s->conn, line, n);
}

/* A tagged BAD that counts against the error budget. */
void
imapd_bad(struct imapd_session *s, const char *text)
{
	s->bad_commands++;
	imapd_tagged(s, "BAD %s", text);
}

/* The tag at the front of a line, for errors before parsing ("*"). */
static void
session_line_tag(const char *p, size_t len, char *tag, size_t size)
{
	size_t n = 0;

	while (n < len && n + 1 < size && imap_atom_char((unsigned char)p[n]) &&
	    p[n] != '+')
		n++;
	if (n == 0 || n >= len || p[n] != ' ')
		n = 0;
	if (n == 0)
		tag[n++] = '*';
	else
		memcpy(tag, p, n);
	tag[n] = '\0';
}

/* Read and drop a refused non-synchronising literal; 0 or -1 (close). */
static int
session_discard(struct imapd_session *s, unsigned long long n)
{
	char tmp[16384];
	long got;

	if (n > SESSION_DISCARD_MAX)
		return -1;
	while (n > 0) {
		got = conn_read_raw(s->conn, tmp, n < sizeof(tmp) ? n :
		    sizeof(tmp));
		if (got <= 0)
			return -1;
		n -= (unsigned long long)got;
	}
	return 0;
}

/* A line the assembler refused. */
static int
session_refused(struct imapd_session *s, const char *line, size_t len,
    const struct imap_literal_mark *mark, const char *err)
{
	char tag[IMAP_TAG_MAX + 1];
	const char *first;
	size_t flen;

	first = imap_asm_data(s->asm, &flen);
	if (flen > 0)
		session_line_tag(first, flen, tag, sizeof(tag));
	else
		session_line_tag(line, len, tag, sizeof(tag));
	imap_asm_reset(s->asm);
	s->bad_commands++;
	if (mark->kind != IMAP_LIT_NONE &&
	    mark->size > (unsigned long long)var_imapd_append_limit)
		conn_printf(s->conn, "%s NO [TOOBIG] %s\r\n", tag,
		    err != NULL ? err : "Literal too big.");
	else
		conn_printf(s->conn, "%s BAD %s\r\n", tag,
		    err != NULL ? err : "Invalid command.");
	if (mark->kind == IMAP_LIT_NONSYNC)
		return session_discard(s, mark->size);
	return 0;
}

/* Take a literal's octets into the assembler. */
static int
session_literal(struct imapd_session *s, const struct imap_literal_mark *mark)
{
	char tmp[16384];
	long got;

	if (mark->kind == IMAP_LIT_SYNC) {
		conn_puts(s->conn, "+ OK\r\n");
		if (conn_flush(s->conn) != 0)
			return -1;
	}
	while (imap_asm_literal_left(s->asm) > 0) {
		uint64_t left = imap_asm_literal_left(s->asm);

		got = conn_read_raw(s->conn, tmp, left < sizeof(tmp) ? left :
		    sizeof(tmp));
		if (got <= 0)
			return -1;
		(void)imap_asm_literal(s->asm, tmp, (size_t)got);
	}
	return 0;
}

/* Assemble the next command; 1 ready, 0 the client is gone. */
static int
session_read(struct imapd_session *s)
{
	struct imap_literal_mark mark;
	const char *line, *err = NULL;
	enum line_ending end;
	enum conn_status st;
	size_t len;
	int r;

	for (;;) {
		if (s->bad_commands >= IMAPD_ERROR_LIMIT || session_term)
			return 0;
		if (conn_flush(s->conn) != 0)
			return 0;
		session_waiting = imap_asm_data(s->asm, &len) != NULL &&
		    len == 0 && conn_input_pending(s->conn) == 0;
		if (session_waiting && session_term)
			return 0;	/* the signal came just before */
		st = conn_read_line(s->conn, &line, &len, &end);
		session_waiting = 0;
		switch (st) {
		case CONN_EOF:
			return 0;
		case CONN_TOO_LONG:
			s->bad_commands++;
			imap_asm_reset(s->asm);
			conn_puts(s->conn, "* BAD [TOOBIG] Line too long.\r\n");
			continue;
		case CONN_LINE:
			break;
		}
		r = imap_asm_line(s->asm, line, len, &mark, &err);
		if (r < 0) {
			if (session_refused(s, line, len, &mark, err) != 0)
				return 0;
			continue;
		}
		if (r == IMAP_ASM_DONE)
			return 1;
		if (mark.size > (unsigned long long)var_imapd_append_limit) {
			if (session_refused(s, line, len, &mark,
			    "Literal too big.") != 0)
				return 0;
			continue;
		}
		if (session_literal(s, &mark) != 0)
			return 0;
	}
}

/* Find the table entry for a parsed command. */
static const struct session_cmd *
session_lookup(const struct imap_cmd *cmd)
{
	for (size_t i = 0; i < sizeof(session_cmds) / sizeof(session_cmds[0]);
	    i++) {
		const struct session_cmd *e = &session_cmds[i];

		if (strcmp(cmd->name, e->name) == 0 &&
		    (!cmd->uid || (e->flags & F_UID_OK)))
			return e;
	}
	return NULL;
}

/* Parse and run the assembled command. */
static void
session_dispatch(struct imapd_session *s)
{
	const struct session_cmd *e;
	struct imap_cmd cmd;
	const char *data, *err = NULL;
	size_t len;

	data = imap_asm_data(s->asm, &len);
	s->tag = "*";
	s->expunge_ok = 1;
	if (imap_parse_cmd(data, len, s->pool, &cmd, &err) != 0) {
		if (cmd.tag != NULL)
			s->tag = cmd.tag;
		imapd_bad(s, err != NULL ? err : "Error in IMAP command.");
		return;
	}
	s->tag = cmd.tag;
	if ((e = session_lookup(&cmd)) == NULL) {
		imapd_bad(s, "Unknown command.");
		return;
	}
	if (!(e->states & s->state)) {
		imapd_bad(s, s->state == ST_AUTH ? "No mailbox selected." :
		    "Command not valid in this state.");
		return;
	}
	s->expunge_ok = !(e->flags & F_NO_EXPUNGE) || cmd.uid;
	e->fn(s, &cmd);
}

/* A new session for a login that the spawner (or -S) accepted. */
static struct imapd_session *
session_new(int fd_in, int fd_out, const struct handoff *h,
    const char *user, char *root)
{
	struct imapd_session *s = xcalloc(1, sizeof(*s));
	struct imap_asm_limits lim = { 0, SESSION_LITERALS_MAX, 0 };

	lim.max_bytes = (size_t)var_imapd_append_limit + SESSION_CMD_MAX;
	lim.literal_minus = var_imapd_literal_minus;
	s->conn = conn_new(fd_in, fd_out, (size_t)var_imapd_line_length_limit,
	    (int)var_imapd_timeout);
	s->user = xstrdup(user);
	s->root = root;
	snprintf(s->rip, sizeof(s->rip), "%s", h->rip);
	snprintf(s->lip, sizeof(s->lip), "%s", h->lip);
	s->tls = h->tls;
	s->state = ST_AUTH;
	s->asm = imap_asm_new(&lim);
	s->pool = imap_pool_new(0);
	s->started = time(NULL);
	if (h->pipelined_len > 0)
		(void)conn_preload(s->conn, h->pipelined, h->pipelined_len);
	return s;
}

/* The user's hidden capabilities (imapd_capability_maps: the login name,
 * else "@domain"). */
static void
session_hidden_caps(struct imapd_session *s)
{
	struct maplist *ml;
	const char *err = NULL, *v = NULL, *at = strrchr(s->user, '@');
	int rc;

	if (*var_imapd_capability_maps == '\0')
		return;
	if ((ml = maplist_open(var_imapd_capability_maps, &err)) == NULL) {
		log_warn("imapd_capability_maps: %s", err ? err : "error");
		return;
	}
	rc = maplist_lookup(ml, s->user, &v, &err);
	if (rc == 0 && at != NULL)
		rc = maplist_lookup(ml, at, &v, &err);
	if (rc > 0)
		s->hidden_caps = xstrdup(v);
	else if (rc < 0)
		log_warn("imapd_capability_maps: %s", err ? err : "error");
	maplist_close(&ml);
}

/* Leave without the libraries' exit handlers (OpenSSL's cleanup and the
 * other destructors cost ~7% of a login's CPU in the spawner's tree, for
 * memory the process gives back anyway); sanitizer builds exit normally so
 * that the leak check still runs. */
__attribute__((noreturn))
static void
session_exit(void)
{
#if defined(__SANITIZE_ADDRESS__)
	exit(0);
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	exit(0);
#endif
#endif
	_exit(0);
}

/* The end: BYE where due, the log line, everything freed. */
__attribute__((noreturn))
static void
session_end(struct imapd_session *s)
{
	if (!s->logout && !s->conn->broken)
		conn_puts(s->conn, session_term ? "* BYE Server shutting down.\r\n" :
		    s->bad_commands >= IMAPD_ERROR_LIMIT ?
		    "* BYE Too many invalid IMAP commands.\r\n" :
		    s->conn->timed_out ?
		    "* BYE Disconnected for inactivity.\r\n" : "");
	if (!s->conn->broken && conn_flush(s->conn) != 0)
		s->conn->broken = 1;
	log_info("imap(%s): %s: fetched=%lu, stored=%lu, expunged=%lu, "
	    "appended=%lu, rip=%s", s->user, s->logout ? "Logged out" :
	    "Disconnected", s->fetched, s->stored, s->expunged, s->appended,
	    s->rip);
	imapd_unselect(s);
	conn_close_linger(s->conn, LINGER_DEFAULT_MS);
	conn_free(&s->conn);
	imap_asm_free(&s->asm);
	imap_pool_free(&s->pool);
	free(s->searchres);
	free(s->user);
	free(s->hidden_caps);
	free(s->root);
	free(s);
	session_exit();
}

/* Before waiting for the client: give the memory the last command freed
 * back to the system (a session mostly waits, often for hours, and a
 * SELECT's sync leaves a heap of freed scan buffers behind). */
static void
session_trim(const struct imapd_session *s)
{
	if (conn_input_pending(s->conn) == 0)
		(void)malloc_trim(0);
}

/* A session's life after login. */
void
imapd_session_main(int fd_in, int fd_out, const struct handoff *h,
    const char *user, const char *maildir)
{
	struct imapd_session *s;
	char *root = maildir != NULL ? xstrdup(maildir) : NULL;
	const char *err = NULL;

	session_out_fd = fd_out;
	signal(SIGTERM, session_on_term);
	signal(SIGINT, session_on_term);	/* Ctrl-C of "petrel run" */
	if (root == NULL && login_local_owner(user, &root, &err) <= 0) {
		log_warn("no mailbox for %s: %s", user, err ? err : "unknown");
		dprintf(fd_out, "%s NO [UNAVAILABLE] No mailbox.\r\n", h->tag);
		exit(0);
	}
	s = session_new(fd_in, fd_out, h, user, root);
	if (mstore_make_defaults(s->root, &err) != 0)
		log_warn("imap(%s): default folders: %s", s->user,
		    err != NULL ? err : "error");
	session_hidden_caps(s);
	conn_printf(s->conn, "%s OK [CAPABILITY %s] Logged in\r\n", h->tag,
	    imapd_capability_hiding(s->hidden_caps));
	while (!s->logout && conn_flush(s->conn) == 0 && session_read(s)) {
		session_dispatch(s);
		imap_asm_reset(s->asm);
		imap_pool_clear(s->pool);
		session_trim(s);
	}
	session_end(s);
}
