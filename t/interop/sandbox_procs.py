#!/usr/bin/env python3
"""sandbox_procs.py - every daemon runs with no_new_privs, and the
network-facing workers under their seccomp filter (issue 13, "Least
privilege"), read from /proc/<pid>/status ("NoNewPrivs: 1", "Seccomp: 2").

One instance; while an SMTP client, a POP3 client and a logged-in IMAP
client are connected:
  - every daemon's parent (and every process of the instance) has
    NoNewPrivs 1;
  - the smtpd worker serving the SMTP client, the pop3d worker serving the
    POP3 client, imapd's login processes and the IMAP session process run
    under a seccomp filter (mode 2);
  - the sessions still work under it (a message sent by SMTP is read by
    POP3 and IMAP: the filter allows what they do).
A sanitizer build (AddressSanitizer's runtime needs calls no profile
allows, see sandbox.h) has no filters: then only no_new_privs and the
working sessions are checked, and the seccomp cases say they were skipped.
Prints PASS/FAIL lines; bounded by socket timeouts.
"""
import imaplib
import os
import poplib
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
import petrel_inst  # noqa: E402
from petrel_inst import _status  # noqa: E402
import imap_interop as ii  # noqa: E402
from imap_raw import tcp_holders  # noqa: E402

R = petrel_inst.Reporter("sandbox_procs")
USER, PW = "sb@example.test", "sb pw"


def holder(inst, server_port, client_sock):
    """The instance process holding the server end of client_sock."""
    pids = tcp_holders(server_port, client_sock.getsockname()[1])
    mine = inst.own_pids()
    pids = [p for p in pids if p in mine]
    return pids[0] if pids else None


def sanitizer_build():
    """True when the daemons are linked with a sanitizer runtime."""
    p = subprocess.run(["ldd", os.path.join(petrel_inst.BIN, "petrel-smtpd")],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                       timeout=30)
    return b"libasan" in p.stdout or b"libubsan" in p.stdout


def field(pid, name):
    """One /proc status field of pid ("" when gone)."""
    return _status(pid).get(name, "") if pid else ""


def main():
    """Connect three clients, read their processes' status."""
    inst = ii.tls_instance("sandbox")
    try:
        inst.add_user(USER, PW)
        inst.start()
        msg = b"Subject: sandbox\r\nMessage-ID: <sb1@example.test>\r\n\r\nhi\r\n"
        inst.submit("s@example.org", [USER], msg)
        inst.wait_messages(USER, 1, timeout=30)
        smtp = smtplib.SMTP("127.0.0.1", inst.smtp_port, timeout=20)
        smtp.ehlo("sandbox.example")
        pop = poplib.POP3("127.0.0.1", inst.pop3_port, timeout=20)
        pop.user(USER)
        pop.pass_(PW)
        imap = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=20)
        imap.login(USER, PW)
        imap.select("INBOX")
        typ, data = imap.fetch("1", "(BODY[])")
        R.check(typ == "OK" and b"Subject: sandbox" in data[0][1] and
                pop.stat()[0] == 1,
                "POP3 and IMAP sessions work under their filters",
                "%r %r" % (typ, pop.stat()))
        procs = {
            "smtpd worker": holder(inst, inst.smtp_port, smtp.sock),
            "pop3d worker": holder(inst, inst.pop3_port, pop.sock),
            "imap session": holder(inst, inst.imap_port, imap.sock),
        }
        login = inst.children(inst.daemon_pid("imapd") or -1)
        procs["imap login process"] = next(
            (p for p in login if field(p, "Seccomp") == "2"),
            login[0] if login else None)
        want = "0" if sanitizer_build() else "2"
        for name, pid in sorted(procs.items()):
            R.check(pid is not None and field(pid, "Seccomp") == want and
                    field(pid, "NoNewPrivs") == "1",
                    "%s runs %s with no_new_privs" % (
                        name, "under a seccomp filter" if want == "2" else
                        "(sanitizer build: seccomp skipped)"),
                    "pid %r Seccomp=%r NoNewPrivs=%r" % (
                        pid, field(pid, "Seccomp"), field(pid, "NoNewPrivs")))
        bad = [p for p in inst.own_pids() if field(p, "NoNewPrivs") not in
               ("1", "")]
        R.check(not bad, "every process of the instance has no_new_privs",
                "without: %r" % [(p, field(p, "Name")) for p in bad])
        smtp.quit()
        pop.quit()
        imap.logout()
    finally:
        inst.cleanup()


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # report, never hang the suite
        R.bad("script", "%s: %s" % (type(e).__name__, e))
    sys.exit(R.exit_code())
