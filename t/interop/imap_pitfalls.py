#!/usr/bin/env python3
"""imap_pitfalls.py - the client interop pitfalls of
/work/shared/research/imap-clients.md section 1.2, checked against
petrel-imapd with a byte-exact client (t/lib/imap_interop.py Raw).

One private instance (imapd_idle_keepalive 2s so that keepalives can be
seen).  The numbers are the pitfalls' numbers in that list:
  1  UIDVALIDITY non-zero and 32-bit, equal in SELECT, EXAMINE and STATUS
     and across connections;
  2  UIDNEXT in SELECT and EXAMINE, above every UID, equal to STATUS's;
  3  APPENDUID (uidvalidity, uid) in that order, also for MULTIAPPEND;
     COPYUID (uidvalidity, source set, destination set) for COPY and MOVE,
     the sets pairing the right messages;
  4  every advertised capability answers OK to a minimal use, and one not
     advertised (COMPRESS, SORT, UIDONLY) is refused, not half-done;
  6  IDLE in CAPABILITY before and after login, and IDLE reports new mail;
  7  20 connections of one user from one address work, the 21st gets
     NO [LIMIT], and after one closes a new one works again;
  8  IDLE keepalive "* OK Still here" within the configured interval;
  9  INBOX spelling variants are INBOX; modified UTF-7 names round-trip;
     a Maildir++ folder made by another program (.Ext.Sub) is listed as
     Ext/Sub; an invalid mUTF-7 name is refused;
  10 new mail shows on NOOP without a folder switch;
  11 rev2 behaviour (ESEARCH answers, no RECENT, UTF-8 names) only after
     ENABLE IMAP4rev2, rev1 behaviour before;
  12 the metadata fetch of a 2,000-message folder is quick;
  13 every literal's count is exact: 8-bit, bare-LF, CRLF, no final
     newline, NUL bytes; RFC822.SIZE equals the BODY[] literal; partial
     fetches;
  14 stale UIDs touch nothing (FETCH, STORE, COPY, MOVE, UID EXPUNGE),
     a sequence number another session expunged never shows another
     message, and UIDs are never reused;
  15 a pipelined iOS-style opening burst (ID, NAMESPACE, LIST RETURN
     (SPECIAL-USE)) and "CHANGEDSINCE 0" are answered in order.
  (5, COMPRESS=DEFLATE, does not apply: not offered.)
Prints "PASS: interop/imap_pitfalls: <case>" / "FAIL: ..."; exit 1 on
failure.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import petrel_inst  # noqa: E402
import imap_interop as ii  # noqa: E402

R = petrel_inst.Reporter("interop/imap_pitfalls")
USER, PW = "pit@example.test", "pit pw"
BIG = "Big"


def ok(r):
    """True for a tagged OK."""
    return re.match(rb"t\d+ OK", r.line) is not None


def code(resps, name):
    """The argument bytes of the first response code [name ...]."""
    for r in resps:
        m = re.search(rb"\[" + name.encode() + rb" ([^\]]*)\]", r.line)
        if m:
            return m.group(1)
    return None


def conn(inst):
    """A logged-in Raw connection."""
    c = ii.Raw(inst.imap_port)
    r = c.login(USER, PW)
    if not ok(r):
        raise RuntimeError("login: %r" % r.line)
    return c


def select(c, box, examine=False):
    """SELECT/EXAMINE; (untagged + tagged list, EXISTS, UIDVALIDITY,
    UIDNEXT)."""
    u, t = c.cmd('%s "%s"' % ("EXAMINE" if examine else "SELECT", box))
    allr = u + [t]
    ex = [int(r.line.split()[1]) for r in u if r.line.endswith(b" EXISTS")]
    uv, un = code(allr, "UIDVALIDITY"), code(allr, "UIDNEXT")
    return (allr, ex[-1] if ex else None, int(uv) if uv else None,
            int(un) if un else None, ok(t))


def uids(c):
    """Every UID of the selected folder."""
    u, _ = c.cmd("UID SEARCH ALL")
    for r in u:
        if r.line.startswith(b"* SEARCH"):
            return [int(x) for x in r.line.split()[2:]]
    return []


def status(c, box, items="MESSAGES UIDNEXT UIDVALIDITY"):
    """STATUS values as a dict."""
    u, _ = c.cmd('STATUS "%s" (%s)' % (box, items))
    for r in u:
        m = re.search(rb"\(([^)]*)\)$", r.line)
        if r.line.startswith(b"* STATUS") and m:
            v = m.group(1).split()
            return {v[i].decode(): int(v[i + 1]) for i in range(0, len(v), 2)}
    return {}


SPECIAL = {
    "8bit": "From: a@example.org\nSubject: 8bit\nContent-Type: text/plain; "
            "charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            "Grüße, ça va? ✓ 日本語\n".encode() + b"latin1 \xe4\xf6\xfc\n",
    "bare-lf": b"From: b@example.org\nSubject: bare lf\n\nline1\nline2\n\n",
    "crlf": b"From: c@example.org\r\nSubject: crlf\r\n\r\nalready crlf\r\n",
    "no-final-nl": b"From: d@example.org\nSubject: nofinal\n\nno newline",
    "nul": b"From: e@example.org\nSubject: nul\n\nbinary \x00 nul \x00\n",
}


def crlf(m):
    """What IMAP must send for a stored message: bare LF -> CRLF."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", m)


