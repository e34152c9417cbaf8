#!/usr/bin/env python3
"""auth_checker.py - smtpd's password checker (the process that alone may
read user_password_maps) survives its own death: the smtpd parent starts
a new one, so SMTP AUTH works again without a restart.

Cases: AUTH PLAIN over STARTTLS on submission works; the checker runs as
petrel-vmail, shares with the parent only its own socket end (no listening
socket, no pid file) and no worker holds that end (a worker could read
other sessions' passwords from it); after SIGKILL a new checker runs and
AUTH succeeds again, a wrong password is still refused (535); a checker
killed again at once comes back after the throttle; `petrel reload`
replaces it quietly; after a stop no checker is left.
Prints PASS/FAIL lines (t/run.sh).  Runs as root; instances in /tmp.
"""
import os
import pwd
import signal
import smtplib
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from petrel_inst import Instance, Reporter, proc_uid, _alive  # noqa: E402
from petrel_inst import tls_unverified  # noqa: E402

R = Reporter("auth-checker")
USER, PASSWORD = "alice@example.test", "s3cret-pw"


def auth(inst, password=PASSWORD):
    """AUTH PLAIN on submission after STARTTLS: the reply code."""
    try:
        with smtplib.SMTP("127.0.0.1", inst.submission_port, timeout=40) as c:
            c.ehlo("client.example.test")
            c.starttls(context=tls_unverified())
            c.ehlo("client.example.test")
            try:
                code, _ = c.login(USER, password)
            except smtplib.SMTPAuthenticationError as e:
                code = e.smtp_code
            except smtplib.SMTPResponseException as e:
                code = e.smtp_code
            return code
    except (OSError, smtplib.SMTPException) as e:
        return str(e)


def checkers(inst):
    """Children of the smtpd parent that run as petrel-vmail."""
    vmail = pwd.getpwnam("petrel-vmail").pw_uid
    parent = inst.daemon_pid("smtpd")
    if not parent:
        return []
    return [p for p in inst.children(parent)
            if _alive(p) and (proc_uid(p) or [None])[0] == vmail]


def workers(inst):
    """Children of the smtpd parent that run as petrel-smtpd."""
    uid = pwd.getpwnam("petrel-smtpd").pw_uid
    parent = inst.daemon_pid("smtpd")
    return [p for p in inst.children(parent or -1)
            if (proc_uid(p) or [None])[0] == uid]


def fd_targets(pid):
    """readlink of every open descriptor of pid."""
    out = []
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                out.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
            except OSError:
                pass
    except OSError:
        pass
    return out


def sockets(pid):
    return {t for t in fd_targets(pid) if t.startswith("socket:")}


def wait_auth(inst, want=235, secs=20):
    """Retry AUTH until it answers want (bounded); the last code."""
    deadline = time.time() + secs
    code = auth(inst)
    while code != want and time.time() < deadline:
        time.sleep(0.3)
        code = auth(inst)
    return code


def wait_checker(inst, old, secs=20):
    """A checker pid other than old (bounded), or None."""
    deadline = time.time() + secs
    while time.time() < deadline:
        now = [p for p in checkers(inst) if p != old]
        if now:
            return now[0]
        time.sleep(0.1)
    return None


def main():
    with Instance({"smtpd_submission_listen": "auto",
                   "smtpd_tls_cert_file": "auto",
                   "smtpd_tls_key_file": "auto"}, name="authchk") as inst:
        inst.add_user(USER, PASSWORD)
        code = auth(inst)
        R.check(code == 235, "AUTH PLAIN works", "got %r" % (code,))
        found = checkers(inst)
        R.check(len(found) == 1, "one checker runs as petrel-vmail",
                "checkers: %r" % found)
        if not found:
            return
        chk = found[0]
        parent = inst.daemon_pid("smtpd")
        shared = sockets(chk) & sockets(parent)
        R.check(len(shared) == 1, "the checker shares only its own socket "
                "with the parent (no listener)", "shared: %r" % shared)
        pidfiles = [t for t in fd_targets(chk) if t.endswith(".pid")]
        R.check(not pidfiles, "the checker holds no pid file",
                "%r" % pidfiles)
        ws = workers(inst)
        leaked = [w for w in ws if sockets(w) & sockets(chk)]
        R.check(ws and not leaked, "no worker holds the checker's end",
                "workers %r, holding it: %r" % (ws, leaked))

        os.kill(chk, signal.SIGKILL)
        new = wait_checker(inst, chk)
        R.check(new is not None, "a killed checker is replaced",
                "no new checker")
        code = wait_auth(inst)
        R.check(code == 235, "AUTH works again after the kill",
                "got %r" % (code,))
        code = auth(inst, "wrong-password")
        R.check(code == 535, "a wrong password is still refused (535)",
                "got %r" % (code,))
        R.check(new is not None and
                proc_uid(new)[0] == pwd.getpwnam("petrel-vmail").pw_uid,
                "the new checker runs as petrel-vmail", "uid %r" %
                (proc_uid(new) if new else None,))
        lines = inst.log_lines("killed by signal 9; starting a new one")
        R.check(lines, "the log names the dead checker", "no log line")

        if new:
            os.kill(new, signal.SIGKILL)   # dies fast: throttled restart
        again = wait_checker(inst, new)
        R.check(again is not None, "a checker killed at once comes back",
                "no new checker")
        code = wait_auth(inst)
        R.check(code == 235, "AUTH works after the throttled restart",
                "got %r" % (code,))

        rc, out = inst.ctl("reload")
        fresh = wait_checker(inst, again)
        R.check(rc == 0 and fresh is not None,
                "reload replaces the checker", "rc %d, %s" % (rc, out))
        code = wait_auth(inst)
        R.check(code == 235, "AUTH works after reload", "got %r" % (code,))
        warned = inst.log_lines("checker %d" % again) if again else []
        R.check(not warned, "a reload does not log the checker as dead",
                "%r" % warned)
        last = fresh or again
        inst.ctl("stop")
        deadline = time.time() + 8
        while last and _alive(last) and time.time() < deadline:
            time.sleep(0.1)
        R.check(last is None or not _alive(last),
                "no checker is left after a stop", "pid %r alive" % last)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, never hang
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    sys.exit(R.exit_code())
