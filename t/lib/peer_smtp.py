"""peer_smtp.py - a scriptable peer SMTP server for the remote delivery tests
(Python 3.11 standard library only).

CLI:
  python3 peer_smtp.py --listen 127.0.0.2:25 [--listen [::1]:25 ...]
      --rules RULES.json --log LOG.jsonl [--cert C --key K] [--ready FILE]

RULES.json is re-read at every new connection, so a test can change the
behaviour between two delivery attempts.  Every key is optional:
  "refuse": true            accept and close at once (RST), nothing said
  "greeting": "220 peer ESMTP" | "421 busy" | "554 go away"
                            421: sent, then the connection closes; another
                            non-2xx: every command but QUIT gets 503
  "ehlo": false             EHLO gets 502, HELO works
  "ehlo_reply": "554 no"    a custom EHLO refusal
  "helo_name": "peer.test"  the name in the 250 EHLO/HELO reply
  "extensions": ["PIPELINING", "SIZE 10000000", "8BITMIME", "STARTTLS",
                 "ENHANCEDSTATUSCODES"]   (default: all of these but STARTTLS
                            is offered only with --cert)
  "mail_reply": "250 2.1.0 ok"
  "rcpt": {"<a@b.test>" | "a@b.test" | "*@b.test" | "*": "550 5.1.1 no"}
  "data_reply": "250 2.0.0 queued as X"   (any code: 4xx/5xx reject)
  "drop": "mail" | "rcpt" | "data_start" | "data_mid" | "after_dot"
                            close the connection at that stage, no reply
  "stall": {"stage": S, "seconds": N} (or a list of them); S is one of
           "greeting", "ehlo", "mail", "rcpt", "data_start", "data_end",
           "quit": wait N seconds before that reply
  "tls_fail": true          STARTTLS gets 220, then garbage and a close
  "log_data": false         (benchmarks) log data_len only, no data_b64
A reply text may hold several lines separated by "\n"; they are sent as a
multi-line reply.

LOG.jsonl gets one JSON object per line, per completed or aborted
transaction, and one (with "mail": null, "outcome": "nomail") for a
connection that ended without any MAIL command:
  {"conn": n, "peer": ip, "local": "ip:port", "helo": name, "esmtp": bool,
   "tls": bool, "mail": "<addr>", "mail_params": "SIZE=.. BODY=..",
   "rcpts": [accepted], "rcpts_refused": [...], "data_b64": base64 of the
   DATA bytes exactly as received (dot-stuffed, CRLF; the final ".\r\n" not
   included) or null, "data_len": n or null,
   "outcome": "accepted" | "rejected" | "dropped" | "aborted" |
   "mail_rejected" | "no_rcpts" | "timeout" | "nomail" | "too_big",
   "time": unix time}
Bounds: a command line 4096 bytes, a message 50 MB, 60 s idle.

Python API for tests:
  Peer(workdir, listens, rules=None, cert=None, key=None)  .start(timeout)
      .set_rules(dict) .log() -> list of dicts .wait_log(pred, timeout)
      .stop()
  read_log(path), write_rules(path, dict), unstuff(data_bytes)
Security notes: a test tool; it binds only the addresses it is given and
writes only its own log; every input is bounded.
"""
import argparse
import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

LINE_MAX = 4096
MSG_MAX = 50 * 1024 * 1024
IDLE = 60
DEFAULT_EXT = ["PIPELINING", "SIZE 10000000", "8BITMIME", "STARTTLS",
               "ENHANCEDSTATUSCODES"]


class Drop(Exception):
    """Close the connection now (a rule said so, or the client left)."""


def parse_listen(spec):
    """'127.0.0.2:25' or '[::1]:25' -> (family, (host, port))."""
    if spec.startswith("["):
        host, _, port = spec[1:].partition("]:")
        return socket.AF_INET6, (host, int(port))
    host, _, port = spec.rpartition(":")
    return socket.AF_INET, (host, int(port))


def format_reply(text):
    """A (possibly multi-line) reply text as CRLF wire bytes."""
    lines = [ln for ln in str(text).split("\n") if ln] or ["250 ok"]
    code = lines[0][:3]
    out = []
    for i, ln in enumerate(lines):
        rest = ln[4:] if ln[:3].isdigit() else ln
        sep = " " if i == len(lines) - 1 else "-"
        out.append("%s%s%s\r\n" % (code, sep, rest))
    return "".join(out).encode("utf-8", "replace")


