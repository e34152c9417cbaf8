"""remote_failures.py - what petrel-smtp and the queue manager do when remote
delivery goes wrong: bounces (RFC 3464 delivery status notifications in an
RFC 6522 multipart/report), deferrals and retries, expiry, delay warnings,
notices to postmaster.  Real DNS (dnsmasq in a private network namespace,
t/lib/dnsnet.py) and scripted peers (t/lib/peer_smtp.py); the script re-runs
itself inside the namespace.

Every case has its own sender (a virtual user of the instance), so "the
sender got exactly one notice" is unambiguous.  Instance A has ordinary
lifetimes; instance B has maximal_queue_lifetime=8s and
delay_warning_time=2s.  Both retry fast (queue_run_delay=1s, backoff 1-2 s).
Cases: RCPT 550 (bounce with the DSN fields; the other recipient delivered);
RCPT 450 then accepted on retry (no DSN); greeting 421 and 554, connection
refused, drop mid-DATA (then delivered exactly once), stall past
smtp_data_done_timeout: deferred; null MX 5.1.0, NXDOMAIN 5.x.x, MX to
ourselves 5.4.6: bounced; SERVFAIL: deferred 4.4.3; expiry: failed with
4.x.x or 5.4.7; delay warning: Action: delayed while still queued; null
sender + 550: only a notice to postmaster; an undeliverable bounce: notice
to postmaster, no loop.
Needs root, ip (iproute2), dnsmasq.
"""
import email
import os
import re
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from dnsnet import netns_main  # noqa: E402
from peer_smtp import Peer  # noqa: E402
from petrel_inst import BIN, Instance, Reporter  # noqa: E402

SUITE = "remote-failures"
MYHOST = "mx.petrel.test"
PM = "pm@example.test"
R = Reporter(SUITE)

# domain -> (peer address, rules, sender, recipients); peer None: no peer
CASES = {
    "r550": ("127.0.0.2", {"rcpt": {"bad@r550.test":
                                    "550 5.1.1 <bad@r550.test>: no such "
                                    "user here"}},
             "u550", ["bad@r550.test", "good@r550.test"]),
    "r450": ("127.0.0.3", {"rcpt": {"*": "450 4.2.1 mailbox busy, later"}},
             "u450", ["t@r450.test"]),
    "g421": ("127.0.0.4", {"greeting": "421 4.3.2 too busy"}, "u421",
             ["x@g421.test"]),
    "g554": ("127.0.0.5", {"greeting": "554 5.7.1 go away"}, "u554",
             ["x@g554.test"]),
    "conn": (None, None, "uconn", ["x@conn.test"]),          # 127.0.0.9
    "dropdata": ("127.0.0.10", {"drop": "data_mid"}, "udrop",
                 ["x@dropdata.test"]),
    "stall": ("127.0.0.11", {"stall": {"stage": "data_end", "seconds": 5}},
              "ustall", ["x@stall.test"]),
    "nullmx": (None, None, "unull", ["x@nullmx.test"]),
    "nx": (None, None, "unx", ["x@nx-domain.test"]),
    "sf": (None, None, "usf", ["x@sf.test"]),
    "loop": (None, None, "uloop", ["x@loop.test"]),
    "nsend": ("127.0.0.12", {"rcpt": {"*": "550 5.1.1 nobody here"}}, "",
              ["bad@nsend.test"]),
    "bb": ("127.0.0.13", {"rcpt": {"*": "550 5.1.1 no mailbox here"}},
           "far@farbounce.test", ["bad@bb.test"]),
    "defer": ("127.0.0.14", {"rcpt": {"*": "450 4.2.1 mailbox busy"}},
              "uexp", ["x@defer.test"]),          # instance B
}


def dns_records(net):
    """The DNS data of this suite."""
    for dom, (addr, _r, _s, _rc) in CASES.items():
        if addr:
            net.mx(dom + ".test", "mx." + dom + ".test", 10)
            net.a("mx." + dom + ".test", addr)
    net.mx("farbounce.test", "mx.bb.test", 10)
    net.mx("conn.test", "mx.conn.test", 10).a("mx.conn.test", "127.0.0.9")
    net.null_mx("nullmx.test")
    net.servfail("sf.test")
    net.mx("loop.test", MYHOST, 10).a(MYHOST, "127.0.0.1")
    # nx-domain.test: no data at all -> NXDOMAIN


def addr_of(user):
    """A case's sender address ("" stays the null sender)."""
    return user if (not user or "@" in user) else user + "@example.test"


def overrides(extra=None):
    """Instance settings: fast retries, short timeouts."""
    ov = {"myhostname": MYHOST, "mydestination": MYHOST + ", localhost",
          "queue_run_delay": "1s", "minimal_backoff_time": "1s",
          "maximal_backoff_time": "2s", "smtp_connect_timeout": "2s",
          "smtp_helo_timeout": "5s", "smtp_data_done_timeout": "2s"}
    ov.update(extra or {})
    return ov


