"""imap_fail2ban.py - failed IMAP logins are delayed, counted, closed after
imapd_auth_failure_limit and logged in the form fail2ban's stock dovecot
filter (Debian's fail2ban, /etc/fail2ban/filter.d/dovecot.conf) matches.

Cases: every NO [AUTHENTICATIONFAILED] comes imapd_auth_failure_delay
(2 s; the login process's tick makes it 2..3 s) after the command, for a
wrong password and for an unknown user alike; the third failure is
followed by BYE and the close; a client that fails once and logs out, one
that hangs up during the delay (what brute-force tools do), AUTHENTICATE
PLAIN, and a failure over implicit TLS are each logged once with the
right attempt count; while one client waits out its delay another client
of the same login process logs in at once (the delay blocks nobody); a
user name that tries to forge ", rip=6.6.6.6" into the line cannot make
fail2ban see that address.
fail2ban: the stock filter's prefix allows one word (a host name) before
the daemon tag, and the tag must be dovecot, dovecot-auth or auth
(_daemon).  Our file lines read "TIME HOST petrel/imapd[PID]: imap-login:
...", so the filter unchanged cannot match them (the run below shows it:
an "info:" line); with the jail's filter line
    filter = dovecot[_daemon=petrel/imapd]
(journalmatch is irrelevant for a file) every failure line matches, with
the client's address, and nothing else does.  That is what is checked.
Needs fail2ban-regex (t/deps.sh installs Debian's fail2ban).
"""
import base64
import os
import shutil
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import Instance, Reporter  # noqa: E402
from imap_raw import Raw, tagged_ok  # noqa: E402

R = Reporter("imap_fail2ban")
FILTER = "/etc/fail2ban/filter.d/dovecot.conf"
DELAY = 2.0           # imapd_auth_failure_delay's default
SLACK = 1.6           # the once-a-second tick, plus a loaded machine
USER, PW = "alice@example.test", "secret"


def plain_ir(user, pw):
    """AUTHENTICATE PLAIN initial response."""
    return base64.b64encode(b"\0" + user.encode() + b"\0" +
                            pw.encode()).decode()


def delayed_no(lines, secs, case):
    """Check one failed login's reply and delay."""
    ok = lines and b"NO [AUTHENTICATIONFAILED]" in lines[-1]
    R.check(ok, case + ": NO [AUTHENTICATIONFAILED]", repr(lines[-1:]))
    R.check(DELAY - 0.05 <= secs <= DELAY + SLACK,
            case + ": answered after imapd_auth_failure_delay",
            "%.2f s" % secs)


def three_failures(inst):
    """Two wrong passwords, one unknown user; BYE and close after the
    third.  Returns the number of failure lines expected (1)."""
    c = Raw(inst.imap_port)
    _, lines, secs = c.cmd('LOGIN %s "wrong1"' % USER)
    delayed_no(lines, secs, "wrong password 1")
    _, lines, secs = c.cmd('LOGIN nobody-here@example.test "x"')
    delayed_no(lines, secs, "unknown user")
    _, lines, secs = c.cmd('LOGIN %s "wrong3"' % USER)
    delayed_no(lines, secs, "wrong password 3")
    bye = c.readline()
    R.check(bye.startswith(b"* BYE "), "third failure: BYE follows the NO",
            repr(bye))
    R.check(c.eof(5), "third failure: the server closes the connection")
    c.close()
    return 1


def not_blocking(inst):
    """A good login during another client's delay is answered at once."""
    bad = Raw(inst.imap_port)
    done = {}

    def fail():
        done["r"] = bad.cmd('LOGIN %s "nope"' % USER)
    t = threading.Thread(target=fail)
    t.start()
    time.sleep(0.3)
    good = Raw(inst.imap_port)
    _, lines, secs = good.cmd('LOGIN %s "%s"' % (USER, PW))
    R.check(tagged_ok(lines) and secs < 1.5 and t.is_alive(),
            "a good login is served during another client's failure delay",
            "%r after %.2f s (the failing one alive: %s)" %
            (lines[-1:], secs, t.is_alive()))
    good.cmd("LOGOUT")
    good.close()
    t.join(10)
    bad.cmd("LOGOUT")
    bad.close()
    return 1


