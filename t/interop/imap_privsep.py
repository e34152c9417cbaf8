"""imap_privsep.py - imapd's privilege separation, proven from outside on a
running instance (DESIGN.md "Processes, users, and who may touch what",
issue 12):
  - the imapd parent and the spawner run as root; every login process
    runs as imapd_login_user (petrel-login): real, effective, saved and
    filesystem uid and gid, no other groups, no capabilities;
  - petrel-login can open no maildir (virtual or a system user's) and no
    password map: the modes and owners say so, and `setpriv` with the
    login process's exact ids fails to read them (while it reads a
    world-readable file: the probe itself works);
  - a client that has only sent pre-login commands (CAPABILITY, NOOP, ID,
    a failed LOGIN, STARTTLS and a TLS handshake, implicit TLS) is held by
    a login process alone: no process running as petrel-vmail (or as any
    mailbox owner) has its socket, and no session was forked for it;
  - after LOGIN a virtual user's session runs as petrel-vmail and holds
    the client's socket (plaintext) or the relay from a login process
    (TLS); a system user's session runs as that user (uid, gid, no other
    groups) and cannot read another system user's ~/Maildir (0700) or a
    virtual maildir or the password map;
  - a session of a virtual user reaches no other user's mail through
    mailbox names ("../bob", "a/../../bob", "~bob", "/etc", ...);
  - the spawner has no named socket; no session or login process holds
    its end of the handoff socket pair, and no session holds any socket of
    a login process (a session cannot send handoff records);
  - petrel-auth refuses REDEEM from petrel-login and from petrel-vmail (a
    login process or a session cannot turn a cookie into a user), and a
    system user cannot ask it anything; a cookie redeems once.
Needs root (useradd, setpriv, runuser).
The helpers take the daemon (or protocol) as a parameter, imapd's by
default: t/interop/pop3_privsep.py runs them on pop3d (which shares the
login stage and the spawner) and points this module's R at its own
Reporter.
"""
import imaplib
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import BIN, Instance, Reporter, _status  # noqa: E402
from imap_raw import Raw, tagged_ok, tcp_holders  # noqa: E402
from auth_probe import auth_ask  # noqa: E402

R = Reporter("imap_privsep")
SYS = ["petrelimap1", "petrelimap2"]
ALICE, BOB, PW = "alice@example.test", "bob@example.test", "secret"


def ids(pid):
    """{Uid, Gid: [4 ints], Groups: set, CapEff: int} of a process."""
    st = _status(pid)
    if not st:
        return {}
    return {"Uid": [int(x) for x in st["Uid"].split()],
            "Gid": [int(x) for x in st["Gid"].split()],
            "Groups": {int(x) for x in st.get("Groups", "").split()},
            "CapEff": int(st.get("CapEff", "0"), 16)}


def sys_user(name):
    """A system user with ~/Maildir (mode 0700, home 0755); its pw."""
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-m", "-d", "/tmp/%s-home" % name, "-s",
                        "/usr/sbin/nologin", name], check=True)
        pw = pwd.getpwnam(name)
    os.chmod(pw.pw_dir, 0o755)
    md = os.path.join(pw.pw_dir, "Maildir")
    for d in (md, md + "/cur", md + "/new", md + "/tmp"):
        if not os.path.isdir(d):
            os.mkdir(d)
        os.chown(d, pw.pw_uid, pw.pw_gid)
        os.chmod(d, 0o700)
    return pw


def add_sys_passwords(inst, users=None):
    """user_password_maps lines for the system users, map rebuilt."""
    h = subprocess.run(["openssl", "passwd", "-6", PW], check=True,
                       stdout=subprocess.PIPE).stdout.decode().strip()
    src = os.path.join(inst.dir, "conf", "passwd")
    st = os.stat(src)
    with open(src, "a") as f:
        for u in users or SYS:
            f.write("%s@localhost %s\n" % (u, h))
    subprocess.run([os.path.join(BIN, "petrel-map"), "-f", inst.conf,
                    "hash:" + src], check=True)
    for p in (src, src + ".db"):
        os.chown(p, st.st_uid, st.st_gid)
        os.chmod(p, stat.S_IMODE(st.st_mode))


