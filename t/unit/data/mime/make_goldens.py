#!/usr/bin/env python3
"""make_goldens.py - golden ENVELOPE, BODY and BODYSTRUCTURE responses for
the MIME corpus in this folder (*.eml), taken from a real Dovecot.

A private Dovecot (Debian's dovecot-imapd) runs on a free 127.0.0.1 port
with its own configuration under a temporary directory: ssl = no, one
passwd-file user with a {PLAIN} password, mail_location = maildir in the
same directory.  The corpus is copied into the maildir's cur/ as is (LF
or CRLF line ends kept), each message is matched to its UID by fetching
BODY.PEEK[] (which Dovecot sends with CRLF line ends), and for each one the exact bytes Dovecot sends after
"ENVELOPE ", "BODY " and "BODYSTRUCTURE " are written to <name>.envelope,
<name>.body and <name>.bodystructure.  Dovecot is stopped by its pid.

Not run by make test (it needs root and Dovecot); run it by hand after
changing the corpus:  sudo python3 t/unit/data/mime/make_goldens.py
"""
import glob
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
USER, PASSWORD = "petrel", "goldens"
ITEMS = ("ENVELOPE", "BODY", "BODYSTRUCTURE")

CONF = """base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{d}/Maildir
first_valid_uid = 1
default_internal_user = dovecot
default_login_user = dovenull
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(d, port):
    """Write the configuration and maildir under d; start Dovecot."""
    nobody = pwd.getpwnam("nobody")
    for sub in ("run", "state", "home", "Maildir/cur", "Maildir/new",
                "Maildir/tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    conf = os.path.join(d, "dovecot.conf")
    with open(conf, "w") as f:
        f.write(CONF.format(d=d, port=port, uid=nobody.pw_uid,
                            gid=nobody.pw_gid))
    with open(os.path.join(d, "passwd"), "w") as f:
        f.write("%s:{PLAIN}%s::::::\n" % (USER, PASSWORD))
    names = sorted(glob.glob(os.path.join(HERE, "*.eml")))
    for i, path in enumerate(names, 1):
        dst = os.path.join(d, "Maildir", "cur",
                           "%d.M%dP1.petrel:2,S" % (1000000 + i, i))
        shutil.copyfile(path, dst)
    for root, dirs, files in os.walk(os.path.join(d, "Maildir")):
        for n in dirs + files:
            os.chown(os.path.join(root, n), nobody.pw_uid, nobody.pw_gid)
    os.chown(os.path.join(d, "Maildir"), nobody.pw_uid, nobody.pw_gid)
    os.chown(os.path.join(d, "home"), nobody.pw_uid, nobody.pw_gid)
    subprocess.run(["dovecot", "-c", conf], check=True)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            break
        except OSError:
            time.sleep(0.1)
    return names


def stop(d):
    """Stop our Dovecot by the pid it wrote."""
    try:
        with open(os.path.join(d, "run", "master.pid")) as f:
            pid = int(f.read().strip())
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            os.kill(pid, 0)
            time.sleep(0.1)
    except (OSError, ValueError):
        pass


def wire(data):
    """The response bytes as sent: literals put back after their {n}."""
    out = b""
    for item in data:
        if isinstance(item, tuple):
            out += item[0] + b"\r\n" + item[1]
        elif item is not None:
            out += item
    return out


def item_value(resp, name):
    """The value after 'NAME ' in a FETCH response: a parenthesised list
    with quoted strings and {n} literals, exactly as sent."""
    i = resp.index(b" " + name.encode() + b" (") + len(name) + 2
    start, depth = i, 0
    while True:
        c = resp[i:i + 1]
        if c == b'"':
            i += 1
            while resp[i:i + 1] != b'"':
                i += 2 if resp[i:i + 1] == b"\\" else 1
        elif c == b"{":
            j = resp.index(b"}", i)
            n = int(resp[i + 1:j])
            i = j + 2 + n
            continue
        elif c == b"(":
            depth += 1
        elif c == b")":
            depth -= 1
            if depth == 0:
                return resp[start:i + 1]
        i += 1


def main():
    d = tempfile.mkdtemp(prefix="petrel-dovecot-")
    os.chmod(d, 0o755)
    port = free_port()
    try:
        names = start(d, port)
        c = imaplib.IMAP4("127.0.0.1", port)
        c.login(USER, PASSWORD)
        c.select("INBOX", readonly=True)
        typ, data = c.uid("FETCH", "1:*", "(BODY.PEEK[])")
        by_content = {}
        for item in data:
            if isinstance(item, tuple):
                uid = item[0].split(b"UID ")[1].split()[0].decode()
                by_content[item[1].replace(b"\r\n", b"\n")] = uid
        for path in names:
            with open(path, "rb") as f:
                uid = by_content[f.read().replace(b"\r\n", b"\n")]
            base = path[:-len(".eml")]
            for name in ITEMS:
                typ, data = c.uid("FETCH", uid, "(%s)" % name)
                with open(base + "." + name.lower(), "wb") as f:
                    f.write(item_value(wire(data), name))
            print("%s: uid %s" % (os.path.basename(path), uid))
        c.logout()
    finally:
        stop(d)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
