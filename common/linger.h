/*
 * linger.h - end a client connection so that the server's last reply
 * reaches the client.
 *
 * When a server closes a socket whose receive queue still holds input it
 * has not read (a client that pipelined thousands of commands and got a
 * 421 for them), the kernel answers with a reset, and the client may lose
 * the replies it had not read yet, the 421 among them.  linger_close()
 * sends our FIN first (shutdown SHUT_WR: everything written is on its
 * way), then reads and discards what the client still sends until it
 * closes its side, for at most max_ms milliseconds and LINGER_MAX_BYTES
 * bytes, then closes.  A client that already closed costs one poll.
 *
 * Public: linger_close(fd, max_ms) - always closes fd.
 *         linger_drain_now(fd) - for an event loop that cannot wait: our
 *         FIN, then discard what has already arrived (bounded); the
 *         caller closes.  A reset is then sent only if the client sends
 *         more after reading our FIN.
 * Security: reads are discarded; both the time and the byte count are
 * bounded, so a client cannot hold the process here.
 */
#ifndef PETREL_LINGER_H
#define PETREL_LINGER_H

#define LINGER_MAX_BYTES (4 * 1024 * 1024)
#define LINGER_DEFAULT_MS 2000

void linger_close(int fd, int max_ms);
void linger_drain_now(int fd);

#endif
