"""smtpd_ext.py - petrel-smtpd's remaining ESMTP extensions end to end,
through the queue to the mailboxes (Python's smtplib and raw sockets):
  - DSN (RFC 3461) via SMTP: RET=HDRS, ENVID and a recipient with
    NOTIFY=FAILURE ORCPT=rfc822;... that the queue fails (transport_maps
    "error:"): the bounce (parsed with the email package) names the
    Original-Envelope-Id and Original-Recipient and returns headers only;
    NOTIFY=SUCCESS to a local user gives a "delivered" report;
  - SMTPUTF8 (RFC 6531): a UTF-8 sender and a UTF-8 virtual alias are
    accepted and delivered with SMTPUTF8, refused (553 5.6.7) without;
  - CHUNKING (RFC 3030): a message in three pipelined BDAT chunks (CRLF
    split across chunks) arrives intact with LF line ends;
  - ETRN (RFC 1985): mail deferred by a peer (450 at RCPT) is delivered at
    once after "ETRN <domain>" (queue_run_delay and backoff are long).
"""
import json
import os
import shutil
import smtplib
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import petrel_inst  # noqa: E402
from petrel_inst import dsn_status_groups as status_groups  # noqa: E402
from peer_smtp import Peer  # noqa: E402

R = petrel_inst.Reporter("smtpd-ext")
BODY = (b"Subject: ext test\r\nMessage-ID: <ext1@example.test>\r\n\r\n"
        b"secret body line\r\n")




def smtp(inst):
    """An smtplib session after EHLO."""
    s = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20)
    s.ehlo("client.example.test")
    return s


def test_dsn_failure(inst):
    """RET=HDRS ENVID NOTIFY=FAILURE ORCPT -> a headers-only bounce."""
    s = smtp(inst)
    R.check(s.has_extn("dsn"), "rfc3461-4 EHLO lists DSN", s.esmtp_features)
    code, msg = s.mail("alice@example.test", ["RET=HDRS", "ENVID=QQ+2B42"])
    R.check(code == 250, "rfc3461-4.3 MAIL RET= ENVID= accepted", msg)
    code, msg = s.rcpt("x@gone.test", ["NOTIFY=FAILURE",
                                       "ORCPT=rfc822;Orig+2Bx@gone.test"])
    R.check(code == 250, "rfc3461-4.1 RCPT NOTIFY= ORCPT= accepted", msg)
    code, msg = s.data(BODY)
    R.check(code == 250, "DSN message queued", msg)
    s.quit()
    got = inst.wait_reports("alice@example.test", 1)
    if not R.check(len(got) == 1, "rfc3461 failure report to the sender",
                   "%d reports" % len(got)):
        return
    per_msg, rcpts = status_groups(got[0])
    R.check(per_msg.get("Original-Envelope-Id", "").strip() == "QQ+42",
            "rfc3464-2.2.1 ENVID via SMTP becomes Original-Envelope-Id",
            repr(per_msg))
    R.check(rcpts and rcpts[0].get("Original-Recipient", "").replace(" ", "")
            == "rfc822;Orig+x@gone.test",
            "rfc3464-2.3.1 ORCPT via SMTP becomes Original-Recipient",
            repr(rcpts))
    types = [p.get_content_type() for p in got[0].iter_parts()]
    R.check("text/rfc822-headers" in types and
            b"secret body line" not in got[0].as_bytes(),
            "rfc3461-4.3 RET=HDRS via SMTP: headers only", repr(types))


def test_dsn_success(inst):
    """NOTIFY=SUCCESS to a local user -> a 'delivered' report."""
    s = smtp(inst)
    s.mail("carol@example.test")
    code, msg = s.rcpt("bob@example.test", ["NOTIFY=SUCCESS,FAILURE"])
    R.check(code == 250, "NOTIFY=SUCCESS,FAILURE accepted", msg)
    s.data(BODY)
    s.quit()
    got = inst.wait_reports("carol@example.test", 1)
    if R.check(len(got) == 1, "rfc3461-5.2.2 NOTIFY=SUCCESS via SMTP: report",
               "%d reports" % len(got)):
        _, rcpts = status_groups(got[0])
        R.check(rcpts and rcpts[0].get("Action") == "delivered",
                "NOTIFY=SUCCESS via SMTP: Action: delivered", repr(rcpts))


def test_utf8(inst):
    """UTF-8 addresses with and without SMTPUTF8."""
    user = "用户@example.test"
    s = smtp(inst)
    R.check(s.has_extn("smtputf8"), "rfc6531-3.1 EHLO lists SMTPUTF8", "")
    s.command_encoding = "utf-8"  # send UTF-8 even without SMTPUTF8
    code, msg = s.mail("发件人@example.test")
    R.check(code == 553 and b"5.6.7" in msg,
            "rfc6531-3.5 UTF-8 sender without SMTPUTF8: 553 5.6.7",
            "%d %r" % (code, msg))
    s.rset()
    code, msg = s.mail("alice@example.test")
    s.command_encoding = "utf-8"  # mail() reset it
    code, msg = s.rcpt(user)
    R.check(code == 553, "rfc6531-3.5 UTF-8 recipient without SMTPUTF8: 553",
            "%d %r" % (code, msg))
    s.rset()
    code, msg = s.mail("发件人@example.test", ["SMTPUTF8"])
    R.check(code == 250, "rfc6531-3.4 UTF-8 sender with SMTPUTF8: 250", msg)
    code, msg = s.rcpt(user)
    R.check(code == 250, "rfc6531-3.4 UTF-8 recipient with SMTPUTF8: 250", msg)
    code, msg = s.data("Subject: utf8\r\n\r\nhello\r\n".encode())
    R.check(code == 250, "SMTPUTF8 message queued", msg)
    s.quit()
    n = len(inst.wait_messages("erin@example.test", 1, 20))
    R.check(n == 1, "SMTPUTF8 message delivered through a UTF-8 alias",
            "%r" % n)
    msgs = inst.messages("erin@example.test")
    R.check(msgs and "发件人@example.test".encode() in msgs[0],
            "UTF-8 Return-Path kept", repr(msgs[:1])[:200])
    R.check(msgs and b"with UTF8SMTP" in msgs[0],
            "rfc6531-3.7.3 Received: says with UTF8SMTP", repr(msgs[:1])[:300])


