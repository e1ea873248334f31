#!/usr/bin/python3
"""sendpool-policyd behind a real, private Postfix 3.7 (issue 3, "What it must show").

One chain for the whole file (tests/integration/harness): Postfix's smtp-sink as "the
Internet", sendpool-policyd as Postfix's SASL server (Dovecot protocol), policy service (RCPT
and END-OF-DATA) and socketmap (sender_dependent_default_transport_maps), and swaks as the
customer's application, always through smtpd on 127.0.0.1:<port>.

Pools: pool-a (transactional default, smtp_bind_address 127.0.0.2) and pool-b (promotional
default, 127.0.0.3), both with the sink as fixed next hop; mail that no pool claims leaves
through default_transport from 127.0.0.1. Each test uses accounts and recipients of its own,
so the tests are independent of their order.

Not here yet (their daemons do not exist): the milter that checks the sender domain,
rewrites MAIL FROM to the return-path token and drops suppressed recipients. Until it lands,
tests that need pool routing send with MAIL FROM = the return path `sendpoolctl route show`
prints, and a suppressed recipient is still delivered (only its acceptance and the counters
are asserted).

Usage: policyd_postfix_test.py --build-dir BUILD [unittest options]
"""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

from sendpool_harness import ChainTestCase, main, wait_until  # noqa: E402

PASSWORD = "correct horse battery"
POOL_A_BIND = "127.0.0.2"
POOL_B_BIND = "127.0.0.3"
IP_CLIENT = "127.0.0.5"  # the source address of the account allowed to send without AUTH


