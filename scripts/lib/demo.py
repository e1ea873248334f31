#!/usr/bin/python3
"""The live sendpool demo: the whole chain on a private Postfix on loopback.

Starts Postfix's smtp-sink as "the Internet" (refusing one address with 550 5.1.1),
sendpool-policyd and sendpool-milter, and a private Postfix wired to them; sets up a customer
with a transactional and a promotional account the way an operator would (sendpoolctl);
sends a handful of messages with `swaks --auth`; and shows what an operator looks at.
Everything runs under one temporary directory and is stopped by PID at the end.

Usage: demo.py --build-dir BUILD [--keep]
"""

import argparse
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration", "harness"))

from sendpool_harness import Chain, wait_until  # noqa: E402
from sendpool_harness import util  # noqa: E402
from sendpool_harness.dkim_check import dns_stub, verify_signatures  # noqa: E402

PASSWORD_APP = "correct horse battery staple"
PASSWORD_NEWS = "another long secret 42"
REFUSED = "nobody@dest.example"
SUPPRESSED = "gone@dest.example"
POOLS = [  # name, category, transport, bind address, HELO, minimum score
    ("tx-good", "transactional", "pool_tx_good", "127.0.0.2", "tx1.sendpool.test", 70),
    ("tx-watch", "transactional", "pool_tx_watch", "127.0.0.3", "tx2.sendpool.test", 0),
    ("promo-good", "promotional", "pool_promo_good", "127.0.0.4", "mx1.sendpool.test", 70),
    ("promo-watch", "promotional", "pool_promo_watch", "127.0.0.5", "mx2.sendpool.test", 0),
]


def step(title):
    print(f"\n\033[1m== {title}\033[0m", flush=True)


def show(sp, *args):
    """Runs one sendpoolctl command as the operator would and prints its output."""
    print("$ sendpoolctl " + " ".join(args), flush=True)
    p = sp.ctl_run(*args)
    sys.stdout.write(p.stdout)
    if p.returncode != 0:
        sys.stdout.write(p.stderr)
    sys.stdout.flush()


def setup(chain):
    sp, hop = chain.sendpool, chain.sink.nexthop
    step("An operator sets up a customer, its plans, accounts, domains and pools")
    for name, category, transport, bind, helo, score in POOLS:
        sp.ctl("pool", "add", name, "--category", category, "--min-score", str(score),
               "--transport", transport, "--bind", bind, "--helo", helo, "--nexthop", hop)
    sp.ctl("customer", "add", "acme", "--max-accounts", "3")
    sp.ctl("plan", "add", "business-monthly", "--kind", "monthly", "--messages", "50000",
           "--hourly-limit", "2000", "--max-recipients", "50")
    sp.ctl("plan", "add", "campaign-pack", "--kind", "prepaid", "--messages", "20000",
           "--valid-days", "365")
    sp.ctl("account", "add", "acme-app", "--customer", "acme", "--plan", "business-monthly",
           "--type", "transactional", "--password-stdin", input=PASSWORD_APP + "\n")
    sp.ctl("account", "add", "acme-news", "--customer", "acme", "--plan", "campaign-pack",
           "--type", "promotional", "--password-stdin", input=PASSWORD_NEWS + "\n")
    for args in (["domain", "add", "acme.example", "--key-type", "both"],
                 ["domain", "add", "news.acme.example"],
                 ["domain", "link", "acme.example", "acme-app"],
                 ["domain", "link", "news.acme.example", "acme-news"],
                 ["suppression", "add", "acme-news", SUPPRESSED, "--reason", "bounce",
                  "--detail", "550 5.1.1 user unknown (earlier campaign)"]):
        sp.ctl(*args)
    show(sp, "account", "list")
    show(sp, "domain", "dns", "acme.example")
    show(sp, "pool", "list")


def send(chain, label, user, password, sender, to, subject):
    extra = ["--header", f"From: {sender}", "--header", f"Subject: {subject}"]
    r = chain.swaks(to=to, from_=sender, user=user, password=password,
                    body=f"{subject}\n\nSent by the sendpool demo.\n", extra=extra)
    rcpts = to if isinstance(to, str) else ", ".join(to)
    verdict = f"queued as {r.queue_id}" if r.queued else "refused: " + last_refusal(r.output)
    print(f"  {label:<38} {user:<10} {sender:<24} -> {rcpts}\n      {verdict}", flush=True)
    return r


