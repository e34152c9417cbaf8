"""imap_crash.py - concurrency and crash safety of the IMAP server over one
mailbox (DESIGN.md "The mail store", issue 12): for about CRASH_SECS
(40) seconds, SMTP delivers a stream of messages with unique Message-IDs
to alice; a POP3 client (poplib) RETRs and DELEs one message per session;
IMAP_THREADS (3) imaplib sessions FETCH, set and clear flags (each thread
its own keyword, thread 0 also \\Flagged, thread 1 also keyword kwB on
every message at once, so that the index log is compacted), expunge
single messages (UID STORE \\Deleted + UID EXPUNGE) and UID COPY to the
folder Keep; meanwhile a killer SIGKILLs session processes and login
processes that hold clients at random moments, and the spawner once (its
sessions must end with it; no "workers die fast" throttle may follow:
those login processes served clients).  Clients reconnect after any
error.
Afterwards a fresh session must see:
  - every message that got a 250 exactly once, unless a client that got
    OK (UID EXPUNGE, or POP3 QUIT after DELE) deleted it; a message is
    missing only where a delete was at least attempted;
  - no Message-ID twice; every UID unique, and no UID ever seen (across
    every FETCH of the run) for two different messages; a message keeps
    its UID; UIDVALIDITY unchanged; UIDNEXT above every UID;
  - each flag whose last change got OK as it was set;
  - FETCH 1:* (UID FLAGS RFC822.SIZE) matching the files in cur/ and new/:
    one message per file, size with CRLF line ends, flags from ":2,"
    (keywords through dovecot-keywords);
  - in Keep at least one copy per COPY that got OK, no more than were
    tried;
  - with its index files removed, the same view rebuilt from the maildir.
A fourth client sends one STORE (of one message or 1:*), UID EXPUNGE,
COPY, MOVE or APPEND (its literal whole or cut short) and SIGKILLs its own session 0-10 ms later
(mid-command), over and over; the IMAP clients also APPEND now and then
(an APPEND that got OK must be there; one without an answer may be there,
whole, at most once).
Environment: CRASH_SECS (default 40), IMAP_THREADS (default 3); CRASH_DEBUG=1
prints the FETCH response that showed a UID for a second message.
"""
import imaplib
import os
import poplib
import random
import re
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import Instance, Reporter, proc_uid  # noqa: E402
from imap_raw import tcp_holders  # noqa: E402

R = Reporter("imap_crash")
SECS = float(os.environ.get("CRASH_SECS", "40"))
THREADS = int(os.environ.get("IMAP_THREADS", "3"))
USER, PW = "alice@example.test", "secret"
STOP = threading.Event()
LOCK = threading.Lock()
MID_RE = re.compile(rb"Message-ID:\s*<([^>]+)>", re.I)


class State:
    """Everything the clients learned, under LOCK."""

    def __init__(self):
        self.accepted = set()        # Message-IDs that got 250
        self.del_ok = set()          # deleted by a client that got OK
        self.del_tried = set()       # a delete was sent (outcome unknown)
        self.uid_mid = {}            # UID -> Message-ID, whole run
        self.mid_uid = {}            # Message-ID -> UID
        self.reused = []             # (uid, old mid, new mid)
        self.renumbered = []         # (mid, old uid, new uid)
        self.flags = {}              # (mid, flag) -> True/False/None
        self.copy_ok = {}            # mid -> COPYs that got OK
        self.copy_tried = {}         # mid -> COPYs sent
        self.uidvalidity = set()
        self.orphans = []            # sessions of the killed spawner
        self.orphans_left = None     # those alive 3 s after
        self.append_tried = set()    # APPENDs sent
        self.append_size = {}        # their sizes
        self.counts = {"store": 0, "expunge": 0, "copy": 0, "pop3": 0,
                       "fetch": 0, "reconnect": 0, "kill": 0,
                       "midkill": 0, "append": 0, "bulk": 0}

    def saw(self, uid, mid, raw=b""):
        """Record one (UID, Message-ID) pair from a FETCH."""
        with LOCK:
            old = self.uid_mid.setdefault(uid, mid)
            if old != mid:
                self.reused.append((uid, old, mid))
                if os.environ.get("CRASH_DEBUG"):
                    print("debug: reuse %r" % raw, flush=True)
            u = self.mid_uid.setdefault(mid, uid)
            if u != uid:
                self.renumbered.append((mid, u, uid))


