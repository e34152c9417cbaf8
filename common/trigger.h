/*
 * trigger.h - wake the queue manager: write "<qid>\n" (or "\n" for "scan")
 * to the FIFO $qmgr_fifo without blocking.  A full FIFO or an absent reader
 * is not an error: the queue manager also scans periodically.
 */
#ifndef PETREL_TRIGGER_H
#define PETREL_TRIGGER_H

void trigger_qmgr(const char *qid);

#endif
