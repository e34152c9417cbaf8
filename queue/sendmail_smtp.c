/*
 * sendmail_smtp.c - "sendmail -bs": an SMTP conversation on standard input
 * and output (as cron daemons, some MUAs and Postfix's own sendmail -bs
 * use it); each accepted message goes through petrel-postdrop.
 *
 * Public: sm_smtp_session(o) - runs until QUIT, end of input, the timeout
 * (smtpd_timeout per command) or too many errors; returns 0, or 75 when the
 * input broke off inside a transaction.
 * Commands: HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP, VRFY (252), HELP,
 * QUIT, through a table.  Lines longer than smtpd_line_length_limit are
 * refused (500), in DATA the message is refused at its end.  A lone "."
 * line ends DATA whether it ends in CRLF or LF (a local client, not the
 * network: no smuggling concern); leading dots are removed.  MAIL is
 * answered "452 4.3.1" while the spool is under queue_minfree.
 * Security: the caller is the local user, with the same rights as on the
 * command line; addresses are checked here and again by postdrop.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <strings.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "alloc.h"
#include "diskspace.h"
#include "linereader.h"
#include "params.h"
#include "sendmail.h"
#include "smtp_parse.h"

#define SM_ERROR_LIMIT 20
#define SM_RCPT_TEXT (ADDR_MAX + 1)

struct sm_smtp {
	const struct sm_opts *o;
	struct linereader *lr;
	char sender[ADDR_MAX + 1];
	int has_sender;
	char (*rcpts)[SM_RCPT_TEXT];
	size_t nrcpts;
	int errors;
	int quit;
	int eof;
};

/* Write one reply line and flush. */
static void
sm_reply(const char *text)
{
	fputs(text, stdout);
	fputs("\r\n", stdout);
	fflush(stdout);
}

