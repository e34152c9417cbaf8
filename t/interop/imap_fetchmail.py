#!/usr/bin/env python3
"""imap_fetchmail.py - fetchmail over IMAP (IMAPS and STARTTLS) with IDLE
against petrel-imapd.

One private instance.  Mail arrives by SMTP; fetchmail hands each message
to an MDA that stores it in a directory.
Cases:
  - a one-shot fetch over IMAPS with "keep": every message arrives
    byte-identical to what was sent (after the trace headers), and the
    server marks them \\Seen and keeps them;
  - a second one-shot fetch fetches nothing (all seen);
  - fetchmail --idle over STARTTLS waits in IDLE; a message sent by SMTP
    while it waits is delivered to the MDA within seconds, byte-identical;
  - a one-shot "fetchall, no keep" run empties the INBOX on the server.
Prints "PASS: interop/imap_fetchmail: <case>" / "FAIL: ..."; exit 1 on
failure.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import petrel_inst  # noqa: E402
import imap_interop as ii  # noqa: E402

R = petrel_inst.Reporter("interop/imap_fetchmail")
USER, PW = "fm@example.test", "fm pw 7"


def msg(i, extra=b""):
    """A CRLF message as sent by SMTP."""
    m = ii.message(i, "fm", ("Grüße %d\n.dot\n" % i).encode() + extra)
    return m.replace(b"\n", b"\r\n")


def rcfile(tmp, out, port, name, tls, opts):
    """A fetchmailrc (mode 0600, as fetchmail insists); tls "imaps"
    (implicit TLS) or "starttls"."""
    path = os.path.join(tmp, "rc-%s" % name)
    tls = "ssl" if tls == "imaps" else "sslproto TLS1.2+"
    with open(path, "w") as f:
        f.write('set no syslog\npoll 127.0.0.1 service %d protocol IMAP\n'
                '  user "%s" there with password "%s" is root here\n'
                '  %s no sslcertck %s\n'
                "  mda \"/bin/sh -c 'cat > %s/m.$$$$'\"\n" % (
                    port, USER, PW, tls, opts, out))
    os.chmod(path, 0o600)
    return path


def received(out):
    """{message-id: bytes with CRLF line ends, trace headers stripped}."""
    got = {}
    for n in sorted(os.listdir(out)):
        with open(os.path.join(out, n), "rb") as f:
            data = f.read()
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        data = petrel_inst.strip_added(data)
        m = ii.MSGID_RE.search(data)
        got[m.group(1).decode() if m else n] = data
    return got


def fetch(rc, tmp):
    """One fetchmail run; (rc, output).  Exit 1 means "no mail"."""
    env = dict(os.environ, HOME=tmp, FETCHMAILHOME=tmp)
    return ii.run(["fetchmail", "-f", rc, "-v"], timeout=60, env=env)


def server_inbox(inst):
    """{message-id: flags} of INBOX on the server."""
    c = ii.login(inst, USER, PW, tls=None)
    s = ii.snapshot(c, ["INBOX"])["INBOX"]["msgs"]
    c.logout()
    return {k: f for k, (_u, f) in s.items()}


def idle_case(inst, tmp, out, sent):
    """fetchmail --idle over STARTTLS picks up mail sent meanwhile."""
    rc = rcfile(tmp, out, inst.imap_port, "idle", "starttls",
                "keep idle")
    env = dict(os.environ, HOME=tmp, FETCHMAILHOME=tmp)
    new = msg(50, b"sent during IDLE\n")
    got, trace = ii.idle_client(
        inst, ["fetchmail", "-f", rc, "-v", "-N", "-d", "300"],
        os.path.join(tmp, "idle.log"), r"IMAP< \+ idling", USER, new,
        lambda: received(out), "50.fm@interop.test", env=env)
    R.check(got == new and "IDLE" in trace,
            "fetchmail --idle (STARTTLS) delivers mail sent during "
            "IDLE, byte-identical", trace.strip()[-300:])
    sent.append(new)


def main():
    """Send, fetch (keep), fetch again, IDLE, fetch (no keep)."""
    inst = ii.tls_instance("imap-fm")
    tmp = tempfile.mkdtemp(prefix="petrel-fm.")
    out = os.path.join(tmp, "out")
    os.mkdir(out)
    try:
        inst.add_user(USER, PW)
        inst.start()
        sent = [msg(i) for i in range(5)]
        for m in sent:
            inst.submit("s@example.org", [USER], m,
                        mail_options=["BODY=8BITMIME"])
        inst.wait_messages(USER, len(sent), timeout=30)
        rc1 = rcfile(tmp, out, inst.imaps_port, "keep", "imaps", "keep")
        code, text = fetch(rc1, tmp)
        got = received(out)
        want = {ii.MSGID_RE.search(m).group(1).decode(): m for m in sent}
        R.check(code == 0 and got == want, "IMAPS one-shot fetch (keep): "
                "all messages byte-identical",
                "exit %d, %d of %d: %s" % (code, len(got), len(want),
                                           text.strip()[-200:]))
        srv = server_inbox(inst)
        R.check(len(srv) == 5 and all("\\Seen" in f for f in srv.values()),
                "keep: messages stay on the server, marked \\Seen", srv)
        code, text = fetch(rc1, tmp)
        R.check(code == 1 and len(os.listdir(out)) == 5,
                "second fetch finds no new mail", "exit %d" % code)
        idle_case(inst, tmp, out, sent)
        rc2 = rcfile(tmp, out, inst.imaps_port, "flush", "imaps",
                     "fetchall no keep")
        code, text = fetch(rc2, tmp)
        R.check(code == 0 and server_inbox(inst) == {},
                "fetchall, no keep: INBOX emptied on the server",
                "exit %d %s" % (code, text.strip()[-200:]))
    finally:
        inst.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, never hang the suite
        R.bad("script", "%s: %s" % (type(e).__name__, e))
    sys.exit(R.exit_code())