def raw_session(inst):
    """A socket after the greeting and EHLO; (sock, file)."""
    sk = socket.create_connection(("127.0.0.1", inst.smtp_port), timeout=20)
    f = sk.makefile("rb")
    f.readline()
    sk.sendall(b"EHLO client.example.test\r\n")
    while True:
        line = f.readline()
        if not line or line[3:4] == b" ":
            break
    return sk, f


def test_utf8_malformed(inst):
    """Malformed UTF-8 in an address is a syntax error even with SMTPUTF8."""
    sk, f = raw_session(inst)
    sk.sendall(b"MAIL FROM:<a\xff\xfe@example.test> SMTPUTF8\r\n"
               b"MAIL FROM:<\xc0\xafx@example.test> SMTPUTF8\r\n"
               b"MAIL FROM:<x@\xed\xa0\x80.test> SMTPUTF8\r\nQUIT\r\n")
    replies = [f.readline() for _ in range(3)]
    sk.close()
    R.check(all(r.startswith(b"501 5.1.7") for r in replies),
            "rfc6531-3.3 malformed/overlong/surrogate UTF-8 refused 501",
            repr(replies))


def test_bdat(inst):
    """Three pipelined BDAT chunks, a CRLF split between two of them."""
    c1 = b"Subject: bdat\r\n\r\nline one\r"
    c2 = b"\nline two\r\n"
    c3 = b"last line\r\n"
    sk, f = raw_session(inst)
    sk.sendall(b"MAIL FROM:<alice@example.test>\r\nRCPT TO:<dave@example.test>"
               b"\r\nBDAT %d\r\n%sBDAT %d\r\n%sBDAT %d LAST\r\n%sQUIT\r\n"
               % (len(c1), c1, len(c2), c2, len(c3), c3))
    replies = [f.readline() for _ in range(6)]
    sk.close()
    R.check(replies[2].startswith(b"250 2.0.0") and
            replies[3].startswith(b"250 2.0.0") and
            b"queued as" in replies[4],
            "rfc3030-2 pipelined BDAT chunks: 250 each, LAST queues",
            repr(replies))
    n = len(inst.wait_messages("dave@example.test", 1, 20))
    msgs = inst.messages("dave@example.test")
    body = petrel_inst.strip_added(msgs[0]) if msgs else b""
    R.check(n == 1 and body == b"Subject: bdat\n\nline one\nline two\n"
            b"last line\n", "rfc3030-3 BDAT message delivered intact",
            repr(body))


def test_etrn(inst, peer):
    """A deferred message for etrn.test goes out at once after ETRN."""
    code, why = petrel_inst.submit(inst.smtp_port, "alice@example.test",
                                   ["u@etrn.test"], b"Subject: etrn\r\n\r\nx\r\n")
    R.check(code != "", "ETRN test message queued", why)
    ok = peer.wait_log(lambda es: any(e.get("rcpts_refused") for e in es), 20)
    R.check(ok, "the peer deferred the first attempt", repr(peer.log()))
    peer.set_rules({})
    time.sleep(1)
    s = smtp(inst)
    code, msg = s.docmd("ETRN", "etrn.test")
    R.check(code == 250 and b"Queuing started" in msg,
            "rfc1985-5 ETRN from mynetworks: 250 Queuing started",
            "%d %r" % (code, msg))
    s.quit()
    ok = peer.wait_log(lambda es: any(e.get("outcome") == "accepted"
                                      for e in es), 10)
    R.check(ok, "rfc1985-5 ETRN flushes the deferred message at once",
            repr(peer.log())[-300:])


def main():
    work = tempfile.mkdtemp(prefix="petrel-ext.", dir="/tmp")
    os.chmod(work, 0o755)
    port = petrel_inst.free_port()
    tmap = os.path.join(work, "transport")
    with open(tmap, "w") as f:
        f.write("gone.test error:5.1.1 user gone\n"
                "etrn.test smtp:[127.0.0.1]:%d\n" % port)
    peer = Peer(work, ["127.0.0.1:%d" % port], {"rcpt": {"*": "450 4.2.0 later"}})
    peer.start(10)
    valias = os.path.join(work, "valias")
    with open(valias, "w", encoding="utf-8") as f:
        f.write("用户@example.test erin@example.test\n")
    over = {"transport_maps": "texthash:" + tmap,
            "virtual_alias_maps": "texthash:" + valias,
            "queue_run_delay": "3600s", "minimal_backoff_time": "3600s",
            "maximal_backoff_time": "3600s"}
    try:
        with petrel_inst.Instance(over, name="ext") as inst:
            for u in ("alice", "bob", "carol", "dave", "erin"):
                inst.add_user("%s@example.test" % u, "pw")
            test_dsn_failure(inst)
            test_dsn_success(inst)
            test_utf8(inst)
            test_utf8_malformed(inst)
            test_bdat(inst)
            test_etrn(inst, peer)
    finally:
        peer.stop()
        shutil.rmtree(work, ignore_errors=True)
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
