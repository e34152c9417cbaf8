/*
 * mailbox.h - the maildir behind one POP3 session (see mailbox.c).
 *
 * Public:
 *   pop3d_mailbox_open(path, &mb, &errstr)  creates a missing maildir, takes
 *                    the POP3 lock, lists new/ and cur/ once, sorted by
 *                    delivery time.  POP3D_OPEN_OK, POP3D_OPEN_LOCKED (another
 *                    session holds the lock) or POP3D_OPEN_ERROR (errstr).
 *   pop3d_mailbox_free(&mb)          closes everything, releasing the lock.
 *   pop3d_mailbox_msg_open(mb, i)    read descriptor of message i (0-based),
 *                    following a rename into cur/ by other software; -1 when
 *                    it is gone (errno).
 *   pop3d_mailbox_stream(mb, fd, c, body_lines, &bytes)  the RETR (-1) or
 *                    TOP (n) body with dot-stuffing and ".CRLF"; 0, or -1
 *                    when the file could not be read or the peer is gone
 *                    (the reply is then broken: close the session).
 *   pop3d_mailbox_mark(mb, i, deleted)  DELE / RSET bookkeeping.
 *   pop3d_mailbox_expunge(mb, &deleted)  unlinks the marked files (UPDATE
 *                    state); 0, or -1 when some could not be removed.
 */
#ifndef PETREL_POP3D_MAILBOX_H
#define PETREL_POP3D_MAILBOX_H

#include <stddef.h>
#include "conn.h"
#include "log.h"
#include "pop3_mailbox.h"

#define POP3D_MAX_MESSAGES	1000000

struct pop3d_msg {
	char *name;		/* "new/<base>" or "cur/<base>" */
	long long size;		/* octets with CRLF line ends */
	struct pop3_mailbox_key key;
	int deleted;
};

struct pop3d_mailbox {
	int dir_fd;
	int lock_fd;
	struct pop3d_msg *msgs;
	size_t count;
	size_t cap;
	size_t live_count;	/* messages not marked deleted */
	long long live_size;
	long long total_size;
	char *rbuf;		/* file reads */
	char *wbuf;		/* encoded output */
};

enum pop3d_open { POP3D_OPEN_OK, POP3D_OPEN_LOCKED, POP3D_OPEN_ERROR };

enum pop3d_open pop3d_mailbox_open(const char *path, struct pop3d_mailbox **mb_r,
    const char **errstr_r);
void pop3d_mailbox_free(struct pop3d_mailbox **mbp);
int pop3d_mailbox_msg_open(struct pop3d_mailbox *mb, size_t i);
int pop3d_mailbox_stream(struct pop3d_mailbox *mb, int fd, struct conn *c,
    long body_lines, long long *bytes_r) WARN_UNUSED;
void pop3d_mailbox_mark(struct pop3d_mailbox *mb, size_t i, int deleted);
int pop3d_mailbox_expunge(struct pop3d_mailbox *mb, size_t *deleted_r)
    WARN_UNUSED;

#endif