S = State()


def message(token):
    """A small message with a unique Message-ID."""
    return ("From: <load@remote.example>\r\nTo: <%s>\r\n"
            "Subject: crash %s\r\nMessage-ID: <%s@crash.test>\r\n\r\n"
            "body of %s\r\n%s\r\n" % (USER, token, token, token,
                                      "x" * random.randint(0, 300)))


def fetch_entries(data):
    """imaplib FETCH data -> [bytes] one logical response per message."""
    out = []
    for item in data:
        if isinstance(item, tuple):
            out.append(item[0] + b" " + item[1])
        elif item and out and not item[:1].isdigit():
            out[-1] += item
        elif item:
            out.append(item)
    return out


def parse_entry(e):
    """(uid, flags set, size or None, mid or None) of one FETCH entry."""
    uid = re.search(rb"UID (\d+)", e)
    fl = re.search(rb"FLAGS \(([^)]*)\)", e)
    size = re.search(rb"RFC822\.SIZE (\d+)", e)
    mid = MID_RE.search(e)
    return (int(uid.group(1)) if uid else None,
            set(fl.group(1).decode().split()) if fl else set(),
            int(size.group(1)) if size else None,
            mid.group(1).decode() if mid else None)


def snapshot(m, extra="", record=True):
    """FETCH 1:* in a session; [(uid, flags, size, mid)], recorded as
    INBOX's UIDs when record."""
    typ, data = m.fetch("1:*", "(UID FLAGS%s BODY.PEEK[HEADER.FIELDS "
                        "(MESSAGE-ID)])" % extra)
    if typ != "OK":
        return []
    entries = fetch_entries(data)
    got = [parse_entry(e) for e in entries]
    for (uid, _f, _s, mid), e in zip(got, entries):
        if uid and mid and record:
            S.saw(uid, mid, e)
    return got


def uidvalidity(m):
    """The selected mailbox's UIDVALIDITY from imaplib's untagged data."""
    v = m.untagged_responses.get("UIDVALIDITY")
    return int(v[-1]) if v else None


