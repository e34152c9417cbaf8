"""t/lib/auth_probe.py - ask petrel-auth one raw request, as any user.

  auth_ask(inst, user, *fields) -> [str, ...]

The request is framed as common/auth_proto.h says (netstrings "len:data,")
and sent on the instance's private/auth socket by a separate
/usr/bin/python3 run as `user` (None: root), so the privilege tests see what
petrel-auth answers to each kind of peer (SO_PEERCRED).  Returns the answer's
fields, or [] when petrel-auth closed without one.  Bounded: 20 s socket
timeout, 30 s for the whole run.
"""
import os
import subprocess

# Run by the asking user: connect to argv[1], send hex argv[2], print the
# raw answer until petrel-auth closes.
AUTH_ASK = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
s.sendall(bytes.fromhex(sys.argv[2]))
out = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    out += b
sys.stdout.write(out.decode("latin-1"))
"""


def netstrings(*fields):
    """The auth_proto.h framing of fields (str or bytes)."""
    out = b""
    for f in fields:
        f = f.encode() if isinstance(f, str) else f
        out += b"%d:%s," % (len(f), f)
    return out


def auth_ask(inst, user, *fields):
    """One request to petrel-auth as user (None: root); the answer fields
    as a list of str, or [] when there is none."""
    sock = os.path.join(inst.spool, "private", "auth")
    argv = ["/usr/bin/python3", "-c", AUTH_ASK, sock, netstrings(*fields).hex()]
    if user:
        argv = ["runuser", "-u", user, "--"] + argv
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    out, res = p.stdout.decode("latin-1"), []
    while out:
        n, _, rest = out.partition(":")
        if not n.isdigit():
            break
        res.append(rest[:int(n)])
        out = rest[int(n) + 1:]
    return res
