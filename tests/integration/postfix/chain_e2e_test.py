#!/usr/bin/python3
"""The whole chain on a real, private Postfix: policyd (AUTH, policy, routing) and the milter.

Issue 6's end-to-end scenarios that need only the daemons that exist so far; each asserts on
what the sink received and on `sendpoolctl --json`. DKIM signatures are verified by dkimpy
(python3-dkim, an implementation independent of libopendkim) with DNS answers stubbed from
`sendpoolctl domain dns --json` and the platform key.

Usage: chain_e2e_test.py --build-dir BUILD [unittest options]
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

from sendpool_harness import ChainTestCase, main  # noqa: E402
from sendpool_harness.dkim_check import dns_stub, verify_signatures  # noqa: E402

PASSWORD = "correct horse battery"
POOL_TX = "127.0.0.2"
POOL_PROMO = "127.0.0.3"


class WholeChain(ChainTestCase):
    @classmethod
    def setUpClass(cls):
        if cls.build_dir:
            cls.chain_options = {
                "default_pools": {"transactional": "tx-default", "promotional": "promo-default"},
                "milter": os.path.join(cls.build_dir, "milter", "sendpool-milter"),
            }
        super().setUpClass()

    @classmethod
    def setup_chain(cls, chain):
        sp, hop = chain.sendpool, chain.sink.nexthop
        sp.add_pool("tx-default", "transactional", "pool_tx", POOL_TX, "tx.pool.sendpool.test", nexthop=hop)
        sp.add_pool("promo-default", "promotional", "pool_promo", POOL_PROMO, "promo.pool.sendpool.test",
                    nexthop=hop)
        sp.add_customer("acme", max_accounts=10)
        sp.add_plan("business", "monthly", 1000)
        for user, kind in [("app", "transactional"), ("news", "promotional"), ("app2", "transactional"),
                           ("off", "transactional")]:
            sp.add_account(user, "acme", "business", kind, PASSWORD)
        sp.ctl("domain", "add", "acme.example", "--key-type", "both")
        sp.ctl("domain", "add", "other.example")
        sp.add_customer("quota", max_accounts=2)
        sp.add_plan("five", "prepaid", 5, valid_days=30)
        sp.add_account("pre5", "quota", "five", "transactional", PASSWORD)
        sp.ctl("domain", "link", "acme.example", "pre5")
        for user in ("app", "news", "app2", "off"):
            sp.ctl("domain", "link", "acme.example", user)
        sp.ctl("account", "set", "off", "--status", "disabled")
        sp.ctl("suppression", "add", "app", "gone@dest.example", "--reason", "bounce")

    def verify_all(self, raw):
        """[(d=, a=, valid)] for every DKIM-Signature in the message, in order."""
        lookup = dns_stub(self.chain.sendpool, ["acme.example", "other.example"])
        return [(d, a, ok) for d, _, a, ok in verify_signatures(raw, lookup)]

    def send(self, user, sender, to, headers=None):
        # swaks --header replaces its default header of that name (--add-header would repeat it).
        extra = []
        for name, value in (headers or {"From": sender, "Subject": "e2e"}).items():
            extra += ["--header", f"{name}: {value}"]
        return self.chain.swaks(to=to, from_=sender, user=user, password=PASSWORD,
                                body="hello from the chain\n", extra=extra)

    def test_authorised_message_to_three_recipients_one_suppressed(self):
        before = self.chain.sendpool.account("app")["available_messages"]
        r = self.send("app", "billing@acme.example",
                      ["one@dest.example", "two@dest.example", "gone@dest.example"])
        self.assertTrue(r.queued, r.output)
        got = self.chain.sink.wait_for_messages(1, timeout=60)
        msgs = [m for m in got if "one@dest.example" in m.rcpt_to]
        self.assertEqual(len(msgs), 1)
        m = msgs[0]
        self.assertEqual(sorted(m.rcpt_to), ["one@dest.example", "two@dest.example"])  # dropped
        self.assertEqual(m.client_addr, POOL_TX)
        self.assertTrue(m.mail_from.startswith("b.") and m.mail_from.endswith("@bounces.sendpool.test"),
                        m.mail_from)
        self.assertEqual(m.message["Feedback-ID"], "app:acme:transactional:sendpool-test")
        results = self.verify_all(m.delivered_bytes())
        self.assertEqual(len(results), 3, results)  # rsa + ed25519 of the domain, the platform's
        self.assertTrue(all(ok for _, _, ok in results), results)
        self.assertIn(("acme.example", "rsa-sha256", True), results)
        self.assertIn(("acme.example", "ed25519-sha256", True), results)
        self.assertIn(("dkim.sendpool.test", "rsa-sha256", True), results)
        total = self.chain.sendpool.stats("app")
        self.assertEqual((total["accepted"], total["suppressed"]), (3, 1))
        self.assertEqual(self.chain.sendpool.account("app")["available_messages"], before - 2)

    def test_refusals(self):
        wrong = self.chain.swaks(to="x@dest.example", from_="a@acme.example", user="app",
                                 password="wrong password")
        self.assertIn("535", wrong.output)
        unknown = self.send("app", "a@other.example", "x@dest.example")
        self.assertFalse(unknown.queued)
        self.assertIn("550 5.7.1 other.example is not authorised for account app", unknown.output)
        foreign = self.send("app", "a@acme.example", "x@dest.example",
                            headers={"From": "ceo@other.example", "Subject": "spoof"})
        self.assertFalse(foreign.queued)
        self.assertIn("550 5.7.1", foreign.output)
        disabled = self.send("off", "a@acme.example", "x@dest.example")
        self.assertFalse(disabled.queued)

    def test_two_accounts_sharing_a_domain_keep_their_own_counters(self):
        a_before = self.chain.sendpool.stats("app2")["accepted"]
        r = self.send("app2", "ops@acme.example", "shared@dest.example")
        self.assertTrue(r.queued, r.output)
        self.chain.sink.wait_for_messages(1)
        self.assertEqual(self.chain.sendpool.stats("app2")["accepted"], a_before + 1)
        news = self.send("news", "promo@acme.example", "reader@dest.example")
        self.assertTrue(news.queued, news.output)
        m = self.wait_for("reader@dest.example")
        self.assertEqual(m.client_addr, POOL_PROMO)
        self.assertIn("mailto:u.", m.message["List-Unsubscribe"])
        self.assertEqual(self.chain.sendpool.stats("news")["accepted"], 1)

    def test_prepaid_with_five_left_sends_exactly_five_of_ten_parallel_clients(self):
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=10) as pool:
            results = list(pool.map(lambda i: self.send("pre5", "app@acme.example", f"p{i}@dest.example"),
                                    range(10)))
        queued = [r for r in results if r.queued]
        self.assertEqual(len(queued), 5, [r.output[-300:] for r in results if not r.queued])
        for r in results:
            if not r.queued:
                self.assertIn("550 5.7.1", r.output)
        self.assertEqual(self.chain.sendpool.account("pre5")["available_messages"], 0)
        self.assertEqual(self.chain.sendpool.stats("pre5")["accepted"], 5)

    def wait_for(self, rcpt, timeout=60):
        from sendpool_harness import wait_until
        return wait_until(lambda: next(iter(self.chain.sink.messages_to(rcpt)), None), timeout,
                          f"a message to {rcpt}")


if __name__ == "__main__":
    main()
