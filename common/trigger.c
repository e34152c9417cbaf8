/*
 * trigger.c - wake the queue manager by writing "<qid>\n" to its FIFO.
 *
 * Public:
 *   trigger_qmgr(qid)  qid NULL or "": a bare "\n" (scan request).  Never
 *                      blocks and never fails visibly: no reader (ENXIO) or
 *                      a full FIFO (EAGAIN) is fine, because the queue
 *                      manager also scans periodically.
 * The descriptor stays open across calls (one open per process, not per
 * message); if the reader went away (EPIPE; SIGPIPE is ignored by the
 * skeleton) it is reopened once.
 * Security: the FIFO is qmgr_user:spool_group 0620; injection runs with
 * group spool_group.  The qid is ours, not client data.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "params.h"
#include "trigger.h"

static int trigger_fd = -1;

/* Open the FIFO without blocking; -1 when nobody reads it. */
static int
trigger_open(void)
{
	if (trigger_fd >= 0)
		return 0;
	if (var_qmgr_fifo == NULL || *var_qmgr_fifo == '\0')
		return -1;
	trigger_fd = open(var_qmgr_fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (trigger_fd < 0 && errno != ENXIO && errno != ENOENT)
		log_warn("open %s: %m", var_qmgr_fifo);
	return trigger_fd >= 0 ? 0 : -1;
}

/* Write the wake-up line; reopen once if the reader was replaced. */
void
trigger_qmgr(const char *qid)
{
	char line[128];
	int len, attempt;

	len = snprintf(line, sizeof(line), "%s\n", qid != NULL ? qid : "");
	if (len < 0 || (size_t)len >= sizeof(line))
		return;
	for (attempt = 0; attempt < 2; attempt++) {
		if (trigger_open() != 0)
			return;
		if (write(trigger_fd, line, (size_t)len) == len ||
		    errno == EAGAIN)
			return;
		close(trigger_fd);
		trigger_fd = -1;
		if (errno != EPIPE)
			return;
	}
}
