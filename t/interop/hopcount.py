#!/usr/bin/env python3
"""hopcount.py - mail loops between mail systems are stopped by counting
Received: header fields (RFC 5321 6.3; Postfix's hopcount_limit, here
default 100, the RFC's "at least 100").

Cases: over SMTP a message with 99 Received: fields is accepted (ours makes
100) and delivered; with 100 it is refused at the end of DATA with 554
5.4.6, nothing is queued, the session stays usable (a clean message next
is accepted) and the log names the rejection; "received:" in any case and
with a blank before the colon counts, X-Received: and Received: lines in
the body do not; sendmail refuses a looping message with exit 65 and a
message, and queues nothing; hopcount_limit = 5 lowers the bound.
Prints PASS/FAIL lines (t/run.sh).  Runs as root; instances in /tmp.
"""
import os
import smtplib
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import BIN, Instance, Reporter  # noqa: E402

R = Reporter("hopcount")
RCPT = "alice@example.test"


def message(hops, tag, extra=b"", obsolete=True):
    """A message with hops Received: fields (mixed spellings; obsolete:
    also "name :", which sendmail's header parser does not take)."""
    names = [b"Received: ", b"received: ",
             b"RECEIVED : " if obsolete else b"RECEIVED: "]
    head = b"".join(names[i % 3] + b"from hop%d.example by x; "
                    b"Mon, 23 Nov 2026 10:00:00 +0000\r\n" % i
                    for i in range(hops))
    return (head + b"X-Received: not a hop\r\nSubject: " + tag.encode() +
            b"\r\n" + extra + b"\r\nReceived: in the body is no hop\r\n")


def smtp_send(inst, msg):
    """DATA reply (code, text) for one message in a fresh session; also
    whether the session then takes a clean message."""
    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30) as c:
        c.ehlo("client.example.test")
        c.mail("s@remote.example")
        c.rcpt(RCPT)
        code, text = c.data(msg)
        c.rset()
        c.mail("s@remote.example")
        c.rcpt(RCPT)
        again, _ = c.data(b"Subject: clean\r\n\r\nok\r\n")
    return code, text.decode("utf-8", "replace"), again


def sendmail(inst, data):
    env = dict(os.environ, PETREL_CONF=inst.conf)
    p = subprocess.run(["sendmail", "-i", RCPT],
                       executable=os.path.join(BIN, "petrel-sendmail"),
                       input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=60)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def subjects(inst):
    out = []
    for raw in inst.messages(RCPT):
        for line in raw.split(b"\n"):
            if line.startswith(b"Subject: "):
                out.append(line[9:].strip().decode())
    return out


def main():
    inst = Instance(name="hops")
    try:
        inst.create()
        inst.add_user(RCPT, "pw")
        inst.setup_maildir(RCPT)
        inst.start()
        code, text, again = smtp_send(inst, message(99, "hops-99"))
        R.check(code == 250, "99 Received: fields (+ ours = 100) accepted",
                "%d %s" % (code, text))
        code, text, again = smtp_send(inst, message(100, "hops-100"))
        R.check(code == 554 and "5.4.6" in text and "hops" in text,
                "rfc5321 6.3 100 Received: fields (+ ours) refused 554 5.4.6",
                "%d %s" % (code, text))
        R.check(again == 250, "the session stays usable after the refusal",
                "next message: %d" % again)
        R.check(inst.wait_log(r"rejected: 554 5\.4\.6 Error: too many hops",
                              5), "the log names the rejection",
                "%r" % inst.log_lines("rejected")[-1:])
        inst.wait_messages(RCPT, 3, 15)
        got = subjects(inst)
        R.check(sorted(got) == ["clean", "clean", "hops-99"],
                "only the accepted messages are delivered", "%r" % got)
        R.check(inst.wait_queue_empty(10), "nothing is left in the queue",
                "%d files" % len(inst.queue_files()))

        rc, err = sendmail(inst, message(100, "sm-100", obsolete=False)
                           .replace(b"\r\n", b"\n"))
        R.check(rc == 65 and "too many hops" in err,
                "sendmail refuses a looping message (exit 65)",
                "exit %d: %s" % (rc, err.strip()[:200]))
        rc, err = sendmail(inst, message(99, "sm-99", obsolete=False)
                           .replace(b"\r\n", b"\n"))
        R.check(rc == 0, "sendmail takes 99 Received: fields",
                "exit %d: %s" % (rc, err.strip()[:200]))
        inst.wait_messages(RCPT, 4, 15)
        got = subjects(inst)
        R.check("sm-99" in got and "sm-100" not in got,
                "sendmail: only the accepted message is delivered", "%r" % got)

        rc, out = inst.reconfigure({"hopcount_limit": 5})
        R.check(rc == 0, "petrel reload", out)
        code, text, _ = smtp_send(inst, message(5, "hops-5"))
        R.check(code == 554, "hopcount_limit = 5: 5 Received: (+ ours) "
                "refused", "%d %s" % (code, text))
        code, text, _ = smtp_send(inst, message(4, "hops-4"))
        R.check(code == 250, "hopcount_limit = 5: 4 Received: (+ ours) "
                "accepted", "%d %s" % (code, text))
    except Exception as e:  # report, never hang
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    finally:
        inst.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
