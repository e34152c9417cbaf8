"""imap_interop.py - shared helpers for the IMAP interop scripts
(t/interop/imap_*.py): an instance with STARTTLS and implicit TLS, a
maildir filled directly (Petrel's file-name format), and the server's view
of an account through imaplib for checking a client's work.

Public (module):
  tls_instance(name, overrides=None)  a created (not started) Instance
                            with imapd STARTTLS + IMAPS (auto cert);
                            .imap_port, .imaps_port after start.
  message(i, folder="INBOX", extra=b"")  a small deterministic message
                            (bytes, LF line ends) with Message-ID
                            <i.folder@interop.test>.
  fill(inst, addr, msgs, folder=None, flags=None)  write msgs into the
                            user's new/ (or cur/ with ":2,flags") of INBOX or
                            Maildir++ folder ".folder", as local delivery
                            names them (<sec>.V..I..M...<host>,S=,W=).
  login(inst, addr, pw, tls="starttls"|"imaps"|None)  a logged-in imaplib
                            connection.
  snapshot(conn, folders=None)  {folder: {"uidvalidity": n, "msgs":
                            {message-id: (uid, frozenset(flags))}}} read with
                            UID FETCH (FLAGS BODY.PEEK[HEADER.FIELDS
                            (MESSAGE-ID)]); also counts duplicates under
                            key "dups".
  run(cmd, timeout, env=None, stdin=None)  (rc, output text), never raises.
  maildir_ids(path)         {message-id: flags string} of a client-side
                            maildir (new/ and cur/).
Security notes: test code, runs as root; files written into a user's
maildir are chowned to petrel-vmail as delivery would leave them.
"""
import imaplib
import os
import pwd
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import petrel_inst  # noqa: E402

TLS_OVERRIDES = {"imapd_imaps_listen": "auto", "imapd_tls_cert_file": "auto",
                 "imapd_tls_key_file": "auto"}
MSGID_RE = re.compile(rb"^message-id:\s*<([^>]*)>", re.I | re.M)
_seq = [0]


def tls_instance(name, overrides=None):
    """A created (not yet started) instance with STARTTLS and IMAPS."""
    ov = dict(TLS_OVERRIDES)
    ov.update(overrides or {})
    inst = petrel_inst.Instance(ov, name=name)
    inst.create()
    return inst


def message(i, folder="INBOX", extra=b""):
    """A small deterministic message, LF line ends."""
    return (b"From: Sender %d <s%d@example.org>\n"
            b"To: user@example.test\n"
            b"Subject: message %d in %s\n"
            b"Date: Mon, 01 Jan 2024 10:%02d:%02d +0000\n"
            b"Message-ID: <%d.%s@interop.test>\n\n"
            b"Body of message %d.\n" % (
                i, i, i, folder.encode(), (i // 60) % 60, i % 60, i,
                folder.encode(), i)) + extra


def _wsize(m):
    """The CRLF size of an LF message (the ,W= field)."""
    return len(m) + m.count(b"\n")


def fill(inst, addr, msgs, folder=None, flags=None):
    """Write msgs into addr's maildir (folder ".folder" when given); with
    flags (a string, maybe empty) into cur/ with ":2,<flags>"."""
    root = inst.setup_maildir(addr)
    vm = pwd.getpwnam("petrel-vmail")
    if folder:
        root = os.path.join(root, "." + folder.replace("/", "."))
        for d in (root,) + tuple(os.path.join(root, s)
                                 for s in ("tmp", "new", "cur")):
            if not os.path.isdir(d):
                os.mkdir(d, 0o700)
                os.chown(d, vm.pw_uid, vm.pw_gid)
        open(os.path.join(root, "maildirfolder"), "a").close()
        os.chown(os.path.join(root, "maildirfolder"), vm.pw_uid, vm.pw_gid)
    sub = "new" if flags is None else "cur"
    now = int(time.time()) - 3600
    for m in msgs:
        _seq[0] += 1
        n = _seq[0]
        name = "%d.V801I%dM%06d.mail.example.test,S=%d,W=%d" % (
            now, 100000 + n, n % 1000000, len(m), _wsize(m))
        if flags is not None:
            name += ":2," + "".join(sorted(flags))
        path = os.path.join(root, sub, name)
        with open(path, "wb") as f:
            f.write(m)
        os.chown(path, vm.pw_uid, vm.pw_gid)
        os.utime(path, (now, now))
    return root


def login(inst, addr, pw, tls="starttls", timeout=30):
    """A logged-in imaplib connection (tls: starttls, imaps or None)."""
    ctx = petrel_inst.tls_unverified()
    if tls == "imaps":
        c = imaplib.IMAP4_SSL("127.0.0.1", inst.imaps_port, ssl_context=ctx,
                              timeout=timeout)
    else:
        c = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=timeout)
        if tls == "starttls":
            c.starttls(ssl_context=ctx)
    c.login(addr, pw)
    return c


def list_folders(conn):
    """Folder names from LIST "" "*" (quoted or atom, as imaplib gives)."""
    typ, data = conn.list()
    out = []
    for line in data or []:
        if not line:
            continue
        m = re.match(rb'\(([^)]*)\) (?:"."|NIL) (.*)$', line)
        if not m:
            continue
        name = m.group(2)
        if name.startswith(b'"'):
            name = name[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
        out.append(name.decode())
    return sorted(out)


def _quote(name):
    """An IMAP quoted string for a mailbox name."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def snapshot(conn, folders=None):
    """The server's view: folder -> uidvalidity, message-id -> (uid, flags),
    dups (count of repeated message-ids)."""
    out = {}
    for f in folders if folders is not None else list_folders(conn):
        typ, _ = conn.select(_quote(f), readonly=True)
        if typ != "OK":
            out[f] = None
            continue
        uv = int(conn.untagged_responses.get("UIDVALIDITY", [b"0"])[-1])
        typ, data = conn.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK"
                             "[HEADER.FIELDS (MESSAGE-ID)])")
        msgs, dups = {}, 0
        for item in data or []:
            if not isinstance(item, tuple):
                continue
            uid = int(re.search(rb"UID (\d+)", item[0]).group(1))
            fl = re.search(rb"FLAGS \(([^)]*)\)", item[0])
            flags = frozenset(fl.group(1).decode().split()) if fl else None
            mid = MSGID_RE.search(item[1])
            key = mid.group(1).decode() if mid else "uid%d" % uid
            if key in msgs:
                dups += 1
            msgs[key] = (uid, flags)
        out[f] = {"uidvalidity": uv, "msgs": msgs, "dups": dups}
        conn.close()
    return out


def maildir_ids(path):
    """{message-id: flags after ':2,'} of a maildir's new/ and cur/ (a
    message-id seen twice gets the key suffixed with '#dup')."""
    out = {}
    for sub in ("new", "cur"):
        d = os.path.join(path, sub)
        if not os.path.isdir(d):
            continue
        for n in os.listdir(d):
            with open(os.path.join(d, n), "rb") as f:
                head = f.read(4096)
            m = MSGID_RE.search(head)
            key = m.group(1).decode() if m else n
            while key in out:
                key += "#dup"
            out[key] = n.split(":2,", 1)[1] if ":2," in n else ""
    return out


def run(cmd, timeout=60, env=None, stdin=None, cwd=None):
    """Run a client; (rc, output text), never raises."""
    try:
        p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout,
                           env=env, cwd=cwd)
    except (OSError, subprocess.TimeoutExpired) as e:
        return 127, "%s: %s" % (cmd[0], e)
    return p.returncode, p.stdout.decode("utf-8", "replace")
