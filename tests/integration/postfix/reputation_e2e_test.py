#!/usr/bin/python3
"""Reputation moves an account between pools, and the guardrail pauses it (issue 5, issue 6
scenario 7), on a real private Postfix with the milter, policyd and the outcome follower.

An account sends 200 recipients of which 6 are refused by "the Internet" with 550 5.1.1
(a 3 % bounce rate: critical band). After sendpool-outcomes reads Postfix's log, the account
scores below the good pool's threshold and moves to the lower pool: its next message leaves
from that pool's bind address. Then 40 more hard bounces push the bounce rate past the 10 %
guardrail: the account is paused and its next message is refused.

Usage: reputation_e2e_test.py --build-dir BUILD [unittest options]
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

from sendpool_harness import ChainTestCase, main, wait_until  # noqa: E402

PASSWORD = "correct horse battery"
GOOD, WATCH = "127.0.0.2", "127.0.0.3"
SENDER = "ops@rep.example"


def addresses(prefix, n):
    return [f"{prefix}{i}@dest.example" for i in range(n)]


class ReputationMovesPools(ChainTestCase):
    @classmethod
    def setUpClass(cls):
        if cls.build_dir:
            refused = {a: f"550 5.1.1 <{a}>: user unknown" for a in addresses("bad", 6) + addresses("worse", 40)}
            cls.chain_options = {
                "default_pools": {"transactional": "tx-good", "promotional": ""},
                "milter": os.path.join(cls.build_dir, "milter", "sendpool-milter"),
                "sink_refusals": refused,
            }
            cls.outcomes = os.path.join(cls.build_dir, "tools", "outcomes", "sendpool-outcomes")
        super().setUpClass()

    @classmethod
    def setup_chain(cls, chain):
        sp, hop = chain.sendpool, chain.sink.nexthop
        sp.add_pool("tx-good", "transactional", "pool_good", GOOD, "good.pool.sendpool.test", nexthop=hop,
                    min_score=70)
        sp.add_pool("tx-watch", "transactional", "pool_watch", WATCH, "watch.pool.sendpool.test", nexthop=hop,
                    min_score=0)
        sp.add_customer("acme")
        sp.add_plan("business", "monthly", 100000)
        sp.add_account("rep", "acme", "business", "transactional", PASSWORD)
        sp.ctl("domain", "add", "rep.example")
        sp.ctl("domain", "link", "rep.example", "rep")

    def send(self, to):
        extra = ["--header", f"From: {SENDER}", "--header", "Subject: reputation"]
        return self.chain.swaks(to=to, from_=SENDER, user="rep", password=PASSWORD, body="hello\n",
                                extra=extra)

    def follow_log(self):
        """Runs the outcome follower over what Postfix logged so far (it keeps its position)."""
        self.chain.postfix.wait_queue_empty(timeout=120)
        p = subprocess.run([self.outcomes, "--config", self.chain.sendpool.config_path, "--file",
                            self.chain.postfix.maillog, "--once"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)

    def reputation(self):
        return self.chain.sendpool.ctl("reputation", "show", "rep", json=True)

    def test_bounces_move_the_account_down_then_pause_it(self):
        first = self.send(addresses("good", 194) + addresses("bad", 6))
        self.assertTrue(first.queued, first.output)
        self.follow_log()
        stats = self.chain.sendpool.stats("rep")
        self.assertEqual((stats["delivered"], stats["bounced"]), (194, 6))
        rep = self.reputation()
        self.assertEqual(rep["pool"], "tx-watch", rep)
        self.assertLess(rep["reputation"]["score"], 70)

        probe = self.send("probe@dest.example")
        self.assertTrue(probe.queued, probe.output)
        m = wait_until(lambda: next(iter(self.chain.sink.messages_to("probe@dest.example")), None), 60,
                       "the probe at the sink")
        self.assertEqual(m.client_addr, WATCH)

        second = self.send(addresses("worse", 40))
        self.assertTrue(second.queued, second.output)
        self.follow_log()
        account = self.chain.sendpool.account("rep")
        self.assertEqual(account["status"], "paused", account)
        refused = self.send("after@dest.example")
        self.assertFalse(refused.queued)
        self.assertIn("paused", refused.output)
        totals = self.chain.sendpool.stats("rep")
        self.assertEqual(totals["accepted"],
                         totals["enqueued"] + totals["delivered"] + totals["bounced"] + totals["suppressed"])


if __name__ == "__main__":
    main()
