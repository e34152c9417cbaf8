#!/usr/bin/env python3
"""spool_symlink.py - a queue_directory and a virtual_mailbox_base that
are symbolic links to directories (issue 13): when root made the link, in
a directory only root can change, every daemon follows it (mail goes in,
is delivered under the real mail base and comes out over POP3); when
another user owns the link, "petrel start" refuses with a message that
says it is a symbolic link (not the old, misleading "Not a directory")
and nothing is left running.
Prints PASS:/FAIL: lines (t/run.sh); runs as root on loopback only.
"""
import imaplib
import os
import poplib
import pwd
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import Instance, Reporter  # noqa: E402

R = Reporter("spool-symlink")
RCPT = "bob@example.test"
PASSWORD = "symlinked-9"


def relink(inst, name):
    """Move <dir>/<name> to <name>-real and leave a symlink in its place."""
    path = os.path.join(inst.dir, name)
    real = path + "-real"
    if os.path.isdir(path):
        os.rename(path, real)
    else:
        os.mkdir(real, 0o755)
    os.symlink(real, path)
    return real


def pop3_count():
    """Closure factory: the number of messages POP3 shows (or -1)."""
    def count(inst):
        try:
            p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=10)
            p.user(RCPT)
            p.pass_(PASSWORD)
            n = p.stat()[0]
            p.quit()
            return n
        except (OSError, poplib.error_proto):
            return -1
    return count


def followed(inst):
    """Start on symlinked spool and mail base; mail flows."""
    spool_real = relink(inst, "spool")
    mail_real = relink(inst, "mail")
    inst.add_user(RCPT, PASSWORD)
    try:
        inst.start()
        started = True
    except RuntimeError as e:
        started = False
        R.bad("a root-owned symlinked queue_directory is followed", e)
    if not started:
        return
    R.ok("a root-owned symlinked queue_directory is followed")
    R.check(os.path.isfile(os.path.join(spool_real, "pid", "smtpd.pid")),
            "the pid files are in the link's target", spool_real)
    qid, why = inst.submit("x@example.test", [RCPT],
                           b"Subject: via a link\r\n\r\nhello\r\n")
    R.check(qid, "mail is accepted on the symlinked spool", why)
    msgs = inst.wait_messages(RCPT, 1, 30)
    R.check(len(msgs) == 1 and os.listdir(os.path.join(
        mail_real, "example.test", "bob", "new")),
        "delivered under the symlinked mail base", "%d messages" % len(msgs))
    count = pop3_count()
    R.check(count(inst) == 1, "POP3 reads it through the symlinked base",
            "stat %r" % count(inst))
    if inst.imap_port:
        R.check(imap_exists(inst) == 1, "IMAP reads it through the "
                "symlinked base", "EXISTS %r" % imap_exists(inst))


def imap_exists(inst):
    """The EXISTS count of INBOX over IMAP (or an error text)."""
    try:
        c = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=10)
        c.login(RCPT, PASSWORD)
        typ, data = c.select("INBOX", readonly=True)
        c.logout()
        return int(data[0]) if typ == "OK" else typ
    except (OSError, imaplib.IMAP4.error, ValueError) as e:
        return repr(e)


def refused(inst):
    """A link owned by another user is refused, saying so."""
    inst.ctl("stop")
    deadline = time.time() + 10
    while inst.own_pids() and time.time() < deadline:
        time.sleep(0.1)
    link = os.path.join(inst.dir, "spool")
    nobody = pwd.getpwnam("nobody").pw_uid
    os.lchown(link, nobody, -1)
    rc, out = inst.ctl("start", timeout=60)
    R.check(rc != 0 and "symbolic link" in out,
            "a symlinked queue_directory that another user owns is refused "
            "with a message naming the symlink", "rc %d: %s" %
            (rc, out.strip()[-300:]))
    R.check("Not a directory" not in out, "the refusal does not say "
            "\"Not a directory\"", out.strip()[-300:])
    R.check(not inst.daemon_pid("master") and not inst.daemon_pid("smtpd"),
            "nothing runs after the refusal", "pids %r" %
            sorted(inst.own_pids()))
    os.lchown(link, 0, -1)


def main():
    inst = Instance(name="symlink")
    try:
        inst.create()
        followed(inst)
        refused(inst)
    finally:
        inst.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
