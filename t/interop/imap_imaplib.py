#!/usr/bin/env python3
"""imap_imaplib.py - Python's imaplib (IMAP4_SSL and STARTTLS) against
petrel-imapd, and SMTP -> IMAP -> POP3 byte identity.

One private instance with STARTTLS on imapd_listen and implicit TLS on
imapd_imaps_listen.  Mixed messages go in through SMTP (8-bit UTF-8 text
with 8BITMIME, lines starting with dots, a multipart message with a 1 MB
base64 attachment, a message with very long and empty lines).
Cases:
  - STARTTLS: offered before, not after; the capabilities are re-read;
    login over IMAP4_SSL and over STARTTLS;
  - every message read by IMAP (BODY.PEEK[], both TLS modes) and by POP3
    (RETR) is byte-identical to what was sent by SMTP (after the trace
    headers delivery adds at the top) and the two reads equal each other;
    RFC822.SIZE equals the length of BODY[];
  - a message APPENDed by imaplib reads back the same over POP3;
  - flags stored by one imaplib connection are seen by the other;
    BODY.PEEK[] leaves \\Seen unset and BODY[] sets it;
  - SEARCH by header and by body text finds the 8-bit message;
  - the folder's UIDVALIDITY is the same on both connections.
Prints "PASS: interop/imap_imaplib: <case>" / "FAIL: ..."; exit 1 on failure.
"""
import base64
import imaplib
import os
import poplib
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import petrel_inst  # noqa: E402
import imap_interop as ii  # noqa: E402

R = petrel_inst.Reporter("interop/imap_imaplib")
USER, PW = "py@example.test", "py pw 9"


def sent_messages():
    """The messages sent by SMTP, CRLF line ends, each with a Message-ID."""
    att = base64.encodebytes(bytes((i * 31 + 7) % 256
                                   for i in range(768 * 1024)))
    mime = (b"From: a@example.org\nTo: py@example.test\nSubject: mime\n"
            b"Message-ID: <mime@interop.test>\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=\"b1\"\n\n"
            b"--b1\nContent-Type: text/plain\n\nsee attachment\n"
            b"--b1\nContent-Type: application/octet-stream\n"
            b"Content-Transfer-Encoding: base64\n\n" + att + b"--b1--\n")
    eight = ("From: b@example.org\nTo: py@example.test\nSubject: =?utf-8?q?"
             "Gr=C3=BC=C3=9Fe?=\nMessage-ID: <eight@interop.test>\n"
             "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
             "Content-Transfer-Encoding: 8bit\n\nGrüße aus Köln ✓ "
             "zebrafinch\n").encode()
    dots = (b"From: c@example.org\nTo: py@example.test\nSubject: dots\n"
            b"Message-ID: <dots@interop.test>\n\n.\n..\n.leading dot\n"
            b"...three\nend\n")
    longl = (b"From: d@example.org\nTo: py@example.test\nSubject: long\n"
             b"Message-ID: <long@interop.test>\n\n" + b"x" * 990 +
             b"\n\n\n" + b"y " * 400 + b"\n")
    return [m.replace(b"\n", b"\r\n") for m in (eight, dots, longl, mime)]


def by_mid(data):
    """The Message-ID of a message's bytes."""
    m = ii.MSGID_RE.search(data)
    return m.group(1).decode() if m else None


def imap_read(c):
    """{message-id: (BODY[] bytes, RFC822.SIZE)} of INBOX via imaplib."""
    c.select("INBOX", readonly=True)
    typ, data = c.fetch("1:*", "(RFC822.SIZE BODY.PEEK[])")
    out = {}
    for item in data:
        if isinstance(item, tuple):
            size = int(re.search(rb"RFC822\.SIZE (\d+)", item[0]).group(1))
            out[by_mid(item[1])] = (item[1], size)
    c.close()
    return out


def pop_read(inst):
    """{message-id: bytes (CRLF)} of the mailbox via POP3 RETR."""
    p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=30)
    p.user(USER)
    p.pass_(PW)
    out = {}
    for i in range(1, len(p.list()[1]) + 1):
        lines = p.retr(i)[1]
        data = b"\r\n".join(lines) + b"\r\n"
        out[by_mid(data)] = data
    p.quit()
    return out


def tls_cases(inst):
    """STARTTLS and IMAP4_SSL logins; the two connections."""
    c = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=30)
    before = "STARTTLS" in c.capabilities
    c.starttls(ssl_context=petrel_inst.tls_unverified())
    after = "STARTTLS" in c.capabilities
    typ, _ = c.login(USER, PW)
    R.check(before and not after and typ == "OK",
            "STARTTLS offered before TLS, not after; login over STARTTLS",
            "%s %s %s" % (before, after, typ))
    s = ii.login(inst, USER, PW, tls="imaps")
    R.ok("login over IMAP4_SSL")
    return c, s


