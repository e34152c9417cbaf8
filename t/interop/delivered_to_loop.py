#!/usr/bin/env python3
"""delivered_to_loop.py - local delivery refuses a message that already
carries our Delivered-To: field for the recipient (a forwarding loop) with
5.4.6, however the field is written: the header reader shared by every
program (common/msg_header.c) takes white space before the colon (RFC 5322
obs-syntax) and folded values.

Cases, each over SMTP to alice@example.test: "Delivered-To: alice@..."
bounces 5.4.6; "Delivered-To : alice@..." (blank before the colon) bounces
5.4.6; "Delivered-To:\\r\\n  alice@..." (folded) bounces 5.4.6;
"delivered-to: <ALICE@...>" bounces 5.4.6; a Delivered-To: for somebody
else, and "Delivered-To: alice@..." in the body, are delivered.  Only the
delivered messages reach the maildir.
Prints PASS/FAIL lines (t/run.sh).  Runs as root; instances in /tmp.
"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import Instance, Reporter  # noqa: E402

R = Reporter("delivered_to_loop")
RCPT = "alice@example.test"

LOOPS = [
    ("plain", b"Delivered-To: alice@example.test\r\n"),
    ("blank-before-colon", b"Delivered-To : alice@example.test\r\n"),
    ("folded", b"Delivered-To:\r\n  alice@example.test\r\n"),
    ("case-and-angle", b"delivered-to: <ALICE@example.test>\r\n"),
]
FINE = [
    ("other-recipient", b"Delivered-To: bob@example.test\r\n", b""),
    ("in-body", b"", b"Delivered-To: alice@example.test\r\n"),
]


def message(tag, head, body=b""):
    return (b"From: s@remote.example\r\n" + head + b"Subject: " +
            tag.encode() + b"\r\n\r\n" + body + b"text\r\n")


def main():
    inst = Instance(name="dtloop")
    try:
        inst.create()
        inst.add_user(RCPT, "pw")
        inst.setup_maildir(RCPT)
        inst.start()
        for tag, head in LOOPS:
            qid, err = inst.submit("s@remote.example", [RCPT],
                                   message(tag, head))
            R.check(qid != "", "%s: accepted by smtpd" % tag, err)
            m = inst.wait_log(r"%s: to=<alice@example\.test>.*dsn=5\.4\.6"
                              r".*status=bounced" % qid, 20)
            R.check(m is not None, "%s: local delivery refuses the loop "
                    "with 5.4.6" % tag,
                    "%r" % inst.log_lines(qid)[-3:])
        for tag, head, body in FINE:
            qid, err = inst.submit("s@remote.example", [RCPT],
                                   message(tag, head, body))
            m = inst.wait_log(r"%s: to=<alice@example\.test>.*status=sent"
                              % qid, 20)
            R.check(qid != "" and m is not None, "%s: delivered" % tag,
                    err or "%r" % inst.log_lines(qid)[-3:])
        inst.wait_messages(RCPT, len(FINE), 10)
        got = sorted(line[9:].strip().decode()
                     for raw in inst.messages(RCPT)
                     for line in raw.split(b"\n")
                     if line.startswith(b"Subject: "))
        R.check(got == sorted(t for t, _, _ in FINE),
                "only the messages without a loop reach the maildir",
                "%r" % got)
    finally:
        inst.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
