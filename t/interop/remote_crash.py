"""remote_crash.py - no mail is lost when the queue manager or the remote
delivery agents (petrel-smtp workers) die by SIGKILL in the middle of
remote delivery; duplicates are allowed (at-least-once, as Postfix) and
counted.  Real DNS (dnsmasq in a private network namespace,
t/lib/dnsnet.py) and a slow peer SMTP server (t/lib/peer_smtp.py: 0.5 s
before the reply to the final dot); the script re-runs itself inside the
namespace.

Cases:
  1. 200 messages (each with a unique Message-ID) to crash.test,
     default_destination_concurrency_limit = 20; during delivery SIGKILL
     petrel-qmgr, then every petrel-smtp worker; stop + start the
     instance; wait for an empty queue: every message reached the peer at
     least once, nothing in corrupt/, nothing bounced.
  2. 200 more; during delivery SIGKILL only the petrel-smtp workers (twice),
     no restart: the smtp daemon forks new workers, the queue manager
     retries, every message arrives, the queue empties.
Needs root, ip (iproute2), dnsmasq.
"""
import base64
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

SUITE = "remote-crash"
MYHOST = "mx.petrel.test"
SENDER = "alice@example.test"
N = 200
EMPTY_WAIT = 50     # seconds for the queue to empty after each phase
MID_RE = re.compile(rb"(?im)^Message-ID:\s*<(crash\d+-\d+)@example\.test>")


def dns_records(net):
    """The DNS data of this suite."""
    net.mx("crash.test", "mx.crash.test", 10).a("mx.crash.test", "127.0.0.30")
    net.a(MYHOST, "127.0.0.1")


def message(tag):
    """A small CRLF test message with a unique Message-ID."""
    return ("From: Alice <%s>\r\nTo: rcpt@crash.test\r\nSubject: crash %s\r\n"
            "Message-ID: <%s@example.test>\r\n\r\nbody of %s\r\n"
            % (SENDER, tag, tag, tag)).encode()


def wait_for(cond, timeout):
    """Wait (bounded) until cond() is true; its last value."""
    deadline = time.time() + timeout
    while True:
        v = cond()
        if v or time.time() >= deadline:
            return v
        time.sleep(0.1)


def log_tail(inst, n=6):
    """The last maillog lines, for FAIL reasons."""
    return " | ".join(inst.log().splitlines()[-n:])


