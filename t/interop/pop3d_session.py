#!/usr/bin/env python3
"""pop3d_session.py - petrel-pop3d end to end, self-contained.

Builds a private instance in a temp dir (texthash maps, a SHA-512 password
from `openssl passwd -6`, a maildir written directly), then:
  - drives `petrel-pop3d -S` sessions through pipes: full conversation,
    commands fed one byte at a time, a message vanishing or being renamed
    into cur/ after login, autologout, the error budget (as root a -S
    session switches to the mailbox owner, so the maildir belongs to
    petrel-vmail);
  - as root: runs the daemon on a free 127.0.0.1 port, beside the password
    service petrel-auth it asks for every login, and talks to it with
    Python's poplib (privilege drop, IN-USE lock, deletion at QUIT).
Prints "PASS: interop/pop3d: <case>" / "FAIL: ..." lines; exit 1 on failure.
"""
import os
import poplib
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP = os.environ.get("PETREL_TOP",
                     os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BIN = os.environ.get("PETREL_BIN", os.path.join(TOP, "build", "bin"))
POP3D = os.path.join(BIN, "petrel-pop3d")
AUTHD = os.path.join(BIN, "petrel-auth")
failed = 0

MSGS = [
    ("1700000002.V801I1M000001.host", "From: a@b\nSubject: one\n\nline1\n.dot\nline3\n"),
    ("1700000001.V801I2M000009.host", "Subject: two\n\nbody without newline"),
    ("1700000002.V801I3M000002.host,S=22,W=27", "Subject: three\n\nx\ny\nz\n"),
]


def report(ok, case, why=""):
    global failed
    if ok:
        print("PASS: interop/pop3d: %s" % case)
    else:
        failed += 1
        print("FAIL: interop/pop3d: %s (%s)" % (case, str(why)[:300].replace("\n", "\\n")))
    sys.stdout.flush()


def crlf_size(text):
    """Octets RETR sends: LF becomes CRLF, and an unterminated last line
    is completed with CRLF (so LIST and RETR agree, RFC 1939 LIST)."""
    extra = 2 if text and not text.endswith("\n") else 0
    return len(text) + text.count("\n") + extra


class Inst:
    """A private configuration with one virtual user u@example.test."""

    def __init__(self, extra=""):
        self.dir = tempfile.mkdtemp(prefix="petrel-pop3d-t.")
        d = self.dir
        h = subprocess.run(["openssl", "passwd", "-6", "secret"], check=True,
                           capture_output=True, text=True).stdout.strip()
        with open(os.path.join(d, "passwd"), "w") as f:
            f.write("u@example.test %s\n" % h)
        with open(os.path.join(d, "vmailbox"), "w") as f:
            f.write("u@example.test example.test/u/\nnew@example.test example.test/new/\n")
        self.conf = os.path.join(d, "petrel.conf")
        with open(self.conf, "w") as f:
            f.write("queue_directory = %s/spool\n" % d)
            f.write("virtual_mailbox_domains = example.test\n")
            f.write("virtual_mailbox_maps = texthash:%s/vmailbox\n" % d)
            f.write("virtual_mailbox_base = %s/vhosts\n" % d)
            f.write("user_password_maps = texthash:%s/passwd\n" % d)
            f.write("maillog_file = %s/maillog\n" % d)
            f.write("alias_maps =\nalias_database =\n")
            f.write("pop3d_auth_failure_delay = 0\n")
            f.write("pop3d_plaintext_auth_networks = 127.0.0.0/8\n")
            f.write(extra)
        self.md = os.path.join(d, "vhosts", "example.test", "u")
        for sub in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(self.md, sub))
        for name, text in MSGS:
            with open(os.path.join(self.md, "new", name), "w") as f:
                f.write(text)
        self.give_to_vmail()

    def give_to_vmail(self):
        """As root, the server serves a mailbox as its owner (petrel-vmail)."""
        if os.geteuid() != 0:
            return
        vm = pwd.getpwnam("petrel-vmail")
        os.chmod(self.dir, 0o755)
        for root, dirs, files in os.walk(os.path.join(self.dir, "vhosts")):
            os.chown(root, vm.pw_uid, vm.pw_gid)
            for n in files:
                os.chown(os.path.join(root, n), vm.pw_uid, vm.pw_gid)
        for n in ("passwd", "vmailbox"):
            os.chmod(os.path.join(self.dir, n), 0o644)

    def files(self):
        return sorted(os.listdir(os.path.join(self.md, "new")) +
                      os.listdir(os.path.join(self.md, "cur")))

    def session(self, text, opts=(), timeout=20):
        """One -S session fed all of text at once; returns its output."""
        p = subprocess.run([POP3D, "-S", "-f", self.conf] + list(opts),
                           input=text.encode(), capture_output=True, timeout=timeout)
        return p.stdout.decode("latin-1")

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def expected_retr(text):
    lines = text.split("\n")
    if lines[-1] == "":
        lines = lines[:-1]
    return "".join(("." + l if l.startswith(".") else l) + "\r\n" for l in lines) + ".\r\n"