def p1_p2_uidvalidity(inst):
    """Pitfalls 1 and 2."""
    c = conn(inst)
    bad = []
    for box in ("INBOX", "Work", "Sent", BIG):
        s = status(c, box)
        _, ex, uv, un, _ok = select(c, box)
        _, ex2, uv2, un2, _ok2 = select(c, box, examine=True)
        if not uv or not 0 < uv < 2 ** 32 or uv != uv2 or uv != s.get(
                "UIDVALIDITY"):
            bad.append("%s uidvalidity %s/%s/%s" % (box, uv, uv2, s))
        us = uids(c)
        if un is None or un2 != un or un != s.get("UIDNEXT") or (
                us and un <= max(us)):
            bad.append("%s uidnext %s/%s/%s max %s" % (
                box, un, un2, s, max(us) if us else 0))
    c.close()
    c2 = conn(inst)
    again = select(c2, "INBOX")[2]
    c2.close()
    R.check(not bad, "1,2: UIDVALIDITY 32-bit non-zero, UIDNEXT in "
            "SELECT/EXAMINE = STATUS", "; ".join(bad))
    R.check(again and again == status_uv(inst, "INBOX"),
            "1: UIDVALIDITY stable across connections")


def status_uv(inst, box):
    """UIDVALIDITY of box from a fresh connection."""
    c = conn(inst)
    v = status(c, box).get("UIDVALIDITY")
    c.close()
    return v


def fetch_mid(c, uid):
    """The Message-ID header line of a UID in the selected folder."""
    u, _ = c.cmd("UID FETCH %d (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])" % uid)
    for r in u:
        if r.lits:
            return r.lits[0].strip()
    return None


def p3_uidplus(inst):
    """Pitfall 3: APPENDUID and COPYUID argument order and pairing."""
    c = conn(inst)
    work_uv = status(c, "Work")["UIDVALIDITY"]
    msg = crlf(ii.message(7001, "Work"))
    u, t = c.cmd('APPEND "Work" (\\Seen)', [msg])
    a = code([t], "APPENDUID")
    parts = a.split() if a else []
    good = len(parts) == 2 and int(parts[0]) == work_uv
    if good:
        select(c, "Work")
        good = fetch_mid(c, int(parts[1])) == b"Message-ID: <7001.Work@interop.test>"
    R.check(good, "3: APPENDUID <uidvalidity> <uid> names the new message",
            "%r uv %d" % (t.line, work_uv))
    m2 = [crlf(ii.message(i, "Work")) for i in (7002, 7003)]
    c.cmd("UNSELECT")
    c.tag += 1
    c.send(b't%d APPEND "Work" {%d+}\r\n%s {%d+}\r\n%s\r\n' % (
        c.tag, len(m2[0]), m2[0], len(m2[1]), m2[1]))
    t = c.read_resp()
    a = code([t], "APPENDUID")
    R.check(a and a.split()[0] == str(work_uv).encode() and
            re.match(rb"^\d+:\d+$|^\d+,\d+$", a.split()[1]),
            "3: MULTIAPPEND (LITERAL+) APPENDUID with a UID set", t.line)
    copyuid_cases(c, work_uv)
    c.close()


