"""auth_penalty.py - failed logins are counted by petrel-auth for every
daemon (local/auth_penalty.c): per client address and per user, with a
delay that grows at each failure, one check per penalty period for a
penalised address however many connections it opens, a good password that
still gets in and clears the count, exceptions, and a log line per failure
that fail2ban reads with the filter shipped in etc/fail2ban/.

Instance: auth_penalty_initial = 1s, auth_penalty_max = 4s, every daemon's
own *_auth_failure_delay 0 (so the delays seen are the penalty's), and
auth_penalty_exceptions = 127.0.0.9/32.  Clients bind distinct loopback
source addresses (127.0.0.2 ...) to be distinct clients.
Cases:
  - one IMAP connection from .2: three wrong passwords answered after
    >= 1, 2 and 4 s (the login process ticks once a second: +1 s slack);
  - the same address then fails over POP3 and SMTP AUTH: the count goes
    on across daemons (delay 4 s, log failures=4 and 5);
  - three IMAP connections from .2 send wrong passwords at once: one check
    per 4 s period, the others held back (log "held back"), so the last
    answer comes >= 4 s after the first;
  - the right password from the penalised .2 logs in, and clears the
    count: the next failure is answered after ~1 s again (failures=1);
  - user bob fails once each from .3, .4, .5: the third answer waits >= 4
    s (the user's count), yet bob's right password from .6 is answered
    at once (a user's count never holds a check back);
  - .9 (an exception) fails three times: answered at once, failures=0;
  - fail2ban-regex with etc/fail2ban/filter.d/petrel-auth.conf finds
    every "authentication failed" line and only real client addresses (a
    user name forging ", rip=6.6.6.6" does not move it), and the shipped
    jail etc/fail2ban/jail.d/petrel.conf passes fail2ban-client -t.
"""
import base64
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import Instance, Reporter  # noqa: E402

R = Reporter("auth_penalty")
TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FILTER = os.path.join(TOP, "etc", "fail2ban", "filter.d", "petrel-auth.conf")
SLACK = 2.5             # the login process's tick, plus a loaded machine
ALICE, APW = "alice@example.test", "secret"
BOB, BPW = "bob@example.test", "bobsecret"


class Line:
    """A line-oriented client from a chosen loopback source address."""

    def __init__(self, port, src):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30,
                                          source_address=(src, 0))
        self.f = self.s.makefile("rb")

    def readline(self):
        return self.f.readline()

    def send(self, text):
        self.s.sendall(text.encode() + b"\r\n")

    def until(self, prefix):
        """Lines up to and including the first starting with prefix."""
        lines = []
        for _ in range(100):
            ln = self.readline()
            lines.append(ln)
            if not ln or ln.startswith(prefix):
                break
        return lines

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def imap_login(inst, src, user, pw, conn=None):
    """One IMAP LOGIN; (answer line, seconds, connection)."""
    c = conn or Line(inst.imap_port, src)
    if conn is None:
        c.readline()
    t0 = time.time()
    c.send('a LOGIN "%s" "%s"' % (user, pw))
    lines = c.until(b"a ")
    return lines[-1], time.time() - t0, c


def pop3_login(inst, src, user, pw):
    """USER/PASS; (answer to PASS, seconds)."""
    c = Line(inst.pop3_port, src)
    c.readline()
    c.send("USER " + user)
    c.readline()
    t0 = time.time()
    c.send("PASS " + pw)
    ln = c.readline()
    secs = time.time() - t0
    c.close()
    return ln, secs


def smtp_auth(inst, src, user, pw):
    """EHLO + AUTH PLAIN; (reply line, seconds)."""
    c = Line(inst.smtp_port, src)
    c.readline()
    c.send("EHLO client.test")
    c.until(b"250 ")
    ir = base64.b64encode(b"\0" + user.encode() + b"\0" + pw.encode())
    t0 = time.time()
    c.send("AUTH PLAIN " + ir.decode())
    ln = c.readline()
    secs = time.time() - t0
    c.close()
    return ln, secs


def about(secs, want, case):
    """A delay of at least want seconds, not wildly more."""
    R.check(want - 0.1 <= secs <= want + SLACK, case, "%.2f s" % secs)


