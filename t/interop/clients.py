"""clients.py - interop with real clients: swaks and Python smtplib send,
Python poplib and fetchmail retrieve; each retrieved message must equal the
sent one byte for byte once the headers added on the way (Return-Path,
Delivered-To, Received) are removed from the top.

Runs a private instance (t/lib/petrel_inst.py); needs swaks and fetchmail.
"""
import os
import poplib
import shutil
import smtplib
import subprocess
import sys

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import Instance, Reporter, strip_added  # noqa: E402

SUITE = "interop-clients"
R = Reporter(SUITE)


def make_message(tag):
    """A message with the awkward parts: folding, leading dots, 8-bit text,
    trailing blanks, an empty line at the end, a long line."""
    lines = [
        b"From: Sender <sender@remote.example>",
        b"To: someone@example.test",
        b"Subject: interop " + tag.encode() + b" with a folded",
        b"\tcontinuation line",
        b"Message-ID: <" + tag.encode() + b"@remote.example>",
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: 8bit",
        b"",
        b"first line",
        b".leading dot",
        b"..two leading dots",
        b".",
        b"caf\xc3\xa9 \xe2\x82\xac 8-bit",
        b"trailing blanks   \t",
        b"x" * 900,
        b"From the start of a line",
        b"",
        b"last line",
    ]
    return b"\r\n".join(lines) + b"\r\n"


def dot_stuff(msg):
    """SMTP transparency for a CRLF message (RFC 5321 4.5.2)."""
    out = []
    for line in msg.split(b"\r\n")[:-1]:
        out.append(b"." + line if line.startswith(b".") else line)
    return b"\r\n".join(out) + b"\r\n"


def first_diff(a, b):
    """A short description of where two byte strings differ."""
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "differ at %d: %r vs %r" % (i, a[max(0, i - 20):i + 20],
                                              b[max(0, i - 20):i + 20])
    return "lengths %d vs %d" % (len(a), len(b))


def send_smtplib(inst, to, msg):
    """Send with smtplib; True when the server said 250."""
    try:
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20) as s:
            s.ehlo("client.example.test")
            s.sendmail("sender@remote.example", [to], msg,
                       mail_options=["BODY=8BITMIME"])
        return True, ""
    except (smtplib.SMTPException, OSError) as e:
        return False, repr(e)


def send_swaks(inst, to, msg, work):
    """Send with swaks (no data fix-up: it sends our bytes as they are)."""
    path = os.path.join(work, "swaks.data")
    with open(path, "wb") as f:
        f.write(dot_stuff(msg) + b".\r\n")
    cmd = ["swaks", "--server", "127.0.0.1", "--port", str(inst.smtp_port),
           "--ehlo", "client.example.test", "--from", "sender@remote.example",
           "--to", to, "--data", "@" + path, "--no-data-fixup",
           "--timeout", "20"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    out = p.stdout.decode("utf-8", "replace")
    return p.returncode == 0 and "queued as" in out, out[-400:]


def retr_poplib(inst, user, pw):
    """Every message of a mailbox through poplib (CRLF joined)."""
    p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
    try:
        p.user(user)
        p.pass_(pw)
        count, _size = p.stat()
        out = []
        for i in range(1, count + 1):
            _resp, lines, _octets = p.retr(i)
            out.append(b"\r\n".join(lines) + b"\r\n")
        p.quit()
    finally:
        p.close()
    return out


def retr_fetchmail(inst, user, pw, work):
    """Every message through fetchmail and an MDA writing one file."""
    out = os.path.join(work, "fetched")
    rc = os.path.join(work, "fetchmailrc")
    with open(rc, "w") as f:
        f.write('set no syslog\nset no bouncemail\n'
                'poll 127.0.0.1 with proto POP3 port %d auth password\n'
                '  user "%s" there with password "%s" is root here\n'
                '  options keep norewrite sslproto \'\' '
                'mda "cat > %s.$$"\n' % (inst.pop3_port, user, pw, out))
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=work, FETCHMAILHOME=work)
    p = subprocess.run(["fetchmail", "-f", rc, "--nodetach", "-v"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60, env=env)
    log = p.stdout.decode("utf-8", "replace")
    msgs = []
    for name in sorted(os.listdir(work)):
        if name.startswith("fetched."):
            with open(os.path.join(work, name), "rb") as f:
                msgs.append(f.read())
    return msgs, "exit %d: %s" % (p.returncode, log[-400:])


def compare(case, got_list, sent, crlf=True):
    """PASS when exactly one retrieved message equals the sent one."""
    want = sent if crlf else sent.replace(b"\r\n", b"\n")
    if len(got_list) != 1:
        R.bad(case, "%d messages retrieved" % len(got_list))
        return
    got = strip_added(got_list[0])
    R.check(got == want, case, first_diff(got, want))


def main():
    """Run the interop cases on one instance."""
    inst = Instance(name="interop")
    work = None
    try:
        inst.create()
        inst.add_user("carol@example.test", "carolpw")
        inst.add_user("dave@example.test", "davepw")
        inst.start()
        work = inst.dir + "/work"
        os.mkdir(work)

        m1 = make_message("smtplib")
        ok, why = send_smtplib(inst, "carol@example.test", m1)
        R.check(ok, "rfc5321 smtplib sends, 250", why)
        m2 = make_message("swaks")
        ok, why = send_swaks(inst, "dave@example.test", m2, work)
        R.check(ok, "rfc5321 swaks sends, 250 queued as", why)
        inst.wait_messages("carol@example.test", 1, 20)
        inst.wait_messages("dave@example.test", 1, 20)

        try:
            compare("rfc1939 poplib retrieves the smtplib message byte for byte",
                    retr_poplib(inst, "carol@example.test", "carolpw"), m1)
        except (poplib.error_proto, OSError) as e:
            R.bad("rfc1939 poplib retrieves the smtplib message byte for byte",
                  repr(e))
        try:
            compare("rfc1939 poplib retrieves the swaks message byte for byte",
                    retr_poplib(inst, "dave@example.test", "davepw"), m2)
        except (poplib.error_proto, OSError) as e:
            R.bad("rfc1939 poplib retrieves the swaks message byte for byte",
                  repr(e))
        if shutil.which("fetchmail"):
            msgs, log = retr_fetchmail(inst, "dave@example.test", "davepw", work)
            if not msgs:
                R.bad("rfc1939 fetchmail retrieves the swaks message byte for "
                      "byte", "nothing retrieved: " + log)
            else:
                compare("rfc1939 fetchmail retrieves the swaks message byte "
                        "for byte", msgs, m2, crlf=False)
        else:
            R.bad("rfc1939 fetchmail retrieves", "fetchmail not installed")
    except Exception as e:  # any setup failure is a FAIL, never a hang
        R.bad("setup", repr(e))
    finally:
        inst.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
