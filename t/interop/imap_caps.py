#!/usr/bin/env python3
"""imap_caps.py - a per-user setting hides IMAP capabilities
(imapd_capability_maps, research/imap-clients.md pitfall 4: a client that
trips over one extension is given a server without it).

alice@example.test's entry hides CONDSTORE, QRESYNC and IDLE; the domain
entry "@other.test" hides MOVE for every user there; bob@example.test has
no entry.  Checked: the login OK's CAPABILITY code and CAPABILITY itself
lack exactly the hidden names, ENABLE does not switch a hidden extension
on, other users see the whole list.  Prints PASS/FAIL lines (t/run.sh).
"""
import imaplib
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from petrel_inst import Instance, Reporter  # noqa: E402

R = Reporter("imap-caps")


def login(inst, user, pw):
    """A logged-in imaplib client and the capabilities it was told."""
    m = imaplib.IMAP4("127.0.0.1", inst.imap_port, timeout=20)
    typ, dat = m.login(user, pw)
    text = dat[0].decode() if dat and dat[0] else ""
    code = text[text.find("[CAPABILITY ") + 12:text.find("]")].split() \
        if "[CAPABILITY " in text else []
    typ, dat = m.capability()
    caps = dat[0].decode().split() if typ == "OK" and dat else []
    return m, set(code), set(caps)


def main():
    inst = Instance(overrides={
        "imapd_capability_maps": "texthash:$config_directory/imap_caps",
        "virtual_mailbox_domains": "example.test other.test"},
        name="imapcaps")
    inst.create()
    mapfile = os.path.join(inst.dir, "conf", "imap_caps")
    with open(mapfile, "w") as f:
        f.write("alice@example.test CONDSTORE, QRESYNC idle\n"
                "@other.test MOVE\n")
    os.chmod(mapfile, 0o644)
    try:
        for u in ("alice@example.test", "bob@example.test",
                  "carol@other.test"):
            inst.add_user(u, "secret")
        inst.start()
        m, code, caps = login(inst, "bob@example.test", "secret")
        R.check({"CONDSTORE", "QRESYNC", "IDLE", "MOVE"} <= caps and
                code == caps, "a user without an entry sees every "
                "capability", "%r / %r" % (code, caps))
        m.logout()
        m, code, caps = login(inst, "alice@example.test", "secret")
        hidden = {"CONDSTORE", "QRESYNC", "IDLE"}
        R.check(not (hidden & code) and "MOVE" in code,
                "the login's CAPABILITY code lacks the hidden names",
                "%r" % code)
        R.check(caps == code, "CAPABILITY says the same", "%r" % caps)
        typ, dat = m._simple_command("ENABLE", "CONDSTORE")
        en = m.untagged_responses.pop("ENABLED", [b""])
        R.check(typ == "OK" and b"CONDSTORE" not in b" ".join(
            x or b"" for x in en), "ENABLE does not switch on a hidden "
            "extension", "%r %r" % (typ, en))
        m.logout()
        m, code, caps = login(inst, "carol@other.test", "secret")
        R.check("MOVE" not in caps and "IDLE" in caps,
                "a domain entry (@other.test) hides for its users",
                "%r" % caps)
        m.logout()
    except Exception as e:  # report, never hang
        R.bad("run", "%s: %s" % (type(e).__name__, e))
    finally:
        inst.stop()
        inst.cleanup()
    return R.exit_code()


if __name__ == "__main__":
    sys.exit(main())
