#!/usr/bin/python3
"""Reports mailed to the return-path domain reach sendpool-feedback through a private Postfix.

The chain's Postfix routes bounces.sendpool.test to the `sendpool-feedback` pipe(8) service
(the harness's feedback hook), exactly as in production:

    argv=sendpool-feedback --config … --recipient ${recipient} --client=${client_address}
         --sender ${sender}

and each test mails a report to it over SMTP (swaks, no AUTH, like a remote MTA would), waits
for pipe's delivery line in the maillog and checks `sendpoolctl stats --json` and
`suppression list --json`:
- a late DSN for a delivered message moves it from delivered to bounced and suppresses the
  recipient (delivered is counted first by sendpool-outcomes --once, when it is built);
- the DSN our own Postfix generates for a recipient the sink refused (${client_address} is
  empty then) suppresses the recipient but leaves the counters to the outcome follower;
- an ARF report sent to a feedback-loop address, quoting the return path, counts a complaint
  and suppresses the complaining recipient;
- mail to the List-Unsubscribe mailto (`u.` token) counts an unsubscribe;
- a DSN to a forged token is delivered (exit 0: Postfix must not retry or bounce it) and
  changes nothing.

pipe(8) runs the program as `nobody` (the harness's feedback user); the store and the token
secret are handed to that user in setup_chain, as the packaging hands them to `sendpool`.

Usage: feedback_postfix_test.py --build-dir BUILD [unittest options]
"""

import base64
import datetime
import hashlib
import hmac
import os
import pwd
import secrets
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration",
                                "harness"))

from sendpool_harness import ChainTestCase, main  # noqa: E402

PASSWORD = "correct horse battery"
DOMAIN = "bounces.sendpool.test"
REFUSED = "gone@dest.example"
B32 = "abcdefghijklmnopqrstuvwxyz234567"


def today_number():
    return (datetime.datetime.now(datetime.timezone.utc).date() - datetime.date(1970, 1, 1)).days


def mint(secret, kind, account_id, day, tag):
    """A return-path token as core/proto/return_path.cc encodes it."""
    signed = f"{kind}.{account_id:x}.{day:x}.{tag}"
    mac = base64.b32encode(hmac.new(secret, signed.encode(), hashlib.sha256).digest()[:10])
    return f"{signed}.{mac.decode().lower()}@{DOMAIN}"


def forge(token):
    local, domain = token.split("@")
    return local[:-1] + ("a" if local[-1] != "a" else "b") + "@" + domain


def dsn(token, recipient, status="5.1.1", diagnostic="smtp; 550 5.1.1 user unknown"):
    """A late bounce as a remote Postfix writes it (after accepting the message)."""
    return f"""From: MAILER-DAEMON@mx.dest.example (Mail Delivery System)
To: {token}
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="late.1/mx.dest.example"

--late.1/mx.dest.example
Content-Type: text/plain

<{recipient}>: unknown user

--late.1/mx.dest.example
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.dest.example
X-Postfix-Sender: rfc822; {token}

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: {status}
Diagnostic-Code: {diagnostic}

--late.1/mx.dest.example
Content-Type: text/rfc822-headers

Return-Path: <{token}>
From: Acme App <noreply@acme.example>
To: {recipient}
Subject: Your receipt

--late.1/mx.dest.example--
"""


def arf(token, recipient):
    return f"""From: Feedback Loop <fbl@mbp.example>
To: fbl@{DOMAIN}
Subject: complaint
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="arf.1"

--arf.1
Content-Type: text/plain

This is an abuse report.

--arf.1
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: MBP-FBL/1.0
Version: 1
Original-Rcpt-To: <{recipient}>

--arf.1
Content-Type: message/rfc822

Return-Path: <{token}>
From: Acme App <noreply@acme.example>
To: {recipient}
Subject: Your receipt

Thanks.

--arf.1--
"""


