#!/usr/bin/env python3
# mkref.py - build the golden queue files (*.ref) from their textual
# descriptions (*.in) straight from the format in common/qfile.h, without
# the C writer, so that test_qfile compares two independent encoders.
# Usage: python3 mkref.py [file.in ...]   (default: every *.in here)
#
# .in lines: "F <sender>", "A <name=value>", "R <address>", "C <text>"
# (content; \n \t \\ \xHH escapes), "N <count> <char>" (count bytes of char
# as content), "# comment".  The arrival time is always 1700000000.000000:
# the test patches the 'T' record of the file it writes to this value.
import glob, os, sys

CHUNK = 65536

def unescape(s):
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s):
            n = s[i + 1]
            if n == 'x':
                out.append(int(s[i + 2:i + 4], 16)); i += 4; continue
            out += {'n': b'\n', 't': b'\t', '\\': b'\\'}[n]
            i += 2; continue
        out += c.encode(); i += 1
    return bytes(out)

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7f; n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)

def rec(t, p):
    return t.encode() + varint(len(p)) + p

def build(path):
    head, content = bytearray(), bytearray()
    head += rec('V', b'PETREL-Q 1') + rec('T', b'1700000000.000000')
    for line in open(path, encoding='utf-8').read().split('\n'):
        if not line or line.startswith('#'):
            continue
        k, v = line[0], line[2:]
        if k == 'F': head += rec('F', unescape(v))
        elif k == 'A': head += rec('A', unescape(v))
        elif k == 'R': head += rec('R', b'P' + unescape(v))
        elif k == 'C': content += unescape(v)
        elif k == 'N':
            cnt, ch = v.split(' ')
            content += ch.encode() * int(cnt)
        else:
            raise SystemExit('%s: bad line %r' % (path, line))
    out = bytes(head) + rec('M', b'')
    for i in range(0, len(content), CHUNK):
        out += rec('C', bytes(content[i:i + CHUNK]))
    out += rec('Z', str(len(content)).encode()) + rec('E', b'')
    return out

here = os.path.dirname(os.path.abspath(__file__))
for p in sys.argv[1:] or sorted(glob.glob(os.path.join(here, '*.in'))):
    with open(p[:-3] + '.ref', 'wb') as f:
        f.write(build(p))
