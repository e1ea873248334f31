#!/usr/bin/python3
"""Integration tests of sendpool-policyd: the real daemon on a temporary store, accounts set up
with the real sendpoolctl, the three protocols spoken over its unix sockets.

  policyd_test.py --policyd PATH --sendpoolctl PATH [unittest options, e.g. -k Golden -v]

- GoldenTranscripts: every golden/*.txt (format in golden/README.md) against a fresh daemon.
- Concurrency: 50 connections of one account race for 20 messages; exactly 20 are accepted.
- CrashSafety: SIGKILL under load; no acknowledged charge is lost.
- Postmap: Postfix's own socketmap client (postmap -q) against the route listener.
- SpawnMode: --stdio answers on stdout and exits at end of input.
- CheckConfig: --check-config exit codes and messages.
Stdlib only; every loop is bounded in count and time; every daemon is stopped by its PID.
"""

import argparse
import glob
import os
import subprocess
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, HERE)

from golden_runner import replay  # noqa: E402
from harness import (Daemon, PolicyClient, Transaction, forge, policy_request,  # noqa: E402
                     setup_pools)

ARGS = None


class DaemonTest(unittest.TestCase):
    """A fresh temp dir, store and configuration per test; the daemon is stopped on cleanup."""

    def setUp(self):
        self.d = Daemon(ARGS.policyd, ARGS.sendpoolctl)
        self.addCleanup(self.d.cleanup)
        setup_pools(self.d)
        self.d.ctl("customer", "add", "acme", "--max-accounts", "2000")

    def start(self):
        self.d.start()

    def assertAlive(self):
        self.assertTrue(self.d.alive(), "daemon died:\n" + self.d.stderr()[-4000:])


# --- 1. golden transcripts ----------------------------------------------------------------