def message(case, rcpts):
    """A small CRLF message whose Subject names the case."""
    return ("From: <test@example.test>\r\nTo: %s\r\n"
            "Subject: remote failure case %s\r\n"
            "Message-ID: <%s.%d@example.test>\r\n\r\n"
            "Body of case %s.\r\n" % (", ".join(rcpts), case, case,
                                      os.getpid(), case)).encode()


# --- notices ------------------------------------------------------------------
def norm(v):
    """A header value with whitespace (and folding) collapsed."""
    return " ".join(str(v or "").split())


def parse_dsn(raw):
    """The parts of a delivered notice that the cases check."""
    msg = email.message_from_bytes(raw)
    info = {"from": norm(msg.get("From")),
            "return_path": norm(msg.get("Return-Path")),
            "ctype": msg.get_content_type(),
            "report_type": msg.get_param("report-type"),
            "parts": [], "rcpts": [], "third": b"", "raw": raw}
    parts = msg.get_payload() if msg.is_multipart() else []
    info["parts"] = [p.get_content_type() for p in parts]
    for p in parts:
        if p.get_content_type() == "message/delivery-status":
            blocks = p.get_payload()
            if isinstance(blocks, list):
                for b in blocks[1:]:
                    info["rcpts"].append({k.lower(): norm(v)
                                          for k, v in b.items()})
    if len(parts) > 2:
        info["third"] = parts[2].as_bytes()
    return info


def final_rcpt(block):
    """'rfc822; A@B' -> 'a@b'."""
    v = block.get("final-recipient", "")
    return v.partition(";")[2].strip().strip("<>").lower()


def block_for(info, addr):
    """The per-recipient block about addr (or None)."""
    for b in info["rcpts"]:
        if final_rcpt(b) == addr.lower():
            return b
    return None


def notices(inst, user):
    """Parsed messages in a user's maildir."""
    return [parse_dsn(m) for m in inst.messages(addr_of(user))]


def short_log(inst, needle, n=2):
    """The last maillog lines about needle, for FAIL reasons."""
    lines = [re.sub(r"^\S+ \S+ ", "", ln) for ln in inst.log_lines(needle)]
    return "maillog: " + (" | ".join(lines[-n:]) if lines else "nothing")


def log_has(inst, addr, *needles):
    """A maillog line about addr holds every needle."""
    return any(all(n in ln for n in needles)
               for ln in inst.log_lines("to=<%s>" % addr))


def check_bounce(inst, case, rcpt, status_ok, status_desc, diag=None,
                 peer_host=None):
    """The sender of a case got exactly one failure notice, well formed."""
    user, sub = CASES[case][2], "%s: " % case
    got = notices(inst, user)
    if len(got) != 1:
        R.bad(sub + "the sender gets exactly one notice",
              "%d notices; %s" % (len(got), short_log(inst, rcpt)))
        return None
    R.ok(sub + "the sender gets exactly one notice")
    d = got[0]
    R.check("mailer-daemon" in d["from"].lower() and d["return_path"] == "<>",
            sub + "rfc3464 from MAILER-DAEMON with the null envelope sender",
            "From %r Return-Path %r" % (d["from"], d["return_path"]))
    R.check(d["ctype"] == "multipart/report" and
            d["report_type"] == "delivery-status" and len(d["parts"]) >= 3
            and d["parts"][1] == "message/delivery-status",
            sub + "rfc6522 multipart/report; report-type=delivery-status",
            "%s %s %r" % (d["ctype"], d["report_type"], d["parts"]))
    b = block_for(d, rcpt)
    if b is None:
        R.bad(sub + "rfc3464 Final-Recipient: rfc822; " + rcpt,
              "blocks %r" % d["rcpts"])
        return d
    R.ok(sub + "rfc3464 Final-Recipient: rfc822; " + rcpt)
    R.check(b.get("action", "").lower() == "failed",
            sub + "rfc3464 Action: failed", b.get("action"))
    R.check(status_ok(b.get("status", "")), sub + "Status: " + status_desc,
            b.get("status"))
    if diag:
        R.check(diag in b.get("diagnostic-code", ""),
                sub + "Diagnostic-Code carries the peer's reply",
                b.get("diagnostic-code"))
    if peer_host:
        mta = b.get("remote-mta", "")
        R.check(peer_host[0] in mta or peer_host[1] in mta,
                sub + "Remote-MTA names the peer", repr(mta))
    subj = ("remote failure case %s" % case).encode()
    R.check(subj in d["third"], sub + "the third part holds the original "
            "message's Subject", d["third"][:200])
    return d


