#!/usr/bin/env python3
"""auth_checker.py - petrel-auth, the one password service (the only
process that may read user_password_maps), survives the death of its
workers and of itself: SMTP AUTH answers "try later" while it is gone and
works again once it is back, without restarting smtpd.

Cases (smtpd_auth_checker_count = 2, the old name of auth_process_limit):
the old name still sizes the pool; AUTH PLAIN over STARTTLS on submission
works; the auth workers run as petrel-auth under a root parent, no more
than two of them, and smtpd has no child running as petrel-vmail (its
private checker is gone); after SIGKILL of one worker AUTH succeeds again
and a wrong password is still refused (535); with every worker killed at
once AUTH comes back; with the whole service killed AUTH answers 454
(temporary) and POP3 "-ERR [SYS/TEMP]", and after "petrel start" both
log in again; `petrel reload` keeps AUTH working; after a stop no auth
process is left.
Prints PASS/FAIL lines (t/run.sh).  Runs as root; instances in /tmp.
"""
import os
import poplib
import pwd
import signal
import smtplib
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from petrel_inst import BIN, Instance, Reporter, proc_uid, _alive  # noqa: E402
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
            except smtplib.SMTPResponseException as e:
                code = e.smtp_code
            return code
    except (OSError, smtplib.SMTPException) as e:
        return str(e)


def pop_login(inst):
    """USER/PASS over POP3: the status line of PASS."""
    try:
        p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=40)
        p.user(USER)
        try:
            out = p.pass_(PASSWORD)
        except poplib.error_proto as e:
            out = e.args[0]
        try:
            p.quit()
        except (OSError, poplib.error_proto):
            pass
        return out.decode("utf-8", "replace")
    except OSError as e:
        return str(e)


def auth_workers(inst):
    """Children of the auth parent that run as petrel-auth."""
    uid = pwd.getpwnam("petrel-auth").pw_uid
    parent = inst.daemon_pid("auth")
    if not parent:
        return []
    return [p for p in inst.children(parent)
            if _alive(p) and (proc_uid(p) or [None])[0] == uid]


def wait_code(fn, want, secs=20):
    """Retry fn() until it returns want (bounded); the last value."""
    deadline = time.time() + secs
    got = fn()
    while got != want and time.time() < deadline:
        time.sleep(0.3)
        got = fn()
    return got


def wait_workers(inst, old, secs=20):
    """Auth workers none of which is in old (bounded), or []."""
    deadline = time.time() + secs
    while time.time() < deadline:
        now = auth_workers(inst)
        if now and not set(now) & set(old):
            return now
        time.sleep(0.1)
    return []


def check_pool(inst):
    """The old parameter name sizes the pool; who runs what."""
    out = subprocess.run([os.path.join(BIN, "petrel-config"), "-f",
                          inst.conf, "-x", "-h", "auth_process_limit"],
                         stdout=subprocess.PIPE, timeout=20).stdout
    R.check(out.strip() == b"2", "smtpd_auth_checker_count still sets "
            "auth_process_limit", "got %r" % out)
    found = auth_workers(inst)
    R.check(1 <= len(found) <= 2, "auth workers run as petrel-auth, at "
            "most auth_process_limit of them", "workers: %r" % found)
    parent = inst.daemon_pid("auth")
    R.check(parent and proc_uid(parent) == [0, 0], "the auth parent keeps "
            "root", "uid %r" % (proc_uid(parent) if parent else None))
    vmail = pwd.getpwnam("petrel-vmail").pw_uid
    smtpd_kids = inst.children(inst.daemon_pid("smtpd") or -1)
    helpers = [p for p in smtpd_kids if (proc_uid(p) or [None])[0] == vmail]
    R.check(smtpd_kids and not helpers, "smtpd keeps no password checker "
            "of its own", "vmail children of smtpd: %r" % helpers)
    return found


def kill_service(inst):
    """SIGKILL the auth parent and its workers; wait until gone."""
    parent = inst.daemon_pid("auth")
    pids = [parent] + auth_workers(inst) if parent else []
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.time() + 10
    while any(_alive(p) for p in pids) and time.time() < deadline:
        time.sleep(0.1)


def main():
    with Instance({"smtpd_submission_listen": "auto",
                   "smtpd_tls_cert_file": "auto",
                   "smtpd_tls_key_file": "auto",
                   "smtpd_auth_checker_count": "2"}, name="authchk") as inst:
        inst.add_user(USER, PASSWORD)
        inst.setup_maildir(USER)
        code = auth(inst)
        R.check(code == 235, "AUTH PLAIN works", "got %r" % (code,))
        found = check_pool(inst)
        if not found:
            return
        victim = found[0]
        os.kill(victim, signal.SIGKILL)
        now = wait_workers(inst, [victim])
        R.check(now, "a killed auth worker is replaced", "workers %r" % now)
        code = wait_code(lambda: auth(inst), 235)
        R.check(code == 235, "AUTH works after the kill", "got %r" % (code,))
        code = auth(inst, "wrong-password")
        R.check(code == 535, "a wrong password is still refused (535)",
                "got %r" % (code,))

        now = auth_workers(inst)
        for p in now:            # all of them, at once
            os.kill(p, signal.SIGKILL)
        again = wait_workers(inst, now)
        R.check(again, "auth workers killed at once come back",
                "workers %r" % again)
        code = wait_code(lambda: auth(inst), 235)
        R.check(code == 235, "AUTH works after every worker was killed",
                "got %r" % (code,))

        kill_service(inst)
        code = auth(inst)
        R.check(code == 454, "without petrel-auth AUTH answers 454 "
                "(try later)", "got %r" % (code,))
        line = pop_login(inst)
        R.check(line.startswith("-ERR [SYS/TEMP]"), "without petrel-auth "
                "POP3 answers -ERR [SYS/TEMP]", "got %r" % line)
        rc, out = inst.ctl("start")
        code = wait_code(lambda: auth(inst), 235)
        R.check(rc == 0 and code == 235, "after petrel start AUTH works "
                "again (smtpd not restarted)", "rc %d, got %r, %s" %
                (rc, code, out.strip()[-200:]))
        line = wait_code(lambda: pop_login(inst)[:3], "+OK")
        R.check(line == "+OK", "after petrel start POP3 logs in again",
                "got %r" % line)

        rc, out = inst.ctl("reload")
        time.sleep(0.5)
        code = wait_code(lambda: auth(inst), 235)
        R.check(rc == 0 and code == 235, "AUTH works after reload",
                "rc %d, got %r" % (rc, code))
        last = [inst.daemon_pid("auth")] + auth_workers(inst)
        inst.ctl("stop")
        deadline = time.time() + 8
        while any(p and _alive(p) for p in last) and time.time() < deadline:
            time.sleep(0.1)
        R.check(not any(p and _alive(p) for p in last),
                "no auth process is left after a stop", "%r alive" % last)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, never hang
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    sys.exit(R.exit_code())