/* Next input line; 1 line, 0 EOF/timeout, -1 line too long. */
static int
sm_getline(struct sm_smtp *s, const char **line_r, size_t *len_r)
{
	enum line_ending end;
	struct pollfd pfd = { 0, POLLIN, 0 };
	char *space;
	size_t n;
	ssize_t r;

	for (;;) {
		switch (linereader_get(s->lr, line_r, len_r, &end)) {
		case LINE_OK:
			return 1;
		case LINE_TOO_LONG:
			return -1;
		case LINE_NEED_MORE:
			break;
		}
		if (s->eof || poll(&pfd, 1, (int)var_smtpd_timeout * 1000) <= 0)
			return 0;
		space = linereader_space(s->lr, &n);
		r = read(0, space, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 0;
		linereader_commit(s->lr, (size_t)r);
	}
}

/* Forget the transaction. */
static void
sm_reset(struct sm_smtp *s)
{
	s->has_sender = 0;
	s->nrcpts = 0;
}

/* HELO/EHLO. */
static void
sm_cmd_helo(struct sm_smtp *s, const char *arg, size_t len, int ehlo)
{
	(void)arg;
	(void)len;
	sm_reset(s);
	if (ehlo)
		printf("250-%s\r\n250-PIPELINING\r\n250-SIZE %ld\r\n",
		    var_myhostname, var_message_size_limit);
	sm_reply(ehlo ? "250 8BITMIME" : "250 Ok");
}

/* MAIL FROM:<addr>. */
static void
sm_cmd_mail(struct sm_smtp *s, const char *arg, size_t len)
{
	struct addr_path path;
	const char *rest, *err;
	size_t rlen;

	if (s->has_sender) {
		sm_reply("503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (!smtp_parse_keyword(arg, len, "FROM:", &rest, &rlen) ||
	    addr_parse_path(rest, rlen, ADDR_ALLOW_NULL | ADDR_ALLOW_BARE,
	    &path, &err) < 0) {
		sm_reply("501 5.1.7 Bad sender address syntax");
		s->errors++;
		return;
	}
	if (!diskspace_queue_ok(-1, &err)) {
		/* as petrel-smtpd: refused before any data (queue_minfree) */
		sm_reply("452 4.3.1 Insufficient system storage");
		return;
	}
	memcpy(s->sender, path.addr, path.addr_len + 1);
	s->has_sender = 1;
	sm_reply("250 2.1.0 Ok");
}

/* RCPT TO:<addr>. */
static void
sm_cmd_rcpt(struct sm_smtp *s, const char *arg, size_t len)
{
	struct addr_path path;
	const char *rest, *err;
	size_t rlen;

	if (!s->has_sender) {
		sm_reply("503 5.5.1 Error: need MAIL command");
		return;
	}
	if (!smtp_parse_keyword(arg, len, "TO:", &rest, &rlen) ||
	    addr_parse_path(rest, rlen, ADDR_ALLOW_BARE, &path, &err) < 0) {
		sm_reply("501 5.1.3 Bad recipient address syntax");
		s->errors++;
		return;
	}
	if (s->nrcpts >= (size_t)var_smtpd_recipient_limit) {
		sm_reply("452 4.5.3 Error: too many recipients");
		return;
	}
	s->rcpts = xreallocarray(s->rcpts, s->nrcpts + 1, sizeof(*s->rcpts));
	memcpy(s->rcpts[s->nrcpts++], path.addr, path.addr_len + 1);
	sm_reply("250 2.1.5 Ok");
}

/* Read the DATA lines into postdrop; 1 when the "." line came. */
static int
sm_data_lines(struct sm_smtp *s, struct sm_drop *d, int *too_long)
{
	const char *line;
	size_t len;
	int r;

	while ((r = sm_getline(s, &line, &len)) != 0) {
		if (r < 0) {
			*too_long = 1;
			continue;
		}
		if (len == 1 && line[0] == '.')
			return 1;
		if (len > 0 && line[0] == '.') {
			line++;
			len--;
		}
		sm_drop_write(d, line, len);
		sm_drop_write(d, "\n", 1);
	}
	return 0;
}

/* DATA: start postdrop, stream, reply with its verdict. */
static void
sm_cmd_data(struct sm_smtp *s, const char *arg, size_t len)
{
	struct sm_drop d;
	int too_long = 0, done, rc;

	(void)arg;
	(void)len;
	if (!s->has_sender || s->nrcpts == 0) {
		sm_reply("503 5.5.1 Error: need RCPT command");
		return;
	}
	if (sm_drop_start(&d, s->o) < 0) {
		sm_reply("451 4.3.0 Error: cannot start petrel-postdrop");
		return;
	}
	sm_drop_line(&d, 'S', s->sender);
	for (size_t i = 0; i < s->nrcpts; i++)
		sm_drop_line(&d, 'R', s->rcpts[i]);
	sm_drop_line(&d, 'D', NULL);
	sm_reply("354 End data with <CR><LF>.<CR><LF>");
	done = sm_data_lines(s, &d, &too_long);
	if (!done || too_long)
		d.broken = 1;
	if (!done)
		kill(d.pid, SIGTERM);
	rc = sm_drop_finish(&d);
	sm_reset(s);
	if (!done)
		s->quit = 1;
	else if (too_long)
		sm_reply("500 5.5.0 Error: line too long");
	else if (rc == 0)
		sm_reply("250 2.0.0 Ok: queued");
	else if (rc == SM_EX_DATAERR)
		sm_reply("554 5.6.0 Error: message refused by petrel-postdrop");
	else
		sm_reply("451 4.3.0 Error: queue file write error");
}

/* Commands without a transaction effect. */
static void
sm_cmd_simple(struct sm_smtp *s, const char *verb)
{
	if (strcasecmp(verb, "RSET") == 0) {
		sm_reset(s);
		sm_reply("250 2.0.0 Ok");
	} else if (strcasecmp(verb, "NOOP") == 0) {
		sm_reply("250 2.0.0 Ok");
	} else if (strcasecmp(verb, "VRFY") == 0) {
		sm_reply("252 2.0.0 Send some mail, I'll try my best");
	} else if (strcasecmp(verb, "HELP") == 0) {
		sm_reply("214 2.0.0 See RFC 5321");
	} else {
		sm_reply("221 2.0.0 Bye");
		s->quit = 1;
	}
}

/* Dispatch one command line. */
static void
sm_command(struct sm_smtp *s, const char *line, size_t len)
{
	static const char *const simple[] = { "RSET", "NOOP", "VRFY", "HELP",
	    "QUIT", NULL };
	struct smtp_command cmd;
	char verb[SMTP_VERB_MAX];

	if (smtp_parse_command(line, len, &cmd) < 0 ||
	    cmd.verb_len >= sizeof(verb)) {
		sm_reply("500 5.5.2 Error: bad syntax");
		s->errors++;
		return;
	}
	memcpy(verb, cmd.verb, cmd.verb_len);
	verb[cmd.verb_len] = '\0';
	if (strcasecmp(verb, "HELO") == 0 || strcasecmp(verb, "EHLO") == 0)
		sm_cmd_helo(s, cmd.arg, cmd.arg_len, verb[0] == 'E' ||
		    verb[0] == 'e');
	else if (strcasecmp(verb, "MAIL") == 0)
		sm_cmd_mail(s, cmd.arg, cmd.arg_len);
	else if (strcasecmp(verb, "RCPT") == 0)
		sm_cmd_rcpt(s, cmd.arg, cmd.arg_len);
	else if (strcasecmp(verb, "DATA") == 0)
		sm_cmd_data(s, cmd.arg, cmd.arg_len);
	else {
		for (int i = 0; simple[i] != NULL; i++)
			if (strcasecmp(verb, simple[i]) == 0) {
				sm_cmd_simple(s, verb);
				return;
			}
		sm_reply("502 5.5.2 Error: command not recognized");
		s->errors++;
	}
}

/* The whole session. */
int
sm_smtp_session(const struct sm_opts *o)
{
	struct sm_smtp s;
	const char *line;
	size_t len;
	int r;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.lr = linereader_new((size_t)var_smtpd_line_length_limit);
	printf("220 %s ESMTP Petrel (sendmail -bs)\r\n", var_myhostname);
	fflush(stdout);
	while (!s.quit && s.errors < SM_ERROR_LIMIT &&
	    (r = sm_getline(&s, &line, &len)) != 0) {
		if (r < 0) {
			sm_reply("500 5.5.0 Error: line too long");
			s.errors++;
			continue;
		}
		sm_command(&s, line, len);
	}
	if (s.errors >= SM_ERROR_LIMIT)
		sm_reply("421 4.7.0 Error: too many errors");
	linereader_free(&s.lr);
	free(s.rcpts);
	return 0;
}