# --- the run --------------------------------------------------------------------
def poll(conds, timeout):
    """Wait (bounded) until every condition is true; {name: bool}."""
    deadline = time.time() + timeout
    state = {}
    while True:
        for name, fn in conds.items():
            if not state.get(name):
                state[name] = bool(fn())
        if all(state.values()) or time.time() >= deadline:
            return state
        time.sleep(0.2)


def make_instance(extra, users, work):
    """A started instance with virtual users and postmaster -> pm."""
    inst = Instance(overrides(extra), name="rfail")
    inst.create()
    for u in users + ["pm"]:
        inst.add_user(addr_of(u), "pw-" + u)
    inst.set_aliases("postmaster: %s\nroot: %s\n" % (PM, PM))
    inst.start()
    return inst


def submit_case(inst, case):
    """Queue the case's message; PASS/FAIL on smtpd's answer."""
    _a, _r, user, rcpts = CASES[case]
    qid, why = inst.submit(addr_of(user), rcpts, message(case, rcpts))
    R.check(qid, "%s: smtpd queues the message" % case, why)


def run(insta, instb, peers):
    """Submit everything, wait, flip the retry peers, check."""
    for case in CASES:
        submit_case(instb if case == "defer" else insta, case)
    deferred = {c: CASES[c][3][0] for c in
                ("r450", "g421", "g554", "conn", "dropdata", "stall")}
    seen = {"delay_queued": None}

    def delay_seen():
        got = notices(instb, "uexp")
        if got and seen["delay_queued"] is None:
            seen["delay_queued"] = len(instb.queue_files())
        return bool(got)
    conds = {c: (lambda a=a: log_has(insta, a, "status=deferred"))
             for c, a in deferred.items()}
    conds.update({c: (lambda c=c: notices(insta, CASES[c][2]))
                  for c in ("r550", "nullmx", "nx", "loop")})
    conds["sf"] = lambda: log_has(insta, "x@sf.test", "status=deferred")
    conds["drop seen"] = lambda: peers["dropdata"].transactions("dropped")
    conds["pm"] = lambda: len(insta.messages(PM)) >= 2
    conds["good"] = lambda: peers["r550"].transactions("accepted")
    conds["delay"] = delay_seen
    state = poll(conds, 30)
    for c in deferred:
        R.check(state[c], "%s: deferred (maillog status=deferred)" % c,
                short_log(insta, deferred[c]))
        if c in peers:
            R.check(peers[c].wait_log(bool, 8), "%s: the agent did talk to the peer" % c,
                    "no connection logged by the peer at %s" % CASES[c][0])
    R.check(log_has(insta, "x@sf.test", "status=deferred", "4.4.3"),
            "sf: SERVFAIL defers with 4.4.3", short_log(insta, "x@sf.test"))
    R.check(state["drop seen"], "dropdata: the peer saw the drop mid-DATA",
            "peer log %r" % peers["dropdata"].log()[-2:])

    # the peers behave now: the deferred mail must get through
    peers["r450"].set_rules({})
    peers["dropdata"].set_rules({})
    later = poll({c: (lambda c=c: peers[c].transactions("accepted"))
                  for c in ("r450", "dropdata")}, 15)
    R.check(later["r450"], "r450: delivered on retry after the peer accepts",
            short_log(insta, "t@r450.test"))
    R.check(later["dropdata"], "dropdata: delivered once the peer behaves",
            short_log(insta, "x@dropdata.test"))
    final = poll({"exp": lambda: len(notices(instb, "uexp")) >= 2,
                  "pm2": lambda: len(insta.messages(PM)) >= 2}, 20)
    time.sleep(2)  # duplicates, late notices and loops would show by now
    checks_a(insta, peers)
    checks_b(instb, seen, final)


