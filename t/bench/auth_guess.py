"""auth_guess.py - how many passwords one address can try per minute: a
guesser with N parallel IMAP connections from 127.0.0.2 sends wrong LOGINs
as fast as the server answers, for S seconds, once with the address under
the failure penalties (auth_penalty_*, defaults) and once with it in
auth_penalty_exceptions.  Prints the password checks petrel-auth made
(its "authentication failed" lines) and the rate per minute.  Figures
only; never fails on them.
Usage (after make): PETREL_BIN=... python3 t/bench/auth_guess.py [N [S]]
"""
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import Instance  # noqa: E402


def guesser(port, stop, src):
    """Wrong LOGINs on one connection until stop; reconnects when closed."""
    n = 0
    while not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=30,
                                         source_address=(src, 0))
            f = s.makefile("rb")
            f.readline()
            while not stop.is_set():
                n += 1
                s.sendall(b'a LOGIN "alice@example.test" "guess%d"\r\n' % n)
                line = f.readline()
                while line and not line.startswith(b"a "):
                    line = f.readline()
                if not line:
                    break
            s.close()
        except OSError:
            time.sleep(0.1)


def run(exempt, conns, secs):
    """One run; the number of password checks made."""
    inst = Instance({"auth_penalty_exceptions":
                     "127.0.0.2/32" if exempt else "127.0.0.1/32",
                     "imapd_auth_failure_limit": "100",
                     "auth_process_limit": "4"}, name="guess")
    try:
        inst.create()
        inst.add_user("alice@example.test", "right-one")
        inst.start()
        stop = threading.Event()
        ts = [threading.Thread(target=guesser,
                               args=(inst.imap_port, stop, "127.0.0.2"))
              for _ in range(conns)]
        for t in ts:
            t.start()
        time.sleep(secs)
        stop.set()
        for t in ts:
            t.join(40)
        return len(inst.log_lines("authentication failed: service=imap"))
    finally:
        inst.cleanup()


def main():
    conns = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    secs = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    for exempt in (True, False):
        n = run(exempt, conns, secs)
        print("%-34s %d connections, %d s: %5d checks, %7.1f a minute" % (
            "exempt (no penalty):" if exempt else "penalised (defaults):",
            conns, secs, n, n * 60.0 / secs), flush=True)


if __name__ == "__main__":
    main()
