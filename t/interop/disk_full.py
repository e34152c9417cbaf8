#!/usr/bin/env python3
"""disk_full.py - a full disk loses nothing (issue 13).

The queue directory and the mail base each live on a small ext4 filesystem
that the test makes with mkfs, loop-mounts, fills with a dummy file and
frees again by deleting it; the daemons run on through all of it:
  - under queue_minfree (1.5 x message_size_limit) MAIL gets "452 4.3.1" and
    sendmail exits 75 (EX_TEMPFAIL) saying why; with space back both work;
  - the queue filesystem filling up in the middle of DATA answers "452
    4.3.1" at the end of DATA, and no file of that message stays in the
    queue;
  - local delivery into a full mail filesystem defers with 4.3.1 (never a
    bounce), leaves nothing in new/ or tmp/, and the message is delivered
    within a minute of space coming back (the queue manager's default
    back-off is five minutes: this checks the short resource retry);
  - IMAP APPEND into the full mail filesystem answers "NO [OVERQUOTA]" on
    a session that carries on; the messages stored before are intact, and
    after space returns APPEND works and UIDs stay unique;
  - at the end every message that got 250 is in the maildir exactly once,
    nothing refused is, corrupt/ is empty and no daemon was restarted.
Without loop devices (not root, no losetup/mkfs.ext4) it prints one
"SKIP:" line and no PASS line.  Everything is bounded in time; the mounts
are removed in a finally clause even when a check fails.
"""
import imaplib
import os
import re
import shutil
import smtplib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from petrel_inst import BIN, Instance, Reporter  # noqa: E402

SUITE = "interop/disk_full"
USER = "full@example.test"
PW = "Disk-full-pw1"
LIMIT = 1048576          # message_size_limit: queue_minfree floor 1.5 MB
FS_MB = 24


def sh(cmd, timeout=60):
    """Run a command; (rc, output)."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        return 127, str(e)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def loop_available():
    """'' when loop mounts can be made here, else why not."""
    if os.geteuid() != 0:
        return "not root"
    for tool in ("losetup", "mkfs.ext4", "mount", "umount"):
        if shutil.which(tool) is None:
            return "no " + tool
    rc, out = sh(["losetup", "-f"])
    if rc != 0:
        return "no free loop device (%s)" % out.strip()
    return ""


def make_fs(top, name):
    """A FS_MB ext4 filesystem (no root reserve) mounted at top/name."""
    img = os.path.join(top, name + ".img")
    mnt = os.path.join(top, name)
    os.mkdir(mnt)
    with open(img, "wb") as f:
        f.truncate(FS_MB << 20)
    rc, out = sh(["mkfs.ext4", "-q", "-F", "-m", "0", img])
    if rc != 0:
        raise RuntimeError("mkfs.ext4: " + out)
    rc, out = sh(["mount", "-o", "loop", img, mnt])
    if rc != 0:
        raise RuntimeError("mount: " + out)
    os.chmod(mnt, 0o755)
    return mnt


def unmount(mnt):
    """Unmount (bounded retries, then lazily)."""
    for _ in range(20):
        if not os.path.ismount(mnt):
            return
        if sh(["umount", mnt])[0] == 0:
            return
        time.sleep(0.25)
    sh(["umount", "-l", mnt])


def free_bytes(mnt):
    st = os.statvfs(mnt)
    return st.f_bavail * st.f_frsize


def fill(mnt, leave=0):
    """Write a dummy file until at most leave bytes (+ a block) are free."""
    path = os.path.join(mnt, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        # ext4 reserves more than it uses for delayed allocation: after
        # each fsync a few blocks may come back, so go round until none do.
        # Small filesystems have 1 KB blocks: the last round goes down to
        # single bytes until the write fails.
        for _ in range(5):
            for chunk in (1 << 20, 65536, 1024) + ((1,) if not leave
                                                   else ()):
                block = b"\0" * chunk
                for _ in range(FS_MB * 1024 * 1024 // chunk + 1):
                    if leave and free_bytes(mnt) - chunk < leave:
                        break
                    try:
                        os.write(fd, block)
                    except OSError:
                        break
            os.fsync(fd)
            if free_bytes(mnt) < leave + 1024:
                break
    finally:
        os.close(fd)
    time.sleep(1.1)      # smtpd measures at most once a second


def unfill(mnt):
    """Delete the dummy file: space comes back."""
    try:
        os.unlink(os.path.join(mnt, "filler"))
    except FileNotFoundError:
        pass
    time.sleep(1.1)


def message(tag, size=2000):
    """A message with a unique Message-ID, about size bytes."""
    line = "x" * 76 + "\r\n"
    body = line * max(1, size // len(line))
    return ("From: <sender@example.org>\r\nTo: <%s>\r\nSubject: %s\r\n"
            "Message-ID: <%s@disk-full.test>\r\n\r\n%s" % (USER, tag, tag,
                                                          body))


def count_in_maildir(inst, tag):
    """How many stored messages carry this tag's Message-ID."""
    needle = ("<%s@disk-full.test>" % tag).encode()
    return sum(1 for m in inst.messages(USER) if needle in m)


