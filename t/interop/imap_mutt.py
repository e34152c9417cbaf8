#!/usr/bin/env python3
"""imap_mutt.py - mutt and neomutt, driven in batch (keys pushed with -e
'push ...', the screen on a pseudo-terminal), against petrel-imapd over
IMAPS.

One private instance; one user per client.  INBOX holds 30 messages with
subjects naming what the batch run does to them: "readme" (displayed and
piped to a file), "flagme" (flagged), "moveme" (saved to =Archive, which
deletes the original), "deleteme" (deleted), and "keep" ones.
Cases, per client:
  - the run ends by itself (sync-mailbox, quit) with exit 0;
  - the piped message is byte-identical to the one on the server;
  - on the server: readme \\Seen, flagme \\Flagged (only they), moveme in
    Archive and not in INBOX, deleteme gone, keep untouched (but for
    mutt's own keyword Old, which it sets on what it showed as new); no
    duplicates; UIDVALIDITY unchanged;
  - a second run that opens INBOX with the header cache and quits
    changes nothing.
Prints "PASS: interop/imap_mutt: <client>: <case>" / "FAIL: ..."; exit 1
on failure.
"""
import os
import pty
import select
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import petrel_inst  # noqa: E402
import imap_interop as ii  # noqa: E402

R = petrel_inst.Reporter("interop/imap_mutt")
PW = "mu pw 4"
KINDS = ["readme"] + ["flagme"] * 4 + ["moveme"] * 5 + ["deleteme"] * 3 + \
    ["keep"] * 17


def messages():
    """The 30 messages; Message-ID <i.kind@mutt.test>."""
    return [("From: p%d@example.org\nTo: mu@example.test\nSubject: %s %d\n"
             "Date: Mon, 01 Jan 2024 10:00:%02d +0000\n"
             "Message-ID: <%d.%s@mutt.test>\nContent-Type: text/plain; "
             "charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
             "Hallo Grüße %d\n" % (i, k, i, i, i, k, i)).encode()
            for i, k in enumerate(KINDS)]


def muttrc(inst, tmp, user):
    """The configuration: IMAPS, the server certificate trusted."""
    cert = os.path.join(inst.dir, "conf", "imapd-cert.pem")
    path = os.path.join(tmp, "muttrc")
    with open(path, "w") as f:
        f.write("""set folder = "imaps://%s@127.0.0.1:%d/"
set imap_user = "%s"
set imap_pass = "%s"
set spoolfile = "+INBOX"
set certificate_file = "%s"
set ssl_verify_host = no
set header_cache = "%s/hcache"
set record = ""
set postponed = ""
set move = no
set delete = yes
set quit = yes
set confirmappend = no
set confirmcreate = no
set wait_key = no
set pipe_decode = no
set beep = no
set mail_check = 60
set timeout = 60
""" % (user.replace("@", "%40"), inst.imaps_port, user, PW, cert, tmp))
    return path


