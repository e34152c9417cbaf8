#!/usr/bin/env python3
"""qtool_admin.py - petrel-qtool's administration commands against a private
instance, each shown to have its effect: hold (-h) keeps a message out of
delivery and mailq marks it '!', release (-H) lets it go, delete (-d) removes
it, requeue (-r) moves a deferred message back to incoming/, flush (-f, -i)
is accepted, expire (-e) returns a deferred message to its sender, check (-c)
removes an orphan defer/ file and stale temporaries and moves a corrupt file
to corrupt/.  An unprivileged user (petrel-tuser, with a setgid copy of the
tool) may list and flush but gets "permission denied" for delete.
Prints PASS:/FAIL: lines for t/run.sh; runs as root, loopback only.
"""
import grp
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import petrel_inst  # noqa: E402
from petrel_inst import (BIN, Instance, Reporter, free_port,  # noqa: E402
                         write_queue_file)

petrel_inst.DAEMONS[:] = [d for d in petrel_inst.DAEMONS
                          if d not in ("smtpd", "pop3d")]
SENDMAIL = os.path.join(BIN, "petrel-sendmail")
QTOOL = os.path.join(BIN, "petrel-qtool")
ALICE = "alice@example.test"
TUSER = "petrel-tuser"


def qtool(inst, *args, user=None, tool=QTOOL):
    """Run the queue tool (optionally as another user); (rc, out+err)."""
    cmd = [tool, "-C", inst.conf] + list(args)
    if user:
        cmd = ["setpriv", "--reuid=" + user, "--regid=" + user,
               "--init-groups"] + cmd
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def send(inst, rcpt, subject, sender="me@example.test"):
    """Queue one message with sendmail; True on exit 0."""
    p = subprocess.run([SENDMAIL, "-f", sender, rcpt],
                       input=b"Subject: %s\n\nx\n" % subject.encode(),
                       env=dict(os.environ, PETREL_CONF=inst.conf),
                       timeout=60)
    return p.returncode == 0


def find(inst, area):
    """Queue IDs in one spool directory."""
    try:
        return sorted(os.listdir(os.path.join(inst.spool, area)))
    except OSError:
        return []


def wait_for(cond, secs):
    """Poll cond (bounded)."""
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.2)
    return cond()


def admin_cases(rep, inst):
    """hold, release, requeue, delete, expire on deferred messages."""
    send(inst, "far@remote.example", "to hold")
    rep.check(wait_for(lambda: len(find(inst, "deferred")) == 1, 30),
              "a remote message is deferred", repr(find(inst, "deferred")))
    qid = (find(inst, "deferred") or ["none"])[0]
    rc, out = qtool(inst, "-h", qid)
    rep.check(rc == 0 and find(inst, "hold") == [qid], "-h moves it to "
              "hold/", out)
    rc, out = qtool(inst, "-p")
    rep.check(qid + "!" in out, "mailq marks a held message with '!'", out)
    rc, out = qtool(inst, "-H", qid)
    rep.check(rc == 0 and qid not in find(inst, "hold"),
              "-H releases it", out)
    rep.check(wait_for(lambda: qid in find(inst, "deferred"), 20),
              "released message is deferred again after its attempt",
              repr(find(inst, "deferred")))
    rc, out = qtool(inst, "-r", qid)
    rep.check(rc == 0 and "Requeued: 1 message" in out, "-r requeues", out)
    rep.check(wait_for(lambda: qid in find(inst, "deferred"), 20),
              "requeued message was tried again", out)
    rc, out = qtool(inst, "-f")
    rep.check(rc == 0, "-f flush accepted", out)
    rc, out = qtool(inst, "-i", qid)
    rep.check(rc == 0, "-i flush of one ID accepted", out)
    rc, out = qtool(inst, "-d", qid)
    rep.check(rc == 0 and "Deleted: 1 message" in out and
              wait_for(lambda: qid not in find(inst, "deferred"), 10),
              "-d deletes it", out)
    before = len(inst.messages(ALICE))
    send(inst, "far@remote.example", "to expire", sender=ALICE)
    rep.check(wait_for(lambda: len(find(inst, "deferred")) == 1, 30),
              "second remote message deferred", repr(find(inst, "deferred")))
    qid = (find(inst, "deferred") or ["none"])[0]
    rc, out = qtool(inst, "-e", qid)
    rep.check(rc == 0 and "Expired: 1 message" in out, "-e accepted", out)
    msgs = inst.wait_messages(ALICE, before + 1, 30)
    rep.check(len(msgs) > before and wait_for(
        lambda: qid not in find(inst, "deferred"), 10),
        "expired message bounced to its sender and left the queue",
        "messages %d, deferred %r" % (len(msgs), find(inst, "deferred")))


