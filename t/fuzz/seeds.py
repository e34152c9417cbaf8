#!/usr/bin/env python3
# seeds.py - `make fuzz-seeds`: fill the seed corpora t/fuzz/corpus/<name>/
# from the test suites, so the fuzzers start from inputs the tests already
# know are interesting: C string literals of the unit tests
# (t/unit/test_*.c, adjacent literals joined, escapes decoded), the lines
# the Expect scripts send (t/conf/<daemon>/*.exp), and the data files of
# t/unit/data/.  Some targets read a selector byte first; their seeds get
# it prepended (one seed per selector value listed).
#
# Files are named by the SHA-1 of their content (the libFuzzer convention,
# so re-running adds nothing twice); existing seeds are never removed; at
# most up to SEEDS_MAX (default 40) seeds per target in all (a corpus that
# already holds that many gets none), shortest inputs first.  Usage: python3 t/fuzz/seeds.py [target ...]; prints what it
# added per target.
import glob
import hashlib
import os
import re
import sys

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
MAX = int(os.environ.get("SEEDS_MAX", "40"))

# target: (sources, selector bytes to prepend, longest seed kept)
# sources: "c:t/unit/test_x.c" literals, "exp:dir" Expect sends,
# "file:glob" whole files.
TABLE = {
    "addr": (["c:t/unit/test_addr.c"], [b""], 1024),
    "auth_proto": (["c:t/unit/test_auth_proto.c"], [b""], 4096),
    "config": (["c:t/unit/test_config.c"], [b""], 4096),
    "deliver": (["c:t/unit/test_deliver.c"], [b""], 4096),
    "dsn_param": (["c:t/unit/test_dsn_param.c"], [b"\x3f", b"\x03"], 1024),
    "hopcount": (["c:t/unit/test_hopcount.c"], [b""], 4096),
    "imap_date": (["c:t/unit/test_imap_date.c"], [b""], 256),
    "imap_mutf7": (["c:t/unit/test_imap_mutf7.c"], [b""], 1024),
    "imap_parse": (["c:t/unit/test_imap_parse.c",
                    "c:t/unit/test_imap_fetch_args.c",
                    "c:t/unit/test_imap_search_args.c",
                    "c:t/unit/test_imap_msg_args.c", "exp:t/conf/imapd"],
                   [b""], 4096),
    "imap_seqset": (["c:t/unit/test_imap_seqset.c"], [b""], 1024),
    "imap_structure": (["file:t/unit/data/mime/*.eml"], [b"\x00", b"\x01"],
                       65536),
    "linereader": (["c:t/unit/test_linereader.c"], [b""], 4096),
    "fuzz_maildir_name": (["c:t/unit/test_maildir.c"], [b""], 1024),
    "mapsource": (["c:t/unit/test_maps.c"], [b""], 4096),
    "mime7": (["c:t/unit/test_mime7.c"], [b""], 65536),
    "mime_decode": (["c:t/unit/test_msg_header.c",
                     "c:t/unit/test_imap_search_args.c"],
                    [b"\x01", b"\x04", b"\x05"], 4096),
    "mime_parse": (["file:t/unit/data/mime/*.eml",
                    "c:t/unit/test_mime_parse.c"], [b""], 65536),
    "msg_header": (["c:t/unit/test_msg_header.c"], [b""], 65536),
    "netmatch": (["c:t/unit/test_netmatch.c"], [b""], 1024),
    "password": (["c:t/unit/test_password.c"], [b"", b"secret\n"], 1024),
    "pop3_parse": (["c:t/unit/test_pop3_parse.c", "exp:t/conf/pop3d"],
                   [b""], 1024),
    "pop3_sasl": (["c:t/unit/test_pop3_parse.c"], [b""], 1024),
    "fuzz_qfile": (["file:t/unit/data/qfile/*.in"], [b""], 65536),
    "smtp_data": (["c:t/unit/test_smtp_data.c"], [b""], 65536),
    "smtp_parse": (["c:t/unit/test_smtp_parse.c", "exp:t/conf/smtpd"],
                   [b""], 1024),
    "smtp_reply": (["c:t/unit/test_smtp_reply.c"], [b""], 4096),
    "smtpd_esmtp": (["c:t/unit/test_smtpd_esmtp.c"], [b""], 1024),
}

