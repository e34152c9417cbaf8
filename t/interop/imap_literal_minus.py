#!/usr/bin/env python3
"""imap_literal_minus.py - imapd_literal_minus = yes (RFC 7888 LITERAL-):
CAPABILITY says LITERAL- instead of LITERAL+ before and after login; a
non-synchronising literal of up to 4096 octets works; a bigger one is
refused with BAD, its octets are read and thrown away, and the next
command on the connection is served normally.  Prints PASS/FAIL lines.
"""
import os
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import Instance, Reporter  # noqa: E402

R = Reporter("imap-literal-minus")


def until_tag(f, tag):
    """Lines up to and including the tagged one."""
    lines = []
    while True:
        line = f.readline()
        if not line:
            return lines
        lines.append(line)
        if line.startswith(tag + b" "):
            return lines


def main():
    inst = Instance(overrides={"imapd_literal_minus": "yes"}, name="litminus")
    inst.create()
    try:
        inst.add_user("alice@example.test", "secret")
        inst.start()
        s = socket.create_connection(("127.0.0.1", inst.imap_port), 20)
        f = s.makefile("rb")
        greet = f.readline()
        R.check(b"LITERAL-" in greet and b"LITERAL+" not in greet,
                "rfc7888-4 the greeting's capabilities say LITERAL-", greet)
        s.sendall(b"a LOGIN {18+}\r\nalice@example.test secret\r\n")
        r = until_tag(f, b"a")
        R.check(r and b"a OK" in r[-1] and b"LITERAL-" in r[-1],
                "rfc7888-4 a small non-synchronising literal is taken; "
                "LITERAL- after login too", r)
        msg = b"Subject: big\r\n\r\n" + b"x" * 5000 + b"\r\n"
        s.sendall(b"b APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n")
        r = until_tag(f, b"b")
        R.check(r and r[-1].startswith(b"b BAD"),
                "rfc7888-4 a non-synchronising literal over 4096 octets "
                "is refused", r)
        s.sendall(b"c NOOP\r\n")
        r = until_tag(f, b"c")
        R.check(r and r[-1].startswith(b"c OK"), "the refused octets are "
                "skipped and the next command is served", r)
        s.sendall(b"d LOGOUT\r\n")
        s.close()
    except Exception as e:  # report, never hang
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    finally:
        inst.stop()
        inst.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