def growing(inst):
    """Three failures on one connection: 1, 2, 4 s."""
    c = None
    for i, want in enumerate((1, 2, 4)):
        ln, secs, c = imap_login(inst, "127.0.0.2", ALICE, "wrong%d" % i, c)
        R.check(b"NO [AUTHENTICATIONFAILED]" in ln,
                "IMAP failure %d: NO [AUTHENTICATIONFAILED]" % (i + 1), ln)
        about(secs, want, "IMAP failure %d answered after the penalty "
              "of %d s" % (i + 1, want))
    c.close()


def across_daemons(inst):
    """POP3 and SMTP failures from the same address go on counting."""
    ln, secs = pop3_login(inst, "127.0.0.2", ALICE, "wrong-pop")
    R.check(ln.startswith(b"-ERR"), "POP3 failure: -ERR", ln)
    about(secs, 4, "POP3 failure from the address IMAP failed from: "
          "penalty 4 s")
    ln, secs = smtp_auth(inst, "127.0.0.2", ALICE, "wrong-smtp")
    R.check(ln.startswith(b"535"), "SMTP AUTH failure: 535", ln)
    about(secs, 4, "SMTP AUTH failure from that address: penalty 4 s")
    R.check(inst.wait_log(r"authentication failed: service=pop3, user=<%s>,"
                          r" rip=127\.0\.0\.2, failures=4," % ALICE, 5),
            "log: the POP3 failure is the address's 4th")
    R.check(inst.wait_log(r"authentication failed: service=smtp, user=<%s>,"
                          r" rip=127\.0\.0\.2, failures=5," % ALICE, 5),
            "log: the SMTP failure is its 5th")