def pairs(src, dst):
    """Expand two UID sets of COPYUID into (src, dst) pairs."""
    def expand(s):
        out = []
        for part in s.split(b","):
            a, _, b = part.partition(b":")
            lo, hi = int(a), int(b or a)
            out.extend(range(min(lo, hi), max(lo, hi) + 1))
        return out
    return list(zip(expand(src), expand(dst)))


def copyuid_cases(c, work_uv):
    """COPYUID on UID COPY and on UID MOVE (untagged OK)."""
    select(c, "INBOX")
    us = uids(c)[2:5]
    want = {u: fetch_mid(c, u) for u in us}
    for verb in ("COPY", "MOVE"):
        select(c, "INBOX")
        u, t = c.cmd("UID %s %d,%d,%d Work" % ((verb,) + tuple(us)))
        a = code(u + [t], "COPYUID")
        parts = a.split() if a else []
        good = len(parts) == 3 and int(parts[0]) == work_uv
        if good:
            select(c, "Work")
            pr = pairs(parts[1], parts[2])
            good = sorted(s for s, _d in pr) == sorted(us) and all(
                fetch_mid(c, d) == want[s] for s, d in pr)
        R.check(good, "3: UID %s: COPYUID <uidvalidity> <src> <dst> pairs "
                "the right messages" % verb, a)


CAP_TESTS = {
    "IMAP4rev1": [], "IMAP4rev2": [], "AUTH=PLAIN": [], "STARTTLS": [],
    "LITERAL+": [], "MULTIAPPEND": [], "UIDPLUS": [],  # tested in 3
    "SASL-IR": [], "IDLE": [],  # tested at login and in 6/8
    "ID": ['ID ("name" "pitfalls")'],
    "ENABLE": ["ENABLE CONDSTORE"],
    "NAMESPACE": ["NAMESPACE"],
    "UNSELECT": ['SELECT "INBOX"', "UNSELECT"],
    "CHILDREN": ['LIST "" "%"'],
    "MOVE": ['SELECT "Work"', "MOVE 1 Work", "UNSELECT"],
    "LIST-EXTENDED": ['LIST (SUBSCRIBED) "" "*"',
                      'LIST "" ("INBOX" "Work") RETURN (CHILDREN)'],
    "LIST-STATUS": ['LIST "" "*" RETURN (STATUS (MESSAGES UIDNEXT))'],
    "SPECIAL-USE": ['LIST "" "*" RETURN (SPECIAL-USE)',
                    'LIST (SPECIAL-USE) "" "*"'],
    "CREATE-SPECIAL-USE": ['CREATE "Old" (USE (\\Archive))'],
    "STATUS=SIZE": ['STATUS "INBOX" (SIZE)'],
    "ESEARCH": ['SELECT "INBOX"', "SEARCH RETURN (MIN MAX COUNT ALL) ALL"],
    "SEARCHRES": ['SELECT "INBOX"', "SEARCH RETURN (SAVE) 1:2", "FETCH $ UID"],
    "CONDSTORE": ['SELECT "INBOX" (CONDSTORE)', "FETCH 1 (MODSEQ)",
                  "SEARCH MODSEQ 1", "UNSELECT"],
    "QRESYNC": ["ENABLE QRESYNC", 'SELECT "Work"', "UNSELECT"],
    "APPENDLIMIT": [],  # checked below
}


