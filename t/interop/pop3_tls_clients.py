#!/usr/bin/env python3
"""pop3_tls_clients.py - petrel-pop3d with TLS and real clients.

One private instance (t/lib/petrel_inst.py) with STLS on pop3d_listen,
implicit TLS on pop3d_pop3s_listen (a self-signed pair made by pop3d at its
first start) and plaintext logins refused (pop3d_plaintext_auth_networks
empty: loopback is not trusted).  The mailbox holds mixed messages: a
multipart MIME message, 8-bit text, lines starting with a dot (and a lone
"." line), a message without a final newline, and a 10 MB attachment.
Cases:
  - CAPA offers STLS; USER and AUTH PLAIN before TLS get -ERR [AUTH];
  - STLS with commands pipelined after it in the same packet: those bytes
    are discarded (the first reply after the handshake answers CAPA);
  - STLS twice, and STLS on the implicit-TLS port, refused;
  - poplib POP3_SSL and POP3.stls() + AUTH PLAIN retrieve everything
    byte-identical (LF in the maildir == CRLF lines joined by LF);
  - fetchmail over STLS (sslproto TLS1.2+) with keep, then pop3s with
    no-keep (mailbox empty afterwards); getmail6 over POP3-SSL into a
    maildir; each copy byte-identical.
Prints "PASS: interop/pop3tls: <case>" / "FAIL: ..."; exit 1 on failure.
"""
import os
import poplib
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import petrel_inst  # noqa: E402
from petrel_inst import tls_unverified as ctx  # noqa: E402

R = petrel_inst.Reporter("interop/pop3tls")
USER, PW = "carol@example.test", "c4rol pw"