def wait_for(cond, secs):
    """Poll cond until true or secs passed; its last value."""
    deadline = time.time() + secs
    while True:
        v = cond()
        if v or time.time() >= deadline:
            return v
        time.sleep(0.2)


def sendmail(inst, tag):
    """sendmail -i USER; (rc, stderr)."""
    env = dict(os.environ, PETREL_CONF=inst.conf)
    p = subprocess.run([os.path.join(BIN, "petrel-sendmail"), "-i", USER],
                       input=message(tag).replace("\r\n", "\n").encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=60)
    return p.returncode, p.stderr.decode("utf-8", "replace")


def sendmail_bs(inst):
    """sendmail -bs: MAIL, RCPT, DATA, QUIT; what it answered."""
    env = dict(os.environ, PETREL_CONF=inst.conf)
    talk = ("HELO client.test\r\nMAIL FROM:<s@example.org>\r\n"
            "RCPT TO:<%s>\r\nDATA\r\nSubject: bs\r\n\r\nx\r\n.\r\n"
            "QUIT\r\n" % USER)
    p = subprocess.run([os.path.join(BIN, "petrel-sendmail"), "-bs"],
                       input=talk.encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, env=env, timeout=60)
    return p.stdout.decode("utf-8", "replace")


def case_minfree(rep, inst, qfs, accepted):
    """Under queue_minfree: MAIL 452 4.3.1, sendmail 75; then both work."""
    fill(qfs, leave=LIMIT)       # under 1.5 x message_size_limit
    qid, why = inst.submit("s@example.org", [USER], message("minfree-smtp"))
    rep.check(qid == "" and "452" in why and "4.3.1" in why,
              "MAIL under queue_minfree gets 452 4.3.1", why or qid)
    rc, err = sendmail(inst, "minfree-sendmail")
    rep.check(rc == 75 and "queue_minfree" in err,
              "sendmail under queue_minfree exits 75 with the reason",
              "rc=%d %s" % (rc, err.strip()[-200:]))
    out = sendmail_bs(inst)
    rep.check("452 4.3.1" in out and "354" not in out,
              "sendmail -bs under queue_minfree: MAIL gets 452 4.3.1",
              out.strip()[-200:])
    unfill(qfs)
    qid, why = inst.submit("s@example.org", [USER], message("minfree-after"))
    rep.check(qid != "", "MAIL accepted again once space is back", why)
    if qid:
        accepted.append("minfree-after")
    rc, err = sendmail(inst, "minfree-sendmail-after")
    rep.check(rc == 0, "sendmail works again once space is back",
              "rc=%d %s" % (rc, err.strip()[-200:]))
    if rc == 0:
        accepted.append("minfree-sendmail-after")


