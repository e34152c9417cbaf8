"""dsn_queue.py - RFC 3461/3464 delivery status notifications, queue side.

Messages are injected straight into the injection service (as smtpd does,
over private/inject) with DSN parameters: per-recipient NOTIFY and ORCPT
(the RDSN line) and the message's RET and ENVID (attributes), and the
notices the sender's mailbox receives are parsed with Python's email
package:
  - NOTIFY=SUCCESS: a "delivered" report with Original-Recipient;
  - NOTIFY=NEVER for an unknown user: no report at all;
  - default NOTIFY, RET=HDRS, ENVID: a failure report that attaches only
    the headers (text/rfc822-headers) and names the decoded envelope id;
  - NOTIFY=FAILURE,DELAY on one recipient and NEVER on another of the same
    message: one report naming only the first;
  - a malformed RDSN line is refused by the injection service.
"""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import petrel_inst  # noqa: E402
from petrel_inst import dsn_status_groups as status_groups  # noqa: E402

R = petrel_inst.Reporter("dsn-queue")


def inject(inst, sender, rcpts, attrs, body):
    """Talk the injection protocol; (reply line, qid)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(os.path.join(inst.spool, "private", "inject"))
    f = s.makefile("rwb")
    f.write(b"MAIL %s\n" % sender.encode())
    f.flush()
    qid = f.readline().decode().strip()
    for a in attrs:
        f.write(b"ATTR %s\n" % a.encode())
    for addr, dsn in rcpts:
        f.write(b"RCPT %s\n" % addr.encode())
        if dsn:
            f.write(b"RDSN %s\n" % dsn.encode())
    f.write(b"DATA\n%d\n" % len(body) + body + b"0\n")
    f.flush()
    reply = f.readline().decode().strip()
    s.close()
    return reply, qid




BODY = b"Subject: dsn test\nMessage-ID: <dsn1@example.test>\n\nsecret body line\n"


def main():
    with petrel_inst.Instance(name="dsnq") as inst:
        for u in ("alice", "bob", "carol", "dave"):
            inst.add_user("%s@example.test" % u, "pw")
        # 1. NOTIFY=SUCCESS -> delivered report with Original-Recipient
        reply, _ = inject(inst, "alice@example.test",
                          [("bob@example.test",
                            "notify=SUCCESS orcpt=rfc822;Bob+2Bx@example.test")],
                          [], BODY)
        R.check(reply.startswith("OK "), "RDSN accepted by injection", reply)
        got = inst.wait_reports("alice@example.test", 1)
        if R.check(len(got) == 1, "NOTIFY=SUCCESS: one report to the sender",
                   "%d reports" % len(got)):
            _, rcpts = status_groups(got[0])
            R.check(len(rcpts) == 1 and rcpts[0].get("Action") == "delivered",
                    "NOTIFY=SUCCESS: Action: delivered", repr(rcpts))
            R.check(rcpts[0].get("Original-Recipient", "").replace(" ", "")
                    == "rfc822;Bob+x@example.test",
                    "ORCPT becomes Original-Recipient (xtext decoded)",
                    repr(rcpts[0].get("Original-Recipient")))
            R.check(rcpts[0].get("Status", "").startswith("2."),
                    "NOTIFY=SUCCESS: Status 2.x.x", repr(rcpts[0]))
        R.check(len(inst.messages("bob@example.test")) == 1,
                "NOTIFY=SUCCESS: the recipient got the message", "")

        # 2. NOTIFY=NEVER for an unknown user: no report
        reply, qid = inject(inst, "carol@example.test",
                            [("nobody@example.test", "notify=NEVER")], [],
                            BODY)
        R.check(reply.startswith("OK "), "NEVER message queued", reply)
        inst.wait_log(r"%s: removed" % qid, 20)
        time.sleep(1)
        R.check(len(inst.reports("carol@example.test")) == 0,
                "NOTIFY=NEVER: no report for a failed recipient",
                "%d reports" % len(inst.reports("carol@example.test")))

        # 3. RET=HDRS + ENVID + default NOTIFY: failure report, headers only
        reply, _ = inject(inst, "dave@example.test",
                          [("nobody@example.test", "")],
                          ["dsn_ret=HDRS", "dsn_envid=QQ+2B42"], BODY)
        got = inst.wait_reports("dave@example.test", 1)
        if R.check(len(got) == 1, "default NOTIFY: a failure report",
                   "%d reports" % len(got)):
            per_msg, rcpts = status_groups(got[0])
            R.check(rcpts and rcpts[0].get("Action") == "failed",
                    "failure report: Action: failed", repr(rcpts))
            R.check(per_msg.get("Original-Envelope-Id", "").strip() == "QQ+42",
                    "ENVID becomes Original-Envelope-Id (decoded)",
                    repr(per_msg))
            types = [p.get_content_type() for p in got[0].iter_parts()]
            R.check("text/rfc822-headers" in types,
                    "RET=HDRS: only the headers are returned", repr(types))
            R.check(b"secret body line" not in got[0].as_bytes(),
                    "RET=HDRS: the body is not in the report", "")

        # 4. two recipients: FAILURE,DELAY and NEVER -> one report, first only
        reply, _ = inject(inst, "bob@example.test",
                          [("nobody1@example.test", "notify=FAILURE,DELAY"),
                           ("nobody2@example.test", "notify=NEVER")], [], BODY)
        got = inst.wait_reports("bob@example.test", 1)
        if R.check(len(got) == 1, "mixed NOTIFY: exactly one report",
                   "%d reports" % len(got)):
            _, rcpts = status_groups(got[0])
            finals = [r.get("Final-Recipient", "") for r in rcpts]
            R.check(len(finals) == 1 and "nobody1@example.test" in finals[0],
                    "mixed NOTIFY: only the FAILURE recipient is reported",
                    repr(finals))

        # 5. malformed DSN words are refused
        reply, _ = inject(inst, "alice@example.test",
                          [("bob@example.test", "notify=SOMETIMES")], [], BODY)
        R.check(reply.startswith("ERR"), "malformed RDSN refused", reply)
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