def check_case(rep, inst):
    """-c: orphan defer/ file, stale temp, corrupt file."""
    orphan = os.path.join(inst.spool, "defer", "ABCDEF123")
    with open(orphan, "w") as f:
        f.write("x@y\treason\n")
    stale = os.path.join(inst.spool, "incoming", ".t1.2")
    with open(stale, "w") as f:
        f.write("junk")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    bad = os.path.join(inst.spool, "hold", "0BADF11E")
    with open(bad, "wb") as f:
        f.write(b"not a queue file")
    os.chmod(bad, 0o760)
    good = os.path.join(inst.spool, "hold", "0600DF11E")
    write_queue_file(good, int(time.time()), "a@example.test",
                     [("P", "b@example.test")], b"Subject: ok\n\nx\n")
    rc, out = qtool(inst, "-c")
    rep.check(not os.path.exists(orphan), "-c removes an orphan defer/ file",
              out)
    rep.check(not os.path.exists(stale), "-c removes a stale temporary file",
              out)
    rep.check(os.path.exists(os.path.join(inst.spool, "corrupt", "0BADF11E"))
              and os.path.exists(good), "-c moves a corrupt file to "
              "corrupt/ and keeps a valid one", out)
    qtool(inst, "-d", "0600DF11E")


def unprivileged(rep, inst):
    """A normal user: list and flush yes, delete no."""
    if subprocess.run(["id", "-u", TUSER], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", TUSER])
    bindir = os.path.join(inst.dir, "sbin")
    os.mkdir(bindir, 0o755)
    tool = os.path.join(bindir, "petrel-qtool")
    shutil.copy(QTOOL, tool)
    os.chown(tool, 0, grp.getgrnam("petrel-spool").gr_gid)
    os.chmod(tool, 0o2755)
    send(inst, "far@remote.example", "for the user")
    wait_for(lambda: find(inst, "deferred"), 30)
    rc, out = qtool(inst, "-p", user=TUSER, tool=tool)
    rep.check(rc == 0 and "far@remote.example" in out,
              "unprivileged user lists the queue (setgid tool)", out)
    rc, out = qtool(inst, "-f", user=TUSER, tool=tool)
    rep.check(rc == 0, "unprivileged user may flush", out)
    wait_for(lambda: find(inst, "deferred"), 30)   # the flushed retry ends
    qid = (find(inst, "deferred") or ["0000000"])[0]
    rc, out = qtool(inst, "-d", qid, user=TUSER, tool=tool)
    kept = any(qid in find(inst, a) for a in ("deferred", "active",
                                              "incoming"))
    rep.check(rc == 1 and "permission denied" in out and kept,
              "unprivileged user: delete refused", "rc %d %s" % (rc, out))


def main():
    """One instance with a dead relay host, so remote mail defers."""
    rep = Reporter("qtool")
    inst = Instance({"relayhost": "[127.0.0.1]:%d" % free_port(),
                     "delay_warning_time": "0"}, name="qtool")
    try:
        inst.create()
        inst.add_user(ALICE, "secret")
        inst.start()
        admin_cases(rep, inst)
        check_case(rep, inst)
        unprivileged(rep, inst)
    except Exception as e:  # noqa: BLE001 - report, then clean up
        rep.bad("suite ran to the end", repr(e))
    finally:
        inst.cleanup()
    return rep.exit_code()


if __name__ == "__main__":
    sys.exit(main())