def run_pty(argv, env, timeout=40):
    """Run a curses client on a pseudo-terminal until it exits; (exit
    status, screen output)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env)
    out, deadline = b"", time.time() + timeout
    while time.time() < deadline:
        r, _w, _x = select.select([fd], [], [], 0.5)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            out += data
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), out
    # the terminal closed (EIO) or time ran out: wait (bounded) for exit
    while time.time() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), out
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    _p, status = os.waitpid(pid, 0)
    return -9, out


def keys(tmp):
    """The pushed key sequence of the batch run."""
    return ("<limit>~s readme<enter><display-message><exit>"
            "<pipe-message>cat > %s/piped<enter><limit>~A<enter>"
            "<tag-pattern>~s flagme<enter><tag-prefix><flag-message>"
            "<untag-pattern>~A<enter>"
            "<tag-pattern>~s moveme<enter><tag-prefix><save-message>"
            "=Archive<enter><untag-pattern>~A<enter>"
            "<delete-pattern>~s deleteme<enter>"
            "<sync-mailbox><quit>" % tmp)


def client(inst, prog, user):
    """One client's batch run and its checks."""
    tmp = tempfile.mkdtemp(prefix="petrel-%s." % prog)
    try:
        rc = muttrc(inst, tmp, user)
        env = dict(os.environ, HOME=tmp, TERM="vt100", LINES="40",
                   COLUMNS="120", LANG="C.UTF-8")
        c = ii.login(inst, user, PW, tls="imaps")
        s0 = ii.snapshot(c, ["INBOX", "Archive"])
        code, screen = run_pty([prog, "-n", "-F", rc, "-e",
                                'push "%s"' % keys(tmp)], env)
        R.check(code == 0, "%s: batch run ends by itself" % prog,
                "exit %d: %r" % (code, screen[-300:]))
        s1 = ii.snapshot(c, ["INBOX", "Archive"])
        check_server(prog, s0, s1)
        check_piped(prog, c, tmp)
        code, screen = run_pty([prog, "-n", "-F", rc, "-e",
                                'push "<quit>"'], env)
        s2 = ii.snapshot(c, ["INBOX", "Archive"])
        R.check(code == 0 and s2 == s1, "%s: a second run (header cache) "
                "changes nothing" % prog, "exit %d" % code)
        c.logout()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_server(prog, s0, s1):
    """What the server shows after the batch run."""
    inbox = s1["INBOX"]["msgs"]
    arch = s1["Archive"]["msgs"]

    def fl(mid):
        return inbox.get(mid, (0, frozenset()))[1]
    ids = {k: [("%d.%s@mutt.test" % (i, k)) for i, x in enumerate(KINDS)
               if x == k] for k in set(KINDS)}
    R.check("\\Seen" in fl(ids["readme"][0]), "%s: readme \\Seen" % prog)
    flagged = sorted(m for m in inbox if "\\Flagged" in fl(m))
    R.check(flagged == sorted(ids["flagme"]),
            "%s: exactly the flagme messages \\Flagged" % prog, flagged)
    R.check(sorted(arch) == sorted(ids["moveme"]) and
            not set(ids["moveme"]) & set(inbox),
            "%s: moveme in Archive, not in INBOX" % prog,
            "%s / %s" % (sorted(arch), sorted(set(ids["moveme"]) &
                                               set(inbox))))
    # mutt keeps its "old" (seen-as-new-before) state as the keyword Old
    # where the server accepts keywords (PERMANENTFLAGS \\*)
    rec = {"\\Recent", "Old"}
    R.check(not set(ids["deleteme"]) & set(inbox) and all(
        k in inbox and fl(k) - rec == s0["INBOX"]["msgs"][k][1] - rec
        for k in ids["keep"]), "%s: deleteme gone, keep untouched" % prog,
            [(k, sorted(fl(k)), sorted(s0["INBOX"]["msgs"][k][1]))
             for k in ids["keep"] + ids["deleteme"]
             if fl(k) - rec != s0["INBOX"]["msgs"][k][1] - rec][:4])
    R.check(s1["INBOX"]["dups"] == 0 and s1["Archive"]["dups"] == 0 and
            all(s1[f]["uidvalidity"] == s0[f]["uidvalidity"]
                for f in s0), "%s: no duplicates, UIDVALIDITY unchanged"
            % prog)


def check_piped(prog, c, tmp):
    """The piped message equals the server's copy (LF line ends)."""
    try:
        with open(os.path.join(tmp, "piped"), "rb") as f:
            piped = f.read()
    except OSError:
        piped = b""
    c.select("INBOX", readonly=True)
    _t, d = c.search(None, "SUBJECT", "readme")
    data = c.fetch(d[0].split()[0], "(BODY.PEEK[])")[1][0][1]
    c.close()
    R.check(piped == data.replace(b"\r\n", b"\n"),
            "%s: piped message byte-identical to the server's" % prog,
            "%d vs %d bytes" % (len(piped), len(data)))


def main():
    """One user per client."""
    inst = ii.tls_instance("imap-mutt")
    try:
        progs = [p for p in ("mutt", "neomutt") if shutil.which(p)]
        for p in progs:
            inst.add_user("%s@example.test" % p, PW)
            ii.fill(inst, "%s@example.test" % p, messages())
        inst.start()
        for p in progs:
            ii.login(inst, "%s@example.test" % p, PW, tls="imaps").logout()
            client(inst, p, "%s@example.test" % p)
        if not progs:
            R.bad("clients", "neither mutt nor neomutt installed")
    finally:
        inst.cleanup()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, never hang the suite
        R.bad("script", "%s: %s" % (type(e).__name__, e))
    sys.exit(R.exit_code())
