"""remote_mx.py - MX handling and destination scheduling of remote delivery
(petrel-smtp and the queue manager), as a Postfix admin expects it
(RFC 5321 section 5.1), against real peer SMTP servers (t/lib/peer_smtp.py)
found through real DNS (dnsmasq in a private network namespace,
t/lib/dnsnet.py).  The script re-runs itself inside the namespace.

Cases:
  instance A (smtp_connection_cache_time_limit = 0):
    MX fallback: pref 10 refuses connections (nothing on 127.0.0.11:25),
      pref 20 works -> delivered there, maillog relay= names the second;
    a first MX that greets 421 -> the second MX gets the mail;
    two MX at equal preference, 40 messages -> both peers get some;
    we are a backup MX (pref 20 = myhostname) and the pref 10 peer works
      -> delivered to pref 10;
    we are the best MX (pref 0) with a backup at pref 10 -> the backup is
      cut: bounced 5.4.6 "loops back to myself", nothing at the backup.
  instance B (smtp_connection_cache_time_limit = 5s,
              minimal_backoff_time = 30s):
    connection reuse: 20 messages to one domain, each after the previous
      was delivered -> the peer sees fewer connections than messages;
    dead destination isolation: 1000 messages for dead.test (MX with
      nothing listening; queued while the queue manager is stopped, which
      then starts with the backlog), then mail to a healthy domain and to a local
      user is delivered within 30 s while dead.test's mail stays queued,
      deferred with "delivery temporarily suspended", and far fewer
      connection attempts than messages were made.
Needs root, ip (iproute2), dnsmasq.
"""
import os
import re
import shutil
import signal
import smtplib
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from dnsnet import netns_main  # noqa: E402
from peer_smtp import Peer  # noqa: E402
from petrel_inst import BIN, Instance, Reporter  # noqa: E402

SUITE = "remote-mx"
MYHOST = "mx.petrel.test"
SENDER = "alice@example.test"
LOCAL = "bob@example.test"
WAIT = 40           # seconds for the expected deliveries of instance A
N_EQUAL = 40        # messages to the equal-preference domain
N_REUSE = 20        # sequential messages for the connection reuse case
N_DEAD = 1000       # messages queued for the dead destination
PROMPT = 30         # seconds: healthy mail must arrive within this


def dns_records(net):
    """The DNS data of this suite."""
    net.mx("fallback.test", "mx1.fallback.test", 10).a(
        "mx1.fallback.test", "127.0.0.11")          # nothing listens there
    net.mx("fallback.test", "mx2.fallback.test", 20).a(
        "mx2.fallback.test", "127.0.0.12")
    net.mx("busy.test", "mx1.busy.test", 10).a("mx1.busy.test", "127.0.0.13")
    net.mx("busy.test", "mx2.busy.test", 20).a("mx2.busy.test", "127.0.0.14")
    net.mx("equal.test", "mxa.equal.test", 10).a("mxa.equal.test",
                                                 "127.0.0.15")
    net.mx("equal.test", "mxb.equal.test", 10).a("mxb.equal.test",
                                                 "127.0.0.16")
    net.mx("backup.test", "mx.backup.test", 10).a("mx.backup.test",
                                                  "127.0.0.17")
    net.mx("backup.test", MYHOST, 20)
    net.mx("primary.test", MYHOST, 0)
    net.mx("primary.test", "mx.primary.test", 10).a("mx.primary.test",
                                                    "127.0.0.18")
    net.mx("reuse.test", "mx.reuse.test", 10).a("mx.reuse.test",
                                                "127.0.0.20")
    net.mx("dead.test", "mx.dead.test", 10).a("mx.dead.test",
                                              "127.0.0.19")  # nothing there
    net.mx("healthy.test", "mx.healthy.test", 10).a("mx.healthy.test",
                                                    "127.0.0.21")
    net.a(MYHOST, "127.0.0.1")


PEERS = {"127.0.0.12": {}, "127.0.0.13": {"greeting": "421 4.3.2 busy"},
         "127.0.0.14": {}, "127.0.0.15": {}, "127.0.0.16": {},
         "127.0.0.17": {}, "127.0.0.18": {}, "127.0.0.20": {},
         "127.0.0.21": {}}


def message(tag, to):
    """A small CRLF test message."""
    return ("From: Alice <%s>\r\nTo: %s\r\nSubject: remote mx %s\r\n"
            "Message-ID: <%s@example.test>\r\n\r\nbody of %s\r\n"
            % (SENDER, to, tag, tag, tag)).encode()


def with_rcpt(peer, rcpt):
    """Accepted transactions at a peer that include rcpt."""
    return [e for e in peer.transactions("accepted")
            if "<%s>" % rcpt in e.get("rcpts", [])]


def wait_for(cond, timeout):
    """Wait (bounded) until cond() is true; its last value."""
    deadline = time.time() + timeout
    while True:
        v = cond()
        if v or time.time() >= deadline:
            return v
        time.sleep(0.2)


