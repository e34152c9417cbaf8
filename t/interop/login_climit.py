"""login_climit.py - per-client connection count and rate limits of
petrel-pop3d and petrel-imapd (common/login_climit.c), on one instance
with pop3d_/imapd_client_connection_count_limit = 3 and
<daemon>_client_event_limit_exceptions = 127.0.0.2.

Cases, for POP3 and for IMAP (each daemon has its own table):
  - three concurrent connections from 127.0.0.4 are greeted; the 4th
    gets "-ERR [SYS/TEMP] Too many connections from your address"
    (RFC 3206) / "* BYE [UNAVAILABLE] Too many connections from your
    address" (RFC 5530) and the server closes it; a line naming
    client=127.0.0.4 and the limit is logged;
  - once one of them has logged out (its close seen), a new one is
    greeted;
  - a logged-in session (the socket handed to a session process) still
    counts: with it and two others open the next one is refused; when
    the session ends (its process gone) its count is gone too, and so
    is that of a session process killed with SIGKILL;
  - 127.0.0.2, in the exceptions, is never limited (six at once);
  - POP3 over implicit TLS (pop3s): a logged-in client relayed by its
    login process counts, and the refusal comes after the handshake,
    inside TLS;
  - after a reload with <daemon>_client_connection_rate_limit = 5, the
    6th connection within a minute from 127.0.0.3 is refused with the
    same reply, and the rate limit is logged.
start()'s port probes come from 127.0.0.1 and are closed at once, but a
loaded login process may see their close late, so the cases use other
source addresses (counts 127.0.0.4, rates 127.0.0.3).
Prints "PASS: login_climit: <case>" / "FAIL: ..." lines.
"""
import os
import socket
import ssl
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import Instance, Reporter, tls_unverified  # noqa: E402

R = Reporter("login_climit")
USER, PW = "alice@example.test", "secret"
POP_NO = "-ERR [SYS/TEMP] Too many connections from your address"
IMAP_NO = "* BYE [UNAVAILABLE] Too many connections from your address"


class Proto:
    """What differs between POP3 and IMAP here."""

    def __init__(self, name, greeting, refusal, login, logged_in, quit_cmd):
        self.name = name
        self.greeting = greeting
        self.refusal = refusal
        self.login = login
        self.logged_in = logged_in
        self.quit = quit_cmd


POP = Proto("pop3", "+OK", POP_NO,
            ["USER %s" % USER, "PASS %s" % PW], "+OK Logged in", "QUIT")
IMAP = Proto("imap", "* OK", IMAP_NO,
             ["a LOGIN %s %s" % (USER, PW)], "a OK", "z LOGOUT")


class Client:
    """One connection: its first line is read at once."""

    def __init__(self, port, src="127.0.0.4", tls=False):
        s = socket.create_connection(("127.0.0.1", port), timeout=10,
                                     source_address=(src, 0))
        if tls:
            s = tls_unverified().wrap_socket(s)
        self.sock = s
        self.f = s.makefile("rb")
        self.first = self.line()

    def line(self):
        """One line without CRLF ("" at EOF)."""
        return self.f.readline().decode("latin-1").rstrip("\r\n")

    def send(self, text):
        """A command line."""
        self.sock.sendall(text.encode() + b"\r\n")

    def until(self, prefix):
        """Read lines up to one starting with prefix; that line or ""."""
        for _ in range(50):
            ln = self.line()
            if ln == "" or ln.startswith(prefix):
                return ln
        return ""

    def eof(self):
        """Read to the end; True when the server closed (bounded)."""
        try:
            for _ in range(100):
                if self.f.readline() == b"":
                    return True
        except (OSError, ssl.SSLError):
            return True
        return False

    def bye(self, proto):
        """Log out and wait for the server's close."""
        self.send(proto.quit)
        done = self.eof()
        self.close()
        return done

    def close(self):
        """Close our side."""
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass


def refused(c, proto):
    """Whether c got the refusal and then the close."""
    return c.first == proto.refusal and c.eof()


def login(port, proto):
    """A logged-in client and its session's pid (0: not found)."""
    c = Client(port)
    got = ""
    for cmd in proto.login:
        c.send(cmd)
        got = c.until("a " if proto is IMAP else "")
    pid = 0
    if got.startswith(proto.logged_in):
        m = None
        deadline = time.time() + 10
        while m is None and time.time() < deadline:
            lines = [ln for ln in open(INST.dir + "/maillog").read()
                     .splitlines() if "%s-login: Login:" % proto.name in ln]
            m = lines[-1] if len(lines) > login.seen[proto.name] else None
            if m is None:
                time.sleep(0.05)
        if m is not None:
            login.seen[proto.name] += 1
            pid = int(m.split("mpid=")[1].split(",")[0].split()[0])
    return c, got, pid


login.seen = {"pop3": 0, "imap": 0}


