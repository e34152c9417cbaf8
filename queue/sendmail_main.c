/*
 * sendmail_main.c - petrel-sendmail: the sendmail(8) command line that
 * scripts, cron and PHP's mail() call; also "mailq" and "newaliases" when
 * invoked under those names (argv[0]'s base name).
 *
 * Usage: sendmail [options] [--] [recipient ...]
 *   -t           recipients also from To:/Cc:/Bcc: (Bcc: removed)
 *   -i, -oi      a line with a single "." does not end the input
 *   -f addr, -r addr   envelope sender (default login@$myorigin)
 *   -F name      full name for the From: header a message lacks
 *   -C file      configuration file (else $PETREL_CONF, else the default)
 *   -bm          deliver (default); -bs SMTP on stdin/stdout; -bp list the
 *                queue (= mailq); -bi rebuild the aliases (= newaliases)
 *   -q           flush the queue; -qRsite one destination; -qIqid one message;
 *                -q<interval> is accepted and flushes once
 *   -N notify, -R ret, -V envid, -B type   DSN/body data, recorded
 *   -G, -U, -v, -n, -m, -h N, -L label, -O opt, -X file, -o<x>   accepted, ignored
 *   --           end of options
 * Option arguments may be attached ("-fuser") or separate ("-f user").
 * Exit: postdrop's status (0 only when the message is on disk); 64 usage;
 * 75 when the configuration or the helper programs are missing.
 * Security: runs with the caller's privileges; the setgid helpers
 * (petrel-postdrop, petrel-qtool) check everything again.
 */
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "params.h"
#include "sendmail.h"

enum sm_mode { SM_DELIVER, SM_SMTP, SM_LIST, SM_ALIASES, SM_FLUSH };

struct sm_cmd {
	struct sm_opts o;
	enum sm_mode mode;
	const char *flush_site;
	const char *flush_id;
};

/* Print usage and return 64. */
static int
sm_usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "sendmail: %s\n", why);
	fprintf(stderr, "usage: sendmail [-t] [-i] [-f sender] [-F name] "
	    "[-C conf] [-N notify] [-R ret] [-V envid] [-B type] [--] "
	    "recipient ...\n"
	    "       sendmail -bs | -bp | -bi | -q | -qRsite | -qIqueueid\n");
	return SM_EX_USAGE;
}

/* -b<mode>. */
static int
sm_opt_b(struct sm_cmd *c, const char *arg)
{
	if (strcmp(arg, "m") == 0)
		c->mode = SM_DELIVER;
	else if (strcmp(arg, "s") == 0)
		c->mode = SM_SMTP;
	else if (strcmp(arg, "p") == 0)
		c->mode = SM_LIST;
	else if (strcmp(arg, "i") == 0)
		c->mode = SM_ALIASES;
	else
		return -1;
	return 0;
}

/* -q[interval] | -qRsite | -qIqueueid. */
static void
sm_opt_q(struct sm_cmd *c, const char *arg)
{
	c->mode = SM_FLUSH;
	if (arg[0] == 'R' && arg[1] != '\0')
		c->flush_site = arg + 1;
	else if (arg[0] == 'I' && arg[1] != '\0')
		c->flush_id = arg + 1;
}

/* An option that takes an argument: store it; -1 for an unknown letter. */
static int
sm_opt_arg(struct sm_cmd *c, int letter, const char *arg)
{
	struct sm_opts *o = &c->o;

	switch (letter) {
	case 'f': case 'r': o->sender = arg; break;
	case 'F': o->fullname = arg; break;
	case 'C': o->conf = arg; break;
	case 'N': o->dsn_notify = arg; break;
	case 'R': o->dsn_ret = arg; break;
	case 'V': o->dsn_envid = arg; break;
	case 'B': o->body_type = arg; break;
	case 'h': case 'L': case 'O': case 'X': break;
	default: return -1;
	}
	return 0;
}

/* A flag option without argument; -1 for an unknown letter. */
static int
sm_opt_flag(struct sm_cmd *c, int letter)
{
	switch (letter) {
	case 't': c->o.extract = 1; break;
	case 'i': c->o.dot_ends = 0; break;
	case 'v': c->o.verbose++; break;
	case 'G': case 'U': case 'n': case 'm': break;
	default: return -1;
	}
	return 0;
}

/* One "-x..." word; *i advances past a separate argument. */
static int
sm_option(struct sm_cmd *c, int argc, char **argv, int *i)
{
	const char *w = argv[*i] + 1;

	if (w[0] == 'b')
		return sm_opt_b(c, w + 1);
	if (w[0] == 'q') {
		sm_opt_q(c, w + 1);
		return 0;
	}
	if (w[0] == 'o') {		/* -oi counts; other -oX are ignored */
		if (strcmp(w, "oi") == 0)
			c->o.dot_ends = 0;
		return 0;
	}
	if (strchr("frFCNRVBhLOX", w[0]) != NULL) {
		const char *arg = w + 1;

		if (*arg == '\0') {
			if (*i + 1 >= argc)
				return -1;
			arg = argv[++*i];
		}
		return sm_opt_arg(c, w[0], arg);
	}
	for (; *w != '\0'; w++)		/* bundled flags: -ti */
		if (sm_opt_flag(c, *w) < 0)
			return -1;
	return 0;
}