def bulk_submit(port, tags, nconn=4):
    """Submit one message per tag over nconn parallel sessions; count."""
    done = [0]
    lock = threading.Lock()

    def worker(part):
        s = None
        for tag in part:
            for _attempt in range(2):
                try:
                    if s is None:
                        s = smtplib.SMTP("127.0.0.1", port, timeout=20)
                        s.ehlo("bulk.petrel.test")
                    s.sendmail(SENDER, ["r%s@crash.test" % tag],
                               message(tag))
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
    threads = [threading.Thread(target=worker, args=(tags[i::nconn],),
                                daemon=True) for i in range(nconn)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return done[0]


def arrived(peer, prefix):
    """{message tag: times accepted} at the peer for tags with prefix."""
    seen = {}
    for e in peer.transactions("accepted"):
        m = MID_RE.search(base64.b64decode(e.get("data_b64") or ""))
        if m and m.group(1).decode().startswith(prefix):
            tag = m.group(1).decode()
            seen[tag] = seen.get(tag, 0) + 1
    return seen


def kill_workers(inst):
    """SIGKILL every petrel-smtp worker (children of the daemon); count."""
    parent = inst.daemon_pid("smtp")
    if not parent:
        return 0
    n = 0
    for pid in inst.children(parent):
        try:
            os.kill(pid, signal.SIGKILL)
            n += 1
        except OSError:
            pass
    return n


def area_files(inst, area):
    """Files in one spool area."""
    found = []
    for _root, _d, files in os.walk(os.path.join(inst.spool, area)):
        found.extend(files)
    return found


def corrupt_files(inst):
    """Files in the spool's corrupt/ area."""
    return area_files(inst, "corrupt")


def final_checks(inst, peer, prefix, label):
    """Every message arrived once or more; empty queue; no corrupt file."""
    tags = ["%s-%d" % (prefix, i) for i in range(N)]
    wait_for(lambda: len(arrived(peer, prefix)) >= N, EMPTY_WAIT)
    empty = inst.wait_queue_empty(EMPTY_WAIT)
    seen = arrived(peer, prefix)
    missing = [t for t in tags if t not in seen]
    dups = sum(c - 1 for c in seen.values())
    R.check(not missing, "%s: all %d messages reached the peer (%d "
            "duplicates)" % (label, N, dups), "%d missing, e.g. %s; %s" % (
                len(missing), missing[:5], log_tail(inst)))
    R.check(empty, "%s: the queue is empty" % label, "%d files left; %s" % (
        len(inst.queue_files()), log_tail(inst)))
    stale = area_files(inst, "defer")
    R.check(not stale, "%s: no stale defer logs left in defer/" % label,
            "%d files, e.g. %r" % (len(stale), stale[:3]))
    bad = corrupt_files(inst)
    R.check(not bad, "%s: nothing in corrupt/" % label, "%r" % bad[:5])
    bounced = inst.log_lines("status=bounced")
    R.check(not bounced, "%s: nothing bounced" % label,
            "; ".join(bounced[:2]))


def phase_qmgr(inst, peer):
    """Kill the queue manager and the agents mid-delivery; restart."""
    tags = ["crash1-%d" % i for i in range(N)]
    n = bulk_submit(inst.smtp_port, tags)
    R.check(n == N, "phase 1: %d messages queued" % N, "only %d" % n)
    got = wait_for(lambda: len(peer.transactions("accepted")) >= 20, 30)
    R.check(got, "phase 1: delivery under way before the kill",
            "%d accepted; %s" % (len(peer.transactions("accepted")),
                                 log_tail(inst)))
    before = len(arrived(peer, "crash1-"))
    R.check(inst.kill_daemon("qmgr", signal.SIGKILL),
            "phase 1: SIGKILL petrel-qmgr", "no qmgr pid")
    k = kill_workers(inst)
    R.check(k > 0, "phase 1: SIGKILL %d petrel-smtp workers" % k,
            "no workers found")
    R.check(before < N, "phase 1: killed mid-delivery (%d of %d had "
            "arrived)" % (before, N), "all had arrived already")
    inst.stop()
    inst.start()
    final_checks(inst, peer, "crash1", "phase 1 (qmgr + agents killed, "
                 "restart)")


def phase_agents(inst, peer):
    """Kill only the agents mid-delivery; the daemon forks new ones."""
    tags = ["crash2-%d" % i for i in range(N)]
    base = len(peer.transactions("accepted"))
    n = bulk_submit(inst.smtp_port, tags)
    R.check(n == N, "phase 2: %d messages queued" % N, "only %d" % n)
    kills = 0
    for step in (15, 60):
        wait_for(lambda: len(peer.transactions("accepted")) >= base + step,
                 30)
        kills += kill_workers(inst)
        time.sleep(0.3)
    R.check(kills > 0 and len(arrived(peer, "crash2-")) < N,
            "phase 2: SIGKILL petrel-smtp workers twice mid-delivery (%d "
            "processes)" % kills, "kills %d, arrived %d" % (
                kills, len(arrived(peer, "crash2-"))))
    parent = inst.daemon_pid("smtp")
    R.check(parent and wait_for(lambda: inst.children(parent), 10),
            "phase 2: the smtp daemon survives and has workers again",
            "daemon pid %r" % parent)
    final_checks(inst, peer, "crash2", "phase 2 (agents killed, no restart)")


def main():
    """The peer, the instance, the phases."""
    if not os.path.exists(os.path.join(BIN, "petrel-smtp")):
        R.bad("setup", "petrel-smtp is not built in " + BIN)
        return 1
    peer = inst = work = None
    try:
        work = tempfile.mkdtemp(prefix="petrel-rcrash-peers.", dir="/tmp")
        os.chmod(work, 0o755)
        peer = Peer(work, ["127.0.0.30:25"], {
            "stall": {"stage": "data_end", "seconds": 0.5}},
            name="pcrash").start()
        inst = Instance({
            "myhostname": MYHOST, "mydestination": MYHOST + ", localhost",
            "queue_run_delay": "1s", "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s", "smtp_connect_timeout": "5s",
            "smtp_data_done_timeout": "20s",
            "default_destination_concurrency_limit": "20"}, name="rcrash")
        inst.create()
        inst.add_user(SENDER, "alicepw")
        inst.start()
        phase_qmgr(inst, peer)
        phase_agents(inst, peer)
    except Exception as e:  # any setup failure is a FAIL, never a hang
        R.bad("setup", repr(e))
    finally:
        if inst:
            inst.cleanup()
        if peer:
            peer.stop()
        if work and not os.environ.get("PETREL_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    return R.exit_code()


R = Reporter(SUITE)

if __name__ == "__main__":
    rc = netns_main(SUITE, dns_records, __file__, timeout=145)
    sys.exit(rc if rc is not None else main())
