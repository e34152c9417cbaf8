"""remote_basic.py - remote delivery by petrel-smtp to real peer SMTP servers
(t/lib/peer_smtp.py) found through real DNS (dnsmasq in a private network
namespace, t/lib/dnsnet.py).  The script re-runs itself inside the
namespace, where the instance, the peers (on port 25 of 127.0.0.x and ::1)
and the checks live.

Cases (Postfix-like behaviour, RFC 5321/1869/6152/3207):
  two recipients at one domain -> one transaction with both RCPTs; CRLF line
  ends and dot-stuffing on the wire, payload equal to the original once the
  Received: header is removed, no Return-Path/Delivered-To; MAIL FROM has
  SIZE= when SIZE is offered and BODY=8BITMIME for an 8-bit body when
  8BITMIME is offered; EHLO name = myhostname; no MX -> the A record;
  AAAA-only MX host -> IPv6; relayhost [127.0.0.5]:25 overrides MX;
  transport_maps "slow.test smtp:[127.0.0.6]:2526"; HELO fallback (and no
  ESMTP parameters after HELO); recipients in two domains -> one
  transaction per domain; opportunistic STARTTLS (level may); maillog
  "relay=<mxhost>[<ip>]:25" and "status=sent".
Needs root, ip (iproute2), dnsmasq, openssl.
"""
import base64
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from dnsnet import netns_main  # noqa: E402
from peer_smtp import Peer, make_cert, unstuff  # noqa: E402
from petrel_inst import BIN, Instance, Reporter, strip_added  # noqa: E402

SUITE = "remote-basic"
MYHOST = "mx.petrel.test"
SENDER = "alice@example.test"
WAIT = 30           # seconds for every expected delivery together


def dns_records(net):
    """The DNS data of this suite."""
    net.mx("dest.test", "mx.dest.test", 10).a("mx.dest.test", "127.0.0.2")
    net.mx("other.test", "mx.other.test", 10).a("mx.other.test", "127.0.0.4")
    net.a("aonly.test", "127.0.0.3")                      # no MX at all
    net.mx("v6.test", "mx6.v6.test", 10).aaaa("mx6.v6.test", "::1")
    net.mx("old.test", "mx.old.test", 10).a("mx.old.test", "127.0.0.7")
    net.mx("tls.test", "mx.tls.test", 10).a("mx.tls.test", "127.0.0.8")
    net.a(MYHOST, "127.0.0.1")
    # slow.test and relayed.test have no DNS data at all (NXDOMAIN): only
    # transport_maps / relayhost can route them.


def overrides(work, extra=None):
    """Instance settings shared by both instances."""
    tmap = os.path.join(work, "transport")
    with open(tmap, "w") as f:
        f.write("slow.test  smtp:[127.0.0.6]:2526\n")
    ov = {"myhostname": MYHOST, "mydestination": MYHOST + ", localhost",
          "transport_maps": "texthash:" + tmap, "queue_run_delay": "1s",
          "minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
          "smtp_connect_timeout": "5s"}
    ov.update(extra or {})
    return ov


def message(tag, eight_bit=False, to="someone"):
    """A CRLF test message with lines that need dot-stuffing."""
    lines = [b"From: Alice <alice@example.test>", b"To: " + to.encode(),
             b"Subject: remote basic " + tag.encode(),
             b"Message-ID: <" + tag.encode() + b"@example.test>",
             b"MIME-Version: 1.0"]
    if eight_bit:
        lines += [b"Content-Type: text/plain; charset=utf-8",
                  b"Content-Transfer-Encoding: 8bit"]
    lines += [b"", b"first line " + tag.encode(), b".leading dot",
              b"..two leading dots", b".", b"x" * 990, b"  indented"]
    if eight_bit:
        lines.append(b"caf\xc3\xa9 \xe2\x82\xac 8-bit")
    lines += [b"", b"last line"]
    return b"\r\n".join(lines) + b"\r\n"


def data_of(entry):
    """The raw DATA bytes of a peer log entry."""
    return base64.b64decode(entry.get("data_b64") or "")


