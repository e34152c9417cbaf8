/*
 * qtool_main.c - petrel-qtool: the queue tool (list, show, delete, hold,
 * release, requeue, flush, expire, check).  Installed set-group-ID
 * spool_group; "mailq" as its name (argv[0]) means -p.
 *
 * Usage: petrel-qtool [-C petrel.conf] command
 *   -p            list the queue (postqueue -p text format)
 *   -j            list as JSON lines (postqueue -j fields)
 *   -f            flush: every deferred message now
 *   -i qid        flush one message
 *   -s site       flush messages with a recipient in domain site
 *   -S qid        show a message: envelope, headers and body     (root)
 *   -d qid|ALL|-  delete ("-": queue IDs from standard input)     (root)
 *   -h qid|ALL|-  put on hold                                     (root)
 *   -H qid|ALL|-  release from hold                               (root)
 *   -r qid|ALL|-  requeue (back to incoming/, taken at once)      (root)
 *   -e qid|ALL|-  expire: return to the sender at the next attempt (root)
 *   -c            check and repair the spool                      (root)
 * Exit: 0 ok; 1 failure or "permission denied"; 64 usage; 75 the
 * configuration cannot be loaded.
 * Security: the spool group is held only while the queue is read or the
 * FIFO written (sgid.c); commands other than listing and flushing need
 * the real uid 0, as in Postfix (postqueue for everyone, postsuper for
 * root); a configuration named with -C or $PETREL_CONF is honoured for a
 * non-root caller only when root owns it (sgid_config_load).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "params.h"
#include "qtool.h"
#include "sgid.h"

struct qt_cmd {
	int letter;		/* the command option, 0 none yet */
	const char *arg;
	const char *conf;
};

/* Print usage; 64. */
static int
qt_usage(void)
{
	fprintf(stderr, "usage: petrel-qtool [-C conf] -p | -j | -f | -i qid "
	    "| -s site | -c\n"
	    "       petrel-qtool [-C conf] -S qid | -d|-h|-H|-r|-e qid|ALL|-\n");
	return QT_EX_USAGE;
}

/* Parse the command line; 0 or -1. */
static int
qt_parse(struct qt_cmd *c, int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "C:pjfi:s:S:d:h:H:r:e:c")) != -1) {
		if (ch == 'C') {
			c->conf = optarg;
			continue;
		}
		if (ch == '?' || c->letter != 0)
			return -1;
		c->letter = ch;
		c->arg = optarg;
	}
	return optind == argc ? 0 : -1;
}

/* Run a root-only command. */
static int
qt_root_cmd(const struct qt_cmd *c)
{
	switch (c->letter) {
	case 'S': return qt_show(c->arg);
	case 'd': return qt_admin(QT_DELETE, c->arg);
	case 'h': return qt_admin(QT_HOLD, c->arg);
	case 'H': return qt_admin(QT_RELEASE, c->arg);
	case 'r': return qt_admin(QT_REQUEUE, c->arg);
	case 'e': return qt_admin(QT_EXPIRE, c->arg);
	case 'c': return qt_check();
	default: return qt_usage();
	}
}

/* Run a command anyone may use, with the spool group. */
static int
qt_user_cmd(const struct qt_cmd *c)
{
	int rc;

	if (sgid_raise() < 0) {
		fprintf(stderr, "petrel-qtool: setegid failed\n");
		return QT_EX_FAIL;
	}
	switch (c->letter) {
	case 'p': rc = qt_list(0); break;
	case 'j': rc = qt_list(1); break;
	case 'f': rc = qt_flush(NULL, NULL); break;
	case 'i': rc = qt_flush(c->arg, NULL); break;
	default: rc = qt_flush(NULL, c->arg); break;
	}
	sgid_drop();
	return rc;
}

/* Parse, load the configuration, check the caller, run. */
int
main(int argc, char **argv)
{
	struct qt_cmd c = { 0, NULL, NULL };
	const char *base, *err;

	sgid_init();
	log_init("qtool", 1);
	base = argc > 0 ? strrchr(argv[0], '/') : NULL;
	base = base != NULL ? base + 1 : argc > 0 ? argv[0] : "";
	if (qt_parse(&c, argc, argv) < 0)
		return qt_usage();
	if (c.letter == 0 && strcmp(base, "mailq") == 0)
		c.letter = 'p';
	if (c.letter == 0)
		return qt_usage();
	if (sgid_config_load(c.conf, &err) < 0) {
		fprintf(stderr, "petrel-qtool: configuration: %s\n", err);
		return QT_EX_TEMPFAIL;
	}
	if (strchr("pjfis", c.letter) != NULL)
		return qt_user_cmd(&c);
	if (getuid() != 0) {
		fprintf(stderr, "petrel-qtool: permission denied\n");
		return QT_EX_FAIL;
	}
	sgid_drop();
	return qt_root_cmd(&c);
}