def identity(inst, c, s, sent):
    """SMTP -> IMAP (both TLS modes) -> POP3 byte identity."""
    a, b, p = imap_read(c), imap_read(s), pop_read(inst)
    want = {by_mid(m): m for m in sent}
    bad = []
    for mid, m in want.items():
        ia = petrel_inst.strip_added(a.get(mid, (b"", 0))[0])
        ib = petrel_inst.strip_added(b.get(mid, (b"", 0))[0])
        pp = petrel_inst.strip_added(p.get(mid, b""))
        if not (ia == m and ib == m and pp == m):
            bad.append("%s: imap %d imaps %d pop3 %d sent %d" % (
                mid, len(ia), len(ib), len(pp), len(m)))
        elif a[mid][0] != p[mid]:
            bad.append("%s: IMAP and POP3 differ in trace headers" % mid)
    R.check(not bad, "SMTP -> IMAP (STARTTLS, IMAPS) -> POP3 byte-identical",
            bad)
    sizes = [mid for mid, (d, n) in a.items() if len(d) != n]
    R.check(not sizes and len(a) == len(want),
            "RFC822.SIZE equals the BODY[] length", sizes)


def append_to_pop(inst, c):
    """APPEND by imaplib, read by POP3."""
    msg = (b"From: e@example.org\r\nSubject: appended\r\nMessage-ID: "
           b"<app@interop.test>\r\n\r\nappended \xc3\xa4 body\r\n")
    typ, data = c.append("INBOX", "(\\Flagged)", None, msg)
    m = re.search(rb"APPENDUID (\d+) (\d+)", data[0] or b"")
    p = pop_read(inst)
    R.check(typ == "OK" and m and p.get("app@interop.test") == msg,
            "APPEND by IMAP, RETR by POP3: identical", "%s %r" % (typ, data))


def flags_cases(c, s):
    """Flags across connections; PEEK versus BODY[]."""
    c.select("INBOX")
    typ, data = c.search(None, "HEADER", "Message-ID", "<dots@interop.test>")
    n = data[0].split()[0]
    c.store(n, "+FLAGS", "(\\Answered $Label1)")
    s.select("INBOX")
    typ, data = s.fetch(n, "(FLAGS)")
    R.check(b"\\Answered" in data[0] and b"$Label1" in data[0]
            and b"\\Seen" not in data[0],
            "flags set on one connection seen on the other; PEEK kept "
            "\\Seen unset", data)
    s.fetch(n, "(BODY[])")
    # the other connection hears of it at the end of its next command,
    # a FETCH by sequence number included (RFC 9051 5.2, 7.5.2)
    c.untagged_responses.pop("FETCH", None)
    typ, data = c.fetch(n, "(UID)")
    seen = [x for x in data if isinstance(x, bytes) and b"FLAGS" in x]
    R.check(any(b"\\Seen" in x for x in seen), "BODY[] sets \\Seen; the "
            "other connection is told at the end of its next FETCH", data)
    typ, data = s.search("UTF-8", "BODY", "zebrafinch")
    typ2, data2 = s.search(None, "SUBJECT", "dots")
    R.check(typ == "OK" and len(data[0].split()) == 1 and
            len(data2[0].split()) == 1, "SEARCH BODY / SUBJECT",
            "%r %r" % (data, data2))
    uv = [x.untagged_responses.get("UIDVALIDITY") for x in (c, s)]
    R.check(uv[0] == uv[1] and uv[0], "UIDVALIDITY same on both", uv)


def main():
    """Send, read three ways, compare."""
    inst = ii.tls_instance("imap-py")
    try:
        inst.add_user(USER, PW)
        inst.start()
        sent = sent_messages()
        for m in sent:
            qid, why = inst.submit("s@example.org", [USER], m,
                                   mail_options=["BODY=8BITMIME"])
            if not qid:
                R.bad("SMTP submit", why)
        got = inst.wait_messages(USER, len(sent), timeout=30)
        R.check(len(got) == len(sent), "all messages delivered",
                len(got))
        c, s = tls_cases(inst)
        identity(inst, c, s, sent)
        append_to_pop(inst, c)
        flags_cases(c, s)
        c.logout()
        s.logout()
    finally:
        inst.cleanup()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, never hang the suite
        R.bad("script", "%s: %s" % (type(e).__name__, e))
    sys.exit(R.exit_code())