def gone(pid, timeout=10):
    """Wait (bounded) until process pid no longer exists."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not os.path.exists("/proc/%d" % pid):
            return True
        time.sleep(0.02)
    return False


def count_cases(port, proto):
    """The count limit, its release, and logged-in sessions."""
    n = proto.name
    a = [Client(port) for _ in range(3)]
    R.check(all(c.first.startswith(proto.greeting) for c in a),
            n + ": three connections within the limit are greeted",
            [c.first for c in a])
    c4 = Client(port)
    R.check(refused(c4, proto), n + ": the 4th gets the refusal and the close",
            c4.first)
    c4.close()
    R.check(INST.wait_log(r"%s-login: Connection concurrency limit "
                          r"exceeded: client=127\.0\.0\.4, .*_client_"
                          r"connection_count_limit=3" % n, 5),
            n + ": the refusal is logged with client= and the limit")
    R.check(a[0].bye(proto), n + ": logout closes")
    c5 = Client(port)
    R.check(c5.first.startswith(proto.greeting),
            n + ": a client that left frees its count", c5.first)
    R.check(c5.bye(proto), n + ": logout closes (2)")
    s, got, pid = login(port, proto)
    R.check(got.startswith(proto.logged_in) and pid > 0,
            n + ": a client logs in", "%r mpid=%d" % (got, pid))
    c6 = Client(port)
    R.check(refused(c6, proto), n + ": a logged-in session still counts",
            c6.first)
    c6.close()
    R.check(s.bye(proto) and gone(pid), n + ": the session ends")
    c7 = Client(port)
    R.check(c7.first.startswith(proto.greeting),
            n + ": an ended session no longer counts", c7.first)
    c7.bye(proto)
    s, got, pid = login(port, proto)
    R.check(pid > 0, n + ": another login", got)
    os.kill(pid, 9)
    R.check(gone(pid), n + ": a session killed with SIGKILL is gone")
    s.close()
    c8 = Client(port)
    R.check(c8.first.startswith(proto.greeting),
            n + ": a killed session's count is freed", c8.first)
    c8.bye(proto)
    for c in a[1:]:
        c.bye(proto)


def exempt_case(port, proto):
    """127.0.0.2 is in the exceptions list."""
    cs = [Client(port, src="127.0.0.2") for _ in range(6)]
    R.check(all(c.first.startswith(proto.greeting) for c in cs),
            proto.name + ": an address in the exceptions is not limited",
            [c.first for c in cs])
    for c in cs:
        c.close()


def tls_case(port):
    """pop3s: the refusal goes out inside TLS."""
    a = [Client(port, tls=True) for _ in range(3)]
    got = ""
    for cmd in POP.login:	# relayed by the login process from now on
        a[0].send(cmd)
        got = a[0].line()
    c = Client(port, tls=True)
    R.check(all(x.first.startswith("+OK") for x in a) and
            got.startswith(POP.logged_in) and refused(c, POP),
            "pop3s: with a logged-in TLS client, the 4th gets the refusal "
            "over TLS", "%r %r" % (got, c.first))
    for x in a + [c]:
        x.close()


def rate_case(port, proto):
    """Five a minute: the 6th is refused."""
    firsts = []
    for _ in range(6):
        c = Client(port, src="127.0.0.3")
        firsts.append(c.first)
        if c.first.startswith(proto.greeting):
            c.bye(proto)
        else:
            c.eof()
            c.close()
    R.check(all(f.startswith(proto.greeting) for f in firsts[:5]) and
            firsts[5] == proto.refusal,
            proto.name + ": the 6th connection in a minute is refused",
            firsts)
    R.check(INST.wait_log(r"%s-login: Connection rate limit exceeded: "
                          r"client=127\.0\.0\.3, .*_client_connection_rate_"
                          r"limit=5/min" % proto.name, 5),
            proto.name + ": the rate refusal is logged")


INST = None


def main():
    """Run every case."""
    global INST
    INST = Instance({"pop3d_client_connection_count_limit": "3",
                     "imapd_client_connection_count_limit": "3",
                     "pop3d_client_event_limit_exceptions": "127.0.0.2",
                     "imapd_client_event_limit_exceptions": "127.0.0.2",
                     "pop3d_tls_cert_file": "auto",
                     "pop3d_tls_key_file": "auto",
                     "pop3d_pop3s_listen": "auto"}, name="climit")
    try:
        INST.create()
        INST.add_user(USER, PW)
        INST.start()
        ports = [(INST.pop3_port, POP)]
        if INST.imap_port:
            ports.append((INST.imap_port, IMAP))
        for port, proto in ports:
            count_cases(port, proto)
            exempt_case(port, proto)
        tls_case(INST.pop3s_port)
        INST.reconfigure({"pop3d_client_connection_rate_limit": "5",
                          "imapd_client_connection_rate_limit": "5"})
        for port, proto in ports:
            rate_case(port, proto)
    except (OSError, RuntimeError, ValueError) as e:
        R.bad("login limits", repr(e))
    finally:
        INST.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