class ImapWorker(threading.Thread):
    """One imaplib client doing random flag/expunge/copy work."""

    def __init__(self, inst, n):
        super().__init__(daemon=True)
        self.inst, self.n = inst, n
        self.rnd = random.Random(n * 7919 + int(time.time()))
        self.kw = "kw%d" % n

    def run(self):
        while not STOP.is_set():
            try:
                self.session()
            except (imaplib.IMAP4.error, OSError, EOFError) as e:
                _ = e
            with LOCK:
                S.counts["reconnect"] += 1
            time.sleep(self.rnd.uniform(0.05, 0.3))

    def session(self):
        m = imaplib.IMAP4("127.0.0.1", self.inst.imap_port, timeout=15)
        try:
            m.login(USER, PW)
            typ, _ = m.select("INBOX")
            if typ != "OK":
                return
            with LOCK:
                S.uidvalidity.add(uidvalidity(m))
            while not STOP.is_set():
                msgs = [x for x in snapshot(m) if x[0] and x[3]]
                with LOCK:
                    S.counts["fetch"] += 1
                if msgs:
                    self.one_op(m, self.rnd.choice(msgs))
                time.sleep(self.rnd.uniform(0, 0.15))
        finally:
            try:
                m.shutdown()
            except OSError:
                pass

    def append(self, m):
        """APPEND one message; on OK it must be there at the end."""
        mid, raw = append_msg(next_append_token("a"))
        with LOCK:
            S.append_tried.add(mid)
        typ, _ = m.append("INBOX", None, None, raw)
        with LOCK:
            S.counts["append"] += 1
            if typ == "OK":
                S.accepted.add(mid)

    def bulk(self, m):
        """UID STORE over every message seen (keyword kwB on, then off):
        many log entries at once, so the index log gets compacted."""
        msgs = [x for x in snapshot(m) if x[0] and x[3]]
        if not msgs:
            return
        self.bulk_on = on = not getattr(self, "bulk_on", False)
        lo, hi = min(x[0] for x in msgs), max(x[0] for x in msgs)
        with LOCK:
            for x in msgs:
                S.flags[(x[3], "kwB")] = None
        typ, _ = m.uid("STORE", "%d:%d" % (lo, hi),
                       "+FLAGS.SILENT" if on else "-FLAGS.SILENT", "(kwB)")
        with LOCK:
            S.counts["bulk"] += 1
            if typ == "OK":
                for x in msgs:
                    S.flags[(x[3], "kwB")] = on

    def one_op(self, m, msg):
        """A random STORE, EXPUNGE or COPY on one message."""
        uid, flags, _size, mid = msg
        r = self.rnd.random()
        if r < 0.05:
            self.append(m)
        elif r < 0.45 and self.n == 1:
            self.bulk(m)
        elif r < 0.55:
            flag = "\\Flagged" if self.n == 0 and r < 0.2 else self.kw
            on = flag not in flags
            key = (mid, flag)
            with LOCK:
                S.flags[key] = None
            typ, _ = m.uid("STORE", str(uid), "+FLAGS" if on else "-FLAGS",
                           "(%s)" % flag)
            with LOCK:
                S.counts["store"] += 1
                if typ == "OK":
                    S.flags[key] = on
        elif r < 0.75:
            with LOCK:
                S.del_tried.add(mid)
            typ, _ = m.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
            if typ == "OK":
                typ, _ = m.uid("EXPUNGE", str(uid))
                with LOCK:
                    S.counts["expunge"] += 1
                    if typ == "OK":
                        S.del_ok.add(mid)
        else:
            with LOCK:
                S.copy_tried[mid] = S.copy_tried.get(mid, 0) + 1
            typ, _ = m.uid("COPY", str(uid), "Keep")
            with LOCK:
                S.counts["copy"] += 1
                if typ == "OK":
                    S.copy_ok[mid] = S.copy_ok.get(mid, 0) + 1


APPENDS = iter(range(1, 1 << 30))


def next_append_token(prefix):
    """A unique token for an APPENDed message."""
    with LOCK:
        return "%s%05d" % (prefix, next(APPENDS))


class SuicideWorker(threading.Thread):
    """Send one STORE, UID EXPUNGE, COPY or MOVE and SIGKILL the session
    serving it 0-10 ms later (mid-command); its own keyword "kwK"."""

    def __init__(self, inst):
        super().__init__(daemon=True)
        self.inst = inst

    def run(self):
        while not STOP.is_set():
            try:
                self.once()
            except (imaplib.IMAP4.error, OSError, EOFError):
                pass
            time.sleep(random.uniform(0.1, 0.4))

    def append_and_die(self, m, pid):
        """APPEND with a literal cut short or sent whole, then SIGKILL."""
        mid, raw = append_msg(next_append_token("k"))
        with LOCK:
            S.append_tried.add(mid)
        m.send(b"k2 APPEND INBOX {%d}\r\n" % len(raw))
        if not m.readline().startswith(b"+"):
            return
        cut = len(raw) if random.random() < 0.5 else random.randrange(
            len(raw))
        m.send(raw[:cut] + (b"\r\n" if cut == len(raw) else b""))
        time.sleep(random.uniform(0, 0.01))
        kill_session(pid)

    def once(self):
        m = imaplib.IMAP4("127.0.0.1", self.inst.imap_port, timeout=15)
        try:
            m.login(USER, PW)
            if m.select("INBOX")[0] != "OK":
                return
            msgs = [x for x in snapshot(m) if x[0] and x[3]]
            pids = tcp_holders(self.inst.imap_port, m.sock.getsockname()[1])
            if not msgs or len(pids) != 1:
                return
            if random.random() < 0.2:
                self.append_and_die(m, pids[0])
                return
            uid, _f, _s, mid = random.choice(msgs)
            r = random.random()
            with LOCK:
                if r < 0.1:
                    for x in msgs:
                        S.flags[(x[3], "kwK")] = None
                    cmd = "STORE 1:* %sFLAGS (kwK)" % random.choice("+-")
                elif r < 0.4:
                    S.flags[(mid, "kwK")] = None
                    cmd = "UID STORE %d +FLAGS (kwK)" % uid
                elif r < 0.6:
                    S.del_tried.add(mid)
                    cmd = "UID EXPUNGE %d" % uid
                else:
                    S.copy_tried[mid] = S.copy_tried.get(mid, 0) + 1
                    cmd = "UID %s %d Keep" % ("COPY" if r < 0.8 else "MOVE",
                                              uid)
                    if r >= 0.8:
                        S.del_tried.add(mid)
            if cmd.startswith("UID EXPUNGE"):
                m.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
            m.send(("k1 %s\r\n" % cmd).encode())
            time.sleep(random.uniform(0, 0.01))
            kill_session(pids[0])
        finally:
            try:
                m.shutdown()
            except OSError:
                pass


