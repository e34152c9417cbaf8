#!/usr/bin/env python3
"""last_reply.py - when the server ends a session itself, its last reply
reaches the client (issue 13, "The last reply reaches the client").

A server that closes its socket while the client's pipelined input is
still unread makes the kernel send a reset, and the client may lose the
replies it had not read yet, the 421 among them.  Cases (one instance):
  - 5,000 RCPT TO commands sent in one pipelined burst: the client reads
    a reply for every command up to the 421 "too many errors", the 421
    itself, then an orderly end of stream (no ECONNRESET): 1 MAIL reply,
    smtpd_recipient_limit 250s, then 452s until smtpd_hard_error_limit
    errors, then the 421;
  - the same for a session that ends on its error budget with 5,000 bad
    commands pipelined (500s, then the 421);
  - POP3: a client that sends 3,000 bad commands in one burst gets the
    -ERR replies and the final one, then an orderly end of stream;
  - IMAP: a logged-in client that sends 3,000 bad commands in one burst
    gets the BAD replies, "* BYE Too many invalid IMAP commands." and an
    orderly end of stream (the session process lingers as the pool's
    workers do).
Bounded: socket timeouts of 30 s; every read loop ends at EOF or error.
"""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import petrel_inst  # noqa: E402
import imap_interop as ii  # noqa: E402

R = petrel_inst.Reporter("last_reply")


def read_all(sock):
    """Every byte until EOF; (data, error name or None)."""
    out = b""
    while True:
        try:
            b = sock.recv(65536)
        except OSError as e:
            return out, type(e).__name__
        if not b:
            return out, None
        out += b


def burst(port, greeting_cmds, flood):
    """Connect, send the opening commands one by one, then the whole flood
    at once; (reply lines after the opening, error)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rb")
    f.readline()  # greeting
    for c in greeting_cmds:
        s.sendall(c)
        while True:
            line = f.readline()
            if line[3:4] != b"-":
                break
    try:
        s.sendall(flood)
    except OSError as e:
        return [], "send: " + type(e).__name__
    # buffered lines first, then the socket
    data = f.peek(0) if hasattr(f, "peek") else b""
    rest, err = read_all(s)
    s.close()
    return (data + rest).split(b"\r\n")[:-1], err


def smtp_rcpts(inst):
    """5,000 pipelined RCPTs: every reply, the 421, an orderly close."""
    flood = b"MAIL FROM:<s@example.org>\r\n" + b"".join(
        b"RCPT TO:<rc+%d@example.test>\r\n" % i for i in range(5000))
    lines, err = burst(inst.smtp_port, [b"EHLO client.example.test\r\n"],
                       flood)
    ok = sum(1 for x in lines if x.startswith(b"250"))
    full = sum(1 for x in lines if x.startswith(b"452"))
    last = lines[-1] if lines else b""
    R.check(err is None and last.startswith(b"421") and ok == 1001 and
            full == 20, "5,000 pipelined RCPTs: MAIL and 1,000 RCPTs "
            "accepted, 20 x 452, then the 421 and an orderly close",
            "err=%s 250s=%d 452s=%d lines=%d last=%r" %
            (err, ok, full, len(lines), last[:80]))


def smtp_errors(inst):
    """5,000 pipelined bad commands: 20 x 500 then the 421."""
    flood = b"".join(b"BOGUS %d\r\n" % i for i in range(5000))
    lines, err = burst(inst.smtp_port, [b"EHLO client.example.test\r\n"],
                       flood)
    bad = sum(1 for x in lines if x.startswith(b"5"))
    last = lines[-1] if lines else b""
    R.check(err is None and last.startswith(b"421") and bad >= 19,
            "5,000 pipelined bad SMTP commands: the errors, then the 421 "
            "and an orderly close",
            "err=%s 5xx=%d lines=%d last=%r" % (err, bad, len(lines),
                                                last[:80]))


def pop3_errors(inst):
    """POP3: a burst of bad commands ends with the last -ERR readable."""
    flood = b"".join(b"BOGUS %d\r\n" % i for i in range(3000))
    lines, err = burst(inst.pop3_port, [], flood)
    last = lines[-1] if lines else b""
    R.check(err is None and last.startswith(b"-ERR") and len(lines) >= 2,
            "POP3: 3,000 pipelined bad commands: the -ERR replies and the "
            "last one arrive, then an orderly close",
            "err=%s lines=%d last=%r" % (err, len(lines), last[:80]))


def imap_errors(inst):
    """IMAP: a burst of bad commands ends with the BYE readable."""
    flood = b"".join(b"x%d BOGUS %s\r\n" % (i, b"a" * 200)
                     for i in range(3000))
    lines, err = burst(inst.imap_port, [b"a LOGIN rc@example.test pw\r\n"],
                       flood)
    bye = [x for x in lines if x.startswith(b"* BYE")]
    R.check(err is None and bye and lines[-1] == bye[-1] and
            b"Too many invalid" in bye[-1],
            "IMAP: 3,000 pipelined bad commands: the BAD replies, the BYE, "
            "then an orderly close",
            "err=%s lines=%d last=%r" % (err, len(lines),
                                         lines[-1][:80] if lines else b""))


def main():
    """One instance, four bursts."""
    inst = ii.tls_instance("lastreply")
    try:
        inst.add_user("rc@example.test", "pw")
        inst.start()
        smtp_rcpts(inst)
        smtp_errors(inst)
        pop3_errors(inst)
        imap_errors(inst)
    finally:
        inst.cleanup()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, never hang the suite
        R.bad("script", "%s: %s" % (type(e).__name__, e))
    sys.exit(R.exit_code())
