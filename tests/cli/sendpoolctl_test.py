#!/usr/bin/python3
"""sendpoolctl driven as an operator would: the real binary, a fresh store per test.

Every test runs `sendpoolctl --config EMPTY.yaml --store TMPDIR/store ...` as a subprocess
(the empty config keeps /etc/sendpool out of the picture) and checks what an operator sees:
the exit status (0 ok, 1 refused, 2 usage error, 78 bad config), the one-line
"sendpoolctl: ..." message on stderr, the tables and the --json fields.

Every refused or invalid command is also checked to leave the store exactly as it was: the
`mdb_dump -a -p` output of all named databases, the bytes of data.mdb and the list of files
in the store directory are compared before and after.

Below the CLI: message counters and reputation scores are written by sendpool-policyd and
the outcome tools, which this suite does not run. Where a test needs them it seeds the
records with `mdb_load` in the layout of core/store/tables.h and core/store/records.cc
(see seed_counters / seed_reputation), so those tests also pin that layout.

Speed: password hashing (~0.1 s) and RSA key generation (~0.2 s) run only in the few tests
about them; the common catalogue is built once and copied into each test (from_template).

Pools are assigned from reputation by `reputation recompute` (the same code the outcome
programs run), so ReputationStandingTest seeds counters and lets sendpoolctl move accounts.

Not tested here:
- stored password hashes verifying at SMTP AUTH (sendpool-policyd's auth listener);
- a store with a newer schema version, LMDB map-full and I/O errors;
- that `suppression import` keeps the time column of an export: it does not (a core bug,
  see test_import_keeps_the_exported_time, marked as an expected failure).

Usage: sendpoolctl_test.py --sendpoolctl PATH [unittest options]
"""

import argparse
import base64
import datetime
import difflib
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
from collections import namedtuple

SENDPOOLCTL = None  # set from --sendpoolctl in main()
TEMPLATES = None  # directory of stores built once and copied into tests (see from_template)
SOURCE_DIR = os.path.dirname(os.path.abspath(__file__))
SHIPPED_CONFIG = os.path.normpath(os.path.join(SOURCE_DIR, "..", "..", "etc", "sendpool.yaml"))

PASSWORD = "correct horse battery\n"
Run = namedtuple("Run", "rc out err")


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def day(text):
    return datetime.date.fromisoformat(text)


# --- DER, just enough to take an RSA SubjectPublicKeyInfo apart -------------------------

RSA_ENCRYPTION_OID = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1


def der_read(data, pos):
    """One TLV at `pos`: (tag, value bytes, position after it); raises ValueError."""
    if pos + 2 > len(data):
        raise ValueError("truncated TLV")
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        if n == 0 or n > 4 or pos + n > len(data):
            raise ValueError("bad length")
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    if pos + length > len(data):
        raise ValueError("value runs past the end")
    return tag, data[pos:pos + length], pos + length


def parse_rsa_spki(der):
    """(modulus, exponent) of a DER SubjectPublicKeyInfo holding an RSA key."""
    tag, spki, end = der_read(der, 0)
    if tag != 0x30 or end != len(der):
        raise ValueError("not one DER SEQUENCE")
    tag, algorithm, pos = der_read(spki, 0)
    if tag != 0x30:
        raise ValueError("no AlgorithmIdentifier")
    tag, oid, _ = der_read(algorithm, 0)
    if tag != 0x06 or oid != RSA_ENCRYPTION_OID:
        raise ValueError("algorithm is not rsaEncryption")
    tag, bits, _ = der_read(spki, pos)
    if tag != 0x03 or not bits or bits[0] != 0:
        raise ValueError("no BIT STRING")
    tag, key, _ = der_read(bits, 1)
    if tag != 0x30:
        raise ValueError("no RSAPublicKey SEQUENCE")
    tag, n, pos = der_read(key, 0)
    tag2, e, _ = der_read(key, pos)
    if tag != 0x02 or tag2 != 0x02:
        raise ValueError("RSAPublicKey is not two INTEGERs")
    return int.from_bytes(n, "big"), int.from_bytes(e, "big")


# --- DNS records as `domain add` / `domain dns` print them -------------------------------

DNS_RECORD = re.compile(r'^(\S+)\. IN TXT \( ((?:"[^"]*" ?)+)\)$')


def dns_records(text):
    """{record name: TXT value with its strings joined} of the zone-file lines in `text`."""
    records = {}
    for line in text.splitlines():
        m = DNS_RECORD.match(line)
        if m:
            records[m.group(1)] = "".join(re.findall(r'"([^"]*)"', m.group(2)))
    return records


def dkim_tags(txt):
    """The tag=value pairs of a DKIM TXT value."""
    tags = {}
    for part in txt.split(";"):
        part = part.strip()
        if part:
            k, _, v = part.partition("=")
            tags[k.strip()] = v.strip()
    return tags


