#!/usr/bin/env python3
"""imap_getmail.py - getmail6 over IMAPS, with --idle, against
petrel-imapd.

One private instance.  Mail arrives by SMTP; getmail retrieves it into a
local Maildir (SimpleIMAPSSLRetriever, its oldmail file remembering what
it has seen by UIDVALIDITY/UID).
Cases:
  - a first run retrieves every message byte-identical to what was sent
    (after the trace headers), leaving them on the server;
  - a second run retrieves nothing (no duplicates: UIDs and UIDVALIDITY
    stable between sessions);
  - getmail --idle=INBOX, after retrieving, waits in IDLE; a message sent
    by SMTP meanwhile is retrieved within seconds, byte-identical;
  - a run with delete = true retrieves the one new message and removes
    every message on the server (getmail deletes what it has seen too).
Prints "PASS: interop/imap_getmail: <case>" / "FAIL: ..."; exit 1 on
failure.
"""
import os
import pwd
import shutil
import signal
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import petrel_inst  # noqa: E402
import imap_interop as ii  # noqa: E402

R = petrel_inst.Reporter("interop/imap_getmail")
USER, PW = "gm@example.test", "gm pw 2"


def msg(i, extra=b""):
    """A CRLF message as sent by SMTP."""
    m = ii.message(i, "gm", ("Grüße %d\n.dot\n" % i).encode() + extra)
    return m.replace(b"\n", b"\r\n")


def rcfile(inst, gdir, dest, delete):
    """The getmailrc."""
    path = os.path.join(gdir, "getmailrc")
    with open(path, "w") as f:
        f.write("""[retriever]
type = SimpleIMAPSSLRetriever
server = 127.0.0.1
port = %d
username = %s
password = %s
mailboxes = ("INBOX",)
record_mailbox = false

[destination]
type = Maildir
path = %s/
user = nobody

[options]
read_all = false
delete = %s
delivered_to = false
received = false
verbose = 2
""" % (inst.imaps_port, USER, PW, dest, "true" if delete else "false"))
    return path


def got_mail(dest):
    """{message-id: CRLF bytes} of the local maildir."""
    out = {}
    for sub in ("new", "cur"):
        for n in os.listdir(os.path.join(dest, sub)):
            with open(os.path.join(dest, sub, n), "rb") as f:
                data = f.read().replace(b"\r\n", b"\n").replace(
                    b"\n", b"\r\n")
            data = petrel_inst.strip_added(data)
            m = ii.MSGID_RE.search(data)
            key = m.group(1).decode() if m else n
            while key in out:
                key += "#dup"
            out[key] = data
    return out


def getmail(gdir, extra=()):
    """One getmail run; (rc, output)."""
    return ii.run(["/usr/bin/getmail", "--getmaildir", gdir,
                   "--rcfile", "getmailrc"] + list(extra), timeout=60)


def idle_case(inst, gdir, dest, sent):
    """getmail --idle picks up mail sent while it waits."""
    new = msg(50, b"sent during IDLE\n")
    got, trace = ii.idle_client(
        inst, ["/usr/bin/getmail", "--getmaildir", gdir, "--rcfile",
               "getmailrc", "--idle=INBOX", "--trace"],
        os.path.join(gdir, "idle.log"), r"Entering IDLE mode", USER, new,
        lambda: got_mail(dest), "50.gm@interop.test", stop=signal.SIGINT)
    R.check(got == new and "Entering IDLE mode" in trace,
            "getmail --idle retrieves mail sent during IDLE, byte-identical",
            trace.strip()[-300:])
    sent.append(new)


def inbox_count(inst):
    """Messages in INBOX on the server."""
    c = ii.login(inst, USER, PW, tls="imaps")
    typ, data = c.select("INBOX", readonly=True)
    c.logout()
    return int(data[0])


def main():
    """Send, retrieve, retrieve again, IDLE, delete."""
    inst = ii.tls_instance("imap-gm")
    tmp = tempfile.mkdtemp(prefix="petrel-gm.")
    dest = os.path.join(tmp, "Maildir")
    # getmail refuses to deliver as root: its destination user is nobody
    nob = pwd.getpwnam("nobody")
    os.chmod(tmp, 0o755)
    for s in ("", "cur", "new", "tmp"):
        os.mkdir(os.path.join(dest, s))
        os.chown(os.path.join(dest, s), nob.pw_uid, nob.pw_gid)
    try:
        inst.add_user(USER, PW)
        inst.start()
        sent = [msg(i) for i in range(5)]
        for m in sent:
            inst.submit("s@example.org", [USER], m,
                        mail_options=["BODY=8BITMIME"])
        inst.wait_messages(USER, len(sent), timeout=30)
        rcfile(inst, tmp, dest, delete=False)
        rc, out = getmail(tmp)
        want = {ii.MSGID_RE.search(m).group(1).decode(): m for m in sent}
        R.check(rc == 0 and got_mail(dest) == want and inbox_count(inst) == 5,
                "first run: every message byte-identical, kept on server",
                "exit %d, %d got: %s" % (rc, len(got_mail(dest)),
                                         out.strip()[-300:]))
        rc, out = getmail(tmp)
        R.check(rc == 0 and got_mail(dest) == want,
                "second run retrieves nothing (no duplicates)",
                "exit %d, %d: %s" % (rc, len(got_mail(dest)),
                                     out.strip()[-200:]))
        idle_case(inst, tmp, dest, sent)
        last = msg(60)
        inst.submit("s@example.org", [USER], last)
        inst.wait_messages(USER, 7, timeout=30)
        rcfile(inst, tmp, dest, delete=True)
        rc, out = getmail(tmp)
        R.check(rc == 0 and inbox_count(inst) == 0 and len(got_mail(dest)) == 7
                and got_mail(dest).get("60.gm@interop.test") == last,
                "delete = true: the new message retrieved, all removed on "
                "the server, no duplicates locally", "exit %d %d local: %s"
                % (rc, len(got_mail(dest)), out.strip()[-200:]))
    finally:
        inst.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, never hang the suite
        R.bad("script", "%s: %s" % (type(e).__name__, e))
    sys.exit(R.exit_code())