def p4_advertised(inst):
    """Pitfall 4 (and 5): what is offered works; what is not is refused."""
    c = conn(inst)
    u, _ = c.cmd("CAPABILITY")
    caps = u[0].line.split()[2:]
    caps = [x.decode() for x in caps]
    bad, untested = [], []
    for cap in caps:
        name = cap.split("=")[0] + "=" if cap.startswith("APPENDLIMIT") \
            else cap
        if name == "APPENDLIMIT=":
            lim = int(cap.split("=")[1])
            _u, t = c.cmd(b'APPEND "INBOX" {%d+}' % (lim + 1))
            if not re.match(rb"t\d+ (NO|BAD) \[TOOBIG\]", t.line):
                bad.append("APPENDLIMIT: %r" % t.line)
            continue
        if name not in CAP_TESTS:
            untested.append(cap)
            continue
        for line in CAP_TESTS[name]:
            _u, t = c.cmd(line)
            if not ok(t):
                bad.append("%s: %s -> %r" % (cap, line, t.line))
    c.close()
    R.check(not bad, "4: every advertised capability works", "; ".join(bad))
    R.check(not untested, "4: no advertised capability left untested here",
            untested)
    c = conn(inst)
    refused = []
    for cap, line in (("COMPRESS", "COMPRESS DEFLATE"),
                      ("SORT", "SORT (DATE) UTF-8 ALL"),
                      ("UIDONLY", "ENABLE UIDONLY")):
        if cap in caps or any(x.startswith(cap + "=") for x in caps):
            continue
        if cap == "SORT":
            c.cmd('SELECT "INBOX"')
        u, t = c.cmd(line)
        if ok(t) and (cap != "UIDONLY" or any(b"ENABLED UIDONLY" in r.line
                                              for r in u)):
            refused.append(cap)
    c.close()
    R.check(not refused, "4,5: COMPRESS, SORT, UIDONLY not offered and not "
            "half-done", refused)


def p6_p8_idle(inst):
    """Pitfalls 6 and 8: IDLE offered, new mail in IDLE, keepalive."""
    c = ii.Raw(inst.imap_port)
    pre = b" IDLE" in c.greeting.line
    r = c.login(USER, PW)
    post = b" IDLE" in r.line
    R.check(pre and post, "6: IDLE in CAPABILITY before and after login",
            "%r / %r" % (c.greeting.line, r.line))
    _, ex, _uv, _un, _ok = select(c, "INBOX")
    c.tag += 1
    c.send(b"t%d IDLE\r\n" % c.tag)
    cont = c.read_resp(10)
    t0 = time.time()
    ka = c.read_resp(6)
    R.check(cont.line.startswith(b"+") and ka.line.startswith(
        b"* OK Still here") and time.time() - t0 < 5,
            "8: IDLE keepalive within imapd_idle_keepalive (2s)",
            "%r %r" % (cont.line, ka.line))
    ii.fill(inst, USER, [ii.message(8001)])
    got = None
    deadline = time.time() + 8
    while time.time() < deadline and got is None:
        r = c.read_resp(8)
        if r.line.endswith(b" EXISTS"):
            got = int(r.line.split()[1])
    R.check(got == ex + 1, "6: IDLE reports new mail (EXISTS)",
            "%r after %r" % (got, ex))
    c.send(b"DONE\r\n")
    while True:
        r = c.read_resp(5)
        if r.line.startswith(b"t%d " % c.tag):
            break
    R.check(ok(r), "6: DONE ends IDLE with OK", r.line)
    c.close()


