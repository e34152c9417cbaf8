#!/usr/bin/env python3
"""sendmail_basic.py - the sendmail command line against a private instance:
PHP-style "sendmail -t -i" with a message on stdin reaches a virtual user's
maildir (Bcc removed, Date/From/Message-ID added); cron-style "sendmail root"
reaches a local alias; sendmail while every daemon is stopped exits 0, leaves
the file in maildrop/, and it is delivered after the start; "sendmail -bs"
speaks SMTP on stdin/stdout; mailq shows a deferred message with its reason;
bad input gives the documented exit codes (64 usage, 65 bad address).
Prints PASS:/FAIL: lines for t/run.sh; runs as root, loopback only.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import petrel_inst  # noqa: E402
from petrel_inst import BIN, Instance, Reporter, free_port  # noqa: E402

# This suite needs neither smtpd nor pop3d.
petrel_inst.DAEMONS[:] = [d for d in petrel_inst.DAEMONS
                          if d not in ("smtpd", "pop3d")]
SENDMAIL = os.path.join(BIN, "petrel-sendmail")
QTOOL = os.path.join(BIN, "petrel-qtool")
ALICE = "alice@example.test"
BOB = "bob@example.test"


def sendmail(inst, args, data, argv0=None):
    """Run sendmail against the instance; (rc, stdout, stderr)."""
    env = dict(os.environ, PETREL_CONF=inst.conf)
    p = subprocess.run([argv0 or "sendmail"] + args, executable=SENDMAIL,
                       input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=60)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def maildrop(inst):
    """Names in the instance's maildrop/."""
    try:
        return os.listdir(os.path.join(inst.spool, "maildrop"))
    except OSError:
        return []


def wait_for(cond, secs):
    """Poll cond (bounded)."""
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.5)
    return cond()


def php_style(rep, inst):
    """sendmail -t -i: recipients from the header, Bcc removed."""
    msg = (b"To: Alice <alice@example.test>\r\nBcc: bob@example.test\r\n"
           b"Subject: php mail()\r\n\r\nline one\r\n.\r\nline after dot\r\n")
    rc, out, err = sendmail(inst, ["-t", "-i", "-f", "web@example.test"], msg)
    rep.check(rc == 0, "sendmail -t -i exits 0", "rc %d %s" % (rc, err))
    a = inst.wait_messages(ALICE, 1, 20)
    b = inst.wait_messages(BOB, 1, 20)
    rep.check(len(a) == 1 and len(b) == 1, "To: and Bcc: recipients receive "
              "it", "alice %d bob %d" % (len(a), len(b)))
    m = a[0] if a else b""
    rep.check(b"line after dot" in m, "-i: a lone dot does not end input",
              m[-200:])
    rep.check(b"\nBcc:" not in m and b"\r" not in m.split(b"\n\n")[0],
              "Bcc: removed, no CR in the stored header", m[:300])
    for h in (b"Date:", b"Message-ID:", b"From: web@example.test",
              b"Received: by mail.example.test (Petrel, from userid 0)"):
        rep.check(h in m, "header added: %s" % h.decode(), m[:400])


def cron_style(rep, inst):
    """sendmail root with a dot-terminated message goes to the alias."""
    before = len(inst.messages(ALICE))
    rc, out, err = sendmail(inst, ["root"], b"Subject: cron output\n\n"
                            b"job done\n.\nnot part of it\n")
    rep.check(rc == 0, "sendmail root exits 0", "rc %d %s" % (rc, err))
    msgs = inst.wait_messages(ALICE, before + 1, 20)
    new = [m for m in msgs if b"cron output" in m]
    rep.check(new and b"not part of it" not in new[0],
              "cron-style mail reaches the root alias; '.' ends input",
              "messages %d" % len(msgs))


def smtp_session(rep, inst):
    """sendmail -bs: one SMTP transaction on stdin/stdout."""
    script = (b"EHLO client\r\nMAIL FROM:<bs@example.test>\r\n"
              b"RCPT TO:<alice@example.test>\r\nRCPT TO:<bad address>\r\n"
              b"DATA\r\nSubject: via -bs\r\n\r\n..leading dot\r\n.\r\n"
              b"QUIT\r\n")
    before = len(inst.messages(ALICE))
    rc, out, err = sendmail(inst, ["-bs"], script)
    codes = [ln[:3] for ln in out.split("\r\n") if ln[:3].isdigit()
             and ln[3:4] == " "]
    rep.check(codes == ["220", "250", "250", "250", "501", "354", "250",
                        "221"], "-bs replies in order", repr(out))
    msgs = inst.wait_messages(ALICE, before + 1, 20)
    new = [m for m in msgs if b"via -bs" in m]
    rep.check(new and b"\n.leading dot" in new[0], "-bs message delivered, "
              "dot-unstuffed", "messages %d" % len(msgs))