def as_ids(uid, gid, argv):
    """Run argv with exactly these ids and no other groups; exit code."""
    p = subprocess.run(["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid,
                        "--clear-groups", "--"] + argv,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=20)
    return p.returncode


def procs(inst, daemon="imapd"):
    """(parent, spawner, [login pids], [session pids]) of the daemon."""
    parent = inst.daemon_pid(daemon)
    spawner, logins, sessions = None, [], []
    for p in inst.children(parent) if parent else []:
        if ids(p).get("Uid", [None])[0] == 0:
            spawner = p
        else:
            logins.append(p)
    if spawner:
        sessions = inst.children(spawner)
    return parent, spawner, logins, sessions


def check_roles(inst, login_pw, daemon="imapd"):
    """Ids of the parent, the spawner and the login processes."""
    parent, spawner, logins, _ = procs(inst, daemon)
    R.check(parent and ids(parent)["Uid"] == [0] * 4,
            "the %s parent runs as root" % daemon, repr(parent))
    R.check(spawner and ids(spawner)["Uid"] == [0] * 4,
            "the spawner runs as root", repr(spawner))
    want_u, want_g = [login_pw.pw_uid] * 4, [login_pw.pw_gid] * 4
    bad = {p: ids(p) for p in logins}
    bad = {p: i for p, i in bad.items() if i and (
        i["Uid"] != want_u or i["Gid"] != want_g or
        not i["Groups"] <= {login_pw.pw_gid} or i["CapEff"] != 0)}
    R.check(logins and not bad, "every login process runs as petrel-login "
            "(uids, gids, no other groups, no capabilities)",
            "logins %r bad %r" % (logins, bad))
    return logins


def sockets_of(pid):
    """Socket inodes among a process's descriptors."""
    out = set()
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            except OSError:
                continue
            if link.startswith("socket:["):
                out.add(link[8:-1])
    except OSError:
        pass
    return out


def check_handoff(inst, daemon="imapd"):
    """The spawner listens on nothing with a name, and no session or
    login process holds the spawner's end of the handoff socket."""
    _, spawner, logins, sessions = procs(inst, daemon)
    mine = sockets_of(spawner) if spawner else set()
    named = []
    with open("/proc/net/unix") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if len(parts) >= 8 and parts[6] in mine:
                named.append(parts[7])
    R.check(spawner and mine and not named, "the spawner has no socket "
            "with a path (only its end of the login processes' pair)",
            repr(named))
    shared = {p: sockets_of(p) & mine for p in logins + sessions}
    shared = {p: x for p, x in shared.items() if x}
    R.check(sessions and not shared, "no session or login process holds "
            "the spawner's end of the handoff socket", repr(shared))
    theirs = set().union(*[sockets_of(p) for p in logins])
    shared = {p: sockets_of(p) & theirs for p in sessions}
    shared = {p: x for p, x in shared.items() if x}
    R.check(theirs and not shared, "no session holds a socket of a login "
            "process (the handoff's sending end included)", repr(shared))


def check_login_files(inst, login_pw, sys_pws):
    """petrel-login can open no maildir and no password map."""
    u, g = login_pw.pw_uid, login_pw.pw_gid
    R.check(as_ids(u, g, ["cat", inst.conf]) == 0,
            "probe: petrel-login reads a world-readable file")
    conf = os.path.join(inst.dir, "conf")
    for name in ("passwd", "passwd.db"):
        p = os.path.join(conf, name)
        st = os.stat(p)
        R.check(not st.st_mode & 0o004 and st.st_gid != g and st.st_uid != u,
                "conf/%s: no permission for petrel-login" % name,
                "mode %o owner %d:%d" % (st.st_mode, st.st_uid, st.st_gid))
        R.check(as_ids(u, g, ["cat", p]) != 0,
                "petrel-login cannot read conf/%s" % name)
    alice = os.path.dirname(inst.maildir(ALICE))
    files = [os.path.join(alice, d, f) for d in ("cur", "new")
             for f in os.listdir(os.path.join(alice, d))]
    st = os.stat(alice)
    R.check(stat.S_IMODE(st.st_mode) & 0o077 == 0 and st.st_uid != u,
            "a virtual maildir is 0700 and not petrel-login's",
            "mode %o" % st.st_mode)
    R.check(files and as_ids(u, g, ["cat", files[0]]) != 0 and
            as_ids(u, g, ["ls", alice]) != 0,
            "petrel-login cannot list or read a virtual maildir",
            "%d files" % len(files))
    for pw in sys_pws:
        md = os.path.join(pw.pw_dir, "Maildir")
        R.check(as_ids(u, g, ["ls", md]) != 0 and
                as_ids(u, g, ["ls", md + "/new"]) != 0,
                "petrel-login cannot list %s's ~/Maildir" % pw.pw_name)


