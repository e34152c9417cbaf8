#!/usr/bin/env python3
"""make_run.py - what "make run" (etc/petrel-run) promises: the whole
system starts in the foreground on the embedded configuration, prints the
demo user's password on a line "password: <secret>", takes mail and serves
it over POP3; Ctrl-C (SIGINT to the process group) stops every process;
a second run keeps the configuration, the password and the mail.

The script runs from a scratch top directory (build/ and etc/ linked to the
tree's) as a copy whose fixed ports (2525, 2587, 2465, 1110, 1995, 1143,
1993) are
replaced by free ones, so the test never collides with a real "make run".
Prints PASS/FAIL lines (t/run.sh).  Runs as root.
"""
import imaplib
import os
import poplib
import ssl
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import Reporter, free_port  # noqa: E402

R = Reporter("make-run")
TOP = os.environ.get("PETREL_TOP") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("B", "build")
FIXED = ["2525", "2587", "2465", "1110", "1995", "1143", "1993"]


def scratch_top():
    """A top directory whose etc/petrel-run uses free ports; (dir, ports)."""
    d = tempfile.mkdtemp(prefix="petrel-makerun.", dir="/tmp")
    os.chmod(d, 0o755)
    os.symlink(os.path.join(TOP, BUILD), os.path.join(d, BUILD))
    os.mkdir(os.path.join(d, "etc"))
    os.chmod(os.path.join(d, "etc"), 0o755)
    os.symlink(os.path.join(TOP, "etc", "petrel"),
               os.path.join(d, "etc", "petrel"))
    ports = {}
    while len(set(ports.values())) < len(FIXED):
        ports = {p: str(free_port()) for p in FIXED}
    with open(os.path.join(TOP, "etc", "petrel-run")) as f:
        text = f.read()
    for old, new in ports.items():
        text = re.sub(r"\b%s\b" % old, new, text)
    with open(os.path.join(d, "etc", "petrel-run"), "w") as f:
        f.write(text)
    return d, {k: int(v) for k, v in ports.items()}


def start(d, log):
    """Start petrel-run in its own session; (process, password or None)."""
    out = open(log, "wb")
    p = subprocess.Popen(["sh", os.path.join(d, "etc", "petrel-run")],
                         cwd=d, stdout=out, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True,
                         env=dict(os.environ, B=BUILD))
    out.close()
    deadline = time.time() + 90
    password = None
    while time.time() < deadline and p.poll() is None:
        with open(log, "rb") as f:
            m = re.search(rb"(?m)^password: (\S+)$", f.read())
        if m:
            password = m.group(1).decode()
            break
        time.sleep(0.2)
    return p, password


def pop3_count(port, password, want, secs=20):
    """Messages in demo's mailbox once there are want (bounded)."""
    deadline = time.time() + secs
    n = -1
    while time.time() < deadline:
        try:
            c = poplib.POP3("127.0.0.1", port, timeout=10)
            c.user("demo@example.test")
            c.pass_(password)
            n = c.stat()[0]
            c.quit()
            if n >= want:
                return n
        except (OSError, poplib.error_proto):
            pass
        time.sleep(0.3)
    return n


def smtp_send(port, subject, secs=30):
    """Send one message to demo once the port answers (bounded)."""
    deadline = time.time() + secs
    while time.time() < deadline:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
                c.sendmail("someone@remote.example", ["demo@example.test"],
                           "Subject: %s\r\n\r\nhello\r\n" % subject)
            return True
        except (OSError, smtplib.SMTPException):
            time.sleep(0.3)
    return False


def instance_pids(d):
    """Processes whose command line names the scratch directory."""
    tag = d.encode()
    out = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % p, "rb") as f:
                if tag in f.read():
                    out.append(int(p))
        except OSError:
            pass
    return out


def ctrl_c(p, d):
    """SIGINT to the process group; True when everything is gone in 20 s."""
    try:
        os.killpg(p.pid, signal.SIGINT)
    except OSError:
        pass
    deadline = time.time() + 20
    while time.time() < deadline:
        if p.poll() is not None and not instance_pids(d):
            return True
        time.sleep(0.2)
    return False


def imap_count(port, pw, tls):
    """Messages in INBOX over IMAP (STARTTLS or implicit TLS); -1 on error."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        if tls:
            m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx,
                                  timeout=20)
        else:
            m = imaplib.IMAP4("127.0.0.1", port, timeout=20)
            m.starttls(ssl_context=ctx)
        m.login("demo@example.test", pw)
        typ, dat = m.select("INBOX", readonly=True)
        m.logout()
        return int(dat[0]) if typ == "OK" else -1
    except (OSError, imaplib.IMAP4.error, ValueError):
        return -1


def kill_all(p, d):
    """Last resort (a failed case): our own processes, by pid."""
    for pid in instance_pids(d) + ([p.pid] if p and p.poll() is None else []):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def main():
    d, ports = scratch_top()
    p = None
    try:
        log1 = os.path.join(d, "run1.log")
        p, pw = start(d, log1)
        R.check(pw and len(pw) >= 12, "make run prints 'password: <secret>'",
                "no password line")
        R.check(smtp_send(ports["2525"], "first run"),
                "SMTP takes mail for demo@example.test", "send failed")
        n = pop3_count(ports["1110"], pw or "", 1)
        R.check(n >= 1, "POP3 login with the printed password sees it",
                "stat %d" % n)
        R.check(imap_count(ports["1143"], pw or "", False) == n,
                "IMAP (STARTTLS) login with the printed password sees it",
                "count differs from POP3's %d" % n)
        R.check(imap_count(ports["1993"], pw or "", True) == n,
                "IMAPS login with the printed password sees it",
                "count differs from POP3's %d" % n)
        R.check(ctrl_c(p, d), "Ctrl-C stops every process",
                "left: %r" % instance_pids(d))
        with open(log1, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        R.check(" stopped" in text and "killed by signal" not in text,
                "the daemons log a clean stop", text[-300:])

        p, pw2 = start(d, os.path.join(d, "run2.log"))
        R.check(pw2 == pw, "a second run keeps the password", "%r" % pw2)
        n2 = pop3_count(ports["1110"], pw2 or "", 1)
        R.check(n2 == n, "a second run keeps the mail of the first",
                "stat %d, was %d" % (n2, n))
        R.check(ctrl_c(p, d), "Ctrl-C stops the second run too",
                "left: %r" % instance_pids(d))
    except Exception as e:  # report, never hang
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    finally:
        kill_all(p, d)
        if not os.environ.get("PETREL_KEEP"):
            shutil.rmtree(d, ignore_errors=True)
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
