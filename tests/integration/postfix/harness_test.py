#!/usr/bin/python3
"""The integration harness itself (tests/integration/harness), on a real private Postfix:

- the python sink refuses chosen recipients with 5xx (Postfix bounces them) and 4xx (Postfix
  defers them, `postqueue -j` shows them) and accepts them again when told, after which
  Postfix's short backoff delivers the deferred mail;
- stopping a chain leaves no process of it alive and nothing listening on its ports.

Usage: harness_test.py --build-dir BUILD [unittest options]
"""

import os
import socket
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))

from sendpool_harness import Chain, ChainTestCase, main, util  # noqa: E402

PASSWORD = "correct horse battery"


def setup(chain):
    sp = chain.sendpool
    sp.add_pool("pool-a", "transactional", "pool_a", "127.0.0.2", "a.pool.sendpool.test",
                nexthop=chain.sink.nexthop)
    sp.add_customer("acme")
    sp.add_plan("business", "monthly", 1000)
    sp.add_account("app", "acme", "business", "transactional", PASSWORD)


class SinkRefusals(ChainTestCase):
    chain_options = {"default_pools": {"transactional": "pool-a"},
                     "sink_refusals": {"hard@example.com": "550 5.1.1 <hard@example.com>: no such user",
                                       "soft@example.com": "450 4.2.1 <soft@example.com>: try later"}}

    @classmethod
    def setup_chain(cls, chain):
        setup(chain)

    def test_hard_and_soft_refusals_then_retry(self):
        chain = self.chain
        self.assertEqual(chain.sink.implementation, "python")
        sender = chain.sendpool.route("app")["return_path"]
        r = chain.swaks(to=["ok@example.com", "hard@example.com", "soft@example.com"], from_=sender,
                        user="app", password=PASSWORD)
        self.assertTrue(r.queued, r)
        chain.postfix.wait_for_delivery(1)
        [msg] = util.wait_until(lambda: chain.sink.messages_to("ok@example.com"), 30, "ok@")
        self.assertEqual((msg.client_addr, msg.rcpt_to), ("127.0.0.2", ["ok@example.com"]))
        chain.postfix.wait_for_log(rf"{r.queue_id}: to=<hard@example.com>.*dsn=5\.1\.1, status=bounced")
        chain.postfix.wait_for_log(rf"{r.queue_id}: to=<soft@example.com>.*dsn=4\.2\.1, status=deferred")
        refused = {(rcpt, reply[:3]) for _, rcpt, reply in chain.sink.refusals()}
        self.assertLessEqual({("hard@example.com", "550"), ("soft@example.com", "450")}, refused)
        queued = {m["queue_id"]: m for m in chain.postfix.queue()}
        self.assertIn(r.queue_id, queued, "the deferred recipient keeps the message queued")
        self.assertEqual([x["address"] for x in queued[r.queue_id]["recipients"]], ["soft@example.com"])

        self.assertEqual(chain.sink.messages_to("soft@example.com"), [])
        chain.sink.set_refusals({})
        chain.postfix.flush()  # postqueue -f: no need to wait for the next backoff
        [soft] = util.wait_until(lambda: chain.sink.messages_to("soft@example.com"), 30, "soft@")
        self.assertEqual(soft.client_addr, "127.0.0.2", "a retry leaves from the pool too")
        # The DSN for hard@ went to the return path; its null sender gets no pool (NOTFOUND).
        [dsn] = util.wait_until(lambda: chain.sink.messages_to(sender), 30, "the DSN")
        self.assertEqual((dsn.mail_from, dsn.client_addr), ("", "127.0.0.1"))
        chain.postfix.wait_queue_empty(timeout=30)  # the bounce DSN for hard@ goes out as well


class StopLeavesNothing(unittest.TestCase):
    """A chain of its own: start, note every PID and port, stop, check."""

    def test_stop_by_pid_leaves_nothing_running_or_bound(self):
        if not ChainTestCase.build_dir:
            self.skipTest("no --build-dir given")
        chain = Chain(ChainTestCase.build_dir, setup=setup, default_pools={"transactional": "pool-a"})
        self.addCleanup(chain.stop)
        chain.start()
        pf, sp, sink = chain.postfix, chain.sendpool, chain.sink
        pids = pf.process_ids() + [sp.policyd.pid, sink.process.pid]
        ports = [pf.port, sp.policy_port, sp.route_port, sp.auth_port, sink.port]
        r = chain.swaks(to=["x@example.com"], from_="app@acme.example", user="app", password=PASSWORD)
        self.assertTrue(r.queued, r)
        chain.postfix.wait_for_delivery(1)
        workdir = chain.workdir
        chain.stop()
        alive = [p for p in pids if util.pid_alive(p)]
        self.assertEqual(alive, [], "processes of the chain still alive")
        for port in ports:
            with socket.socket() as s:
                # With SO_REUSEADDR, bind+listen fails only if something still listens there
                # (TIME_WAIT connections of the finished sessions do not count).
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
                s.listen(1)
        self.assertFalse(os.path.exists(workdir), "the temp dir is removed")
        chain.stop()  # idempotent


if __name__ == "__main__":
    main()