def append_msg(token):
    """(Message-ID, CRLF bytes) of a message for APPEND; its size is
    remembered to prove that no cut-short APPEND became a message."""
    mid = "%s@crash.test" % token
    raw = ("From: <append@crash.test>\r\nSubject: append %s\r\n"
           "Message-ID: <%s>\r\n\r\nbody of %s\r\n%s\r\nend\r\n" %
           (token, mid, token, "y" * random.randint(0, 3000))).encode()
    with LOCK:
        S.append_size[mid] = len(raw)
    return mid, raw


def kill_session(pid):
    """SIGKILL one session, counted."""
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        return
    with LOCK:
        S.counts["kill"] += 1
        S.counts["midkill"] += 1


def smtp_loop(inst):
    """Deliver messages until STOP; record what got 250."""
    n = 0
    while not STOP.is_set():
        n += 1
        tok = "m%05d" % n
        qid, _why = inst.submit("load@remote.example", [USER], message(tok))
        if qid:
            with LOCK:
                S.accepted.add(tok + "@crash.test")
        time.sleep(random.uniform(0.05, 0.25))


def pop3_loop(inst):
    """RETR + DELE one message per POP3 session until STOP."""
    while not STOP.is_set():
        mid = None
        try:
            p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=15)
            p.user(USER)
            p.pass_(PW)
            count = p.stat()[0]
            if count:
                i = random.randint(1, count)
                got = MID_RE.search(b"\r\n".join(p.retr(i)[1]))
                if got:
                    mid = got.group(1).decode()
                    with LOCK:
                        S.del_tried.add(mid)
                    p.dele(i)
            p.quit()
            if mid:
                with LOCK:
                    S.del_ok.add(mid)
                    S.counts["pop3"] += 1
        except (poplib.error_proto, OSError, EOFError):
            pass
        time.sleep(random.uniform(0.3, 1.0))


def imapd_procs(inst):
    """(sessions, login processes, spawner pid or None) of imapd now."""
    parent = inst.daemon_pid("imapd")
    if not parent:
        return [], [], None
    logins, spawner, sessions = [], None, []
    for p in inst.children(parent):
        ids = proc_uid(p)
        if ids == [0, 0]:
            spawner = p
        elif ids:
            logins.append(p)
    if spawner:
        sessions = [p for p in inst.children(spawner) if proc_uid(p) != [0, 0]]
    return sessions, logins, spawner


def established():
    """Inodes of the established TCP sockets on this host."""
    out = set()
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[3] == "01":
                out.add(parts[9])
    return out


def holds_clients(pid, est):
    """Whether a login process holds an established connection."""
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            if link.startswith("socket:[") and link[8:-1] in est:
                return True
    except OSError:
        pass
    return False


