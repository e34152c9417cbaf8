#!/usr/bin/env python3
"""imap_imapfilter.py - imapfilter (a Lua batch client) against
petrel-imapd over IMAPS.

One private instance; INBOX holds 40 messages: 10 "invoice" mails from
billing@shop.example, 8 from spam@junk.example, 4 large ones (over 20 kB)
and plain ones.  An imapfilter script creates a folder, moves the
invoices there, flags and then deletes (expunges) the spam, marks the
large ones \\Seen, adds a keyword, and prints counts it found.
Cases:
  - the script runs without errors (certificate accepted for the run);
  - the counts imapfilter printed (SEARCH results) are right;
  - the server shows what a user expects: Invoices holds the 10 invoices,
    INBOX neither invoices nor spam, the large ones \\Seen, the keyword
    set, no duplicates, UIDVALIDITY of INBOX unchanged;
  - a second run finds nothing to move and changes nothing.
Prints "PASS: interop/imap_imapfilter: <case>" / "FAIL: ..."; exit 1 on
failure.
"""
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import petrel_inst  # noqa: E402
import imap_interop as ii  # noqa: E402

R = petrel_inst.Reporter("interop/imap_imapfilter")
USER, PW = "if@example.test", "if pw 5"

LUA = """
options.timeout = 30
options.create = true
options.expunge = true
options.info = false
options.hostnames = false
acc = IMAP {
    server = '127.0.0.1',
    port = %d,
    username = '%s',
    password = '%s',
    ssl = 'auto',
}
inbox = acc.INBOX
inv = inbox:contain_from('billing@shop.example') *
      inbox:contain_subject('invoice')
print('INVOICES ' .. #inv)
inv:move_messages(acc['Invoices'])
spam = inbox:contain_from('spam@junk.example')
print('SPAM ' .. #spam)
spam:mark_flagged()
spam:delete_messages()
big = inbox:is_larger(20000)
print('BIG ' .. #big)
big:mark_seen()
big:add_flags({'$Big'})
all = inbox:select_all()
print('LEFT ' .. #all)
"""


def messages():
    """The 40 test messages."""
    out = []
    for i in range(10):
        out.append(b"From: Billing <billing@shop.example>\nSubject: Your "
                   b"invoice %d\nMessage-ID: <inv%d@if.test>\n\nPay.\n"
                   % (i, i))
    for i in range(8):
        out.append(b"From: spam@junk.example\nSubject: win %d\n"
                   b"Message-ID: <spam%d@if.test>\n\nBuy.\n" % (i, i))
    for i in range(4):
        out.append(b"From: big@example.org\nSubject: big %d\nMessage-ID: "
                   b"<big%d@if.test>\n\n" % (i, i) +
                   (b"z" * 80 + b"\n") * 300)
    for i in range(18):
        out.append(b"From: friend@example.org\nSubject: hello %d\n"
                   b"Message-ID: <plain%d@if.test>\n\nHi.\n" % (i, i))
    return out


def run_filter(lua, home, inst):
    """Run imapfilter on the script; (rc, output).  The server's
    self-signed certificate is put in imapfilter's store of accepted
    certificates ($HOME/.imapfilter/certificates), as answering its
    prompt with "p" would."""
    d = os.path.join(home, ".imapfilter")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(inst.dir, "conf", "imapd-cert.pem"), "rb") as f:
        pem = f.read()
    with open(os.path.join(d, "certificates"), "wb") as f:
        f.write(pem)
    env = dict(os.environ, HOME=home)
    return ii.run(["imapfilter", "-c", lua], timeout=60, env=env,
                  stdin=b"t\n" * 4)


def counts(out):
    """{name: n} from the script's printed lines."""
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^(INVOICES|SPAM|BIG|LEFT) (\d+)$", out,
                                 re.M)}


def server_state(inst):
    """Snapshot of INBOX and Invoices."""
    c = ii.login(inst, USER, PW, tls="imaps")
    s = ii.snapshot(c, ["INBOX", "Invoices"])
    c.logout()
    return s


def check_first(out, rc, s, uv0):
    """Checks after the first run."""
    R.check(rc == 0 and "error" not in out.lower(), "imapfilter ran",
            "exit %d: %s" % (rc, out.strip()[-300:]))
    R.check(counts(out) == {"INVOICES": 10, "SPAM": 8, "BIG": 4,
                            "LEFT": 22},
            "search results imapfilter printed", counts(out))
    inbox, invs = s["INBOX"]["msgs"], (s.get("Invoices") or {}).get(
        "msgs", {})
    R.check(sorted(invs) == sorted("inv%d@if.test" % i for i in range(10)),
            "Invoices holds exactly the 10 invoices", sorted(invs))
    R.check(not [k for k in inbox if k.startswith(("inv", "spam"))] and
            len(inbox) == 22, "INBOX holds neither invoices nor spam",
            sorted(inbox))
    big = [inbox.get("big%d@if.test" % i, (0, frozenset()))[1]
           for i in range(4)]
    R.check(all("\\Seen" in f and "$Big" in f for f in big) and not any(
        "\\Seen" in inbox[k][1] for k in inbox if k.startswith("plain")),
            "large ones \\Seen and $Big, others untouched", big)
    R.check(s["INBOX"]["dups"] == 0 and s["INBOX"]["uidvalidity"] == uv0,
            "no duplicates, UIDVALIDITY unchanged")


def main():
    """Fill, filter twice, check."""
    inst = ii.tls_instance("imap-if")
    tmp = tempfile.mkdtemp(prefix="petrel-if.")
    try:
        inst.add_user(USER, PW)
        ii.fill(inst, USER, messages())
        inst.start()
        uv0 = server_state(inst)["INBOX"]["uidvalidity"]
        lua = os.path.join(tmp, "config.lua")
        with open(lua, "w") as f:
            f.write(LUA % (inst.imaps_port, USER, PW))
        rc, out = run_filter(lua, tmp, inst)
        s1 = server_state(inst)
        check_first(out, rc, s1, uv0)
        rc, out = run_filter(lua, tmp, inst)
        s2 = server_state(inst)
        R.check(rc == 0 and counts(out) == {"INVOICES": 0, "SPAM": 0,
                                            "BIG": 4, "LEFT": 22}
                and s2 == s1, "second run finds nothing new to do",
                "%s %s" % (counts(out), s2 == s1))
    finally:
        inst.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, never hang the suite
        R.bad("script", "%s: %s" % (type(e).__name__, e))
    sys.exit(R.exit_code())