def log_tail(inst, n=8):
    """The last maillog lines, for FAIL reasons."""
    return " | ".join(inst.log().splitlines()[-n:])


def new_instance(name, extra):
    """A started instance with the suite's settings plus extra."""
    ov = {"myhostname": MYHOST, "mydestination": MYHOST + ", localhost",
          "queue_run_delay": "1s", "minimal_backoff_time": "2s",
          "maximal_backoff_time": "4s", "smtp_connect_timeout": "5s",
          "smtp_helo_timeout": "10s"}
    ov.update(extra)
    inst = Instance(ov, name=name)
    inst.create()
    inst.add_user(SENDER, "alicepw")
    inst.add_user(LOCAL, "bobpw")
    inst.start()
    return inst


def send(inst, rcpt, tag=None):
    """Submit one message for rcpt; True when queued (FAIL otherwise)."""
    tag = tag or rcpt.split("@")[0]
    qid, why = inst.submit(SENDER, [rcpt], message(tag, rcpt))
    if not qid:
        R.bad("submit to %s" % rcpt, why)
    return bool(qid)


# --- instance A -----------------------------------------------------------
def cases_a(peers):
    """MX fallback, 421 greeter, equal preference, backup MX, best MX."""
    inst = new_instance("rmx-a", {"smtp_connection_cache_time_limit": "0"})
    try:
        for r in ("f1@fallback.test", "b1@busy.test", "k1@backup.test",
                  "p1@primary.test"):
            send(inst, r)
        for i in range(N_EQUAL):
            send(inst, "eq%d@equal.test" % i)
        pa, pb = peers["127.0.0.15"], peers["127.0.0.16"]

        def equal_done():
            return len(pa.transactions() + pb.transactions()) >= N_EQUAL
        wait_for(lambda: with_rcpt(peers["127.0.0.12"], "f1@fallback.test")
                 and with_rcpt(peers["127.0.0.14"], "b1@busy.test")
                 and with_rcpt(peers["127.0.0.17"], "k1@backup.test")
                 and equal_done(), WAIT)
        check_a(inst, peers)
    finally:
        inst.cleanup()


def check_a(inst, peers):
    """The checks of instance A."""
    R.check(with_rcpt(peers["127.0.0.12"], "f1@fallback.test"),
            "MX fallback: pref 10 refuses connections, pref 20 gets the mail",
            log_tail(inst))
    R.check(inst.wait_log(r"to=<f1@fallback\.test>, relay=mx2\.fallback\.test"
                          r"\[127\.0\.0\.12\]:25.*status=sent", 5),
            "MX fallback: maillog relay=mx2.fallback.test[127.0.0.12]:25",
            "; ".join(inst.log_lines("f1@fallback.test")))
    R.check(with_rcpt(peers["127.0.0.14"], "b1@busy.test") and
            not peers["127.0.0.13"].transactions(None),
            "first MX greets 421: the second MX gets the mail",
            log_tail(inst))
    pa, pb = peers["127.0.0.15"], peers["127.0.0.16"]
    na, nb = len(pa.transactions()), len(pb.transactions())
    R.check(na + nb == N_EQUAL and na > 0 and nb > 0,
            "equal MX preference: %d messages spread over both MX hosts "
            "(%d/%d)" % (N_EQUAL, na, nb), "a=%d b=%d; %s" % (
                na, nb, log_tail(inst)))
    R.check(with_rcpt(peers["127.0.0.17"], "k1@backup.test"),
            "we are backup MX (pref 20), pref 10 works: delivered to pref 10",
            "; ".join(inst.log_lines("k1@backup.test")) or log_tail(inst))
    m = inst.wait_log(r"to=<p1@primary\.test>.*dsn=5\.4\.6.*status=bounced",
                      10)
    R.check(m, "we are the best MX (pref 0): bounced 5.4.6 (mail loops back "
            "to myself)", "; ".join(inst.log_lines("p1@primary.test")) or
            log_tail(inst))
    R.check(not peers["127.0.0.18"].log(),
            "we are the best MX: the lower-preference backup is cut (never "
            "contacted)", "%r" % peers["127.0.0.18"].log()[:2])


# --- instance B -----------------------------------------------------------
def reuse_case(inst, peer):
    """20 messages one after another; fewer connections than messages."""
    delivered = 0
    for i in range(N_REUSE):
        r = "r%d@reuse.test" % i
        if not send(inst, r):
            break
        if not wait_for(lambda: with_rcpt(peer, r), 10):
            break
        delivered += 1
    conns = {e.get("conn") for e in peer.transactions()}
    if not R.check(delivered == N_REUSE, "connection reuse: %d sequential "
                   "messages delivered" % N_REUSE, "only %d; %s" % (
                       delivered, log_tail(inst))):
        return
    R.check(len(conns) < N_REUSE, "connection reuse "
            "(smtp_connection_cache_time_limit=5s): %d messages over %d "
            "connections" % (N_REUSE, len(conns)),
            "%d connections for %d messages" % (len(conns), N_REUSE))