def case_conversation():
    inst = Inst()
    try:
        out = inst.session("CAPA\r\nUSER U@Example.Test\r\nPASS secret\r\nSTAT\r\nLIST\r\n"
                           "UIDL 1\r\nRETR 2\r\nTOP 3 1\r\nDELE 1\r\nRETR 1\r\nQUIT\r\n")
        total = sum(crlf_size(t) for _, t in MSGS)
        order = [MSGS[1], MSGS[0], MSGS[2]]     # by delivery time
        want = ("+OK Petrel POP3 ready.\r\n+OK Capability list follows.\r\nTOP\r\nUIDL\r\n"
                "RESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nUSER\r\n"
                "SASL PLAIN\r\n"
                "IMPLEMENTATION Petrel\r\n.\r\n+OK\r\n+OK Logged in.\r\n"
                "+OK 3 %d\r\n+OK 3 messages:\r\n" % total)
        want += "".join("%d %d\r\n" % (i + 1, crlf_size(t)) for i, (_, t) in enumerate(order))
        want += ".\r\n+OK 1 %s\r\n" % order[0][0]
        want += "+OK %d octets\r\n" % crlf_size(order[1][1]) + expected_retr(order[1][1])
        want += "+OK\r\nSubject: three\r\n\r\nx\r\n.\r\n"
        want += "+OK Marked to be deleted.\r\n-ERR Message is deleted.\r\n+OK Logging out.\r\n"
        report(out == want, "rfc1939 conversation, order, sizes, stuffing", out)
        report(order[0][0] not in inst.files() and len(inst.files()) == 2,
               "rfc1939-6 DELE applied at QUIT", inst.files())
        log = open(os.path.join(inst.dir, "maillog")).read()
        report("login: user=<u@example.test>" in log and "del=1/3" in log,
               "log lines login/disconnect", log)
    finally:
        inst.cleanup()