def data_fill_midway(inst, qfs, tag):
    """Send a message and fill qfs half-way through its DATA; the reply."""
    msg = message(tag, size=900000).encode()
    half = msg.index(b"\r\n", 60000) + 2
    with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=60) as s:
        s.ehlo("client.disk-full.test")
        code, text = s.mail("s@example.org")
        if code != 250:
            return code, text
        s.rcpt(USER)
        code, text = s.docmd("DATA")
        if code != 354:
            return code, text
        s.send(msg[:half])
        fill(qfs)
        s.send(msg[half:] + b"\r\n.\r\n")
        return s.getreply()


def case_midway(rep, inst, qfs, accepted):
    """ENOSPC in the middle of a message: 452 4.3.1, no file left."""
    before = set(inst.queue_files())
    try:
        code, text = data_fill_midway(inst, qfs, "midway")
    finally:
        unfill(qfs)
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    rep.check(code == 452 and "4.3.1" in text,
              "a write that fails mid-message answers 452 4.3.1",
              "%s %s" % (code, text))
    rep.check(set(inst.queue_files()) <= before,
              "no queue file of the refused message stays",
              str(set(inst.queue_files()) - before))
    qid, why = inst.submit("s@example.org", [USER], message("midway-after"))
    rep.check(qid != "", "injection recovers by itself when space returns",
              why)
    if qid:
        accepted.append("midway-after")


def case_delivery(rep, inst, mfs, accepted):
    """Local delivery into a full mail filesystem defers, then delivers
    within a minute of space coming back."""
    new_dir, tmp_dir = inst.maildir(USER, "new"), inst.maildir(USER, "tmp")
    inst.wait_queue_empty(timeout=60)  # earlier mail is in, not in flight
    n_new = len(os.listdir(new_dir))
    fill(mfs)
    qid, why = inst.submit("s@example.org", [USER], message("deferred"))
    rep.check(qid != "", "mail is accepted while the mail disk is full", why)
    if not qid:
        unfill(mfs)
        return
    accepted.append("deferred")
    m = inst.wait_log(r"%s: to=<%s>.*dsn=4\.3\.1, status=deferred" %
                      (qid, re.escape(USER)), timeout=30)
    rep.check(m is not None, "delivery into a full filesystem defers 4.3.1",
              "; ".join(inst.log_lines(qid)[-3:]))
    rep.check(len(os.listdir(new_dir)) == n_new and not os.listdir(tmp_dir),
              "nothing partial is left in new/ or tmp/",
              "new %d -> %d, tmp %s" % (n_new, len(os.listdir(new_dir)),
                                        os.listdir(tmp_dir)))
    unfill(mfs)
    t0 = time.time()
    ok = wait_for(lambda: count_in_maildir(inst, "deferred") > 0, 75)
    rep.check(ok and time.time() - t0 <= 62,
              "the deferred message goes out within a minute of space "
              "coming back", "after %.0f s: %s" % (time.time() - t0, ok))
    rep.check(not inst.log_lines("%s: to=<%s>, relay=local, dsn=5" %
                                 (qid, USER)) and
              not inst.log_lines("status=bounced"),
              "lack of space never bounces", "; ".join(
                  inst.log_lines("status=bounced")[-2:]))


def imap_login(inst):
    c = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=30)
    c.login(USER, PW)
    return c


