/*
 * handoff.h - what the pre-login stage (login.h; imapd, pop3d) tells the
 * spawner when a client has logged in: the login cookie (the only proof
 * of who logged in; the spawner redeems it with the password service),
 * the tag of the IMAP LOGIN or AUTHENTICATE command still to be answered
 * (empty for POP3), the method, the addresses, whether the
 * connection is TLS (relayed by the login process), and any commands the
 * client pipelined after its login.  The client's socket (or the session
 * end of the relay's socketpair) travels with the record (SCM_RIGHTS) over
 * a SOCK_SEQPACKET socket, one record per message.
 *
 * Public:
 *   handoff_send(sock, client_fd, h, &errstr)   0 or -1.
 *   handoff_recv(sock, &client_fd, h, &errstr)  1 a record (client_fd
 *                          open, close-on-exec), 0 EOF, -1 a bad or
 *                          truncated message (logged by the caller; any
 *                          descriptor that came with it is closed).
 * Security: the spawner runs as root and the sender talks to the network,
 * so handoff_recv checks every length and that every string ends inside
 * its field; nothing in a record grants anything without the cookie.
 */
#ifndef PETREL_HANDOFF_H
#define PETREL_HANDOFF_H

#include <stddef.h>
#include "log.h"

#define HANDOFF_PIPELINE_MAX	16384

struct handoff {
	char cookie[72];
	char tag[65];
	char method[16];	/* LOGIN or PLAIN, for the log */
	char rip[64];
	char lip[64];
	int rport;
	int lport;
	int tls;		/* the client talks TLS to the login process */
	size_t pipelined_len;
	char pipelined[HANDOFF_PIPELINE_MAX];
};

int handoff_send(int sock, int client_fd, const struct handoff *h,
    const char **errstr_r) WARN_UNUSED;
int handoff_recv(int sock, int *client_fd_r, struct handoff *h,
    const char **errstr_r) WARN_UNUSED;

#endif