def killer(inst):
    """SIGKILL sessions and login processes; the spawner once."""
    t0 = time.time()
    spawner_done = False
    while not STOP.is_set():
        time.sleep(random.uniform(0.3, 1.2))
        sessions, logins, spawner = imapd_procs(inst)
        victim = None
        if not spawner_done and spawner and time.time() - t0 > SECS / 2:
            victim, spawner_done = spawner, True
            S.orphans = sessions
            threading.Timer(3, lambda: setattr(S, "orphans_left", [
                p for p in S.orphans if os.path.exists("/proc/%d" % p)
            ])).start()
            print("info: SIGKILL the spawner %d" % spawner, flush=True)
        elif sessions and random.random() < 0.7:
            victim = random.choice(sessions)
        else:
            est = established()
            busy = [p for p in logins if holds_clients(p, est)]
            victim = random.choice(busy) if busy else None
        if victim:
            try:
                os.kill(victim, signal.SIGKILL)
                with LOCK:
                    S.counts["kill"] += 1
            except OSError:
                pass
    return spawner_done


def maildir_view(inst, folder=""):
    """{Message-ID: (flags set, size with CRLF)} and a list of duplicate
    ids, from the files of a folder (INBOX = "")."""
    base = os.path.dirname(inst.maildir(USER, "new"))
    if folder:
        base = os.path.join(base, "." + folder)
    kws = {}
    try:
        with open(os.path.join(base, "dovecot-keywords")) as f:
            for line in f:
                i, _, name = line.strip().partition(" ")
                if i.isdigit():
                    kws[chr(ord("a") + int(i))] = name
    except OSError:
        pass
    sysf = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered",
            "S": "\\Seen", "T": "\\Deleted"}
    view, dups = {}, []
    for sub in ("new", "cur"):
        for name in os.listdir(os.path.join(base, sub)):
            with open(os.path.join(base, sub, name), "rb") as f:
                raw = f.read()
            got = MID_RE.search(raw)
            mid = got.group(1).decode() if got else name
            letters = name.partition(":2,")[2] if sub == "cur" else ""
            flags = {sysf.get(c) or kws.get(c, "?" + c) for c in letters
                     if c in sysf or c.islower()}
            size = len(raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
            if mid in view:
                dups.append(mid)
            view[mid] = (flags, size)
    return view, dups


def fresh_session(inst):
    """A logged-in session, waiting out a respawn throttle of the login
    processes (idle ones killed before their first client count as
    dying fast; the pool then waits up to 60 s)."""
    deadline = time.time() + 75
    while True:
        try:
            m = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=10)
            m.login(USER, PW)
            return m
        except (imaplib.IMAP4.error, OSError, EOFError):
            if time.time() > deadline:
                raise
            time.sleep(1)


def compact_if_needed(inst, snap):
    """The random mix may stop short of the log's compaction threshold:
    then set and clear a keyword nobody else uses on every message until
    the log compacts (bounded), leaving every flag as it was."""
    for _ in range(30):
        if os.path.exists(snap):
            return
        m = fresh_session(inst)
        m.select("INBOX")
        m.uid("STORE", "1:*", "+FLAGS.SILENT", "(kwCompact)")
        m.uid("STORE", "1:*", "-FLAGS.SILENT", "(kwCompact)")
        m.logout()


def final_view(inst):
    """A fresh session: INBOX view, UIDVALIDITY, UIDNEXT, Keep's ids."""
    m = fresh_session(inst)
    typ, data = m.status("INBOX", "(UIDNEXT UIDVALIDITY MESSAGES)")
    st = data[0].decode() if typ == "OK" else ""
    m.select("INBOX")
    view = snapshot(m, " RFC822.SIZE")
    uidnext = re.search(r"UIDNEXT (\d+)", st)
    uv = re.search(r"UIDVALIDITY (\d+)", st)
    m.select("Keep")
    keep = [x[3] for x in snapshot(m, record=False)]
    m.logout()
    return (view, int(uv.group(1)) if uv else None,
            int(uidnext.group(1)) if uidnext else 0, keep)