def messages():
    """The mixed test mailbox: name suffix -> bytes (LF line ends)."""
    big = bytes((i * 7 + 13) % 256 for i in range(256)) * (10 * 1024 * 1024 * 3 // 4 // 256)
    import base64
    b64 = base64.encodebytes(big)
    mime = (b"From: a@example.test\nTo: carol@example.test\nSubject: mime\n"
            b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"XX\"\n\n"
            b"--XX\nContent-Type: text/plain; charset=utf-8\n\nhello\n.\n..two\n"
            b"--XX\nContent-Type: application/octet-stream\n"
            b"Content-Transfer-Encoding: base64\n\n" + b64 + b"--XX--\n")
    eight = ("From: b@example.test\nSubject: =?utf-8?q?8bit?=\n"
             "Content-Type: text/plain; charset=utf-8\n"
             "Content-Transfer-Encoding: 8bit\n\n"
             "Grüße aus Köln, ça va? ✓\n.dot line\n.\n...\nend\n").encode()
    dots = b"From: c@example.test\nSubject: dots\n\n.\n.a\n..b\nlast line no newline"
    small = b"From: d@example.test\nSubject: small\n\nx\n"
    return [eight, dots, small, mime]


def fill(inst, msgs):
    """Write the messages into carol's new/ as Petrel's writer would."""
    import pwd
    md = inst.setup_maildir(USER)
    vm = pwd.getpwnam("petrel-vmail")
    for i, m in enumerate(msgs):
        w = len(m) + m.count(b"\n") + (0 if m.endswith(b"\n") else 2)
        name = "17000000%02d.V801I%dM%06d.mail.example.test,S=%d,W=%d" % (
            i, i + 1, i, len(m), w)
        path = os.path.join(md, "new", name)
        with open(path, "wb") as f:
            f.write(m)
        os.chown(path, vm.pw_uid, vm.pw_gid)
    return md


def norm(m):
    """What a client gets back, in LF form: the message with a final LF."""
    return m if m.endswith(b"\n") else m + b"\n"


def raw_line(f):
    return f.readline()


def case_plaintext_refused(inst):
    s = socket.create_connection(("127.0.0.1", inst.pop3_port), timeout=20)
    f = s.makefile("rb")
    raw_line(f)
    s.sendall(b"CAPA\r\n")
    caps = []
    line = raw_line(f)
    while line and line != b".\r\n":
        caps.append(line.strip())
        line = raw_line(f)
    R.check(b"STLS" in caps, "rfc2595 CAPA offers STLS before TLS", caps)
    s.sendall(b"USER carol@example.test\r\n")
    r1 = raw_line(f)
    s.sendall(b"AUTH PLAIN AGNhcm9sQGV4YW1wbGUudGVzdABjNHJvbCBwdw==\r\n")
    r2 = raw_line(f)
    R.check(r1.startswith(b"-ERR [AUTH]") and r2.startswith(b"-ERR [AUTH]"),
            "plaintext USER and AUTH refused before TLS (loopback too)", (r1, r2))
    # STLS with a pipelined command in the same packet: must be discarded
    s.sendall(b"STLS\r\nUSER carol@example.test\r\n")
    r = raw_line(f)
    R.check(r.startswith(b"+OK"), "rfc2595-4 STLS +OK", r)
    ts = ctx().wrap_socket(s)
    tf = ts.makefile("rb")
    ts.sendall(b"CAPA\r\n")
    first = raw_line(tf)
    caps = []
    line = raw_line(tf)
    while line and line != b".\r\n":
        caps.append(line.strip())
        line = raw_line(tf)
    R.check(first.startswith(b"+OK Capability"),
            "rfc2595 bytes pipelined after STLS are discarded", first)
    R.check(b"STLS" not in caps and b"SASL PLAIN" in caps,
            "rfc2595 CAPA after TLS: no STLS, SASL PLAIN", caps)
    ts.sendall(b"STLS\r\n")
    r = raw_line(tf)
    R.check(r.startswith(b"-ERR"), "rfc2595 STLS twice -ERR", r)
    ts.sendall(b"QUIT\r\n")
    raw_line(tf)
    ts.close()


def retr_all(p):
    count, _ = p.stat()
    out = []
    for i in range(1, count + 1):
        _r, lines, _o = p.retr(i)
        out.append(b"\n".join(lines) + b"\n")
    return out


def case_poplib(inst, msgs):
    want = [norm(m) for m in msgs]
    p = poplib.POP3_SSL("127.0.0.1", inst.pop3s_port, context=ctx(), timeout=60)
    try:
        caps = p.capa()
        R.check("STLS" not in caps, "pop3s CAPA without STLS", caps)
        p.user(USER)
        p.pass_(PW)
        got = retr_all(p)
        R.check(got == want, "poplib POP3_SSL retrieves byte-identical",
                [len(g) for g in got] + [len(w) for w in want])
        uid1 = p.uidl()[1]
        p.quit()
    finally:
        p.close()
    p = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=60)
    try:
        p.stls(ctx())
        resp = p._shortcmd("AUTH PLAIN " + __import__("base64").b64encode(
            b"\0" + USER.encode() + b"\0" + PW.encode()).decode())
        R.check(resp.startswith(b"+OK"), "poplib stls() + AUTH PLAIN", resp)
        got = retr_all(p)
        R.check(got == want, "poplib stls() retrieves byte-identical",
                [len(g) for g in got])
        R.check(p.uidl()[1] == uid1, "UIDL equal across sessions and ports", "")
        p.quit()
    finally:
        p.close()


