"""petrel_inst.py - private Petrel instances for the Python/sh/Expect tests.

Public (module):
  Instance(overrides=None, name="t")  a temp dir /tmp/petrel-<name>.XXXX
      (mode 0755) with conf/petrel.conf on free loopback ports.
      .create()  writes the config, runs "etc/petrel -f conf setup" (users,
                 spool); .start() starts every daemon and waits (bounded)
                 until SMTP and POP3 accept; .stop() stops them and sweeps
                 any process of THIS instance (pid files, their children,
                 processes whose command line names this instance's conf);
                 .cleanup() = stop + rm -rf.  Context manager: create,
                 start on enter; cleanup on exit.
      .add_user(addr, pw), .set_aliases(text), .maildir(addr, sub="new"),
      .messages(addr), .wait_messages(addr, n, timeout), .queue_files(),
      .wait_queue_empty(timeout), .daemon_pid(name), .children(pid),
      .kill_daemon(name, sig), .log()
  Reporter(suite)  .ok(case) .bad(case, why) .check(cond, case, why)
      prints "PASS: <suite>: <case>" / "FAIL: <suite>: <case> (<why>)";
      .exit_code() is 1 when anything failed.
  free_port()      a port that was free on 127.0.0.1 a moment ago.
  strip_added(msg) drop the Return-Path/Delivered-To/Received/X-Original-To
                   headers that delivery and retrieval add at the top.
  submit(port, sender, rcpts, msg, ...)  send one message with smtplib;
                   (queue_id, "") or ("", why).  Also Instance.submit().
  Instance.wait_log(regex, timeout)  the first maillog match (bounded wait);
  Instance.log_lines(substr)  maillog lines containing substr.
  write_queue_file(path, arrival, sender, rcpts, body, attrs, complete)
                   a queue file in the qfile.h record format (tests that
                   build a spool by hand, e.g. the mailq golden files).
CLI (for Tcl/sh): python3 petrel_inst.py create [name=value ...]  -> prints dir
  start DIR | stop DIR | cleanup DIR | adduser DIR ADDR PW | aliases DIR FILE
  | maildir DIR ADDR | queue-count DIR | wait-queue-empty DIR SECS
  | wait-messages DIR ADDR N SECS | setup-maildir DIR ADDR
  | port DIR smtp|pop3|submission|smtps
Overrides may say "auto" for smtpd_submission_listen, smtpd_smtps_listen
(a free port; .submission_port/.smtps_port) and smtpd_tls_cert_file,
smtpd_tls_key_file (files in conf/, made by petrel-smtpd at first start).
The instance directory keeps a file "ports" (smtp pop3) and "overrides".
Security notes: runs as root (the daemons drop privileges themselves); it
only ever signals processes that belong to the instance it created.
"""
import email
import email.policy
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("PETREL_TOP") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("PETREL_BIN") or os.path.join(TOP, "build", "bin")
CTL = os.path.join(TOP, "etc", "petrel")
# "smtp" (petrel-smtp, remote delivery) joins the default set once it is
# built, so that suites keep running while it does not exist yet.
# "auth" (petrel-auth, the password service) comes first: smtpd and pop3d
# ask it for every login.
DAEMONS = os.environ.get("PETREL_DAEMONS", "auth inject qmgr local smtpd pop3d" + (
    " smtp" if os.path.exists(os.path.join(BIN, "petrel-smtp")) else "") + (
    " imapd" if os.path.exists(os.path.join(BIN, "petrel-imapd")) else "")
).split()
USERS = ["petrel-smtpd", "petrel-inject", "petrel-queue", "petrel-remote",
         "petrel-vmail", "petrel-login", "petrel-auth"]
ADDED_HEADERS = (b"return-path:", b"delivered-to:", b"received:",
                 b"x-original-to:")


def tls_unverified():
    """A client TLS context that accepts any (self-signed test)
    certificate: the tests check what a server presents, not a CA."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def dsn_status_groups(rep):
    """(per-message fields, [per-recipient field dicts]) of a parsed
    multipart/report (Instance.reports)."""
    part = [p for p in rep.iter_parts()
            if p.get_content_type() == "message/delivery-status"][0]
    groups = [dict(g.items()) for g in part.get_payload()]
    return groups[0], groups[1:]


def free_port():
    """Return a TCP port that was free on 127.0.0.1 a moment ago."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def strip_added(msg):
    """Remove delivery/retrieval headers (and their continuations) at the top."""
    lines = msg.splitlines(keepends=True)
    i = 0
    while i < len(lines) and lines[i].lower().startswith(ADDED_HEADERS):
        i += 1
        while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
            i += 1
    return b"".join(lines[i:])


