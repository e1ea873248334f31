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

import dkim  # noqa: E402  (Debian's python3-dkim)

from sendpool_harness import ChainTestCase, main  # noqa: E402

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
        for user in ("app", "news", "app2", "off"):
            sp.ctl("domain", "link", "acme.example", user)
        sp.ctl("account", "set", "off", "--status", "disabled")
        sp.ctl("suppression", "add", "app", "gone@dest.example", "--reason", "bounce")

    def dns(self):
        """A DNS stub: every published DKIM record of the store, plus the platform's."""
        records = {}
        for d in ("acme.example", "other.example"):
            for r in self.chain.sendpool.ctl("domain", "dns", d, json=True):
                records[r["record_name"] + "."] = r["txt"]
        name, txt = self.chain.sendpool.platform_dns_record()
        records[name + "."] = txt

        def lookup(qname, timeout=5):
            name = qname.decode() if isinstance(qname, bytes) else qname
            if not name.endswith("."):
                name += "."
            value = records.get(name)
            return value.encode() if value else None
        return lookup

    def verify_all(self, raw):
        """[(d=, a=, valid)] for every DKIM-Signature in the message, in order."""
        d = dkim.DKIM(raw)
        lookup = self.dns()
        out = []
        sigs = [v for k, v in email_headers(raw) if k.lower() == "dkim-signature"]
        for i, sig in enumerate(sigs):
            tags = dict(t.strip().split("=", 1) for t in sig.replace("\r\n", "").replace("\n", "").split(";")
                        if "=" in t)
            out.append((tags.get("d", "").strip(), tags.get("a", "").strip(),
                        d.verify(idx=i, dnsfunc=lookup)))
        return out

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
        results = self.verify_all(strip_sink_headers(m.raw))
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

    def wait_for(self, rcpt, timeout=60):
        from sendpool_harness import wait_until
        return wait_until(lambda: next(iter(self.chain.sink.messages_to(rcpt)), None), timeout,
                          f"a message to {rcpt}")


def email_headers(raw):
    """(name, value) of the header block, unfolded as in the message."""
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
    out = []
    for line in head.decode("utf-8", "replace").replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + "\n" + line)
        elif ":" in line:
            name, value = line.split(":", 1)
            out.append((name, value))
    return out


def strip_sink_headers(raw):
    """The message as delivered: smtp-sink prepends X-Client-Addr, X-Helo-Args, … lines."""
    lines = raw.split(b"\n")
    i = 0
    while i < len(lines) and lines[i].startswith((b"X-Client-", b"X-Helo-", b"X-Mail-", b"X-Rcpt-")):
        i += 1
    return b"\n".join(lines[i:])


if __name__ == "__main__":
    main()
