#!/usr/bin/env python3
"""qtool_golden.py - golden-file tests for the queue listing: petrel-qtool -p
(Postfix "postqueue -p" text format, byte for byte) and -j (postqueue -j JSON
field names), over a spool built from queue files with fixed arrival times,
sizes, recipient states and deferral reasons (t/golden/mailq.txt and
t/golden/mailq.jsonl).  Also: an empty queue prints "Mail queue is empty",
"mailq" as the program name means -p, unknown options exit 64.
Runs without daemons (no instance needed); TZ=UTC for the arrival times.
Prints PASS:/FAIL: lines for t/run.sh.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from petrel_inst import BIN, TOP, Reporter, write_queue_file  # noqa: E402

GOLDEN = os.path.join(TOP, "t", "golden")
QTOOL = os.path.join(BIN, "petrel-qtool")

# (queue, qid, arrival, sender, [(status, rcpt)], body size, defer text)
MESSAGES = [
    ("active", "0A1B2C3D4E", 1700000000, "alice@example.org",
     [("P", "bob@example.net")], 450, None),
    ("deferred", "3F6FE5E4A3", 1700003600, "",
     [("P", "carol@example.com"), ("P", "dave@example.com"),
      ("D", "done@example.com"), ("P", "erin@example.com"),
      ("P", "frank@example.com")], 3000,
     "#warned\ncarol@example.com\tconnect to mx.example.com[192.0.2.1]:25: "
     "Connection refused\ndave@example.com\tconnect to mx.example.com"
     "[192.0.2.1]:25: Connection refused\nerin@example.com\thost "
     "mx2.example.com[192.0.2.2] said: 451 4.7.1 Greylisted, please try "
     "again in 300 seconds (in reply to RCPT TO command)\n"),
    ("hold", "1234567890ABC", 1699000000, "weird\x01name@example.org",
     [("P", "gina@example.net")], 123456, None),
    ("incoming", "00005D1", 1700007200, "root@mail.example.test",
     [("P", "harry@example.test"), ("X", "failed@example.test")], 2,
     "#expire\n"),
]


def build_spool(d):
    """Create the queue directories and the queue files."""
    spool = os.path.join(d, "spool")
    for q in ("maildrop", "incoming", "active", "deferred", "hold",
              "corrupt", "defer", "public"):
        os.makedirs(os.path.join(spool, q))
    for queue, qid, t, sender, rcpts, size, defer in MESSAGES:
        body = (b"Subject: x\n\n" + b"y" * size)[:size]
        write_queue_file(os.path.join(spool, queue, qid), t, sender, rcpts,
                         body)
        if defer is not None:
            with open(os.path.join(spool, "defer", qid), "w") as f:
                f.write(defer)
    conf = os.path.join(d, "petrel.conf")
    with open(conf, "w") as f:
        f.write("queue_directory = %s\n" % spool)
    return conf, spool


def run(args, env=None, argv0=None):
    """Run the queue tool; (rc, stdout bytes, stderr text)."""
    e = dict(os.environ, TZ="UTC")
    e.pop("PETREL_CONF", None)
    e.update(env or {})
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=e, timeout=30, executable=args[0] if argv0 is None
                       else argv0)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def compare(rep, name, got, path):
    """Compare with a golden file; PETREL_GOLDEN_UPDATE=1 rewrites it."""
    if os.environ.get("PETREL_GOLDEN_UPDATE"):
        with open(path, "wb") as f:
            f.write(got)
    try:
        with open(path, "rb") as f:
            want = f.read()
    except OSError as e:
        rep.bad(name, "no golden file: %s" % e)
        return
    if got == want:
        rep.ok(name)
        return
    gl, wl = got.splitlines(), want.splitlines()
    for i, (g, w) in enumerate(zip(gl, wl)):
        if g != w:
            rep.bad(name, "line %d: got %r want %r" % (i + 1, g, w))
            return
    rep.bad(name, "length differs: %d vs %d lines" % (len(gl), len(wl)))


def main():
    """Build the spool, list it both ways, compare."""
    rep = Reporter("qtool-golden")
    d = tempfile.mkdtemp(prefix="petrel-golden.")
    try:
        conf, spool = build_spool(d)
        rc, out, err = run([QTOOL, "-C", conf, "-p"])
        rep.check(rc == 0, "qtool -p exits 0", "rc %d %s" % (rc, err))
        compare(rep, "mailq text format matches t/golden/mailq.txt", out,
                os.path.join(GOLDEN, "mailq.txt"))
        rc, out, err = run([QTOOL, "-p"], env={"PETREL_CONF": conf})
        compare(rep, "PETREL_CONF selects the configuration", out,
                os.path.join(GOLDEN, "mailq.txt"))
        rc, out, err = run(["mailq", "-C", conf], argv0=QTOOL)
        compare(rep, "invoked as mailq it lists", out,
                os.path.join(GOLDEN, "mailq.txt"))
        rc, out, err = run([QTOOL, "-C", conf, "-j"])
        compare(rep, "JSON lines match t/golden/mailq.jsonl", out,
                os.path.join(GOLDEN, "mailq.jsonl"))
        try:
            objs = [json.loads(x) for x in out.decode().splitlines()]
            keys = ["queue_name", "queue_id", "arrival_time", "message_size",
                    "forced_expire", "sender", "recipients"]
            rep.check(all(list(o.keys()) == keys for o in objs) and
                      len(objs) == len(MESSAGES),
                      "every JSON line parses with postqueue -j's fields",
                      repr(objs)[:200])
        except ValueError as e:
            rep.bad("every JSON line parses with postqueue -j's fields", e)
        for queue, qid, *_ in MESSAGES:
            os.unlink(os.path.join(spool, queue, qid))
        rc, out, err = run([QTOOL, "-C", conf, "-p"])
        rep.check(out == b"Mail queue is empty\n", "empty queue message",
                  repr(out))
        rc, out, err = run([QTOOL, "-C", conf, "-j"])
        rep.check(rc == 0 and out == b"", "empty queue: no JSON lines",
                  repr(out))
        rc, out, err = run([QTOOL, "-C", conf, "-Z"])
        rep.check(rc == 64 and "usage" in err, "unknown option: usage, 64",
                  "rc %d %s" % (rc, err))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return rep.exit_code()


if __name__ == "__main__":
    sys.exit(main())