def check_messages(view):
    """Lost, unexplained, duplicated messages; UID uniqueness."""
    mids = [x[3] for x in view]
    present = set(mids)
    dup = sorted({m for m in mids if mids.count(m) > 1})
    R.check(not dup, "no message twice in INBOX", repr(dup[:5]))
    lost = sorted(S.accepted - present - S.del_tried)
    R.check(not lost, "every accepted message is there or a delete was "
            "sent for it", "%d lost: %r" % (len(lost), lost[:5]))
    back = sorted(present & S.del_ok)
    R.check(not back, "no message deleted with OK is back", repr(back[:5]))
    alien = sorted(present - S.accepted - S.append_tried)
    R.check(not alien, "no message that was never accepted",
            repr(alien[:5]))
    torn = [(x[3], x[2], S.append_size[x[3]]) for x in view
            if x[3] in S.append_size and x[2] != S.append_size[x[3]]]
    R.check(not torn, "every APPENDed message is whole (none cut short "
            "by a SIGKILL mid-literal)", repr(torn[:3]))
    uids = [x[0] for x in view]
    R.check(len(uids) == len(set(uids)) and None not in uids,
            "every UID in the final view is unique", repr(uids[:20]))


def check_uids(view, uv, uidnext):
    """UID history of the run against the final view."""
    R.check(not S.reused, "no UID was ever used for two messages",
            repr(S.reused[:5]))
    R.check(not S.renumbered, "no message changed its UID",
            repr(S.renumbered[:5]))
    R.check(len(S.uidvalidity) == 1 and uv in S.uidvalidity,
            "UIDVALIDITY never changed", "run %r final %r" %
            (S.uidvalidity, uv))
    top = max([x[0] for x in view] + list(S.uid_mid) + [0])
    R.check(uidnext > top, "UIDNEXT is above every UID ever seen",
            "UIDNEXT %d, top %d" % (uidnext, top))


def check_flags(view):
    """Each flag change that got OK persisted."""
    have = {x[3]: x[1] for x in view}
    wrong, n = [], 0
    for (mid, flag), on in S.flags.items():
        if on is None or mid not in have:
            continue
        n += 1
        if (flag in have[mid]) != on:
            wrong.append((mid, flag, on, sorted(have[mid])))
    R.check(n > 0 and not wrong, "flags that got OK persisted (%d "
            "checked)" % n, "%d wrong: %r" % (len(wrong), wrong[:4]))


def check_maildir(inst, view, keep):
    """The fresh view against the files; Keep against the COPYs."""
    files, dups = maildir_view(inst)
    R.check(not dups, "no Message-ID in two files", repr(dups[:5]))
    by_mid = {x[3]: x for x in view}
    R.check(set(files) == set(by_mid), "one message per file in "
            "cur/ and new/", "only files: %r, only view: %r" %
            (sorted(set(files) - set(by_mid))[:5],
             sorted(set(by_mid) - set(files))[:5]))
    bad = []
    for mid, (fflags, size) in files.items():
        x = by_mid.get(mid)
        if x and (x[2] != size or x[1] - {"\\Recent"} != fflags):
            bad.append((mid, sorted(x[1]), x[2], sorted(fflags), size))
    R.check(not bad, "FLAGS and RFC822.SIZE match the file names and "
            "sizes", "%d differ: %r" % (len(bad), bad[:3]))
    short = [m for m, n in S.copy_ok.items() if keep.count(m) < n]
    extra = [m for m in set(keep) if keep.count(m) > S.copy_tried.get(m, 0)]
    R.check(not short and not extra, "Keep holds a copy per COPY that got "
            "OK, none that was not tried", "short %r extra %r" %
            (short[:5], extra[:5]))


