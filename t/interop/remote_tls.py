"""remote_tls.py - the TLS policy of remote delivery (petrel-smtp), as a
Postfix admin expects it (RFC 3207, smtp_tls_security_level and
smtp_tls_policy_maps), against real peer SMTP servers (t/lib/peer_smtp.py)
found through real DNS (dnsmasq in a private network namespace,
t/lib/dnsnet.py).  The script re-runs itself inside the namespace.

Cases (four instances run side by side, one per global level):
  may:     peer offers STARTTLS -> delivered with TLS; the peer's handshake
           breaks -> delivered in plaintext (tls false), never deferred;
           peer without STARTTLS -> plaintext delivery;
           smtp_tls_policy_maps "enc.test encrypt" overrides the global
           level: enc.test (peer without STARTTLS) deferred, the other
           domains delivered.
  encrypt: peer without STARTTLS -> status=deferred "TLS is required",
           nothing delivered; a peer with STARTTLS -> delivered with TLS.
  none:    peer offering STARTTLS -> delivered without TLS.
  verify:  smtp_tls_CAfile = the peer's self-signed cert for mx1.tls.test:
           MX mx1.tls.test -> delivered with TLS; MX mx2.tls.test with the
           same cert (name mismatch) -> deferred, nothing delivered.
Needs root, ip (iproute2), dnsmasq, openssl.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from dnsnet import netns_main  # noqa: E402
from peer_smtp import Peer  # noqa: E402
from petrel_inst import BIN, Instance, Reporter  # noqa: E402

SUITE = "remote-tls"
MYHOST = "mx.petrel.test"
SENDER = "alice@example.test"
WAIT = 40           # seconds for every expected delivery together
DEFER_WAIT = 25     # seconds for an expected deferral to be logged

# peer address -> (domain names served, has STARTTLS, rules)
PEERS = {
    "127.0.0.2": ("tlsok", True, {}),
    "127.0.0.3": ("tlsbad", True, {"tls_fail": True}),
    "127.0.0.4": ("plain", False, {}),
    "127.0.0.5": ("enc", False, {}),
    "127.0.0.6": ("mx1", True, {}),
    "127.0.0.7": ("mx2", True, {}),
}


def dns_records(net):
    """The DNS data of this suite."""
    net.mx("tlsok.test", "mx.tlsok.test", 10).a("mx.tlsok.test", "127.0.0.2")
    net.mx("tlsbad.test", "mx.tlsbad.test", 10).a("mx.tlsbad.test",
                                                  "127.0.0.3")
    net.mx("plain.test", "mx.plain.test", 10).a("mx.plain.test", "127.0.0.4")
    net.mx("enc.test", "mx.enc.test", 10).a("mx.enc.test", "127.0.0.5")
    net.mx("tls.test", "mx1.tls.test", 10).a("mx1.tls.test", "127.0.0.6")
    net.mx("vbad.test", "mx2.tls.test", 10).a("mx2.tls.test", "127.0.0.7")
    net.a(MYHOST, "127.0.0.1")


def make_cert(work, cn):
    """A self-signed certificate for cn (the command of the brief)."""
    cert, key = os.path.join(work, "c.pem"), os.path.join(work, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-subj", "/CN=" + cn, "-addext",
                    "subjectAltName=DNS:" + cn, "-days", "2", "-keyout", key,
                    "-out", cert], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
    os.chmod(cert, 0o644)   # petrel-smtp (remote_user) reads it as CAfile
    return cert, key


def message(tag, to):
    """A small CRLF test message."""
    return ("From: Alice <%s>\r\nTo: %s\r\nSubject: remote tls %s\r\n"
            "Message-ID: <%s@example.test>\r\n\r\nbody of %s\r\n"
            % (SENDER, to, tag, tag, tag)).encode()


def with_rcpt(peer, rcpt, outcome="accepted"):
    """Transactions at a peer that include rcpt."""
    return [e for e in peer.transactions(outcome)
            if "<%s>" % rcpt in e.get("rcpts", [])]


def wait_all(conds, timeout):
    """Wait (bounded) until every condition function is true."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if all(c() for c in conds):
            return True
        time.sleep(0.2)
    return False


def log_tail(inst, n=8):
    """The last maillog lines, for FAIL reasons."""
    return " | ".join(inst.log().splitlines()[-n:])


