#!/usr/bin/python3
"""sendpool-feedback and `sendpoolctl events import` as Postfix and an operator run them.

Each test gets a fresh store (created with the real sendpoolctl: customer acme, accounts app
= id 1 and news = id 2, matching the tokens of tests/feedback/corpus) and a configuration whose
token secret is the corpus's test secret. It checks:
- sendpool-feedback's exit codes (sysexits): 0 applied or deliberately ignored (forged, not
  ours), 64 usage, 65 unparseable, 75 store unavailable, 78 configuration; --version,
  --check-config; what a DSN, an ARF report and an unsubscribe mail do to `stats --json` and
  `suppression list --json`; --forward-dsn through a stand-in sendmail;
- events import: bad lines reported as FILE:LINE: problem (exit 1) while the good ones are
  applied, counters on the event's day, web unsubscribes suppressed, a second import of the
  same file applying nothing, the --json summary.

Usage: feedback_cli_test.py --sendpoolctl PATH --feedback PATH [unittest options]
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

SENDPOOLCTL = None
FEEDBACK = None
CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
SECRET = b"feedback-test-secret-0123456789"
DOMAIN = "bounces.sendpool.test"
TOKEN_A = "b.1.5137.aaaaaaaa.4duikpefqbtfkchw@bounces.sendpool.test"
TOKEN_B = "b.1.5137.bbbbbbbb.i5hxqicu6of3hvzt@bounces.sendpool.test"
UNSUB_2 = "u.2.5137.kkkkkkkk.flo6r24vjtj2jfej@bounces.sendpool.test"
FORGED = "b.1.5137.zzzzzzzz.yxyokfjrzrsijj7a@bounces.sendpool.test"
DAY = "2026-12-04"  # day 0x5137 of the corpus tokens


def corpus(name):
    with open(os.path.join(CORPUS, name), "rb") as f:
        return f.read()


class Fixture(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sendpool-feedback-cli-")
        self.store = os.path.join(self.dir, "store")
        self.secret = os.path.join(self.dir, "token.secret")
        fd = os.open(self.secret, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(SECRET)
        self.config = self.write_config(self.store)
        self.ctl("customer", "add", "acme")
        self.ctl("plan", "add", "business", "--kind", "monthly", "--messages", "1000")
        self.ctl("account", "add", "app", "--customer", "acme", "--plan", "business",
                 "--type", "transactional")
        self.ctl("account", "add", "news", "--customer", "acme", "--plan", "business",
                 "--type", "promotional")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write_config(self, store, name="sendpool.yaml", platform=True):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(f"store: {json.dumps(store)}\nstore_map_size: 64MiB\n")
            if platform:
                f.write(f"platform:\n  return_path_domain: {DOMAIN}\n"
                        f"  token_secret_file: {json.dumps(self.secret)}\n")
        return path

    def ctl_run(self, *args, input=None):
        return subprocess.run([SENDPOOLCTL, "--config", self.config] + list(args), input=input,
                              capture_output=True, text=True, timeout=60)

    def ctl(self, *args, json_out=False):
        p = self.ctl_run(*((["--json"] if json_out else []) + list(args)))
        self.assertEqual(p.returncode, 0, f"sendpoolctl {args}: {p.stderr}")
        return json.loads(p.stdout) if json_out else p.stdout

    def feedback(self, message, *args, config=None):
        return subprocess.run([FEEDBACK, "--config", config or self.config] + list(args),
                              input=message, capture_output=True, timeout=60)

    @staticmethod
    def stats_days():
        """`stats --days` reaching back to the day before the corpus day, whatever today is."""
        today = datetime.datetime.now(datetime.timezone.utc).date()
        return str(max(3, (today - datetime.date.fromisoformat(DAY)).days + 2))

    def totals(self, user):
        return self.ctl("stats", user, "--days", self.stats_days(), json_out=True)["total"]

    def day(self, user, date=DAY):
        days = self.ctl("stats", user, "--days", self.stats_days(), json_out=True)["days"]
        return next((d for d in days if d["date"] == date), None)

    def suppressed(self, user):
        return {e["address"]: e["reason"] for e in self.ctl("suppression", "list", user, json_out=True)}


class FeedbackBinary(Fixture):
    def test_version_and_usage(self):
        p = subprocess.run([FEEDBACK, "--version"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"^sendpool-feedback \d")
        p = subprocess.run([FEEDBACK, "--bogus"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 64)

    def test_check_config(self):
        p = self.feedback(b"", "--check-config")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"configuration is valid", p.stdout)
        bare = self.write_config(self.store, "bare.yaml", platform=False)
        p = self.feedback(b"", "--check-config", config=bare)
        self.assertEqual(p.returncode, 78)
        self.assertIn(b"platform.return_path_domain", p.stderr)
        p = self.feedback(b"", "--check-config", config=os.path.join(self.dir, "missing.yaml"))
        self.assertEqual(p.returncode, 78)
        os.chmod(self.secret, 0o644)  # a secret others can read is refused
        p = self.feedback(b"", "--check-config")
        self.assertEqual(p.returncode, 78)

    def test_unparseable_message_exits_65(self):
        p = self.feedback(corpus("garbage.eml"), "--recipient", TOKEN_A)
        self.assertEqual(p.returncode, 65, p.stderr)
        self.assertIn(b"unparseable", p.stderr)

    def test_store_unavailable_exits_75_so_postfix_retries(self):
        missing = self.write_config(os.path.join(self.dir, "no-store"), "nostore.yaml")
        p = self.feedback(corpus("postfix_dsn_single.eml"), "--recipient", TOKEN_A, config=missing)
        self.assertEqual(p.returncode, 75, p.stderr)
        broken = os.path.join(self.dir, "broken-store")
        os.makedirs(broken)
        with open(os.path.join(broken, "data.mdb"), "wb") as f:
            f.write(b"not an lmdb file" * 100)
        p = self.feedback(corpus("postfix_dsn_single.eml"), "--recipient", TOKEN_A,
                          config=self.write_config(broken, "broken.yaml"))
        self.assertEqual(p.returncode, 75, p.stderr)

    def test_early_dsn_suppresses_without_touching_counters(self):
        before = self.totals("app")
        p = self.feedback(corpus("postfix_dsn_multi.eml"), "--recipient", TOKEN_B, "--client=")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.totals("app"), before)
        self.assertEqual(self.suppressed("app"), {"gone@dest.example": "bounce"})

    def test_complaint_and_unsubscribe_change_counters_and_suppression(self):
        p = self.feedback(corpus("arf_with_rcpt.eml"), "--recipient", "fbl@" + DOMAIN)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.day("app")["complaints"], 1)
        self.assertEqual(self.suppressed("app"), {"angry@mbp.example": "complaint"})
        p = self.feedback(corpus("unsubscribe.eml"), "--recipient", UNSUB_2,
                          "--sender", "reader@dest.example")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.day("news")["unsubscribes"], 1)
        self.assertEqual(self.suppressed("news"), {"Reader@dest.example": "unsubscribe"})
        # The same report again changes nothing.
        self.feedback(corpus("arf_with_rcpt.eml"), "--recipient", "fbl@" + DOMAIN)
        self.assertEqual(self.day("app")["complaints"], 1)

    def test_forged_and_foreign_reports_are_ignored_with_exit_0(self):
        for name, rcpt in [("dsn_forged.eml", FORGED), ("arf_forged.eml", "fbl@" + DOMAIN),
                           ("auto_reply.eml", TOKEN_A)]:
            p = self.feedback(corpus(name), "--recipient", rcpt)
            self.assertEqual(p.returncode, 0, p.stderr)
        p = self.feedback(corpus("dsn_forged.eml"), "--recipient", FORGED)
        self.assertIn(b"forged", p.stderr)
        self.assertEqual(self.suppressed("app"), {})
        self.assertEqual(self.totals("app")["complaints"], 0)

    def test_forward_dsn_submits_the_report_with_the_null_sender(self):
        self.ctl("account", "set", "app", "--bounce-address", "bounces@acme.example")
        record = os.path.join(self.dir, "sendmail.log")
        fake = os.path.join(self.dir, "sendmail")
        with open(fake, "w", encoding="utf-8") as f:
            f.write(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {record}\ncat >> {record}\n")
        os.chmod(fake, 0o755)
        p = self.feedback(corpus("postfix_dsn_single.eml"), "--recipient", TOKEN_A, "--client=",
                          "--forward-dsn", "--sendmail", fake)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(record, encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertEqual(lines[:5], ["-i", "-f", "<>", "--", "bounces@acme.example"])
        self.assertIn("Undelivered Mail Returned to Sender", "\n".join(lines))
        # Without sendmail the report still counts: forwarding is best effort.
        p = self.feedback(corpus("postfix_dsn_multi.eml"), "--recipient", TOKEN_B, "--client=",
                          "--forward-dsn", "--sendmail", os.path.join(self.dir, "none"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"not forwarded", p.stderr)


EVENTS = [
    {"id": "e1", "account": "app", "recipient": "a@dest.example", "type": "open", "time": "2026-12-04T10:00:00Z"},
    {"id": "e2", "account": "app", "recipient": "a@dest.example", "type": "click", "time": "2026-12-03T23:59:59.250Z"},
    {"id": "e3", "account": "app", "recipient": "B@Dest.Example", "type": "unsubscribe", "time": "2026-12-04T11:00:00Z"},
]


class EventsImport(Fixture):
    def write(self, lines, name="events.jsonl"):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            for line in lines:
                f.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
        return path

    def test_good_file_applies_every_event_on_its_day(self):
        path = self.write(EVENTS)
        p = self.ctl_run("events", "import", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("3 events applied", p.stdout)
        self.assertEqual(p.stderr, "")
        self.assertEqual((self.day("app")["opens"], self.day("app")["unsubscribes"]), (1, 1))
        self.assertEqual(self.day("app", "2026-12-03")["clicks"], 1)
        self.assertEqual(self.suppressed("app"), {"B@dest.example": "unsubscribe"})

    def test_bad_lines_are_reported_with_their_line_numbers_and_good_ones_applied(self):
        path = self.write([
            EVENTS[0],
            "not json",
            {"id": "e4", "account": "ghost", "recipient": "c@dest.example", "type": "open", "time": "2026-12-04T10:00:00Z"},
            "",
            {"id": "e5", "account": "app", "recipient": "c@dest.example", "type": "bounce", "time": "2026-12-04T10:00:00Z"},
            {"id": "e6", "account": "app", "recipient": "no-at-sign", "type": "open", "time": "2026-12-04T10:00:00Z"},
            {"id": "e7", "account": "app", "recipient": "c@dest.example", "type": "open", "time": "2026-12-04 10:00"},
            {"account": "app", "recipient": "c@dest.example", "type": "open", "time": "2026-12-04T10:00:00Z"},
            {"id": 7, "account": "app", "recipient": "c@dest.example", "type": "open", "time": "2026-12-04T10:00:00Z"},
            "[1, 2]",
            EVENTS[1],
        ])
        p = self.ctl_run("events", "import", path)
        self.assertEqual(p.returncode, 1)
        problems = p.stderr.splitlines()
        self.assertEqual([l.split(": ", 1)[0] for l in problems],
                         [f"{path}:{n}" for n in (2, 3, 5, 6, 7, 8, 9, 10)])
        self.assertIn("no account named ghost", problems[1])
        self.assertIn('"type"', problems[2])
        self.assertIn('"recipient"', problems[3])
        self.assertIn('"time"', problems[4])
        self.assertIn('"id" is missing', problems[5])
        self.assertIn('"id" must be a string', problems[6])
        self.assertIn("2 events applied", p.stdout)
        self.assertIn("8 bad lines", p.stdout)
        self.assertEqual(self.totals("app")["opens"], 1)
        self.assertEqual(self.totals("app")["clicks"], 1)

    def test_importing_the_same_file_again_applies_nothing(self):
        path = self.write(EVENTS)
        self.ctl_run("events", "import", path)
        before = self.totals("app")
        p = self.ctl_run("--json", "events", "import", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        summary = json.loads(p.stdout)
        self.assertEqual((summary["applied"], summary["duplicates"], summary["bad"]), (0, 3, 0))
        self.assertEqual(self.totals("app"), before)
        # A new file mixing old and new ids applies only the new ones.
        more = self.write(EVENTS + [dict(EVENTS[0], id="e9")], "more.jsonl")
        summary = json.loads(self.ctl_run("--json", "events", "import", more).stdout)
        self.assertEqual((summary["applied"], summary["duplicates"]), (1, 3))
        self.assertEqual(self.totals("app")["opens"], before["opens"] + 1)

    def test_json_summary_lists_the_problems(self):
        path = self.write([EVENTS[0], "{}"])
        p = self.ctl_run("--json", "events", "import", path)
        self.assertEqual(p.returncode, 1)
        summary = json.loads(p.stdout)
        self.assertEqual(summary["applied"], 1)
        self.assertEqual(summary["bad"], 1)
        self.assertEqual(summary["problems"], [{"line": 2, "problem": '"id" is missing'}])

    def test_stdin_and_missing_files(self):
        p = self.ctl_run("events", "import", "-", input=json.dumps(EVENTS[0]) + "\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.ctl_run("events", "import", os.path.join(self.dir, "missing.jsonl"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot read", p.stderr)
        p = self.ctl_run("events", "import")
        self.assertEqual(p.returncode, 2)


def main():
    global SENDPOOLCTL, FEEDBACK
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--sendpoolctl", required=True)
    parser.add_argument("--feedback", required=True)
    args, rest = parser.parse_known_args()
    SENDPOOLCTL, FEEDBACK = os.path.abspath(args.sendpoolctl), os.path.abspath(args.feedback)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