def p7_limit(inst):
    """Pitfall 7: 20 sessions of one user+address, the 21st refused."""
    conns, bad = [], 0
    try:
        for _ in range(20):
            c = ii.Raw(inst.imap_port)
            conns.append(c)
            r = c.login(USER, PW)
            if not ok(r):
                bad += 1
            elif not ok(c.cmd("NOOP")[1]):
                bad += 1
        R.check(bad == 0, "7: 20 connections of one user and address",
                "%d failed" % bad)
        c = ii.Raw(inst.imap_port)
        try:
            r = c.login(USER, PW)
            lim = b"[LIMIT]" in r.line and not ok(r)
        except EOFError:
            lim = False
        c.close()
        R.check(lim, "7: the 21st gets NO [LIMIT]", r.line)
        conns.pop().close()
        again = False
        for _ in range(30):
            c = ii.Raw(inst.imap_port)
            again = ok(c.login(USER, PW))
            c.close()
            if again:
                break
            time.sleep(0.2)
        R.check(again, "7: after one logs out a new login works")
    finally:
        for c in conns:
            c.close()


def list_names(c, pattern='"" "*"'):
    """Mailbox names from LIST (raw bytes, unquoted)."""
    u, _ = c.cmd("LIST " + pattern)
    out = []
    for r in u:
        m = re.match(rb'\* LIST \([^)]*\) (?:"."|NIL) (.*)$', r.line)
        if m:
            n = m.group(1)
            out.append(r.lits[0] if r.lits else n.strip(b'"'))
    return out


def p9_names(inst):
    """Pitfall 9: INBOX variants, mUTF-7, foreign Maildir++ folders."""
    c = conn(inst)
    base = select(c, "INBOX")
    same = all(select(c, v)[1:3] == base[1:3] for v in ("inbox", "InBoX"))
    st = status(c, "iNbOx")
    R.check(same and st.get("MESSAGES") == base[1],
            "9: inbox, InBoX, iNbOx are INBOX (SELECT, STATUS)")
    R.check(list_names(c, '"" "inbox"') == [b"INBOX"] and
            not ok(c.cmd('CREATE "Inbox"')[1]),
            "9: LIST inbox answers INBOX; CREATE Inbox refused")
    _u, t = c.cmd('CREATE "Entw&APw-rfe/&ZeVnLIqe-"')
    names = list_names(c)
    R.check(ok(t) and b"Entw&APw-rfe/&ZeVnLIqe-" in names and
            b"Entw&APw-rfe" in names, "9: modified UTF-7 names round-trip",
            names)
    R.check(not ok(c.cmd('CREATE "A&B"')[1]) and
            not ok(c.cmd('CREATE "bad&Jjo"')[1]),
            "9: invalid modified UTF-7 refused")
    ii.fill(inst, USER, [ii.message(1, "Ext.Sub")], folder="Ext/Sub")
    names = list_names(c)
    R.check(b"Ext/Sub" in names and b"Ext" in names,
            "9: Maildir++ .Ext.Sub made elsewhere lists as Ext/Sub", names)
    c.close()


def p10_newmail(inst):
    """Pitfall 10: new mail visible on NOOP, no folder switch."""
    c = conn(inst)
    _, ex, _uv, _un, _ok = select(c, "Work")
    ii.fill(inst, USER, [ii.message(10001, "Work")], folder="Work")
    u, t = c.cmd("NOOP")
    got = [r.line for r in u if r.line.endswith(b"EXISTS")]
    R.check(got == [b"* %d EXISTS" % (ex + 1)],
            "10: NOOP reports new mail in the selected folder", got)
    c.close()


def p11_rev2(inst):
    """Pitfall 11: rev1 until ENABLE IMAP4rev2."""
    c = conn(inst)
    allr = select(c, "INBOX")[0]
    u, _ = c.cmd("SEARCH 1:2")
    names = list_names(c)
    rev1 = (any(r.line.endswith(b" RECENT") for r in allr) and
            any(r.line.startswith(b"* SEARCH") for r in u) and
            b"Entw&APw-rfe" in names)
    R.check(rev1, "11: rev1 answers before ENABLE (RECENT, * SEARCH, "
            "mUTF-7 names)")
    c.close()
    c = conn(inst)
    u, t = c.cmd("ENABLE IMAP4rev2")
    en = any(r.line == b"* ENABLED IMAP4rev2" for r in u)
    allr = select(c, "INBOX")[0]
    u, _ = c.cmd("SEARCH 1:2")
    names = list_names(c)
    rev2 = (not any(r.line.endswith(b" RECENT") for r in allr) and
            any(r.line.startswith(b"* ESEARCH") for r in u) and
            "Entwürfe".encode() in names)
    R.check(en and rev2, "11: after ENABLE IMAP4rev2: * ENABLED, no RECENT, "
            "ESEARCH, UTF-8 names", names[:8])
    c.close()


