#!/usr/bin/python3
"""sendpool-outcomes on a real, private Postfix: delivery-log outcomes end up in the counters.

The chain (tests/integration/harness) runs policyd, the milter and Postfix; the sink is the
python sink so that it can refuse chosen recipients. sendpool-outcomes follows Postfix's
maillog_file (`--file`) alongside. Scenarios:
- a recipient refused with "550 5.1.1 user unknown" is counted bounced and suppressed; the next
  message to it is accepted, dropped and counted suppressed;
- a block ("554 5.7.1 … blocked using zen.spamhaus.org") is counted bounced, never suppressed;
- a 450 keeps the recipient enqueued; once the sink accepts it (set_refusals + flush) it is
  counted delivered;
- a message the milter rejects at END-OF-MESSAGE (after policyd charged it) is refunded;
- the follower stopped while mail is delivered counts it after its restart, once.
After every scenario accepted = enqueued + delivered + bounced + suppressed holds for every
account and day.

Usage: outcomes_postfix_test.py --build-dir BUILD [unittest options]
"""

import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration",
                                "harness"))

from sendpool_harness import ChainTestCase, main, wait_until  # noqa: E402
from sendpool_harness import util  # noqa: E402

PASSWORD = "correct horse battery"
POOL_TX = "127.0.0.2"
USER_UNKNOWN = "550 5.1.1 <gone@dest.example>: user unknown"
BLOCKED = "554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using zen.spamhaus.org"
BUSY = "450 4.2.0 mailbox busy, try later"
REFUSALS = {"gone@dest.example": USER_UNKNOWN, "blk@dest.example": BLOCKED,
            "busy@dest.example": BUSY}
TIMEOUT = 60


