"""pop3_privsep.py - pop3d's privilege separation, proven from outside on a
running instance (DESIGN.md "Processes, users, and who may touch what",
issue 13): pop3d runs the login stage and spawner it shares with imapd
(common/login*.c), so the checks are imap_privsep.py's helpers, run on
pop3d:
  - the pop3d parent and the spawner run as root; every login process
    runs as pop3d_login_user (petrel-login): real, effective, saved and
    filesystem uid and gid, no other groups, no capabilities;
  - petrel-login can open no maildir (virtual or a system user's) and no
    password map (setpriv with its exact ids fails to read them);
  - a client that has only sent pre-login commands (CAPA, USER, a wrong
    PASS, STLS and a TLS handshake, implicit TLS with a wrong AUTH PLAIN)
    is held by a login process alone, and no session was forked for it;
  - after PASS a virtual user's session runs as petrel-vmail and holds
    the client's socket (plaintext) or the relay from a login process
    (TLS); a system user's session runs as that user and cannot read
    another system user's ~/Maildir, a virtual maildir or the password map;
  - the spawner has no named socket; no session or login process holds
    its end of the handoff socket pair, no session a login process's
    socket;
  - petrel-auth issues a cookie for service "pop3" to petrel-login,
    refuses REDEEM from petrel-login and petrel-vmail, and root redeems
    a cookie once.
Needs root (useradd, setpriv).
"""
import base64
import os
import pwd
import shutil
import socket
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from petrel_inst import Instance, Reporter, tls_unverified  # noqa: E402
import imap_privsep as ip  # noqa: E402

R = Reporter("pop3_privsep")
ip.R = R            # the shared helpers report here
SYS = ["petrelpop1", "petrelpop2"]
ALICE, BOB, PW = ip.ALICE, ip.BOB, ip.PW


class Pop:
    """A raw POP3 client (bounded: 15 s per read)."""

    def __init__(self, port, tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), 15)
        if tls:
            self.sock = tls_unverified().wrap_socket(self.sock)
        self.local_port = self.sock.getsockname()[1]
        self.buf = b""
        self.greeting = self.line()

    def line(self):
        """One reply line, without CRLF ("" at EOF)."""
        while b"\r\n" not in self.buf:
            b = self.sock.recv(4096)
            if not b:
                return ""
            self.buf += b
        ln, self.buf = self.buf.split(b"\r\n", 1)
        return ln.decode("latin-1")

    def cmd(self, text, multi=False):
        """Send a command; its status line (and lines up to "." if multi)."""
        self.sock.sendall(text.encode() + b"\r\n")
        first = self.line()
        lines = [first]
        while multi and first.startswith("+OK"):
            ln = self.line()
            if ln in (".", ""):
                break
            lines.append(ln)
        return lines

    def starttls(self):
        """STLS and the handshake; True when TLS is up."""
        if not self.cmd("STLS")[0].startswith("+OK"):
            return False
        self.sock = tls_unverified().wrap_socket(self.sock)
        return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def check_prelogin(inst):
    """Pre-login conversations stay in the login processes."""
    _, _, _, before = ip.procs(inst, "pop3d")
    a = Pop(inst.pop3_port)
    a.cmd("CAPA", multi=True)
    a.cmd("USER %s" % ALICE)
    R.check(a.cmd("PASS wrong")[0].startswith("-ERR [AUTH]"),
            "a wrong password gets -ERR [AUTH]")
    b = Pop(inst.pop3_port)
    R.check(b.starttls() and b.cmd("CAPA", multi=True)[0].startswith("+OK"),
            "STLS, then CAPA over TLS")
    t = Pop(inst.pop3s_port, tls=True)
    t.cmd("CAPA", multi=True)
    wrong = base64.b64encode(b"\0" + ALICE.encode() + b"\0wrong").decode()
    R.check(t.cmd("AUTH PLAIN " + wrong)[0].startswith("-ERR [AUTH]"),
            "pop3s: a wrong AUTH PLAIN gets -ERR [AUTH]")
    time.sleep(0.3)
    ip.held_by_login_only(inst, a, inst.pop3_port, "plaintext, failed PASS")
    ip.held_by_login_only(inst, b, inst.pop3_port, "after STLS")
    ip.held_by_login_only(inst, t, inst.pop3s_port, "implicit TLS, failed "
                          "AUTH PLAIN")
    _, _, _, after = ip.procs(inst, "pop3d")
    R.check(set(after) <= set(before), "no session was forked for clients "
            "that did not log in", "new %r" % (set(after) - set(before)))
    return [a, b, t]


def check_session(inst, user, pw, port, tls, known):
    """Log in; the session's ids; who holds the client's socket."""
    c = Pop(port, tls=tls)
    case = "%s%s" % (user, " over TLS" if tls else "")
    c.cmd("USER %s" % user)
    r = c.cmd("PASS %s" % PW)[0]
    if not R.check(r.startswith("+OK"), case + ": USER/PASS", r):
        return c
    R.check(c.cmd("STAT")[0].startswith("+OK 1 "), case + ": STAT sees "
            "the user's one message")
    pid = ip.mpid_of(inst, user, known, "pop3")
    known.add(pid)
    ip.check_session_proc(case, pid, pw, port, c.local_port, tls)
    return c


def run(inst, sys_pws):
    """Every check on a started instance; the connections left open."""
    conns = []
    for rcpt in [ALICE, BOB] + ["%s@localhost" % u for u in SYS]:
        qid, why = inst.submit("s@remote.example", [rcpt],
                               "Subject: hi\r\n\r\nfor %s\r\n" % rcpt)
        R.check(qid, "mail accepted for %s" % rcpt, why)
    inst.wait_messages(ALICE, 1)
    inst.wait_messages(BOB, 1)
    inst.wait_queue_empty(20)
    login_pw = pwd.getpwnam("petrel-login")
    vm = pwd.getpwnam("petrel-vmail")
    conns += check_prelogin(inst)
    ip.check_roles(inst, login_pw, "pop3d")
    known = set()
    for user, pw, port, tls in (
            (ALICE, vm, inst.pop3_port, False),
            (BOB, vm, inst.pop3s_port, True),
            (SYS[0] + "@localhost", sys_pws[0], inst.pop3_port, False),
            (SYS[1] + "@localhost", sys_pws[1], inst.pop3s_port, True)):
        conns.append(check_session(inst, user, pw, port, tls, known))
    ip.check_handoff(inst, "pop3d")
    ip.check_login_files(inst, login_pw, sys_pws)
    ip.check_sys_isolation(inst, sys_pws)
    ip.check_auth(inst, "pop3", SYS[0])
    return conns


def main():
    if not shutil.which("setpriv"):
        R.bad("setup", "setpriv (util-linux) missing")
        return 1
    sys_pws = [ip.sys_user(u) for u in SYS]
    inst = Instance({"pop3d_pop3s_listen": "auto",
                     "pop3d_tls_cert_file": "auto",
                     "pop3d_tls_key_file": "auto",
                     "mydestination": "localhost"}, name="pprivsep")
    conns = []
    try:
        inst.create()
        inst.add_user(ALICE, PW)
        inst.add_user(BOB, PW)
        ip.add_sys_passwords(inst, SYS)
        inst.start()
        conns = run(inst, sys_pws)
    except Exception as e:  # report, never hang
        import traceback
        traceback.print_exc()
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    finally:
        ip.cleanup(inst, conns, SYS)
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