def parallel(inst):
    """Three connections at once: one check per penalty period."""
    done = []
    conns = [Line(inst.imap_port, "127.0.0.2") for _ in range(3)]
    for c in conns:
        c.readline()

    def one(c, i):
        ln, _, _ = imap_login(inst, None, ALICE, "par%d" % i, c)
        done.append((time.time(), ln))

    threads = [threading.Thread(target=one, args=(c, i))
               for i, c in enumerate(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    for c in conns:
        c.close()
    R.check(len(done) == 3 and all(b"NO [AUTH" in ln for _, ln in done),
            "three parallel wrong passwords: three NO", repr(done))
    times = sorted(t for t, _ in done)
    R.check(len(times) == 3 and times[-1] - times[0] >= 3.9,
            "the parallel checks are spread over penalty periods",
            "%r" % [round(t - times[0], 2) for t in times])
    R.check(inst.log_lines("authentication held back: service=imap, "
                           "user=<%s>, rip=127.0.0.2" % ALICE),
            "log: checks held back while the address is penalised")


def good_clears(inst):
    """The right password gets in from the penalised address; the next
    failure starts again from the first penalty."""
    ln, secs, c = imap_login(inst, "127.0.0.2", ALICE, APW)
    c.close()
    R.check(b"a OK" in ln, "right password from the penalised address: "
            "logged in", ln)
    R.check(secs <= 4 + SLACK, "... within one penalty period",
            "%.2f s" % secs)
    ln, secs, c = imap_login(inst, "127.0.0.2", ALICE, "wrong-after")
    c.close()
    about(secs, 1, "after a good login the next failure waits 1 s again")
    R.check(inst.wait_log(r"service=imap, user=<%s>, rip=127\.0\.0\.2, "
                          r"failures=1, user_failures=1," % ALICE, 5),
            "log: the count started again")


def per_user(inst):
    """A user's failures from several addresses lengthen the delay but
    never keep the right password out."""
    results = []
    for src in ("127.0.0.3", "127.0.0.4", "127.0.0.5"):
        ln, secs, c = imap_login(inst, src, BOB, "guess")
        c.close()
        results.append(secs)
    about(results[2], 4, "bob's 3rd failure (3rd address): the user's "
          "penalty 4 s")
    ln, secs, c = imap_login(inst, "127.0.0.6", BOB, BPW)
    c.close()
    R.check(b"a OK" in ln and secs < 1.5, "bob's right password from a "
            "fresh address: in at once", "%r %.2f s" % (ln, secs))


def exceptions(inst):
    """An address in auth_penalty_exceptions is never held back."""
    worst = 0.0
    for i in range(3):
        ln, secs, c = imap_login(inst, "127.0.0.9", BOB, "x%d" % i)
        c.close()
        worst = max(worst, secs)
    R.check(worst < 1.5, "an exception's failures are answered at once",
            "%.2f s" % worst)
    R.check(inst.wait_log(r"rip=127\.0\.0\.9, failures=0,", 5),
            "log: an exception's failures are not counted")


def forged(inst):
    """A user name carrying ', rip=6.6.6.6' fails like any other."""
    ln, _, c = imap_login(inst, "127.0.0.7", "x>, rip=6.6.6.6, z", "y")
    c.close()
    R.check(b"NO" in ln, "a forging user name is refused", ln)


def fail2ban(inst):
    """fail2ban-regex with our filter finds every failure line."""
    if not os.path.exists("/usr/bin/fail2ban-regex"):
        R.bad("fail2ban-regex", "not installed (run t/deps.sh)")
        return
    want = len(inst.log_lines("authentication failed: service="))
    # the filter includes common.conf from its own directory, as it will
    # once installed in /etc/fail2ban/filter.d
    fdir = os.path.join(inst.dir, "filter.d")
    os.mkdir(fdir)
    shutil.copy(FILTER, fdir)
    os.symlink("/etc/fail2ban/filter.d/common.conf",
               os.path.join(fdir, "common.conf"))
    p = subprocess.run(["fail2ban-regex", "-o", "ip",
                        os.path.join(inst.dir, "maillog"),
                        os.path.join(fdir, os.path.basename(FILTER))],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    got = [w for w in p.stdout.decode("utf-8", "replace").split()
           if w[:1].isdigit()]
    R.check(want > 10 and len(got) == want, "fail2ban's petrel-auth filter "
            "matches every failure line", "%d of %d: %r" % (len(got), want,
                                                          got[:5]))
    R.check(got and all(ip.startswith("127.0.0.") for ip in got),
            "fail2ban sees only client addresses (no forged rip)",
            repr(sorted(set(got))))


def jail(inst):
    """The shipped jail passes fail2ban-client's configuration test in a
    copy of Debian's /etc/fail2ban (logpath: this instance's maillog)."""
    conf = os.path.join(inst.dir, "fail2ban")
    shutil.copytree("/etc/fail2ban", conf)
    shutil.copy(FILTER, os.path.join(conf, "filter.d"))
    with open(os.path.join(TOP, "etc", "fail2ban", "jail.d",
                           "petrel.conf")) as f:
        text = f.read()
    text = "\n".join("logpath  = " + os.path.join(inst.dir, "maillog")
                     if ln.startswith("logpath") else ln
                     for ln in text.splitlines())
    with open(os.path.join(conf, "jail.d", "petrel.conf"), "w") as f:
        f.write(text + "\n[sshd]\nenabled = false\n")
    p = subprocess.run(["fail2ban-client", "-c", conf, "-t"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    out = p.stdout.decode("utf-8", "replace")
    R.check(p.returncode == 0 and "petrel-auth" not in out.split("ERROR")[-1]
            and "successful" in out,
            "the shipped jail passes fail2ban-client -t", out[-300:])


def main():
    inst = Instance({"auth_penalty_initial": "1s",
                     "auth_penalty_max": "4s",
                     "auth_penalty_exceptions": "127.0.0.9/32",
                     "imapd_auth_failure_delay": "0",
                     "pop3d_auth_failure_delay": "0",
                     "smtpd_auth_failure_delay": "0",
                     "smtpd_sasl_auth_enable_smtp": "yes",
                     "smtpd_tls_auth_only": "no",
                     "mynetworks": "127.0.0.1/32"}, name="penalty")
    try:
        inst.create()
        inst.add_user(ALICE, APW)
        inst.add_user(BOB, BPW)
        inst.start()
        growing(inst)
        across_daemons(inst)
        parallel(inst)
        good_clears(inst)
        per_user(inst)
        exceptions(inst)
        forged(inst)
        fail2ban(inst)
        jail(inst)
    except Exception as e:  # report, never hang
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    finally:
        inst.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