class OutcomesOnPostfix(ChainTestCase):
    follower = None

    @classmethod
    def setUpClass(cls):
        if cls.build_dir:
            cls.chain_options = {
                "default_pools": {"transactional": "tx-default"},
                "milter": os.path.join(cls.build_dir, "milter", "sendpool-milter"),
                "sink_refusals": dict(REFUSALS),
                "extra_config": {"outcomes": {"poll_interval": "200ms"}},
            }
        super().setUpClass()
        cls.outcomes_bin = os.path.join(cls.build_dir, "tools", "outcomes", "sendpool-outcomes")
        cls.follower_log = os.path.join(cls.chain.workdir, "sendpool", "outcomes.log")
        cls.start_follower()
        cls.addClassCleanup(cls.stop_follower)

    @classmethod
    def setup_chain(cls, chain):
        sp, hop = chain.sendpool, chain.sink.nexthop
        sp.add_pool("tx-default", "transactional", "pool_tx", POOL_TX, "tx.pool.sendpool.test",
                    nexthop=hop)
        sp.add_customer("acme", max_accounts=10)
        sp.add_plan("business", "monthly", 1000)
        sp.add_account("app", "acme", "business", "transactional", PASSWORD)
        sp.ctl("domain", "add", "acme.example")
        sp.ctl("domain", "add", "other.example")
        sp.ctl("domain", "link", "acme.example", "app")

    # --- the follower process -----------------------------------------------------------

    @classmethod
    def start_follower(cls):
        log = open(cls.follower_log, "ab")
        try:
            cls.follower = subprocess.Popen(
                [cls.outcomes_bin, "--config", cls.chain.sendpool.config_path, "--file",
                 cls.chain.postfix.maillog, "--foreground"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()

    @classmethod
    def stop_follower(cls):
        util.stop_popen(cls.follower)
        cls.follower = None

    def run(self, result=None):
        if result is None:
            result = self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        outcome = super().run(result)
        if len(result.failures) + len(result.errors) > before:
            sys.stderr.write(f"\n===== sendpool-outcomes log ({self.follower_log}) =====\n"
                             + util.tail(self.follower_log, 60) + "\n")
        return outcome

    # --- helpers ------------------------------------------------------------------------

    def send(self, to, from_header="billing@acme.example"):
        extra = ["--header", f"From: {from_header}", "--header", "Subject: outcomes"]
        return self.chain.swaks(to=to, from_="billing@acme.example", user="app", password=PASSWORD,
                                body="hello from the outcomes test\n", extra=extra)

    def stats(self):
        return self.chain.sendpool.stats("app")

    def wait_stats(self, expected, what):
        """Waits until every counter in `expected` has its value; returns the counters."""
        def ok():
            s = self.stats()
            return s if all(s[k] == v for k, v in expected.items()) else None
        try:
            return wait_until(ok, TIMEOUT, what)
        except util.HarnessError:
            self.fail(f"{what}: counters are {self.stats()}, expected {expected}")

    def suppression(self, address):
        entries = self.chain.sendpool.ctl("suppression", "list", "app", json=True)
        return next((e for e in entries if e["address"] == address), None)

    def assert_conserved(self):
        data = self.chain.sendpool.ctl("stats", "app", "--days", 3, json=True)
        for day in data["days"]:
            self.assertEqual(day["accepted"],
                             day["enqueued"] + day["delivered"] + day["bounced"] + day["suppressed"],
                             day)

    def follower_caught_up(self, pattern):
        """Waits until the follower applied the last maillog line matching `pattern`: its batch
        log lines name the offset they reached."""
        text = self.chain.postfix.log_text()
        end = max(m.end() for m in re.finditer(pattern + ".*\n", text))
        end = len(text[:end].encode("utf-8"))

        def done():
            offsets = [int(m) for m in re.findall(r" offset (\d+)", util.tail(self.follower_log, 400))]
            return bool(offsets) and max(offsets) >= end
        wait_until(done, TIMEOUT, f"sendpool-outcomes to apply the line matching {pattern!r}")

    # --- scenarios ----------------------------------------------------------------------

    def test_hard_bounce_is_counted_bounced_and_suppressed(self):
        base = self.stats()
        r = self.send(["ok1@dest.example", "gone@dest.example"])
        self.assertTrue(r.queued, r.output)
        self.wait_stats({"accepted": base["accepted"] + 2, "delivered": base["delivered"] + 1,
                         "bounced": base["bounced"] + 1, "enqueued": base["enqueued"]},
                        "one delivered and one bounced recipient")
        entry = wait_until(lambda: self.suppression("gone@dest.example"), TIMEOUT,
                           "gone@dest.example on the suppression list")
        self.assertEqual(entry["reason"], "bounce")
        self.assertIn("5.1.1", entry["detail"])
        self.assertIn("user unknown", entry["detail"])
        self.assert_conserved()

        # The next message to that address is accepted, the address dropped and counted
        # suppressed; only the other recipient reaches the sink.
        base = self.stats()
        refused_before = len([x for x in self.chain.sink.refusals() if x[1] == "gone@dest.example"])
        r = self.send(["ok2@dest.example", "gone@dest.example"])
        self.assertTrue(r.queued, r.output)
        self.wait_stats({"accepted": base["accepted"] + 2, "suppressed": base["suppressed"] + 1,
                         "delivered": base["delivered"] + 1, "bounced": base["bounced"],
                         "enqueued": base["enqueued"]},
                        "the suppressed recipient dropped, the other delivered")
        self.assertEqual(len([x for x in self.chain.sink.refusals() if x[1] == "gone@dest.example"]),
                         refused_before)
        self.assert_conserved()

    def test_block_is_bounced_but_never_suppressed(self):
        base = self.stats()
        r = self.send(["blk@dest.example"])
        self.assertTrue(r.queued, r.output)
        self.wait_stats({"accepted": base["accepted"] + 1, "bounced": base["bounced"] + 1,
                         "enqueued": base["enqueued"]}, "the blocked recipient bounced")
        self.follower_caught_up(r"to=<blk@dest\.example>.*status=bounced")
        self.assertIsNone(self.suppression("blk@dest.example"))
        self.assert_conserved()

    def test_deferred_recipient_stays_enqueued_until_delivered(self):
        base = self.stats()
        r = self.send(["busy@dest.example"])
        self.assertTrue(r.queued, r.output)
        self.chain.postfix.wait_for_log(r"to=<busy@dest\.example>.*status=deferred", timeout=TIMEOUT)
        self.follower_caught_up(r"to=<busy@dest\.example>.*status=deferred")
        s = self.wait_stats({"accepted": base["accepted"] + 1, "enqueued": base["enqueued"] + 1},
                            "the deferred recipient enqueued")
        self.assertEqual((s["delivered"], s["bounced"]), (base["delivered"], base["bounced"]))
        self.assert_conserved()

        self.chain.sink.set_refusals({k: v for k, v in REFUSALS.items() if k != "busy@dest.example"})
        try:
            self.chain.postfix.flush()
            self.wait_stats({"enqueued": base["enqueued"], "delivered": base["delivered"] + 1,
                             "bounced": base["bounced"]}, "the deferred recipient delivered")
        finally:
            self.chain.sink.set_refusals(dict(REFUSALS))
        self.assertIsNone(self.suppression("busy@dest.example"))
        self.assert_conserved()

    def test_milter_reject_at_end_of_message_refunds_the_charge(self):
        base = self.stats()
        r = self.send(["x@dest.example"], from_header="ceo@other.example")  # From: not linked
        self.assertFalse(r.queued, r.output)
        [line] = self.chain.postfix.wait_for_log(r"milter-reject: END-OF-MESSAGE.*other\.example is not authorised",
                                                 timeout=TIMEOUT)[-1:]
        queue_id = line.split(": ")[1]
        # policyd charged it at END-OF-MESSAGE, before the milter's verdict ...
        policyd_log = self.chain.sendpool.policyd_log
        wait_until(lambda: f"queue_id={queue_id} " in util.tail(policyd_log, 400), TIMEOUT,
                   f"policyd's charge of {queue_id}")
        # ... and the follower gave it back.
        self.follower_caught_up(f"{queue_id}: milter-reject: END-OF-MESSAGE")
        self.wait_stats({"accepted": base["accepted"], "enqueued": base["enqueued"]},
                        "the rejected message refunded")
        self.assert_conserved()

    def test_restarted_follower_counts_what_it_missed_once(self):
        self.stop_follower()
        try:
            base = self.stats()
            r = self.send(["late@dest.example"])
            self.assertTrue(r.queued, r.output)
            self.chain.postfix.wait_for_log(r"to=<late@dest\.example>.*status=sent", timeout=TIMEOUT)
            time.sleep(0.5)
            self.assertEqual(self.stats()["delivered"], base["delivered"])  # nobody counted it
        finally:
            self.start_follower()
        self.wait_stats({"delivered": base["delivered"] + 1, "enqueued": base["enqueued"]},
                        "the missed delivery counted after the restart")
        self.follower_caught_up(r"to=<late@dest\.example>.*status=sent")
        time.sleep(1)
        self.assertEqual(self.stats()["delivered"], base["delivered"] + 1)
        self.assert_conserved()


if __name__ == "__main__":
    main()
