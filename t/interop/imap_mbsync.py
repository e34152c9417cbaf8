#!/usr/bin/env python3
"""imap_mbsync.py - mbsync (isync) two-way sync against petrel-imapd.

One private instance with implicit TLS (IMAPS, the server's self-signed
certificate given to mbsync as its CertificateFile).  The account holds
5,000 messages in INBOX (written straight into new/ and cur/, some \\Seen,
some \\Flagged) and the folders Work and Work/Projects.  mbsync syncs
everything (Patterns *, Create/Expunge/Remove Both) into a local maildir.
Cases, each as a user would check them:
  - first sync: every folder exists on both sides, the same messages
    (by Message-ID) with the same flags, no duplicates, bodies identical;
  - a second sync with no changes changes nothing (mbsync reports +0 *0 #0
    -0 both ways; the server's UIDs, flags and UIDVALIDITY are untouched);
  - changes on both sides: a flag set on the server, a flag set in the
    local maildir, a message deleted on each side, a message moved on the
    server (MOVE) and one moved locally (file moved to another folder), a
    new message on each side (server: delivered into new/; local: a new
    file, uploaded by mbsync with APPEND and found back by APPENDUID);
    after the sync both sides agree exactly and nothing is duplicated;
  - a folder created locally appears on the server;
  - UIDVALIDITY of every folder is the same before and after all syncs;
  - a final sync again changes nothing.
Prints "PASS: interop/imap_mbsync: <case>" / "FAIL: ..."; exit 1 on failure.
"""
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import petrel_inst  # noqa: E402
import imap_interop as ii  # noqa: E402

R = petrel_inst.Reporter("interop/imap_mbsync")
USER, PW = "mb@example.test", "mb pw 1"
N_INBOX = 5000
def config(inst, local):
    """The mbsync configuration for this instance and local maildir."""
    cert = os.path.join(inst.dir, "conf", "imapd-cert.pem")
    return """# the local copies are scratch: no fsync per message
FSync no

IMAPAccount petrel
Host 127.0.0.1
Port %d
User %s
Pass "%s"
SSLType IMAPS
SSLVersions TLSv1.2 TLSv1.3
CertificateFile %s
PipelineDepth 50

IMAPStore remote
Account petrel

MaildirStore local
Path %s/
Inbox %s/INBOX
SubFolders Verbatim

Channel all
Far :remote:
Near :local:
Patterns *
Create Both
Remove Both
Expunge Both
CopyArrivalDate yes
SyncState *
""" % (inst.imaps_port, USER, PW, cert, local, local)


def local_path(local, folder):
    """The local maildir of a folder (SubFolders Verbatim)."""
    return os.path.join(local, "INBOX" if folder == "INBOX" else folder)


local_view = ii.local_view
server_view = ii.server_view
diff = ii.view_diff


def mbsync(cfg, case, trace=True):
    """Run mbsync -a (with -Dn: the protocol trace on stdout); (ok,
    output, seconds); a failure is reported under case."""
    t0 = time.time()
    rc, out = ii.run(["mbsync"] + (["-Dn"] if trace else []) +
                     ["-c", cfg, "-a"], timeout=120)
    if rc != 0:
        R.bad(case, "mbsync exit %d: %s" % (rc, out.strip()[-400:]))
    return rc == 0, out, time.time() - t0


def changing_commands(out):
    """The commands in an mbsync protocol trace that change or download
    mail (a sync with nothing to do sends none of them)."""
    return re.findall(r"^(?:\(\d+ in progress\) )?>>> \d+ ((?:UID )?"
                      r"(?:APPEND|STORE|EXPUNGE|MOVE|COPY|CREATE|DELETE)"
                      r"|UID FETCH \S+ \(\S* ?BODY)", out, re.M)


def local_names(local):
    """Every file below the local maildirs (names carry mbsync's flags)."""
    return sorted(os.path.join(r, f) for r, _d, fs in os.walk(local)
                  for f in fs)