/* Parse the whole command line; index of the first recipient or -1. */
static int
sm_parse(struct sm_cmd *c, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i + 1;
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			return i;
		if (sm_option(c, argc, argv, &i) < 0) {
			fprintf(stderr, "sendmail: bad option %s\n", argv[i]);
			return -1;
		}
	}
	return i;
}

/* Our login name (or the numeric uid) for the default sender, and the
 * full name from the GECOS field when none was given (static storage:
 * nothing to free; postdrop takes at most 256 bytes of a name). */
static const char *
sm_login(const char **fullname_r)
{
	static char num[32], name[257], gecos[257];
	struct passwd *pw = getpwuid(getuid());

	snprintf(num, sizeof(num), "%lu", (unsigned long)getuid());
	if (pw == NULL || strlen(pw->pw_name) >= sizeof(name))
		return num;
	if (*fullname_r == NULL && pw->pw_gecos != NULL &&
	    pw->pw_gecos[0] != '\0' && pw->pw_gecos[0] != ',') {
		snprintf(gecos, sizeof(gecos), "%.*s",
		    (int)strcspn(pw->pw_gecos, ","), pw->pw_gecos);
		*fullname_r = gecos;
	}
	snprintf(name, sizeof(name), "%s", pw->pw_name);
	return name;
}

/* Hand one message from standard input to postdrop. */
static int
sm_deliver(struct sm_opts *o)
{
	struct sm_drop d;
	const char *attrs[][2] = { { "dsn_ret=", o->dsn_ret },
	    { "dsn_notify=", o->dsn_notify }, { "dsn_envid=", o->dsn_envid },
	    { "body_type=", o->body_type } };
	char a[512];
	int rc;

	if (o->nrcpts == 0 && !o->extract)
		return sm_usage("recipient addresses must be given on the "
		    "command line or with -t");
	if (o->sender == NULL)
		o->sender = sm_login(&o->fullname);
	if (sm_drop_start(&d, o) < 0)
		return SM_EX_TEMPFAIL;
	sm_drop_line(&d, 'S', o->sender);
	if (o->fullname != NULL)
		sm_drop_line(&d, 'N', o->fullname);
	for (int i = 0; i < o->nrcpts; i++)
		sm_drop_line(&d, 'R', o->rcpts[i]);
	for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (attrs[i][1] == NULL)
			continue;
		snprintf(a, sizeof(a), "%s%s", attrs[i][0], attrs[i][1]);
		sm_drop_line(&d, 'A', a);
	}
	if (o->extract)
		sm_drop_line(&d, 'T', NULL);
	sm_drop_line(&d, 'D', NULL);
	if (sm_copy_stdin(&d, o->dot_ends) < 0)
		fprintf(stderr, "sendmail: read error on standard input\n");
	rc = sm_drop_finish(&d);
	if (rc != 0)
		fprintf(stderr, "sendmail: message not queued (status %d)\n", rc);
	return rc;
}

/* Run petrel-qtool (list or flush) or petrel-map -a. */
static int
sm_helper(const struct sm_cmd *c)
{
	char *args[8];
	int n = 0;
	int map = c->mode == SM_ALIASES;

	args[n++] = map ? "petrel-map" : "petrel-qtool";
	if (c->o.conf != NULL) {
		args[n++] = map ? "-f" : "-C";
		args[n++] = (char *)c->o.conf;
	}
	if (map)
		args[n++] = "-a";
	else if (c->mode == SM_LIST)
		args[n++] = "-p";
	else if (c->flush_site != NULL) {
		args[n++] = "-s";
		args[n++] = (char *)c->flush_site;
	} else if (c->flush_id != NULL) {
		args[n++] = "-i";
		args[n++] = (char *)c->flush_id;
	} else
		args[n++] = "-f";
	args[n] = NULL;
	return sm_exec_prog(args[0], args);
}

/* The mode implied by the program name. */
static void
sm_progname(struct sm_cmd *c, const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base != NULL ? base + 1 : argv0;
	if (strcmp(base, "mailq") == 0)
		c->mode = SM_LIST;
	else if (strcmp(base, "newaliases") == 0)
		c->mode = SM_ALIASES;
}

/* Parse the command line, load the configuration, dispatch. */
int
main(int argc, char **argv)
{
	struct sm_cmd c;
	const char *err, *env;
	int first;

	memset(&c, 0, sizeof(c));
	c.o.dot_ends = 1;
	signal(SIGPIPE, SIG_IGN);
	log_init("sendmail", 1);
	sm_progname(&c, argc > 0 ? argv[0] : "sendmail");
	if ((first = sm_parse(&c, argc, argv)) < 0)
		return sm_usage(NULL);
	if (c.o.conf == NULL && (env = getenv("PETREL_CONF")) != NULL &&
	    *env != '\0')
		c.o.conf = env;
	if (config_load(c.o.conf, &err) < 0) {
		fprintf(stderr, "sendmail: configuration: %s\n", err);
		return SM_EX_TEMPFAIL;
	}
	c.o.rcpts = argv + first;
	c.o.nrcpts = argc - first;
	switch (c.mode) {
	case SM_DELIVER:
		return sm_deliver(&c.o);
	case SM_SMTP:
		return sm_smtp_session(&c.o);
	default:
		return sm_helper(&c);
	}
}
