#!/usr/bin/env python3
"""imap_offlineimap.py - offlineimap3 two-way sync against petrel-imapd.

One private instance with implicit TLS (offlineimap pinned to the server's
self-signed certificate by its SHA-512 fingerprint).  The account holds 300
INBOX messages (some \\Seen, some \\Flagged), Work with 20 and Work/Projects
with 10.  offlineimap syncs into a local Maildir tree (folder separator
"." locally, "/" on the server).
Cases:
  - first sync: folders, messages (by Message-ID) and flags agree, no
    duplicates;
  - a second sync with no changes leaves both sides as they were;
  - a flag set on the server and one set locally, a message deleted on
    each side, a message moved on the server, a new message on each side
    (offlineimap uploads with APPEND and learns the UID from APPENDUID):
    after the sync both sides agree with what the user expects;
  - the upload is byte-identical on the server (no X-OfflineIMAP header);
  - UIDVALIDITY unchanged; a final sync changes nothing.
Prints "PASS: interop/imap_offlineimap: <case>" / "FAIL: ..."; exit 1 on
failure.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import petrel_inst  # noqa: E402
import imap_interop as ii  # noqa: E402

R = petrel_inst.Reporter("interop/imap_offlineimap")
USER, PW = "oi@example.test", "oi pw 3"
N_INBOX = 300


def fingerprint(inst):
    """SHA-512 fingerprint of the server certificate, hex, no colons."""
    cert = os.path.join(inst.dir, "conf", "imapd-cert.pem")
    out = subprocess.run(["openssl", "x509", "-noout", "-fingerprint",
                          "-sha512", "-in", cert], stdout=subprocess.PIPE,
                         check=True).stdout.decode()
    return out.split("=", 1)[1].strip().replace(":", "").lower()


def config(inst, tmp):
    """The offlineimaprc for this instance."""
    return """[general]
accounts = petrel
metadata = %s/meta
ui = basic

[Account petrel]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = %s/mail
sep = .

[Repository remote]
type = IMAP
remotehost = 127.0.0.1
remoteport = %d
remoteuser = %s
remotepass = %s
ssl = yes
cert_fingerprint = %s
maxconnections = 2
""" % (tmp, tmp, inst.imaps_port, USER, PW, fingerprint(inst))


def sync(cfg, case):
    """One offlineimap run (-o once, -d imap for the protocol trace);
    (ok, output)."""
    rc, out = ii.run(["offlineimap", "-o", "-u", "basic", "-d", "imap",
                      "-c", cfg], timeout=120)
    fails = re.findall(r"^(?:ERROR|WARNING):.*$", out, re.M)
    if rc != 0 or fails:
        R.bad(case, "exit %d: %s" % (rc, "; ".join(fails)[:400] or
                                     out.strip()[-400:]))
        return False, out
    return True, out


def changing(out):
    """Commands of a trace that change or download mail."""
    return re.findall(r"> \S+ ((?:UID )?(?:APPEND|STORE|EXPUNGE|COPY|MOVE|"
                      r"CREATE)|UID FETCH \S+ \(BODY)", out)


def names(local):
    """Every file below the local tree."""
    return sorted(os.path.join(r, f) for r, _d, fs in os.walk(local)
                  for f in fs)


def lname(rel):
    """Local directory -> IMAP folder name."""
    return rel.replace(".", "/")


def snap(inst):
    """Server snapshot and view."""
    c = ii.login(inst, USER, PW, tls="imaps")
    s = ii.snapshot(c)
    c.logout()
    return s, ii.server_view(s)


def find_local(local, mid):
    """Path of the local file holding Message-ID mid."""
    for r, _d, fs in os.walk(local):
        for f in fs:
            p = os.path.join(r, f)
            with open(p, "rb") as fh:
                if ("<%s>" % mid).encode() in fh.read(4096):
                    return p
    return None


def changes(inst, local):
    """Both sides' changes; returns the expected view modifier."""
    c = ii.login(inst, USER, PW, tls="imaps")
    c.select("INBOX")
    u = {}
    for i in (1, 2, 3):
        _t, d = c.uid("SEARCH", "HEADER", "Message-ID",
                      "<%d.INBOX@interop.test>" % i)
        u[i] = d[0].decode()
    c.uid("STORE", u[1], "+FLAGS", "(\\Flagged)")
    c.uid("STORE", u[2], "+FLAGS", "(\\Deleted)")
    c.expunge()
    c.uid("MOVE", u[3], "Work")
    c.logout()
    ii.fill(inst, USER, [ii.message(90001)])
    p = find_local(local, "4.INBOX@interop.test")
    base, _, fl = p.partition(":2,")
    os.rename(p, base.replace("/new/", "/cur/") + ":2," +
              "".join(sorted(set(fl) | {"F"})))
    os.unlink(find_local(local, "5.INBOX@interop.test"))
    with open(os.path.join(local, "INBOX", "new", "%d_0.%d.host"
                           % (time.time(), os.getpid())), "wb") as f:
        f.write(ii.message(80001))