def with_rcpt(peer, rcpt):
    """Accepted transactions at a peer that include rcpt."""
    return [e for e in peer.transactions("accepted")
            if "<%s>" % rcpt in e.get("rcpts", [])]


def wait_all(conds, timeout):
    """Wait (bounded) until every condition function is true."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(c() for c in conds):
            return True
        time.sleep(0.2)
    return False


def log_tail(inst, needle=None, n=2):
    """The last maillog lines about needle (or any), short, for FAILs."""
    lines = inst.log_lines(needle or "")[-n:]
    lines = [re.sub(r"^\S+ \S+ ", "", ln) for ln in lines]
    return "maillog: " + (" | ".join(lines) if lines else "nothing")


def check_wire(raw, sent, case):
    """CRLF, dot-stuffing and payload checks on one transaction's bytes."""
    bare_lf = raw.replace(b"\r\n", b"").count(b"\n")
    bare_cr = raw.replace(b"\r\n", b"").count(b"\r")
    R.check(raw.endswith(b"\r\n") and bare_lf == 0 and bare_cr == 0,
            case + ": rfc5321 2.3.8 every line ends in CRLF on the wire",
            "bare LF %d, bare CR %d" % (bare_lf, bare_cr))
    R.check(b"\r\n..leading dot\r\n" in raw and
            b"\r\n...two leading dots\r\n" in raw and b"\r\n..\r\n" in raw,
            case + ": rfc5321 4.5.2 lines starting with '.' are dot-stuffed",
            "stuffed lines missing in %r" % raw[-200:])
    got = unstuff(raw)
    R.check(got.startswith(b"Received:"),
            case + ": rfc5321 4.4 a Received: header is prepended",
            "starts %r" % got[:60])
    R.check(strip_added(got) == sent,
            case + ": the unstuffed payload equals the submitted message",
            "got %r" % strip_added(got)[:200])
    head = got.split(b"\r\n\r\n", 1)[0].lower()
    R.check(b"return-path:" not in head and b"delivered-to:" not in head,
            case + ": rfc5321 4.4 no Return-Path/Delivered-To when relaying",
            "header block %r" % head[:300])