def checks_a(insta, peers):
    """Assertions on instance A."""
    acc = peers["dropdata"].transactions("accepted")
    R.check(len(acc) == 1, "dropdata: exactly one copy delivered",
            "%d accepted transactions" % len(acc))
    for c in ("r450", "g421", "g554", "conn", "dropdata", "stall", "sf"):
        n = len(notices(insta, CASES[c][2]))
        R.check(n == 0, "%s: no notice to the sender" % c, "%d notices" % n)
    good = [e for e in peers["r550"].transactions("accepted")
            if "<good@r550.test>" in e["rcpts"]]
    R.check(len(good) == 1, "r550: the accepted recipient is delivered once",
            "%d; %s" % (len(good), short_log(insta, "good@r550.test")))
    d = check_bounce(insta, "r550", "bad@r550.test",
                     lambda s: s == "5.1.1", "5.1.1",
                     diag="no such user here",
                     peer_host=("mx.r550.test", "127.0.0.2"))
    if d is not None:
        R.check(block_for(d, "good@r550.test") is None,
                "r550: the delivered recipient is not in the notice",
                "blocks %r" % [final_rcpt(b) for b in d["rcpts"]])
    check_bounce(insta, "nullmx", "x@nullmx.test", lambda s: s == "5.1.0",
                 "5.1.0 (rfc7505 null MX)")
    check_bounce(insta, "nx", "x@nx-domain.test",
                 lambda s: s.startswith("5."), "5.x.x (NXDOMAIN)")
    check_bounce(insta, "loop", "x@loop.test", lambda s: s == "5.4.6",
                 "5.4.6 (MX points at myhostname)")
    pm = [parse_dsn(m) for m in insta.messages(PM)]
    ns = [d for d in pm if block_for(d, "bad@nsend.test")]
    R.check(len(ns) == 1, "nsend: null sender + 550: one notice to "
            "postmaster", "%d of %d postmaster messages; %s" %
            (len(ns), len(pm), short_log(insta, "bad@nsend.test")))
    tries = peers["nsend"].transactions(None)
    R.check(len(tries) == 1 and tries[0]["mail"] == "<>",
            "nsend: the 550 is final: one attempt with MAIL FROM:<>",
            "%r" % [(e["mail"], e["rcpts_refused"]) for e in tries])
    far = [d for d in pm if block_for(d, "far@farbounce.test")]
    R.check(len(far) == 1, "bb: an undeliverable bounce goes to postmaster "
            "as a notice", "%d of %d postmaster messages; %s" %
            (len(far), len(pm), short_log(insta, "far@farbounce.test")))
    tries = [e for e in peers["bb"].transactions(None) if e["mail"] == "<>"]
    R.check(len(tries) == 1 and tries[0]["rcpts_refused"] ==
            ["<far@farbounce.test>"], "bb: the bounce was tried once with "
            "MAIL FROM:<> and is not bounced again",
            "%r" % [(e["mail"], e["rcpts_refused"]) for e in tries])


def checks_b(instb, seen, final):
    """Assertions on instance B (delay warning, expiry)."""
    got = notices(instb, "uexp")
    delayed = [d for d in got if (block_for(d, "x@defer.test") or {})
               .get("action", "").lower() == "delayed"]
    failed = [d for d in got if (block_for(d, "x@defer.test") or {})
              .get("action", "").lower() == "failed"]
    R.check(len(delayed) == 1 and seen["delay_queued"],
            "defer: delay_warning_time=2s: one Action: delayed notice while "
            "the message is still queued",
            "%d delayed; queue files then: %s; %s" %
            (len(delayed), seen["delay_queued"], short_log(instb, "x@defer")))
    if delayed:
        R.check(delayed[0]["return_path"] == "<>" and
                delayed[0]["ctype"] == "multipart/report",
                "defer: the delay notice is a DSN with the null sender",
                "%s %s" % (delayed[0]["return_path"], delayed[0]["ctype"]))
    if len(failed) == 1:
        st = block_for(failed[0], "x@defer.test").get("status", "")
        R.check(st.startswith("4.") or st == "5.4.7",
                "defer: maximal_queue_lifetime=8s: expired, Action: failed, "
                "Status 4.x.x or 5.4.7", st)
    else:
        R.bad("defer: maximal_queue_lifetime=8s: expired, Action: failed",
              "%d failure notices (waited: %s); %s" %
              (len(failed), final, short_log(instb, "x@defer")))
    R.check(instb.wait_queue_empty(3), "defer: the expired message leaves "
            "the queue", "%d files" % len(instb.queue_files()))


def main():
    """Peers, two instances, the cases."""
    if not os.path.exists(os.path.join(BIN, "petrel-smtp")):
        R.bad("setup", "petrel-smtp is not built in " + BIN)
        return 1
    peers, insts, work = {}, [], None
    try:
        work = tempfile.mkdtemp(prefix="petrel-rfail-peers.", dir="/tmp")
        for case, (addr, rules, _s, _r) in CASES.items():
            if addr:
                peers[case] = Peer(work, [addr + ":25"], rules,
                                   name="p_" + case).start()
        users = [CASES[c][2] for c in CASES
                 if CASES[c][2] and "@" not in CASES[c][2] and c != "defer"]
        insta = make_instance({}, users, work)
        insts.append(insta)
        instb = make_instance({"maximal_queue_lifetime": "8s",
                               "bounce_queue_lifetime": "8s",
                               "delay_warning_time": "2s"}, ["uexp"], work)
        insts.append(instb)
        run(insta, instb, peers)
    except Exception as e:  # any setup failure is a FAIL, never a hang
        R.bad("setup", repr(e))
    finally:
        for inst in insts:
            inst.cleanup()
        for p in peers.values():
            p.stop()
        if work and not os.environ.get("PETREL_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    return R.exit_code()


if __name__ == "__main__":
    rc = netns_main(SUITE, dns_records, __file__, timeout=115)
    sys.exit(rc if rc is not None else main())