def expected(v):
    """The view after changes()."""
    v = {f: dict(m) for f, m in v.items()}
    ib = v["INBOX"]
    ib["1.INBOX@interop.test"] |= {"\\Flagged"}
    del ib["2.INBOX@interop.test"]
    v["Work"]["3.INBOX@interop.test"] = ib.pop("3.INBOX@interop.test")
    ib["4.INBOX@interop.test"] |= {"\\Flagged"}
    del ib["5.INBOX@interop.test"]
    ib["90001.INBOX@interop.test"] = frozenset()
    ib["80001.INBOX@interop.test"] = frozenset()
    return v


def uploaded_clean(inst):
    """True when the uploaded message is on the server as written locally:
    offlineimap adds an X-OfflineIMAP header only when it cannot learn the
    new UID from APPENDUID."""
    c = ii.login(inst, USER, PW, tls="imaps")
    c.select("INBOX", readonly=True)
    _t, d = c.search(None, "HEADER", "Message-ID", "<80001.INBOX@interop.test>")
    n = d[0].split()
    data = c.fetch(n[0], "(BODY.PEEK[])")[1][0][1] if len(n) == 1 else b""
    c.logout()
    return data.replace(b"\r\n", b"\n") == ii.message(80001)


def fill_server(inst):
    """300 INBOX messages, Work (20), Work/Projects (10)."""
    ii.fill(inst, USER, [ii.message(i) for i in range(N_INBOX)
                         if i % 5])
    ii.fill(inst, USER, [ii.message(i) for i in range(N_INBOX)
                         if i % 5 == 0], flags="FS")
    ii.fill(inst, USER, [ii.message(i, "Work") for i in range(20)],
            folder="Work", flags="S")
    ii.fill(inst, USER, [ii.message(i, "Work/Projects") for i in range(10)],
            folder="Work/Projects")


def run_cases(inst, cfg, local):
    """The sync sequence and its checks."""
    ok, _out = sync(cfg, "first sync")
    s0, sv = snap(inst)
    lv = ii.local_view(local, lname)
    R.check(ok and len(lv.get("INBOX", {})) == N_INBOX and
            not ii.view_diff(sv, lv),
            "first sync: folders, messages, flags agree", ii.view_diff(sv, lv))
    R.check(all(v["dups"] == 0 for v in s0.values() if v) and not any(
        "#dup" in k for m in lv.values() for k in m), "first: no duplicates")
    before = names(local)
    ok, out = sync(cfg, "second sync")
    s1, _ = snap(inst)
    R.check(ok and s1 == s0 and names(local) == before and
            not changing(out), "second sync without changes does nothing",
            changing(out)[:5])
    changes(inst, local)
    ok, out = sync(cfg, "sync after changes")
    s2, sv2 = snap(inst)
    lv2 = ii.local_view(local, lname)
    want = expected(sv)
    R.check(not ii.view_diff(want, sv2), "after changes: server as expected",
            ii.view_diff(want, sv2))
    R.check(not ii.view_diff(want, lv2), "after changes: local as expected",
            ii.view_diff(want, lv2))
    R.check(all(v["dups"] == 0 for v in s2.values() if v),
            "after changes: no duplicates on the server")
    R.check(uploaded_clean(inst), "upload found back by APPENDUID (no "
            "X-OfflineIMAP header fallback)")
    R.check(all(s2[f]["uidvalidity"] == s0[f]["uidvalidity"] for f in s0),
            "UIDVALIDITY unchanged")
    before = names(local)
    ok, out = sync(cfg, "final sync")
    s3, _ = snap(inst)
    R.check(ok and s3 == s2 and names(local) == before and
            not changing(out), "final sync without changes does nothing",
            changing(out)[:5])


def main():
    """Set up and run."""
    inst = ii.tls_instance("imap-oi")
    tmp = tempfile.mkdtemp(prefix="petrel-oi.")
    try:
        inst.add_user(USER, PW)
        fill_server(inst)
        inst.start()
        cfg = os.path.join(tmp, "offlineimaprc")
        with open(cfg, "w") as f:
            f.write(config(inst, tmp))
        run_cases(inst, cfg, os.path.join(tmp, "mail"))
    finally:
        inst.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, never hang the suite
        R.bad("script", "%s: %s" % (type(e).__name__, e))
    sys.exit(R.exit_code())
