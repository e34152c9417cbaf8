#!/usr/bin/env python3
"""remote_8bit.py - 8-bit mail relayed to a peer SMTP server that does not
offer 8BITMIME (RFC 6152 section 3): petrel-smtp converts it to 7-bit MIME
(quoted-printable, RFC 2045) as Postfix does, or returns it 5.6.3 when it
cannot be converted or disable_mime_output_conversion = yes.

Cases, with real peers (t/lib/peer_smtp.py) on loopback reached through
transport_maps:
  a plain 8-bit message to the 7-bit peer: no BODY=8BITMIME, every byte of
  the transfer 7-bit, MIME-Version / Content-Type text/plain;
  charset=unknown-8bit / Content-Transfer-Encoding: quoted-printable added,
  the decoded body equal to the original, encoded lines of at most 76
  bytes, SIZE= equal to the converted size, and the maillog says so;
  a multipart message (8-bit text, 8-bit HTML, base64 attachment): the
  same tree arrives, each part decodes to its original, the attachment's
  base64 text byte for byte;
  the same 8-bit message to an 8BITMIME peer: BODY=8BITMIME, unchanged;
  a raw 8-bit Subject: cannot be made 7-bit: returned to the sender with
  5.6.3 naming the reason, nothing sent;
  disable_mime_output_conversion = yes (after reload): returned 5.6.3.
Prints PASS/FAIL lines (t/run.sh).  Runs as root; instances in /tmp.
"""
import base64
import email
import email.policy
import os
import re
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from peer_smtp import Peer, unstuff  # noqa: E402
from petrel_inst import (Instance, Reporter, dsn_status_groups,  # noqa: E402
                         free_port, strip_added)

R = Reporter("remote-8bit")
SENDER = "alice@example.test"
WAIT = 30

PLAIN = (b"From: Alice <alice@example.test>\r\nTo: bob@seven.test\r\n"
         b"Subject: plain 8-bit\r\n\r\n"
         b"Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln = sch\xc3\xb6n \r\n"
         b"." + "\u00e9".encode() * 60 + b"\r\nlast line\r\n")

ATTACHMENT = bytes(range(256)) * 3
MULTI = (b"From: Alice <alice@example.test>\r\nTo: carol@seven.test\r\n"
         b"Subject: multipart 8-bit\r\nMIME-Version: 1.0\r\n"
         b"Content-Type: multipart/mixed; boundary=\"=_b1\"\r\n\r\n"
         b"This is a MIME message.\r\n"
         b"--=_b1\r\n"
         b"Content-Type: multipart/alternative; boundary=alt\r\n\r\n"
         b"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n"
         b"Content-Transfer-Encoding: 8bit\r\n\r\n"
         b"na\xc3\xafve caf\xc3\xa9\r\n"
         b"--alt\r\nContent-Type: text/html; charset=utf-8\r\n"
         b"Content-Transfer-Encoding: 8bit\r\n\r\n"
         b"<p>na\xc3\xafve caf\xc3\xa9</p>\r\n"
         b"--alt--\r\n"
         b"--=_b1\r\nContent-Type: application/octet-stream\r\n"
         b"Content-Transfer-Encoding: base64\r\n"
         b"Content-Disposition: attachment; filename=blob.bin\r\n\r\n" +
         base64.encodebytes(ATTACHMENT).replace(b"\n", b"\r\n") +
         b"--=_b1--\r\n")

# a 300 KB header block (converted output that comes out at once, larger
# than the wire buffer) and over 1 MB of 8-bit text (its quoted-printable
# form, about 3 MB, is several times the queue chunks it comes from)
BIG = (b"From: Alice <alice@example.test>\r\nTo: gina@seven.test\r\n" +
       b"".join(b"X-Filler-%04d: " % i + b"f" * 140 + b"\r\n"
                for i in range(2000)) +
       b"Subject: big 8-bit\r\n\r\n" +
       b"".join(("%05d " % i).encode() + "\u00fc".encode() * 190 + b"\r\n"
                for i in range(3000)))

BAD_HEADER = (b"From: Alice <alice@example.test>\r\nTo: dave@seven.test\r\n"
              b"Subject: caf\xc3\xa9\r\n\r\nbody \xc3\xa9\r\n")


def data_of(entry):
    """The DATA bytes of a peer log entry, unstuffed, CRLF."""
    return unstuff(base64.b64decode(entry.get("data_b64") or ""))