def fill_server(inst):
    """5,000 INBOX messages (every 7th \\Seen, every 11th \\Flagged too)
    and two folders."""
    plain, seen, flagged = [], [], []
    for i in range(N_INBOX):
        m = ii.message(i)
        (flagged if i % 11 == 0 else seen if i % 7 == 0 else plain).append(m)
    ii.fill(inst, USER, plain)
    ii.fill(inst, USER, seen, flags="S")
    ii.fill(inst, USER, flagged, flags="FS")
    ii.fill(inst, USER, [ii.message(i, "Work") for i in range(20)],
            folder="Work", flags="S")
    ii.fill(inst, USER, [ii.message(i, "Work/Projects") for i in range(10)],
            folder="Work/Projects")


def first_sync(inst, cfg, local):
    """The initial full sync and its checks; the server snapshot."""
    ok, out, secs = mbsync(cfg, "first sync", trace=False)
    if not ok:
        return None
    conn = ii.login(inst, USER, PW, tls="imaps")
    snap = ii.snapshot(conn)
    conn.logout()
    sv, lv = server_view(snap), local_view(local)
    R.check(len(lv.get("INBOX", {})) == N_INBOX,
            "first sync: 5,000 INBOX messages local (%.1fs)" % secs,
            "%d local" % len(lv.get("INBOX", {})))
    d = diff(sv, lv)
    R.check(not d, "first sync: folders, messages and flags agree", d)
    R.check(all(v["dups"] == 0 for v in snap.values() if v),
            "first sync: no duplicates on the server")
    R.check("Work/Projects" in lv and "Sent" in lv,
            "first sync: nested and special folders created locally",
            sorted(lv))
    body_identical(inst, local)
    return snap


def body_identical(inst, local):
    """A sample of local copies equals the server's files byte for byte."""
    srv = {}
    for sub in ("new", "cur"):
        d = inst.maildir(USER, sub)
        for n in sorted(os.listdir(d))[:200]:
            with open(os.path.join(d, n), "rb") as f:
                data = f.read()
            srv[ii.MSGID_RE.search(data).group(1)] = data
    bad = 0
    for sub in ("new", "cur"):
        d = os.path.join(local, "INBOX", sub)
        for n in os.listdir(d):
            with open(os.path.join(d, n), "rb") as f:
                data = f.read()
            mid = ii.MSGID_RE.search(data).group(1)
            # mbsync writes its own X-TUID: header into every copy
            data = re.sub(rb"(?m)^X-TUID: [^\n]*\n", b"", data, count=1)
            if mid in srv and srv[mid] != data:
                bad += 1
    R.check(bad == 0, "first sync: message bytes identical (sample of 200)",
            "%d differ" % bad)


def local_file(local, folder, mid):
    """(dir, name) of the local file holding mid, or (None, None)."""
    for sub in ("new", "cur"):
        d = os.path.join(local_path(local, folder), sub)
        for n in os.listdir(d):
            with open(os.path.join(d, n), "rb") as f:
                if ("<%s>" % mid).encode() in f.read(4096):
                    return d, n
    return None, None


def server_changes(inst, conn):
    """Flag, delete, move and new mail on the server."""
    conn.select("INBOX")
    uids = {}
    for i in (1, 2, 3):
        typ, data = conn.uid("SEARCH", "HEADER", "Message-ID",
                             "<%d.INBOX@interop.test>" % i)
        uids[i] = data[0].decode()
    conn.uid("STORE", uids[1], "+FLAGS", "(\\Flagged)")
    conn.uid("STORE", uids[2], "+FLAGS", "(\\Deleted)")
    conn.expunge()
    typ, _ = conn.uid("MOVE", uids[3], "Work")
    conn.close()
    ii.fill(inst, USER, [ii.message(i) for i in range(90001, 90004)])
    return typ == "OK"


def client_changes(local):
    """Flag, delete, move and new mail in the local maildir."""
    d, n = local_file(local, "INBOX", "4.INBOX@interop.test")
    base, _, fl = n.partition(":2,")
    os.rename(os.path.join(d, n), os.path.join(
        local_path(local, "INBOX"), "cur", base + ":2," +
        "".join(sorted(set(fl) | {"F", "S"}))))
    d, n = local_file(local, "INBOX", "5.INBOX@interop.test")
    os.unlink(os.path.join(d, n))
    d, n = local_file(local, "INBOX", "6.INBOX@interop.test")
    # a local move: a new file name in the other folder (mbsync's
    # near-side names carry a ,U= UID that must not travel)
    shutil.move(os.path.join(d, n), os.path.join(
        local, "Work", "cur", "%d.local6.host:2,S" % time.time()))
    with open(os.path.join(local, "INBOX", "new", "%d.localnew.host"
                           % time.time()), "wb") as f:
        f.write(ii.message(80001))
    nd = os.path.join(local, "Local")
    for s in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(nd, s))
    with open(os.path.join(nd, "cur", "%d.lf.host:2,S" % time.time()),
              "wb") as f:
        f.write(ii.message(1, "Local"))


