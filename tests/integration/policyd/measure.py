#!/usr/bin/python3
"""Rough measurements of sendpool-policyd (not a test; ctest does not run it).

  measure.py --policyd PATH --sendpoolctl PATH [--accounts 1000] [--seconds 5]

Starts the daemon on a temporary store holding --accounts accounts, then:
- RCPT policy requests at 1, 20 and 100 persistent connections, closed loop (each connection
  sends its next request when the previous reply is in), each run bounded to --seconds:
  requests/s and p50/p99 latency. Connection i speaks for account i mod N; every 20
  recipients a connection starts a new transaction (a new `instance`), as Postfix would.
- SMTP AUTH PLAIN: N logins with the same credentials on one auth connection (the first is a
  full argon2id verification, the later ones hit the verified-credential cache), and wrong
  passwords (never cached: always a full verification).
The client is Python (several processes, one selector loop each), so on a small machine the
numbers include the client's own cost; they are a sanity check, not a benchmark.
"""

import argparse
import base64
import multiprocessing
import os
import selectors
import socket
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, HERE)

from harness import AuthClient, Daemon, policy_request, setup_pools  # noqa: E402

PASSWORD = "measure-password-1"
RCPTS_PER_TRANSACTION = 20


def request_bytes(user, conn_id, seq):
    tx = seq // RCPTS_PER_TRANSACTION
    return policy_request([
        ("request", "smtpd_access_policy"), ("protocol_state", "RCPT"),
        ("protocol_name", "ESMTP"), ("client_address", "192.0.2.1"),
        ("client_name", "client.example"), ("helo_name", "client.example"),
        ("sasl_method", "PLAIN"), ("sasl_username", user),
        ("sender", "app@customer.example"), ("recipient", "r%d@example.org" % seq),
        ("recipient_count", "0"), ("queue_id", ""), ("size", "2000"),
        ("instance", "%x.%x.0.0" % (conn_id + 1, tx))])


def drive(sock_path, conn_ids, accounts, seconds, out):
    """One process: closed loop over its connections until `seconds` pass."""
    sel = selectors.DefaultSelector()
    conns = {}
    for cid in conn_ids:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock_path)
        s.setblocking(False)
        conns[s.fileno()] = {"sock": s, "id": cid, "user": "acct%04d" % (cid % accounts),
                             "seq": 0, "buf": b"", "sent": 0.0}
        sel.register(s, selectors.EVENT_READ, conns[s.fileno()])
    latencies, errors = [], 0

    def send_next(c):
        c["sent"] = time.perf_counter()
        c["sock"].sendall(request_bytes(c["user"], c["id"], c["seq"]))
        c["seq"] += 1

    start = time.perf_counter()
    end = start + seconds
    for c in conns.values():
        send_next(c)
    active = len(conns)
    for _ in range(100_000_000):  # bounded; the deadline ends it long before
        if active == 0:
            break
        for key, _ in sel.select(timeout=1.0):
            c = key.data
            chunk = c["sock"].recv(65536)
            if not chunk:
                errors += 1
                sel.unregister(c["sock"])
                active -= 1
                continue
            c["buf"] += chunk
            while b"\n\n" in c["buf"]:
                reply, c["buf"] = c["buf"].split(b"\n\n", 1)
                now = time.perf_counter()
                latencies.append(now - c["sent"])
                if reply != b"action=DUNNO":
                    errors += 1
                if now < end:
                    send_next(c)
                else:
                    sel.unregister(c["sock"])
                    active -= 1
        if time.perf_counter() > end + 10:
            break
    elapsed = time.perf_counter() - start
    for c in conns.values():
        c["sock"].close()
    out.put((latencies, errors, elapsed))


