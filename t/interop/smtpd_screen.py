#!/usr/bin/env python3
"""smtpd_screen.py - pre-greeting screening on port 25 (issue 13): a
client that talks before the greeting, or pipelines without PIPELINING,
is refused (smtpd_greet_wait, smtpd_forbid_unauth_pipelining; clients in
mynetworks are exempt, so mynetworks is moved away from 127.0.0.1 here).

Cases (one instance, smtpd_greet_wait = 1s):
  - a client that waits gets "220-" then "220 " and its mail delivered;
  - a client that sends EHLO before the greeting ends gets 554 5.5.1,
    the log says PREGREET, and nothing of its mail is queued;
  - EHLO with MAIL pipelined behind it (RFC 2920: EHLO ends a group):
    554 5.5.0, "improper command pipelining after EHLO" logged;
  - after EHLO offered PIPELINING, MAIL + RCPT + RSET pipelined are fine;
  - after HELO (no PIPELINING), MAIL + RCPT pipelined: 554 5.5.0.
Bounded: socket timeouts.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import petrel_inst  # noqa: E402

R = petrel_inst.Reporter("smtpd_screen")
USER = "scr@example.test"


class Client:
    """A line-oriented SMTP client on a raw socket."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.f = self.s.makefile("rb")

    def reply(self):
        """One whole (multi-line) reply as a list of lines."""
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                return lines
            lines.append(line.rstrip(b"\r\n"))
            if line[3:4] != b"-":
                return lines

    def send(self, data):
        self.s.sendall(data)

    def close(self):
        self.s.close()


def main():
    """One instance, five clients."""
    with petrel_inst.Instance({"smtpd_greet_wait": "1s",
                               "smtpd_forbid_unauth_pipelining": "yes",
                               "mynetworks": "10.99.0.0/16"},
                              name="screen") as inst:
        inst.add_user(USER, "pw")
        inst.start()
        # a patient client
        c = Client(inst.smtp_port)
        t0 = time.time()
        first = c.f.readline()
        greet = c.reply()
        waited = time.time() - t0
        c.send(b"EHLO good.example\r\n")
        ehlo = c.reply()
        steps = []
        for cmd in (b"MAIL FROM:<s@example.org>", b"RCPT TO:<%s>" % USER.encode(),
                    b"DATA"):
            c.send(cmd + b"\r\n")
            steps.append(c.reply()[-1][:3])
        c.send(b"Subject: screened\r\n\r\nhello\r\n.\r\n")
        steps.append(c.reply()[-1][:3])
        c.send(b"QUIT\r\n")
        c.close()
        R.check(first.startswith(b"220-") and greet and
                greet[-1].startswith(b"220 ") and waited >= 0.9 and
                steps == [b"250", b"250", b"354", b"250"],
                "a client that waits for the greeting is served",
                "%r %r %.2f %r" % (first, greet, waited, steps))
        inst.wait_messages(USER, 1, timeout=30)
        # talks first
        c = Client(inst.smtp_port)
        c.send(b"EHLO bot.example\r\nMAIL FROM:<bot@example.org>\r\n")
        r1 = c.f.readline()
        r2 = c.reply()
        c.close()
        R.check(r1.startswith(b"220-") and r2 and r2[-1].startswith(b"554 5.5.1"),
                "a client that talks before the greeting gets 554 5.5.1",
                "%r %r" % (r1, r2))
        inst.wait_log(r"PREGREET \d+ after 220- from .*EHLO bot", timeout=10)
        R.ok("PREGREET logged with what the client sent")
        # EHLO with MAIL behind it
        c = Client(inst.smtp_port)
        c.reply()
        c.send(b"EHLO pipe.example\r\nMAIL FROM:<p@example.org>\r\n")
        r = c.reply()
        c.close()
        R.check(r and r[-1].startswith(b"554 5.5.0"),
                "MAIL pipelined behind EHLO: 554 5.5.0", repr(r))
        inst.wait_log(r"improper command pipelining after EHLO", timeout=10)
        R.ok("improper pipelining logged")
        # proper pipelining after EHLO
        c = Client(inst.smtp_port)
        c.reply()
        c.send(b"EHLO ok.example\r\n")
        c.reply()
        c.send(b"MAIL FROM:<s@example.org>\r\nRCPT TO:<%s>\r\nRSET\r\n" %
               USER.encode())
        got = [c.reply()[-1][:3] for _ in range(3)]
        c.close()
        R.check(got == [b"250", b"250", b"250"],
                "after EHLO offered PIPELINING, MAIL RCPT RSET pipelined pass",
                repr(got))
        # HELO then pipelining
        c = Client(inst.smtp_port)
        c.reply()
        c.send(b"HELO old.example\r\n")
        c.reply()
        c.send(b"MAIL FROM:<s@example.org>\r\nRCPT TO:<%s>\r\n" %
               USER.encode())
        r = c.reply()
        c.close()
        R.check(r and r[-1].startswith(b"554 5.5.0"),
                "after HELO (no PIPELINING) pipelined MAIL + RCPT: 554 5.5.0",
                repr(r))
        R.check(len(inst.messages(USER)) == 1,
                "only the patient client's message was delivered",
                "%d messages" % len(inst.messages(USER)))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, never hang the suite
        R.bad("script", "%s: %s" % (type(e).__name__, e))
    sys.exit(R.exit_code())
