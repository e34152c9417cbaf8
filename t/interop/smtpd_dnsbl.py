#!/usr/bin/env python3
"""smtpd_dnsbl.py - DNSBL/DNSWL scoring and greylisting on port 25
(issue 13), against a local DNS zone served by dnsmasq on a free loopback
port (dns_nameservers = 127.0.0.1:N).  Clients bind their socket to the
127.0.0.x address each case needs; mynetworks is 127.0.0.1/32 only.

Zone and sites (smtpd_dnsbl_threshold 2, whitelist threshold -1):
  bl.test=127.0.0.[2..11]*2  bl2.test*1  bl3.test*1  wl.test=127.0.0.5*-2
  127.0.0.2  on bl.test                  -> 2: blocked (550 + log line)
  127.0.0.3  on bl2.test and bl3.test    -> 1+1: blocked (weights add up)
  127.0.0.7  on bl2.test only            -> 1: below the threshold
  127.0.0.4  on bl.test and wl.test      -> 2-2: the allow list cancels
  127.0.0.5  bl.test answers 127.0.0.200 -> filter mismatch, 0
  127.0.0.8  on wl.test only             -> -2: skips the greeting wait
             (talks early and is served) and greylisting
  127.0.0.6  listed nowhere: greylisted (450, 450 too early, accepted
             after the 2 s delay, delivered; still known after an smtpd
             restart - from 127.0.0.16, the same /24 - while a new
             triplet is greylisted again)
  127.0.0.9  on bl.test, but dns_nameservers points at a dead port
             (after a reload): accepted within smtpd_dnsbl_timeout (2 s);
             the reload also cuts the retry window to 1 s, and the next
             RCPT prunes the expired triplets (logged)
Bounded: socket timeouts, dnsmasq waited for at most 10 s and killed by
its pid.  Needs dnsmasq (t/deps.sh: dnsmasq-base).
"""
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import petrel_inst  # noqa: E402

SUITE = "smtpd_dnsbl"
R = petrel_inst.Reporter(SUITE)
USER = "grey@example.test"
GSENDER = "g@grey.example"
USER2 = "grey2@example.test"
USER3 = "grey3@example.test"
ZONE = {
    "2.0.0.127.bl.test": "127.0.0.2",
    "3.0.0.127.bl2.test": "127.0.0.2",
    "3.0.0.127.bl3.test": "127.0.0.2",
    "7.0.0.127.bl2.test": "127.0.0.2",
    "4.0.0.127.bl.test": "127.0.0.3",
    "4.0.0.127.wl.test": "127.0.0.5",
    "5.0.0.127.bl.test": "127.0.0.200",
    "8.0.0.127.wl.test": "127.0.0.5",
    "9.0.0.127.bl.test": "127.0.0.2",
}
SITES = ("bl.test=127.0.0.[2..11]*2 bl2.test*1, bl3.test*1 "
         "wl.test=127.0.0.5*-2")