def submit(port, sender, rcpts, msg, helo="client.petrel.test",
           mail_options=(), timeout=20, host="127.0.0.1"):
    """Send one message over SMTP; (queue_id, "") or ("", why)."""
    import re
    import smtplib
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as s:
            s.ehlo(helo)
            code, text = s.mail(sender, list(mail_options))
            if code != 250:
                return "", "MAIL %d %r" % (code, text)
            for r in rcpts:
                code, text = s.rcpt(r)
                if code not in (250, 251):
                    return "", "RCPT %s %d %r" % (r, code, text)
            code, text = s.data(msg)
            if code != 250:
                return "", "DATA %d %r" % (code, text)
            m = re.search(rb"queued as ([0-9A-Za-z]+)", text)
            return (m.group(1).decode() if m else "?"), ""
    except (smtplib.SMTPException, OSError) as e:
        return "", repr(e)


class Reporter:
    """PASS/FAIL lines for one suite."""

    def __init__(self, suite):
        self.suite = suite
        self.failed = 0
        self.passed = 0

    def ok(self, case):
        self.passed += 1
        print("PASS: %s: %s" % (self.suite, case), flush=True)

    def bad(self, case, why):
        self.failed += 1
        why = str(why).replace("\n", " ")[:300]
        print("FAIL: %s: %s (%s)" % (self.suite, case, why), flush=True)

    def check(self, cond, case, why="check failed"):
        if cond:
            self.ok(case)
        else:
            self.bad(case, why)
        return bool(cond)

    def exit_code(self):
        return 1 if self.failed else 0


