"""pop3_login.py - pop3d's login stage and session split, on a running
instance with one login process (pop3d_login_process_limit = 1):
  - a client waiting out pop3d_auth_failure_delay after a wrong password
    does not hold the login process: another client is greeted and
    answered meanwhile (the stage is event-driven);
  - commands pipelined after PASS in the same packet reach the session
    process and are answered in order (RFC 2449 PIPELINING);
  - the spawner logs "pop3-login: Login: user=<..>, method=PLAIN, ...";
  - a second login to a mailbox in use gets "-ERR [IN-USE]" from its
    session process, which then answers CAPA (without USER) and QUIT,
    and refuses another USER with [IN-USE];
  - at most 30 commands before a login, then "-ERR Too many commands
    before login." and the connection closes.
Prints "PASS: pop3_login: <case>" / "FAIL: ..." lines.
"""
import os
import socket
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from petrel_inst import Instance, Reporter  # noqa: E402
from pop3_privsep import Pop  # noqa: E402

R = Reporter("pop3_login")
ALICE, PW = "alice@example.test", "secret"


def case_delay_does_not_block(inst):
    """A failure being delayed leaves the login process free."""
    a = Pop(inst.pop3_port)
    a.cmd("USER %s" % ALICE)
    a.sock.sendall(b"PASS wrong\r\n")
    time.sleep(0.1)
    t0 = time.time()
    b = Pop(inst.pop3_port)
    capa = b.cmd("CAPA", multi=True)
    quick = time.time() - t0
    got = a.line()
    slow = time.time() - t0
    R.check(b.greeting.startswith("+OK") and "USER" in capa and quick < 0.8,
            "another client is served while a failure waits its delay",
            "%.2fs %r" % (quick, capa))
    R.check(got.startswith("-ERR [AUTH]") and slow >= 0.8,
            "the failure is answered after pop3d_auth_failure_delay",
            "%.2fs %r" % (slow, got))
    a.close()
    b.close()


def case_pipelined(inst):
    """PASS and what follows it in one packet."""
    c = Pop(inst.pop3_port)
    c.sock.sendall(("USER %s\r\nPASS %s\r\nSTAT\r\nNOOP\r\nQUIT\r\n" %
                    (ALICE, PW)).encode())
    lines = [c.line() for _ in range(5)]
    R.check(lines[0] == "+OK" and lines[1] == "+OK Logged in." and
            lines[2].startswith("+OK 1 ") and lines[3] == "+OK" and
            lines[4] == "+OK Logging out.",
            "commands pipelined after PASS are answered by the session",
            repr(lines))
    R.check(c.line() == "", "the session closes after QUIT")
    c.close()
    R.check(inst.wait_log(r"pop3-login: Login: user=<%s>, method=PLAIN, "
                          r"rip=127\.0\.0\.1, lip=127\.0\.0\.1, mpid=\d+" %
                          ALICE, 10),
            "the spawner logs the login with the session's pid")


def case_in_use(inst):
    """A mailbox held by another session."""
    c1 = Pop(inst.pop3_port)
    c1.cmd("USER %s" % ALICE)
    R.check(c1.cmd("PASS %s" % PW)[0] == "+OK Logged in.", "first login")
    c2 = Pop(inst.pop3_port)
    c2.cmd("USER %s" % ALICE)
    r = c2.cmd("PASS %s" % PW)[0]
    R.check(r.startswith("-ERR [IN-USE]"), "rfc2449-8.1.1 second login "
            "-ERR [IN-USE]", r)
    capa = c2.cmd("CAPA", multi=True)
    R.check(capa[0].startswith("+OK") and "USER" not in capa and
            "UIDL" in capa, "CAPA after IN-USE lists no USER", repr(capa))
    r = c2.cmd("USER %s" % ALICE)[0]
    R.check(r.startswith("-ERR [IN-USE]"), "USER after IN-USE is refused "
            "(reconnect to try again)", r)
    R.check(c2.cmd("QUIT")[0] == "+OK Logging out.", "QUIT after IN-USE")
    R.check(c1.cmd("QUIT")[0] == "+OK Logging out.", "first session QUIT")
    c1.close()
    c2.close()


def case_prelogin_limit(inst):
    """30 commands before a login, then the close."""
    c = Pop(inst.pop3_port)
    c.sock.sendall(b"CAPA\r\n" * 31)
    lines = []
    for _ in range(400):
        ln = c.line()
        if ln == "":
            break
        lines.append(ln)
    R.check(lines[-1:] == ["-ERR Too many commands before login."] and
            lines.count("+OK Capability list follows.") == 30,
            "rfc1939 at most 30 commands before a login, then close",
            repr(lines[-3:]))
    c.close()


def main():
    inst = Instance({"pop3d_login_process_limit": "1",
                     "pop3d_auth_failure_delay": "1s"}, name="pop3login")
    try:
        inst.create()
        inst.add_user(ALICE, PW)
        inst.start()
        qid, why = inst.submit("s@remote.example", [ALICE],
                               "Subject: hi\r\n\r\nhello\r\n")
        R.check(qid, "mail accepted", why)
        inst.wait_messages(ALICE, 1)
        for case in (case_delay_does_not_block, case_pipelined, case_in_use,
                     case_prelogin_limit):
            try:
                case(inst)
            except (OSError, IndexError) as e:
                R.bad(case.__name__, repr(e))
    finally:
        inst.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