def p12_fast(inst):
    """Pitfall 12: (UID INTERNALDATE RFC822.SIZE FLAGS) of 2,000 messages."""
    c = conn(inst)
    select(c, BIG)
    t0 = time.time()
    u, t = c.cmd("UID FETCH 1:* (UID INTERNALDATE RFC822.SIZE FLAGS)")
    secs = time.time() - t0
    R.check(ok(t) and len(u) == 2000 and secs < 5,
            "12: metadata of 2,000 messages in %.2fs" % secs,
            "%d responses, %r" % (len(u), t.line))
    c.close()


def p13_literals(inst):
    """Pitfall 13: exact literal counts for awkward messages."""
    c = conn(inst)
    select(c, "Odd")
    u, t = c.cmd("FETCH 1:* (RFC822.SIZE BODY.PEEK[] BODY.PEEK[HEADER] "
                 "BODY.PEEK[TEXT] BODY.PEEK[]<3.10>)")
    got = {}
    for r in u:
        m = re.search(rb"RFC822\.SIZE (\d+)", r.line)
        if len(r.lits) != 4 or not m:
            continue
        subj = re.search(rb"Subject: ([^\r\n]*)", r.lits[0]).group(1)
        got[subj.decode("latin-1")] = (int(m.group(1)), r.lits)
    bad = []
    for name, raw in SPECIAL.items():
        subj = re.search(rb"Subject: ([^\r\n]*)", raw).group(1).decode()
        if subj not in got:
            bad.append("%s missing" % name)
            continue
        size, lits = got[subj]
        want = crlf(raw)
        if lits[0] != want or size != len(want):
            bad.append("%s: BODY[] %d bytes, RFC822.SIZE %d, want %d" % (
                name, len(lits[0]), size, len(want)))
        elif lits[1] + lits[2] != want or lits[3] != want[3:13]:
            bad.append("%s: HEADER+TEXT or partial differ" % name)
    R.check(ok(t) and not bad, "13: literal counts exact (8-bit, bare LF, "
            "CRLF, no final newline, NUL), RFC822.SIZE = BODY[]", bad)
    c.close()


def flags_of(c):
    """{uid: flags} of the selected folder."""
    u, _ = c.cmd("UID FETCH 1:* (FLAGS)")
    out = {}
    for r in u:
        m = re.search(rb"UID (\d+)", r.line)
        f = re.search(rb"FLAGS \(([^)]*)\)", r.line)
        if m and f:
            out[int(m.group(1))] = f.group(1)
    return out


def p14_stale(inst):
    """Pitfall 14: stale UIDs touch nothing; UIDs never reused."""
    c = conn(inst)
    select(c, "Stale")
    us = uids(c)
    mid, top = us[2], us[-1]
    c.cmd("UID STORE %d,%d +FLAGS.SILENT (\\Deleted)" % (mid, top))
    c.cmd("UID EXPUNGE %d,%d" % (mid, top))
    before = flags_of(c)
    work_n = status(c, "Work")["MESSAGES"]
    resp = []
    for line in ("UID FETCH %d (FLAGS BODY.PEEK[])" % mid,
                 "UID STORE %d +FLAGS (\\Flagged)" % mid,
                 "UID COPY %d Work" % mid, "UID MOVE %d Work" % mid,
                 "UID EXPUNGE %d" % mid):
        u, t = c.cmd(line)
        resp += [r.line for r in u if b"FETCH" in r.line or
                 b"EXPUNGE" in r.line]
    R.check(not resp and flags_of(c) == before and
            status(c, "Work")["MESSAGES"] == work_n,
            "14: a stale UID is ignored by FETCH, STORE, COPY, MOVE, "
            "UID EXPUNGE", resp)
    ii.fill(inst, USER, [ii.message(14001, "Stale")], folder="Stale")
    c.cmd("NOOP")
    new = [x for x in uids(c) if x not in before]
    R.check(len(new) == 1 and new[0] > top,
            "14: new mail gets a UID above every expunged one",
            "%s top %d" % (new, top))
    c.close()
    ghost_seq(inst)