def held_by_login_only(inst, c, port, case):
    """The connection c is held by a login process, by nothing else."""
    holders = tcp_holders(port, c.local_port)
    who = {p: ids(p).get("Uid", [None])[0] for p in holders}
    login_uid = pwd.getpwnam("petrel-login").pw_uid
    R.check(holders and all(u == login_uid for u in who.values()),
            case + ": held by a login process alone", repr(who))


def check_prelogin(inst):
    """Pre-login conversations stay in the login processes."""
    _, _, _, before = procs(inst)
    a = Raw(inst.imap_port)
    for cmd in ("CAPABILITY", "NOOP", 'ID ("name" "probe")',
                'LOGIN %s "wrong"' % ALICE):
        a.cmd(cmd)
    b = Raw(inst.imap_port)
    b.cmd("CAPABILITY")
    _, lines, _ = b.cmd("STARTTLS")
    if tagged_ok(lines):
        ctx = __import__("petrel_inst").tls_unverified()
        b.sock = ctx.wrap_socket(b.sock)
        b.cmd("CAPABILITY")
    t = Raw(inst.imaps_port, tls=True)
    t.cmd("CAPABILITY")
    t.cmd("AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUudGVzdAB3cm9uZw==")
    time.sleep(0.3)
    held_by_login_only(inst, a, inst.imap_port, "plaintext, failed LOGIN")
    held_by_login_only(inst, b, inst.imap_port, "after STARTTLS")
    held_by_login_only(inst, t, inst.imaps_port, "implicit TLS, failed "
                       "AUTHENTICATE")
    _, _, _, after = procs(inst)
    R.check(set(after) <= set(before), "no session was forked for clients "
            "that did not log in", "new %r" % (set(after) - set(before)))
    return [a, b, t]


def mpid_of(inst, user, known, proto="imap"):
    """The session pid from the newest Login line for user."""
    pat = re.compile(r"%s-login: Login: user=<%s>.*mpid=(\d+)" %
                     (proto, re.escape(user)))
    for _ in range(50):
        pids = [int(m.group(1)) for m in
                (pat.search(ln) for ln in inst.log_lines("Login: user=<"))
                if m and int(m.group(1)) not in known]
        if pids:
            return pids[-1]
        time.sleep(0.1)
    return None


def check_session(inst, user, pw, port, tls, known):
    """Log in; the session's ids; who holds the client's socket."""
    c = Raw(port, tls=tls)
    _, lines, _ = c.cmd('LOGIN %s "%s"' % (user, PW))
    case = "%s%s" % (user, " over TLS" if tls else "")
    if not R.check(tagged_ok(lines), case + ": LOGIN", repr(lines[-1:])):
        return c, None
    c.cmd("SELECT INBOX")
    pid = mpid_of(inst, user, known)
    known.add(pid)
    check_session_proc(case, pid, pw, port, c.local_port, tls)
    return c, pid


def check_session_proc(case, pid, pw, port, client_port, tls):
    """The session pid runs as pw only; the client's socket is its own
    (plaintext) or stays in a login process that relays (TLS)."""
    i = ids(pid) if pid else {}
    R.check(i and i["Uid"] == [pw.pw_uid] * 4 and
            i["Gid"] == [pw.pw_gid] * 4 and i["Groups"] <= {pw.pw_gid} and
            i["CapEff"] == 0, case + ": the session runs as %s only" %
            pw.pw_name, "pid %r ids %r" % (pid, i))
    holders = tcp_holders(port, client_port)
    if tls:
        login_uid = pwd.getpwnam("petrel-login").pw_uid
        R.check(holders and all(ids(p)["Uid"][0] == login_uid
                                for p in holders),
                case + ": the TLS connection stays in a login process "
                "(it relays to the session)", repr(holders))
    else:
        R.check(holders == [pid], case + ": the session alone holds the "
                "client's socket", "holders %r session %r" % (holders, pid))


