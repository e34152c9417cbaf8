#!/usr/bin/env python3
"""inject_idle.py - smtpd keeps its connection to the injection service
between sessions; the service closes idle connections after inject_timeout.
A message arriving after that pause must still be queued (250), both in a
new session and later in the same session, never refused with 451.
Prints PASS:/FAIL: lines for t/run.sh; runs as root on loopback only.
"""
import os
import smtplib
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from petrel_inst import Instance, Reporter  # noqa: E402

RCPT = "alice@example.test"
MSG = b"Subject: idle %d\r\n\r\nhello\r\n"


def send(smtp, n):
    """One message on an open session; the reply code of DATA's end."""
    smtp.mail("bob@example.org")
    smtp.rcpt(RCPT)
    code, _ = smtp.data(MSG % n)
    return code


def main():
    """Send, idle past inject_timeout, send again."""
    rep = Reporter("inject-idle")
    inst = Instance({"inject_timeout": "2s", "server_min_idle": "1",
                     "smtpd_process_limit": "1"}, name="injidle")
    try:
        inst.create()
        inst.add_user(RCPT, "secret")
        inst.start()
        s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20)
        s.ehlo("client.example.org")
        rep.check(send(s, 1) == 250, "first message queued", "")
        time.sleep(3.5)
        rep.check(send(s, 2) == 250, "message after an idle pause in the "
                  "same session queued", "")
        s.quit()
        time.sleep(3.5)
        s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20)
        s.ehlo("client.example.org")
        rep.check(send(s, 3) == 250, "message in a new session after the "
                  "service closed the kept connection queued", "")
        s.quit()
        rep.check(inst.wait_messages(RCPT, 3, 20), "all three delivered",
                  "maildir has %d" % len(inst.messages(RCPT)))
    finally:
        inst.cleanup()
    return rep.exit_code()


if __name__ == "__main__":
    sys.exit(main())