def _run(cmd, check=False, timeout=60, env=None):
    """Run a command, return (rc, output) and never raise on failure."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        if check:
            raise RuntimeError("%s: %s" % (" ".join(cmd), e))
        return 127, str(e)
    out = p.stdout.decode("utf-8", "replace")
    if check and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), p.returncode,
                                               out.strip()[-500:]))
    return p.returncode, out


def _ensure_users():
    """Fallback when the control script cannot set up: create the users."""
    if _run(["getent", "group", "petrel-spool"])[0] != 0:
        _run(["groupadd", "-r", "petrel-spool"])
    for u in USERS:
        if _run(["id", "-u", u])[0] == 0:
            continue
        extra = ["-G", "petrel-spool"] if u in ("petrel-inject",
                                                 "petrel-queue") else []
        _run(["useradd", "-r", "-M", "-d", "/nonexistent", "-s",
              "/usr/sbin/nologin"] + extra + [u])


class Instance:
    """One private Petrel installation in a temporary directory."""

    def __init__(self, overrides=None, name="t", dirname=None):
        self.overrides = dict(overrides or {})
        self.name = name
        self.dir = dirname
        self.started = False
        if dirname:
            self._load()

    # --- layout -------------------------------------------------------
    @property
    def conf(self):
        return os.path.join(self.dir, "conf", "petrel.conf")

    @property
    def spool(self):
        """queue_directory: <dir>/spool unless an override moved it (e.g.
        onto a small loop-mounted filesystem, t/interop/disk_full.py)."""
        return self.overrides.get("queue_directory") or os.path.join(
            self.dir, "spool")

    @property
    def mail_base(self):
        """virtual_mailbox_base: <dir>/mail unless overridden."""
        return self.overrides.get("virtual_mailbox_base") or os.path.join(
            self.dir, "mail")

    def _load(self):
        with open(os.path.join(self.dir, "ports")) as f:
            self.smtp_port, self.pop3_port = [int(x) for x in f.read().split()]
        self._load_extra()

    # Overrides with the value "auto" (issue 4): smtpd_submission_listen and
    # smtpd_smtps_listen get a free loopback port (kept in the file
    # "ports_extra" as "submission N" / "smtps N" lines, and in
    # .submission_port / .smtps_port); smtpd_tls_cert_file and
    # smtpd_tls_key_file become conf/smtpd-cert.pem and conf/smtpd-key.pem,
    # which petrel-smtpd creates (self-signed) at its first start.
    def _auto_overrides(self, d):
        """Replace "auto" override values (see above)."""
        self.submission_port = self.smtps_port = self.pop3s_port = None
        self.imap_port = self.imaps_port = None
        taken = {self.smtp_port, self.pop3_port}
        extra = []
        for key, role in (("smtpd_submission_listen", "submission"),
                          ("smtpd_smtps_listen", "smtps"),
                          ("pop3d_pop3s_listen", "pop3s"),
                          ("imapd_listen", "imap"),
                          ("imapd_imaps_listen", "imaps")):
            if self.overrides.get(key) != "auto":
                continue
            port = free_port()
            while port in taken:
                port = free_port()
            taken.add(port)
            self.overrides[key] = "127.0.0.1:%d" % port
            setattr(self, role + "_port", port)
            extra.append("%s %d\n" % (role, port))
        for key, name in (("smtpd_tls_cert_file", "smtpd-cert.pem"),
                          ("smtpd_tls_key_file", "smtpd-key.pem"),
                          ("pop3d_tls_cert_file", "pop3d-cert.pem"),
                          ("pop3d_tls_key_file", "pop3d-key.pem"),
                          ("imapd_tls_cert_file", "imapd-cert.pem"),
                          ("imapd_tls_key_file", "imapd-key.pem")):
            if self.overrides.get(key) == "auto":
                self.overrides[key] = os.path.join(d, "conf", name)
        with open(os.path.join(d, "ports_extra"), "w") as f:
            f.write("".join(extra))

    def _load_extra(self):
        """Read ports_extra (submission/smtps/imap ports), when present."""
        self.submission_port = self.smtps_port = self.pop3s_port = None
        self.imap_port = self.imaps_port = None
        try:
            with open(os.path.join(self.dir, "ports_extra")) as f:
                for line in f:
                    role, port = line.split()
                    setattr(self, role + "_port", int(port))
        except (OSError, ValueError):
            pass

    def create(self):
        """Write the configuration and set up users and spool."""
        _cleanup_on_term()
        self.dir = tempfile.mkdtemp(prefix="petrel-%s." % self.name, dir="/tmp")
        os.chmod(self.dir, 0o755)
        os.mkdir(os.path.join(self.dir, "conf"), 0o755)
        self.smtp_port = free_port()
        self.pop3_port = free_port()
        while self.pop3_port == self.smtp_port:
            self.pop3_port = free_port()
        with open(os.path.join(self.dir, "ports"), "w") as f:
            f.write("%d %d\n" % (self.smtp_port, self.pop3_port))
        d = self.dir
        conf = [
            ("queue_directory", d + "/spool"),
            ("virtual_mailbox_base", d + "/mail"),
            ("config_directory", d + "/conf"),
            ("daemon_directory", BIN),
            ("maillog_file", d + "/maillog"),
            ("myhostname", "mail.example.test"),
            ("mydomain", "example.test"),
            ("mydestination", "localhost"),
            ("virtual_mailbox_domains", "example.test"),
            ("virtual_mailbox_maps", "hash:$config_directory/vmailbox"),
            ("alias_maps", "hash:$config_directory/aliases"),
            ("alias_database", "hash:$config_directory/aliases"),
            ("user_password_maps", "hash:$config_directory/passwd"),
            ("smtpd_listen", "127.0.0.1:%d" % self.smtp_port),
            ("pop3d_listen", "127.0.0.1:%d" % self.pop3_port),
            # pop3d refuses clear-text passwords before TLS by default;
            # the suites log in over loopback (pop3 tests override this)
            ("pop3d_plaintext_auth_networks", "127.0.0.0/8 [::1]/128"),
            ("imapd_plaintext_auth_networks", "127.0.0.0/8 [::1]/128"),
        ]
        if "imapd" in DAEMONS:
            self.overrides.setdefault("imapd_listen", "auto")
        self._auto_overrides(d)
        keys = [k for k, _ in conf]
        for k, v in self.overrides.items():
            if k in keys:
                conf[keys.index(k)] = (k, v)
            else:
                conf.append((k, v))
        with open(self.conf, "w") as f:
            for k, v in conf:
                f.write("%s = %s\n" % (k, v))
        # the maillog must be writable by every daemon user
        open(os.path.join(d, "maillog"), "a").close()
        os.chmod(os.path.join(d, "maillog"), 0o666)
        for name in ("aliases",):
            with open(os.path.join(d, "conf", name), "w") as f:
                f.write("postmaster: root@localhost\n")
        self.setup()
        return self

    def setup(self):
        """Create the users and the spool through the control script."""
        rc, out = (127, "no control script")
        if os.access(CTL, os.X_OK) or os.path.exists(CTL):
            rc, out = _run(["sh", CTL, "-f", self.conf, "setup"])
        if rc != 0:
            sys.stderr.write("petrel_inst: setup: %s\n" % out.strip()[-300:])
            _ensure_users()
        mail = self.mail_base
        if not os.path.isdir(mail):
            import pwd
            os.mkdir(mail, 0o755)
            vm = pwd.getpwnam("petrel-vmail")
            os.chown(mail, vm.pw_uid, vm.pw_gid)
        _run([os.path.join(BIN, "petrel-map"), "-f", self.conf, "-a"])

    def reconfigure(self, settings, settle=1.0):
        """Append "name = value" lines to petrel.conf and run `petrel
        reload`; wait settle seconds for the recycled workers.  (rc, out)
        of the reload."""
        with open(self.conf, "a") as f:
            for k, v in settings.items():
                f.write("%s = %s\n" % (k, v))
        rc, out = self.ctl("reload")
        time.sleep(settle)
        return rc, out

    def add_user(self, addr, pw):
        """Add a virtual user (passwd + vmailbox, maps rebuilt)."""
        _run([os.path.join(BIN, "petrel-user"), "-f", self.conf, "add", addr,
              pw], check=True)

    def set_aliases(self, text):
        """Replace the aliases source and rebuild the alias map."""
        with open(os.path.join(self.dir, "conf", "aliases"), "w") as f:
            f.write(text)
        _run([os.path.join(BIN, "petrel-map"), "-f", self.conf, "-a"],
             check=True)

    # --- processes ----------------------------------------------------
    def daemon_pid(self, name):
        """The parent pid from pid/<name>.pid, or None."""
        try:
            with open(os.path.join(self.spool, "pid", name + ".pid")) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if _alive(pid) else None

    def children(self, pid):
        """Direct children of pid."""
        kids = []
        for p in _all_pids():
            st = _status(p)
            if st.get("PPid") == str(pid):
                kids.append(p)
        return kids

    def own_pids(self):
        """Every live process that belongs to this instance."""
        mine = set()
        for name in DAEMONS:
            pid = self.daemon_pid(name)
            if pid:
                mine.add(pid)
        tag = self.dir.encode()
        for p in _all_pids():
            try:
                with open("/proc/%d/cmdline" % p, "rb") as f:
                    if tag in f.read():
                        mine.add(p)
            except OSError:
                pass
        more = True
        while more:
            more = False
            for p in _all_pids():
                if p not in mine and _ppid(p) in mine:
                    mine.add(p)
                    more = True
        mine.discard(os.getpid())
        return mine

    def kill_daemon(self, name, sig=signal.SIGKILL):
        """Signal one daemon's parent; True if there was one."""
        pid = self.daemon_pid(name)
        if not pid:
            return False
        try:
            os.kill(pid, sig)
        except OSError:
            return False
        return True

    def ctl(self, action, timeout=60):
        """Run the control script; fall back to starting daemons directly."""
        if os.path.exists(CTL):
            return _run(["sh", CTL, "-f", self.conf, action], timeout=timeout)
        if action == "start":
            for name in DAEMONS:
                if not self.daemon_pid(name):
                    _run([os.path.join(BIN, "petrel-" + name), "-f", self.conf])
            return 0, ""
        if action == "stop":
            for name in DAEMONS:
                self.kill_daemon(name, signal.SIGTERM)
            return 0, ""
        return 1, "no control script"

    def start(self, timeout=20):
        """Start every daemon not running and wait until the ports answer."""
        rc, out = self.ctl("start")
        self.started = True
        deadline = time.time() + timeout
        while time.time() < deadline:
            if ((self._port_up(self.smtp_port) or "smtpd" not in DAEMONS)
                    and (self._port_up(self.pop3_port) or "pop3d" not in DAEMONS)
                    and (not self.imap_port or "imapd" not in DAEMONS
                         or self._port_up(self.imap_port))
                    and all(self.daemon_pid(n) for n in DAEMONS)):
                return True
            time.sleep(0.1)
        missing = [n for n in DAEMONS if not self.daemon_pid(n)]
        raise RuntimeError("instance did not come up (start rc=%d %s; "
                           "missing: %s)" % (rc, out.strip()[-200:], missing))

    @staticmethod
    def _port_up(port):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            return False
        s.close()
        return True

    def stop(self):
        """Stop this instance's processes: gently, then by force."""
        if not self.dir:
            return
        self.ctl("stop", timeout=20)
        deadline = time.time() + 5
        while time.time() < deadline and self.own_pids():
            time.sleep(0.1)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = self.own_pids()
            for p in pids:
                try:
                    os.kill(p, sig)
                except OSError:
                    pass
            if pids:
                time.sleep(0.5)
        self.started = False

    def cleanup(self):
        """Stop and remove the instance unless PETREL_KEEP is set."""
        self.stop()
        if self.dir and not os.environ.get("PETREL_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        if not self.dir:
            self.create()
        self.start()
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False

    # --- mail and queue -----------------------------------------------
    def maildir(self, addr, sub="new"):
        """The maildir sub-directory of a virtual user."""
        local, domain = addr.split("@", 1)
        return os.path.join(self.mail_base, domain, local, sub)

    def messages(self, addr):
        """Contents of every message in new/ and cur/ of a user."""
        out = []
        for sub in ("new", "cur"):
            d = self.maildir(addr, sub)
            try:
                names = sorted(os.listdir(d))
            except OSError:
                continue
            for n in names:
                try:
                    with open(os.path.join(d, n), "rb") as f:
                        out.append(f.read())
                except OSError:
                    pass
        return out

    def reports(self, addr):
        """Parsed multipart/report messages (DSNs) in addr's maildir."""
        out = []
        for raw in self.messages(addr):
            m = email.message_from_bytes(raw, policy=email.policy.default)
            if m.get_content_type() == "multipart/report":
                out.append(m)
        return out

    def wait_reports(self, addr, n, timeout=20):
        """Wait (bounded) until addr has n reports; the list."""
        deadline = time.time() + timeout
        while True:
            got = self.reports(addr)
            if len(got) >= n or time.time() >= deadline:
                return got
            time.sleep(0.2)

    def wait_messages(self, addr, n, timeout=20):
        """Wait (bounded) until a user has at least n messages."""
        deadline = time.time() + timeout
        while True:
            msgs = self.messages(addr)
            if len(msgs) >= n or time.time() >= deadline:
                return msgs
            time.sleep(0.1)

    def queue_files(self):
        """Files in the queue areas that hold messages."""
        found = []
        for area in ("incoming", "active", "deferred"):
            for root, _dirs, files in os.walk(os.path.join(self.spool, area)):
                found.extend(os.path.join(root, f) for f in files)
        return found

    def wait_queue_empty(self, timeout=60):
        """Wait (bounded) for an empty queue; True when it emptied."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.queue_files():
                return True
            time.sleep(0.2)
        return not self.queue_files()

    def log(self):
        """The instance's maillog text."""
        try:
            with open(os.path.join(self.dir, "maillog"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def submit(self, sender, rcpts, msg, **kw):
        """Send one message to this instance's smtpd (see submit())."""
        return submit(self.smtp_port, sender, rcpts, msg, **kw)

    def log_lines(self, substr=""):
        """Maillog lines that contain substr."""
        return [ln for ln in self.log().splitlines() if substr in ln]

    def wait_log(self, regex, timeout=20):
        """Wait (bounded) for a maillog line matching regex; the match."""
        import re
        pat = re.compile(regex, re.M)
        deadline = time.time() + timeout
        while True:
            m = pat.search(self.log())
            if m or time.time() >= deadline:
                return m
            time.sleep(0.1)

    def setup_maildir(self, addr):
        """Create a user's maildir owned by the vmail user (for POP3 tests)."""
        import pwd
        pw = pwd.getpwnam("petrel-vmail")
        local, domain = addr.split("@", 1)
        base = os.path.join(self.mail_base, domain)
        for d in (base, os.path.join(base, local)) + tuple(
                os.path.join(base, local, s) for s in ("tmp", "new", "cur")):
            if not os.path.isdir(d):
                os.mkdir(d, 0o700)
            os.chown(d, pw.pw_uid, pw.pw_gid)
        return os.path.join(base, local)


def _term(signum, _frame):
    """SIGTERM/SIGHUP (e.g. from t/run.sh's timeout): unwind so that every
    'finally: inst.cleanup()' runs and no daemon is left behind."""
    raise SystemExit(128 + signum)


def _cleanup_on_term():
    """Turn SIGTERM/SIGHUP into SystemExit in the main thread."""
    import threading
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _term)
        signal.signal(signal.SIGHUP, _term)


def _all_pids():
    """Every numeric pid in /proc."""
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _status(pid):
    """Parsed /proc/<pid>/status (empty when gone)."""
    st = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                st[k] = v.strip()
    except OSError:
        pass
    return st


def _ppid(pid):
    """Parent pid or -1."""
    try:
        return int(_status(pid).get("PPid", "-1"))
    except ValueError:
        return -1


def _alive(pid):
    """True when pid exists and is not a zombie."""
    st = _status(pid)
    return bool(st) and not st.get("State", "").startswith("Z")


def proc_uid(pid):
    """Real, effective uid of a process (or None)."""
    uids = _status(pid).get("Uid")
    if not uids:
        return None
    return [int(x) for x in uids.split()[:2]]


# --- queue files (added for the sendmail/qtool tests) --------------------
def _qrec(rtype, payload):
    """One queue-file record: type byte, base-128 varint length, payload."""
    n = len(payload)
    out = bytearray(rtype.encode())
    while True:
        b = n & 0x7f
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            break
    return bytes(out) + payload


def write_queue_file(path, arrival, sender, rcpts, body, attrs=(),
                     complete=True):
    """Write a queue file in the common/qfile.h format: arrival (seconds,
    fixed for golden tests), sender ("" = null), rcpts [(status, addr)]
    with status P/D/X, body bytes (LF line ends), attrs ["name=value"].
    complete=False leaves the execute bit off (an unfinished file)."""
    recs = [_qrec("V", b"PETREL-Q 1"),
            _qrec("T", ("%d.000000" % arrival).encode()),
            _qrec("F", sender.encode())]
    recs += [_qrec("A", a.encode()) for a in attrs]
    recs += [_qrec("R", st.encode() + a.encode()) for st, a in rcpts]
    recs.append(_qrec("M", b""))
    for i in range(0, len(body), 65536):
        recs.append(_qrec("C", body[i:i + 65536]))
    recs += [_qrec("Z", str(len(body)).encode()), _qrec("E", b"")]
    with open(path, "wb") as f:
        f.write(b"".join(recs))
    os.chmod(path, 0o760 if complete else 0o660)
    os.utime(path, (arrival, arrival))


def _main(argv):
    """CLI used by petrel.tcl and shell tests."""
    if len(argv) < 1:
        print(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    if cmd == "create":
        ov = dict(a.split("=", 1) for a in args)
        inst = Instance({k.strip(): v.strip() for k, v in ov.items()},
                        name=os.environ.get("PETREL_SUITE", "t"))
        inst.create()
        print(inst.dir)
        return 0
    inst = Instance(dirname=args[0])
    if cmd == "start":
        try:
            inst.start()
        except RuntimeError as e:
            print(e)
            return 1
        return 0
    if cmd == "stop":
        inst.stop()
        return 0
    if cmd == "cleanup":
        inst.cleanup()
        return 0
    if cmd == "adduser":
        inst.add_user(args[1], args[2])
        return 0
    if cmd == "aliases":
        with open(args[1]) as f:
            inst.set_aliases(f.read())
        return 0
    if cmd == "maildir":
        print(inst.maildir(args[1], args[2] if len(args) > 2 else "new"))
        return 0
    if cmd == "setup-maildir":
        print(inst.setup_maildir(args[1]))
        return 0
    if cmd == "queue-count":
        print(len(inst.queue_files()))
        return 0
    if cmd == "wait-queue-empty":
        return 0 if inst.wait_queue_empty(float(args[1])) else 1
    if cmd == "wait-messages":
        msgs = inst.wait_messages(args[1], int(args[2]), float(args[3]))
        print(len(msgs))
        return 0 if len(msgs) >= int(args[2]) else 1
    if cmd == "port":
        print(getattr(inst, args[1] + "_port", None) or "")
        return 0
    if cmd == "pid":
        print(inst.daemon_pid(args[1]) or "")
        return 0
    print("unknown command %s" % cmd)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(_main(sys.argv[1:]))
    except (RuntimeError, OSError, ValueError, IndexError) as err:
        print("petrel_inst: %s" % err)
        sys.exit(1)
