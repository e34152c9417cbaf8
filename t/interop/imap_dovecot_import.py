#!/usr/bin/env python3
"""imap_dovecot_import.py - the mail store takes over a maildir a REAL Dovecot
wrote, keeping UIDVALIDITY, UIDNEXT, UIDs, flags and keywords.

Starts a private Dovecot (Debian's dovecot-imapd) on a free 127.0.0.1 port
with its own configuration in a temp dir (ssl = no, a passwd-file user with
a {PLAIN} password, mail_location = maildir under the temp dir, mail
processes as nobody), then with Python's imaplib: APPENDs messages with
flags and keywords, lets Dovecot pick up a file dropped into new/ as local
delivery would, creates folders (one with a non-ASCII name), STOREs flags,
expunges some, and notes what Dovecot reports (UIDVALIDITY, UIDNEXT, UID ->
FLAGS).  Stops Dovecot by its pid, then reads the same maildir through
$PETREL_TBIN/mstore_tool (imapd/mstore.h) and compares - twice, the second
time from the store's own index.
Prints "PASS: interop/imap_dovecot_import: <case>" / "FAIL: ..."; exit 1 on
failure.  Security: runs as root; only ever signals the Dovecot it started.
"""
import imaplib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("PETREL_TOP",
                     os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
TBIN = os.environ.get("PETREL_TBIN", os.path.join(TOP, "build", "t"))
TOOL = os.path.join(TBIN, "mstore_tool")
SUITE = "interop/imap_dovecot_import"
failed = 0


def report(ok, case, why=""):
    global failed
    if ok:
        print("PASS: %s: %s" % (SUITE, case))
    else:
        failed += 1
        print("FAIL: %s: %s (%s)" % (SUITE, case, why))
    sys.stdout.flush()


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_dovecot(d, port):
    """Write a private configuration and start Dovecot; its master pid."""
    run, mail = os.path.join(d, "run"), os.path.join(d, "mail")
    os.makedirs(run)
    os.makedirs(mail)
    shutil.chown(mail, "nobody", "nogroup")
    os.chmod(d, 0o755)
    users = os.path.join(d, "users")
    with open(users, "w") as f:
        f.write("u1:{PLAIN}secret::::::\n")
    os.chmod(users, 0o644)
    conf = os.path.join(d, "dovecot.conf")
    with open(conf, "w") as f:
        f.write("""protocols = imap
listen = 127.0.0.1
base_dir = %(run)s
state_dir = %(d)s/state
instance_name = petrel-import-test
log_path = %(d)s/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:%(mail)s/%%n
namespace inbox {
  inbox = yes
  separator = /
}
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 65534
last_valid_uid = 65534
first_valid_gid = 65534
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%n %(users)s
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=%(mail)s/%%n
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %(port)d
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
""" % {"run": run, "d": d, "mail": mail, "users": users, "port": port})
    os.makedirs(os.path.join(d, "state"))
    subprocess.run(["dovecot", "-c", conf], check=True)
    pidfile = os.path.join(run, "master.pid")
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            with open(pidfile) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError):
            time.sleep(0.1)
    raise RuntimeError("dovecot did not come up")