def new_instance(work, name, level, extra=None):
    """A started instance with smtp_tls_security_level = level."""
    ov = {"myhostname": MYHOST, "mydestination": MYHOST + ", localhost",
          "queue_run_delay": "1s", "minimal_backoff_time": "2s",
          "maximal_backoff_time": "4s", "smtp_connect_timeout": "5s",
          "smtp_helo_timeout": "10s", "smtp_tls_security_level": level}
    ov.update(extra or {})
    inst = Instance(ov, name="rtls-" + level)
    inst.create()
    inst.add_user(SENDER, "alicepw")
    inst.start()
    return inst


def submit_all(inst, label, rcpts):
    """One message per recipient; False if smtpd refused one."""
    good = True
    for r in rcpts:
        qid, why = inst.submit(SENDER, [r], message(r.split("@")[0], r))
        if not qid:
            R.bad("%s: submit to %s" % (label, r), why)
            good = False
    return good


def tls_of(peer, rcpt):
    """[tls flag of each accepted transaction for rcpt]."""
    return [bool(e.get("tls")) for e in with_rcpt(peer, rcpt)]


def deferred(inst, rcpt, reason):
    """The maillog deferral line for rcpt whose text matches reason."""
    return inst.wait_log(r"to=<%s>.*status=deferred.*%s" % (
        rcpt.replace(".", r"\."), reason), DEFER_WAIT)


def check_may(inst, peers):
    """Global level may, with a policy map entry enc.test encrypt."""
    p2, p3, p4, p5 = (peers[k] for k in ("127.0.0.2", "127.0.0.3",
                                         "127.0.0.4", "127.0.0.5"))
    wait_all([lambda: with_rcpt(p2, "m1@tlsok.test"),
              lambda: with_rcpt(p3, "m2@tlsbad.test"),
              lambda: with_rcpt(p4, "m3@plain.test")], WAIT)
    t = tls_of(p2, "m1@tlsok.test")
    R.check(t == [True], "may + peer offering STARTTLS: delivered with TLS",
            "tls flags %r; %s" % (t, log_tail(inst)))
    t = tls_of(p3, "m2@tlsbad.test")
    R.check(t == [False], "may + broken TLS handshake: delivered in "
            "plaintext on the retry", "tls flags %r; %s" % (t, log_tail(inst)))
    inst.wait_log(r"to=<m2@tlsbad\.test>.*status=sent", WAIT)  # logged
    R.check(inst.log_lines("to=<m2@tlsbad.test>") and
            not [ln for ln in inst.log_lines("to=<m2@tlsbad.test>")
                 if "status=deferred" in ln],
            "may + broken TLS handshake: the message is not deferred",
            "; ".join(inst.log_lines("to=<m2@tlsbad.test>")))
    t = tls_of(p4, "m3@plain.test")
    R.check(t == [False], "may + peer without STARTTLS: plaintext delivery",
            "tls flags %r; %s" % (t, log_tail(inst)))
    R.check(inst.wait_log(r"to=<m3@plain\.test>.*status=sent", 5),
            "may: maillog status=sent for the plaintext delivery",
            log_tail(inst))
    m = deferred(inst, "m4@enc.test", "TLS is required")
    R.check(m, "policy map 'enc.test encrypt' overrides global may: "
            "enc.test (no STARTTLS) deferred 'TLS is required'",
            "; ".join(inst.log_lines("m4@enc.test")) or log_tail(inst))
    R.check(not with_rcpt(p5, "m4@enc.test") and
            not p5.transactions(None),
            "policy map encrypt: no MAIL transaction at the plaintext peer",
            "%r" % [(e["outcome"], e["rcpts"]) for e in p5.log()])
    R.check(with_rcpt(p4, "m3@plain.test") and with_rcpt(p2,
                                                         "m1@tlsok.test"),
            "policy map: domains without an entry keep the global level "
            "(delivered)", log_tail(inst))


def check_encrypt(inst, peers):
    """Global level encrypt."""
    p2, p4 = peers["127.0.0.2"], peers["127.0.0.4"]
    wait_all([lambda: with_rcpt(p2, "e1@tlsok.test")], WAIT)
    t = tls_of(p2, "e1@tlsok.test")
    R.check(t == [True], "encrypt + peer offering STARTTLS: delivered with "
            "TLS", "tls flags %r; %s" % (t, log_tail(inst)))
    m = deferred(inst, "e2@plain.test", "TLS is required")
    R.check(m, "encrypt + peer without STARTTLS: status=deferred "
            "'TLS is required'", "; ".join(inst.log_lines("e2@plain.test"))
            or log_tail(inst))
    R.check(not with_rcpt(p4, "e2@plain.test") and
            not with_rcpt(p4, "e2@plain.test", None),
            "encrypt + peer without STARTTLS: nothing delivered",
            "%r" % with_rcpt(p4, "e2@plain.test", None))
    R.check(len(inst.queue_files()) >= 1,
            "encrypt: the deferred message stays queued",
            "queue files: %r" % inst.queue_files())