class GoldenTranscripts(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(ARGS.policyd, ARGS.sendpoolctl)
        self.addCleanup(self.d.cleanup)
        setup_pools(self.d)

    def replay(self, path):
        self.d.start()
        problems, diff = replay(self.d, path)
        self.assertTrue(self.d.alive(), "daemon died during %s:\n%s" % (path, self.d.stderr()[-4000:]))
        if problems:
            self.fail("%s:\n  %s\n%s\n--- daemon stderr (tail) ---\n%s" % (
                os.path.basename(path), "\n  ".join(problems), diff, self.d.stderr()[-3000:]))


def _add_golden_tests():
    files = sorted(glob.glob(os.path.join(HERE, "golden", "*.txt")))
    for path in files:
        name = "test_" + os.path.basename(path)[:-4].replace("-", "_")
        setattr(GoldenTranscripts, name, lambda self, p=path: self.replay(p))


_add_golden_tests()


# --- 2. concurrency -----------------------------------------------------------------------

class Concurrency(DaemonTest):
    CONNECTIONS = 50
    MESSAGES = 20
    MAX_TRANSACTIONS = 6  # per connection; 50 * 6 * 2 recipients is far more than 20

    def test_parallel_connections_never_overspend(self):
        self.d.ctl("plan", "add", "m20", "--kind", "monthly", "--messages", str(self.MESSAGES))
        self.d.ctl("account", "add", "alice", "--customer", "acme", "--plan", "m20",
                   "--type", "transactional")
        self.start()
        barrier = threading.Barrier(self.CONNECTIONS, timeout=30)
        accepted = [0] * self.CONNECTIONS
        errors = []
        refusal = "452 4.7.1 account alice used up its %d messages" % self.MESSAGES

        def worker(n):
            try:
                c = PolicyClient(self.d.policy_sock, timeout=30)
                barrier.wait()
                for t in range(self.MAX_TRANSACTIONS):
                    tx = Transaction("alice", "%x.5f0a1b2c.%x.%x" % (0x1000 + n, t, t),
                                     "4C%03X%03X" % (n, t))
                    ok = 0
                    for r in range(2):
                        action = c.ask(tx.rcpt("r%d.%d.%d@example.org" % (n, t, r), first=(ok == 0)))
                        if action == "DUNNO":
                            ok += 1
                        elif not action.startswith(refusal):
                            errors.append("connection %d: unexpected RCPT reply %r" % (n, action))
                    if ok == 0:
                        break  # Postfix would not send DATA; nothing is left for us
                    action = c.ask(tx.end(ok))
                    if action != "DUNNO":
                        errors.append("connection %d: END-OF-MESSAGE got %r" % (n, action))
                        break
                    accepted[n] += ok
                c.close()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append("connection %d: %r" % (n, e))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(self.CONNECTIONS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 120
        for t in threads:
            t.join(max(0.1, deadline - time.monotonic()))
        self.assertFalse(any(t.is_alive() for t in threads), "workers still running after 120s")
        self.assertEqual(errors, [])
        total = sum(accepted)
        self.assertLessEqual(total, self.MESSAGES, "overspent")
        self.assertEqual(total, self.MESSAGES)
        self.assertEqual(self.d.accepted("alice"), self.MESSAGES)
        self.assertEqual(self.d.ctl_json("account", "show", "alice")["available_messages"], 0)
        self.assertAlive()


# --- 3. crash safety ----------------------------------------------------------------------

class CrashSafety(DaemonTest):
    CONNECTIONS = 8
    MIN_ACKED = 300          # acknowledged recipients before the kill
    MAX_LOAD_SECONDS = 20

    def test_sigkill_loses_no_acknowledged_charge(self):
        self.d.ctl("plan", "add", "big", "--kind", "monthly", "--messages", "1000000")
        self.d.ctl("account", "add", "alice", "--customer", "acme", "--plan", "big",
                   "--type", "transactional")
        self.start()
        lock = threading.Lock()
        state = {"acked": 0, "inflight": 0}
        errors = []
        stop = threading.Event()

        def worker(n):
            try:
                c = PolicyClient(self.d.policy_sock, timeout=30)
            except OSError as e:
                errors.append("connect %d: %r" % (n, e))
                return
            for t in range(100000):
                if stop.is_set():
                    break
                tx = Transaction("alice", "%x.6a.%x.0" % (0x2000 + n, t), "5D%02X%05X" % (n, t))
                try:
                    ok = sum(1 for r in range(2)
                             if c.ask(tx.rcpt("r%d@example.org" % r, first=(r == 0))) == "DUNNO")
                except Exception:  # noqa: BLE001 - the kill: nothing was charged for this one
                    break
                if ok != 2:
                    errors.append("connection %d: RCPT refused" % n)
                    break
                with lock:
                    state["inflight"] += ok  # sent (maybe partly) but not acknowledged yet
                try:
                    action = c.ask(tx.end(ok))
                except Exception:  # noqa: BLE001 - no reply: stays in flight
                    break
                with lock:
                    state["inflight"] -= ok
                    if action == "DUNNO":
                        state["acked"] += ok
                    else:
                        errors.append("connection %d: END-OF-MESSAGE got %r" % (n, action))
            c.close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(self.CONNECTIONS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + self.MAX_LOAD_SECONDS
        while time.monotonic() < deadline:
            with lock:
                if state["acked"] >= self.MIN_ACKED:
                    break
            time.sleep(0.01)
        killed_pid = self.d.pid
        self.d.kill()  # SIGKILL while the workers keep sending
        stop.set()
        for t in threads:
            t.join(30)
        self.assertFalse(any(t.is_alive() for t in threads), "workers still running")
        self.assertEqual(errors, [])
        acked, inflight = state["acked"], state["inflight"]
        self.assertGreater(acked, 0, "no transaction was acknowledged before the kill")

        # The store opens cleanly after the crash and the daemon serves again.
        self.d.start()
        self.assertNotEqual(self.d.pid, killed_pid)
        accepted = self.d.accepted("alice")
        sys.stderr.write("\n  crash: acknowledged=%d in-flight=%d stored=%d\n" % (acked, inflight, accepted))
        self.assertGreaterEqual(accepted, acked, "an acknowledged charge was lost")
        self.assertLessEqual(accepted, acked + inflight, "charged more than was sent")
        c = PolicyClient(self.d.policy_sock)
        tx = Transaction("alice", "ffff.1.1.0", "6EAFTER0001")
        self.assertEqual(c.ask(tx.rcpt("after@example.org", first=True)), "DUNNO")
        self.assertEqual(c.ask(tx.end(1)), "DUNNO")
        c.close()
        self.assertEqual(self.d.accepted("alice"), accepted + 1)
        self.assertAlive()
        self.assertEqual(self.d.stop(), 0, "SIGTERM should exit 0")


# --- 4. postmap -----------------------------------------------------------------------------

POSTMAP = "/usr/sbin/postmap"


@unittest.skipUnless(os.access(POSTMAP, os.X_OK), "Postfix's postmap is not installed")
class Postmap(DaemonTest):
    def postmap(self, key):
        # Our own (empty) main.cf: the host may have no /etc/postfix/main.cf at all.
        confdir = os.path.join(self.d.dir, "postfix")
        os.makedirs(confdir, exist_ok=True)
        open(os.path.join(confdir, "main.cf"), "a").close()
        r = subprocess.run([POSTMAP, "-c", confdir, "-q", key,
                            "socketmap:unix:%s:route" % self.d.route_sock],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        return r.returncode, r.stdout.decode(), r.stderr.decode()

    def test_postmap_query(self):
        self.d.ctl("plan", "add", "m20", "--kind", "monthly", "--messages", "20")
        self.d.ctl("account", "add", "alice", "--customer", "acme", "--plan", "m20", "--type", "transactional")
        self.d.ctl("account", "add", "promo", "--customer", "acme", "--plan", "m20", "--type", "promotional")
        self.start()
        rp = self.d.return_path("alice")
        self.assertEqual(self.postmap(rp)[:2], (0, "pool_t:\n"))
        self.assertEqual(self.postmap(self.d.return_path("promo"))[:2], (0, "pool_p:[127.0.0.1]:2526\n"))
        rc, out, err = self.postmap(forge(rp))
        self.assertEqual((rc, out), (1, ""), err)
        rc, out, err = self.postmap("someone@example.org")
        self.assertEqual((rc, out), (1, ""), err)
        self.assertAlive()


# --- 5. spawn mode ----------------------------------------------------------------------------

class SpawnMode(DaemonTest):
    def stdio(self, data):
        return subprocess.run([ARGS.policyd, "--config", self.d.config, "--stdio"], input=data,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)

    def test_answers_on_stdout_and_exits_at_eof(self):
        self.d.ctl("plan", "add", "m20", "--kind", "monthly", "--messages", "20")
        self.d.ctl("account", "add", "alice", "--customer", "acme", "--plan", "m20", "--type", "transactional")
        tx = Transaction("alice", "1.2.3.0", "7F0001")
        r = self.stdio(policy_request(tx.rcpt("bob@example.org", first=True)))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"action=DUNNO\n\n")
        # Several requests on one stdin: one reply each, in order.
        r = self.stdio(policy_request(tx.rcpt("bob@example.org", first=True)) +
                       policy_request(Transaction("mallory", "1.2.4.0", "").rcpt("x@example.org", True)))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, b"action=DUNNO\n\naction=550 5.7.1 unknown account mallory\n\n")
        # Nothing at all on stdin.
        r = self.stdio(b"")
        self.assertEqual((r.returncode, r.stdout), (0, b""), r.stderr)


# --- 6. --check-config ----------------------------------------------------------------------

class CheckConfig(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(ARGS.policyd, ARGS.sendpoolctl)
        self.addCleanup(self.d.cleanup)

    def check(self, text=None, start=False):
        path = self.d.config
        if text is not None:
            path = os.path.join(self.d.dir, "other.yaml")
            with open(path, "w") as f:
                f.write(text)
        cmd = [ARGS.policyd, "--config", path] + ([] if start else ["--check-config"])
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        return r.returncode, r.stderr.decode(), path

    def test_good_config(self):
        rc, err, _ = self.check()
        self.assertEqual(rc, 0, err)

    def test_unknown_key(self):
        lines = self.d.config_text().split("\n")
        at = lines.index("policyd:") + 1
        lines.insert(at, "  frobnicate: yes")
        for start in (False, True):
            rc, err, path = self.check("\n".join(lines), start=start)
            self.assertEqual(rc, 78, err)
            self.assertIn("%s:%d:" % (path, at + 1), err)
            self.assertIn("policyd.frobnicate", err)
            self.assertFalse(os.path.exists(self.d.policy_sock))

    def test_missing_token_secret_file(self):
        text = self.d.config_text(secret=os.path.join(self.d.dir, "no-such-secret"))
        rc, err, path = self.check(text)
        self.assertEqual(rc, 78, err)
        self.assertIn("platform.token_secret_file", err)
        self.assertIn("no-such-secret", err)
        # The key left out entirely.
        text = "\n".join(l for l in self.d.config_text().split("\n") if "token_secret_file" not in l)
        rc, err, _ = self.check(text)
        self.assertEqual(rc, 78, err)
        self.assertIn("platform.token_secret_file", err)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--policyd", required=True)
    p.add_argument("--sendpoolctl", required=True)
    ARGS, rest = p.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
