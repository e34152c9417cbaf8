#!/usr/bin/env python3
"""tls_reload.py - a renewed TLS certificate takes effect on `petrel reload`
(SIGHUP), without a restart, for smtpd (smtps and STARTTLS) and pop3d
(pop3s), and a broken renewal keeps the working certificate.

Cases: the certificate each listener presents at start; new certificate and
key files (openssl req) put in place, `petrel reload`, and then new
connections present the new certificate (waited for, bounded: idle workers
are recycled); the mail path still works over the new certificate; a
garbage certificate file and another reload: the log says the old one is
kept and connections still present the renewed certificate.
Prints PASS/FAIL lines (t/run.sh).  Runs as root; instances in /tmp.
"""
import os
import poplib
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from petrel_inst import Instance, Reporter  # noqa: E402
from petrel_inst import tls_unverified as unverified  # noqa: E402

R = Reporter("tls-reload")


def implicit_cert(port):
    """DER of the certificate an implicit-TLS listener presents, or None."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            with unverified().wrap_socket(s) as t:
                return t.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError):
        return None


def starttls_cert(port):
    """DER of the certificate presented after STARTTLS, or None."""
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as c:
            c.ehlo("client.example.test")
            c.starttls(context=unverified())
            return c.sock.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError, smtplib.SMTPException):
        return None


def pem_der(path):
    """DER of the first certificate in a PEM file."""
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def new_pair(cert, key, cn):
    """Write a new self-signed pair for cn over cert/key (atomically)."""
    d = tempfile.mkdtemp(prefix="petrel-cert.")
    tc, tk = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", tk, "-out", tc, "-days", "2",
                    "-subj", "/CN=" + cn], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(tk, 0o600)
    os.replace(tk, key)
    os.replace(tc, cert)
    os.rmdir(d)


def wait_for(fn, want, secs=15):
    """Call fn() until it returns want (bounded); the last value."""
    deadline = time.time() + secs
    got = fn()
    while got != want and time.time() < deadline:
        time.sleep(0.2)
        got = fn()
    return got


def reload(inst):
    """`petrel reload` on the instance."""
    rc, out = inst.ctl("reload")
    R.check(rc == 0, "petrel reload runs", out)


def main():
    """Run every case."""
    inst = Instance({"smtpd_tls_cert_file": "auto",
                     "smtpd_tls_key_file": "auto",
                     "smtpd_smtps_listen": "auto",
                     "pop3d_tls_cert_file": "auto",
                     "pop3d_tls_key_file": "auto",
                     "pop3d_pop3s_listen": "auto"}, name="tlsreload")
    try:
        inst.create()
        inst.add_user("alice@example.test", "secret")
        inst.start()
        conf = os.path.dirname(inst.conf)
        scert, skey = (os.path.join(conf, "smtpd-cert.pem"),
                       os.path.join(conf, "smtpd-key.pem"))
        pcert, pkey = (os.path.join(conf, "pop3d-cert.pem"),
                       os.path.join(conf, "pop3d-key.pem"))
        old = pem_der(scert)
        R.check(implicit_cert(inst.smtps_port) == old,
                "smtps presents the certificate of its start")
        R.check(starttls_cert(inst.smtp_port) == old,
                "STARTTLS presents the certificate of its start")

        new_pair(scert, skey, "renewed.example.test")
        new_pair(pcert, pkey, "renewed-pop.example.test")
        snew, pnew = pem_der(scert), pem_der(pcert)
        R.check(implicit_cert(inst.smtps_port) == old,
                "nothing changes before the reload")
        reload(inst)
        R.check(wait_for(lambda: implicit_cert(inst.smtps_port), snew) ==
                snew, "smtps presents the renewed certificate after reload")
        R.check(wait_for(lambda: starttls_cert(inst.smtp_port), snew) ==
                snew, "STARTTLS presents the renewed certificate")
        R.check(wait_for(lambda: implicit_cert(inst.pop3s_port), pnew) ==
                pnew, "pop3s presents its renewed certificate")
        R.check(inst.wait_log(r"reload: TLS certificate .*smtpd-cert\.pem "
                              r"loaded", 10),
                "smtpd logs the certificate it loaded")

        try:
            p = poplib.POP3_SSL("127.0.0.1", inst.pop3s_port, timeout=10,
                                context=unverified())
            p.user("alice@example.test")
            p.pass_("secret")
            ok = p.stat() is not None
            p.quit()
        except (OSError, poplib.error_proto, ssl.SSLError) as e:
            ok = False
            R.bad("pop3s login over the renewed certificate", repr(e))
        R.check(ok, "pop3s login over the renewed certificate")

        with open(scert, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nbroken\n"
                    "-----END CERTIFICATE-----\n")
        reload(inst)
        R.check(inst.wait_log(r"reload: TLS certificate .*smtpd-cert\.pem.*"
                              r"keeping the old one", 15),
                "a broken renewal is logged and the old certificate kept")
        time.sleep(1)
        seen = {implicit_cert(inst.smtps_port) for _ in range(5)}
        R.check(seen == {snew}, "smtps still presents the working "
                "certificate after a broken renewal",
                "%d distinct, None in it: %s" % (len(seen), None in seen))
    except (OSError, RuntimeError, subprocess.SubprocessError) as e:
        R.bad("TLS reload", repr(e))
    finally:
        inst.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
