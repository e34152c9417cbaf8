/*
 * inject.h - client side of the queue injection service (petrel-inject,
 * socket $inject_listen, normally $queue_directory/private/inject).
 *
 * Protocol (all lines end in LF):
 *   C: MAIL <sender>          sender may be empty (null sender)
 *   S: QID <qid>              the queue file exists (its ID goes into the
 *                             Received: header); or "ERR ..." and the
 *                             transaction is over.  The client need not read
 *                             this before sending more (inject_qid reads it).
 *   C: ATTR <name>=<value>    zero or more (client_address, helo, ...)
 *   C: RCPT <address>         one or more
 *   C: RDSN <words>           optional after a RCPT: its DSN parameters,
 *                             "notify=<list>" and/or "orcpt=<type;xtext>"
 *                             (becomes the queue file's 'O' record)
 *   C: DATA
 *   C: <n>\n<n bytes>         zero or more chunks of message text (LF line
 *                             ends, already dot-unstuffed), n <= 1048576
 *   C: 0                      end of message
 *   S: OK <qid>               the message is durable in incoming/
 *   S: ERR <smtp-code> <enhanced> <text>   e.g. "ERR 451 4.3.0 queue write error",
 *                             "ERR 452 4.3.1 Insufficient system storage"
 *                             (the queue file system is full)
 *   C: ETRN <domain>          outside a message: flush deferred mail for
 *                             domain (RFC 1985) by writing "D <domain>"
 *                             to the queue manager's FIFO
 *   S: OK                     or "ERR <smtp-code> <enhanced> <text>"
 * After a reply the connection may carry the next message.  The service
 * enforces message_size_limit (ERR 552 5.3.4) and its own bounds.
 *
 * Public:
 *   inject_connect(path, &errstr)   NULL on failure.
 *   inject_begin(ij, sender)        these buffer and send; -1 on I/O error.
 *   inject_flush(ij)                send what is buffered; 0 or -1.
 *   inject_qid(ij, &reply_r)        flushes, reads the QID line; the queue ID,
 *                                   or NULL with *reply_r as for inject_end.
 *   inject_attr(ij, name, value)
 *   inject_rcpt(ij, addr)
 *   inject_rcpt_dsn(ij, words)      RDSN for the recipient just sent
 *   inject_data(ij, p, n)           content bytes (LF line ends)
 *   inject_end(ij, qid_r, &reply_r) 0: queued, qid_r filled; -1: *reply_r is
 *                                   "<code> <enh> <text>" for the SMTP client
 *                                   (a local "451 4.3.0 ..." on I/O failure).
 *   inject_etrn(ij, domain, &reply_r)  outside a transaction: ask for a
 *                                   flush of domain; 0, or -1 with *reply_r
 *                                   as for inject_end.
 *   inject_alive(ij)                1 if an idle connection is still open
 *                                   (the service closes idle ones after
 *                                   inject_timeout); 0 otherwise.
 *   inject_close(&ij)
 */
#ifndef PETREL_INJECT_H
#define PETREL_INJECT_H

#include <stddef.h>
#include "log.h"
#include "qfile.h"

#define INJECT_CHUNK_MAX 1048576

struct inject;

struct inject *inject_connect(const char *path, const char **errstr_r);
int inject_begin(struct inject *ij, const char *sender) WARN_UNUSED;
int inject_flush(struct inject *ij);
const char *inject_qid(struct inject *ij, const char **reply_r);
int inject_attr(struct inject *ij, const char *name, const char *value) WARN_UNUSED;
int inject_rcpt(struct inject *ij, const char *addr) WARN_UNUSED;
int inject_rcpt_dsn(struct inject *ij, const char *words) WARN_UNUSED;
int inject_data(struct inject *ij, const void *p, size_t n) WARN_UNUSED;
int inject_end(struct inject *ij, char qid_r[QFILE_QID_MAX],
    const char **reply_r) WARN_UNUSED;
int inject_etrn(struct inject *ij, const char *domain,
    const char **reply_r) WARN_UNUSED;
int inject_alive(struct inject *ij);
void inject_close(struct inject **ijp);

#endif
