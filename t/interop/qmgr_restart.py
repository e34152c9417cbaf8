#!/usr/bin/env python3
"""qmgr_restart.py - a queue manager killed outright (SIGKILL on its parent,
as an OOM killer or an admin would) leaves no worker behind, and "petrel
start" brings back exactly one queue manager that delivers the mail queued
meanwhile.  Two queue managers on one spool would each take the other's
files: this test guards against that.
Prints PASS:/FAIL: lines for t/run.sh; runs as root on loopback only.
"""
import os
import signal
import smtplib
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from petrel_inst import Instance, Reporter, _alive  # noqa: E402

RCPT = "alice@example.test"


def qmgr_procs(inst):
    """Live petrel-qmgr processes of this instance."""
    found = []
    for pid in inst.own_pids():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
            if argv0.endswith(b"/petrel-qmgr"):
                found.append(pid)
        except OSError:
            pass
    return found


def wait_for(cond, secs):
    """Poll cond every 0.1 s for at most secs seconds."""
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()


def main():
    """Kill the queue manager's parent, check, restart, deliver."""
    rep = Reporter("qmgr-restart")
    inst = Instance(name="qmkill")
    try:
        inst.create()
        inst.add_user(RCPT, "secret")
        inst.start()
        parent = inst.daemon_pid("qmgr")
        workers = inst.children(parent) if parent else []
        rep.check(parent and len(workers) == 1, "queue manager runs as one "
                  "worker under its parent", "parent %s workers %s" %
                  (parent, workers))
        os.kill(parent, signal.SIGKILL)
        # The orphaned worker itself must go (the supervisor may start a
        # new queue manager meanwhile: its back-off is 1 s, and an exit
        # under LeakSanitizer can take longer than that).
        rep.check(wait_for(lambda: not [w for w in workers if _alive(w)],
                           5),
                  "worker exits when its parent is killed",
                  "left: %s" % [w for w in workers if _alive(w)])
        smtp = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20)
        smtp.sendmail("bob@example.org", [RCPT],
                      b"Subject: queued while qmgr was down\r\n\r\nhello\r\n")
        smtp.quit()
        inst.ctl("start")
        rep.check(wait_for(lambda: len(qmgr_procs(inst)) == 2, 10),
                  "petrel start restores exactly one queue manager",
                  "processes: %s" % qmgr_procs(inst))
        rep.check(inst.wait_messages(RCPT, 1, 20),
                  "mail queued meanwhile is delivered after the restart",
                  "maildir has %d" % len(inst.messages(RCPT)))
    finally:
        inst.cleanup()
    return rep.exit_code()


if __name__ == "__main__":
    sys.exit(main())