class CliTest(unittest.TestCase):
    """A fresh store directory and an empty configuration file per test."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sendpoolctl-test-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.store = os.path.join(self.tmp, "store")
        self.config = self.write_file("sendpool.yaml", "")

    # --- running the tool -----------------------------------------------------------------

    def write_file(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def ctl(self, *args, stdin=None, config=None, store=None, global_options=True):
        cmd = [SENDPOOLCTL]
        if global_options:
            cmd += ["--config", config or self.config, "--store", store or self.store]
        cmd += list(args)
        p = subprocess.run(cmd, input=stdin,
                           stdin=None if stdin is not None else subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
        return Run(p.returncode, p.stdout, p.stderr)

    def ok(self, *args, **kw):
        """Runs a command that must succeed silently on stderr; returns its stdout."""
        r = self.ctl(*args, **kw)
        self.assertEqual(r.rc, 0, f"sendpoolctl {' '.join(args)} failed:\n{r.err}")
        self.assertEqual(r.err, "", f"sendpoolctl {' '.join(args)} wrote to stderr")
        return r.out

    def json(self, *args, **kw):
        return json.loads(self.ok("--json", *args, **kw))

    # --- the store, byte for byte ---------------------------------------------------------

    def snapshot(self):
        """Everything a refused command must not change; None when there is no store."""
        if not os.path.exists(self.store):
            return None
        files = sorted(os.listdir(self.store))
        data_path = os.path.join(self.store, "data.mdb")
        if not os.path.exists(data_path):
            return (files, "", "")
        with open(data_path, "rb") as f:
            data = f.read()
        dump = subprocess.run(["mdb_dump", "-a", "-p", self.store], capture_output=True,
                              check=True).stdout.decode("ascii", "backslashreplace")
        return (files, dump, f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")

    def assertStoreUnchanged(self, before):
        after = self.snapshot()
        if before is None or after is None:
            self.assertEqual(before, after, "store created or removed")
            return
        self.assertEqual(before[0], after[0], "files in the store directory changed")
        if before[1] != after[1]:
            diff = difflib.unified_diff(before[1].splitlines(), after[1].splitlines(), "before",
                                        "after", n=3, lineterm="")
            self.fail("mdb_dump output changed:\n" + "\n".join(diff))
        self.assertEqual(before[2], after[2], "data.mdb bytes changed")

    def refused(self, *args, code=1, message, stdin=None, config=None, store=None, usage=True):
        """Runs a command that must fail with `code`, naming `message` (a substring) on
        stderr, printing nothing on stdout and leaving the store byte-for-byte unchanged.
        Returns stderr."""
        before = self.snapshot()
        r = self.ctl(*args, stdin=stdin, config=config, store=store)
        where = f"sendpoolctl {' '.join(args)}"
        self.assertEqual(r.rc, code, f"{where}: exit {r.rc}, stderr:\n{r.err}")
        self.assertEqual(r.out, "", f"{where}: printed on stdout")
        lines = r.err.splitlines()
        self.assertTrue(lines, f"{where}: nothing on stderr")
        self.assertTrue(lines[0].startswith("sendpoolctl: "), f"{where}: stderr {r.err!r}")
        if code in (1, 78):
            self.assertEqual(len(lines), 1, f"{where}: a refusal is one line, got:\n{r.err}")
        elif usage:  # a usage error is followed by the usage of the command (or the noun's)
            self.assertRegex(lines[1] if len(lines) > 1 else "", r"^(usage: sendpoolctl |  \w)",
                             f"{where}: no usage after the error:\n{r.err}")
        self.assertIn(message, lines[0], f"{where}: stderr {r.err!r}")
        self.assertStoreUnchanged(before)
        return r.err

    # --- fixtures -------------------------------------------------------------------------

    def plans(self):
        self.ok("plan", "add", "free", "--kind", "free", "--messages", "100")
        self.ok("plan", "add", "monthly", "--kind", "monthly", "--messages", "1000")
        self.ok("plan", "add", "prepaid", "--kind", "prepaid", "--messages", "500",
                "--valid-days", "30")

    def from_template(self, name, build):
        """Gives this test a copy of the store `build` makes, built once per run: every
        committed write costs an fsync, and most tests start from the same catalogue."""
        template = os.path.join(TEMPLATES, name)
        if not os.path.exists(template):
            build()
            shutil.copytree(self.store, template)
        else:
            self.assertFalse(os.path.exists(self.store), "template over an existing store")
            shutil.copytree(template, self.store)

    def catalogue(self):
        """Customer acme with app1 (monthly from 2024-01-15) and app2 (prepaid from
        2024-01-10, expired), no passwords (hashing is slow and rarely the point)."""
        self.from_template("catalogue", self.build_catalogue)

    def build_catalogue(self):
        self.ok("customer", "add", "acme", "--max-accounts", "3")
        self.plans()
        self.ok("account", "add", "app1", "--customer", "acme", "--plan", "monthly", "--type",
                "transactional", "--start", "2024-01-15")
        self.ok("account", "add", "app2", "--customer", "acme", "--plan", "prepaid", "--type",
                "promotional", "--start", "2024-01-10")

    def account_id(self, user):
        return self.json("account", "show", user)["id"]

    def load(self, db, records):
        """Writes raw key/value records into a named database with mdb_load (text mode)."""
        text = "".join("".join(f"\\{b:02x}" for b in k) + "\n" + "".join(f"\\{b:02x}" for b in v)
                       + "\n" for k, v in records)
        subprocess.run(["mdb_load", "-T", "-s", db, self.store], input=text.encode(),
                       check=True, capture_output=True)

    @staticmethod
    def varint(v):
        out = bytearray()
        while v >= 0x80:
            out.append((v & 0x7F) | 0x80)
            v >>= 7
        out.append(v)
        return bytes(out)

    def seed_counters(self, user, date, accepted=0, enqueued=0, delivered=0, bounced=0,
                      suppressed=0, complaints=0, unsubscribes=0, opens=0, clicks=0):
        # counters: be64(account id) be32(day number + 2^31) -> version 1, nine varints
        days = (date - datetime.date(1970, 1, 1)).days
        key = struct.pack(">QI", self.account_id(user), days + (1 << 31))
        value = bytes([1]) + b"".join(self.varint(x) for x in (
            accepted, enqueued, delivered, bounced, suppressed, complaints, unsubscribes,
            opens, clicks))
        self.load("counters", [(key, value)])

    def seed_reputation(self, user, score, bounce=0.0, complaint=0.0, unsubscribe=0.0,
                        engagement=0.0, computed=1_700_000_000):
        # reputation: be64(account id) -> version 1, five little-endian doubles, zigzag time
        key = struct.pack(">Q", self.account_id(user))
        value = (bytes([1]) + struct.pack("<5d", score, bounce, complaint, unsubscribe, engagement)
                 + self.varint(computed << 1))
        self.load("reputation", [(key, value)])


class CustomerTest(CliTest):
    def test_add_list_show_remove(self):
        out = self.ok("customer", "add", "acme", "--max-accounts", "3")
        self.assertEqual(out, "customer acme added (at most 3 accounts)\n")
        self.assertEqual(self.json("customer", "add", "beta"), {"name": "beta", "max_accounts": 10})

        table = self.ok("customer", "list").splitlines()
        self.assertEqual(table[0].split(), ["CUSTOMER", "ACCOUNTS", "REPUTATION"])
        self.assertEqual([row.split() for row in table[1:]],
                         [["acme", "0/3", "-"], ["beta", "0/10", "-"]])

        listed = self.json("customer", "list")
        self.assertEqual([c["name"] for c in listed], ["acme", "beta"])
        shown = self.json("customer", "show", "acme")
        self.assertEqual(set(shown), {"name", "max_accounts", "created", "accounts", "reputation"})
        self.assertEqual(shown["max_accounts"], 3)
        self.assertEqual(shown["accounts"], [])
        self.assertIsNone(shown["reputation"])
        self.assertRegex(shown["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRegex(self.ok("customer", "show", "acme"), r"(?m)^accounts:\s+0 of 3$")

        self.assertEqual(self.ok("customer", "remove", "beta"), "customer beta removed\n")
        self.assertEqual([c["name"] for c in self.json("customer", "list")], ["acme"])
        self.refused("customer", "show", "beta", message="no customer named beta")

    def test_show_lists_the_customers_accounts(self):
        self.catalogue()
        shown = self.json("customer", "show", "acme")
        self.assertEqual(shown["accounts"], ["app1", "app2"])
        text = self.ok("customer", "show", "acme")
        self.assertRegex(text, r"(?m)^accounts:\s+2 of 3$")
        self.assertRegex(text, r"(?m)^app1\s+-$")

    def test_duplicate_customer_is_refused(self):
        self.ok("customer", "add", "acme")
        self.refused("customer", "add", "acme", "--max-accounts", "5",
                     message="customer acme already exists")

    def test_invalid_customer_name_is_refused(self):
        self.ok("customer", "add", "acme")
        for name in ("Acme", "_acme", "a" * 65):
            with self.subTest(name=name):
                self.refused("customer", "add", name, message="customer name")

    def test_max_accounts_out_of_range_is_a_usage_error(self):
        self.ok("customer", "add", "acme")
        for value in ("0", "-1", "ten", "100001"):
            with self.subTest(value=value):
                self.refused("customer", "add", "beta", "--max-accounts", value, code=2,
                             message=f'--max-accounts expects a whole number from 1 to 100000, '
                                     f'got "{value}"')

    def test_remove_customer_with_accounts_is_refused(self):
        self.catalogue()
        self.refused("customer", "remove", "acme", message="customer acme still has 2 account(s)")

    def test_remove_unknown_customer_is_refused(self):
        self.ok("customer", "add", "acme")
        self.refused("customer", "remove", "nobody", message="no customer named nobody")


class PlanTest(CliTest):
    def test_add_list_show(self):
        self.assertEqual(self.ok("plan", "add", "free", "--kind", "free", "--messages", "100"),
                         "plan free added: free 100 per month\n")
        self.ok("plan", "add", "pro", "--kind", "monthly", "--messages", "50000",
                "--hourly-limit", "2000", "--max-recipients", "50", "--max-size", "10485760")
        added = self.json("plan", "add", "pack", "--kind", "prepaid", "--messages", "5000",
                          "--valid-days", "90")
        self.assertEqual(added["valid_days"], 90)

        self.assertEqual(self.json("plan", "show", "pro"), {
            "name": "pro", "kind": "monthly", "messages": 50000, "hourly_limit": 2000,
            "max_recipients": 50, "max_size": 10485760})
        self.assertEqual(self.json("plan", "show", "pack")["kind"], "prepaid")
        # valid_days only means something for prepaid packages
        self.assertNotIn("valid_days", self.json("plan", "show", "free"))
        self.assertEqual(self.json("plan", "add", "pack2", "--kind", "prepaid", "--messages",
                                   "1")["valid_days"], 365)

        self.assertEqual([p["name"] for p in self.json("plan", "list")],
                         ["free", "pack", "pack2", "pro"])
        table = self.ok("plan", "list")
        self.assertRegex(table, r"(?m)^pack\s+prepaid\s+5000 valid 90 days\s+unlimited")
        self.assertRegex(table, r"(?m)^pro\s+monthly\s+50000 per month\s+2000\s+50\s+10485760$")
        text = self.ok("plan", "show", "free")
        self.assertIn("messages per hour:", text)
        self.assertRegex(text, r"(?m)^messages per hour:\s+unlimited$")

    def test_bad_message_counts_are_usage_errors(self):
        self.ok("plan", "add", "free", "--kind", "free", "--messages", "100")
        for value in ("-1", "abc", "0", "1.5", "", "9007199254740993"):
            with self.subTest(value=value):
                self.refused("plan", "add", "x", "--kind", "monthly", "--messages", value, code=2,
                             message=f'--messages expects a whole number from 1 to '
                                     f'9007199254740992, got "{value}"')

    def test_bad_kind_and_misplaced_options_are_usage_errors(self):
        self.ok("plan", "add", "free", "--kind", "free", "--messages", "100")
        self.refused("plan", "add", "x", "--kind", "weekly", "--messages", "5", code=2,
                     message="--kind must be free, monthly or prepaid")
        self.refused("plan", "add", "x", "--kind", "monthly", "--messages", "5",
                     "--valid-days", "30", code=2,
                     message="--valid-days applies to prepaid plans only")
        self.refused("plan", "add", "x", "--kind", "monthly", code=2,
                     message="the option '--messages' is required but missing")

    def test_duplicate_plan_is_refused(self):
        self.ok("plan", "add", "free", "--kind", "free", "--messages", "100")
        self.refused("plan", "add", "free", "--kind", "monthly", "--messages", "5",
                     message="plan free already exists")

    def test_show_unknown_plan_is_refused(self):
        self.ok("plan", "add", "free", "--kind", "free", "--messages", "100")
        self.refused("plan", "show", "gold", message="no plan named gold")


class AccountTest(CliTest):
    ACCOUNT_KEYS = {"username", "id", "customer", "plan", "plan_kind", "type", "status",
                    "status_reason", "available_messages", "allowed_ips", "bounce_address",
                    "max_domains", "domains", "start", "pool", "reputation", "has_password"}

    def add(self, user, plan="monthly", customer="acme", *extra, **kw):
        return self.ok("account", "add", user, "--customer", customer, "--plan", plan,
                       "--type", "transactional", *extra, **kw)

    def test_add_with_password_stdin_then_passwd(self):
        self.ok("customer", "add", "acme")
        self.plans()
        out = self.add("app1", "monthly", "acme", "--password-stdin", stdin=PASSWORD)
        self.assertEqual(out, "account app1 added for customer acme on plan monthly\n")
        self.assertTrue(self.json("account", "show", "app1")["has_password"])
        self.assertRegex(self.ok("account", "show", "app1"), r"(?m)^password:\s+set$")
        before = self.snapshot()[1]
        self.assertEqual(self.ok("account", "passwd", "app1", "--password-stdin",
                                 stdin="another long secret\n"),
                         "password of account app1 changed\n")
        self.assertNotEqual(before, self.snapshot()[1], "passwd did not change the stored hash")
        self.assertNotIn(PASSWORD.strip(), self.snapshot()[1], "password stored in clear")

    def test_add_without_password_says_how_to_set_one(self):
        self.ok("customer", "add", "acme")
        self.plans()
        self.assertEqual(self.json("account", "add", "app1", "--customer", "acme", "--plan",
                                   "monthly", "--type", "promotional"),
                         {"username": "app1", "id": 1})
        self.assertIn("(no password yet: account passwd)", self.add("app2", "prepaid"))
        self.assertFalse(self.json("account", "show", "app1")["has_password"])

    def test_show_json_of_a_monthly_account(self):
        self.catalogue()
        shown = self.json("account", "show", "app1", "--at", "2024-03-20T10:00:00Z")
        self.assertEqual(set(shown), self.ACCOUNT_KEYS | {"period_start", "period_end"})
        self.assertEqual(shown["username"], "app1")
        self.assertEqual(shown["customer"], "acme")
        self.assertEqual(shown["plan"], "monthly")
        self.assertEqual(shown["plan_kind"], "monthly")
        self.assertEqual(shown["type"], "transactional")
        self.assertEqual(shown["status"], "enabled")
        self.assertIsNone(shown["status_reason"])
        self.assertEqual(shown["available_messages"], 1000)
        self.assertEqual((shown["period_start"], shown["period_end"]), ("2024-03-15", "2024-04-15"))
        self.assertEqual(shown["domains"], [])
        self.assertEqual(shown["allowed_ips"], [])
        self.assertIsNone(shown["bounce_address"])
        self.assertEqual(shown["max_domains"], 10)
        self.assertEqual(shown["start"], "2024-01-15")
        self.assertIsNone(shown["pool"])
        self.assertIsNone(shown["reputation"])

        text = self.ok("account", "show", "app1", "--at", "2024-03-20T10:00:00Z")
        self.assertRegex(text, r"(?m)^billing period:\s+2024-03-15 to 2024-04-14 "
                               r"\(resets 2024-04-15\)$")
        self.assertRegex(text, r"(?m)^pool:\s+- \(not assigned yet\)$")

    def test_at_moves_the_monthly_period(self):
        self.catalogue()
        for at, start, end in (("2024-01-15T00:00:00Z", "2024-01-15", "2024-02-15"),
                               ("2024-02-14T23:59:59Z", "2024-01-15", "2024-02-15"),
                               ("2024-02-15T00:00:00Z", "2024-02-15", "2024-03-15"),
                               ("2024-12-31T12:00:00Z", "2024-12-15", "2025-01-15")):
            with self.subTest(at=at):
                shown = self.json("account", "show", "app1", "--at", at)
                self.assertEqual((shown["period_start"], shown["period_end"]), (start, end))
        # now: the period that contains today
        today = utc_today()
        shown = self.json("account", "show", "app1")
        self.assertLessEqual(day(shown["period_start"]), today)
        self.assertLess(today, day(shown["period_end"]))
        self.assertEqual(day(shown["period_start"]).day, 15)

    def test_period_anchored_on_the_31st_is_clamped_to_short_months(self):
        self.catalogue()
        self.add("app3", "monthly", "acme", "--start", "2024-01-31")
        for at, start, end in (("2024-02-29T12:00:00Z", "2024-02-29", "2024-03-31"),
                               ("2024-04-30T00:00:00Z", "2024-04-30", "2024-05-31"),
                               ("2025-02-27T00:00:00Z", "2025-01-31", "2025-02-28")):
            with self.subTest(at=at):
                shown = self.json("account", "show", "app3", "--at", at)
                self.assertEqual((shown["period_start"], shown["period_end"]), (start, end))

    def test_show_json_of_a_prepaid_account_and_its_expiry(self):
        self.catalogue()
        # 30 days from 2024-01-10: usable until 00:00 UTC of 2024-02-09
        inside = self.json("account", "show", "app2", "--at", "2024-02-08T23:59:59Z")
        self.assertEqual(set(inside), self.ACCOUNT_KEYS | {"expires"})
        self.assertEqual(inside["plan_kind"], "prepaid")
        self.assertEqual(inside["type"], "promotional")
        self.assertEqual(inside["available_messages"], 500)
        self.assertEqual(inside["expires"], "2024-02-09")
        after = self.json("account", "show", "app2", "--at", "2024-02-09T00:00:00Z")
        self.assertEqual(after["available_messages"], 0)
        self.assertEqual(self.json("account", "show", "app2")["available_messages"], 0)
        self.assertRegex(self.ok("account", "show", "app2"),
                         r"(?m)^available messages:\s+0 \(prepaid package expired\)$")
        self.assertRegex(self.ok("account", "show", "app2", "--at", "2024-01-20T00:00:00Z"),
                         r"(?m)^package expires:\s+2024-02-09$")

    def test_topup(self):
        self.catalogue()
        today = utc_today()
        self.add("fresh", "prepaid")
        self.assertEqual(self.json("account", "show", "fresh")["expires"],
                         str(today + datetime.timedelta(days=30)))
        # a shorter top-up never moves the expiry earlier
        self.assertEqual(self.json("account", "topup", "fresh", "--messages", "100",
                                   "--valid-days", "10"),
                         {"username": "fresh", "prepaid_remaining": 600,
                          "expires": str(today + datetime.timedelta(days=30))})
        out = self.ok("account", "topup", "fresh", "--messages", "50", "--valid-days", "60")
        later = today + datetime.timedelta(days=60)
        self.assertEqual(out, f"account fresh now has 650 prepaid messages, valid until {later}\n")
        shown = self.json("account", "show", "fresh")
        self.assertEqual((shown["available_messages"], shown["expires"]), (650, str(later)))
        # an expired package does not come back to life: only the new messages count
        self.assertEqual(self.json("account", "topup", "app2", "--messages", "100")
                         ["prepaid_remaining"], 100)
        self.assertEqual(self.json("account", "show", "app2")["expires"],
                         str(today + datetime.timedelta(days=30)))

    def test_topup_of_a_monthly_account_is_refused(self):
        self.catalogue()
        self.refused("account", "topup", "app1", "--messages", "100",
                     message="only prepaid packages take top-ups")
        self.refused("account", "topup", "app2", "--messages", "-1", code=2,
                     message='--messages expects a whole number')
        self.refused("account", "topup", "ghost", "--messages", "1",
                     message="no account named ghost")

    def test_set(self):
        self.catalogue()
        self.assertEqual(self.ok("account", "set", "app1", "--status", "paused", "--reason",
                                 "billing review", "--allow-ip", "192.0.2.0/24", "--allow-ip",
                                 "2001:db8::/64", "--bounce-address", "Ops@Example.COM",
                                 "--max-domains", "3"),
                         "account app1 changed\n")
        shown = self.json("account", "show", "app1")
        self.assertEqual(shown["status"], "paused")
        self.assertEqual(shown["status_reason"], "billing review")
        self.assertEqual(shown["allowed_ips"], ["192.0.2.0/24", "2001:db8::/64"])
        self.assertEqual(shown["bounce_address"], "Ops@example.com")
        self.assertEqual(shown["max_domains"], 3)
        self.assertRegex(self.ok("account", "show", "app1"),
                         r"(?m)^status:\s+paused \(billing review\)$")

        self.ok("account", "set", "app1", "--status", "enabled", "--deny-ip", "192.0.2.0/24",
                "--bounce-address", "")
        shown = self.json("account", "show", "app1")
        self.assertEqual((shown["status"], shown["status_reason"]), ("enabled", None))
        self.assertEqual(shown["allowed_ips"], ["2001:db8::/64"])
        self.assertIsNone(shown["bounce_address"])

        # moving to a prepaid plan starts a package today
        self.ok("account", "set", "app1", "--plan", "prepaid")
        shown = self.json("account", "show", "app1")
        self.assertEqual((shown["plan"], shown["available_messages"]), ("prepaid", 500))
        self.assertEqual(shown["expires"], str(utc_today() + datetime.timedelta(days=30)))
        self.assertNotIn("period_start", shown)

    def test_bad_changes_are_refused(self):
        self.catalogue()
        self.ok("account", "set", "app1", "--allow-ip", "192.0.2.0/24")
        self.refused("account", "set", "app2", "--allow-ip", "192.0.2.128/25",
                     message="192.0.2.128/25 overlaps 192.0.2.0/24 allowed for account app1")
        self.refused("account", "set", "app1", "--deny-ip", "10.0.0.0/8",
                     message="10.0.0.0/8 is not allowed for account app1")
        # (the message does not quote the bad CIDR: core's parse_cidr, reported)
        self.refused("account", "set", "app1", "--allow-ip", "300.1.2.3/8",
                     message="not an IPv4 or IPv6 address")
        self.refused("account", "set", "app1", "--bounce-address", "nobody", message="no '@'")
        self.refused("account", "set", "app1", "--plan", "gold", message="no plan named gold")
        self.refused("account", "set", "ghost", "--status", "paused",
                     message="no account named ghost")
        self.refused("account", "set", "app1", code=2, message="nothing to change")
        self.refused("account", "set", "app1", "--status", "asleep", code=2,
                     message="--status must be enabled, disabled, pending-payment or paused")
        self.refused("account", "set", "app1", "--max-domains", "0", code=2,
                     message="--max-domains expects a whole number from 1 to 100000")

    def test_list(self):
        self.catalogue()
        self.ok("customer", "add", "beta")
        self.add("b1", "free", "beta")
        table = self.ok("account", "list").splitlines()
        self.assertEqual(table[0].split(),
                         ["ACCOUNT", "CUSTOMER", "PLAN", "TYPE", "STATUS", "AVAILABLE", "DOMAINS",
                          "POOL"])
        self.assertEqual([row.split()[0] for row in table[1:]], ["app1", "app2", "b1"])
        self.assertEqual(table[3].split(),
                         ["b1", "beta", "free", "transactional", "enabled", "100", "0", "-"])
        listed = self.json("account", "list", "--customer", "acme")
        self.assertEqual([a["username"] for a in listed], ["app1", "app2"])
        self.assertEqual(set(listed[0]), self.ACCOUNT_KEYS | {"period_start", "period_end"})
        self.assertEqual(self.json("account", "list", "--customer", "beta")[0]["plan"], "free")
        self.refused("account", "list", "--customer", "gamma", message="no customer named gamma")

    def test_monthly_availability_subtracts_charged_recipients(self):
        self.catalogue()
        today = utc_today()
        period_start = day(self.json("account", "show", "app1")["period_start"])
        # charged = accepted - suppressed, summed over the current period only
        self.seed_counters("app1", today, accepted=30, suppressed=5, delivered=25)
        expected = 1000 - 25
        if period_start != today:
            self.seed_counters("app1", period_start, accepted=10)
            expected -= 10
        self.seed_counters("app1", period_start - datetime.timedelta(days=1), accepted=400)
        self.assertEqual(self.json("account", "show", "app1")["available_messages"], expected)

    # --- refused -------------------------------------------------------------------------

    def test_unknown_plan_or_customer_is_refused(self):
        self.catalogue()
        self.refused("account", "add", "app3", "--customer", "acme", "--plan", "gold", "--type",
                     "transactional", message="no plan named gold")
        self.refused("account", "add", "app3", "--customer", "nobody", "--plan", "monthly",
                     "--type", "transactional", message="no customer named nobody")

    def test_duplicate_account_is_refused(self):
        self.catalogue()
        self.refused("account", "add", "app1", "--customer", "acme", "--plan", "prepaid", "--type",
                     "promotional", message="account app1 already exists")

    def test_max_accounts_exceeded_is_refused(self):
        self.catalogue()
        self.add("app3")
        self.refused("account", "add", "app4", "--customer", "acme", "--plan", "monthly",
                     "--type", "transactional",
                     message="customer acme already has 3 of its 3 accounts")

    def test_second_free_plan_for_one_customer_is_refused(self):
        self.catalogue()
        self.add("app3", "free")
        self.ok("customer", "add", "bigger", "--max-accounts", "5")
        self.add("b1", "free", "bigger")
        self.refused("account", "add", "b2", "--customer", "bigger", "--plan", "free", "--type",
                     "transactional",
                     message="customer bigger already has an account on a free plan")
        self.add("b2", "monthly", "bigger")
        self.refused("account", "set", "b2", "--plan", "free",
                     message="customer bigger already has an account on a free plan")

    def test_invalid_username_is_refused(self):
        self.catalogue()
        for user in ("has space", "@lead", "trail:"):
            with self.subTest(user=user):
                self.refused("account", "add", user, "--customer", "acme", "--plan", "monthly",
                             "--type", "transactional", message="username")

    def test_usage_errors(self):
        self.catalogue()
        base = ["account", "add", "app3", "--customer", "acme", "--plan", "monthly"]
        self.refused(*base, code=2, message="the option '--type' is required but missing")
        self.refused(*base, "--type", "bulk", code=2,
                     message="--type must be transactional or promotional")
        for start in ("2024-02-30", "tomorrow", "2024-1-5", "2024-01-05T00:00:00Z"):
            with self.subTest(start=start):
                self.refused(*base, "--type", "transactional", "--start", start, code=2,
                             message=f'--start expects a date as YYYY-MM-DD, got "{start}"')
        self.refused(*base, "--type", "transactional", "--max-domains", "-3", code=2,
                     message="--max-domains expects a whole number")
        self.refused("account", "show", "app1", "--at", "2024-01-01", code=2,
                     message="--at expects YYYY-MM-DDTHH:MM:SSZ")
        self.refused("account", "show", code=2, message="the option '--user' is required")

    def test_password_problems(self):
        self.catalogue()
        base = ["account", "add", "app3", "--customer", "acme", "--plan", "monthly", "--type",
                "transactional", "--password-stdin"]
        self.refused(*base, stdin="short\n", message="password is too short: 5 bytes, at least 8")
        self.refused(*base, stdin="", code=2, message="--password-stdin: no password on stdin")
        self.refused("account", "passwd", "app1", code=2,
                     message="give the password on stdin with --password-stdin")
        self.refused("account", "passwd", "ghost", "--password-stdin", stdin=PASSWORD,
                     message="no account named ghost")
        self.refused("account", "passwd", "app1", "--password-stdin", stdin="tiny\n",
                     message="password is too short")

    def test_show_unknown_account_is_refused(self):
        self.catalogue()
        self.refused("account", "show", "ghost", message="no account named ghost")


class DomainTest(CliTest):
    def txt_of(self, output, name):
        records = dns_records(output)
        self.assertIn(name, records, f"no TXT record for {name} in:\n{output}")
        return dkim_tags(records[name])

    def assert_rsa_record(self, tags):
        self.assertEqual((tags["v"], tags["k"]), ("DKIM1", "rsa"))
        der = base64.b64decode(tags["p"], validate=True)
        self.assertEqual(der[0], 0x30, "p= is not DER")
        n, e = parse_rsa_spki(der)
        self.assertGreaterEqual(n.bit_length(), 2048)
        self.assertEqual(e, 65537)

    def assert_ed25519_record(self, tags):
        self.assertEqual((tags["v"], tags["k"]), ("DKIM1", "ed25519"))
        self.assertEqual(len(base64.b64decode(tags["p"], validate=True)), 32)

    def test_add_rsa_prints_a_publishable_record(self):
        out = self.ok("domain", "add", "example.com", "--selector", "s2024")
        self.assertTrue(out.startswith("domain example.com added; publish in DNS:\n"), out)
        tags = self.txt_of(out, "s2024._domainkey.example.com")
        self.assert_rsa_record(tags)
        # domain dns prints the same record; the JSON form carries it unsplit
        dns = self.ok("domain", "dns", "example.com")
        self.assertEqual(self.txt_of(dns, "s2024._domainkey.example.com"), tags)
        for line in dns.splitlines():
            for s in re.findall(r'"([^"]*)"', line):
                self.assertLessEqual(len(s), 255, "a TXT string longer than 255 bytes")
        [record] = self.json("domain", "dns", "example.com")
        self.assertEqual(record["record_name"], "s2024._domainkey.example.com")
        self.assertEqual((record["selector"], record["type"], record["active"]),
                         ("s2024", "rsa", True))
        self.assertEqual(dkim_tags(record["txt"]), tags)

    def test_add_ed25519(self):
        out = self.ok("domain", "add", "example.org", "--selector", "ed1", "--key-type", "ed25519")
        self.assert_ed25519_record(self.txt_of(out, "ed1._domainkey.example.org"))

    def test_add_both_publishes_two_selectors(self):
        out = self.ok("domain", "add", "example.net", "--selector", "k", "--key-type", "both")
        self.assertEqual(sorted(dns_records(out)),
                         ["k._domainkey.example.net", "ke._domainkey.example.net"])
        self.assert_rsa_record(self.txt_of(out, "k._domainkey.example.net"))
        self.assert_ed25519_record(self.txt_of(out, "ke._domainkey.example.net"))
        shown = self.json("domain", "show", "example.net")
        self.assertEqual([(k["selector"], k["type"], k["active"]) for k in shown["keys"]],
                         [("k", "rsa", True), ("ke", "ed25519", True)])

    def test_default_selector_is_dated(self):
        added = self.json("domain", "add", "example.com", "--key-type", "ed25519")
        self.assertEqual([k["selector"] for k in added["keys"]],
                         ["sp" + utc_today().strftime("%Y%m%d")])

    def test_name_is_normalised(self):
        self.ok("domain", "add", "Mail.Example.COM.", "--key-type", "ed25519", "--selector", "a")
        self.assertEqual(self.json("domain", "show", "mail.example.com")["name"],
                         "mail.example.com")
        # regression: show and dns looked the name up as typed, unlike link/remove/rotate
        self.assertEqual(self.json("domain", "show", "MAIL.example.com")["name"],
                         "mail.example.com")
        self.assertIn("a._domainkey.mail.example.com", dns_records(self.ok("domain", "dns",
                                                                           "Mail.Example.Com")))
        self.refused("domain", "show", "mail..example.com", message="domain has two dots in a row")

    def test_show_and_list(self):
        self.catalogue()
        self.ok("domain", "add", "example.com", "--selector", "a", "--key-type", "ed25519")
        self.ok("domain", "add", "example.org", "--selector", "b", "--key-type", "ed25519")
        self.ok("domain", "link", "example.com", "app1")
        shown = self.json("domain", "show", "example.com")
        self.assertEqual(set(shown), {"name", "created", "keys", "accounts"})
        self.assertEqual(shown["accounts"], ["app1"])
        self.assertEqual(set(shown["keys"][0]),
                         {"selector", "type", "active", "created", "record_name", "txt"})
        text = self.ok("domain", "show", "example.com")
        self.assertRegex(text, r"(?m)^accounts:\s+app1$")
        self.assertRegex(text, r"(?m)^a\s+ed25519\s+signing\s+\S+\s+a\._domainkey\.example\.com$")
        self.assertEqual([(d["name"], d["accounts"]) for d in self.json("domain", "list")],
                         [("example.com", ["app1"]), ("example.org", [])])
        table = self.ok("domain", "list")
        self.assertRegex(table, r"(?m)^example\.com\s+a \(ed25519\)\s+1$")
        self.assertRegex(table, r"(?m)^example\.org\s+b \(ed25519\)\s+0$")

    def test_rotate_then_drop_the_retired_key(self):
        self.ok("domain", "add", "example.com", "--selector", "old", "--key-type", "ed25519")
        out = self.ok("domain", "rotate", "example.com", "--selector", "new", "--key-type",
                      "ed25519")
        self.assertIn("rotated", out)
        self.assertEqual(sorted(dns_records(out)),
                         ["new._domainkey.example.com", "old._domainkey.example.com"])
        self.assertIn("; retired: remove once mail signed with it has been delivered\n"
                      "old._domainkey.example.com.", out)
        keys = self.json("domain", "show", "example.com")["keys"]
        self.assertEqual([(k["selector"], k["active"]) for k in keys],
                         [("old", False), ("new", True)])
        self.assertRegex(self.ok("domain", "show", "example.com"), r"(?m)^old\s+ed25519\s+retired")

        self.refused("domain", "drop-key", "example.com", "new",
                     message="key new of example.com still signs mail; rotate to a new key first")
        self.refused("domain", "drop-key", "example.com", "nope",
                     message="domain example.com has no key with selector nope")
        out = self.ok("domain", "drop-key", "example.com", "old")
        self.assertEqual(sorted(dns_records(out)), ["new._domainkey.example.com"])
        self.assertEqual(sorted(dns_records(self.ok("domain", "dns", "example.com"))),
                         ["new._domainkey.example.com"])

    def test_rotate_onto_an_existing_selector_is_refused(self):
        self.ok("domain", "add", "example.com", "--key-type", "ed25519")
        # the default selector is the date: a second key the same day needs its own
        self.refused("domain", "rotate", "example.com", "--key-type", "ed25519",
                     message="domain example.com already has a key with selector sp")
        self.refused("domain", "rotate", "example.com", "--key-type", "ed25519",
                     "--selector", "bad_sel!", message='"bad_sel!" is not a valid DKIM selector')
        self.refused("domain", "rotate", "example.org", "--key-type", "ed25519", "--selector",
                     "x", message="no domain named example.org")

    def test_link_unlink_remove(self):
        self.catalogue()
        self.ok("domain", "add", "example.com", "--selector", "a", "--key-type", "ed25519")
        self.assertEqual(self.ok("domain", "link", "example.com", "app1"),
                         "domain example.com linked to account app1\n")
        self.ok("domain", "link", "Example.COM", "app2")
        self.assertEqual(self.json("account", "show", "app1")["domains"], ["example.com"])
        self.assertRegex(self.ok("account", "show", "app1"),
                         r"(?m)^domains:\s+example\.com \(1 of 10\)$")
        self.assertEqual(self.json("domain", "show", "example.com")["accounts"], ["app1", "app2"])
        self.refused("domain", "link", "example.com", "app1",
                     message="domain example.com is already linked to account app1")
        self.refused("domain", "remove", "example.com",
                     message="domain example.com is still linked to 2 account(s): unlink it first")

        self.assertEqual(self.ok("domain", "unlink", "example.com", "app1"),
                         "domain example.com unlinked from account app1\n")
        self.ok("domain", "unlink", "example.com", "app2")
        self.refused("domain", "unlink", "example.com", "app2",
                     message="domain example.com is not linked to account app2")
        self.assertEqual(self.json("account", "show", "app1")["domains"], [])
        self.assertEqual(self.ok("domain", "remove", "example.com"), "domain example.com removed\n")
        self.assertEqual(self.json("domain", "list"), [])
        self.refused("domain", "remove", "example.com", message="no domain named example.com")

    def test_link_to_unknown_things_is_refused(self):
        self.catalogue()
        self.ok("domain", "add", "example.com", "--selector", "a", "--key-type", "ed25519")
        self.refused("domain", "link", "example.org", "app1", message="no domain named example.org")
        self.refused("domain", "link", "example.com", "ghost", message="no account named ghost")

    def test_max_domains_exceeded_is_refused(self):
        self.catalogue()
        self.ok("account", "set", "app1", "--max-domains", "1")
        for name in ("example.com", "example.org"):
            self.ok("domain", "add", name, "--selector", "a", "--key-type", "ed25519")
        self.ok("domain", "link", "example.com", "app1")
        self.refused("domain", "link", "example.org", "app1",
                     message="account app1 already has 1 of its 1 domains")
        self.ok("domain", "link", "example.org", "app2")
        self.refused("account", "set", "app2", "--max-domains", "0", code=2,
                     message="--max-domains expects a whole number from 1")

    def test_malformed_domains_are_refused(self):
        self.ok("domain", "add", "example.com", "--selector", "a", "--key-type", "ed25519")
        cases = [
            ("exa mple.com", "domain contains invalid character 0x20"),
            ("--domain=-bad.com", 'domain label "-bad" starts with a hyphen'),
            ("bad-.com", 'domain label "bad-" ends with a hyphen'),
            ("localhost", "domain has a single label"),
            ("a..b.com", "domain has two dots in a row"),
            ("bücher.example", "IDNA A-label"),
            ("", "domain is empty"),
        ]
        for name, message in cases:
            with self.subTest(name=name):
                self.refused("domain", "add", name, "--key-type", "ed25519", message=message)
        # after "--" a leading hyphen is a name, not an option
        self.refused("domain", "add", "--key-type", "ed25519", "--", "-bad.com",
                     message='domain label "-bad" starts with a hyphen')
        self.refused("domain", "add", "example.com", "--selector", "b", "--key-type", "ed25519",
                     message="domain example.com already exists")

    def test_option_like_domain_is_a_usage_error(self):
        self.ok("domain", "add", "example.com", "--selector", "a", "--key-type", "ed25519")
        self.refused("domain", "add", "-bad.com", code=2, message="unrecognised option '-bad.com'")
        self.refused("domain", "add", "example.org", "--key-type", "dsa", code=2,
                     message="--key-type must be rsa, ed25519 or both")
        self.refused("domain", "drop-key", "example.com", code=2,
                     message="the option '--selector' is required but missing")


class PoolTest(CliTest):
    def add_pools(self):
        self.ok("pool", "add", "tx-good", "--category", "transactional", "--min-score", "70",
                "--transport", "smtp_tx1", "--bind", "192.0.2.10,2001:db8::10", "--helo",
                "TX1.Mail.Example.NET")
        self.ok("pool", "add", "promo", "--category", "promotional", "--min-score", "0",
                "--transport", "smtp_pr", "--bind", "192.0.2.20", "--helo", "pr.mail.example.net",
                "--nexthop", "[127.0.0.1]:2526")

    def test_add_list_show_remove(self):
        self.assertEqual(
            self.json("pool", "add", "v6only", "--category", "promotional", "--min-score", "10",
                      "--transport", "smtp_v6", "--bind", "2001:db8::99", "--helo",
                      "v6.example.net"),
            {"name": "v6only", "category": "promotional", "min_score": 10, "transport": "smtp_v6",
             "bind_ipv4": None, "bind_ipv6": "2001:db8::99", "helo": "v6.example.net",
             "nexthop": None})
        self.add_pools()
        self.assertEqual(self.json("pool", "show", "tx-good"), {
            "name": "tx-good", "category": "transactional", "min_score": 70,
            "transport": "smtp_tx1", "bind_ipv4": "192.0.2.10", "bind_ipv6": "2001:db8::10",
            "helo": "tx1.mail.example.net", "nexthop": None, "accounts": []})
        self.assertEqual(self.json("pool", "show", "promo")["nexthop"], "[127.0.0.1]:2526")
        self.assertEqual([p["name"] for p in self.json("pool", "list")],
                         ["promo", "tx-good", "v6only"])
        table = self.ok("pool", "list")
        self.assertRegex(table, r"(?m)^tx-good\s+transactional\s+70\s+smtp_tx1\s+"
                                r"192\.0\.2\.10,2001:db8::10\s+tx1\.mail\.example\.net\s+-$")
        self.assertRegex(self.ok("pool", "show", "promo"),
                         r"(?m)^next hop:\s+\[127\.0\.0\.1\]:2526$")
        self.assertEqual(self.ok("pool", "remove", "promo"), "pool promo removed\n")
        self.assertEqual([p["name"] for p in self.json("pool", "list")], ["tx-good", "v6only"])
        self.refused("pool", "show", "promo", message="no pool named promo")
        self.refused("pool", "remove", "promo", message="no pool named promo")

    def test_postfix_config(self):
        self.add_pools()
        out = self.ok("pool", "postfix-config")
        master, _, main_cf = out.partition("# --- main.cf ---\n")
        self.assertTrue(master.startswith("# --- master.cf ---\n"), out)
        # one smtp service per pool, each with its own source address and HELO
        services = re.findall(r"(?m)^(\S+)\s+unix\s+-\s+-\s+n\s+-\s+-\s+smtp$", master)
        self.assertEqual(sorted(services), ["smtp_pr", "smtp_tx1"])
        blocks = dict(re.findall(r"(?ms)^(smtp_\w+)\s+unix[^\n]*\n((?:  -o [^\n]*\n)+)", master))
        self.assertEqual(blocks["smtp_tx1"].splitlines(),
                         ["  -o smtp_bind_address=192.0.2.10",
                          "  -o smtp_bind_address6=2001:db8::10",
                          "  -o smtp_helo_name=tx1.mail.example.net",
                          "  -o syslog_name=postfix/smtp_tx1"])
        self.assertIn("  -o smtp_bind_address=192.0.2.20\n", blocks["smtp_pr"])
        self.assertNotIn("smtp_bind_address6", blocks["smtp_pr"])
        self.assertIn("sender_dependent_default_transport_maps = "
                      "socketmap:unix:sendpool/route:route\n", main_cf)
        as_json = self.json("pool", "postfix-config")
        self.assertEqual(set(as_json), {"master_cf", "main_cf"})
        self.assertEqual(as_json["main_cf"], main_cf)

    def test_postfix_config_follows_the_configured_route_listener(self):
        self.add_pools()
        config = self.write_file("route.yaml", "policyd:\n  route_listen: inet:127.0.0.1:10027\n")
        out = self.ok("pool", "postfix-config", config=config)
        self.assertRegex(out, r"(?m)^sender_dependent_default_transport_maps = "
                              r"socketmap:inet:127\.0\.0\.1:10027:route$")

    def test_bad_pools_are_refused(self):
        self.add_pools()
        base = ["pool", "add", "p2", "--category", "transactional", "--helo", "p2.example.net"]
        self.refused(*base, "--min-score", "10", "--transport", "smtp_tx1", "--bind", "192.0.2.30",
                     message="pool tx-good already uses transport smtp_tx1")
        self.refused("pool", "add", "promo", "--category", "promotional", "--min-score", "0",
                     "--transport", "smtp_x", "--bind", "192.0.2.40", "--helo", "x.example.net",
                     message="pool promo already exists")
        self.refused(*base, "--min-score", "10", "--transport", "smtp_p2", "--bind", "192.0.2.300",
                     message="192.0.2.300 is not an IPv4 address")
        self.refused(*base, "--min-score", "101", "--transport", "smtp_p2", "--bind", "192.0.2.30",
                     code=2, message="--min-score expects a whole number from 0 to 100")
        self.refused(*base, "--min-score", "1", "--transport", "smtp_p2", "--bind", "192.0.2.30",
                     "--nexthop", "a,b", code=2, message="--nexthop must be one Postfix next hop")
        self.refused("pool", "add", "p2", "--category", "bulk", "--min-score", "1", "--transport",
                     "smtp_p2", "--bind", "192.0.2.30", "--helo", "p2.example.net", code=2,
                     message="--category must be transactional or promotional")
        self.refused(*base, "--min-score", "1", "--bind", "192.0.2.30", code=2,
                     message="the option '--transport' is required but missing")


class SuppressionTest(CliTest):
    def test_add_list_remove(self):
        self.catalogue()
        self.assertEqual(self.ok("suppression", "add", "app1", "Bob@Example.COM", "--reason",
                                 "bounce", "--detail", "550 5.1.1 no such user"),
                         "Bob@Example.COM suppressed for account app1\n")
        self.ok("suppression", "add", "app1", "carol@example.org")
        listed = self.json("suppression", "list", "app1")
        self.assertEqual([(e["address"], e["reason"], e["detail"]) for e in listed],
                         [("Bob@example.com", "bounce", "550 5.1.1 no such user"),
                          ("carol@example.org", "manual", "")])
        self.assertEqual(set(listed[0]), {"address", "reason", "time", "detail"})
        self.assertRegex(listed[0]["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertRegex(self.ok("suppression", "list", "app1"),
                         r"(?m)^Bob@example\.com\s+bounce\s+\S+Z\s+550 5\.1\.1 no such user$")
        # per account: app2's list is its own
        self.assertEqual(self.json("suppression", "list", "app2"), [])
        self.assertEqual(self.ok("suppression", "remove", "app1", "Bob@EXAMPLE.com"),
                         "Bob@EXAMPLE.com removed from account app1\n")
        self.assertEqual([e["address"] for e in self.json("suppression", "list", "app1")],
                         ["carol@example.org"])
        self.refused("suppression", "remove", "app1", "Bob@example.com",
                     message="Bob@example.com is not on the account app1's suppression list")

    def test_global_list(self):
        self.catalogue()
        self.assertEqual(self.ok("suppression", "add", "--global", "spam@example.org", "--reason",
                                 "complaint"),
                         "spam@example.org suppressed for the platform-wide list\n")
        self.assertEqual([(e["address"], e["reason"])
                          for e in self.json("suppression", "list", "--global")],
                         [("spam@example.org", "complaint")])
        self.assertEqual(self.json("suppression", "list", "app1"), [])
        self.assertEqual(self.ok("suppression", "export", "--global").splitlines()[1][:27],
                         "spam@example.org,complaint,")
        self.ok("suppression", "remove", "--global", "spam@example.org")
        self.assertEqual(self.json("suppression", "list", "--global"), [])
        self.refused("suppression", "remove", "--global", "spam@example.org",
                     message="spam@example.org is not on the platform-wide suppression list")

    def test_export_reimports_identically(self):
        self.catalogue()
        self.ok("suppression", "add", "app1", "a@example.com", "--reason", "bounce", "--detail",
                '550 5.1.1 "user unknown", mailbox gone')
        self.ok("suppression", "add", "app1", "b@example.com", "--reason", "complaint")
        self.ok("suppression", "add", "app1", "c@example.com", "--reason", "unsubscribe",
                "--detail", "list-unsubscribe")
        self.ok("suppression", "add", "app1", "d@example.com")
        exported = self.ok("suppression", "export", "app1")
        lines = exported.splitlines()
        self.assertEqual(lines[0], "address,reason,detail,time")
        self.assertEqual(lines[1][:63],
                         'a@example.com,bounce,"550 5.1.1 ""user unknown"", mailbox gone"')
        path = self.write_file("export.csv", exported)
        self.assertEqual(self.ok("suppression", "import", "app2", path),
                         f"imported 4 address(es) into account app2 (4 new)\n")
        fields = lambda user: [(e["address"], e["reason"], e["detail"])
                               for e in self.json("suppression", "list", user)]
        self.assertEqual(fields("app2"), fields("app1"))
        self.assertEqual(len(fields("app2")), 4)
        # the export of the copy is the export of the original, the time column aside
        strip_time = lambda text: [line.rsplit(",", 1)[0] for line in text.splitlines()]
        self.assertEqual(strip_time(self.ok("suppression", "export", "app2")), strip_time(exported))
        # importing again adds nothing new
        self.assertEqual(self.json("suppression", "import", "app2", path), {"read": 4, "added": 0})
        # and the global list takes the same file
        self.assertEqual(self.json("suppression", "import", "--global", path),
                         {"read": 4, "added": 4})

    @unittest.expectedFailure
    def test_import_keeps_the_exported_time(self):
        # BUG (core/store/admin.h, not sendpoolctl): admin::NewSuppression has no time, so
        # import stamps every entry with the import time and drops the time column of the
        # export it claims to read. Remove expectedFailure once the time is kept.
        self.catalogue()
        path = self.write_file("old.csv", "address,reason,detail,time\n"
                                          "old@example.com,bounce,,2020-01-02T03:04:05Z\n")
        self.ok("suppression", "import", "app1", path)
        self.assertEqual(self.json("suppression", "list", "app1")[0]["time"],
                         "2020-01-02T03:04:05Z")

    def test_import_without_header_keeps_an_address_like_first_line(self):
        # regression: a first line starting with "address" was taken for the header and lost
        self.catalogue()
        path = self.write_file("plain.csv",
                               "address-book@example.com,bounce\r\n\r\nx@example.com\r\n")
        self.assertEqual(self.json("suppression", "import", "app1", path), {"read": 2, "added": 2})
        self.assertEqual([(e["address"], e["reason"])
                          for e in self.json("suppression", "list", "app1")],
                         [("address-book@example.com", "bounce"), ("x@example.com", "manual")])

    def test_import_with_one_bad_line_imports_nothing(self):
        self.catalogue()
        self.ok("suppression", "add", "app1", "keep@example.com")
        path = self.write_file("mixed.csv", "address,reason,detail,time\n"
                                            "good1@example.com,bounce\n"
                                            "not-an-address,bounce\n"
                                            "good2@example.com\n"
                                            "good3@example.com,weird\n")
        before = self.snapshot()
        r = self.ctl("suppression", "import", "app1", path)
        self.assertEqual(r.rc, 1, r.err)
        self.assertEqual(r.out, "")
        # each bad line as file:line: problem, then the one "sendpoolctl:" verdict
        self.assertEqual(r.err.splitlines(), [
            f"{path}:3: address has no '@'",
            f'{path}:5: unknown reason "weird"',
            f"sendpoolctl: 2 bad line(s) in {path}; nothing imported"])
        self.assertStoreUnchanged(before)
        self.assertEqual([e["address"] for e in self.json("suppression", "list", "app1")],
                         ["keep@example.com"])

    def test_import_problems(self):
        self.catalogue()
        missing = os.path.join(self.tmp, "missing.csv")
        self.refused("suppression", "import", "app1", missing, message=f"cannot read {missing}")
        path = self.write_file("ok.csv", "a@example.com\n")
        self.refused("suppression", "import", "ghost", path, message="no account named ghost")
        self.refused("suppression", "import", "app1", "--global", path, code=2,
                     message="too many positional options")

    def test_malformed_addresses_are_refused(self):
        self.catalogue()
        cases = [("not-an-address", "address has no '@'"),
                 ("a b@example.com", "local part contains invalid character 0x20"),
                 ("@example.com", "local part is empty"),
                 ("user@localhost", "domain has a single label"),
                 ("user@-x.com", 'domain label "-x" starts with a hyphen')]
        for address, message in cases:
            with self.subTest(address=address):
                self.refused("suppression", "add", "app1", address, message=message)
                self.refused("suppression", "add", "--global", address, message=message)

    def test_scope_and_option_errors(self):
        self.catalogue()
        self.refused("suppression", "add", "app1", "x@example.com", "--reason", "hate", code=2,
                     message="--reason must be bounce, complaint, unsubscribe or manual")
        self.refused("suppression", "list", code=2,
                     message="name an account or --global (one of them)")
        self.refused("suppression", "add", "ghost", "x@example.com",
                     message="no account named ghost")
        self.refused("suppression", "list", "ghost", message="no account named ghost")
        self.refused("suppression", "export", "ghost", message="no account named ghost")


class StatsReputationTest(CliTest):
    COUNTER_KEYS = {"accepted", "enqueued", "delivered", "bounced", "suppressed", "complaints",
                    "unsubscribes", "opens", "clicks"}

    def test_stats_of_a_quiet_account(self):
        self.catalogue()
        table = self.ok("stats", "app1").splitlines()
        self.assertEqual(table[0].split()[:3], ["DAY", "ACCEPTED", "ENQUEUED"])
        self.assertEqual(table[1:], ["total  0         0         0          0        0           "
                                     "0           0       0      0"])
        today = utc_today()
        stats = self.json("stats", "app1")
        self.assertEqual(stats["account"], "app1")
        self.assertEqual((stats["from"], stats["to"]),
                         (str(today - datetime.timedelta(days=6)), str(today)))
        self.assertEqual(stats["accounts"], ["app1"])
        self.assertEqual(stats["days"], [])
        self.assertEqual(stats["total"], dict.fromkeys(self.COUNTER_KEYS, 0))

    def test_stats_sums_days_and_accounts(self):
        self.catalogue()
        today = utc_today()
        three_ago = today - datetime.timedelta(days=3)
        self.seed_counters("app1", today, accepted=10, enqueued=1, delivered=6, bounced=2,
                           suppressed=1, complaints=1, opens=3, clicks=1)
        self.seed_counters("app1", three_ago, accepted=5, delivered=5, unsubscribes=2)
        self.seed_counters("app1", today - datetime.timedelta(days=9), accepted=1000)
        self.seed_counters("app2", today, accepted=7, delivered=7)

        stats = self.json("stats", "app1")
        self.assertEqual([d["date"] for d in stats["days"]], [str(three_ago), str(today)])
        self.assertEqual(set(stats["days"][0]), self.COUNTER_KEYS | {"date"})
        self.assertEqual(stats["total"], {"accepted": 15, "enqueued": 1, "delivered": 11,
                                          "bounced": 2, "suppressed": 1, "complaints": 1,
                                          "unsubscribes": 2, "opens": 3, "clicks": 1})
        self.assertEqual(self.json("stats", "app1", "--days", "1")["total"]["accepted"], 10)
        self.assertEqual(self.json("stats", "app1", "--days", "10")["total"]["accepted"], 1015)

        both = self.json("stats", "--customer", "acme")
        self.assertEqual(both["customer"], "acme")
        self.assertNotIn("account", both)
        self.assertEqual(both["accounts"], ["app1", "app2"])
        self.assertEqual(both["total"]["accepted"], 22)
        self.assertEqual(both["days"][-1]["delivered"], 13)

        table = self.ok("stats", "app1").splitlines()
        self.assertEqual(table[1].split(),
                         [str(three_ago), "5", "0", "5", "0", "0", "0", "2", "0", "0"])
        self.assertEqual(table[-1].split(),
                         ["total", "15", "1", "11", "2", "1", "1", "2", "3", "1"])

    def test_reputation_not_computed_yet(self):
        self.catalogue()
        self.assertEqual(self.json("reputation", "show", "app1"),
                         {"account": "app1", "status": "enabled", "status_reason": None,
                          "reputation": None, "volume": 0, "min_volume": 200, "window_days": 30,
                          "scored": None, "factors": None, "driver": None, "pool": None,
                          "pool_min_score": None, "moves": []})
        self.assertRegex(self.ok("reputation", "show", "app1"),
                         r"(?m)^score:\s+- \(not computed yet\)$")
        customer = self.json("reputation", "show", "--customer", "acme")
        self.assertEqual(customer, {"customer": "acme", "reputation": None,
                                    "high_volume_eligible": False, "high_volume_min_score": 80.0,
                                    "accounts": [{"account": "app1", "score": None},
                                                 {"account": "app2", "score": None}]})
        self.assertIn("- (no account has a score yet)", self.ok("reputation", "show", "--customer",
                                                                 "acme"))

    def test_reputation_of_accounts_and_their_customer(self):
        self.catalogue()
        self.ok("account", "add", "app3", "--customer", "acme", "--plan", "monthly", "--type",
                "transactional")
        self.seed_reputation("app1", 90.0, bounce=0.012, complaint=0.0005, engagement=0.25)
        self.seed_reputation("app2", 70.0)
        shown = self.json("reputation", "show", "app1")
        self.assertEqual(shown["reputation"], {
            "score": 90.0, "bounce_rate": 0.012, "complaint_rate": 0.0005, "unsubscribe_rate": 0.0,
            "engagement_rate": 0.25, "computed": "2023-11-14T22:13:20Z"})
        self.assertEqual(self.json("account", "show", "app1")["reputation"], shown["reputation"])
        text = self.ok("reputation", "show", "app1")
        self.assertRegex(text, r"(?m)^score:\s+90\.0$")
        self.assertRegex(text, r"(?m)^bounce rate:\s+1\.20% \(critical, -41\.3 points\)$")
        self.assertRegex(text, r"(?m)^complaint rate:\s+0\.050% \(good, -7\.5 points\)$")
        self.assertRegex(text, r"(?m)^engagement rate:\s+25\.00% \(good, -0\.0 points\)$")

        # the average leaves out app3, which has no score yet; 80 meets the default threshold
        customer = self.json("reputation", "show", "--customer", "acme")
        self.assertEqual(customer["reputation"], 80.0)
        self.assertTrue(customer["high_volume_eligible"])
        self.assertEqual(customer["accounts"], [{"account": "app1", "score": 90.0},
                                                {"account": "app2", "score": 70.0},
                                                {"account": "app3", "score": None}])
        self.assertEqual(self.json("customer", "show", "acme")["reputation"], 80.0)
        self.assertRegex(self.ok("customer", "list"), r"(?m)^acme\s+3/3\s+80\.0$")

        config = self.write_file("strict.yaml", "reputation:\n  high_volume_min_score: 85\n")
        strict = self.json("reputation", "show", "--customer", "acme", config=config)
        self.assertFalse(strict["high_volume_eligible"])
        self.assertEqual(strict["high_volume_min_score"], 85.0)
        self.assertIn("not eligible (needs 85)",
                      self.ok("reputation", "show", "--customer", "acme", config=config))

    def test_target_errors(self):
        self.catalogue()
        for command in (["stats"], ["reputation", "show"]):
            with self.subTest(command=command):
                self.refused(*command, code=2,
                             message="name an account or --customer NAME (one of them)")
                self.refused(*command, "app1", "--customer", "acme", code=2,
                             message="name an account or --customer NAME (one of them)")
                self.refused(*command, "ghost", message="no account named ghost")
                self.refused(*command, "--customer", "nobody", message="no customer named nobody")
        self.refused("stats", "app1", "--days", "0", code=2,
                     message="--days expects a whole number from 1 to 3660")


class ReputationStandingTest(CliTest):
    """reputation recompute / show and account why: scores from seeded counters, guardrail
    pauses and pool moves, as an operator sees them."""

    def pools(self):
        for name, category, min_score in (("tx-good", "transactional", "80"),
                                          ("tx-std", "transactional", "50"),
                                          ("tx-low", "transactional", "0"),
                                          ("pr", "promotional", "0")):
            self.ok("pool", "add", name, "--category", category, "--min-score", min_score,
                    "--transport", "smtp_" + name.replace("-", "_"), "--bind", "192.0.2.1",
                    "--helo", "mail.example.net")

    def test_recompute_moves_the_account_and_show_explains_it(self):
        self.catalogue()
        self.pools()
        today = utc_today()
        self.seed_counters("app1", today, accepted=1000, delivered=1000, opens=250)
        [first] = self.json("reputation", "recompute", "app1")
        self.assertEqual(first["account"], "app1")
        self.assertEqual((first["score"], first["previous_score"], first["scored"]),
                         (100.0, None, True))
        self.assertEqual((first["pool"], first["move"]["from"], first["move"]["to"]),
                         ("tx-good", None, "tx-good"))
        self.assertEqual((first["paused"], first["guardrail"]), (False, None))
        self.assertEqual(self.json("account", "show", "app1")["pool"], "tx-good")
        self.assertEqual(self.json("pool", "show", "tx-good")["accounts"], ["app1"])

        # 10 bounces of 1000: 1 %, the top of the watch band, costs 40 points
        self.seed_counters("app1", today, accepted=1000, delivered=990, bounced=10, opens=250)
        self.assertEqual(self.ok("reputation", "recompute", "app1"),
                         "account app1: score 60.0 (was 100.0); pool tx-good -> tx-std\n")
        shown = self.json("reputation", "show", "app1")
        self.assertEqual(shown["reputation"]["score"], 60.0)
        self.assertEqual((shown["volume"], shown["scored"], shown["driver"]), (1000, True, "bounce"))
        self.assertEqual(shown["factors"]["bounce"],
                         {"rate": 0.01, "band": "watch", "points_lost": 40.0, "weight": 100.0})
        self.assertEqual(shown["factors"]["engagement"]["band"], "good")
        self.assertEqual((shown["pool"], shown["pool_min_score"]), ("tx-std", 50))
        self.assertEqual([(m["event"], m["from"], m["to"], m["score"]) for m in shown["moves"]],
                         [("pool-move", "tx-good", "tx-std", 60.0),
                          ("pool-move", None, "tx-good", 100.0)])
        self.assertEqual(shown["moves"][0]["reason"],
                         "score 60.0 reaches tx-std (min 50) but not tx-good (min 80); driven by "
                         "bounce rate 1.00% (watch, -40.0 points)")
        text = self.ok("reputation", "show", "app1")
        self.assertRegex(text, r"(?m)^score:\s+60\.0$")
        self.assertRegex(text, r"(?m)^bounce rate:\s+1\.00% \(watch, -40\.0 points\)$")
        self.assertRegex(text, r"(?m)^driven by:\s+bounce rate$")
        self.assertRegex(text, r"(?m)^pool:\s+tx-std \(min score 50\)$")
        self.assertRegex(text, r"(?m)^\S+Z\s+pool-move\s+tx-good\s+tx-std\s+60\.0\s+score 60\.0 ")
        self.assertRegex(text, r"(?m)^\S+Z\s+pool-move\s+-\s+tx-good\s+100\.0\s+score 100\.0 ")

        self.assertEqual(self.ok("account", "why", "app1"),
                         "Its score is 60.0, driven by the bounce rate 1.00% (watch, -40.0 points)."
                         "\nIt sends from pool tx-std (transactional, min score 50): score 60.0 "
                         "reaches tx-std (min 50) but not tx-good (min 80). It moved there on "
                         f"{shown['moves'][0]['time']} from tx-good.\n")
        why = self.json("account", "why", "app1")
        self.assertEqual(why["driver"], {"factor": "bounce", "rate": 0.01, "band": "watch",
                                         "points_lost": 40.0})
        self.assertEqual((why["pool"], why["pool_min_score"], why["chosen_pool"]),
                         ("tx-std", 50, "tx-std"))
        self.assertFalse(why["paused_by_guardrail"])

        # nothing new: no move, same score
        [again] = self.json("reputation", "recompute", "app1")
        self.assertEqual((again["score"], again["previous_score"], again["move"]),
                         (60.0, 60.0, None))
        self.assertEqual(len(self.json("reputation", "show", "app1")["moves"]), 2)

    def test_guardrail_pauses_until_an_operator_lifts_it(self):
        self.catalogue()
        self.pools()
        self.seed_counters("app1", utc_today(), accepted=1000, delivered=900, bounced=100)
        [change] = self.json("reputation", "recompute", "app1")
        reason = ("guardrail: bounce rate 10.00% reached the 10.00% pause limit "
                  "(1000 delivered+bounced) in the last 30 days")
        self.assertEqual((change["paused"], change["pause_reason"]), (True, reason))
        self.assertEqual((change["score"], change["pool"]), (0.0, "tx-low"))
        account = self.json("account", "show", "app1")
        self.assertEqual((account["status"], account["status_reason"]), ("paused", reason))

        why = self.ok("account", "why", "app1").splitlines()
        self.assertRegex(why[0], r"^app1 is paused by a guardrail since \S+Z: bounce rate 10\.00% "
                                 r"reached the 10\.00% pause limit \(1000 delivered\+bounced\) in "
                                 r"the last 30 days\. It stays paused until an operator lifts it "
                                 r"\(sendpoolctl account set app1 --status enabled\)\.$")
        self.assertEqual(why[1], "Its score is 0.0, driven by the bounce rate 10.00% "
                                 "(critical, -100.0 points).")
        self.assertTrue(why[2].startswith("It sends from pool tx-low (transactional, min score 0): "
                                          "score 0.0 reaches tx-low (min 0) but not tx-std"), why)
        self.assertTrue(self.json("account", "why", "app1")["paused_by_guardrail"])
        events = [m["event"] for m in self.json("reputation", "show", "app1")["moves"]]
        self.assertEqual(events, ["pool-move", "pause"])

        # still paused on the next recompute; lifted by the operator, the same days do not
        # pause it again
        self.assertEqual(self.json("reputation", "recompute", "app1")[0]["paused"], False)
        self.assertEqual(self.json("account", "show", "app1")["status"], "paused")
        self.ok("account", "set", "app1", "--status", "enabled", "--reason", "list cleaned")
        [after] = self.json("reputation", "recompute", "app1")
        self.assertEqual((after["paused"], after["guardrail"]), (False, None))
        self.assertEqual(self.json("account", "show", "app1")["status"], "enabled")

    def test_recompute_all_and_new_accounts(self):
        self.catalogue()
        self.pools()
        self.assertEqual(self.ok("reputation", "recompute", "--all"),
                         "account app1: score 70.0 (first; new account, volume 0); "
                         "pool - -> tx-std\n"
                         "account app2: score 70.0 (first; new account, volume 0); pool - -> pr\n")
        self.assertEqual([a["pool"] for a in self.json("account", "list")], ["tx-std", "pr"])
        self.assertEqual(self.ok("account", "why", "app1").splitlines()[0],
                         "Its score is 70.0: with 0 delivered+bounced in the last 30 days it is "
                         "below the 200 needed, so it keeps the neutral new-account score of 70.")
        self.assertRegex(self.ok("reputation", "show", "app1"),
                         r"(?m)^volume:\s+0 delivered\+bounced in the last 30 days \(new account: "
                         r"the score moves from 200\)$")
        self.assertEqual(self.json("reputation", "show", "--customer", "acme")["reputation"], 70.0)

    def test_why_before_any_recompute(self):
        self.catalogue()
        self.assertEqual(self.ok("account", "why", "app1"),
                         "No reputation has been computed yet (sendpoolctl reputation recompute "
                         "app1).\nNo pool is assigned and no default transactional pool is "
                         "configured: Postfix uses its default_transport.\n")
        self.pools()
        config = self.write_file("defaults.yaml", "policyd:\n  default_transactional_pool: tx-std\n")
        why = self.json("account", "why", "app1", config=config)
        self.assertEqual((why["score"], why["pool"], why["route_pool"]), (None, None, "tx-std"))
        self.assertEqual(why["explanation"][1],
                         "No pool is assigned: its mail leaves from the default transactional "
                         "pool tx-std.")
        self.ok("account", "set", "app1", "--status", "paused", "--reason", "billing review")
        self.assertEqual(self.ok("account", "why", "app1").splitlines()[0],
                         "app1 is paused by an operator: billing review.")
        self.ok("account", "set", "app1", "--status", "disabled")
        self.assertEqual(self.ok("account", "why", "app1").splitlines()[0],
                         "app1 is disabled, so it does not send.")

    def test_errors(self):
        self.catalogue()
        self.refused("reputation", "recompute", code=2,
                     message="name an account or --all (one of them)")
        self.refused("reputation", "recompute", "app1", "--all", code=2,
                     message="name an account or --all (one of them)")
        self.refused("reputation", "recompute", "ghost", message="no account named ghost")
        self.refused("account", "why", "ghost", message="no account named ghost")
        self.refused("account", "why", code=2, message="is required but missing")
        self.assertIn("  reputation recompute (USER | --all)\n", self.ok("--help"))
        self.assertIn("  account why USER\n", self.ok("--help"))


class GeneralTest(CliTest):
    def test_unknown_command_and_verb_are_usage_errors(self):
        self.catalogue()
        err = self.refused("frobnicate", code=2, message='unknown command "frobnicate"')
        self.assertIn("  customer add NAME", err)
        err = self.refused("customer", "frob", code=2, message="unknown customer command")
        self.assertIn("  customer remove NAME", err)
        self.assertNotIn("plan add", err)
        self.refused("customer", code=2, message="unknown customer command")
        self.refused("customer", "list", "--bogus", code=2, message="unrecognised option '--bogus'")
        self.refused("customer", "add", code=2, message="is required but missing")
        self.refused("customer", "add", "a", "b", code=2, message="too many positional options")

    def test_no_command_prints_usage(self):
        r = self.ctl()
        self.assertEqual((r.rc, r.out), (2, ""))
        self.assertTrue(r.err.startswith("usage: sendpoolctl "), r.err)
        self.assertIn("  reputation show (USER | --customer NAME)", r.err)
        self.assertFalse(os.path.exists(self.store))

    def test_help_and_version(self):
        help_text = self.ok("--help")
        self.assertTrue(help_text.startswith("usage: sendpoolctl "))
        self.assertIn("  pool postfix-config\n", help_text)
        self.assertEqual(self.ok("account", "topup", "--help"),
                         "usage: sendpoolctl account topup USER --messages N [--valid-days N]\n")
        self.assertRegex(self.ok("--version"), r"^sendpoolctl \d+\.\d+\.\d+\S*\n$")
        self.assertFalse(os.path.exists(self.store))

    def test_global_options_may_come_anywhere(self):
        self.ok("customer", "add", "acme")
        r = self.ctl("customer", "list", "--json", "--store", self.store, "--config", self.config,
                     global_options=False)
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual([c["name"] for c in json.loads(r.out)], ["acme"])
        r = self.ctl("customer", "list", f"--store={self.store}", f"--config={self.config}",
                     global_options=False)
        self.assertEqual(r.rc, 0, r.err)
        self.assertIn("acme", r.out)
        self.refused("customer", "list", "--store", code=2, message="--store needs a value",
                     usage=False)

    def test_store_comes_from_the_config_file(self):
        config = self.write_file("store.yaml", f"store: {self.store}\n")
        r = self.ctl("--config", config, "customer", "add", "acme", global_options=False)
        self.assertEqual(r.rc, 0, r.err)
        self.assertTrue(os.path.exists(os.path.join(self.store, "data.mdb")))
        self.assertEqual([c["name"] for c in self.json("customer", "list")], ["acme"])

    def test_shipped_example_config_loads(self):
        self.ok("customer", "add", "acme", config=SHIPPED_CONFIG)
        self.assertIn("acme", self.ok("customer", "list", config=SHIPPED_CONFIG))

    def test_bad_config_exits_78(self):
        self.catalogue()
        bad = self.write_file("bad.yaml", "store_map_size: 64MiB\nbogus_key: 1\n")
        self.refused("customer", "list", code=78, config=bad,
                     message=f"{bad}:2: bogus_key: unknown key")
        nested = self.write_file("nested.yaml", "reputation:\n  high_volume_min_score: 50\n"
                                                "  colour: red\n")
        self.refused("customer", "add", "beta", code=78, config=nested,
                     message=f"{nested}:3: reputation.colour: unknown key")
        wrong = self.write_file("wrong.yaml", "reputation:\n  high_volume_min_score: lots\n")
        self.refused("customer", "list", code=78, config=wrong,
                     message=f"{wrong}:2: reputation.high_volume_min_score:")
        missing = os.path.join(self.tmp, "absent.yaml")
        self.refused("customer", "list", code=78, config=missing, message=missing)

    def test_bad_config_does_not_create_a_store(self):
        bad = self.write_file("bad.yaml", "bogus_key: 1\n")
        self.refused("customer", "add", "acme", code=78, config=bad, message="bogus_key")
        self.assertFalse(os.path.exists(self.store))

    def test_read_commands_on_a_missing_store(self):
        for command in (["customer", "list"], ["plan", "show", "free"], ["account", "list"],
                        ["domain", "list"], ["pool", "postfix-config"],
                        ["suppression", "list", "--global"], ["stats", "app1"],
                        ["customer", "remove", "acme"]):
            with self.subTest(command=command):
                self.refused(*command, message=f"no store at {self.store}")
                self.assertFalse(os.path.exists(self.store))
        # an existing but empty directory is not a store either
        os.mkdir(self.store)
        self.refused("customer", "list", message=f"no store at {self.store}")
        self.assertEqual(os.listdir(self.store), [])

    def test_refused_first_change_leaves_no_store_behind(self):
        # regression: these used to create an empty store at a mistyped --store path
        self.refused("customer", "add", "Bad Name", message="customer name")
        self.assertFalse(os.path.exists(self.store))
        self.refused("domain", "add", "localhost", "--key-type", "ed25519",
                     message="domain has a single label")
        self.assertFalse(os.path.exists(self.store))
        self.refused("account", "add", "app1", "--customer", "acme", "--plan", "free", "--type",
                     "transactional", message=f"no store at {self.store}")
        self.assertFalse(os.path.exists(self.store))
        os.mkdir(self.store)  # an operator may prepare the directory with its ownership
        self.refused("plan", "add", "Bad", "--kind", "free", "--messages", "1", message="plan name")
        self.assertEqual(os.listdir(self.store), [])
        self.ok("customer", "add", "acme")
        self.assertEqual(sorted(os.listdir(self.store)), ["data.mdb", "lock.mdb"])

    def test_reads_leave_the_store_unchanged(self):
        self.catalogue()
        self.ok("domain", "add", "example.com", "--selector", "a", "--key-type", "ed25519")
        before = self.snapshot()
        for command in (["customer", "list"], ["customer", "show", "acme"], ["plan", "list"],
                        ["account", "list"], ["account", "show", "app1"], ["domain", "dns",
                        "example.com"], ["pool", "list"], ["stats", "--customer", "acme"],
                        ["reputation", "show", "app1"], ["account", "why", "app1"],
                        ["suppression", "export", "app1"]):
            self.ok(*command)
        self.assertStoreUnchanged(before)


def main():
    global SENDPOOLCTL, TEMPLATES
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sendpoolctl", required=True, help="path of the sendpoolctl binary")
    args, rest = parser.parse_known_args()
    SENDPOOLCTL = os.path.abspath(args.sendpoolctl)
    if not os.access(SENDPOOLCTL, os.X_OK):
        sys.exit(f"sendpoolctl_test.py: {SENDPOOLCTL} is not an executable")
    for tool in ("mdb_dump", "mdb_load"):
        if shutil.which(tool) is None:
            sys.exit(f"sendpoolctl_test.py: {tool} not found (install lmdb-utils)")
    with tempfile.TemporaryDirectory(prefix="sendpoolctl-templates-") as TEMPLATES:
        program = unittest.main(argv=[sys.argv[0]] + rest, verbosity=1, exit=False)
    sys.exit(0 if program.result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
