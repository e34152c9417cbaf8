"""dnsnet.py - a network namespace with real DNS for the remote delivery tests.

Public:
  DnsNet(name)    context manager.  Records are declared before start():
      .mx(domain, host, pref)  .a(host, ip)  .aaaa(host, ip6)
      .ptr(ip, name)           (an A record makes its PTR by itself)
      .null_mx(domain)         (RFC 7505: MX 0 ".")
      .servfail(domain)        queries fail (forwarded to a dead server)
      anything else under .test is NXDOMAIN (--local=/test/, no forwarding).
    .start()  creates netns "petrel-t-<pid>", brings lo up, writes
              /etc/netns/<ns>/resolv.conf ("nameserver 127.0.0.1",
              "options timeout:1 attempts:2") and a minimal hosts file,
              starts dnsmasq inside it on 127.0.0.1:53 and waits (bounded)
              until it answers.  Raises NetnsUnavailable when the namespace
              cannot be made (not root, no CAP_SYS_ADMIN).
    .restart()  restart dnsmasq with the current records.
    .exec_self(argv=None, timeout=None)  run "ip netns exec NS python3
              <this script>" with PETREL_IN_NETNS=1 and the environment
              passed on; stdout/stderr pass through; returns its exit code.
    .run_inside(argv, timeout)  run any command inside; (rc, output).
    .stop()   kills dnsmasq (by pid) and every process left in the
              namespace (ip netns pids), deletes the netns and
              /etc/netns/<ns>, also on exceptions (__exit__).
  query(name, qtype, server="127.0.0.1")  a tiny DNS client (UDP):
      (rcode, [answers]) with A/AAAA as text, MX as (pref, host); rcode -1
      on timeout.  CLI: python3 dnsnet.py query NAME TYPE (inside the ns).
  netns_main(suite, setup, script)  the re-exec pattern in one call:
      outside the ns: build DnsNet, call setup(net), start, exec the script
      inside and return its code (FAIL line and 1 when netns is missing);
      inside: returns None so the caller runs its tests.

Usage in a test:
    if not os.environ.get("PETREL_IN_NETNS"):
        sys.exit(netns_main(SUITE, dns_records, __file__))
Security notes: needs root; touches only the namespace and /etc/netns
entry it created (plus stale "petrel-t-<pid>" ones whose pid is dead).
"""
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

PREFIX = "petrel-t-"
SERVFAIL_PORT = 5399    # inside the namespace: answers SERVFAIL to all


class NetnsUnavailable(RuntimeError):
    """The network namespace could not be created."""


def _run(argv, timeout=20):
    """Run a command; (rc, output)."""
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        return 127, str(e)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def _alive(pid):
    """True when a process exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale():
    """Delete petrel-t-<pid> namespaces whose creator is gone."""
    rc, out = _run(["ip", "netns", "list"])
    if rc != 0:
        return
    for line in out.splitlines():
        name = line.split()[0] if line.split() else ""
        if not name.startswith(PREFIX):
            continue
        pid = name[len(PREFIX):]
        if pid.isdigit() and not _alive(int(pid)):
            _kill_ns_pids(name)
            _run(["ip", "netns", "del", name])
            shutil.rmtree("/etc/netns/" + name, ignore_errors=True)


def _kill_ns_pids(ns):
    """Stop every process still inside our namespace."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        rc, out = _run(["ip", "netns", "pids", ns])
        pids = [int(p) for p in out.split() if p.isdigit()] if rc == 0 else []
        pids = [p for p in pids if p != os.getpid()]
        for p in pids:
            try:
                os.kill(p, sig)
            except OSError:
                pass
        if not pids:
            return
        deadline = time.time() + 3
        while time.time() < deadline and any(_alive(p) for p in pids):
            time.sleep(0.05)