def other_failures(inst):
    """Logout after one failure, hang-up during the delay, AUTHENTICATE
    PLAIN, implicit TLS, a forged user name.  Lines expected."""
    c = Raw(inst.imap_port)
    _, lines, secs = c.cmd('LOGIN %s "bad"' % USER)
    delayed_no(lines, secs, "one failure then LOGOUT")
    c.cmd("LOGOUT")
    c.close()
    c = Raw(inst.imap_port)
    c.send(b'h1 LOGIN hangup@example.test "bad"\r\n')
    time.sleep(0.3)
    c.close()                               # before the NO
    c = Raw(inst.imap_port)
    _, lines, secs = c.cmd("AUTHENTICATE PLAIN " + plain_ir(USER, "bad"))
    delayed_no(lines, secs, "AUTHENTICATE PLAIN")
    c.close()
    c = Raw(inst.imaps_port, tls=True)
    _, lines, secs = c.cmd('LOGIN %s "bad"' % USER)
    delayed_no(lines, secs, "implicit TLS")
    c.close()
    c = Raw(inst.imap_port)
    _, lines, _ = c.cmd('LOGIN "x>, method=PLAIN, rip=6.6.6.6, session=<x" "b"')
    c.close()
    return 5


def log_checks(inst, expect):
    """The Disconnected lines and what fail2ban makes of them."""
    deadline = time.time() + 10
    while time.time() < deadline:
        fails = inst.log_lines("imap-login: Disconnected (auth failed")
        if len(fails) >= expect:
            break
        time.sleep(0.2)
    R.check(len(fails) == expect, "one 'Disconnected (auth failed, ...)' "
            "line per failed client", "%d lines, want %d: %r" %
            (len(fails), expect, fails))
    R.check(any("auth failed, 3 attempts in " in f for f in fails),
            "the attempts are counted (3)", repr(fails))
    R.check(any("user=<hangup@example.test>, method=LOGIN, rip=127.0.0.1"
                in f for f in fails),
            "a client that hangs up during the delay is logged", repr(fails))
    R.check(any("method=PLAIN" in f for f in fails) and
            any(f.endswith(", TLS") for f in fails),
            "AUTHENTICATE PLAIN and TLS failures are logged as such",
            repr(fails))
    if not shutil.which("fail2ban-regex") or not os.path.exists(FILTER):
        R.bad("fail2ban-regex", "not installed (run t/deps.sh)")
        return
    log = os.path.join(inst.dir, "maillog")
    stock = fail2ban(log, FILTER)
    print("info: the stock filter unchanged matches %d line(s): the "
          "daemon tag petrel/imapd is not in its _daemon" % len(stock))
    got = fail2ban(log, FILTER + "[_daemon=petrel/imapd]")
    R.check(len(got) == expect,
            "fail2ban's dovecot filter (_daemon=petrel/imapd) matches "
            "every failure line", "%d matches, want %d: %r" %
            (len(got), expect, got))
    R.check(got and all(ip == "127.0.0.1" for ip in got),
            "fail2ban sees only the client's address (no forged rip)",
            repr(got))


def fail2ban(log, filt):
    """The addresses fail2ban-regex finds in log with filter filt."""
    p = subprocess.run(["fail2ban-regex", "-o", "ip", log, filt],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120)
    out = p.stdout.decode("utf-8", "replace").split()
    if p.returncode != 0:
        print("info: fail2ban-regex exit %d: %s" % (p.returncode,
                                                    " ".join(out)[-300:]))
    return [w for w in out if w[:1].isdigit() or ":" in w]


def main():
    inst = Instance({"imapd_imaps_listen": "auto",
                     "imapd_tls_cert_file": "auto",
                     "imapd_tls_key_file": "auto",
                     "imapd_login_process_limit": "1"}, name="i2ban")
    try:
        inst.create()
        inst.add_user(USER, PW)
        inst.start()
        expect = three_failures(inst)
        expect += not_blocking(inst)
        expect += other_failures(inst)
        ok_lines = inst.log_lines("imap-login: Login: user=<%s>" % USER)
        R.check(len(ok_lines) == 1, "the good login is logged once",
                repr(ok_lines))
        log_checks(inst, expect)
    except Exception as e:  # report, never hang
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    finally:
        inst.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