LIT = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
ESC = {"n": b"\n", "r": b"\r", "t": b"\t", "0": b"\0", "\\": b"\\",
       '"': b'"', "'": b"'", "a": b"\a", "b": b"\b", "f": b"\f",
       "v": b"\v", "?": b"?"}


def unescape(s):
    """Decode a C string literal's body (hex, octal, simple escapes)."""
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = s[i + 1]
        if e == "x":
            m = re.match(r"[0-9a-fA-F]{1,2}", s[i + 2:])
            out.append(int(m.group(0), 16))
            i += 2 + len(m.group(0))
        elif e in "01234567":
            m = re.match(r"[0-7]{1,3}", s[i + 1:])
            out.append(int(m.group(0), 8) & 0xff)
            i += 1 + len(m.group(0))
        else:
            out += ESC.get(e, e.encode())
            i += 2
    return bytes(out)


def c_literals(path):
    """The string literals of a C file, adjacent ones joined."""
    text = open(path, encoding="utf-8", errors="replace").read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"^\s*#.*$", "", text, flags=re.M)
    out, cur, last_end = [], None, -1
    for m in LIT.finditer(text):
        between = text[last_end:m.start()] if cur is not None else ""
        if cur is not None and between.strip() == "":
            cur += unescape(m.group(1))
        else:
            if cur is not None:
                out.append(cur)
            cur = unescape(m.group(1))
        last_end = m.end()
    if cur is not None:
        out.append(cur)
    return out


def exp_sends(folder):
    """What the Expect scripts send (smtp_cmd $s "...", imap::cmd, bad,
    sendraw), with a CRLF added where the script's helper adds one."""
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "*.exp"))):
        for line in open(path, encoding="utf-8", errors="replace"):
            m = re.search(r'(?:_cmd|::cmd|sendraw|\bsend|\bbad|\bwant)'
                          r'\s+\$\w+\s+"((?:[^"\\]|\\.)*)"', line)
            if m:
                s = m.group(1).replace("\\r", "\r").replace("\\n", "\n")
                s = s.replace('\\"', '"').replace("\\\\", "\\")
                if not s.endswith("\n"):
                    s += "\r\n"
                out.append(s.encode("utf-8", "replace"))
    return out


def gather(sources):
    """Every candidate input of a target's sources."""
    out = []
    for src in sources:
        kind, arg = src.split(":", 1)
        if kind == "c":
            out += c_literals(os.path.join(TOP, arg))
        elif kind == "exp":
            out += exp_sends(os.path.join(TOP, arg))
        else:
            for path in sorted(glob.glob(os.path.join(TOP, arg))):
                out.append(open(path, "rb").read())
    return out


def fill(name):
    """Add up to MAX new seeds to t/fuzz/corpus/<name>/."""
    sources, selectors, longest = TABLE[name]
    folder = os.path.join(TOP, "t", "fuzz", "corpus", name)
    os.makedirs(folder, exist_ok=True)
    have = set(os.listdir(folder))
    seen, new = set(), []
    for data in gather(sources):
        if len(data) < 2 or len(data) > longest or data in seen:
            continue
        seen.add(data)
        for sel in selectors:
            seed = sel + data
            h = hashlib.sha1(seed).hexdigest()
            if h not in have:
                have.add(h)
                new.append((h, seed))
    before = len(os.listdir(folder))
    new.sort(key=lambda x: (len(x[1]), x[0]))
    new = new[:max(0, MAX - before)]
    for h, seed in new:
        with open(os.path.join(folder, h), "wb") as f:
            f.write(seed)
    print("%s: %d new seeds (%d in all)" % (name, len(new), before + len(new)))


def main():
    names = sys.argv[1:] or sorted(TABLE)
    for name in names:
        if name not in TABLE:
            sys.exit("seeds.py: no seed sources for %s" % name)
        fill(name)


if __name__ == "__main__":
    main()
