"""imap_raw.py - a minimal line-level IMAP client for tests that need exact
timing, raw bytes or a half-finished conversation (imaplib hides these).

Public:
  Raw(port, tls=False, timeout=15)  connect to 127.0.0.1:port (TLS without
      certificate checks when tls); .greeting holds the first line.
      .send(bytes)           write raw bytes.
      .cmd(text) -> (tag, lines, elapsed)  send "<tag> text\\r\\n", read until
                             the tagged reply (or EOF: lines end with b"");
                             elapsed is seconds until the tagged line.
      .readline() -> bytes   one line (b"" at EOF).
      .eof(wait) -> bool     True when the server closed the connection
                             within wait seconds.
      .local_port            the client's port (to find the socket in /proc).
      .close()
  tagged_ok(lines)           True when the last line is a tagged OK.
  tcp_holders(server_port, client_port)  pids holding the server side of a
                             loopback TCP connection (/proc/net/tcp).
Security: test-only; no certificate verification.
"""
import os
import socket
import ssl
import time


class Raw:
    """One IMAP connection driven line by line."""

    def __init__(self, port, tls=False, timeout=15):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.local_port = s.getsockname()[1]
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s)
        self.sock = s
        self.buf = b""
        self.n = 0
        self.greeting = self.readline()

    def send(self, data):
        """Write raw bytes."""
        self.sock.sendall(data)

    def readline(self):
        """One CRLF-terminated line, or b"" at EOF."""
        while b"\r\n" not in self.buf:
            try:
                got = self.sock.recv(65536)
            except (ConnectionError, ssl.SSLError):
                got = b""
            if not got:
                line, self.buf = self.buf, b""
                return line
            self.buf += got
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line + b"\r\n"

    def cmd(self, text):
        """Send one tagged command; (tag, reply lines, seconds)."""
        self.n += 1
        tag = "r%d" % self.n
        t0 = time.monotonic()
        self.send(("%s %s\r\n" % (tag, text)).encode())
        lines = []
        while True:
            line = self.readline()
            lines.append(line)
            if not line or line.startswith(tag.encode() + b" "):
                return tag, lines, time.monotonic() - t0

    def eof(self, wait=5.0):
        """True when the peer closes within wait seconds (lines skipped)."""
        self.sock.settimeout(wait)
        deadline = time.monotonic() + wait
        try:
            while time.monotonic() < deadline:
                if self.readline() == b"":
                    return True
        except socket.timeout:
            return False
        return False

    def close(self):
        """Close, ignoring errors."""
        try:
            self.sock.close()
        except OSError:
            pass


def tagged_ok(lines):
    """Whether the final reply line is a tagged OK."""
    if not lines or not lines[-1]:
        return False
    parts = lines[-1].split(b" ", 2)
    return len(parts) >= 2 and parts[1] == b"OK"


def tcp_holders(server_port, client_port):
    """Pids holding the server side of a loopback TCP connection."""
    want = ":%04X" % server_port, ":%04X" % client_port
    inode = None
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[1].endswith(want[0]) and parts[2].endswith(want[1]):
                inode = parts[9]
    if inode is None:
        return []
    link, out = "socket:[%s]" % inode, []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            for fd in os.listdir("/proc/%s/fd" % p):
                if os.readlink("/proc/%s/fd/%s" % (p, fd)) == link:
                    out.append(int(p))
                    break
        except OSError:
            pass
    return out
