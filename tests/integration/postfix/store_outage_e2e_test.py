#!/usr/bin/python3
"""The store fills up under running daemons: mail is deferred, never delivered uncounted; once
the operator gives the store room, mail flows again without restarting anything (issue 6,
scenario 8).

The chain runs with a small store map (2 MiB). The test fills the store with suppression
entries until not even one more fits; a message then gets a 4xx at end of data (policyd cannot
record its charge) and nothing reaches the sink. The operator raises store_map_size and runs
one sendpoolctl change, which grows the map; the daemons adopt the new size on their next
transaction (MDB_MAP_RESIZED) and the same message is accepted and delivered.

Usage: store_outage_e2e_test.py --build-dir BUILD [unittest options]
"""

import os
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

from sendpool_harness import ChainTestCase, main, wait_until  # noqa: E402

PASSWORD = "correct horse battery"
SENDER = "ops@outage.example"


class StoreOutage(ChainTestCase):
    @classmethod
    def setUpClass(cls):
        if cls.build_dir:
            cls.chain_options = {
                "default_pools": {"transactional": "tx", "promotional": ""},
                "milter": os.path.join(cls.build_dir, "milter", "sendpool-milter"),
                "extra_config": {"store_map_size": "2MiB"},
            }
        super().setUpClass()

    @classmethod
    def setup_chain(cls, chain):
        sp = chain.sendpool
        sp.add_pool("tx", "transactional", "pool_tx", "127.0.0.2", "tx.pool.sendpool.test",
                    nexthop=chain.sink.nexthop)
        sp.add_customer("acme")
        sp.add_plan("business", "monthly", 100000)
        sp.add_account("full", "acme", "business", "transactional", PASSWORD)
        sp.ctl("domain", "add", "outage.example")
        sp.ctl("domain", "link", "outage.example", "full")

    def send(self, to):
        extra = ["--header", f"From: {SENDER}", "--header", "Subject: outage"]
        return self.chain.swaks(to=to, from_=SENDER, user="full", password=PASSWORD, body="hello\n",
                                extra=extra)

    def fill_store(self):
        """Imports suppression entries in shrinking chunks until not even one more fits."""
        sp, n, chunk = self.chain.sendpool, 0, 4000
        while chunk >= 1:
            with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
                for i in range(chunk):
                    f.write(f"filler{n + i}.with.a.long.local.part.to.fill.pages@filler.example\n")
                path = f.name
            p = sp.ctl_run("suppression", "import", "--global", path)
            os.unlink(path)
            if p.returncode == 0:
                n += chunk
            else:
                self.assertIn("the store is full", p.stderr)
                chunk //= 4
        self.fill_small_tables()
        return n

    def fill_small_tables(self):
        """Small tables may still find free pages (LMDB reuses the pages earlier transactions
        freed): fill those too, with tiny writes, until one fails."""
        sp = self.chain.sendpool
        for _ in range(500):
            self.fillers = getattr(self, "fillers", 0) + 1
            p = sp.ctl_run("customer", "add", f"filler-{self.fillers}")
            if p.returncode != 0:
                self.assertIn("the store is full", p.stderr)
                return
        self.fail("the store never filled up")

    def test_full_store_defers_then_recovers_without_restart(self):
        filled = self.fill_store()
        self.assertGreater(filled, 1000)
        # A message's charge may still fit in pages freed by the last transactions: fill again
        # until one does not. Every message is either counted and sent, or deferred.
        for attempt in range(20):
            deferred = self.send(f"probe{attempt}@dest.example")
            if not deferred.queued:
                break
            self.fill_small_tables()
        self.assertFalse(deferred.queued, deferred.output)
        self.assertRegex(deferred.output, r"<\*\* 4\d\d ")
        accepted_before = self.chain.sendpool.stats("full")["accepted"]
        self.assertEqual(accepted_before, attempt)  # the deferred one was not counted

        # The operator gives the store room: a bigger map in the configuration, one change.
        sp = self.chain.sendpool
        big = sp.config_path + ".bigger"
        with open(sp.config_path) as src, open(big, "w") as dst:
            text = src.read()
            self.assertIn('store_map_size: "2MiB"', text)
            dst.write(text.replace('store_map_size: "2MiB"', 'store_map_size: "64MiB"'))
        p = sp.ctl_run("--config", big, "suppression", "add", "--global", "grow@filler.example")
        self.assertEqual(p.returncode, 0, p.stderr)

        again = self.send("first@dest.example")
        self.assertTrue(again.queued, again.output)
        wait_until(lambda: self.chain.sink.messages_to("first@dest.example") or None, 60,
                   "the message at the sink after the store grew")
        self.assertEqual(self.chain.sendpool.stats("full")["accepted"], accepted_before + 1)


if __name__ == "__main__":
    main()