def last_refusal(output):
    for line in reversed(output.splitlines()):
        line = line.strip()
        if line.startswith("<**") or line.startswith("<~*"):
            return line[3:].strip()
    return "(see swaks output)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--keep", action="store_true", help="leave the chain running")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("the demo runs a private Postfix instance and needs root")
    util.become_subreaper()

    step("Starting the chain on loopback: smtp-sink, sendpool-policyd, sendpool-milter, Postfix")
    chain = Chain(args.build_dir, setup=setup,
                  default_pools={"transactional": "tx-good", "promotional": "promo-good"},
                  milter=os.path.join(args.build_dir, "milter", "sendpool-milter"),
                  sink_refusals={REFUSED: "550 5.1.1 <nobody@dest.example>: user unknown"})
    chain.start()
    try:
        sp = chain.sendpool
        print(f"  Postfix smtpd on 127.0.0.1:{chain.postfix.port}; everything under {chain.workdir}")

        step("Client applications send with swaks --auth")
        send(chain, "transactional, two recipients", "acme-app", PASSWORD_APP,
             "billing@acme.example", ["alice@dest.example", "bob@dest.example"], "Your invoice")
        send(chain, "promotional, one suppressed recipient", "acme-news", PASSWORD_NEWS,
             "offers@news.acme.example", ["carol@dest.example", SUPPRESSED], "December offers")
        send(chain, "to an address the Internet refuses", "acme-app", PASSWORD_APP,
             "billing@acme.example", REFUSED, "Password reset")
        send(chain, "from a domain not linked to the account", "acme-app", PASSWORD_APP,
             "ceo@other.example", "dave@dest.example", "Spoofed")
        send(chain, "with a wrong password", "acme-app", "not the password",
             "billing@acme.example", "erin@dest.example", "Wrong password")

        step("Waiting for delivery")
        delivered = wait_until(lambda: (lambda m: m if len(m) >= 2 else None)(
            [m for m in chain.sink.messages() if m.mail_from.startswith("b.")]), 60,
            "the accepted messages at the sink")
        time.sleep(2)  # let Postfix finish the refused delivery too
        for m in chain.sink.messages():
            if m.mail_from.startswith("b."):
                print(f"  the Internet received from {m.client_addr} (HELO {m.helo}): "
                      f"MAIL FROM <{m.mail_from}> RCPT {', '.join(m.rcpt_to)}")
        for client, rcpt, reply in chain.sink.refusals():
            print(f"  the Internet refused {rcpt} (from {client}): {reply}")

        step("The outcome follower reads Postfix's delivery log; reputation and pools follow")
        outcomes = os.path.join(args.build_dir, "tools", "outcomes", "sendpool-outcomes")
        follow = subprocess.run([outcomes, "--config", sp.config_path, "--file", chain.postfix.maillog,
                                 "--once", "--foreground"], capture_output=True, text=True, timeout=60)
        for line in (follow.stdout + follow.stderr).splitlines():
            print("  " + line)
        show(sp, "reputation", "recompute", "--all")

        step("What the operator sees")
        for user in ("acme-app", "acme-news"):
            show(sp, "stats", user, "--days", "1")
        show(sp, "account", "show", "acme-app")
        show(sp, "account", "show", "acme-news")
        show(sp, "reputation", "show", "acme-app")
        show(sp, "account", "why", "acme-news")
        show(sp, "suppression", "list", "acme-news")
        show(sp, "suppression", "list", "acme-app")
        show(sp, "route", "show", "acme-news")

        step("The two DKIM signatures of one delivered message, checked by dkimpy")
        message = next(m for m in delivered if "alice@dest.example" in m.rcpt_to)
        lookup = dns_stub(sp, ["acme.example", "news.acme.example"])
        results = verify_signatures(message.delivered_bytes(), lookup)
        for d, s, a, ok in results:
            print(f"  d={d:<20} s={s:<12} a={a:<15} {'valid' if ok else 'INVALID'}")

        step("Summary")
        ok = sum(1 for *_, v in results if v)
        print(f"  {len(delivered)} messages delivered through the accounts' pools, "
              f"{len(chain.sink.refusals())} refused by the Internet, "
              f"{ok}/{len(results)} DKIM signatures valid on the one checked.")
        print("  The suppressed address was accepted from the client but never sent; the spoofed "
              "sender and the wrong password were refused at the door.")
        if args.keep:
            keep_running(chain)
            return
    except BaseException:
        chain.dump_logs()
        raise
    finally:
        if not args.keep:
            chain.stop()


def keep_running(chain):
    """--keep: detach the chain from this process and say how to use and stop it."""
    sp = chain.sendpool
    pids = [p.pid for p in (sp.policyd, sp.milter, getattr(chain.sink, "process", None)) if p]
    for fixture in (chain.postfix, sp, chain.sink, chain):
        util.unregister_live(fixture)
    step("Left running (--keep)")
    print(f"  send:    swaks --server 127.0.0.1:{chain.postfix.port} --auth PLAIN "
          f"--auth-user acme-app --auth-password '{PASSWORD_APP}' --from billing@acme.example "
          f"--to someone@dest.example")
    print(f"  operate: {sp.sendpoolctl_bin} --config {sp.config_path} account list")
    print(f"  stop:    postfix -c {chain.postfix.config_dir} stop; kill {' '.join(map(str, pids))}")


if __name__ == "__main__":
    main()