def basic_cases(inst, peers):
    """Send every MX/transport case at once, then check each."""
    m1 = message("two-rcpts", eight_bit=True, to="a@dest.test, b@dest.test")
    sent = {
        "m1": (inst.submit(SENDER, ["a@dest.test", "b@dest.test"], m1,
                           mail_options=["BODY=8BITMIME"]), m1),
    }
    for key, rcpts in (("aonly", ["x@aonly.test"]), ("v6", ["y@v6.test"]),
                       ("slow", ["z@slow.test"]), ("old", ["w@old.test"]),
                       ("split", ["p@dest.test", "q@other.test"]),
                       ("tls", ["t@tls.test"])):
        m = message(key, to=", ".join(rcpts))
        sent[key] = (inst.submit(SENDER, rcpts, m), m)
    for key, ((qid, why), _m) in sent.items():
        R.check(qid, "submit %s: smtpd queues it" % key, why)

    pdest, paonly, pother, pv6, pslow, pold, ptls = (peers[k] for k in (
        "127.0.0.2", "127.0.0.3", "127.0.0.4", "[::1]", "127.0.0.6",
        "127.0.0.7", "127.0.0.8"))
    conds = [lambda: with_rcpt(pdest, "a@dest.test"),
             lambda: with_rcpt(paonly, "x@aonly.test"),
             lambda: with_rcpt(pv6, "y@v6.test"),
             lambda: with_rcpt(pslow, "z@slow.test"),
             lambda: with_rcpt(pold, "w@old.test"),
             lambda: with_rcpt(pdest, "p@dest.test"),
             lambda: with_rcpt(pother, "q@other.test"),
             lambda: with_rcpt(ptls, "t@tls.test")]
    wait_all(conds, WAIT)
    time.sleep(1)  # a second copy or a split transaction would show now

    # m1: two recipients, one domain
    tx = [e for e in pdest.transactions("accepted")
          if set(e["rcpts"]) & {"<a@dest.test>", "<b@dest.test>"}]
    if not tx:
        R.bad("mx delivery: dest.test reached via its MX",
              "no transaction at 127.0.0.2; " + log_tail(inst, "a@dest.test"))
    else:
        R.ok("mx delivery: dest.test reached via its MX")
        R.check(len(tx) == 1 and sorted(tx[0]["rcpts"]) ==
                ["<a@dest.test>", "<b@dest.test>"],
                "two recipients at one domain go in ONE transaction",
                "transactions: %r" % [e["rcpts"] for e in tx])
        e = tx[0]
        R.check(e["mail"] == "<%s>" % SENDER, "MAIL FROM is the envelope "
                "sender", e["mail"])
        R.check(e["helo"] == MYHOST and e["esmtp"],
                "rfc5321 4.1.1.1 EHLO with myhostname", e["helo"])
        size = re.search(r"(?i)\bSIZE=(\d+)", e["mail_params"] or "")
        R.check(size and int(size.group(1)) >= len(m1) - 10,
                "rfc1870 MAIL FROM carries SIZE= when the peer offers SIZE",
                "params %r (message %d bytes)" % (e["mail_params"], len(m1)))
        R.check(re.search(r"(?i)\bBODY=8BITMIME\b", e["mail_params"] or ""),
                "rfc6152 an 8-bit body goes with BODY=8BITMIME",
                "params %r" % e["mail_params"])
        check_wire(data_of(e), m1, "m1")
    R.check(inst.wait_log(r"to=<a@dest\.test>.*relay=mx\.dest\.test"
                          r"\[127\.0\.0\.2\]:25.*status=sent", 5),
            "maillog: to=<a@dest.test> relay=mx.dest.test[127.0.0.2]:25 "
            "status=sent", log_tail(inst, "a@dest.test"))

    tx = with_rcpt(paonly, "x@aonly.test")
    R.check(len(tx) == 1, "rfc5321 5.1 no MX: delivered to the A record "
            "(aonly.test -> 127.0.0.3)", "%d transactions; %s" %
            (len(tx), log_tail(inst, "x@aonly.test")))
    tx = with_rcpt(pv6, "y@v6.test")
    R.check(len(tx) == 1 and tx[0]["peer"] == "::1",
            "AAAA-only MX host: delivered over IPv6 to [::1]:25",
            "%r; %s" % ([(e["peer"], e["rcpts"]) for e in tx],
                        log_tail(inst, "y@v6.test")))
    tx = with_rcpt(pslow, "z@slow.test")
    R.check(len(tx) == 1, "transport_maps slow.test -> smtp:[127.0.0.6]:2526",
            "%d transactions; %s" % (len(tx), log_tail(inst, "z@slow.test")))
    tx = with_rcpt(pold, "w@old.test")
    if R.check(len(tx) == 1 and not tx[0]["esmtp"] and tx[0]["helo"],
               "rfc5321 3.2 HELO fallback when the peer refuses EHLO",
               "%r; %s" % (tx, log_tail(inst, "w@old.test"))):
        R.check(not (tx[0]["mail_params"] or "").strip(),
                "no ESMTP parameters on MAIL FROM after HELO",
                tx[0]["mail_params"])
    tx_p = with_rcpt(pdest, "p@dest.test")
    tx_q = with_rcpt(pother, "q@other.test")
    R.check(len(tx_p) == 1 and tx_p[0]["rcpts"] == ["<p@dest.test>"] and
            len(tx_q) == 1 and tx_q[0]["rcpts"] == ["<q@other.test>"],
            "recipients in two domains: each domain's MX gets its own",
            "dest: %r other: %r" % ([e["rcpts"] for e in tx_p],
                                    [e["rcpts"] for e in tx_q]))
    tx = with_rcpt(ptls, "t@tls.test")
    R.check(len(tx) == 1 and tx[0]["tls"],
            "rfc3207 opportunistic STARTTLS (smtp_tls_security_level=may)",
            "%r; %s" % ([(e["tls"], e["rcpts"]) for e in tx],
                        log_tail(inst, "t@tls.test")))
    R.check(inst.wait_queue_empty(5), "queue empty after the deliveries",
            "%d files left; %s" % (len(inst.queue_files()), log_tail(inst)))