def stop_dovecot(pid):
    """SIGTERM the master we started and wait (bounded) until it is gone."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def flags_of(imap, mbox):
    """(uidvalidity, uidnext, {uid: set(flags)}) as Dovecot reports them."""
    typ, _ = imap.select(mbox)
    assert typ == "OK", mbox
    uv = int(imap.untagged_responses["UIDVALIDITY"][-1])
    typ, st = imap.status(mbox if mbox != "INBOX" else "INBOX", "(UIDNEXT)")
    nxt = int(st[0].decode().rsplit("UIDNEXT", 1)[1].strip(" )"))
    typ, data = imap.uid("FETCH", "1:*", "(FLAGS)")
    out = {}
    for item in data:
        if not item:
            continue
        s = item.decode() if isinstance(item, bytes) else item[0].decode()
        uid = int(s.split("UID ")[1].split()[0].rstrip(")"))
        fl = s.split("FLAGS (")[1].split(")")[0].split()
        out[uid] = set(f for f in fl if f != "\\Recent")
    return uv, nxt, out


def imap_work(port, mail):
    """Make a mailbox history through Dovecot; what it reports at the end."""
    imap = imaplib.IMAP4("127.0.0.1", port)
    imap.login("u1", "secret")
    for i in range(8):
        fl = ["(\\Seen)", "()", "(\\Flagged $Label1)", "(\\Answered work)",
              "(\\Draft)", "(\\Seen \\Flagged)", "()", "(work $Label1)"][i]
        msg = "From: a@b\r\nSubject: m%d\r\n\r\nbody %d\r\n" % (i, i)
        typ, _ = imap.append("INBOX", fl, None, msg.encode())
        assert typ == "OK"
    imap.select("INBOX")
    # a local delivery Dovecot notices
    new = os.path.join(mail, "u1", "new",
                       "1700000000.V801I99M000001.petrel,S=20,W=21")
    with open(new, "w") as f:
        f.write("Subject: local\n\nhi\n")
    shutil.chown(new, "nobody", "nogroup")
    imap.noop()
    imap.uid("STORE", "2", "+FLAGS", "(\\Deleted)")
    imap.uid("STORE", "5", "+FLAGS", "(\\Deleted)")
    imap.expunge()
    imap.uid("STORE", "3", "-FLAGS", "($Label1)")
    imap.uid("STORE", "4", "+FLAGS", "(\\Seen urgent)")
    imap.create("Work/Sub")
    imap.create("Entw&APw-rfe")
    for i in range(3):
        imap.append("Work/Sub", "(\\Seen)", None, b"Subject: w\r\n\r\nx\r\n")
    imap.select("Work/Sub")
    imap.uid("STORE", "1", "+FLAGS", "(\\Deleted)")
    imap.expunge()
    res = {"INBOX": flags_of(imap, "INBOX"), "Work/Sub": flags_of(imap, "Work/Sub")}
    imap.logout()
    return res


def petrel_dump(root, name):
    """(uidvalidity, uidnext, {uid: set(flags and keywords)}) from mstore_tool."""
    out = subprocess.run([TOOL, "dump", root, name], capture_output=True,
                         text=True, check=True).stdout
    uv = nxt = None
    msgs = {}
    for line in out.splitlines():
        w = line.split()
        if w[0] == "UIDVALIDITY":
            uv = int(w[1])
        elif w[0] == "UIDNEXT":
            nxt = int(w[1])
        elif w[0] == "MSG":
            fl = set(x for x in w[2][len("flags="):].split(",") if x)
            fl |= set(x for x in w[3][len("kw="):].split(",") if x)
            msgs[int(w[1])] = fl
    return uv, nxt, msgs


def compare(tag, dove, root, name):
    uv, nxt, msgs = petrel_dump(root, name)
    report(uv == dove[0], "%s %s UIDVALIDITY" % (tag, name), "%s != %s" % (uv, dove[0]))
    report(nxt == dove[1], "%s %s UIDNEXT" % (tag, name), "%s != %s" % (nxt, dove[1]))
    report(sorted(msgs) == sorted(dove[2]), "%s %s UIDs" % (tag, name),
           "%s != %s" % (sorted(msgs), sorted(dove[2])))
    bad = [u for u in dove[2] if msgs.get(u) != dove[2][u]]
    report(not bad, "%s %s flags and keywords" % (tag, name),
           "; ".join("%d: %s != %s" % (u, msgs.get(u), dove[2][u]) for u in bad))


def main():
    if shutil.which("dovecot") is None or not os.access(TOOL, os.X_OK):
        report(False, "setup", "dovecot or %s missing" % TOOL)
        return 1
    d = tempfile.mkdtemp(prefix="petrel-dcimport.")
    pid = None
    try:
        port = free_port()
        pid = start_dovecot(d, port)
        dove = imap_work(port, os.path.join(d, "mail"))
        stop_dovecot(pid)
        pid = None
        root = os.path.join(d, "mail", "u1")
        report(os.path.exists(os.path.join(root, "dovecot-uidlist")),
               "dovecot wrote dovecot-uidlist")
        for tag in ("import", "own index"):
            for name in ("INBOX", "Work/Sub"):
                compare(tag, dove[name], root, name)
        lst = subprocess.run([TOOL, "list", root], capture_output=True,
                             text=True, check=True).stdout
        names = [l.split()[1] for l in lst.splitlines()]
        report("Entw\u00fcrfe" in names and "Work/Sub" in names and "Work" in names,
               "folder names decoded", repr(names))
    except Exception as e:  # a broken step is a failure, not a crash
        report(False, "run", repr(e))
    finally:
        if pid is not None:
            stop_dovecot(pid)
        shutil.rmtree(d, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