class DnsNet:
    """A private network namespace with dnsmasq answering .test names."""

    def __init__(self, name="t"):
        self.label = name
        self.ns = "%s%d" % (PREFIX, os.getpid())
        self.etc = "/etc/netns/" + self.ns
        self.workdir = None
        self.records = []       # dnsmasq options
        self.hosts = {}         # host -> [addresses]
        self.proc = None
        self.sfproc = None
        self.want_servfail = False
        self.created = False

    # --- records -----------------------------------------------------------
    def mx(self, domain, host, pref=10):
        """An MX record domain -> host."""
        self.records.append("--mx-host=%s,%s,%d" % (domain, host, pref))
        return self

    def a(self, host, ip):
        """An A record."""
        self.hosts.setdefault(host, []).append(ip)
        return self

    def aaaa(self, host, ip6):
        """An AAAA record."""
        self.hosts.setdefault(host, []).append(ip6)
        return self

    def ptr(self, ip, name):
        """A PTR record for an IPv4 address (A records get theirs by
        themselves); other reverse names become NXDOMAIN."""
        rev = ".".join(reversed(ip.split("."))) + ".in-addr.arpa"
        self.records.append("--ptr-record=%s,%s" % (rev, name))
        if "--local=/in-addr.arpa/" not in self.records:
            self.records.append("--local=/in-addr.arpa/")
        return self

    def null_mx(self, domain):
        """RFC 7505 null MX: preference 0, exchange "." (root)."""
        self.records.append("--dns-rr=%s,15,000000" % domain)
        return self

    def servfail(self, domain):
        """Queries under domain go to a dead server: SERVFAIL or timeout."""
        self.records.append("--server=/%s/127.0.0.1#%d" % (domain,
                                                            SERVFAIL_PORT))
        self.want_servfail = True
        return self

    def options(self):
        """The dnsmasq record options."""
        opts = list(self.records)
        for host, addrs in self.hosts.items():
            for ip in addrs:
                opts.append("--host-record=%s,%s" % (host, ip))
        return opts

    # --- life cycle --------------------------------------------------------
    def start(self):
        """Create the namespace and start dnsmasq inside it."""
        sweep_stale()
        if os.geteuid() != 0:
            raise NetnsUnavailable("not root")
        rc, out = _run(["ip", "netns", "add", self.ns])
        if rc != 0:
            raise NetnsUnavailable(out.strip() or "ip netns add failed")
        self.created = True
        rc, out = _run(["ip", "netns", "exec", self.ns, "ip", "link", "set",
                        "lo", "up"])
        if rc != 0:
            raise NetnsUnavailable("lo up: " + out.strip())
        os.makedirs(self.etc, exist_ok=True)
        with open(os.path.join(self.etc, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:2\n")
        with open(os.path.join(self.etc, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n::1 localhost ip6-localhost\n")
        import tempfile
        self.workdir = tempfile.mkdtemp(prefix="petrel-dns.", dir="/tmp")
        if self.want_servfail:
            self.sfproc = subprocess.Popen(
                ["ip", "netns", "exec", self.ns, sys.executable,
                 os.path.abspath(__file__), "servfail-server",
                 str(SERVFAIL_PORT)], stdout=subprocess.DEVNULL)
        self._start_dnsmasq()
        return self

    def _start_dnsmasq(self):
        """Start dnsmasq in the namespace and wait until it answers."""
        pidfile = os.path.join(self.workdir, "dnsmasq.pid")
        logf = os.path.join(self.workdir, "dnsmasq.log")
        argv = ["ip", "netns", "exec", self.ns, "dnsmasq", "-k",
                "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--no-poll", "--user=root", "--group=root",
                "--listen-address=127.0.0.1", "--bind-interfaces",
                "--port=53", "--pid-file=" + pidfile, "--local=/test/",
                "--log-facility=" + logf, "--log-queries",
                "--cache-size=0"] + self.options()
        if not shutil.which("dnsmasq"):
            raise NetnsUnavailable("dnsmasq not installed")
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                     stderr=open(logf + ".err", "wb"))
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                with open(logf + ".err", "rb") as f:
                    why = f.read().decode("utf-8", "replace")
                raise NetnsUnavailable("dnsmasq exited: " + why.strip()[-300:])
            rc, out = self.run_inside([sys.executable, os.path.abspath(__file__),
                                       "query", "probe.invalid-name.test",
                                       "A"], timeout=10)
            if rc == 0 and "rcode" in out:
                return
            time.sleep(0.1)
        raise NetnsUnavailable("dnsmasq did not answer in 10 s")

    def _stop_dnsmasq(self):
        """Stop our dnsmasq (the child we started, by pid)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self):
        """Restart dnsmasq with the records as they are now."""
        self._stop_dnsmasq()
        self._start_dnsmasq()

    def stop(self):
        """Tear everything down (idempotent)."""
        self._stop_dnsmasq()
        if self.sfproc and self.sfproc.poll() is None:
            self.sfproc.kill()
            self.sfproc.wait(5)
        self.sfproc = None
        if self.created:
            _kill_ns_pids(self.ns)
            _run(["ip", "netns", "del", self.ns])
            self.created = False
        shutil.rmtree(self.etc, ignore_errors=True)
        if self.workdir and not os.environ.get("PETREL_KEEP"):
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
        return False

    # --- running things inside ------------------------------------------------
    def run_inside(self, argv, timeout=60):
        """Run a command inside the namespace; (rc, output)."""
        return _run(["ip", "netns", "exec", self.ns] + list(argv), timeout)

    def exec_self(self, argv=None, timeout=None):
        """Re-run the calling script inside the namespace; its exit code."""
        argv = argv or [sys.executable, os.path.abspath(sys.argv[0])] + \
            sys.argv[1:]
        env = dict(os.environ, PETREL_IN_NETNS="1", PETREL_NETNS=self.ns,
                   PYTHONDONTWRITEBYTECODE="1")
        child = subprocess.Popen(["ip", "netns", "exec", self.ns] + argv,
                                 env=env)

        def forward(signum, _frame):
            try:
                child.send_signal(signum)
            except OSError:
                pass
        old = {s: signal.signal(s, forward) for s in (signal.SIGTERM,
                                                     signal.SIGHUP,
                                                     signal.SIGINT)}
        try:
            try:
                return child.wait(timeout)
            except subprocess.TimeoutExpired:
                print("FAIL: %s: timed out after %s s" % (self.label, timeout),
                      flush=True)
                child.terminate()
                try:
                    child.wait(15)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait(5)
                return 1
        finally:
            for s, h in old.items():
                signal.signal(s, h)

    def dns_log(self):
        """dnsmasq's query log (for failure reports)."""
        try:
            with open(os.path.join(self.workdir, "dnsmasq.log")) as f:
                return f.read()
        except (OSError, TypeError):
            return ""


def netns_main(suite, setup, script, timeout=None):
    """Outside the namespace: build it, run script inside, return the code.
    Inside: return None (the caller then runs its tests)."""
    if os.environ.get("PETREL_IN_NETNS"):
        return None

    def term(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, term)
    signal.signal(signal.SIGHUP, term)
    net = DnsNet(suite)
    setup(net)
    try:
        with net:
            return net.exec_self([sys.executable, os.path.abspath(script)] +
                                 sys.argv[1:], timeout=timeout)
    except NetnsUnavailable as e:
        print("FAIL: %s: netns unavailable (%s)" % (suite, e), flush=True)
        return 1


# --- a tiny DNS client ---------------------------------------------------------
QTYPES = {"A": 1, "NS": 2, "CNAME": 5, "MX": 15, "TXT": 16, "AAAA": 28}


def _encode_name(name):
    """Wire form of a domain name."""
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def _decode_name(msg, off):
    """(name, offset after it) with compression pointers (bounded)."""
    labels, jumped, end, hops = [], False, off, 0
    while hops < 64:
        hops += 1
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off, jumped = ((n & 0x3F) << 8) | msg[off + 1], True
            continue
        if n == 0:
            if not jumped:
                end = off + 1
            break
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    return ".".join(labels), end


def query(name, qtype="A", server="127.0.0.1", timeout=2.0):
    """(rcode, answers) for one UDP query; rcode -1 on timeout."""
    qid = random.randrange(65536)
    t = QTYPES[qtype.upper()]
    pkt = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + \
        _encode_name(name) + struct.pack(">HH", t, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(pkt, (server, 53))
        msg, _ = s.recvfrom(4096)
    except OSError:
        return -1, []
    finally:
        s.close()
    _id, flags, qd, an, _ns, _ar = struct.unpack(">HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _n, off = _decode_name(msg, off)
        off += 4
    answers = []
    for _ in range(an):
        _n, off = _decode_name(msg, off)
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rd = msg[off:off + rdlen]
        if rtype == 1:
            answers.append(socket.inet_ntop(socket.AF_INET, rd))
        elif rtype == 28:
            answers.append(socket.inet_ntop(socket.AF_INET6, rd))
        elif rtype == 15:
            answers.append((struct.unpack(">H", rd[:2])[0],
                            _decode_name(msg, off + 2)[0]))
        else:
            answers.append((rtype, rd.hex()))
        off += rdlen
    return flags & 0xF, answers


def servfail_server(port):
    """Answer every UDP query on 127.0.0.1:port with SERVFAIL (forever)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    while True:
        msg, peer = s.recvfrom(4096)
        if len(msg) < 12:
            continue
        flags = struct.unpack(">H", msg[2:4])[0]
        flags = 0x8000 | (flags & 0x7900) | 0x0080 | 2  # QR, RD kept, RA, 2
        s.sendto(msg[:2] + struct.pack(">H", flags) + msg[4:6] +
                 b"\x00\x00\x00\x00\x00\x00" + msg[12:], peer)


def _main(argv):
    """CLI: query NAME TYPE | servfail-server PORT."""
    if len(argv) == 2 and argv[0] == "servfail-server":
        servfail_server(int(argv[1]))
        return 0
    if len(argv) == 3 and argv[0] == "query":
        rcode, answers = query(argv[1], argv[2])
        print("rcode=%d answers=%r" % (rcode, answers))
        return 0 if rcode >= 0 else 1
    print("usage: dnsnet.py query NAME TYPE")
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