def rcpt_run(d, connections, accounts, seconds):
    procs_n = min(connections, max(1, os.cpu_count() or 1))
    groups = [list(range(i, connections, procs_n)) for i in range(procs_n)]
    q = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=drive, args=(d.policy_sock, g, accounts, seconds, q))
             for g in groups]
    for p in procs:
        p.start()
    results = [q.get(timeout=seconds + 60) for _ in procs]
    for p in procs:
        p.join(30)
    lat = sorted(x for r in results for x in r[0])
    errors = sum(r[1] for r in results)
    elapsed = max(r[2] for r in results)
    if not lat:
        return "%4d connections: no replies (errors %d)" % (connections, errors)
    p50 = lat[len(lat) // 2] * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    return ("%4d connections: %8.0f RCPT/s  p50 %6.3f ms  p99 %6.3f ms  (%d requests, %d errors)"
            % (connections, len(lat) / elapsed, p50, p99, len(lat), errors))


def auth_run(d, n):
    c = AuthClient(d.auth_sock, timeout=30)
    c.handshake()
    good = base64.b64encode(b"\0acct0000\0" + PASSWORD.encode()).decode()
    bad = base64.b64encode(b"\0acct0001\0wrong-password").decode()
    times = []
    for i in range(n):
        t = time.perf_counter()
        reply = c.request("AUTH\t%d\tPLAIN\tservice=smtp\tnologin\tresp=%s" % (i + 1, good))
        times.append(time.perf_counter() - t)
        assert reply.startswith("OK\t"), reply
    fails = []
    for i in range(5):
        t = time.perf_counter()
        reply = c.request("AUTH\t%d\tPLAIN\tservice=smtp\tnologin\tresp=%s" % (n + i + 1, bad))
        fails.append(time.perf_counter() - t)
        assert reply.startswith("FAIL\t"), reply
    c.close()
    first = times[0] * 1000
    hits = [x * 1000 for x in times[1:]]
    hit_p50 = statistics.median(hits)
    return [
        "AUTH PLAIN, same credentials, %d times on one connection:" % n,
        "  first (full argon2id verification): %8.3f ms" % first,
        "  later (cache hits): p50 %.3f ms, max %.3f ms" % (hit_p50, max(hits)),
        "  wrong password (always a full verification), 5 times: median %.3f ms"
        % (statistics.median(fails) * 1000),
        "  full verification / cache hit: ~%.0fx" % (first / hit_p50 if hit_p50 else float("inf")),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--policyd", required=True)
    ap.add_argument("--sendpoolctl", required=True)
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--auth-logins", type=int, default=200)
    args = ap.parse_args()

    d = Daemon(args.policyd, args.sendpoolctl)
    try:
        setup_pools(d)
        d.ctl("plan", "add", "bulk", "--kind", "monthly", "--messages", "1000000000")
        t = time.perf_counter()
        per_customer = 100
        for i in range(args.accounts):
            if i % per_customer == 0:
                d.ctl("customer", "add", "cust%03d" % (i // per_customer),
                      "--max-accounts", str(per_customer))
            extra = ["--password-stdin"] if i < 2 else []
            d.ctl("account", "add", "acct%04d" % i, "--customer", "cust%03d" % (i // per_customer),
                  "--plan", "bulk", "--type", "transactional", *extra,
                  stdin=PASSWORD if i < 2 else None)
        print("setup: %d accounts created with sendpoolctl in %.1f s" % (args.accounts, time.perf_counter() - t))
        d.start()
        print("sendpool-policyd pid %d, %d CPUs, client: Python, %d process(es) per run"
              % (d.pid, os.cpu_count() or 0, min(100, os.cpu_count() or 1)))
        print("RCPT (closed loop, %.0f s each):" % args.seconds)
        for n in (1, 20, 100):
            print("  " + rcpt_run(d, n, args.accounts, args.seconds), flush=True)
        for line in auth_run(d, args.auth_logins):
            print(line)
        if not d.alive():
            print("daemon died:\n" + d.stderr()[-2000:])
            return 1
    finally:
        d.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