def relayhost_case(work, peers):
    """A second instance with relayhost [127.0.0.5]:25."""
    inst = Instance(overrides(work, {"relayhost": "[127.0.0.5]:25"}),
                    name="rbasic-relay")
    try:
        inst.create()
        inst.add_user(SENDER, "alicepw")
        inst.start()
        m = message("relayhost", to="r@relayed.test")
        qid, why = inst.submit(SENDER, ["r@relayed.test", "s@dest.test"], m)
        R.check(qid, "relayhost: smtpd queues it", why)
        p5, p2 = peers["127.0.0.5"], peers["127.0.0.2"]
        wait_all([lambda: with_rcpt(p5, "r@relayed.test"),
                  lambda: with_rcpt(p5, "s@dest.test")], 20)
        R.check(with_rcpt(p5, "r@relayed.test"),
                "relayhost [127.0.0.5]:25: a domain without DNS data goes "
                "to the relay host", log_tail(inst, "r@relayed.test"))
        R.check(with_rcpt(p5, "s@dest.test") and
                not with_rcpt(p2, "s@dest.test"),
                "relayhost overrides the MX of a domain that has one",
                log_tail(inst, "s@dest.test"))
        R.check(inst.wait_log(r"to=<r@relayed\.test>.*relay=[^ ]*"
                              r"\[127\.0\.0\.5\]:25.*status=sent", 5),
                "maillog: relay=...[127.0.0.5]:25 status=sent",
                log_tail(inst, "r@relayed.test"))
    finally:
        inst.cleanup()


def main():
    """Peers, an instance, the cases."""
    if not os.path.exists(os.path.join(BIN, "petrel-smtp")):
        R.bad("setup", "petrel-smtp is not built in " + BIN)
        return 1
    inst = None
    peers = {}
    work = None
    try:
        import tempfile
        work = tempfile.mkdtemp(prefix="petrel-rbasic-peers.", dir="/tmp")
        os.chmod(work, 0o755)  # the daemons read the transport map here
        cert, key = make_cert(work, "mx.tls.test")
        plain = {"extensions": ["PIPELINING", "SIZE 10000000", "8BITMIME",
                                "ENHANCEDSTATUSCODES"]}
        specs = {"127.0.0.2": (["127.0.0.2:25"], plain, None),
                 "127.0.0.3": (["127.0.0.3:25"], plain, None),
                 "[::1]": (["[::1]:25"], plain, None),
                 "127.0.0.4": (["127.0.0.4:25"], plain, None),
                 "127.0.0.5": (["127.0.0.5:25"], plain, None),
                 "127.0.0.6": (["127.0.0.6:2526"], plain, None),
                 "127.0.0.7": (["127.0.0.7:25"], {"ehlo": False}, None),
                 "127.0.0.8": (["127.0.0.8:25"], {}, (cert, key))}
        for k, (listen, rules, tls) in specs.items():
            name = "p" + k.strip("[]").replace(":", "_").replace(".", "_")
            peers[k] = Peer(work, listen, rules, cert=tls and tls[0],
                            key=tls and tls[1], name=name).start()
        inst = Instance(overrides(work), name="rbasic")
        inst.create()
        inst.add_user(SENDER, "alicepw")
        inst.start()
        basic_cases(inst, peers)
        inst.cleanup()
        relayhost_case(work, peers)
    except Exception as e:  # any setup failure is a FAIL, never a hang
        R.bad("setup", repr(e))
    finally:
        if inst:
            inst.cleanup()
        for p in peers.values():
            p.stop()
        if work and not os.environ.get("PETREL_KEEP"):
            import shutil
            shutil.rmtree(work, ignore_errors=True)
    return R.exit_code()


R = Reporter(SUITE)

if __name__ == "__main__":
    rc = netns_main(SUITE, dns_records, __file__, timeout=115)
    sys.exit(rc if rc is not None else main())
