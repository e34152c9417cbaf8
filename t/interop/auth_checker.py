#!/usr/bin/env python3
"""auth_checker.py - smtpd's password checkers (the processes that alone
may read user_password_maps) survive their own death: the smtpd parent
starts new ones, so SMTP AUTH works again without a restart.

Cases (smtpd_auth_checker_count = 2): AUTH PLAIN over STARTTLS on
submission works; two checkers run as petrel-vmail, each shares with the
parent only its own socket end (no listening socket, no pid file) and no
worker holds that end (a worker could read other sessions' passwords from
it); after SIGKILL of one a new checker runs, the other is untouched, and
AUTH succeeds again, a wrong password is still refused (535); with every
checker killed AUTH comes back after the throttle; `petrel reload`
replaces them quietly; after a stop no checker is left.
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


def wait_checkers(inst, old, n=2, secs=20):
    """n checker pids, none of them in old (bounded), or []."""
    deadline = time.time() + secs
    while time.time() < deadline:
        now = checkers(inst)
        if len(now) == n and not set(now) & set(old):
            return now
        time.sleep(0.1)
    return []


def main():
    with Instance({"smtpd_submission_listen": "auto",
                   "smtpd_tls_cert_file": "auto",
                   "smtpd_tls_key_file": "auto",
                   "smtpd_auth_checker_count": "2"}, name="authchk") as inst:
        inst.add_user(USER, PASSWORD)
        code = auth(inst)
        R.check(code == 235, "AUTH PLAIN works", "got %r" % (code,))
        found = checkers(inst)
        R.check(len(found) == 2, "two checkers run as petrel-vmail "
                "(smtpd_auth_checker_count = 2)", "checkers: %r" % found)
        if not found:
            return
        parent = inst.daemon_pid("smtpd")
        for chk in found:
            shared = sockets(chk) & sockets(parent)
            R.check(len(shared) == 1, "checker %d shares only its own "
                    "socket with the parent (no listener)" % found.index(chk),
                    "shared: %r" % shared)
            pidfiles = [t for t in fd_targets(chk) if t.endswith(".pid")]
            R.check(not pidfiles, "checker %d holds no pid file" %
                    found.index(chk), "%r" % pidfiles)
        ws = workers(inst)
        leaked = [w for w in ws if sockets(w) & sockets(found[0])]
        R.check(ws and not leaked, "no worker holds the checkers' end",
                "workers %r, holding it: %r" % (ws, leaked))

        victim, other = found[0], found[-1]
        os.kill(victim, signal.SIGKILL)
        now = wait_checkers(inst, [victim], n=2)
        R.check(len(now) == 2 and other in now,
                "a killed checker is replaced, the other one keeps running",
                "checkers now %r (killed %d, other %d)" % (now, victim, other))
        code = wait_auth(inst)
        R.check(code == 235, "AUTH works after the kill", "got %r" % (code,))
        code = auth(inst, "wrong-password")
        R.check(code == 535, "a wrong password is still refused (535)",
                "got %r" % (code,))
        vmail = pwd.getpwnam("petrel-vmail").pw_uid
        R.check(now and all(proc_uid(p)[0] == vmail for p in now),
                "the new checker runs as petrel-vmail", "%r" % now)
        lines = inst.log_lines("password checker %d killed by signal 9; "
                               "starting a new one" % victim)
        R.check(lines, "the log names the dead checker", "no log line")

        for p in now:            # all of them, at once: throttled restart
            os.kill(p, signal.SIGKILL)
        again = wait_checkers(inst, now, n=2)
        R.check(len(again) == 2, "checkers killed at once come back",
                "checkers %r" % again)
        code = wait_auth(inst)
        R.check(code == 235, "AUTH works after the throttled restart",
                "got %r" % (code,))

        rc, out = inst.ctl("reload")
        fresh = wait_checkers(inst, again, n=2)
        R.check(rc == 0 and len(fresh) == 2,
                "reload replaces the checkers", "rc %d, %s" % (rc, out))
        code = wait_auth(inst)
        R.check(code == 235, "AUTH works after reload", "got %r" % (code,))
        warned = [ln for p in again
                  for ln in inst.log_lines("checker %d " % p)]
        R.check(not warned, "a reload does not log the checkers as dead",
                "%r" % warned)
        inst.ctl("stop")
        deadline = time.time() + 8
        while any(_alive(p) for p in fresh) and time.time() < deadline:
            time.sleep(0.1)
        R.check(not any(_alive(p) for p in fresh),
                "no checker is left after a stop", "%r alive" % fresh)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, never hang
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    sys.exit(R.exit_code())