class FeedbackThroughPostfix(ChainTestCase):
    @classmethod
    def setUpClass(cls):
        if cls.build_dir:
            cls.feedback_bin = os.path.join(cls.build_dir, "tools", "feedback", "sendpool-feedback")
            cls.outcomes_bin = os.path.join(cls.build_dir, "tools", "outcomes", "sendpool-outcomes")
            cls.chain_options = {
                "default_pools": {"transactional": "tx-default", "promotional": "promo-default"},
                "sink_refusals": {REFUSED: "550 5.1.1 <gone@dest.example>: Recipient address "
                                           "rejected: User unknown"},
                # Any value makes the hook active; setup_chain fills in the config path.
                "feedback_argv": ["placeholder"],
            }
        super().setUpClass()

    @classmethod
    def setup_chain(cls, chain):
        sp, hop = chain.sendpool, chain.sink.nexthop
        sp.add_pool("tx-default", "transactional", "pool_tx", "127.0.0.2", "tx.sendpool.test", nexthop=hop)
        sp.add_pool("promo-default", "promotional", "pool_promo", "127.0.0.3", "promo.sendpool.test",
                    nexthop=hop)
        sp.add_customer("acme", max_accounts=10)
        sp.add_plan("business", "monthly", 1000)
        sp.add_account("app", "acme", "business", "transactional", PASSWORD)
        sp.add_account("news", "acme", "business", "promotional", PASSWORD)
        sp.ctl("domain", "add", "acme.example")
        for user in ("app", "news"):
            sp.ctl("domain", "link", "acme.example", user)
        chain.feedback_argv = [cls.feedback_bin, "--config", sp.config_path,
                               "--recipient", "${recipient}", "--client=${client_address}",
                               "--sender", "${sender}"]
        # pipe(8) runs the program as the hook's user (nobody): it writes the store and reads
        # the secret, so it owns them (root's daemons still can).
        nobody = pwd.getpwnam("nobody")
        for root, dirs, files in os.walk(sp.store):
            for name in dirs + files:
                os.chown(os.path.join(root, name), nobody.pw_uid, nobody.pw_gid)
        os.chown(sp.store, nobody.pw_uid, nobody.pw_gid)
        os.chown(sp.secret_path, nobody.pw_uid, nobody.pw_gid)
        with open(sp.secret_path, "rb") as f:
            cls.secret = f.read().rstrip(b"\r\n")  # as load_secret_file reads it

    # --- helpers ----------------------------------------------------------------------------

    def stats(self, user):
        return self.chain.sendpool.ctl("stats", user, "--days", "1", json=True)["total"]

    def suppressed(self, user):
        return {e["address"]: e["reason"]
                for e in self.chain.sendpool.ctl("suppression", "list", user, json=True)}

    def send_report(self, recipient, text, sender=""):
        """Mails `text` to `recipient` like a remote MTA; waits for pipe's delivery line."""
        with tempfile.NamedTemporaryFile("w", suffix=".eml", delete=False) as f:
            f.write(text)
            path = f.name
        try:
            r = self.chain.swaks(to=recipient, from_=sender, extra=["--data", "@" + path])
        finally:
            os.unlink(path)
        self.assertTrue(r.queued, str(r))
        return self.wait_for_feedback(r.queue_id)

    def wait_for_feedback(self, queue_id, timeout=30):
        [line] = self.chain.postfix.wait_for_log(
            rf" {queue_id}: to=<[^>]*>, relay=sendpool-feedback, .*status=", 1, timeout)
        return line

    def send_mail(self, user, to):
        rp = self.chain.sendpool.route(user)["return_path"]
        r = self.chain.swaks(to=to, from_=rp, user=user, password=PASSWORD)
        self.assertTrue(r.queued, str(r))
        return rp, r.queue_id

    # --- the scenarios ----------------------------------------------------------------------

    def test_late_dsn_moves_delivered_to_bounced_and_suppresses(self):
        rp, qid = self.send_mail("app", "late@dest.example")
        self.chain.postfix.wait_for_log(rf" {qid}: to=<late@dest\.example>.* status=sent", 1, 30)
        if not os.access(self.outcomes_bin, os.X_OK):
            self.skipTest("sendpool-outcomes is not built: nothing counts the delivery")
        p = subprocess.run([self.outcomes_bin, "--config", self.chain.sendpool.config_path,
                            "--file", self.chain.postfix.maillog, "--once"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        before = self.stats("app")
        self.assertGreaterEqual(before["delivered"], 1)
        line = self.send_report(rp, dsn(rp, "late@dest.example"))
        self.assertIn("status=sent", line)
        after = self.stats("app")
        self.assertEqual(after["delivered"], before["delivered"] - 1)
        self.assertEqual(after["bounced"], before["bounced"] + 1)
        self.assertEqual(after["accepted"],
                         after["enqueued"] + after["delivered"] + after["bounced"] + after["suppressed"])
        self.assertEqual(self.suppressed("app").get("late@dest.example"), "bounce")

    def test_our_own_dsn_suppresses_and_leaves_counting_to_the_log(self):
        before = self.stats("app")
        rp, qid = self.send_mail("app", REFUSED)
        self.chain.postfix.wait_for_log(rf" {qid}: to=<{REFUSED}>.* status=bounced", 1, 30)
        [notice] = self.chain.postfix.wait_for_log(
            rf" {qid}: sender non-delivery notification: ", 1, 30)
        line = self.wait_for_feedback(notice.rsplit(" ", 1)[1])
        self.assertIn("status=sent", line)
        self.assertEqual(self.suppressed("app").get(REFUSED), "bounce")
        after = self.stats("app")
        self.assertEqual((after["delivered"], after["bounced"]),
                         (before["delivered"], before["bounced"]))

    def test_arf_complaint_counts_and_suppresses_the_recipient(self):
        rp, qid = self.send_mail("app", "angry@mbp.example")
        before = self.stats("app")
        self.assertIn("status=sent", self.send_report(f"fbl@{DOMAIN}", arf(rp, "angry@mbp.example"),
                                                      sender="fbl-bounces@mbp.example"))
        self.assertEqual(self.stats("app")["complaints"], before["complaints"] + 1)
        self.assertEqual(self.suppressed("app").get("angry@mbp.example"), "complaint")

    def test_unsubscribe_mail_counts_and_suppresses_the_sender(self):
        news = self.chain.sendpool.account("news")
        token = mint(self.secret, "u", news["id"], today_number(),
                     "".join(secrets.choice(B32) for _ in range(8)))
        before = self.stats("news")
        text = (f"From: Reader <reader@dest.example>\nTo: {token}\nSubject: unsubscribe\n\n"
                "Please unsubscribe me.\n")
        self.assertIn("status=sent", self.send_report(token, text, sender="reader@dest.example"))
        self.assertEqual(self.stats("news")["unsubscribes"], before["unsubscribes"] + 1)
        self.assertEqual(self.suppressed("news").get("reader@dest.example"), "unsubscribe")

    def test_forged_token_is_delivered_and_ignored(self):
        rp, _ = self.send_mail("app", "someone@dest.example")
        before, before_list = self.stats("app"), self.suppressed("app")
        fake = forge(rp)
        line = self.send_report(fake, dsn(fake, "victim@dest.example"))
        self.assertIn("status=sent", line)  # exit 0: Postfix neither retries nor bounces it
        self.assertIn("forged token, ignored", line)  # the program's output, in pipe's log
        self.assertEqual(self.stats("app"), before)
        self.assertEqual(self.suppressed("app"), before_list)

    def test_unparseable_report_is_returned_not_retried(self):
        rp, _ = self.send_mail("app", "other@dest.example")
        # Postfix adds headers to anything it accepts; a report missing its status part is
        # what stays unparseable.
        broken = (f"From: MAILER-DAEMON@mx.dest.example\nTo: {rp}\nSubject: Undelivered Mail\n"
                  "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;"
                  " boundary=b\n\n--b\nContent-Type: text/plain\n\nno status part\n--b--\n")
        line = self.send_report(rp, broken, sender="someone@mbp.example")
        self.assertIn("status=bounced", line)  # exit 65 (EX_DATAERR): returned, not retried


if __name__ == "__main__":
    main()
