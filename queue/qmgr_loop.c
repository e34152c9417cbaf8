/*
 * qmgr_loop.c - the queue manager's one poll() loop: FIFO wakeups, fallback
 * scans of
 * incoming/ every QMGR_INCOMING_SCAN seconds and of deferred/ every
 * queue_run_delay, and the delivery agent connections.
 *
 * Public: qmgr_loop() (returns when server_stopping()), qmgr_resolver,
 * qmgr_active_count, qmgr_wakeup(qid) (a queue ID into our own FIFO: used
 * for notices we write, so they are taken in the next round, not
 * recursively).
 * FIFO lines (public/qmgr, writable by the spool group):
 *   <QID>          take incoming/QID (the injection service, notices)
 *   (empty line)   scan incoming/ and maildrop/
 *   M              scan maildrop/ (petrel-postdrop)
 *   F              flush: every deferred message now, dead sites revived
 *   F <QID>        flush one deferred message
 *   D <domain>     flush deferred messages with a recipient in domain (ETRN)
 * Nothing in the loop blocks except short file operations; the FIFO is
 * opened O_RDWR|O_NONBLOCK so it never reports EOF when writers go away.
 * Fatal: the resolver (maps) or the FIFO cannot be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "linereader.h"
#include "log.h"
#include "params.h"
#include "qmgr.h"
#include "resolve.h"
#include "server.h"

struct resolver *qmgr_resolver;
size_t qmgr_active_count;

static int fifo_fd = -1;
static struct linereader *fifo_lr;
static int scan_incoming_now;

/* Open (creating it if missing) the wakeup FIFO. */
static void
fifo_open(void)
{
	struct group *gr;

	fifo_fd = open(var_qmgr_fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fifo_fd < 0 && errno == ENOENT) {
		if (mkfifo(var_qmgr_fifo, 0620) < 0 && errno != EEXIST)
			log_fatal("mkfifo %s: %m", var_qmgr_fifo);
		fifo_fd = open(var_qmgr_fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		gr = getgrnam(var_spool_group);
		if (fifo_fd >= 0 && gr != NULL &&
		    fchown(fifo_fd, (uid_t)-1, gr->gr_gid) < 0)
			log_warn("chgrp %s: %m", var_qmgr_fifo);
		if (fifo_fd >= 0)
			(void)fchmod(fifo_fd, 0620);
	}
	if (fifo_fd < 0)
		log_fatal("open %s: %m", var_qmgr_fifo);
	fifo_lr = linereader_new(300);
}

/* Ask ourselves to take incoming/QID in the next round. */
void
qmgr_wakeup(const char *qid)
{
	char line[QFILE_QID_MAX + 1];
	int n = snprintf(line, sizeof(line), "%s\n", qid);

	if (fifo_fd < 0 || n <= 0 || (size_t)n >= sizeof(line) ||
	    write(fifo_fd, line, (size_t)n) != n)
		scan_incoming_now = 1;
}

/* A one-letter FIFO command (see the header). */
static void
fifo_command(const char *line, size_t len)
{
	char arg[256];

	if (len > 2 && len - 2 < sizeof(arg)) {
		memcpy(arg, line + 2, len - 2);
		arg[len - 2] = '\0';
	} else {
		arg[0] = '\0';
	}
	if (strpbrk(arg, "/ \t") != NULL)
		return;
	if (line[0] == 'M' && len == 1)
		qmgr_scan_maildrop();
	else if (line[0] == 'F' && len == 1)
		qmgr_flush(NULL, NULL);
	else if (line[0] == 'F' && arg[0])
		qmgr_flush(arg, NULL);
	else if (line[0] == 'D' && arg[0])
		qmgr_flush(NULL, arg);
}

/* Act on every complete line waiting in the FIFO. */
static void
fifo_lines(void)
{
	const char *line;
	size_t len;
	enum line_ending end;
	enum line_status st;
	char qid[QFILE_QID_MAX];

	while ((st = linereader_get(fifo_lr, &line, &len, &end)) !=
	    LINE_NEED_MORE) {
		if (st == LINE_TOO_LONG)
			continue;
		if (len == 0) {
			scan_incoming_now = 1;
			continue;
		}
		if (len == 1 || line[1] == ' ') {
			fifo_command(line, len);
			continue;
		}
		if (len >= sizeof(qid))
			continue;
		memcpy(qid, line, len);
		qid[len] = '\0';
		if (qfile_valid_qid(qid))
			qmgr_take_incoming(qid);
	}
}

/* Drain the FIFO. */
static void
fifo_read(void)
{
	char *space;
	size_t room;
	ssize_t n;

	for (;;) {
		space = linereader_space(fifo_lr, &room);
		n = read(fifo_fd, space, room);
		if (n <= 0)
			break;
		linereader_commit(fifo_lr, (size_t)n);
		fifo_lines();
	}
}

/* Run the scans that are due. */
static void
run_timers(time_t now, time_t *next_in, time_t *next_def, time_t *last_gc)
{
	if (scan_incoming_now || now >= *next_in) {
		scan_incoming_now = 0;
		qmgr_scan_incoming();
		*next_in = now + QMGR_INCOMING_SCAN;
	}
	if (now >= *next_def) {
		qmgr_scan_deferred();
		*next_def = now + var_queue_run_delay;
	} else if (qmgr_scan_early_due(now))
		qmgr_scan_deferred();	/* mail deferred for lack of space */
	qmgr_agent_timeouts(now);
	if (now != *last_gc) {
		*last_gc = now;
		qmgr_dest_gc();
	}
}

/* One poll round over the FIFO and the agent connections. */
static void
poll_once(struct pollfd *pfd, size_t max)
{
	size_t n;

	pfd[0].fd = fifo_fd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	n = qmgr_agent_pollfds(pfd + 1, max - 1);
	if (poll(pfd, (nfds_t)(n + 1), 1000) <= 0)
		return;
	if (pfd[0].revents & POLLIN)
		fifo_read();
	qmgr_agent_events(pfd + 1, n);
}

/* The queue manager's main loop. */
void
qmgr_loop(void)
{
	const char *err;
	size_t max;
	struct pollfd *pfd;
	time_t now = time(NULL), next_in = now + QMGR_INCOMING_SCAN;
	time_t next_def = now + var_queue_run_delay, last_gc = now;

	if ((qmgr_resolver = resolver_new(&err)) == NULL)
		log_fatal("cannot open address maps: %s", err);
	if (qmgr_route_init(&err) < 0)
		log_fatal("cannot open transport_maps: %s", err);
	fifo_open();
	qmgr_dest_init();
	max = qmgr_agent_maxfds() + 1;
	pfd = xcalloc(max, sizeof(*pfd));
	qmgr_recover();
	qmgr_dispatch();
	while (!server_stopping()) {
		poll_once(pfd, max);
		if (server_stopping())
			break;	/* e.g. our parent died: touch nothing more */
		run_timers(time(NULL), &next_in, &next_def, &last_gc);
		qmgr_dispatch();
	}
	qmgr_agent_shutdown();
	qmgr_dest_shutdown();
	qmgr_msg_abandon_all();
	qmgr_route_free();
	free(pfd);
	linereader_free(&fifo_lr);
	close(fifo_fd);
	resolver_free(&qmgr_resolver);
}