def free_udp_port():
    """A UDP port that was free on 127.0.0.1 a moment ago."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def dns_a(name, port, timeout=0.5):
    """The first A answer for name from 127.0.0.1:port, or None."""
    q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(x)]) + x.encode() for x in name.split("."))
    q += b"\0" + struct.pack(">HH", 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, ("127.0.0.1", port))
        msg = s.recv(4096)
    except OSError:
        return None
    finally:
        s.close()
    an = struct.unpack(">H", msg[6:8])[0]
    return socket.inet_ntoa(msg[-4:]) if an > 0 and len(msg) >= 16 else None


def start_dnsmasq(port):
    """dnsmasq serving ZONE on 127.0.0.1:port (the rest of .test is
    NXDOMAIN); the Popen once it answers, else None."""
    exe = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
    argv = [exe, "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
            "--port=%d" % port, "--listen-address=127.0.0.1",
            "--bind-interfaces", "--local=/test/", "--pid-file="]
    argv += ["--host-record=%s,%s" % kv for kv in ZONE.items()]
    try:
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    except OSError:
        return None
    deadline = time.time() + 10
    while time.time() < deadline and p.poll() is None:
        if dns_a("2.0.0.127.bl.test", port) == "127.0.0.2":
            return p
        time.sleep(0.1)
    p.kill()
    p.wait()
    return None


class Client:
    """A line-oriented SMTP client from a chosen 127.0.0.x address."""

    def __init__(self, src, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.s.settimeout(20)
        self.s.bind((src, 0))
        self.s.connect(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def reply(self):
        """One whole reply: (code, last line)."""
        last = b""
        while True:
            line = self.f.readline()
            if not line:
                return 0, last
            last = line.rstrip(b"\r\n")
            if line[3:4] != b"-":
                return int(last[:3] or b"0"), last

    def cmd(self, line):
        """Send one command; its reply."""
        self.s.sendall(line.encode() + b"\r\n")
        return self.reply()

    def close(self):
        try:
            self.cmd("QUIT")
        except OSError:
            pass
        self.s.close()


def session(inst, src, rcpt=USER, data=False, sender="s@sender.example"):
    """Greeting, EHLO, MAIL, RCPT (and DATA): the reply codes."""
    c = Client(src, inst.smtp_port)
    codes = [c.reply()[0], c.cmd("EHLO client.example")[0]]
    codes.append(c.cmd("MAIL FROM:<%s>" % sender)[0])
    code, text = c.cmd("RCPT TO:<%s>" % rcpt)
    codes.append(code)
    if data and code == 250:
        c.cmd("DATA")
        codes.append(c.cmd("Subject: grey\r\n\r\nhello\r\n.")[0])
    c.close()
    return codes, text


def blocked_cases(inst):
    """Listed, added up, below the threshold, cancelled, mismatched."""
    c = Client("127.0.0.2", inst.smtp_port)
    greet = c.reply()[0]
    ehlo = c.cmd("EHLO spam.example")
    mail = c.cmd("MAIL FROM:<s@sender.example>")
    quit_ = c.cmd("QUIT")
    c.s.close()
    want = b"550 5.7.1 Service unavailable; client [127.0.0.2] blocked " \
        b"using bl.test"
    R.check(greet == 220 and ehlo[1] == want and mail[1] == want and
            quit_[0] == 221, "listed client gets 550 to all but QUIT",
            "%r %r %r %r" % (greet, ehlo, mail, quit_))
    logged = inst.wait_log(r"DNSBL rank 2 for \S+\[127\.0\.0\.2\] .*blocked",
                           timeout=5)
    rejected = inst.log_lines("NOQUEUE: reject: EHLO from unknown"
                              "[127.0.0.2]: 550 5.7.1")
    R.check(logged and rejected, "log names client, score and site",
            "%r" % inst.log_lines("127.0.0.2")[-4:])
    codes, _ = session(inst, "127.0.0.3")
    R.check(codes[1] == 550 and inst.log_lines(
        "DNSBL rank 2 for unknown[127.0.0.3] (sites: bl2.test*1, "
        "bl3.test*1)"), "two sites of weight 1 add up to the threshold",
        "%r" % codes)
    for src, case in (("127.0.0.7", "one site of weight 1 is below 2"),
                      ("127.0.0.4", "a negative weight cancels a listing"),
                      ("127.0.0.5", "a reply outside the filter counts 0")):
        codes, text = session(inst, src)
        R.check(codes[:3] == [220, 250, 250] and codes[3] in (250, 450),
                case, "%r %r" % (codes, text))
    R.check(inst.log_lines("DNSBL rank 0 for unknown[127.0.0.4]") and
            not inst.log_lines("[127.0.0.5] (sites"),
            "ranks logged for the allow list, not for a mismatch")


def whitelist_case(inst):
    """A DNSWL client talks before the greeting and skips greylisting."""
    c = Client("127.0.0.8", inst.smtp_port)
    c.s.sendall(b"EHLO early.example\r\n")
    greet = c.reply()[0]
    ehlo = c.reply()[0]
    mail = c.cmd("MAIL FROM:<s@sender.example>")[0]
    rcpt = c.cmd("RCPT TO:<%s>" % USER)[0]
    c.close()
    R.check([greet, ehlo, mail, rcpt] == [220, 250, 250, 250],
            "DNSWL client skips the greeting wait and greylisting",
            "%r" % [greet, ehlo, mail, rcpt])


def greylist_cases(inst):
    """450, 450 too early, accepted after the delay and delivered (the
    sender is new: the cases above used 127.0.0.0/24 with another one)."""
    codes, text = session(inst, "127.0.0.6", sender=GSENDER)
    t0 = time.time()
    R.check(codes[3] == 450 and b"4.7.1 Greylisted" in text,
            "unknown triplet gets 450 4.7.1", "%r %r" % (codes, text))
    codes, _ = session(inst, "127.0.0.6", sender=GSENDER)
    R.check(codes[3] == 450, "retry before the delay gets 450 again",
            "%r" % codes)
    time.sleep(max(0.0, t0 + 2.1 - time.time()))
    codes, text = session(inst, "127.0.0.6", data=True, sender=GSENDER)
    R.check(codes[3:] == [250, 250], "retry after the delay is accepted",
            "%r %r" % (codes, text))
    R.check(len(inst.wait_messages(USER, 1, timeout=20)) >= 1,
            "greylisted message delivered after the retry")
    codes, _ = session(inst, "127.0.0.6", rcpt=USER2, sender=GSENDER)
    R.check(codes[3] == 450, "another recipient is a new triplet",
            "%r" % codes)


def restart_cases(inst):
    """The triplet survives an smtpd restart; new ones are greylisted."""
    inst.stop()
    inst.start()
    codes, _ = session(inst, "127.0.0.16", sender=GSENDER)
    R.check(codes[3] == 250, "greylist survives a restart", "%r" % codes)
    codes, _ = session(inst, "127.0.0.6", rcpt=USER3, sender=GSENDER)
    R.check(codes[3] == 450,
            "after the restart a new triplet is still greylisted",
            "%r" % codes)
    db = os.path.join(inst.spool, "data", "greylist.db")
    R.check(os.path.isfile(db), "greylist database in the queue directory")


def dead_dns_case(inst):
    """A dead nameserver: listed client accepted within the timeout.  The
    same reload shortens the retry window to 1 s, so the triplets that
    were never retried have expired; the next check prunes them."""
    inst.reconfigure({"dns_nameservers": "127.0.0.1:%d" % free_udp_port(),
                      "smtpd_greylist_retry_window": "1s"})
    t0 = time.time()
    c = Client("127.0.0.9", inst.smtp_port)
    greet = c.reply()[0]
    took = time.time() - t0
    ehlo = c.cmd("EHLO client.example")[0]
    c.close()
    R.check(greet == 220 and ehlo == 250 and took < 6,
            "dead DNS server: accepted within the timeout",
            "greet %r ehlo %r after %.1fs" % (greet, ehlo, took))
    R.check(took >= 1.5, "dead DNS server: waited for the timeout",
            "%.1fs" % took)
    codes, _ = session(inst, "127.0.0.6", rcpt=USER2, sender=GSENDER)
    R.check(codes[3] == 450 and inst.wait_log(
        r"greylisting: expired triplets removed", timeout=5),
        "expired triplets pruned; an expired one starts over", "%r" % codes)


def main():
    """dnsmasq, one instance, the cases."""
    port = free_udp_port()
    dns = start_dnsmasq(port)
    if dns is None:
        R.bad("dnsmasq", "cannot start dnsmasq on 127.0.0.1:%d" % port)
        return R.exit_code()
    try:
        with petrel_inst.Instance({
                "mynetworks": "127.0.0.1/32",
                "smtpd_peername_lookup": "no",
                "smtpd_greet_wait": "1s",
                "smtpd_forbid_unauth_pipelining": "yes",
                "dns_nameservers": "127.0.0.1:%d" % port,
                "smtpd_dnsbl_sites": SITES,
                "smtpd_dnsbl_threshold": "2",
                "smtpd_dnsbl_whitelist_threshold": "-1",
                "smtpd_dnsbl_timeout": "2s",
                "smtpd_greylist": "yes",
                "smtpd_greylist_delay": "2s"}, name="dnsbl") as inst:
            for u in (USER, USER2, USER3):
                inst.add_user(u, "pw")
            inst.start()
            blocked_cases(inst)
            whitelist_case(inst)
            greylist_cases(inst)
            restart_cases(inst)
            dead_dns_case(inst)
    finally:
        dns.kill()
        dns.wait()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