def case_imap(rep, inst, mfs, accepted):
    """APPEND into a full mail filesystem: NO [OVERQUOTA]; nothing lost."""
    c = imap_login(inst)
    try:
        c.select("INBOX")
        typ, _ = c.append("INBOX", None, None, message("imap-1").encode())
        rep.check(typ == "OK", "APPEND with space works", typ)
        if typ == "OK":
            accepted.append("imap-1")
        c.noop()
        before = c.uid("FETCH", "1:*", "(UID RFC822.SIZE)")[1]
        fill(mfs)
        typ, data = c.append("INBOX", None, None,
                             message("imap-full", 40000).encode())
        text = b" ".join(d for d in data if isinstance(d, bytes))
        rep.check(typ == "NO" and b"[OVERQUOTA]" in text,
                  "APPEND into a full disk answers NO [OVERQUOTA]",
                  "%s %r" % (typ, text))
        typ, data = c.uid("STORE", "1:*", "+FLAGS", "(\\Flagged)")
        rep.check(typ in ("OK", "NO") and (typ == "OK" or
                  b"[OVERQUOTA]" in b" ".join(d for d in data
                                              if isinstance(d, bytes))),
                  "STORE on a full disk is OK or NO [OVERQUOTA]",
                  "%s %r" % (typ, data))
        after = c.uid("FETCH", "1:*", "(UID RFC822.SIZE)")[1]
        rep.check(before == after, "the session carries on; nothing "
                  "stored before is lost", "%r != %r" % (before, after))
        unfill(mfs)
        typ, data = c.append("INBOX", None, None, message("imap-2").encode())
        rep.check(typ == "OK", "APPEND works again once space is back",
                  "%s %r" % (typ, data))
        if typ == "OK":
            accepted.append("imap-2")
        c.noop()
        uids = re.findall(rb"UID (\d+)",
                          b" ".join(x if isinstance(x, bytes) else x[0]
                                    for x in c.uid("FETCH", "1:*",
                                                   "(UID)")[1]))
        rep.check(len(uids) == len(set(uids)) and len(uids) >= 3,
                  "UIDs stay unique", repr(uids))
    finally:
        try:
            c.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def final_checks(rep, inst, accepted, pids):
    """Exactly once, nothing refused delivered, no corrupt file, no
    daemon restarted."""
    wait_for(lambda: all(count_in_maildir(inst, t) >= 1 for t in accepted),
             30)
    counts = {t: count_in_maildir(inst, t) for t in accepted}
    rep.check(all(n == 1 for n in counts.values()),
              "every accepted message is stored exactly once", repr(counts))
    refused = ["minfree-smtp", "minfree-sendmail", "midway", "imap-full"]
    got = {t: count_in_maildir(inst, t) for t in refused}
    rep.check(not any(got.values()), "no refused message shows up",
              repr(got))
    corrupt = os.path.join(inst.spool, "corrupt")
    rep.check(not os.listdir(corrupt), "nothing is corrupt",
              repr(os.listdir(corrupt)))
    now = {n: inst.daemon_pid(n) for n in pids}
    rep.check(now == pids, "the daemons carried on by themselves",
              "%r -> %r" % (pids, now))


def run(rep, qfs, mfs):
    inst = Instance({
        "queue_directory": qfs + "/spool",
        "virtual_mailbox_base": mfs + "/mail",
        "message_size_limit": str(LIMIT),
        "queue_minfree_inodes": "100",
    }, name="diskfull")
    accepted = []
    try:
        inst.create()
        inst.add_user(USER, PW)
        inst.start()
        pids = {n: inst.daemon_pid(n) for n in
                ("inject", "qmgr", "local", "smtpd", "imapd")}
        qid, why = inst.submit("s@example.org", [USER], message("first"))
        rep.check(qid != "" and wait_for(
            lambda: count_in_maildir(inst, "first"), 20),
            "mail flows on the small filesystems", why)
        accepted.append("first")
        case_minfree(rep, inst, qfs, accepted)
        case_midway(rep, inst, qfs, accepted)
        case_delivery(rep, inst, mfs, accepted)
        case_imap(rep, inst, mfs, accepted)
        final_checks(rep, inst, accepted, pids)
    finally:
        inst.cleanup()


def main():
    why = loop_available()
    if why:
        print("SKIP: %s: loop devices unavailable (%s)" % (SUITE, why))
        return 0
    rep = Reporter(SUITE)
    top = tempfile.mkdtemp(prefix="petrel-diskfull.", dir="/tmp")
    os.chmod(top, 0o755)     # the daemons' users reach the spool through it
    mounts = []
    try:
        for name in ("queue", "mail"):
            mounts.append(make_fs(top, name))
        run(rep, mounts[0], mounts[1])
    except Exception as e:  # noqa: BLE001 - report, then clean up
        rep.bad("setup", repr(e))
    finally:
        for mnt in mounts:
            unfill(mnt)
            unmount(mnt)
        if all(not os.path.ismount(m) for m in mounts):
            shutil.rmtree(top, ignore_errors=True)
    return rep.exit_code()


if __name__ == "__main__":
    sys.exit(main())