def case_bytewise():
    inst = Inst()
    try:
        p = subprocess.Popen([POP3D, "-S", "-f", inst.conf], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
        for ch in b"USER u@example.test\r\nPASS secret\r\nSTAT\r\nDELE 2\r\n":
            p.stdin.write(bytes([ch]))
            p.stdin.flush()
        time.sleep(0.2)
        p.stdin.close()     # drop without QUIT
        out = p.stdout.read().decode()
        p.wait(10)
        report(out.count("+OK") == 5 and "-ERR" not in out,
               "commands fed one byte at a time", out)
        report(len(inst.files()) == 3, "rfc1939-6 no deletion without QUIT", inst.files())
    finally:
        inst.cleanup()


def case_vanished_and_renamed():
    inst = Inst()
    try:
        p = subprocess.Popen([POP3D, "-S", "-f", inst.conf], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
        p.stdin.write(b"USER u@example.test\r\nPASS secret\r\nNOOP\r\n")
        p.stdin.flush()
        for _ in range(4):      # greeting, USER, PASS, NOOP
            p.stdout.readline()
        new = os.path.join(inst.md, "new")
        os.unlink(os.path.join(new, MSGS[1][0]))                 # message 1
        os.rename(os.path.join(new, MSGS[0][0]),                 # message 2
                  os.path.join(inst.md, "cur", MSGS[0][0] + ":2,S"))
        p.stdin.write(b"RETR 1\r\nRETR 2\r\nDELE 2\r\nDELE 1\r\nQUIT\r\n")
        p.stdin.close()
        out = p.stdout.read().decode()
        p.wait(10)
        report(out.startswith("-ERR Message was deleted"), "vanished message -ERR, no crash", out)
        report(expected_retr(MSGS[0][1]) in out, "message renamed into cur/ still served", out)
        report(out.endswith("+OK Logging out.\r\n") and inst.files() == [MSGS[2][0]],
               "renamed and vanished messages expunged", (out, inst.files()))
    finally:
        inst.cleanup()


def case_bounds():
    inst = Inst()
    try:
        p = subprocess.Popen([POP3D, "-S", "-f", inst.conf, "-o", "pop3d_timeout=1"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        p.stdin.write(b"USER u@example.test\r\n")
        p.stdin.flush()         # and keep stdin open: only the timer may end it
        t0 = time.time()
        out = p.stdout.read().decode()
        p.wait(10)
        p.stdin.close()
        report(out.endswith("-ERR Disconnected for inactivity.\r\n") and time.time() - t0 < 5,
               "rfc1939-3 autologout", out)
        out = inst.session("NOOP " + "x" * 300 + "\r\nUSER u@example.test\r\n" +
                           "BAD\r\n" * 12)
        report("-ERR Line too long.\r\n+OK\r\n" in out, "rfc2449 line bound, session goes on", out)
        report(out.endswith("-ERR Too many bad commands.\r\n"), "error budget closes", out)
        out = inst.session("USER u@example.test\r\nPASS x\r\nUSER u@example.test\r\nPASS y\r\n"
                           "USER u@example.test\r\nPASS z\r\nUSER u@example.test\r\n")
        report(out.count("-ERR [AUTH] Authentication failed.") == 3 and
               out.endswith("failed.\r\n"), "three failed logins close", out)
        out = inst.session("USER new@example.test\r\nPASS secret\r\nQUIT\r\n")
        report("-ERR [AUTH]" in out, "user without password refused", out)
    finally:
        inst.cleanup()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def case_daemon():
    if os.geteuid() != 0:
        return
    port = free_port()
    inst = Inst("pop3d_listen = 127.0.0.1:%d\n" % port)
    a = subprocess.Popen([AUTHD, "-d", "-f", inst.conf], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    d = subprocess.Popen([POP3D, "-d", "-f", inst.conf], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        sock = os.path.join(inst.dir, "spool", "private", "auth")
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                if os.path.exists(sock):
                    break
            except OSError:
                pass
            time.sleep(0.1)
        c = poplib.POP3("127.0.0.1", port, timeout=10)
        c.user("u@example.test")
        c.pass_("secret")
        n, size = c.stat()
        r = c.retr(2)
        report(n == 3 and r[1][4] == b".dot", "daemon: poplib login, STAT, RETR", (n, r))
        c2 = poplib.POP3("127.0.0.1", port, timeout=10)
        c2.user("u@example.test")
        try:
            c2.pass_("secret")
            report(False, "rfc2449 IN-USE for a second session", "logged in")
        except poplib.error_proto as e:
            report(b"[IN-USE]" in e.args[0], "rfc2449 IN-USE for a second session", e)
        c2.quit()
        c.dele(1)
        c.quit()
        report(len(inst.files()) == 2, "daemon: DELE applied by the vmail worker", inst.files())
    except Exception as e:     # noqa: BLE001 - any error is a failure here
        report(False, "daemon session", repr(e))
    finally:
        for p in (d, a):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        inst.cleanup()


def main():
    if not os.access(POP3D, os.X_OK):
        report(False, "petrel-pop3d built", POP3D)
        return 1
    case_conversation()
    case_bytewise()
    case_vanished_and_renamed()
    case_bounds()
    case_daemon()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