def check_none(inst, peers):
    """Global level none."""
    p2 = peers["127.0.0.2"]
    wait_all([lambda: with_rcpt(p2, "n1@tlsok.test")], WAIT)
    t = tls_of(p2, "n1@tlsok.test")
    R.check(t == [False], "none + peer offering STARTTLS: delivered without "
            "TLS", "tls flags %r; %s" % (t, log_tail(inst)))


def check_verify(inst, peers):
    """Global level verify with smtp_tls_CAfile = the peer certificate."""
    p6, p7 = peers["127.0.0.6"], peers["127.0.0.7"]
    wait_all([lambda: with_rcpt(p6, "v1@tls.test")], WAIT)
    t = tls_of(p6, "v1@tls.test")
    R.check(t == [True], "verify + CAfile + MX name matching the cert "
            "(mx1.tls.test): delivered with TLS",
            "tls flags %r; %s" % (t, log_tail(inst)))
    m = deferred(inst, "v2@vbad.test", "TLS")
    R.check(m, "verify + MX name mx2.tls.test not in the cert: deferred",
            "; ".join(inst.log_lines("v2@vbad.test")) or log_tail(inst))
    R.check(not p7.transactions(None),
            "verify + name mismatch: no MAIL transaction at the peer",
            "%r" % [(e["outcome"], e["tls"], e["rcpts"]) for e in p7.log()])


def run_cases(work, peers, cert):
    """Start the four instances, submit everything, then check."""
    pol = os.path.join(work, "tls_policy")
    with open(pol, "w") as f:
        f.write("enc.test  encrypt\n")
    insts = {}
    try:
        insts["may"] = new_instance(work, "may", "may", {
            "smtp_tls_policy_maps": "texthash:" + pol})
        insts["encrypt"] = new_instance(work, "encrypt", "encrypt")
        insts["none"] = new_instance(work, "none", "none")
        insts["verify"] = new_instance(work, "verify", "verify", {
            "smtp_tls_CAfile": cert})
        ok = submit_all(insts["may"], "may", [
            "m1@tlsok.test", "m2@tlsbad.test", "m3@plain.test",
            "m4@enc.test"])
        ok &= submit_all(insts["encrypt"], "encrypt",
                         ["e1@tlsok.test", "e2@plain.test"])
        ok &= submit_all(insts["none"], "none", ["n1@tlsok.test"])
        ok &= submit_all(insts["verify"], "verify",
                         ["v1@tls.test", "v2@vbad.test"])
        R.check(ok, "smtpd queues every test message", "see above")
        check_may(insts["may"], peers)
        check_encrypt(insts["encrypt"], peers)
        check_none(insts["none"], peers)
        check_verify(insts["verify"], peers)
    finally:
        for inst in insts.values():
            inst.cleanup()


def main():
    """Peers, instances, the cases."""
    if not os.path.exists(os.path.join(BIN, "petrel-smtp")):
        R.bad("setup", "petrel-smtp is not built in " + BIN)
        return 1
    peers = {}
    work = None
    try:
        work = tempfile.mkdtemp(prefix="petrel-rtls-peers.", dir="/tmp")
        os.chmod(work, 0o755)  # the daemons read the policy map and CAfile
        cert, key = make_cert(work, "mx1.tls.test")
        for ip, (name, tls, rules) in PEERS.items():
            peers[ip] = Peer(work, [ip + ":25"], rules,
                             cert=cert if tls else None,
                             key=key if tls else None,
                             name="p" + name).start()
        run_cases(work, peers, cert)
    except Exception as e:  # any setup failure is a FAIL, never a hang
        R.bad("setup", repr(e))
    finally:
        for p in peers.values():
            p.stop()
        if work and not os.environ.get("PETREL_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    return R.exit_code()


R = Reporter(SUITE)

if __name__ == "__main__":
    rc = netns_main(SUITE, dns_records, __file__, timeout=140)
    sys.exit(rc if rc is not None else main())
