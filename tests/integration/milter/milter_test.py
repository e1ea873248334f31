#!/usr/bin/python3
"""sendpool-milter driven as an MTA would drive it: the real daemon, the real sendpoolctl.

One platform (a temporary store and configuration, a fresh RSA-2048 platform key made with
`openssl genpkey`, a 0600 random token secret, `milter.listen` on a free loopback port) is
built with `sendpoolctl --config ...` and served by one `sendpool-milter --foreground` for the
whole module (starting and stopping libmilter costs seconds; every test uses its own account
or recipients, so the tests do not depend on each other):

  customer acme, plan basic, accounts
    tx-app      transactional, acme.test (rsa, s1); suppresses gone@example.net itself
    promo-app   promotional,   promo.test (rsa, p1)
    ed-app      transactional, both.test (--key-type both: rsa b1 + ed25519 b1e)
    ip-app      transactional, ip.test (rsa, i1); --allow-ip 192.0.2.77/32, 2001:db8:77::/48
    off-app     disabled,      off.test
    unpaid-app  pending-payment, unpaid.test
    rot-app     transactional, rot.test (rsa, r1), rotated by a test
    idn-app     transactional, xn--bcher-kva.test (bücher.test; rsa, k1)
  the platform-wide list suppresses global-gone@example.net

MilterScriptTest runs the miltertest(8) scripts in scripts/ (see scripts/common.lua): each
must exit 0 *and* print "PASS" as its last line, because miltertest silently ends a script
with status 0 when it uses a step the milter did not register. miltertest cannot show a
sender change (it has no MT_ constant for SMFIR_CHGFROM) nor the text of a reply before end
of message, so the scripts run with -vv and the driver reads the "cmd e" lines between the
"EOM <label> BEGIN/END" markers, and MilterProtocolTest speaks the milter protocol itself to
check the exact new sender (its HMAC under the platform secret) and the reply texts.

MilterProtocolTest also rebuilds each signed message as Postfix would deliver it and verifies
every DKIM-Signature with dkimpy (python3-dkim, python3-nacl for Ed25519; DNS answered from
`sendpoolctl domain show --json` and the platform's public key), skipped when dkimpy is
missing. CheckConfigTest runs --version and --check-config.

Usage: milter_test.py --milter PATH --sendpoolctl PATH [unittest options]
Needs: miltertest (Debian package miltertest), openssl.
"""

import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

MILTER = None  # set from the command line in main()
SENDPOOLCTL = None
SCRIPTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")
MILTERTEST = shutil.which("miltertest") or "/usr/bin/miltertest"

PLATFORM_DKIM_DOMAIN = "dkim.sendpool.test"
PLATFORM_SELECTOR = "sp1"
RETURN_PATH_DOMAIN = "bounces.sendpool.test"
EXIT_CONFIG = 78


# --- small helpers ------------------------------------------------------------------------

def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError as e:
        return f"({path}: {e})"


def base32_lower(data):
    return base64.b32encode(data).decode().rstrip("=").lower()


def token_mac(secret, signed_text):
    """The MAC field of a return-path token (core/proto/return_path.h)."""
    digest = hmac.new(secret, signed_text.encode(), hashlib.sha256).digest()
    return base32_lower(digest[:10])


TOKEN = re.compile(r"^([bu])\.([0-9a-f]+)\.([0-9a-f]+)\.([a-z2-7]{1,16})\.([a-z2-7]{16})@(.+)$")


def today_numbers():
    """Acceptance day numbers the milter may have used (UTC; yesterday too, near midnight)."""
    today = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.date(1970, 1, 1)).days
    return {today, today - 1}


