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
  idle_client(inst, argv, log_path, ready_re, addr, msg, received,
              msgid, stop=signal.SIGTERM, env=None)
                            start a client that waits in IDLE (output to
                            log_path), wait until its log matches ready_re
                            (it is idling), send msg by SMTP to addr, wait
                            until received() (a {message-id: bytes} dict)
                            holds msgid and the log shows the client idle
                            again (it has written down what it fetched);
                            stop the client; (bytes received
                            or None, the log's text).  Bounded: 30 s to
                            idle, 20 s for the message, 10 s to stop.
  maildir_ids(path)         {message-id: flags string} of a client-side
                            maildir (new/ and cur/).
  local_view(root, name=None)  {folder: {message-id: frozenset(flags)}}
                            of every maildir below root (name(rel) maps
                            a directory to its IMAP folder name).
  server_view(snap)         the same from a snapshot (no \\Recent).
  view_diff(a, b)           how two views differ, "" when equal.
  Raw(port, tls=None)       a byte-exact IMAP client on a socket:
                            .login(addr, pw); .cmd(text, literals=()) ->
                            (untagged responses, tagged line); each
                            response is a Resp with .line (bytes, literals
                            replaced by "{n}") and .lits (their bytes, read
                            by exactly the announced count); .send(bytes),
                            .read_resp(timeout); .close().
Security notes: test code, runs as root; files written into a user's
maildir are chowned to petrel-vmail as delivery would leave them.
"""
import imaplib
import os
import socket
import pwd
import re
import signal
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
    """The size with CRLF line ends (the ,W= field): one more byte for
    every LF without a CR before it."""
    return len(m) + len(re.findall(rb"(?<!\r)\n", m))


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
        # tmp/ then rename, as delivery does: a running server may move
        # the file from new/ to cur/ the moment it appears
        tmp = os.path.join(root, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(m)
        os.chown(tmp, vm.pw_uid, vm.pw_gid)
        os.utime(tmp, (now, now))
        os.rename(tmp, os.path.join(root, sub, name))
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


FLAGMAP = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered",
           "S": "\\Seen", "T": "\\Deleted"}


def local_view(root, name=None):
    """{folder: {message-id: frozenset(flags)}} of the maildirs below root;
    name maps a relative directory path to the IMAP name."""
    out = {}
    for d, dirs, _files in os.walk(root):
        if "cur" in dirs and "new" in dirs:
            rel = os.path.relpath(d, root)
            ids = maildir_ids(d)
            out[name(rel) if name else rel] = {
                k: frozenset(FLAGMAP[c] for c in v if c in FLAGMAP)
                for k, v in ids.items()}
    return out


def server_view(snap):
    """{folder: {message-id: frozenset(flags)}} of a snapshot, without
    \\Recent (a session attribute clients do not keep)."""
    return {f: {k: frozenset(x for x in fl if x != "\\Recent")
                for k, (_u, fl) in v["msgs"].items()}
            for f, v in snap.items() if v is not None}


def view_diff(a, b):
    """A short description of how two views differ ('' when equal)."""
    out = []
    for f in sorted(set(a) | set(b)):
        if f not in a or f not in b:
            out.append("folder %s only in %s" % (f, "first" if f in a
                                                  else "second"))
            continue
        for k in sorted(set(a[f]) | set(b[f])):
            if a[f].get(k) != b[f].get(k):
                out.append("%s/%s: %s vs %s" % (
                    f, k, sorted(a[f].get(k) or ["-"]),
                    sorted(b[f].get(k) or ["-"])))
    return "; ".join(out[:6]) + (" (+%d)" % (len(out) - 6)
                                 if len(out) > 6 else "")


def run(cmd, timeout=60, env=None, stdin=None, cwd=None):
    """Run a client; (rc, output text), never raises."""
    try:
        p = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout,
                           env=env, cwd=cwd)
    except (OSError, subprocess.TimeoutExpired) as e:
        return 127, "%s: %s" % (cmd[0], e)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def _text(path):
    """The text of a client's log file."""
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def idle_client(inst, argv, log_path, ready_re, addr, msg, received, msgid,
                stop=signal.SIGTERM, env=None):
    """Mail sent while a client idles reaches it (see the module doc)."""
    log = open(log_path, "wb")
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    got = None
    try:
        deadline = time.time() + 30
        while time.time() < deadline and p.poll() is None and \
                not re.search(ready_re, _text(log_path)):
            time.sleep(0.1)
        idles = len(re.findall(ready_re, _text(log_path)))
        inst.submit("s@example.org", [addr], msg,
                    mail_options=["BODY=8BITMIME"])
        deadline = time.time() + 20
        while time.time() < deadline and got is None:
            got = received().get(msgid)
            if got is None:
                time.sleep(0.2)
        # the client writes down what it retrieved before it idles again:
        # stopping it earlier makes its next run fetch the message twice
        deadline = time.time() + 10
        while got is not None and time.time() < deadline and \
                p.poll() is None and \
                len(re.findall(ready_re, _text(log_path))) <= idles:
            time.sleep(0.1)
    finally:
        p.send_signal(stop)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()
    return got, _text(log_path)


class Resp:
    """One server response: the text with literals as {n}, and the
    literals' bytes."""

    def __init__(self, line, lits):
        self.line = line
        self.lits = lits

    def __repr__(self):
        return "Resp(%r, %d literals)" % (self.line[:120], len(self.lits))


class Raw:
    """A minimal IMAP client that reads literals by their exact count."""

    def __init__(self, port, tls=None, timeout=15):
        self.sock = socket.create_connection(("127.0.0.1", port),
                                             timeout=timeout)
        if tls == "imaps":
            self.sock = petrel_inst.tls_unverified().wrap_socket(
                self.sock, server_hostname="localhost")
        self.buf = b""
        self.tag = 0
        self.greeting = self.read_resp()

    def _fill(self):
        """Read more bytes; raise EOFError when the server closed."""
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += data

    def _line(self):
        """One CRLF-terminated line (without CRLF)."""
        while b"\r\n" not in self.buf:
            self._fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def _bytes(self, n):
        """Exactly n bytes."""
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_resp(self, timeout=None):
        """One complete response (literals read by their counts)."""
        if timeout is not None:
            self.sock.settimeout(timeout)
        text, lits = b"", []
        while True:
            line = self._line()
            text += line
            m = re.search(rb"\{(\d+)\+?\}$", line)
            if not m:
                return Resp(text, lits)
            lits.append(self._bytes(int(m.group(1))))

    def send(self, data):
        """Send raw bytes."""
        self.sock.sendall(data)

    def cmd(self, text, literals=()):
        """Send one tagged command (text may be str or bytes; each
        literal is appended as a synchronising {n} literal after the
        text, waiting for "+"); (untagged, tagged Resp)."""
        self.tag += 1
        tag = b"t%d" % self.tag
        if isinstance(text, str):
            text = text.encode()
        out = tag + b" " + text
        untagged = []
        for lit in literals:
            self.send(out + b" {%d}\r\n" % len(lit))
            r = self.read_resp()
            if not r.line.startswith(b"+"):
                return untagged, r
            out = lit
        self.send(out + b"\r\n")
        while True:
            r = self.read_resp()
            if r.line.startswith(tag + b" "):
                return untagged, r
            untagged.append(r)

    def login(self, addr, pw):
        """LOGIN; the tagged response."""
        return self.cmd('LOGIN "%s" "%s"' % (addr, pw))[1]

    def close(self):
        """Close the socket."""
        try:
            self.sock.close()
        except OSError:
            pass