def daemons_down(rep, inst):
    """Submission while nothing runs: maildrop/, delivered after start."""
    inst.stop()
    rc, out, err = sendmail(inst, [ALICE], b"Subject: while down\n\nx\n")
    rep.check(rc == 0, "sendmail exits 0 while the daemons are down",
              "rc %d %s" % (rc, err))
    rep.check(len(maildrop(inst)) == 1, "the message waits in maildrop/",
              repr(maildrop(inst)))
    inst.start()

    def delivered():
        # The queue manager may take maildrop/ before local delivery
        # listens (then it defers); "sendmail -q" retries at once.
        sendmail(inst, ["-q"], b"")
        return any(b"while down" in m for m in inst.messages(ALICE))
    rep.check(wait_for(delivered, 30),
              "delivered after the start", "messages %d" %
              len(inst.messages(ALICE)))
    rep.check(wait_for(lambda: not maildrop(inst), 10), "maildrop/ is empty "
              "again", repr(maildrop(inst)))


def errors(rep, inst):
    """Exit codes for usage and data errors."""
    rc, out, err = sendmail(inst, [], b"x\n")
    rep.check(rc == 64, "no recipient: usage error 64", "rc %d" % rc)
    rc, out, err = sendmail(inst, ["-Z", ALICE], b"x\n")
    rep.check(rc == 64 and "usage" in err, "unknown option: 64 with usage",
              "rc %d %s" % (rc, err))
    rc, out, err = sendmail(inst, ["bad address@@x"], b"x\n")
    rep.check(rc == 65 and "petrel-postdrop:" in err,
              "bad recipient: 65 with postdrop's reason", "rc %d %s" %
              (rc, err))
    rc, out, err = sendmail(inst, ["-N", "never", "-R", "hdrs", "-V", "env1",
                                   "-B", "8BITMIME", "-G", "-oem", "-v",
                                   "--", ALICE], b"Subject: dsn\n\nx\n")
    rep.check(rc == 0, "-N -R -V -B -G -oX -v -- accepted", "rc %d %s" %
              (rc, err))


def deferred_listing(rep, inst):
    """A message to an unreachable relay: mailq shows it with the reason."""
    rc, out, err = sendmail(inst, ["-f", "me@example.test",
                                   "far@remote.example"],
                            b"Subject: deferred\n\nx\n")
    rep.check(rc == 0, "remote message accepted", "rc %d %s" % (rc, err))
    found = ""
    end = time.time() + 30
    while time.time() < end:
        p = subprocess.run(["mailq"], executable=SENDMAIL,
                           stdout=subprocess.PIPE, env=dict(
                               os.environ, PETREL_CONF=inst.conf))
        found = p.stdout.decode("utf-8", "replace")
        if "far@remote.example" in found and "\n(" in "\n" + \
                found.replace(" (", "\n("):
            if any(ln.strip().startswith("(") for ln in found.splitlines()):
                break
        time.sleep(0.3)
    lines = found.splitlines()
    rep.check(lines and lines[0].startswith("-Queue ID-  --Size--"),
              "mailq (sendmail -bp) prints the postqueue header", found[:200])
    reason = [ln for ln in lines if ln.strip().startswith("(")]
    rep.check(reason and "far@remote.example" in found,
              "mailq shows the deferred recipient and its reason", found)


def main():
    """One instance for every case."""
    rep = Reporter("sendmail")
    dead = free_port()
    inst = Instance({"mydestination": "$myhostname, localhost",
                     "relayhost": "[127.0.0.1]:%d" % dead,
                     "delay_warning_time": "0"}, name="sendmail")
    try:
        inst.create()
        inst.add_user(ALICE, "secret")
        inst.add_user(BOB, "secret")
        inst.set_aliases("postmaster: root\nroot: %s\n" % ALICE)
        inst.start()
        php_style(rep, inst)
        cron_style(rep, inst)
        smtp_session(rep, inst)
        errors(rep, inst)
        daemons_down(rep, inst)
        deferred_listing(rep, inst)
    except Exception as e:  # noqa: BLE001 - report, then clean up
        rep.bad("suite ran to the end", repr(e))
    finally:
        inst.cleanup()
    return rep.exit_code()


if __name__ == "__main__":
    sys.exit(main())