def write_config(path, values):
    """A sendpool.yaml from {"store": ..., "platform": {...}, ...} (two levels)."""
    lines = []
    for key, value in values.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines.extend(f"  {k}: {v}" for k, v in value.items())
        else:
            lines.append(f"{key}: {value}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# --- the platform under test ----------------------------------------------------------------

class Platform:
    """A temporary store + configuration, set up with sendpoolctl, and its running milter."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="sendpool-milter-test-")
        self.port = free_port()
        self.key_file = os.path.join(self.dir, "platform.private")
        self.secret_file = os.path.join(self.dir, "token.secret")
        self.config = os.path.join(self.dir, "sendpool.yaml")
        self.log = os.path.join(self.dir, "milter.stderr")
        self.process = None
        self.log_start = 0  # where the running milter's log begins
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", self.key_file],
                       check=True, capture_output=True, timeout=60)
        self.secret = os.urandom(24).hex().encode()
        fd = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(self.secret + b"\n")
        self.values = {
            "store": os.path.join(self.dir, "store"),
            "store_map_size": "64MiB",
            "platform": {
                "dkim_domain": PLATFORM_DKIM_DOMAIN,
                "dkim_selector": PLATFORM_SELECTOR,
                "dkim_key_file": self.key_file,
                "return_path_domain": RETURN_PATH_DOMAIN,
                "token_secret_file": self.secret_file,
            },
            "milter": {"listen": f"inet:127.0.0.1:{self.port}"},
        }
        write_config(self.config, self.values)
        self.account_ids = {}

    def ctl(self, *args, stdin=None):
        r = subprocess.run([SENDPOOLCTL, "--config", self.config, *args], input=stdin,
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"sendpoolctl {' '.join(args)}: exit {r.returncode}\n"
                                 f"{r.stdout}{r.stderr}")
        return r.stdout

    def add_account(self, user, domain, selector, kind="transactional", key_type="rsa"):
        out = self.ctl("--json", "account", "add", user, "--customer", "acme", "--plan", "basic",
                       "--type", kind)
        self.account_ids[user] = json.loads(out)["id"]
        self.ctl("domain", "add", domain, "--selector", selector, "--key-type", key_type)
        self.ctl("domain", "link", domain, user)

    def populate(self):
        self.ctl("customer", "add", "acme")
        self.ctl("plan", "add", "basic", "--kind", "monthly", "--messages", "100000")
        self.add_account("tx-app", "acme.test", "s1")
        self.add_account("promo-app", "promo.test", "p1", kind="promotional")
        self.add_account("ed-app", "both.test", "b1", key_type="both")
        self.add_account("ip-app", "ip.test", "i1")
        self.ctl("account", "set", "ip-app", "--allow-ip", "192.0.2.77/32",
                 "--allow-ip", "2001:db8:77::/48")
        self.add_account("off-app", "off.test", "o1")
        self.ctl("account", "set", "off-app", "--status", "disabled", "--reason", "test")
        self.add_account("unpaid-app", "unpaid.test", "u1")
        self.ctl("account", "set", "unpaid-app", "--status", "pending-payment")
        self.add_account("rot-app", "rot.test", "r1")
        self.add_account("idn-app", "xn--bcher-kva.test", "k1")  # bücher.test
        self.ctl("suppression", "add", "tx-app", "gone@example.net", "--reason", "bounce")
        self.ctl("suppression", "add", "--global", "global-gone@example.net",
                 "--reason", "complaint")

    def dns_records(self):
        """{record name: TXT value} of every DKIM key: the domains' and the platform's."""
        records = {}
        for domain in ("acme.test", "promo.test", "both.test", "ip.test", "rot.test",
                       "xn--bcher-kva.test"):
            shown = json.loads(self.ctl("--json", "domain", "show", domain))
            for key in shown["keys"]:
                records[key["record_name"].rstrip(".")] = key["txt"]
        der = subprocess.run(["openssl", "pkey", "-in", self.key_file, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True, timeout=30).stdout
        records[f"{PLATFORM_SELECTOR}._domainkey.{PLATFORM_DKIM_DOMAIN}"] = (
            "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode())
        return records

    def start_milter(self, attempts=3):
        """Starts the milter and waits until it listens (its "listening on" line, then a TCP
        connection); another port when someone took this one meanwhile."""
        for attempt in range(attempts):
            if self._start_milter_once():
                return
            self.port = free_port()
            self.values["milter"]["listen"] = f"inet:127.0.0.1:{self.port}"
            write_config(self.config, self.values)
        raise AssertionError("sendpool-milter could not listen:\n" + tail(self.log))

    def _start_milter_once(self):
        start = len(self.log_text()) if os.path.exists(self.log) else 0
        with open(self.log, "ab") as err:
            self.process = subprocess.Popen([MILTER, "--config", self.config, "--foreground"],
                                            stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        listening = f"listening on inet:127.0.0.1:{self.port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                if "cannot listen" in self.log_text()[start:]:
                    self.process = None
                    return False
                raise AssertionError(f"sendpool-milter exited with {self.process.returncode}:\n"
                                     + tail(self.log))
            if listening in self.log_text()[start:]:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    self.log_start = start
                    return True
                except OSError:
                    pass
            time.sleep(0.05)
        raise AssertionError("sendpool-milter does not listen after 15 s:\n" + tail(self.log))

    def assert_running(self):
        if self.process is None or self.process.poll() is not None:
            raise AssertionError("sendpool-milter is not running:\n" + tail(self.log))

    def stop_milter(self):
        """SIGTERM, then wait (libmilter needs ~4 s); SIGKILL after 20 s. Returns the status."""
        if self.process is None:
            return None
        p, self.process = self.process, None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                return p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
                raise AssertionError("sendpool-milter ignored SIGTERM for 20 s")
        return p.returncode

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def bounce_token_length(self, user):
        """Length of the b.<id>.<day>.<tag>.<mac>@domain the milter makes for `user` today
        (the tag is 8 characters, the MAC 16)."""
        day = max(today_numbers())
        return len(f"b.{self.account_ids[user]:x}.{day:x}.{'t' * 8}.{'m' * 16}@{RETURN_PATH_DOMAIN}")

    def decode_token(self, address):
        """(kind, account id, day, tag) of a return-path address; fails unless our MAC verifies."""
        m = TOKEN.match(address)
        if not m:
            raise AssertionError(f"not a return-path token: {address!r}")
        kind, account, day, tag, mac, domain = m.groups()
        if domain != RETURN_PATH_DOMAIN:
            raise AssertionError(f"{address}: domain is not {RETURN_PATH_DOMAIN}")
        expected = token_mac(self.secret, f"{kind}.{account}.{day}.{tag}")
        if not hmac.compare_digest(mac, expected):
            raise AssertionError(f"{address}: MAC {mac} does not verify (expected {expected})")
        return kind, int(account, 16), int(day, 16), tag


PLATFORM = None


def setUpModule():
    global PLATFORM
    PLATFORM = Platform()
    try:
        PLATFORM.populate()
        PLATFORM.start_milter()
    except BaseException:
        PLATFORM.stop_milter()
        PLATFORM.remove()
        raise


def tearDownModule():
    try:
        status = PLATFORM.stop_milter()
        errors = [l for l in PLATFORM.log_text()[PLATFORM.log_start:].splitlines() if " error:" in l]
        if errors:
            raise AssertionError("sendpool-milter logged errors:\n" + "\n".join(errors))
        if status != 0:
            raise AssertionError(f"sendpool-milter exited with {status} after SIGTERM:\n"
                                 + tail(PLATFORM.log))
    finally:
        if os.environ.get("SENDPOOL_KEEP_TEST_DIR"):
            print(f"kept {PLATFORM.dir}", file=sys.stderr)
        else:
            PLATFORM.remove()


# --- miltertest scripts ----------------------------------------------------------------------

EOM_LINE = re.compile(r"^EOM (\S+) (BEGIN|END)$")
READ_LINE = re.compile(r"mt_milter_read\(\d+\): cmd (.), len (\d+)$")


def eom_requests(stdout):
    """{label: [(command character, data length), ...]} read from the milter during each
    mt.eom() of a -vv run, the final reply included."""
    out, label = {}, None
    for line in stdout.splitlines():
        m = EOM_LINE.match(line.strip())
        if m:
            label = m.group(1) if m.group(2) == "BEGIN" else None
            if label:
                out[label] = []
            continue
        m = READ_LINE.search(line)
        if m and label:
            out[label].append((m.group(1), int(m.group(2))))
    return out


class MilterScriptTest(unittest.TestCase):
    """The miltertest(8) scripts, against the module's milter."""

    def run_script(self, name, **defines):
        PLATFORM.assert_running()
        log_before = len(PLATFORM.log_text())
        args = [MILTERTEST, "-vv", "-D", f"port={PLATFORM.port}", "-D", f"scripts={SCRIPTS}"]
        for k, v in defines.items():
            args += ["-D", f"{k}={v}"]
        args += ["-s", os.path.join(SCRIPTS, name)]
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
        lines = [l for l in r.stdout.splitlines() if l.strip()]
        if r.returncode != 0 or not lines or lines[-1].strip() != "PASS":
            # The scripts' own lines (FAIL: ..., traceback) without miltertest's -vv chatter.
            script_lines = [l for l in lines if not l.startswith("miltertest: ")]
            self.fail(f"miltertest {name}: exit {r.returncode}, last line "
                      f"{lines[-1] if lines else '(none)'!r}\n--- script output\n"
                      + "\n".join(script_lines[-30:]) + f"\n--- stderr\n{r.stderr}"
                      "--- miltertest -vv (tail)\n" + "\n".join(lines[-12:]) +
                      "\n--- milter log\n" + PLATFORM.log_text()[log_before:][-3000:])
        self.stdout = r.stdout
        self.milter_log = PLATFORM.log_text()[log_before:]
        return eom_requests(r.stdout)

    def commands(self, requests, label):
        self.assertIn(label, requests, f"no EOM section {label} in the miltertest output")
        return [c for c, _ in requests[label]]

    def assert_sender_changed(self, requests, label, user):
        """Exactly one SMFIR_CHGFROM, as long as the signed return path of `user`."""
        changes = [n for c, n in requests[label] if c == "e"]
        self.assertEqual(len(changes), 1, f"{label}: {len(changes)} sender changes: {requests[label]}")
        # smfi_chgfrom(ctx, address, NULL) sends the address and its NUL.
        self.assertEqual(changes[0], PLATFORM.bounce_token_length(user) + 1,
                         f"{label}: the new sender is not as long as a return-path token of {user}")

    def assert_untouched(self, requests, label, final):
        cmds = self.commands(requests, label)
        self.assertEqual(cmds, [final], f"{label}: expected only the reply {final!r}, got {cmds}")

    def test_authorised_sender(self):
        req = self.run_script("authorised.lua")
        for label in ("authorised", "authorised-second"):
            self.assert_sender_changed(req, label, "tx-app")
            # The order: (no recipient to delete) sender, Feedback-ID, two signatures.
            self.assertEqual(self.commands(req, label), ["e", "h", "i", "i", "c"], label)
        self.assertIn("queue_id=QAUTH1 account=tx-app recipients kept=2 dropped=0 signatures: "
                      "d=acme.test s=s1 rsa, d=dkim.sendpool.test s=sp1 rsa", self.milter_log)
        self.assertIn("queue_id=QAUTH2 account=tx-app recipients kept=1 dropped=0", self.milter_log)

    def test_unauthorised_envelope_domain(self):
        req = self.run_script("unauthorised.lua")
        self.assert_sender_changed(req, "after-refusal", "tx-app")

    def test_client_ip_allowed_without_auth(self):
        req = self.run_script("ip_allowed.lua")
        for ip in ("192.0.2.77", "2001:db8:77::25"):
            self.assert_sender_changed(req, "ip-" + ip, "ip-app")
            self.assertEqual(self.commands(req, "ip-" + ip).count("i"), 2)
        self.assertIn("account=ip-app recipients kept=1 dropped=0 signatures: d=ip.test s=i1 rsa",
                      self.milter_log)

    def test_suppressed_recipient_deleted(self):
        req = self.run_script("suppressed.lua")
        cmds = self.commands(req, "suppressed")
        self.assertEqual(cmds.count("-"), 2, cmds)
        self.assertLess(cmds.index("-"), cmds.index("e"), f"recipients deleted after the sender change: {cmds}")
        self.assert_sender_changed(req, "suppressed", "tx-app")
        self.assertIn("queue_id=QSUPP account=tx-app recipients kept=2 dropped=2", self.milter_log)

    def test_every_recipient_suppressed_discards(self):
        req = self.run_script("all_suppressed.lua")
        self.assert_untouched(req, "all-suppressed", "d")
        self.assertIn("queue_id=QALL account=tx-app recipients kept=0 dropped=2: discarded",
                      self.milter_log)
        cmds = self.commands(req, "other-account")
        self.assertEqual(cmds.count("-"), 1, cmds)
        self.assert_sender_changed(req, "other-account", "promo-app")

    def test_foreign_from_refused_at_eom(self):
        req = self.run_script("foreign_from.lua")
        for label in ("foreign-from", "other-accounts-from", "two-froms", "two-addresses",
                      "foreign-sender", "no-from"):
            self.assert_untouched(req, label, "y")
        self.assert_sender_changed(req, "display-name-at", "tx-app")
        self.assertIn("account=tx-app refused: 550 5.7.1 From: domain evil.test is not authorised",
                      self.milter_log)

    def test_disabled_account_refused_at_mail(self):
        self.run_script("disabled.lua")

    def test_ed25519_domain_key_third_signature(self):
        req = self.run_script("ed25519.lua")
        self.assertEqual(self.commands(req, "ed25519").count("i"), 3)
        self.assert_sender_changed(req, "ed25519", "ed-app")
        self.assertIn("queue_id=QED account=ed-app recipients kept=1 dropped=0 signatures: "
                      "d=both.test s=b1 rsa, d=both.test s=b1e ed25519, "
                      "d=dkim.sendpool.test s=sp1 rsa", self.milter_log)

    def test_aborted_messages_leave_nothing_behind(self):
        req = self.run_script("abort.lua")
        self.assertEqual(self.commands(req, "after-aborts").count("h"), 1)
        self.assert_sender_changed(req, "after-aborts", "tx-app")
        self.assertIn("queue_id=QABORT account=tx-app recipients kept=1 dropped=0", self.milter_log)

    def test_promotional_list_unsubscribe(self):
        req = self.run_script("promotional.lua")
        tokens = [l.split(" ", 1)[1] for l in self.stdout.splitlines() if l.startswith("TOKEN ")]
        self.assertEqual(len(tokens), 1)
        kind, account, day, tag = PLATFORM.decode_token(tokens[0])
        self.assertEqual(kind, "u")
        self.assertEqual(account, PLATFORM.account_ids["promo-app"])
        self.assertIn(day, today_numbers())
        self.assertLessEqual(len(tokens[0].split("@")[0]), 64)
        for label in ("promotional", "promotional-own-unsubscribe"):
            self.assert_sender_changed(req, label, "promo-app")
        self.assertEqual(self.commands(req, "promotional").count("h"), 2)  # Feedback-ID, List-Unsubscribe
        self.assertEqual(self.commands(req, "promotional-own-unsubscribe").count("h"), 1)


# --- the milter protocol, spoken directly ----------------------------------------------------

SMFI_CURR_ACTS = 0x1FF
SMFI_CURR_PROT = 0x1FFFFF
SMFIP = {"NOCONNECT": 0x1, "NOHELO": 0x2, "NOMAIL": 0x4, "NORCPT": 0x8, "NOBODY": 0x10,
         "NOHDRS": 0x20, "NOEOH": 0x40, "NR_HDR": 0x80, "NODATA": 0x200, "NR_CONN": 0x1000,
         "NR_HELO": 0x2000, "NR_MAIL": 0x4000, "NR_RCPT": 0x8000, "NR_DATA": 0x10000,
         "NR_EOH": 0x40000, "NR_BODY": 0x80000}
FINAL_REPLIES = set("acdrty")


class MilterClient:
    """The MTA side of the milter protocol (version 6), as Postfix speaks it; replies are
    (command character, data bytes)."""

    def __init__(self, port, ip="127.0.0.1"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.send("O", struct.pack(">III", 6, SMFI_CURR_ACTS, SMFI_CURR_PROT))
        cmd, data = self.read()
        assert cmd == "O", f"option negotiation answered {cmd!r}"
        _, self.actions, self.protocol = struct.unpack(">III", data[:12])
        family = "6" if ":" in ip else "4"
        reply = self.step("C", b"client.sendpool.test\0" + family.encode() + struct.pack(">H", 4711)
                          + ip.encode() + b"\0", "NOCONNECT", "NR_CONN")
        assert reply[0] == "c", f"connect answered {reply}"

    def send(self, cmd, data=b""):
        self.sock.sendall(struct.pack(">I", len(data) + 1) + cmd.encode() + data)

    def recv_exactly(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise AssertionError("the milter closed the connection")
            buf += chunk
        return buf

    def read(self):
        head = self.recv_exactly(5)
        (length,) = struct.unpack(">I", head[:4])
        return chr(head[4]), self.recv_exactly(length - 1)

    def step(self, cmd, data, skip_flag, no_reply_flag):
        if self.protocol & SMFIP[skip_flag]:
            return ("c", b"")
        self.send(cmd, data)
        if self.protocol & SMFIP[no_reply_flag]:
            return ("c", b"")
        while True:
            reply = self.read()
            if reply[0] != "p":  # progress
                return reply

    def macros(self, stage, pairs):
        self.send("D", stage.encode() + b"".join(k.encode() + b"\0" + v.encode() + b"\0"
                                                 for k, v in pairs))

    def mail(self, sender, auth=None, queue_id="NOQUEUE"):
        pairs = [("i", queue_id)]
        if auth:
            pairs += [("{auth_type}", "PLAIN"), ("{auth_authen}", auth)]
        self.macros("M", pairs)
        return self.step("M", sender.encode() + b"\0", "NOMAIL", "NR_MAIL")

    def rcpt(self, recipient):
        return self.step("R", recipient.encode() + b"\0", "NORCPT", "NR_RCPT")

    def header(self, name, value):
        return self.step("L", name.encode() + b"\0" + value.encode() + b"\0", "NOHDRS", "NR_HDR")

    def eoh(self):
        return self.step("N", b"", "NOEOH", "NR_EOH")

    def body(self, chunk):
        return self.step("B", chunk, "NOBODY", "NR_BODY")

    def eom(self):
        """(modifications [(cmd, data)], final reply (cmd, data))."""
        self.send("E")
        mods = []
        while True:
            cmd, data = self.read()
            if cmd in FINAL_REPLIES:
                return mods, (cmd, data)
            if cmd != "p":
                mods.append((cmd, data))

    def close(self):
        try:
            self.send("Q")
        finally:
            self.sock.close()


def cstrings(data):
    return [p.decode() for p in data.split(b"\0")[:-1]]


STANDARD_HEADERS = [
    ("Received", "from app.customer.example (app.customer.example [192.0.2.1]) by mta"),
    ("To", "Someone <keep@example.net>"),
    ("Subject", "Your order 1234"),
    ("Date", "Fri, 04 Dec 2026 10:00:00 +0000"),
    ("Message-ID", "<order-1234@app.customer.example>"),
    ("MIME-Version", "1.0"),
    ("Content-Type", "text/plain; charset=utf-8"),
]


class Sent:
    """One message through MilterClient and what the milter asked for at its end."""

    def __init__(self, mail_reply, mods=(), final=None, headers=(), body=b""):
        self.mail_reply = mail_reply
        self.mods = list(mods)
        self.final = final
        self.headers = list(headers)
        self.body = body

    def of(self, cmd):
        return [d for c, d in self.mods if c == cmd]

    def new_sender(self):
        changes = self.of("e")
        assert len(changes) == 1, f"{len(changes)} sender changes"
        return cstrings(changes[0])[0]

    def signatures(self):
        return [cstrings(d[4:])[1] for d in self.of("i") if cstrings(d[4:])[0] == "DKIM-Signature"]

    def added(self, name):
        return [cstrings(d)[1] for d in self.of("h") if cstrings(d)[0] == name]

    def delivered_fields(self):
        """The header fields as Postfix delivers the message: its own Received: on top,
        smfi_insheader(1) just below it, the original headers, smfi_addheader()s appended."""
        fields = [("Received", "from client.sendpool.test by mta.sendpool.test (Postfix)")]
        fields += list(self.headers)
        for data in self.of("i"):
            (index,) = struct.unpack(">I", data[:4])
            name, value = cstrings(data[4:])
            fields.insert(index, (name, value))
        for data in self.of("h"):
            fields.append(tuple(cstrings(data)))
        return fields

    def delivered_signatures(self):
        """The DKIM-Signature values in delivered order (the index dkimpy's verify() takes)."""
        return [v for n, v in self.delivered_fields() if n == "DKIM-Signature"]

    def delivered(self):
        """The whole message as delivered, CRLF line ends (LF folds become CRLF folds)."""
        text = b"".join(f"{n}: {v}".replace("\r\n", "\n").replace("\n", "\r\n").encode() + b"\r\n"
                        for n, v in self.delivered_fields())
        return text + b"\r\n" + self.body


def send_message(sender, from_header, auth=None, ip="127.0.0.1", recipients=("<keep@example.net>",),
                 extra_headers=(), body=b"Hello,\r\n\r\nyour order has shipped.\r\n",
                 chunk_size=65535, queue_id="QPROTO", pause=0.0):
    client = MilterClient(PLATFORM.port, ip)
    try:
        reply = client.mail(sender, auth, queue_id)
        if reply[0] != "c":
            return Sent(reply)
        for r in recipients:
            got = client.rcpt(r)
            assert got[0] == "c", f"RCPT {r}: {got}"
        headers = [STANDARD_HEADERS[0], ("From", from_header)] + STANDARD_HEADERS[1:] + list(extra_headers)
        for name, value in headers:
            time.sleep(pause)
            got = client.header(name, value)
            assert got[0] == "c", f"header {name}: {got}"
        assert client.eoh()[0] == "c"
        for i in range(0, len(body), chunk_size):
            got = client.body(body[i:i + chunk_size])
            assert got[0] == "c", f"body: {got}"
        mods, final = client.eom()
        return Sent(reply, mods, final, headers, body)
    finally:
        client.close()


def dkimpy():
    try:
        import dkim  # python3-dkim
        return dkim
    except ImportError:
        return None


class MilterProtocolTest(unittest.TestCase):
    """What miltertest cannot show: the new envelope sender, reply texts, valid signatures."""

    @classmethod
    def setUpClass(cls):
        PLATFORM.assert_running()

    def assert_return_path(self, address, user):
        self.assertEqual(address, address.lower(), "the return path is not lower case")
        self.assertLessEqual(len(address.split("@")[0]), 64, address)
        kind, account, day, tag = PLATFORM.decode_token(address)
        self.assertEqual((kind, account), ("b", PLATFORM.account_ids[user]), address)
        self.assertIn(day, today_numbers(), address)
        return tag

    def test_sender_rewritten_to_signed_return_path(self):
        sent = send_message("<orders@acme.test>", "orders@acme.test", auth="tx-app")
        self.assertEqual(sent.final[0], "c", sent.final)
        tags = {self.assert_return_path(sent.new_sender(), "tx-app")}
        # Every message has its own tag.
        again = send_message("<orders@acme.test>", "orders@acme.test", auth="tx-app")
        tags.add(self.assert_return_path(again.new_sender(), "tx-app"))
        self.assertEqual(len(tags), 2, "two messages got the same tag")

        # Promotional: the List-Unsubscribe mailto token and the return path share account,
        # day and tag.
        promo = send_message("<news@promo.test>", "news@promo.test", auth="promo-app")
        tag = self.assert_return_path(promo.new_sender(), "promo-app")
        (lu,) = promo.added("List-Unsubscribe")
        mailto = re.fullmatch(r"<mailto:([^?>]+)\?subject=unsubscribe>", lu).group(1)
        self.assertEqual(PLATFORM.decode_token(mailto),
                         ("u", PLATFORM.account_ids["promo-app"],
                          PLATFORM.decode_token(promo.new_sender())[2], tag))

    def test_refusal_texts(self):
        cases = [
            (dict(sender="<ceo@evil.test>", auth="tx-app"),
             "550 5.7.1 evil.test is not authorised for account tx-app"),
            (dict(sender="<ceo@EVIL.test>", auth="tx-app"),
             "550 5.7.1 evil.test is not authorised for account tx-app"),
            (dict(sender="<offers@promo.test>", auth="tx-app"),
             "550 5.7.1 promo.test is not authorised for account tx-app"),
            (dict(sender="<>", auth="tx-app"),
             "550 5.7.1 account tx-app must send from one of its domains, not the null sender"),
            (dict(sender="<a@acme.test>", auth="nobody-here"), "550 5.7.1 unknown account nobody-here"),
            # smfi_setreply() takes '%' as a format character: it must arrive doubled.
            (dict(sender="<a@acme.test>", auth="50%off"), "550 5.7.1 unknown account 50%%off"),
            (dict(sender="<a@off.test>", auth="off-app"), "550 5.7.1 account off-app is disabled"),
            (dict(sender="<a@unpaid.test>", auth="unpaid-app"),
             "550 5.7.1 account unpaid-app is pending-payment"),
            (dict(sender="<a@ip.test>", ip="198.51.100.9"),
             "550 5.7.1 client 198.51.100.9 may not send without authentication"),
            (dict(sender="<a@ip.test>", ip="2001:db8:78::1"),
             "550 5.7.1 client 2001:db8:78::1 may not send without authentication"),
        ]
        for args, text in cases:
            with self.subTest(**args):
                sent = send_message(from_header="x@acme.test", **args)
                self.assertEqual(sent.mail_reply, ("y", text.encode() + b"\0"))
        sent = send_message("<a@acme.test>", "Boss <boss@evil.test>", auth="tx-app")
        self.assertEqual(sent.mods, [])
        self.assertEqual(sent.final, ("y", b"550 5.7.1 From: domain evil.test is not authorised "
                                           b"for account tx-app\0"))

    def verify_all(self, sent, records, expect):
        """Every DKIM-Signature of the delivered message verifies; returns [(d, s, a)]."""
        dkim = dkimpy()
        message = sent.delivered()
        d = dkim.DKIM(message)

        def dns(name, timeout=5):
            return records.get(name.decode().rstrip("."), "").encode() or None

        found = []
        self.assertEqual(len(sent.delivered_signatures()), len(sent.signatures()))
        for i, sig in enumerate(sent.delivered_signatures()):
            tags = dict(t.strip().split("=", 1) for t in re.sub(r"\s+", "", sig).split(";") if t)
            found.append((tags["d"], tags["s"], tags["a"]))
            with self.subTest(signature=found[-1]):
                self.assertTrue(d.verify(idx=i, dnsfunc=dns),
                                f"{found[-1]} does not verify:\n{message.decode()[:3000]}")
        self.assertCountEqual(found, expect)
        return found

    @unittest.skipIf(dkimpy() is None, "python3-dkim is not installed")
    def test_signatures_verify_with_dkimpy(self):
        records = PLATFORM.dns_records()
        platform = (PLATFORM_DKIM_DOMAIN, PLATFORM_SELECTOR, "rsa-sha256")
        sent = send_message("<orders@acme.test>", "Acme Orders <orders@acme.test>", auth="tx-app")
        self.verify_all(sent, records, [("acme.test", "s1", "rsa-sha256"), platform])
        # A 200 KB body in four chunks (the MTA sends at most 65535 bytes at a time), a folded
        # Subject (LF folds, as Postfix sends them), and an upper-case From domain.
        big = b"".join(b"line %06d of a long newsletter body .....\r\n" % i for i in range(4700))
        sent = send_message("<hello@both.test>", "Hello <hello@BOTH.test>", auth="ed-app",
                            extra_headers=[("Subject", "a folded\n\tsubject line")], body=big)
        self.assertEqual(sent.final[0], "c", sent.final)
        self.verify_all(sent, records, [("both.test", "b1", "rsa-sha256"),
                                        ("both.test", "b1e", "ed25519-sha256"), platform])
        # An IDN domain (A-label, in upper case in the From: header).
        sent = send_message("<a@xn--bcher-kva.test>", "=?utf-8?q?B=C3=BCcher?= <a@XN--BCHER-KVA.test>",
                            auth="idn-app")
        self.verify_all(sent, records, [("xn--bcher-kva.test", "k1", "rsa-sha256"), platform])
        # Promotional: List-Unsubscribe was added by the milter and is signed too.
        sent = send_message("<news@promo.test>", "news@promo.test", auth="promo-app")
        self.verify_all(sent, records, [("promo.test", "p1", "rsa-sha256"), platform])
        # Changing a signed header the milter added breaks the signatures.
        tampered = Sent(sent.mail_reply, [(c, d.replace(b"promo-app:", b"other-app:") if c == "h" else d)
                                          for c, d in sent.mods], sent.final, sent.headers, sent.body)
        self.assertFalse(dkimpy().DKIM(tampered.delivered()).verify(
            idx=0, dnsfunc=lambda n, timeout=5: records.get(n.decode().rstrip("."), "").encode()))

    def test_concurrent_connections(self):
        """Eight connections at once, their steps interleaved (libmilter's worker pool moves a
        connection between threads): every message gets its own account's changes."""
        senders = [("tx-app", "<orders@acme.test>", "acme.test", "127.0.0.1"),
                   ("promo-app", "<news@promo.test>", "promo.test", "127.0.0.1"),
                   ("ed-app", "<hello@both.test>", "both.test", "127.0.0.1"),
                   (None, "<noreply@ip.test>", "ip.test", "192.0.2.77")]
        results, errors = [], []
        start = threading.Barrier(8)

        def worker(n):
            try:
                user, sender, domain, ip = senders[n % len(senders)]
                start.wait(timeout=30)
                for i in range(4):
                    sent = send_message(sender, sender.strip("<>"), auth=user, ip=ip,
                                        queue_id=f"QPAR{n}x{i}", pause=0.002)
                    results.append((user or "ip-app", domain, sent))
            except BaseException as e:  # reported below, in the test's thread
                errors.append(f"worker {n}: {e!r}")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 32)
        for user, domain, sent in results:
            self.assertEqual(sent.final[0], "c", (user, sent.final))
            kind = "promotional" if user == "promo-app" else "transactional"
            self.assertEqual(sent.added("Feedback-ID"), [f"{user}:acme:{kind}:sendpool"])
            self.assert_return_path(sent.new_sender(), user)
            domains = sorted(re.search(r"\bd=([^;\s]+)", s).group(1) for s in sent.signatures())
            self.assertEqual(domains, sorted([domain] * (2 if user == "ed-app" else 1)
                                             + [PLATFORM_DKIM_DOMAIN]), user)

    def test_abrupt_disconnects(self):
        """Connections dropped at any point (even before the connect step) leave the milter
        serving."""
        s = socket.create_connection(("127.0.0.1", PLATFORM.port), timeout=10)
        s.close()
        c = MilterClient.__new__(MilterClient)
        c.sock = socket.create_connection(("127.0.0.1", PLATFORM.port), timeout=10)
        c.send("O", struct.pack(">III", 6, SMFI_CURR_ACTS, SMFI_CURR_PROT))
        c.read()
        c.send("Q")  # negotiated, then QUIT without a connect step: xxfi_close without a session
        c.sock.close()
        for stop_after in ("connect", "mail", "header", "body"):
            c = MilterClient(PLATFORM.port)
            if stop_after != "connect":
                c.mail("<orders@acme.test>", "tx-app")
                c.rcpt("<keep@example.net>")
            if stop_after in ("header", "body"):
                c.header("From", "orders@acme.test")
            if stop_after == "body":
                c.eoh()
                c.body(b"partial")
            c.sock.close()  # no QUIT, no ABORT
        time.sleep(0.2)
        PLATFORM.assert_running()
        sent = send_message("<orders@acme.test>", "orders@acme.test", auth="tx-app")
        self.assertEqual(sent.final[0], "c", sent.final)
        self.assertEqual(len(sent.signatures()), 2)

    def test_rotated_domain_key_is_used(self):
        def domain_selector(sent):
            sels = [re.search(r"\bs=([^;\s]+)", s).group(1) for s in sent.signatures()
                    if re.search(r"\bd=rot\.test;", s)]
            self.assertEqual(len(sels), 1, sent.signatures())
            return sels[0]

        first = send_message("<a@rot.test>", "a@rot.test", auth="rot-app")
        self.assertEqual(domain_selector(first), "r1")
        PLATFORM.ctl("domain", "rotate", "rot.test", "--selector", "r2", "--key-type", "rsa")
        second = send_message("<a@rot.test>", "a@rot.test", auth="rot-app")
        self.assertEqual(domain_selector(second), "r2", "the milter still signs with the old key")
        if dkimpy():
            self.verify_all(second, PLATFORM.dns_records(),
                            [("rot.test", "r2", "rsa-sha256"),
                             (PLATFORM_DKIM_DOMAIN, PLATFORM_SELECTOR, "rsa-sha256")])


# --- the command line ----------------------------------------------------------------------

class CheckConfigTest(unittest.TestCase):
    """--version and --check-config; no milter runs."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sendpool-milter-config-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def run_milter(self, *args):
        return subprocess.run([MILTER, *args], capture_output=True, text=True, timeout=30)

    def config(self, drop=None, **platform_overrides):
        """A copy of the module's configuration, with platform.`drop` left out."""
        values = json.loads(json.dumps(PLATFORM.values))
        values["store"] = os.path.join(self.dir, "store")
        values["milter"]["listen"] = f"inet:127.0.0.1:{free_port()}"
        values["platform"].update(platform_overrides)
        if drop:
            del values["platform"][drop]
        path = os.path.join(self.dir, "sendpool.yaml")
        write_config(path, values)
        return path

    def test_version(self):
        r = self.run_milter("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^sendpool-milter \S+\n$")

    def test_good_config(self):
        path = self.config()
        r = self.run_milter("--config", path, "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("configuration is valid", r.stdout)

    def test_config_without_platform_dkim_key_file(self):
        path = self.config(drop="dkim_key_file")
        r = self.run_milter("--config", path, "--check-config")
        self.assertEqual(r.returncode, EXIT_CONFIG, r.stdout + r.stderr)
        self.assertIn(path, r.stderr)
        self.assertIn("platform.dkim_key_file", r.stderr)
        # Started for real, it refuses the same way (and does not listen).
        r = self.run_milter("--config", path, "--foreground")
        self.assertEqual(r.returncode, EXIT_CONFIG, r.stdout + r.stderr)
        self.assertIn("platform.dkim_key_file", r.stderr)

    def test_config_with_bad_key_and_secret_files(self):
        missing = os.path.join(self.dir, "no-such.private")
        not_a_key = os.path.join(self.dir, "not-a-key.private")
        with open(not_a_key, "w") as f:
            f.write("not a PEM key\n")
        open_secret = os.path.join(self.dir, "open.secret")
        with open(open_secret, "w") as f:
            f.write("0123456789abcdef0123456789abcdef\n")
        os.chmod(open_secret, 0o644)
        for overrides, key in [({"dkim_key_file": missing}, "platform.dkim_key_file"),
                               ({"dkim_key_file": not_a_key}, "platform.dkim_key_file"),
                               ({"token_secret_file": open_secret}, "platform.token_secret_file")]:
            with self.subTest(**overrides):
                path = self.config(**overrides)
                r = self.run_milter("--config", path, "--check-config")
                self.assertEqual(r.returncode, EXIT_CONFIG, r.stdout + r.stderr)
                self.assertIn(path, r.stderr)
                self.assertIn(key, r.stderr)


def main():
    global MILTER, SENDPOOLCTL
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--milter", required=True)
    parser.add_argument("--sendpoolctl", required=True)
    args, rest = parser.parse_known_args()
    MILTER, SENDPOOLCTL = os.path.abspath(args.milter), os.path.abspath(args.sendpoolctl)
    for tool in (MILTERTEST, shutil.which("openssl")):
        if not tool or not os.access(tool, os.X_OK):
            print(f"milter_test.py: {tool or 'openssl'} is missing", file=sys.stderr)
            return 1
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    sys.exit(main())
