#!/usr/bin/env python3
"""peername.py - smtpd names its clients by forward-confirmed reverse DNS
(Postfix's smtpd_peername_lookup): the PTR name of the client address is
used in the log and the Received: header only when that name resolves
back to the address; otherwise the client is "unknown".

Runs in a private network namespace with dnsmasq (t/lib/dnsnet.py):
  127.0.0.2 <-> good.client.test (PTR and A agree): "connect from
  good.client.test[127.0.0.2]", Received: "(good.client.test
  [127.0.0.2])";
  127.0.0.3 -> liar.client.test, whose A is 127.0.0.9: "unknown", and the
  warning "hostname liar.client.test does not resolve to address
  127.0.0.3";
  127.0.0.4 without PTR: "unknown";
  clients that come back (answers cached per worker): the same names, and
  a warning at every connection from 127.0.0.3;
  smtpd_peername_lookup = no (after reload): "unknown" for 127.0.0.2.
Needs root, ip (iproute2), dnsmasq.
"""
import os
import smtplib
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from dnsnet import netns_main  # noqa: E402
from petrel_inst import Instance, Reporter  # noqa: E402

SUITE = "smtpd-peername"
R = Reporter(SUITE)
RCPT = "alice@example.test"


def dns_records(net):
    net.a("good.client.test", "127.0.0.2")
    net.ptr("127.0.0.3", "liar.client.test")
    net.a("liar.client.test", "127.0.0.9")


def send_from(inst, source, tag):
    """One message from the given source address; True on success."""
    try:
        with smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=30,
                          source_address=(source, 0)) as c:
            c.ehlo("helo-%s.example" % tag)
            c.sendmail("s@remote.example", [RCPT],
                       "Subject: %s\r\n\r\nbody\r\n" % tag)
        return True
    except (OSError, smtplib.SMTPException) as e:
        print("info: sending from %s failed: %r" % (source, e))
        return False


def received_of(inst, tag):
    """The Received: header of the message with Subject tag, unfolded."""
    for raw in inst.messages(RCPT):
        if ("Subject: %s" % tag).encode() in raw:
            head = raw.split(b"\n\n", 1)[0].decode("ascii", "replace")
            for field in head.replace("\n\t", " ").replace("\n ", " ") \
                    .split("\n"):
                if field.startswith("Received:"):
                    return field
    return ""


def case(inst, source, tag, want_name):
    ok = send_from(inst, source, tag)
    R.check(ok, "%s: a client at %s can send" % (tag, source), "refused")
    inst.wait_messages(RCPT, 1)
    deadline = time.time() + 10
    while not received_of(inst, tag) and time.time() < deadline:
        time.sleep(0.1)
    R.check(inst.wait_log(r"connect from %s\[%s\]" % (
        want_name.replace(".", r"\."), source.replace(".", r"\.")), 5),
        "%s: the log says connect from %s[%s]" % (tag, want_name, source),
        "%r" % inst.log_lines("connect from")[-1:])
    rec = received_of(inst, tag)
    R.check("(%s [%s])" % (want_name, source) in rec,
            "%s: Received: names (%s [%s])" % (tag, want_name, source),
            rec[:160])


def main():
    inst = Instance(name="peername")
    try:
        inst.create()
        inst.add_user(RCPT, "pw")
        inst.setup_maildir(RCPT)
        inst.start()
        case(inst, "127.0.0.2", "good", "good.client.test")
        case(inst, "127.0.0.3", "liar", "unknown")
        R.check(inst.wait_log(r"hostname liar\.client\.test does not "
                              r"resolve to address 127\.0\.0\.3", 5),
                "liar: a PTR name that does not confirm is logged",
                "no warning")
        case(inst, "127.0.0.4", "noptr", "unknown")
        # Answers are remembered for a few seconds per worker: a client
        # that comes back keeps its name, and a liar is warned about at
        # every connection, answered from the cache or not.
        for i in range(3):
            case(inst, "127.0.0.2", "again%d" % i, "good.client.test")
        for i in range(3):
            send_from(inst, "127.0.0.3", "liar%d" % i)
        warn = "hostname liar.client.test does not resolve to address " \
            "127.0.0.3"
        deadline = time.time() + 10
        while len(inst.log_lines(warn)) < 4 and time.time() < deadline:
            time.sleep(0.1)
        R.check(len(inst.log_lines(warn)) == 4,
                "liar: each of 4 connections is warned about",
                "%d warnings" % len(inst.log_lines(warn)))
        rc, out = inst.reconfigure({"smtpd_peername_lookup": "no"})
        R.check(rc == 0, "petrel reload", out)
        case(inst, "127.0.0.2", "nolookup", "unknown")
    except Exception as e:  # report, never hang
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    finally:
        inst.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    rc = netns_main(SUITE, dns_records, __file__, timeout=100)
    sys.exit(rc if rc is not None else main())
