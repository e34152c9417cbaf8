#!/usr/bin/env python3
"""t/bench/imap_big.py - one IMAP server against a 100,000-message folder.

  imap_big.py HOST:PORT --label L [--user perfu100] [--msgs 100000] [--size 4096]
              [--repeat 3] [--word 042424] [--no-fill] [--no-strace] [--out F]
  imap_big.py --summary F [--compare BASE OTHER]

Measures (every figure one JSON line, test "imap_big", to --out and stdout):
  fill        : (re)create the user's maildir with --msgs messages in new/ (untimed
                for the server; ../shared/bench/benchlib.py fill_maildirs);
  cold_select : the first SELECT INBOX (the server builds its index), with the
                session's /proc/<pid>/io rchar/read_bytes deltas;
  select      : SELECT INBOX on a warm index, seconds;
  fetch_flags : UID FETCH 1:* (FLAGS), seconds and response bytes;
  search_text : SEARCH TEXT <word> (a word found in one message body), seconds;
  each warm step --repeat times on fresh connections (median reported), then once
  more under `strace -f -y` attached to the session process, to count the bytes
  read() from message files (paths under new/ or cur/) apart from everything else,
  plus the delta of /proc/<pid>/io rchar/read_bytes over the untraced step.
The session process is the one holding the server end of our TCP connection
(found through /proc/net/tcp and /proc/*/fd), so this works for Dovecot's imap
process and Petrel's session process alike.  Needs root (strace, /proc/*/fd).
Prints figures; never fails on speed.  Bounded: fixed counts, socket timeouts,
strace is stopped after every traced step.
"""
import argparse
import imaplib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SHARED = os.environ.get("PERF_ANCHORS_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "bench")
sys.path.insert(0, SHARED)
import benchlib as bl  # noqa: E402

TIMEOUT = 600
STEPS = ("select", "fetch_flags", "search_text")


def server_socket_inode(conn):
    """Inode of the server end of our IMAP connection (from /proc/net/tcp)."""
    lip, lport = conn.sock.getsockname()[:2]
    rip, rport = conn.sock.getpeername()[:2]
    want_l = "%04X" % rport
    want_r = "%04X" % lport
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            p = line.split()
            loc, rem = p[1].split(":"), p[2].split(":")
            if loc[1] == want_l and rem[1] == want_r:
                return p[9]
    raise RuntimeError("server socket not found in /proc/net/tcp")


def session_pid(conn, tries=50):
    """Pid of the non-root process holding the server end of conn."""
    target = "socket:[%s]" % server_socket_inode(conn)
    for _ in range(tries):
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            d = "/proc/%s/fd" % pid
            try:
                for fd in os.listdir(d):
                    if os.readlink(os.path.join(d, fd)) == target:
                        found.append(int(pid))
                        break
            except OSError:
                continue
        users = [p for p in found if os.stat("/proc/%d" % p).st_uid != 0]
        if len(users) == 1:
            return users[0]
        time.sleep(0.1)
    raise RuntimeError("session process not found (holders %r)" % found)


def proc_io(pid):
    """/proc/<pid>/io as a dict of ints."""
    with open("/proc/%d/io" % pid) as f:
        return {k: int(v) for k, v in (ln.split(": ") for ln in f)}


def connect(a):
    host, port = a.server.rsplit(":", 1)
    m = imaplib.IMAP4(host, int(port), timeout=TIMEOUT)
    m.login(a.user, a.password)
    return m


def run_step(m, step, a):
    """One step on a logged-in connection; returns (seconds, response bytes)."""
    t = time.time()
    if step == "select":
        typ, data = m.select("INBOX")
        n = len(data[0] or b"")
    elif step == "fetch_flags":
        typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
        n = sum(len(x) for x in data if isinstance(x, bytes))
        if typ == "OK" and len(data) != a.msgs:
            raise RuntimeError("FETCH FLAGS returned %d lines" % len(data))
    else:
        typ, data = m.search(None, "TEXT", a.word)
        n = len(data[0] or b"")
        if typ == "OK" and not data[0].strip():
            raise RuntimeError("SEARCH TEXT %s found nothing" % a.word)
    if typ != "OK":
        raise RuntimeError("%s failed: %r" % (step, data[:1]))
    return time.time() - t, n


def prepare(m, step):
    """Bring a fresh connection to the state before `step`."""
    if step != "select":
        m.select("INBOX")


TRACE_RE = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?(\w+)\((\d+)<([^>]*)>.*\)\s+=\s+(-?\d+)")


def classify(path, a):
    if path.startswith("socket:") or path.startswith("TCP") or path.startswith("UNIX"):
        return "socket"
    if "/new/" in path or "/cur/" in path:
        return "message_files"
    return "other_files"


def parse_trace(path, a):
    """Bytes and calls per class from an `strace -y` log."""
    out = {"message_files_bytes": 0, "other_files_bytes": 0, "socket_bytes": 0,
           "message_files_opens": 0, "message_files_mmaps": 0, "read_calls": 0}
    with open(path, errors="replace") as f:
        for line in f:
            if "openat(" in line and ("/new/" in line or "/cur/" in line) and "= -1" not in line \
                    and "O_DIRECTORY" not in line:
                out["message_files_opens"] += 1
                continue
            mm = re.search(r"mmap\(.*?, \d+, [^,]+, [^,]+, (\d+)<([^>]*)>", line)
            if mm and classify(mm.group(2), a) == "message_files":
                out["message_files_mmaps"] += 1
                continue
            m = TRACE_RE.match(line)
            if not m or m.group(1) not in ("read", "pread64", "readv", "preadv", "preadv2"):
                continue
            n = int(m.group(4))
            out["read_calls"] += 1
            if n > 0:
                out[classify(m.group(3), a) + "_bytes"] += n
    return out


def traced_step(a, step):
    """The step once more with strace attached to the session process."""
    m = connect(a)
    prepare(m, step)
    pid = session_pid(m)
    log = tempfile.NamedTemporaryFile(prefix="imap_big.", suffix=".strace", delete=False).name
    st = subprocess.Popen(["strace", "-f", "-y", "-s", "0", "-o", log, "-p", str(pid),
                           "-e", "trace=openat,open,read,pread64,readv,preadv,preadv2,mmap"],
                          stderr=subprocess.PIPE, text=True)
    st.stderr.readline()  # "Process N attached": tracing from here on
    time.sleep(0.1)
    try:
        run_step(m, step, a)
    finally:
        time.sleep(0.2)
        st.send_signal(signal.SIGINT)
        try:
            st.wait(10)
        except subprocess.TimeoutExpired:
            st.kill()
            st.wait()
    res = parse_trace(log, a)
    os.unlink(log)
    m.logout()
    return res


def measure(a):
    """Fill, cold open, then the warm steps; returns the records."""
    recs = []
    if not a.no_fill:
        t = time.time()
        bl.fill_maildirs(a.fill_root, [a.user], a.msgs, a.size, a.owner)
        print("[imap_big] filled %d msgs in %.1fs" % (a.msgs, time.time() - t), file=sys.stderr)
    m = connect(a)
    pid = session_pid(m)
    io0 = proc_io(pid)
    t = time.time()
    typ, data = m.select("INBOX")
    cold = time.time() - t
    io1 = proc_io(pid)
    if typ != "OK" or int(data[0]) != a.msgs:
        raise RuntimeError("cold SELECT: %r %r" % (typ, data[:1]))
    m.uid("FETCH", "1:*", "(FLAGS)")
    m.logout()
    recs.append(rec(a, "cold_select", {"seconds": round(cold, 3),
                                       "rchar": io1["rchar"] - io0["rchar"],
                                       "read_bytes": io1["read_bytes"] - io0["read_bytes"],
                                       "read_syscalls": io1["syscr"] - io0["syscr"]}))
    for step in STEPS:
        times, ios = [], []
        for _ in range(a.repeat):
            c = connect(a)
            prepare(c, step)
            pid = session_pid(c)
            io0 = proc_io(pid)
            s, nbytes = run_step(c, step, a)
            io1 = proc_io(pid)
            c.logout()
            times.append(s)
            ios.append({k: io1[k] - io0[k] for k in ("rchar", "read_bytes", "syscr")})
        met = {"seconds": round(statistics.median(times), 3), "seconds_all": [round(x, 3) for x in times],
               "response_bytes": nbytes,
               "rchar": statistics.median(x["rchar"] for x in ios),
               "read_bytes": statistics.median(x["read_bytes"] for x in ios),
               "read_syscalls": statistics.median(x["syscr"] for x in ios)}
        if not a.no_strace:
            met["strace"] = traced_step(a, step)
        recs.append(rec(a, step, met))
    return recs


def rec(a, step, metrics):
    r = {"test": "imap_big", "label": a.label, "started": bl.now_iso(),
         "params": {"step": step, "msgs": a.msgs, "size": a.size, "word": a.word},
         "metrics": metrics, "complete": True}
    bl.record(a.out, r)
    return r


COLS = [("seconds", "s", "%.3f"), ("rchar", "rchar B", "%.0f"), ("read_bytes", "disk B", "%.0f"),
        ("strace.message_files_bytes", "msg-file B read", "%.0f"),
        ("strace.message_files_opens", "msg files opened", "%.0f"),
        ("strace.other_files_bytes", "index B read", "%.0f")]


def get(m, path):
    for k in path.split("."):
        m = m.get(k) if isinstance(m, dict) else None
    return m


def summary(a):
    recs = [json.loads(ln) for ln in open(a.summary) if ln.startswith("{")]
    recs = [r for r in recs if r["test"] == "imap_big"]
    groups = {}
    for r in recs:
        groups.setdefault((r["label"], r["params"]["step"]), []).append(r)
    print("\n### imap_big (%s messages)\n" % (recs[0]["params"]["msgs"] if recs else "?"))
    print("| label | step | n | " + " | ".join(c[1] + " (median)" for c in COLS) + " |")
    print("|" + "---|" * (len(COLS) + 3))
    med = {}
    for (label, step), rs in groups.items():
        cells = []
        for path, _, f in COLS:
            v = [get(r["metrics"], path) for r in rs]
            v = [x for x in v if x is not None]
            med[(label, step, path)] = statistics.median(v) if v else None
            cells.append(f % med[(label, step, path)] if v else "-")
        print("| %s | %s | %d | %s |" % (label, step, len(rs), " | ".join(cells)))
    if a.compare:
        base, other = a.compare
        print("\n### imap_big ratio %s / %s (seconds, medians; <1 = %s faster)\n" % (other, base, other))
        print("| step | %s s | %s s | ratio |\n|---|---|---|---|" % (base, other))
        for step in ("cold_select",) + STEPS:
            b, o = med.get((base, step, "seconds")), med.get((other, step, "seconds"))
            if b is not None and o is not None:
                print("| %s | %.3f | %.3f | %s |" % (step, b, o, "%.2f" % (o / b) if b else "-"))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("server", nargs="?", help="HOST:PORT")
    ap.add_argument("--label", default="server")
    ap.add_argument("--user", default="perfu100")
    ap.add_argument("--password", default=os.environ.get("PERF_PASSWORD", "perfpass"))
    ap.add_argument("--msgs", type=int, default=100000)
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--word", help="SEARCH TEXT argument (default: the number of a message"
                    " at 42%% of the folder, found in its body only)")
    ap.add_argument("--fill-root", default=os.path.join(os.environ.get("PERF_VMAIL", "/tmp/perfD/vmail"),
                                                        os.environ.get("PERF_DOMAIN", "perf.test")))
    ap.add_argument("--owner", default=os.environ.get("PERF_MAIL_USER", "perfmail"))
    ap.add_argument("--no-fill", action="store_true")
    ap.add_argument("--no-strace", action="store_true")
    ap.add_argument("--out")
    ap.add_argument("--summary", help="print the table of a results file instead of measuring")
    ap.add_argument("--compare", nargs=2, metavar=("BASE", "OTHER"))
    a = ap.parse_args()
    if a.summary:
        return summary(a)
    if not a.server:
        ap.error("HOST:PORT needed")
    if not 1 <= a.msgs <= 1000000 or not 1 <= a.repeat <= 20 or not 256 <= a.size <= 1 << 20:
        ap.error("bounds: 1..1000000 msgs, 1..20 repeats, 256 B..1 MiB size")
    a.word = a.word or "%06d" % (a.msgs * 42 // 100)
    imaplib._MAXLINE = 1 << 24  # the 100,000-number SEARCH/SELECT lines
    measure(a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