def bulk_submit(port, rcpts, nconn=4):
    """Submit one message per rcpt over nconn parallel sessions; count."""
    done = [0]
    lock = threading.Lock()

    def worker(part):
        s = None
        for r in part:
            for _attempt in range(2):
                try:
                    if s is None:
                        s = smtplib.SMTP("127.0.0.1", port, timeout=20)
                        s.ehlo("bulk.petrel.test")
                    s.sendmail(SENDER, [r], message(r.split("@")[0], r))
                    with lock:
                        done[0] += 1
                    break
                except (smtplib.SMTPException, OSError):
                    try:
                        s and s.close()
                    except OSError:
                        pass
                    s = None
        if s is not None:
            try:
                s.quit()
            except (smtplib.SMTPException, OSError):
                pass
    threads = [threading.Thread(target=worker, args=(rcpts[i::nconn],),
                                daemon=True) for i in range(nconn)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    return done[0]


def dead_case(inst, healthy):
    """1000 messages for a dead site must not delay other mail."""
    # Refused connections fail in a millisecond, so mail submitted while
    # the queue manager runs is deferred as fast as it arrives and never
    # forms a backlog.  A real backlog: queue the 1000 messages while the
    # queue manager is stopped, then start it.
    inst.kill_daemon("qmgr", signal.SIGTERM)
    wait_for(lambda: not inst.daemon_pid("qmgr"), 10)
    t0 = time.time()
    n = bulk_submit(inst.smtp_port, ["d%d@dead.test" % i
                                     for i in range(N_DEAD)])
    R.check(n == N_DEAD, "dead site: %d messages for dead.test queued in "
            "%.0f s (queue manager stopped)" % (N_DEAD, time.time() - t0),
            "only %d queued" % n)
    inst.start()
    t1 = time.time()
    ok = send(inst, "h1@healthy.test") & send(inst, LOCAL)
    got_h = wait_for(lambda: with_rcpt(healthy, "h1@healthy.test"), PROMPT)
    got_l = wait_for(lambda: inst.messages(LOCAL), max(1, PROMPT -
                                                         (time.time() - t1)))
    took = time.time() - t1
    queued = len(inst.queue_files())
    R.check(ok and got_h, "dead site: mail to a healthy domain delivered "
            "within %d s (%.1f s)" % (PROMPT, took), log_tail(inst))
    R.check(ok and got_l, "dead site: mail to a local user delivered within "
            "%d s" % PROMPT, log_tail(inst))
    R.check(queued >= N_DEAD * 0.95, "dead site: dead.test's mail is still "
            "queued meanwhile (%d files)" % queued, "%d queue files" % queued)
    log = inst.log()
    susp = len(re.findall(r"to=<d\d+@dead\.test>.*status=deferred.*delivery "
                          r"temporarily suspended", log))
    conn = len(re.findall(r"to=<d\d+@dead\.test>.*status=deferred "
                          r"\(connect to", log))
    marked = inst.log_lines("destination dead.test: dead for")
    R.check(susp > 0, "dead site: dead.test deferred with 'delivery "
            "temporarily suspended' (%d lines)" % susp,
            "%d 'destination dead.test: dead for' lines: the agent's "
            "SITEFAIL never makes the destination dead (suspect "
            "queue/qmgr_agent.c conn_reply: it passes r->site_failed to "
            "qmgr_job_done after deliver_decoder_reset zeroed it); last: %s"
            % (len(marked), "; ".join(inst.log_lines("dead.test")[-2:])))
    R.check(0 < conn <= 50, "dead site: far fewer connection attempts than "
            "messages (%d 'connect to' deferrals for %d messages)" % (
                conn, N_DEAD), "%d 'connect to' deferrals" % conn)


def cases_b(peers):
    """Connection reuse, then the dead destination."""
    inst = new_instance("rmx-b", {"smtp_connection_cache_time_limit": "5s",
                                  "minimal_backoff_time": "30s",
                                  "maximal_backoff_time": "60s"})
    try:
        reuse_case(inst, peers["127.0.0.20"])
        dead_case(inst, peers["127.0.0.21"])
    finally:
        inst.cleanup()


def main():
    """Peers, instances, the cases."""
    if not os.path.exists(os.path.join(BIN, "petrel-smtp")):
        R.bad("setup", "petrel-smtp is not built in " + BIN)
        return 1
    peers = {}
    work = None
    try:
        work = tempfile.mkdtemp(prefix="petrel-rmx-peers.", dir="/tmp")
        os.chmod(work, 0o755)
        for ip, rules in PEERS.items():
            peers[ip] = Peer(work, [ip + ":25"], rules,
                             name="p" + ip.replace(".", "_")).start()
        cases_a(peers)
        cases_b(peers)
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
    rc = netns_main(SUITE, dns_records, __file__, timeout=145)
    sys.exit(rc if rc is not None else main())