def expected_after(before):
    """The view both sides should show after server_changes and
    client_changes, computed from the view before them."""
    v = {f: dict(m) for f, m in before.items()}
    ib = v["INBOX"]
    ib["1.INBOX@interop.test"] = ib["1.INBOX@interop.test"] | {"\\Flagged"}
    del ib["2.INBOX@interop.test"]
    v["Work"]["3.INBOX@interop.test"] = ib.pop("3.INBOX@interop.test")
    ib["4.INBOX@interop.test"] = ib["4.INBOX@interop.test"] | {
        "\\Flagged", "\\Seen"}
    del ib["5.INBOX@interop.test"]
    del ib["6.INBOX@interop.test"]
    v["Work"]["6.INBOX@interop.test"] = frozenset({"\\Seen"})
    for i in range(90001, 90004):
        ib["%d.INBOX@interop.test" % i] = frozenset()
    ib["80001.INBOX@interop.test"] = frozenset()
    v["Local"] = {"1.Local@interop.test": frozenset({"\\Seen"})}
    return v


def main():
    """Set up, sync, change both sides, sync again, compare."""
    inst = ii.tls_instance("imap-mbsync")
    tmp = tempfile.mkdtemp(prefix="petrel-mbsync.")
    try:
        inst.add_user(USER, PW)
        fill_server(inst)
        inst.start()
        local = os.path.join(tmp, "mail")
        os.mkdir(local)
        cfg = os.path.join(tmp, "mbsyncrc")
        with open(cfg, "w") as f:
            f.write(config(inst, local))
        snap = first_sync(inst, cfg, local)
        if snap is None:
            return
        steps(inst, cfg, local, snap)
    finally:
        inst.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def steps(inst, cfg, local, snap0):
    """Second sync, two-way changes, final sync."""
    names = local_names(local)
    ok, out, _ = mbsync(cfg, "second sync")
    conn = ii.login(inst, USER, PW, tls="imaps")
    snap1 = ii.snapshot(conn)
    unchanged(ok, out, snap1 == snap0, names == local_names(local),
              "second sync without changes does nothing")
    before = server_view(snap1)
    R.check(server_changes(inst, conn), "server side: UID MOVE accepted")
    client_changes(local)
    conn.logout()
    ok, out, _ = mbsync(cfg, "sync after changes")
    conn = ii.login(inst, USER, PW, tls="imaps")
    snap2 = ii.snapshot(conn)
    sv, lv = server_view(snap2), local_view(local)
    want = expected_after(before)
    R.check(not diff(want, sv), "after changes: server as expected",
            diff(want, sv))
    R.check(not diff(want, lv), "after changes: local as expected",
            diff(want, lv))
    R.check(all(v["dups"] == 0 for v in snap2.values() if v),
            "after changes: no duplicates on the server")
    R.check(all(snap2[f]["uidvalidity"] == snap0[f]["uidvalidity"]
                for f in snap0),
            "UIDVALIDITY of every folder unchanged")
    names = local_names(local)
    ok, out, _ = mbsync(cfg, "final sync")
    snap3 = ii.snapshot(conn)
    conn.logout()
    unchanged(ok, out, snap3 == snap2, names == local_names(local),
              "final sync without changes does nothing")


def unchanged(ok, out, same_server, same_local, case):
    """Report a no-op sync: no changing command, both sides as before."""
    cmds = changing_commands(out)
    R.check(ok and not cmds and same_server and same_local, case,
            "commands %s, server same %s, local same %s" % (
                cmds[:5], same_server, same_local))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, never hang the suite
        R.bad("script", "%s: %s" % (type(e).__name__, e))
    sys.exit(R.exit_code())
