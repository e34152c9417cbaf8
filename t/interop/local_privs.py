#!/usr/bin/env python3
"""local_privs.py - the local delivery worker between deliveries: it keeps
root's real and saved ids and acts as the last mailbox owner (switching
costs four credential changes per message otherwise), yet everything that
needs root still works:

  - after a delivery the worker's ids are real 0 / effective petrel-vmail /
    saved 0 (/proc/PID/status), and root's supplementary groups are gone;
  - a rebuilt virtual_mailbox_maps file that only root and petrel-smtpd
    may read (0640 root:petrel-smtpd) is still reopened by local, so a
    user added to it gets mail (as the last mailbox owner the reopen would
    fail and the old map would keep answering "unknown");
  - a system user's ~/Maildir (another owner) after a virtual delivery;
  - an alias that forwards elsewhere (the injection socket) after a
    virtual delivery.
One local worker (local_process_limit = 1) so that every delivery goes
through the same process.  Needs root.
"""
import os
import pwd
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import BIN, Instance, Reporter  # noqa: E402

SUITE = "local-privs"
R = Reporter(SUITE)
SYSUSER = "petreltestlp"


def status_ids(pid):
    """(Uid line, Groups line) of /proc/PID/status, as lists of ints."""
    uid, groups = [], None
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                uid = [int(x) for x in line.split()[1:]]
            elif line.startswith("Groups:"):
                groups = [int(x) for x in line.split()[1:]]
    return uid, groups


def send(inst, rcpt, tag):
    qid, why = inst.submit("s@remote.example", [rcpt],
                           "Subject: %s\r\n\r\nbody %s\r\n" % (tag, tag))
    R.check(qid != "", "%s: accepted for %s" % (tag, rcpt), why)


def delivered(inst, addr, tag, n):
    inst.wait_messages(addr, n, 20)
    return any(("Subject: %s" % tag).encode() in m
               for m in inst.messages(addr))


def system_user():
    """A system user with a home for ~/Maildir; its pw entry."""
    try:
        return pwd.getpwnam(SYSUSER)
    except KeyError:
        subprocess.run(["useradd", "-m", "-d", "/tmp/%s-home" % SYSUSER,
                        "-s", "/usr/sbin/nologin", SYSUSER], check=True)
        return pwd.getpwnam(SYSUSER)


def main():
    pw_sys = system_user()
    vmail = pwd.getpwnam("petrel-vmail")
    smtpd_gid = pwd.getpwnam("petrel-smtpd").pw_gid
    inst = Instance({"local_process_limit": "1",
                     "mydestination": "localhost"}, name="lprivs")
    try:
        inst.create()
        inst.add_user("alice@example.test", "pw")
        inst.setup_maildir("alice@example.test")
        inst.set_aliases("postmaster: root@localhost\n"
                         "fwd: bob@elsewhere.example\n")
        inst.start()

        send(inst, "alice@example.test", "first")
        R.check(delivered(inst, "alice@example.test", "first", 1),
                "first: delivered to a virtual mailbox")
        workers = inst.children(inst.daemon_pid("local"))
        R.check(len(workers) == 1, "one local worker", "%r" % workers)
        if workers:
            uid, groups = status_ids(workers[0])
            R.check(uid[:1] == [0] and uid[1] == vmail.pw_uid and
                    uid[2] == 0,
                    "the idle worker is real root, effectively petrel-vmail, "
                    "saved root", "Uid: %r" % uid)
            R.check(groups == [], "root's supplementary groups are gone",
                    "Groups: %r" % groups)

        # A new user in a map that petrel-vmail may not read.
        subprocess.run([os.path.join(BIN, "petrel-user"), "-f", inst.conf,
                        "add", "carol@example.test", "pw"], check=True)
        db = os.path.join(inst.dir, "conf", "vmailbox.db")
        os.chown(db, 0, smtpd_gid)
        os.chmod(db, 0o640)
        time.sleep(1.5)		# maps are looked at again once a second
        send(inst, "carol@example.test", "carol")
        R.check(delivered(inst, "carol@example.test", "carol", 1),
                "carol: a user added to a root-only map gets mail",
                "%r" % inst.log_lines("carol")[-3:])

        # Another owner: a system user's ~/Maildir.
        send(inst, "%s@localhost" % SYSUSER, "sys")
        md = os.path.join(pw_sys.pw_dir, "Maildir", "new")
        deadline = time.time() + 20
        while time.time() < deadline and not (
                os.path.isdir(md) and os.listdir(md)):
            time.sleep(0.1)
        files = os.listdir(md) if os.path.isdir(md) else []
        R.check(len(files) == 1, "sys: delivered to ~/Maildir",
                "%r" % inst.log_lines(SYSUSER)[-3:])
        if files:
            st = os.stat(os.path.join(md, files[0]))
            R.check(st.st_uid == pw_sys.pw_uid and
                    st.st_gid == pw_sys.pw_gid,
                    "sys: the file belongs to the user and its group",
                    "%d:%d" % (st.st_uid, st.st_gid))

        # Forwarding after a virtual delivery: the injection service takes
        # the copy for elsewhere.example.
        send(inst, "alice@example.test", "again")
        R.check(delivered(inst, "alice@example.test", "again", 3),
                "again: delivered")
        send(inst, "fwd@localhost", "fwd")
        R.check(inst.wait_log(r"to=<bob@elsewhere\.example>, "
                              r"orig_to=<fwd@localhost>.*forwarded as", 20),
                "fwd: the alias is forwarded through the injection service",
                "%r" % inst.log_lines("fwd@")[-3:])
        R.check(not inst.log_lines("cannot restore privileges"),
                "no privilege errors in the log")
    except Exception as e:  # report, never hang
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    finally:
        inst.cleanup()
        subprocess.run(["userdel", "-r", SYSUSER], stderr=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL)
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