def check_sys_isolation(inst, sys_pws):
    """A system user reads its own Maildir and nobody else's."""
    a, b = sys_pws
    own = os.path.join(a.pw_dir, "Maildir", "new")
    R.check(as_ids(a.pw_uid, a.pw_gid, ["ls", own]) == 0,
            "probe: %s lists its own ~/Maildir" % a.pw_name)
    other = os.path.join(b.pw_dir, "Maildir")
    R.check(stat.S_IMODE(os.stat(other).st_mode) == 0o700,
            "%s's ~/Maildir is 0700" % b.pw_name)
    R.check(as_ids(a.pw_uid, a.pw_gid, ["ls", other + "/new"]) != 0,
            "%s cannot list %s's ~/Maildir" % (a.pw_name, b.pw_name))
    alice = os.path.dirname(inst.maildir(ALICE))
    R.check(as_ids(a.pw_uid, a.pw_gid, ["ls", alice]) != 0,
            "%s cannot list a virtual maildir" % a.pw_name)
    R.check(as_ids(a.pw_uid, a.pw_gid, ["cat", os.path.join(
        inst.dir, "conf", "passwd.db")]) != 0,
        "%s cannot read the password map" % a.pw_name)
    vm = pwd.getpwnam("petrel-vmail")
    R.check(as_ids(vm.pw_uid, vm.pw_gid, ["ls", other]) != 0,
            "petrel-vmail (virtual sessions) cannot list a system user's "
            "~/Maildir")
    for name in ("passwd", "passwd.db"):
        R.check(as_ids(vm.pw_uid, vm.pw_gid, ["cat", os.path.join(
            inst.dir, "conf", name)]) != 0,
            "petrel-vmail (every virtual user's session) cannot read "
            "conf/%s: only petrel-auth can" % name)


def walk(top):
    """Every path under top, relative, sorted."""
    out = []
    for root, dirs, files in os.walk(top):
        out += [os.path.relpath(os.path.join(root, x), top)
                for x in dirs + files]
    return sorted(out)


def check_names(inst):
    """Mailbox names cannot leave alice's maildir."""
    bob = os.path.dirname(inst.maildir(BOB))
    before = walk(bob)
    top = os.path.join(inst.dir, "mail")
    tree_before = sorted(os.listdir(top)) + sorted(os.listdir(
        os.path.join(top, "example.test")))
    m = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=15)
    m.login(ALICE, PW)
    leaks = []
    names = ["../bob", "../../example.test/bob", "a/../../bob", "~bob",
             "/etc", "..", ".", "../bob/INBOX", "INBOX/../../bob",
             ".../bob", "%2e%2e/bob"]
    home = os.path.dirname(inst.maildir(ALICE))

    def inside(n):
        """A folder of alice's own by that name (Maildir++ layout)."""
        return os.path.isdir(os.path.join(home, "." + n.replace("/", ".")))
    for n in names:
        q = '"%s"' % n
        ops = [("CREATE", m.create(q)),
               ("SELECT", m._simple_command("SELECT", q)),
               ("STATUS", m.status(q, "(MESSAGES)")),
               ("APPEND", m.append(q, None, None,
                                   b"Subject: x\r\n\r\nx\r\n"))]
        leaks += [(op, n) for op, (typ, _d) in ops
                  if typ == "OK" and not inside(n)]
    m.create("own")
    for n in names:
        typ, _d = m.rename("own", '"%s"' % n)
        if typ == "OK":
            if not inside(n):
                leaks.append(("RENAME", n))
            m.rename('"%s"' % n, "own")
    typ, data = m.list('""', '"../*"')
    if typ == "OK" and data and data[0]:
        leaks.append(("LIST ../*", data))
    typ, data = m.list('"../"', '"*"')
    if typ == "OK" and data and any(b"bob" in (d or b"") for d in data):
        leaks.append(("LIST ../ *", data))
    m.logout()
    R.check(not leaks, "alice's session reaches nothing outside her "
            "maildir through mailbox names", repr(leaks[:4]))
    R.check(walk(bob) == before, "bob's maildir is unchanged (every file "
            "name)", "%r -> %r" % (before, walk(bob)))
    tree_after = sorted(os.listdir(top)) + sorted(os.listdir(
        os.path.join(top, "example.test")))
    R.check(tree_after == tree_before, "nothing was created beside the "
            "users' maildirs", "%r -> %r" % (tree_before, tree_after))