def ghost_seq(inst):
    """A sequence number expunged by another session is never mapped to
    another message before the EXPUNGE was reported."""
    a, b = conn(inst), conn(inst)
    select(a, "Stale")
    us = uids(a)
    select(b, "Stale")
    b.cmd("UID STORE %d +FLAGS.SILENT (\\Deleted)" % us[0])
    b.cmd("UID EXPUNGE %d" % us[0])
    u, t = a.cmd("FETCH 1 (UID FLAGS)")
    other = [r.line for r in u if b"FETCH" in r.line and
             b"UID %d " % us[0] not in r.line + b" "]
    R.check(not other, "14: FETCH of a seq another session expunged "
            "never returns another message", other)
    a.close()
    b.close()


def p15_burst(inst):
    """Pitfall 15: a pipelined opening burst and CHANGEDSINCE 0."""
    c = ii.Raw(inst.imap_port)
    c.send(b'a1 LOGIN "%s" "%s"\r\na2 ID ("name" "iPhone Mail" "os" "iOS")'
           b'\r\na3 NAMESPACE\r\na4 LIST "" "*" RETURN (SPECIAL-USE)\r\n'
           b'a5 SELECT INBOX (CONDSTORE)\r\na6 FETCH 1:* (FLAGS) '
           b'(CHANGEDSINCE 0)\r\n' % (USER.encode(), PW.encode()))
    tags = []
    while len(tags) < 6:
        r = c.read_resp(10)
        m = re.match(rb"(a\d) (\w+)", r.line)
        if m:
            tags.append(m.group(1) + b" " + m.group(2))
    c.close()
    R.check(tags == [b"a%d OK" % i for i in range(1, 7)],
            "15: pipelined LOGIN, ID, NAMESPACE, LIST RETURN (SPECIAL-USE),"
            " SELECT (CONDSTORE), FETCH CHANGEDSINCE 0 answered in order",
            tags)


def setup(inst):
    """The account: INBOX, Work, Big (2,000), Odd (awkward bytes), Stale."""
    ii.fill(inst, USER, [ii.message(i) for i in range(10)])
    ii.fill(inst, USER, [ii.message(i, "Work") for i in range(5)],
            folder="Work")
    ii.fill(inst, USER, [ii.message(i, BIG) for i in range(2000)],
            folder=BIG, flags="S")
    ii.fill(inst, USER, list(SPECIAL.values()), folder="Odd")
    ii.fill(inst, USER, [ii.message(i, "Stale") for i in range(8)],
            folder="Stale")


def main():
    """Run every pitfall case against one instance."""
    inst = ii.tls_instance("imap-pit", {"imapd_idle_keepalive": "2s"})
    try:
        inst.add_user(USER, PW)
        setup(inst)
        inst.start()
        c = conn(inst)  # first login makes the special folders
        c.close()
        for case in (p1_p2_uidvalidity, p3_uidplus, p4_advertised,
                     p6_p8_idle, p7_limit, p9_names, p10_newmail, p11_rev2,
                     p12_fast, p13_literals, p14_stale, p15_burst):
            try:
                case(inst)
            except Exception as e:  # one broken case must not hide others
                R.bad(case.__name__, "%s: %s" % (type(e).__name__, e))
    finally:
        inst.cleanup()


if __name__ == "__main__":
    main()
    sys.exit(R.exit_code())