class PolicydThroughPostfix(ChainTestCase):
    chain_options = {"default_pools": {"transactional": "pool-a", "promotional": "pool-b"}}

    @classmethod
    def setup_chain(cls, chain):
        sp, hop = chain.sendpool, chain.sink.nexthop
        sp.add_pool("pool-a", "transactional", "pool_a", POOL_A_BIND, "a.pool.sendpool.test", nexthop=hop)
        sp.add_pool("pool-b", "promotional", "pool_b", POOL_B_BIND, "b.pool.sendpool.test", nexthop=hop)
        sp.add_customer("acme", max_accounts=20)
        sp.add_plan("business", "monthly", 1000)
        sp.add_plan("monthly-two", "monthly", 2)
        sp.add_plan("prepaid-two", "prepaid", 2, valid_days=30)
        for user, plan, kind in [
            ("tx-send", "business", "transactional"),
            ("tx-auth", "business", "transactional"),
            ("tx-auth2", "business", "transactional"),
            ("tx-monthly2", "monthly-two", "transactional"),
            ("tx-prepaid2", "prepaid-two", "transactional"),
            ("tx-suppress", "business", "transactional"),
            ("tx-count", "business", "transactional"),
            ("tx-route", "business", "transactional"),
            ("promo-route", "business", "promotional"),
            ("tx-ip", "business", "transactional"),
        ]:
            sp.add_account(user, "acme", plan, kind, PASSWORD)
        sp.ctl("account", "set", "tx-ip", "--allow-ip", f"{IP_CLIENT}/32")

    # --- helpers ------------------------------------------------------------------------

    def send(self, user, to, password=PASSWORD, sender=None, **kw):
        """One message through Postfix with SMTP AUTH; MAIL FROM defaults to the account's
        return path (what the milter will set), so pool routing applies."""
        if sender is None:
            sender = self.chain.sendpool.route(user)["return_path"]
        return self.chain.swaks(to=to, from_=sender, user=user, password=password, **kw)

    def delivered_to(self, recipients, timeout=30):
        """The sink messages holding each of `recipients`, once all of them arrived."""
        wanted = {r.lower() for r in recipients}

        def arrived():
            msgs = [m for m in self.chain.sink.messages()
                    if wanted & {r.lower() for r in m.rcpt_to}]
            got = {r.lower() for m in msgs for r in m.rcpt_to}
            return msgs if wanted <= got else None

        return wait_until(arrived, timeout, f"delivery to {sorted(wanted)}")

    def assert_never_delivered(self, recipients):
        wanted = {r.lower() for r in recipients}
        got = {r.lower() for m in self.chain.sink.messages() for r in m.rcpt_to}
        self.assertFalse(wanted & got, f"delivered although refused: {sorted(wanted & got)}")

    def counters(self, user):
        return self.chain.sendpool.stats(user, days=2)  # today (and yesterday, across midnight)

    def available(self, user):
        return self.chain.sendpool.account(user)["available_messages"]

    def assertReply(self, reply, prefix, result):
        self.assertIsNotNone(reply, f"no such reply in the transcript:\n{result}")
        self.assertTrue(reply.startswith(prefix), f"expected {prefix}…, got {reply!r}\n{result}")

    # --- a) the right password sends, from the account's pool --------------------------

    def test_a_right_password_sends_from_the_default_pool(self):
        r = self.send("tx-send", ["alice@example.com"])
        self.assertReply(r.auth_reply, "235", r)
        self.assertReply(r.rcpt_replies.get("alice@example.com"), "250", r)
        self.assertTrue(r.queued, r)
        self.assertEqual(r.rc, 0, r)
        [msg] = self.delivered_to(["alice@example.com"])
        self.assertEqual(msg.client_addr, POOL_A_BIND, "pool-a must deliver (smtp_bind_address)")
        self.assertEqual(msg.helo, "a.pool.sendpool.test")
        self.assertEqual(msg.rcpt_to, ["alice@example.com"])
        sent = self.chain.postfix.wait_for_log(rf"{r.queue_id}: to=<alice@example.com>.*status=sent")
        self.assertIn("postfix/pool_a/smtp", sent[0])

    # --- b) a wrong password gets 535, and nothing is sent or counted ------------------

    def test_b_wrong_password_gets_535(self):
        r = self.send("tx-auth", ["bob@example.com"], password="not the password")
        self.assertReply(r.auth_reply, "535", r)
        self.assertNotEqual(r.rc, 0, r)
        self.assertEqual(r.rcpt_replies, {}, "swaks must stop after a failed AUTH")
        # An unknown user gets the very same answer: no hint that the account does not exist.
        u = self.chain.swaks(to=["bob@example.com"], from_="app@acme.example",
                             user="no-such-user", password=PASSWORD)
        self.assertReply(u.auth_reply, "535", u)
        self.assertEqual(r.auth_reply, u.auth_reply)
        # The right password still works on the same account afterwards.
        ok = self.send("tx-auth", ["bob@example.com"])
        self.assertReply(ok.auth_reply, "235", ok)
        self.assertTrue(ok.queued, ok)
        self.delivered_to(["bob@example.com"])
        self.assertEqual(self.counters("tx-auth")["accepted"], 1)

    def test_b_password_change_and_disabling_beat_the_credential_cache(self):
        first = self.send("tx-auth2", ["erin@example.com"])
        self.assertReply(first.auth_reply, "235", first)  # now in policyd's credential cache
        sp = self.chain.sendpool
        sp.ctl("account", "passwd", "tx-auth2", "--password-stdin", input="another good password\n")
        old = self.send("tx-auth2", ["erin@example.com"])
        self.assertReply(old.auth_reply, "535", old)
        new = self.send("tx-auth2", ["erin@example.com"], password="another good password")
        self.assertReply(new.auth_reply, "235", new)
        sp.ctl("account", "set", "tx-auth2", "--status", "disabled", "--reason", "test")
        off = self.send("tx-auth2", ["erin@example.com"], password="another good password")
        self.assertReply(off.auth_reply, "535", off)
        self.assertEqual(self.counters("tx-auth2")["accepted"], 2)

    def test_b_no_auth_is_refused_by_the_policy_before_permit_mynetworks(self):
        # mynetworks = 127.0.0.0/8, yet policyd (first in smtpd_recipient_restrictions)
        # refuses a client that neither authenticated nor is an account's allowed IP.
        r = self.chain.swaks(to=["carol@example.com"], from_="app@acme.example")
        self.assertReply(r.rcpt_replies.get("carol@example.com"), "550 5.7.1", r)
        self.assertFalse(r.queued, r)
        self.assert_never_delivered(["carol@example.com"])

    def test_b_allowed_ip_sends_without_auth(self):
        sender = self.chain.sendpool.route("tx-ip")["return_path"]
        r = self.chain.swaks(to=["dave@example.com"], from_=sender, extra=["--local-interface", IP_CLIENT])
        self.assertReply(r.rcpt_replies.get("dave@example.com"), "250", r)
        self.assertTrue(r.queued, r)
        [msg] = self.delivered_to(["dave@example.com"])
        self.assertEqual(msg.client_addr, POOL_A_BIND)
        c = self.counters("tx-ip")
        self.assertEqual((c["accepted"], c["enqueued"]), (1, 1))

    # --- c) two messages left: the third recipient is refused --------------------------

    def test_c_monthly_quota_defers_the_third_recipient_with_452(self):
        self.assertEqual(self.available("tx-monthly2"), 2)
        rcpts = ["m1@example.com", "m2@example.com", "m3@example.com"]
        r = self.send("tx-monthly2", rcpts)
        replies = r.rcpt_replies
        self.assertReply(replies.get("m1@example.com"), "250", r)
        self.assertReply(replies.get("m2@example.com"), "250", r)
        self.assertReply(replies.get("m3@example.com"), "452 4.7.1", r)
        account = self.chain.sendpool.account("tx-monthly2")
        self.assertIn(account["period_end"], replies["m3@example.com"], "the 4xx names the reset date")
        self.assertTrue(r.queued, r)
        msgs = self.delivered_to(rcpts[:2])
        self.assertEqual(sorted(x for m in msgs for x in m.rcpt_to), rcpts[:2])
        self.assert_never_delivered(rcpts[2:])
        c = self.counters("tx-monthly2")
        self.assertEqual((c["accepted"], c["enqueued"], c["suppressed"]), (2, 2, 0))
        self.assertEqual(self.available("tx-monthly2"), 0)

    def test_c_prepaid_quota_refuses_the_third_recipient_with_550(self):
        self.assertEqual(self.available("tx-prepaid2"), 2)
        rcpts = ["p1@example.com", "p2@example.com", "p3@example.com"]
        r = self.send("tx-prepaid2", rcpts)
        replies = r.rcpt_replies
        self.assertReply(replies.get("p1@example.com"), "250", r)
        self.assertReply(replies.get("p2@example.com"), "250", r)
        self.assertReply(replies.get("p3@example.com"), "550 5.7.1", r)
        self.assertTrue(r.queued, r)
        msgs = self.delivered_to(rcpts[:2])
        self.assertEqual(sorted(x for m in msgs for x in m.rcpt_to), rcpts[:2])
        self.assert_never_delivered(rcpts[2:])
        c = self.counters("tx-prepaid2")
        self.assertEqual((c["accepted"], c["enqueued"], c["suppressed"]), (2, 2, 0))
        self.assertEqual(self.available("tx-prepaid2"), 0)
        # Used up: the next message is refused at its first recipient.
        again = self.send("tx-prepaid2", ["p4@example.com"])
        self.assertReply(again.rcpt_replies.get("p4@example.com"), "550 5.7.1", again)
        self.assertFalse(again.queued, again)

    # --- d) a suppressed recipient is accepted and not charged -------------------------

    def test_d_suppressed_recipient_is_accepted_and_not_charged(self):
        sp = self.chain.sendpool
        sp.ctl("suppression", "add", "tx-suppress", "gone@example.com", "--reason", "bounce")
        before = self.available("tx-suppress")
        r = self.send("tx-suppress", ["keep@example.com", "gone@example.com"])
        self.assertReply(r.rcpt_replies.get("keep@example.com"), "250", r)
        self.assertReply(r.rcpt_replies.get("gone@example.com"), "250", r)
        self.assertTrue(r.queued, r)
        # (The milter that drops gone@ does not exist yet, so the sink gets both for now.)
        self.delivered_to(["keep@example.com"])
        c = self.counters("tx-suppress")
        self.assertEqual(c["accepted"], 2, "accepted counts the suppressed recipient")
        self.assertEqual(c["suppressed"], 1)
        self.assertEqual(c["enqueued"], 1, "only the charged recipient is enqueued")
        self.assertEqual(self.available("tx-suppress"), before - 1, "the suppressed one is not charged")

    # --- e) counters match what was sent -------------------------------------------------

    def test_e_counters_match_what_was_sent(self):
        before = self.available("tx-count")
        sent = []
        for i, n in enumerate((1, 2, 3)):
            rcpts = [f"count{i}.{j}@example.com" for j in range(n)]
            r = self.send("tx-count", rcpts)
            self.assertTrue(r.queued, r)
            self.assertEqual(r.accepted_recipients, rcpts, r)
            sent += rcpts
        # A message whose only recipient is refused by Postfix itself (bad address) and an
        # aborted transaction (QUIT after RCPT) are not counted.
        bad = self.send("tx-count", ["not-an-address@"])
        self.assertFalse(bad.queued, bad)
        quit_early = self.send("tx-count", ["abandoned@example.com"], extra=["--quit-after", "RCPT"])
        self.assertReply(quit_early.rcpt_replies.get("abandoned@example.com"), "250", quit_early)
        self.assertFalse(quit_early.queued)
        self.delivered_to(sent)
        self.assert_never_delivered(["abandoned@example.com"])
        c = self.counters("tx-count")
        self.assertEqual(c["accepted"], len(sent))
        self.assertEqual(c["enqueued"], len(sent), "nothing reports deliveries yet (outcome follower)")
        self.assertEqual(c["suppressed"], 0)
        self.assertEqual(c["accepted"], c["enqueued"] + c["delivered"] + c["bounced"] + c["suppressed"])
        self.assertEqual(self.available("tx-count"), before - len(sent))

    # --- f) the socketmap routes by return path: pool per category, default otherwise ----

    def test_f_routing_by_category_default_pool(self):
        sp = self.chain.sendpool
        tx, promo = sp.route("tx-route"), sp.route("promo-route")
        self.assertEqual(tx["pool"], "pool-a")
        self.assertEqual(tx["transport"], f"pool_a:{self.chain.sink.nexthop}")
        self.assertEqual(promo["pool"], "pool-b")
        self.assertEqual(promo["transport"], f"pool_b:{self.chain.sink.nexthop}")

        r1 = self.send("tx-route", ["route-tx@example.com"], sender=tx["return_path"])
        r2 = self.send("promo-route", ["route-promo@example.com"], sender=promo["return_path"])
        # Without the return-path token (the milter's rewrite) no pool claims the mail: the
        # socketmap answers NOTFOUND and Postfix uses default_transport, from 127.0.0.1.
        r3 = self.send("tx-route", ["route-plain@example.com"], sender="app@acme.example")
        for r in (r1, r2, r3):
            self.assertTrue(r.queued, r)
        [m1] = self.delivered_to(["route-tx@example.com"])
        [m2] = self.delivered_to(["route-promo@example.com"])
        [m3] = self.delivered_to(["route-plain@example.com"])
        self.assertEqual((m1.client_addr, m1.mail_from), (POOL_A_BIND, tx["return_path"]))
        self.assertEqual((m2.client_addr, m2.mail_from), (POOL_B_BIND, promo["return_path"]))
        self.assertEqual(m2.helo, "b.pool.sendpool.test")
        self.assertEqual((m3.client_addr, m3.mail_from), ("127.0.0.1", "app@acme.example"))
        self.chain.postfix.wait_for_log(rf"postfix/pool_b/smtp\[\d+\]: {r2.queue_id}: to=<route-promo@")
        self.assertEqual(self.counters("tx-route")["accepted"], 2)
        self.assertEqual(self.counters("promo-route")["accepted"], 1)


if __name__ == "__main__":
    main()