def check_auth(inst, service="imap", sys_user_name=None):
    """Only root redeems a login cookie."""
    verify = ("VERIFY", service, ALICE, PW, "127.0.0.1")
    ans = auth_ask(inst, "petrel-login", *verify)
    ok = len(ans) == 2 and ans[0] == "OK"
    R.check(ok, "petrel-login may VERIFY (and gets a cookie)", repr(ans))
    if not ok:
        return
    for who in ("petrel-login", "petrel-vmail"):
        got = auth_ask(inst, who, "REDEEM", ans[1])
        R.check(got[:1] == ["DENY"], "petrel-auth refuses REDEEM from %s" %
                who, repr(got))
    got = auth_ask(inst, sys_user_name or SYS[0], *verify)
    R.check(got[:1] == ["DENY"], "petrel-auth refuses a system user's "
            "request", repr(got))
    got = auth_ask(inst, None, "REDEEM", ans[1])
    R.check(got == ["OK", ALICE], "root (the spawner) redeems the cookie "
            "for its user", repr(got))
    got = auth_ask(inst, None, "REDEEM", ans[1])
    R.check(got[:1] == ["NO"], "a cookie redeems once", repr(got))


def main():
    if not shutil.which("setpriv"):
        R.bad("setup", "setpriv (util-linux) missing")
        return 1
    sys_pws = [sys_user(u) for u in SYS]
    inst = Instance({"imapd_imaps_listen": "auto",
                     "imapd_tls_cert_file": "auto",
                     "imapd_tls_key_file": "auto",
                     "mydestination": "localhost"}, name="iprivsep")
    open_conns = []
    try:
        inst.create()
        inst.add_user(ALICE, PW)
        inst.add_user(BOB, PW)
        add_sys_passwords(inst)
        inst.start()
        for rcpt in [ALICE, BOB] + ["%s@localhost" % u for u in SYS]:
            qid, why = inst.submit("s@remote.example", [rcpt],
                                   "Subject: hi\r\n\r\nfor %s\r\n" % rcpt)
            R.check(qid, "mail accepted for %s" % rcpt, why)
        inst.wait_messages(ALICE, 1)
        inst.wait_messages(BOB, 1)
        inst.wait_queue_empty(20)
        login_pw = pwd.getpwnam("petrel-login")
        vm = pwd.getpwnam("petrel-vmail")
        open_conns += check_prelogin(inst)
        check_roles(inst, login_pw)
        known = set()
        for user, pw, port, tls in (
                (ALICE, vm, inst.imap_port, False),
                (ALICE, vm, inst.imaps_port, True),
                (SYS[0] + "@localhost", sys_pws[0], inst.imap_port, False),
                (SYS[1] + "@localhost", sys_pws[1], inst.imaps_port, True)):
            c, _pid = check_session(inst, user, pw, port, tls, known)
            open_conns.append(c)
        check_handoff(inst)
        check_login_files(inst, login_pw, sys_pws)
        check_sys_isolation(inst, sys_pws)
        check_names(inst)
        check_auth(inst)
    except Exception as e:  # report, never hang
        import traceback
        traceback.print_exc()
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    finally:
        cleanup(inst, open_conns, SYS)
    return R.exit_code()


def cleanup(inst, conns, users):
    """Close the connections, remove the instance and the system users."""
    for c in conns:
        c.close()
    inst.cleanup()
    for u in users:
        subprocess.run(["userdel", "-r", u], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    sys.exit(main())