def fetchmail(inst, work, port, ssl_opt, keep):
    out = os.path.join(work, "fm")
    shutil.rmtree(out, ignore_errors=True)
    os.mkdir(out)
    rc = os.path.join(work, "fetchmailrc")
    with open(rc, "w") as f:
        f.write('set no syslog\nset no bouncemail\n'
                'poll 127.0.0.1 with proto POP3 port %d auth password\n'
                '  user "%s" there with password "%s" is root here\n'
                '  options %s fetchall %s no sslcertck norewrite '
                'mda "cat > %s/m.$$"\n' % (port, USER, PW, "keep" if keep else "nokeep",
                                          ssl_opt, out))
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=work, FETCHMAILHOME=work)
    p = subprocess.run(["fetchmail", "-f", rc, "--nodetach", "-v", "--invisible"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120, env=env)
    got = []
    for name in sorted(os.listdir(out), key=lambda n: os.stat(os.path.join(out, n)).st_mtime_ns):
        with open(os.path.join(out, name), "rb") as f:
            got.append(f.read())
    if os.environ.get("POP3TLS_DEBUG"):
        print(p.stdout.decode("utf-8", "replace"))
    return got, "exit %d: %s" % (p.returncode, p.stdout.decode("utf-8", "replace")[-600:])


def same_set(got, want):
    return sorted(got) == sorted(want)


def case_fetchmail_getmail(inst, msgs, md, work):
    want = [norm(m) for m in msgs]
    if not shutil.which("fetchmail"):
        R.bad("fetchmail", "fetchmail not installed")
        return
    got, log = fetchmail(inst, work, inst.pop3_port, "sslproto TLS1.2+", True)
    R.check(same_set(got, want), "fetchmail STLS (sslproto TLS1.2+) keep: byte-identical",
            "%d msgs; %s" % (len(got), log))
    R.check(len(os.listdir(os.path.join(md, "new"))) + len(os.listdir(os.path.join(md, "cur")))
            == len(msgs), "fetchmail keep leaves the mailbox", "")
    if shutil.which("getmail"):
        gd = os.path.join(work, "gm")
        dest = os.path.join(work, "gmdest")
        for d in (gd, dest, dest + "/new", dest + "/cur", dest + "/tmp"):
            os.makedirs(d, exist_ok=True)
        import pwd
        nob = pwd.getpwnam("nobody")
        for d in (dest, dest + "/new", dest + "/cur", dest + "/tmp"):
            os.chown(d, nob.pw_uid, nob.pw_gid)
        os.chmod(work, 0o755)
        with open(os.path.join(gd, "getmailrc"), "w") as f:
            f.write("[retriever]\ntype = SimplePOP3SSLRetriever\nserver = 127.0.0.1\n"
                    "port = %d\nusername = %s\npassword = %s\n\n"
                    "[destination]\ntype = Maildir\npath = %s/\nuser = nobody\n\n"
                    "[options]\ndelete = false\nread_all = true\nreceived = false\n"
                    "delivered_to = false\nmessage_log_syslog = false\n"
                    % (inst.pop3s_port, USER, PW, dest))
        p = subprocess.run(["getmail", "--getmaildir", gd, "--rcfile", "getmailrc"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        got = []
        for name in os.listdir(dest + "/new"):
            with open(os.path.join(dest, "new", name), "rb") as f:
                m = f.read()
            # getmail's Maildir destination always prepends Return-Path
            rp = b"Return-Path: <unknown>\n"
            got.append(m[len(rp):] if m.startswith(rp) else m)
        if os.environ.get("POP3TLS_DEBUG"):
            for g in got:
                print(repr(g[:300]))
        R.check(same_set(got, want), "getmail6 POP3-SSL retrieves byte-identical",
                "%d msgs; exit %d %s" % (len(got), p.returncode,
                                         p.stdout.decode("utf-8", "replace")[-400:]))
    else:
        R.bad("getmail6", "getmail not installed (apt-get install getmail6)")
    got, log = fetchmail(inst, work, inst.pop3s_port, "ssl", False)
    R.check(same_set(got, want), "fetchmail pop3s nokeep: byte-identical",
            "%d msgs; %s" % (len(got), log))
    left = os.listdir(os.path.join(md, "new")) + os.listdir(os.path.join(md, "cur"))
    R.check(left == [], "fetchmail nokeep deleted everything at QUIT", left)


def main():
    work = tempfile.mkdtemp(prefix="petrel-pop3tls.")
    inst = petrel_inst.Instance({
        "pop3d_pop3s_listen": "auto", "pop3d_tls_cert_file": "auto",
        "pop3d_tls_key_file": "auto", "pop3d_plaintext_auth_networks": "",
        "pop3d_auth_failure_delay": "0"}, name="pop3tls")
    try:
        inst.create()
        inst.add_user(USER, PW)
        msgs = messages()
        md = fill(inst, msgs)
        inst.start()
        deadline = time.time() + 10
        while time.time() < deadline and not inst._port_up(inst.pop3s_port):
            time.sleep(0.1)
        R.check(os.path.exists(os.path.join(inst.dir, "conf", "pop3d-cert.pem")),
                "self-signed certificate made at first start", "")
        case_plaintext_refused(inst)
        case_poplib(inst, msgs)
        case_fetchmail_getmail(inst, msgs, md, work)
    except Exception as e:  # noqa: BLE001 - any crash is a failure line
        R.bad("script", repr(e))
    finally:
        inst.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