def load_rules(path):
    """The rules (an empty dict when the file is missing or broken)."""
    try:
        with open(path) as f:
            rules = json.load(f)
        return rules if isinstance(rules, dict) else {}
    except (OSError, ValueError):
        return {}


def strip_addr(arg):
    """'<A@B>' or 'A@B' (first word) -> 'a@b'."""
    a = arg.strip().split(" ")[0]
    if a.startswith("<"):
        a = a[1:]
    if a.endswith(">"):
        a = a[:-1]
    return a.lower()


class Logger:
    """Thread-safe JSON lines appender."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.path = path
        self.count = 0

    def write(self, obj):
        """Append one object as a line."""
        obj["time"] = time.time()
        line = json.dumps(obj) + "\n"
        with self.lock:
            with open(self.path, "a") as f:
                f.write(line)
                f.flush()


class Session:
    """One SMTP connection."""

    def __init__(self, server, sock, peer, local, conn_no):
        self.srv = server
        self.sock = sock
        self.peer = peer
        self.local = local
        self.conn = conn_no
        self.buf = b""
        self.rules = load_rules(server.rules_path)
        self.helo = None
        self.esmtp = False
        self.tls = False
        self.logged_any = False
        self.reset()

    # --- I/O -----------------------------------------------------------
    def reset(self):
        """Forget the current transaction."""
        self.mail = None
        self.mail_params = ""
        self.rcpts = []
        self.refused = []

    def send(self, text):
        """Send one reply."""
        try:
            self.sock.sendall(format_reply(text))
        except OSError:
            raise Drop("send")

    def fill(self):
        """Read more bytes into the buffer; Drop on EOF/timeout."""
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise Drop("timeout")
        except (OSError, ssl.SSLError):
            raise Drop("read error")
        if not data:
            raise Drop("eof")
        self.buf += data

    def readline(self):
        """One command line without CRLF (bounded)."""
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 1:]
                if len(line) > LINE_MAX:
                    self.send("500 5.5.2 line too long")
                    raise Drop("long line")
                return line.rstrip(b"\r").decode("utf-8", "replace")
            if len(self.buf) > LINE_MAX:
                self.send("500 5.5.2 line too long")
                raise Drop("long line")
            self.fill()

    def stall(self, stage):
        """Sleep when a stall rule names this stage."""
        st = self.rules.get("stall")
        for s in (st if isinstance(st, list) else [st] if st else []):
            if isinstance(s, dict) and s.get("stage") == stage:
                time.sleep(float(s.get("seconds", 0)))

    def drop_at(self, stage, outcome="dropped"):
        """Close without a reply when the drop rule names this stage."""
        if self.rules.get("drop") == stage:
            raise Drop(outcome)

    # --- logging ---------------------------------------------------------
    def log(self, outcome, data=None):
        """One line for the current transaction (or connection)."""
        self.logged_any = True
        self.srv.logger.write({
            "conn": self.conn, "peer": self.peer, "local": self.local,
            "helo": self.helo, "esmtp": self.esmtp, "tls": self.tls,
            "mail": self.mail, "mail_params": self.mail_params,
            "rcpts": list(self.rcpts), "rcpts_refused": list(self.refused),
            "data_b64": (base64.b64encode(bytes(data)).decode()
                         if data is not None and
                         self.rules.get("log_data", True) else None),
            "data_len": len(data) if data is not None else None,
            "outcome": outcome})

    # --- the dialogue ------------------------------------------------------
    def run(self):
        """Serve the connection until QUIT, a drop or a timeout."""
        self.sock.settimeout(IDLE)
        try:
            if self.rules.get("refuse"):
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     b"\x01\x00\x00\x00\x00\x00\x00\x00")
                raise Drop("refused")
            self.stall("greeting")
            greet = self.rules.get("greeting", "220 peer.test ESMTP peer_smtp")
            self.send(greet)
            if greet.startswith("421"):
                raise Drop("greeting 421")
            if not greet.startswith("2"):
                self.refusing_loop()
                return
            self.loop()
        except Drop as e:
            why = str(e)
            if self.mail is not None:
                self.log("timeout" if why == "timeout" else "dropped")
            elif not self.logged_any:
                self.log("nomail")
        finally:
            try:
                self.sock.close()
            except OSError:
                pass

    def refusing_loop(self):
        """After a non-2xx greeting: 503 to everything but QUIT."""
        while True:
            line = self.readline()
            if line.upper().startswith("QUIT"):
                self.send("221 2.0.0 bye")
                raise Drop("quit")
            self.send("503 5.5.1 no service")

    def loop(self):
        """Read commands as they come and reply in order."""
        while True:
            line = self.readline()
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            handler = {
                "EHLO": self.cmd_ehlo, "HELO": self.cmd_helo,
                "MAIL": self.cmd_mail, "RCPT": self.cmd_rcpt,
                "DATA": self.cmd_data, "RSET": self.cmd_rset,
                "NOOP": lambda a: self.send("250 2.0.0 ok"),
                "QUIT": self.cmd_quit, "STARTTLS": self.cmd_starttls,
            }.get(verb)
            if handler is None:
                self.send("502 5.5.2 command not recognized")
            else:
                handler(arg)

    def extensions(self):
        """The EHLO keywords to offer."""
        ext = self.rules.get("extensions", DEFAULT_EXT)
        out = []
        for e in ext:
            if e.upper() == "STARTTLS" and (self.tls or not self.srv.ctx):
                if not self.srv.ctx and "extensions" in self.rules:
                    out.append(e)  # asked for explicitly: offer, then 454
                continue
            out.append(e)
        return out

    def cmd_ehlo(self, arg):
        """EHLO: capabilities, or 502 when the rules refuse EHLO."""
        self.stall("ehlo")
        if self.rules.get("ehlo") is False or "ehlo_reply" in self.rules:
            self.send(self.rules.get("ehlo_reply",
                                     "502 5.5.2 EHLO not supported"))
            return
        self.helo, self.esmtp = arg.strip(), True
        self.reset()
        name = self.rules.get("helo_name", "peer.test")
        self.send("\n".join(["250 " + name] +
                            ["250 " + e for e in self.extensions()]))

    def cmd_helo(self, arg):
        """HELO: plain SMTP."""
        self.stall("ehlo")
        self.helo, self.esmtp = arg.strip(), False
        self.reset()
        self.send("250 " + self.rules.get("helo_name", "peer.test"))

    def cmd_mail(self, arg):
        """MAIL FROM:<addr> params."""
        self.drop_at("mail")
        self.stall("mail")
        if self.helo is None:
            self.send("503 5.5.1 EHLO/HELO first")
            return
        if self.mail is not None:
            self.send("503 5.5.1 nested MAIL")
            return
        if not arg.upper().startswith("FROM:"):
            self.send("501 5.5.4 syntax: MAIL FROM:<address>")
            return
        rest = arg[5:].strip()
        end = rest.find(">") + 1 if rest.startswith("<") else 0
        if end <= 0:
            end = rest.find(" ") if " " in rest else len(rest)
        addr, params = rest[:end], rest[end:]
        reply = self.rules.get("mail_reply", "250 2.1.0 ok")
        size = self.size_param(params)
        if size is not None and size > self.size_limit():
            reply = "552 5.3.4 message too big"
        self.mail, self.mail_params = addr.strip(), params.strip()
        if not reply.startswith("2"):
            self.log("mail_rejected")
            self.reset()
        self.send(reply)

    @staticmethod
    def size_param(params):
        """The SIZE= value or None."""
        for p in params.split():
            if p.upper().startswith("SIZE="):
                try:
                    return int(p[5:])
                except ValueError:
                    return None
        return None

    def size_limit(self):
        """The SIZE we announce (or MSG_MAX)."""
        for e in self.rules.get("extensions", DEFAULT_EXT):
            parts = e.split()
            if parts[0].upper() == "SIZE" and len(parts) > 1 and \
                    parts[1].isdigit() and int(parts[1]) > 0:
                return min(int(parts[1]), MSG_MAX)
        return MSG_MAX

    def rcpt_reply(self, addr):
        """The configured reply for a recipient address."""
        table = self.rules.get("rcpt") or {}
        low = {strip_addr(k): v for k, v in table.items()}
        dom = addr.rpartition("@")[2]
        for key in (addr, "*@" + dom, "*"):
            if key in low:
                return low[key]
        return "250 2.1.5 ok"

    def cmd_rcpt(self, arg):
        """RCPT TO:<addr>."""
        self.drop_at("rcpt")
        self.stall("rcpt")
        if self.mail is None:
            self.send("503 5.5.1 MAIL first")
            return
        if not arg.upper().startswith("TO:"):
            self.send("501 5.5.4 syntax: RCPT TO:<address>")
            return
        raw = arg[3:].strip()
        addr = strip_addr(raw)
        reply = self.rcpt_reply(addr)
        shown = "<%s>" % addr
        (self.rcpts if reply.startswith("2") else self.refused).append(shown)
        self.send(reply)

    def cmd_data(self, _arg):
        """DATA: 354, the raw bytes up to CRLF.CRLF, then the reply."""
        self.drop_at("data_start")
        self.stall("data_start")
        if self.mail is None or not self.rcpts:
            self.send("554 5.5.1 no valid recipients" if self.mail is not None
                      else "503 5.5.1 MAIL first")
            return
        self.send("354 go ahead")
        data, too_big = self.read_data()
        self.drop_at("after_dot")
        self.stall("data_end")
        reply = self.rules.get("data_reply", "250 2.0.0 queued as P%d" %
                               self.conn)
        if too_big:
            reply = "552 5.3.4 message too big"
        outcome = "accepted" if reply.startswith("2") else \
            ("too_big" if too_big else "rejected")
        self.log(outcome, data)
        self.reset()
        self.send(reply)

    def read_data(self):
        """Bytes up to the terminating CRLF.CRLF (without '.\\r\\n')."""
        acc = bytearray(b"\r\n")  # so an empty message ends at index 0
        too_big = False
        start = 0
        while True:
            if self.buf:
                acc += self.buf
                self.buf = b""
            if self.rules.get("drop") == "data_mid" and len(acc) > 2:
                self.log("dropped", acc[2:])
                self.reset()
                raise Drop("data_mid")
            i = acc.find(b"\r\n.\r\n", start)
            if i >= 0:
                self.buf = bytes(acc[i + 5:])
                return bytes(acc[2:i + 2]), too_big
            if len(acc) > MSG_MAX + 5:
                too_big = True
                del acc[2:len(acc) - 5]  # keep the tail for the terminator
            start = max(0, len(acc) - 4)
            self.fill()

    def cmd_rset(self, _arg):
        """RSET."""
        if self.mail is not None:
            self.log("aborted" if self.rcpts else "no_rcpts")
        self.reset()
        self.send("250 2.0.0 ok")

    def cmd_quit(self, _arg):
        """QUIT."""
        self.stall("quit")
        if self.mail is not None:
            self.log("aborted" if self.rcpts else "no_rcpts")
            self.reset()
        self.send("221 2.0.0 bye")
        raise Drop("quit")

    def cmd_starttls(self, _arg):
        """STARTTLS: wrap the socket (or break the handshake on request)."""
        if self.tls or not self.srv.ctx:
            self.send("454 4.7.0 TLS not available")
            return
        self.send("220 2.0.0 ready to start TLS")
        self.buf = b""  # nothing pipelined before the handshake survives
        if self.rules.get("tls_fail"):
            try:
                self.sock.sendall(b"\x15\x03\x03\x00\x02\x02\x28garbage\r\n")
            except OSError:
                pass
            raise Drop("tls_fail")
        try:
            self.sock = self.srv.ctx.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError):
            raise Drop("tls handshake failed")
        self.sock.settimeout(IDLE)
        self.tls = True
        self.helo, self.esmtp = None, False
        self.reset()


class Server:
    """Listeners and the accept loops."""

    def __init__(self, args):
        self.rules_path = args.rules
        self.logger = Logger(args.log)
        self.ctx = None
        if args.cert:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(args.cert, args.key or args.cert)
        self.count = 0
        self.lock = threading.Lock()
        self.listeners = []
        for spec in args.listen:
            fam, addr = parse_listen(spec)
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind(addr)
            s.listen(128)
            self.listeners.append((s, spec))

    def accept_loop(self, lsock, spec):
        """Accept forever, a thread per connection."""
        while True:
            try:
                c, addr = lsock.accept()
            except OSError:
                return
            with self.lock:
                self.count += 1
                n = self.count
            sess = Session(self, c, addr[0], spec, n)
            threading.Thread(target=sess.run, daemon=True).start()

    def serve(self, ready):
        """Start the loops, write the ready file, wait for a signal."""
        for s, spec in self.listeners:
            threading.Thread(target=self.accept_loop, args=(s, spec),
                             daemon=True).start()
        if ready:
            with open(ready + ".tmp", "w") as f:
                f.write("%d\n" % os.getpid())
            os.rename(ready + ".tmp", ready)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        while not stop.wait(1):
            pass


def main(argv):
    """CLI entry point."""
    ap = argparse.ArgumentParser(description="scriptable peer SMTP server")
    ap.add_argument("--listen", action="append", required=True)
    ap.add_argument("--rules", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--ready")
    args = ap.parse_args(argv)
    try:
        srv = Server(args)
    except (OSError, ssl.SSLError, ValueError) as e:
        sys.stderr.write("peer_smtp: %s\n" % e)
        return 1
    srv.serve(args.ready)
    return 0


# --- Python API for the tests ------------------------------------------------
def write_rules(path, rules):
    """Replace a rules file atomically."""
    with open(path + ".tmp", "w") as f:
        json.dump(rules or {}, f)
    os.rename(path + ".tmp", path)


def read_log(path):
    """Every complete JSON line of a peer log."""
    out = []
    try:
        with open(path) as f:
            for line in f:
                if line.endswith("\n"):
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
    except OSError:
        pass
    return out


def unstuff(data):
    """The message from raw DATA bytes: undo dot-stuffing (CRLF kept)."""
    lines = data.split(b"\r\n")
    return b"\r\n".join(ln[1:] if ln.startswith(b".") else ln for ln in lines)


def make_cert(workdir, cn="peer.test"):
    """A self-signed certificate (openssl CLI); (cert, key) paths."""
    cert = os.path.join(workdir, "peer-cert.pem")
    key = os.path.join(workdir, "peer-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-days", "2", "-subj", "/CN=" + cn,
                    "-addext", "subjectAltName=DNS:" + cn,
                    "-keyout", key, "-out", cert], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=60)
    return cert, key


class Peer:
    """A peer_smtp.py process driven from a test."""

    def __init__(self, workdir, listens, rules=None, cert=None, key=None,
                 name="peer"):
        self.dir = workdir
        self.listens = list(listens)
        self.rules_path = os.path.join(workdir, name + ".rules.json")
        self.log_path = os.path.join(workdir, name + ".log.jsonl")
        self.ready = os.path.join(workdir, name + ".ready")
        self.err_path = os.path.join(workdir, name + ".stderr")
        self.cert, self.key = cert, key
        self.proc = None
        write_rules(self.rules_path, rules or {})

    def start(self, timeout=10):
        """Start and wait (bounded) for the ready file."""
        argv = [sys.executable, os.path.abspath(__file__), "--rules",
                self.rules_path, "--log", self.log_path, "--ready", self.ready]
        for spec in self.listens:
            argv += ["--listen", spec]
        if self.cert:
            argv += ["--cert", self.cert, "--key", self.key]
        for p in (self.ready,):
            if os.path.exists(p):
                os.unlink(p)
        err = open(self.err_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=err, stderr=err)
        err.close()
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(self.ready):
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        with open(self.err_path, "rb") as f:
            why = f.read().decode("utf-8", "replace")[-300:]
        self.stop()
        raise RuntimeError("peer %s did not start: %s" % (self.listens, why))

    def set_rules(self, rules):
        """New rules for the next connections."""
        write_rules(self.rules_path, rules)

    def log(self):
        """Every logged transaction so far."""
        return read_log(self.log_path)

    def transactions(self, outcome="accepted"):
        """Logged transactions with that outcome (None: all with a MAIL)."""
        return [e for e in self.log() if e.get("mail") is not None and
                (outcome is None or e.get("outcome") == outcome)]

    def wait_log(self, pred, timeout=20):
        """Wait until pred(log entries) is true; the entries (or None)."""
        deadline = time.time() + timeout
        while True:
            entries = self.log()
            if pred(entries):
                return entries
            if time.time() >= deadline:
                return None
            time.sleep(0.1)

    def stop(self):
        """Stop the process (our own child, by pid)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