def check_rebuild(inst, view, uv):
    """Without its index files the folder is rebuilt from the maildir and
    the uidlist: the same UIDs, flags and sizes, the same UIDVALIDITY."""
    base = os.path.dirname(inst.maildir(USER, "new"))
    gone = []
    for name in os.listdir(base):
        if name.startswith("petrel-index") and not name.endswith(".lock"):
            os.unlink(os.path.join(base, name))
            gone.append(name)
    view2, uv2, _n, _k = final_view(inst)

    def norm(v):
        return sorted((u, tuple(sorted(f - {"\\Recent"})), sz, mid)
                      for u, f, sz, mid in v)
    a, b = norm(view), norm(view2)
    R.check(a == b and uv2 == uv, "the index rebuilt from the maildir "
            "(%s removed) shows the same UIDs, flags and sizes" %
            " ".join(sorted(gone)), "uidvalidity %r -> %r; only before %r; "
            "only after %r" % (uv, uv2, sorted(set(a) - set(b))[:3],
                               sorted(set(b) - set(a))[:3]))


def run_load(inst):
    """The concurrent phase; returns whether the spawner was killed."""
    threads = [ImapWorker(inst, i) for i in range(THREADS)]
    threads.append(SuicideWorker(inst))
    threads += [threading.Thread(target=smtp_loop, args=(inst,), daemon=True),
                threading.Thread(target=pop3_loop, args=(inst,), daemon=True)]
    for t in threads:
        t.start()
    time.sleep(3)                       # some mail before the first kill
    result = {}
    kt = threading.Thread(target=lambda: result.update(k=killer(inst)),
                          daemon=True)
    kt.start()
    time.sleep(SECS)
    STOP.set()
    for t in threads + [kt]:
        t.join(40)
    alive = [t for t in threads + [kt] if t.is_alive()]
    R.check(not alive, "every client finished (bounded)", repr(alive))
    return result.get("k", False)


def main():
    inst = Instance({"imapd_max_userip_connections": "50"}, name="icrash")
    try:
        inst.create()
        inst.add_user(USER, PW)
        inst.start()
        m = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=15)
        m.login(USER, PW)
        R.check(m.create("Keep")[0] == "OK", "CREATE Keep")
        m.logout()
        spawner_killed = run_load(inst)
        print("info: %d accepted, %d deleted with OK, %r" %
              (len(S.accepted), len(S.del_ok), S.counts), flush=True)
        R.check(spawner_killed and S.counts["kill"] >= 10,
                "the killer struck (%d kills, the spawner once)" %
                S.counts["kill"], "kills %d spawner %s" %
                (S.counts["kill"], spawner_killed))
        R.check(S.counts["store"] > 20 and S.counts["expunge"] > 5 and
                S.counts["copy"] > 5 and S.counts["pop3"] > 3,
                "the clients got work done", repr(S.counts))
        inst.wait_queue_empty(30)
        time.sleep(1)
        view, uv, uidnext, keep = final_view(inst)
        check_messages(view)
        check_uids(view, uv, uidnext)
        check_flags(view)
        check_maildir(inst, view, keep)
        snap = os.path.join(os.path.dirname(inst.maildir(USER, "new")),
                            "petrel-index")
        compact_if_needed(inst, snap)
        R.check(os.path.exists(snap), "the index log is compacted into "
                "a snapshot (during the run, else by more STOREs)",
                "no petrel-index; log %d bytes"
                % os.path.getsize(snap + ".log"))
        check_rebuild(inst, view, uv)
        left = S.orphans_left
        R.check(S.orphans and left == [], "the killed spawner's sessions "
                "ended with it (%d, 3 s later)" % len(S.orphans),
                "alive: %r" % left)
        throttled = inst.log_lines("workers die fast")
        R.check(not throttled, "login processes killed while they held "
                "clients do not throttle the pool", repr(throttled[:2]))
        R.check(inst.wait_log(r"imapd\[\d+\]: warning: session \d+ killed by "
                              r"signal 9",
                              1), "the spawner logs killed sessions")
    except Exception as e:  # report, never hang
        import traceback
        traceback.print_exc()
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    finally:
        STOP.set()
        inst.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