def with_rcpt(peer, rcpt):
    return [e for e in peer.transactions("accepted")
            if "<%s>" % rcpt in e.get("rcpts", [])]


def wait_for(fn, secs=WAIT):
    """Call fn() until it is true (bounded); its last value."""
    deadline = time.time() + secs
    got = fn()
    while not got and time.time() < deadline:
        time.sleep(0.2)
        got = fn()
    return got


def body_of(raw):
    """The body after the header block (CRLF)."""
    return raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in raw else b""


def check_plain(peer7):
    tx = wait_for(lambda: with_rcpt(peer7, "bob@seven.test"))
    if not R.check(tx, "plain 8-bit message reaches the 7-bit peer",
                   "no transaction"):
        return
    e = tx[0]
    got = data_of(e)
    R.check("8BITMIME" not in (e["mail_params"] or "").upper(),
            "rfc6152 no BODY=8BITMIME to a peer without 8BITMIME",
            e["mail_params"])
    R.check(all(b < 0x80 for b in got), "every byte sent is 7-bit",
            "8-bit bytes in %r" % got[:200])
    head = got.split(b"\r\n\r\n", 1)[0]
    R.check(re.search(rb"(?mi)^MIME-Version: 1\.0\r?$", head) and
            re.search(rb"(?mi)^Content-Type: text/plain; "
                      rb"charset=unknown-8bit\r?$", head) and
            re.search(rb"(?mi)^Content-Transfer-Encoding: "
                      rb"quoted-printable\r?$", head),
            "rfc1428 MIME-Version, text/plain; charset=unknown-8bit and "
            "quoted-printable are added", head.decode("ascii", "replace"))
    msg = email.message_from_bytes(got, policy=email.policy.compat32)
    R.check(msg.get_payload(decode=True) == body_of(PLAIN),
            "rfc2045 the decoded body equals the original body",
            "decoded %r" % msg.get_payload(decode=True)[:120])
    R.check(strip_added(got).split(b"\r\n\r\n", 1)[0].startswith(
            PLAIN.split(b"\r\n\r\n", 1)[0]),
            "the original header lines are kept", head[:200])
    lines = body_of(got).split(b"\r\n")
    R.check(max(len(x) for x in lines) <= 76,
            "rfc2045 6.7 encoded lines are at most 76 bytes",
            "longest %d" % max(len(x) for x in lines))
    R.check(b"sch=C3=B6n=20\r\n" in got and b"=3D" in got,
            "rfc2045 6.7 trailing white space and '=' are encoded",
            "body %r" % body_of(got)[:200])
    size = re.search(r"(?i)\bSIZE=(\d+)", e["mail_params"] or "")
    R.check(size and int(size.group(1)) == len(got.replace(b"\r\n", b"\n")),
            "rfc1870 SIZE= is the size of the converted message",
            "SIZE %s, converted %d bytes" % (size and size.group(1),
                                             len(got.replace(b"\r\n",
                                                             b"\n"))))


def check_multi(peer7):
    tx = wait_for(lambda: with_rcpt(peer7, "carol@seven.test"))
    if not R.check(tx, "multipart 8-bit message reaches the 7-bit peer",
                   "no transaction"):
        return
    got = data_of(tx[0])
    R.check(all(b < 0x80 for b in got), "multipart: every byte sent is "
            "7-bit", "8-bit bytes")
    orig = email.message_from_bytes(MULTI, policy=email.policy.compat32)
    conv = email.message_from_bytes(got, policy=email.policy.compat32)
    shape = [p.get_content_type() for p in orig.walk()]
    R.check([p.get_content_type() for p in conv.walk()] == shape,
            "rfc2046 the MIME tree is unchanged",
            "%r" % [p.get_content_type() for p in conv.walk()])
    leaves = [(a, b) for a, b in zip(orig.walk(), conv.walk())
              if not a.is_multipart()]
    R.check(leaves and all(a.get_payload(decode=True) ==
                           b.get_payload(decode=True) for a, b in leaves),
            "every part decodes to its original content",
            "%r" % [(b.get_content_type(), b["Content-Transfer-Encoding"])
                    for _a, b in leaves])
    ctes = [b["Content-Transfer-Encoding"] for _a, b in leaves]
    R.check(ctes == ["quoted-printable", "quoted-printable", "base64"],
            "8bit parts become quoted-printable, base64 stays",
            "%r" % ctes)
    b64 = base64.encodebytes(ATTACHMENT).replace(b"\n", b"\r\n")
    R.check(b64 in got, "the base64 attachment passes byte for byte",
            "attachment text changed")


