"""privsep.py - privilege separation, proven from outside on a running
instance (DESIGN.md "Processes, users, and who may touch what"):
each daemon's workers run as its own user (real and effective uid), the
local delivery parent stays root, and the smtpd user can neither create a
file in the spool's incoming area nor read or list queue files.
The password service petrel-auth (the only reader of user_password_maps,
its workers running as petrel-auth): a peer whose uid is not allowed
(nobody, or petrel-vmail: the virtual users' sessions) is refused and
logged; smtpd_user may VERIFY and gets a login
cookie but may not REDEEM it; root redeems a cookie once; a cookie expires
after 60 seconds (the test waits that long once, at the end).
"""
import os
import pwd
import signal
import smtplib
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import Instance, Reporter, proc_uid  # noqa: E402
from auth_probe import auth_ask  # noqa: E402

R = Reporter("privsep")
COOKIE_TTL = 60


def uid_of(user):
    """Numeric uid of a user, or None."""
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


def tree(inst, pid):
    """pid and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(inst.children(p))
    return out


def check_workers(inst, daemon, user, helper_user=None):
    """Every descendant of the daemon's parent runs as user (real+effective),
    except helper processes running as helper_user, if given (at least
    one)."""
    case = "%s workers run as %s" % (daemon, user)
    pid = inst.daemon_pid(daemon)
    if not pid:
        R.bad(case, "no %s running" % daemon)
        return
    want = uid_of(user)
    kids = tree(inst, pid)[1:]
    if daemon == "qmgr" and not kids:
        kids = [pid]   # a single-process daemon drops in place
    uids = {p: proc_uid(p) for p in kids}
    uids = {p: u for p, u in uids.items() if u is not None}
    if helper_user:
        hu = uid_of(helper_user)
        helpers = [p for p, u in uids.items() if u == [hu, hu]]
        R.check(len(helpers) >= 1, "%s has helpers running as %s" %
                (daemon, helper_user), "helpers: %r" % helpers)
        uids = {p: u for p, u in uids.items() if p not in helpers}
    wrong = {p: u for p, u in uids.items() if u != [want, want]}
    R.check(uids and not wrong, case,
            "no workers" if not uids else "wrong uids %s (want %s)" % (wrong, want))


def as_user(user, argv):
    """Run argv as user (groups from the group database); return exit code."""
    p = subprocess.run(["runuser", "-u", user, "--"] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=20)
    return p.returncode


def check_auth_service(inst):
    """Peers, VERIFY, REDEEM (root only, once); returns (cookie, time) of a
    cookie left unredeemed for the expiry check, or (None, 0)."""
    check_workers(inst, "auth", "petrel-auth")
    verify = ("VERIFY", "imap", "alice@example.test", "secret", "127.0.0.1")
    ans = auth_ask(inst, "nobody", *verify)
    R.check(ans[:1] == ["DENY"], "petrel-auth refuses a peer with a "
            "disallowed uid (nobody)", "answer %r" % ans)
    uid = uid_of("nobody")
    R.check(inst.wait_log(r"refused a request from uid %d" % uid, 10),
            "the refused peer is logged", "no log line")
    ans = auth_ask(inst, "petrel-smtpd", *verify[:3] + ("wrong", "::1"))
    R.check(ans[:1] == ["NO"], "a wrong password gets NO", "answer %r" % ans)
    ans = auth_ask(inst, "petrel-smtpd", *verify)
    ok = len(ans) == 2 and ans[0] == "OK" and len(ans[1]) == 32
    R.check(ok, "smtpd_user may VERIFY and gets a 128-bit cookie",
            "answer %r" % ans)
    if not ok:
        return None, 0
    cookie = ans[1]
    ans = auth_ask(inst, "petrel-smtpd", "REDEEM", cookie)
    R.check(ans[:1] == ["DENY"], "only root may redeem (smtpd_user is "
            "refused)", "answer %r" % ans)
    ans = auth_ask(inst, None, "REDEEM", cookie)
    R.check(ans == ["OK", "alice@example.test"], "root redeems the cookie "
            "for the user it was issued to", "answer %r" % ans)
    ans = auth_ask(inst, None, "REDEEM", cookie)
    R.check(ans[:1] == ["NO"], "a cookie redeems only once",
            "answer %r" % ans)
    ans = auth_ask(inst, "petrel-vmail", *verify)
    R.check(ans[:1] == ["DENY"], "petrel-auth refuses VERIFY from "
            "vmail_user (the virtual users' sessions)", "answer %r" % ans)
    ans = auth_ask(inst, "petrel-smtpd", *verify)
    issued = time.time()
    if len(ans) == 2 and ans[0] == "OK":
        return ans[1], issued
    R.bad("a second cookie for the expiry check", "answer %r" % ans)
    return None, 0


def check_cookie_expiry(inst, cookie, issued):
    """The cookie left over by check_auth_service is dead after 60 s."""
    if not cookie:
        return
    left = issued + COOKIE_TTL + 1.5 - time.time()
    if left > 0:
        time.sleep(left)
    ans = auth_ask(inst, None, "REDEEM", cookie)
    R.check(ans[:1] == ["NO"], "a cookie expires after %d s" % COOKIE_TTL,
            "answer %r" % ans)


def try_send(smtp, subject):
    """Send one message to alice; True on 250 (a failure is reported)."""
    try:
        smtp.sendmail("s@remote.example", ["alice@example.test"],
                      b"Subject: " + subject.encode() + b"\r\n\r\nbody\r\n")
        return True
    except (smtplib.SMTPException, OSError) as e:
        print("info: sending %s failed: %r" % (subject, e))
        return False


def running(pid):
    """True while pid is a live process (not a zombie)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def main():
    """Start an instance, hold a message in the queue, inspect."""
    inst = Instance(name="privsep")
    master = None
    try:
        inst.create()
        inst.add_user("alice@example.test", "secret")
        inst.start()
        # hold sessions open so that workers certainly exist
        smtp = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20)
        smtp.ehlo("client.example.test")
        sent = try_send(smtp, "warm-up")
        pop = socket.create_connection(("127.0.0.1", inst.pop3_port), 10)
        pop.recv(512)
        if sent:
            inst.wait_messages("alice@example.test", 1, 15)
        time.sleep(0.5)
        # petrel-auth alone reads user_password_maps; smtpd has no helper
        check_workers(inst, "smtpd", "petrel-smtpd")
        cookie, issued = check_auth_service(inst)
        check_workers(inst, "inject", "petrel-inject")
        check_workers(inst, "qmgr", "petrel-queue")
        check_workers(inst, "pop3d", "petrel-login", "root")
        lp = inst.daemon_pid("local")
        R.check(lp and proc_uid(lp) == [0, 0], "local parent runs as root",
                "uid %s" % (proc_uid(lp) if lp else "not running"))
        sp = inst.daemon_pid("smtpd")
        R.check(sp and proc_uid(sp) == [0, 0],
                "smtpd parent keeps root (binds, never parses)",
                "uid %s" % (proc_uid(sp) if sp else "not running"))
        pop.close()

        # a message that stays queued: local delivery stopped, and
        # petrel-master paused meanwhile (it would start local again)
        master = inst.daemon_pid("master")
        if master:
            os.kill(master, signal.SIGSTOP)
        lp = inst.daemon_pid("local")
        inst.kill_daemon("local", signal.SIGTERM)
        deadline = time.time() + 15
        while lp and running(lp) and time.time() < deadline:
            time.sleep(0.1)
        if not sent:
            smtp = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20)
        try_send(smtp, "held")
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        time.sleep(1.5)
        qfiles = inst.queue_files()
        R.check(qfiles, "a message is held in the queue", "queue empty")

        inc = os.path.join(inst.spool, "incoming")
        probe = os.path.join(inc, "smtpd-probe")
        rc = as_user("petrel-smtpd", ["touch", probe])
        R.check(rc != 0 and not os.path.exists(probe),
                "petrel-smtpd cannot create a file in incoming/",
                "touch exit %d, exists %s" % (rc, os.path.exists(probe)))
        for q in qfiles[:3]:
            rc = as_user("petrel-smtpd", ["cat", q])
            R.check(rc != 0, "petrel-smtpd cannot read queue file %s" %
                    os.path.relpath(q, inst.spool), "cat exit 0")
        for area in ("incoming", "active", "deferred"):
            rc = as_user("petrel-smtpd", ["ls", os.path.join(inst.spool, area)])
            R.check(rc != 0, "petrel-smtpd cannot list %s/" % area, "ls exit 0")
        for q in qfiles[:1]:
            rc = as_user("petrel-vmail", ["cat", q])
            R.check(rc != 0, "petrel-vmail cannot read queue files", "cat exit 0")
        if not os.path.isdir(inst.maildir("alice@example.test")):
            inst.setup_maildir("alice@example.test")
        new = inst.maildir("alice@example.test")
        probe = os.path.join(new, "smtpd-probe")
        rc = as_user("petrel-smtpd", ["touch", probe])
        R.check(rc != 0 and not os.path.exists(probe),
                "petrel-smtpd cannot write a maildir", "touch exit %d" % rc)
        for name in ("passwd", "passwd.db"):
            f = os.path.join(inst.dir, "conf", name)
            if os.path.exists(f):
                rc = as_user("petrel-smtpd", ["cat", f])
                R.check(rc != 0, "petrel-smtpd cannot read conf/%s" % name,
                        "cat exit 0")
        check_cookie_expiry(inst, cookie, issued)
    except Exception as e:
        R.bad("setup", repr(e))
    finally:
        try:
            if master:
                os.kill(master, signal.SIGCONT)
        except OSError:
            pass
        inst.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
