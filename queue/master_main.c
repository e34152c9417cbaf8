/*
 * master_main.c - petrel-master: the command line, the configuration, the
 * pid file "<queue_directory>/pid/master.pid" and detaching; the loop
 * itself is master_loop.c.
 *
 * Usage: petrel-master [-d] [-f petrel.conf] [-b bindir] daemon...
 *   daemon  names such as "smtpd": <bindir>/petrel-<name> runs as
 *           "petrel-<name> [-f conf] -d" (it never detaches, so the master
 *           sees it die); etc/petrel passes the configured ones.
 *   -d      stay in the foreground and log on stderr as well ("petrel run");
 *           without it the master detaches ("petrel start").
 *   -b      where the programs are (default: daemon_directory).
 * Signals: TERM/INT stop every daemon (SIGKILL after MASTER_STOP_WAIT
 * seconds or a second signal) and exit 0; HUP is passed to every daemon
 * (reload); USR1 starts at once every daemon that is down ("petrel start"
 * while the master runs) and forgets their back-off.
 * Exit: 0 after a stop; EX_TEMPFAIL (75) on a bad command line, a bad
 * configuration, a spool that cannot be set up, or a master already
 * running ("already running, pid N").
 * Security: started by root (etc/petrel, systemd) and stays root; see
 * master.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "master.h"
#include "params.h"
#include "sandbox.h"
#include "server.h"
#include "spool.h"

/* Print the usage line and exit. */
__attribute__((noreturn))
static void
master_usage(void)
{
	fprintf(stderr, "usage: petrel-master [-d] [-f petrel.conf] "
	    "[-b bindir] daemon...\n");
	exit(PETREL_EX_TEMPFAIL);
}

/* The spool tree (the pid directory above all), as every daemon makes it. */
static void
master_spool(void)
{
	const char *err = NULL;

	if (geteuid() != 0)
		log_warn("not running as root: the daemons run without "
		    "privilege separation (development mode)");
	if (spool_setup(&err) != 0)
		log_fatal("spool setup: %s", err != NULL ? err : "error");
}

/* Fill the table from the names on the command line. */
static void
master_names(struct master_table *t, const char *bindir, int argc,
    char **argv)
{
	const char *err = NULL;

	if (argc < 1)
		master_usage();
	for (int i = 0; i < argc; i++)
		if (master_table_add(t, bindir, argv[i], &err) != 0)
			log_fatal("%s: %s", argv[i], err);
}

/* The supervisor's entry point. */
int
main(int argc, char **argv)
{
	static struct master_table table;
	const char *conf = getenv("PETREL_CONF"), *bindir = NULL;
	int c, foreground = 0;

	log_init("master", 1);
	while ((c = getopt(argc, argv, "b:df:")) != -1) {
		switch (c) {
		case 'b': bindir = optarg; break;
		case 'd': foreground = 1; break;
		case 'f': conf = optarg; break;
		default: master_usage();
		}
	}
	log_init("master", foreground);
	server_load_config(conf);
	master_names(&table, bindir != NULL ? bindir : var_daemon_directory,
	    argc - optind, argv + optind);
	master_spool();
	server_pidfile_lock("master");
	if (!foreground)
		server_daemonize();
	server_pidfile_write();
	/* Workers of a daemon killed outright become ours, so that a stop
	 * can wait for them too. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
		log_warn("prctl(PR_SET_CHILD_SUBREAPER): %m");
	/* Nothing the master starts gains privileges through execve (the
	 * daemons set it too; sandbox.h). */
	if (sandbox_no_new_privs() < 0)
		log_fatal("prctl(PR_SET_NO_NEW_PRIVS): %m");
	c = master_run(&table, server_config_path(), foreground);
	server_pidfile_remove();
	return c;
}