def check_bounce(inst, peer7, rcpt, reason, case):
    reps = inst.wait_reports(SENDER, case[0], WAIT)
    found = None
    for rep in reps:
        _msg, groups = dsn_status_groups(rep)
        for g in groups:
            if rcpt in g.get("Final-Recipient", ""):
                found = g
    R.check(found and found.get("Status") == "5.6.3" and
            reason in found.get("Diagnostic-Code", "") +
            str(reps[-1] if reps else ""),
            case[1] + ": returned to the sender with 5.6.3",
            "%r" % (found,))
    R.check(not with_rcpt(peer7, rcpt), case[1] + ": nothing was sent",
            "the peer got it")


def main():
    work = tempfile.mkdtemp(prefix="petrel-r8bit.", dir="/tmp")
    os.chmod(work, 0o755)
    peers = []
    inst = None
    try:
        p7, p8 = free_port(), free_port()
        while p8 == p7:
            p8 = free_port()
        peer7 = Peer(work, ["127.0.0.1:%d" % p7],
                     {"extensions": ["PIPELINING", "SIZE 10000000",
                                     "ENHANCEDSTATUSCODES"]},
                     name="seven").start()
        peers.append(peer7)
        peer8 = Peer(work, ["127.0.0.1:%d" % p8], {}, name="eight").start()
        peers.append(peer8)
        tmap = os.path.join(work, "transport")
        with open(tmap, "w") as f:
            f.write("seven.test smtp:[127.0.0.1]:%d\n"
                    "eight.test smtp:[127.0.0.1]:%d\n" % (p7, p8))
        inst = Instance({"transport_maps": "texthash:" + tmap,
                         "smtp_tls_security_level": "none"},
                        name="r8bit")
        inst.create()
        inst.add_user(SENDER, "alicepw")
        inst.setup_maildir(SENDER)
        inst.start()
        for rcpt, msg in (("bob@seven.test", PLAIN),
                          ("carol@seven.test", MULTI),
                          ("erin@eight.test", PLAIN),
                          ("gina@seven.test", BIG),
                          ("dave@seven.test", BAD_HEADER)):
            qid, why = inst.submit(SENDER, [rcpt], msg,
                                   mail_options=["BODY=8BITMIME"])
            R.check(qid, "smtpd queues the message for %s" % rcpt, why)
        check_plain(peer7)
        R.check(inst.wait_log(r"converting 8-bit content to 7-bit MIME "
                              r"for .*127\.0\.0\.1", 5),
                "the maillog says the message was converted", "no line")
        check_multi(peer7)
        tx = wait_for(lambda: with_rcpt(peer8, "erin@eight.test"))
        R.check(tx and "BODY=8BITMIME" in (tx[0]["mail_params"] or "") and
                strip_added(data_of(tx[0])) == PLAIN,
                "an 8BITMIME peer gets BODY=8BITMIME and the message "
                "unchanged", "%r" % ([e["mail_params"] for e in tx],))
        tx = wait_for(lambda: with_rcpt(peer7, "gina@seven.test"))
        big = email.message_from_bytes(data_of(tx[0]),
                                       policy=email.policy.compat32) \
            if tx else None
        R.check(big is not None and
                big.get_payload(decode=True) == body_of(BIG),
                "a 300 KB header and a 1 MB 8-bit body arrive converted, "
                "decoding to the original", "%d transactions; %s" %
                (len(tx or []), inst.log_lines("gina@")[-1:]))
        check_bounce(inst, peer7, "dave@seven.test", "header",
                     (1, "8-bit header"))

        rc, out = inst.reconfigure({"disable_mime_output_conversion": "yes"})
        R.check(rc == 0, "petrel reload", out)
        qid, why = inst.submit(SENDER, ["frank@seven.test"], PLAIN,
                               mail_options=["BODY=8BITMIME"])
        R.check(qid, "smtpd queues the message for frank@seven.test", why)
        check_bounce(inst, peer7, "frank@seven.test",
                     "disable_mime_output_conversion",
                     (2, "disable_mime_output_conversion = yes"))
    except Exception as e:  # report, never hang
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    finally:
        if inst:
            inst.cleanup()
        for p in peers:
            p.stop()
        if not os.environ.get("PETREL_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
