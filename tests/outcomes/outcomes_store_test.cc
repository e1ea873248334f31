#include "core/store/outcomes.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/proto/postfix_log.h"
#include "tests/outcomes/outcomes_test_util.h"

namespace sendpool {
namespace {

using testing::OutcomeStore;

class OutcomesTest : public ::testing::Test {
 protected:
  // Parses `lines` and applies them in one transaction, as the follower does.
  OutcomeTally apply(const std::vector<std::string>& lines, TimePoint now = testing::kNow) {
    OutcomeTally tally;
    Status s = store_.env().write([&](WriteTxn& txn) -> Status {
      tally = {};
      SENDPOOL_ASSIGN_OR_RETURN(FollowerPosition position, get_follower_position(txn));
      for (const auto& line : lines) {
        auto event = parse_postfix_log_line(line);
        EXPECT_TRUE(event) << line;
        if (!event || !*event) continue;
        SENDPOOL_TRY(apply_outcome_event(txn, **event, store_.settings(), now, position, tally));
      }
      return put_follower_position(txn, position);
    });
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return tally;
  }

  OutcomeStore store_;
  int day_ = store_.today();
  std::string rp_ = store_.token(store_.app(), day_);
};

TEST_F(OutcomesTest, SentRecipientsMoveFromEnqueuedToDelivered) {
  store_.charge("19577A7226C", store_.app(), day_, 2, 1);
  OutcomeTally t = apply({testing::from_line("19577A7226C", rp_, 3),
                          testing::sent_line("19577A7226C", "one@dest.example"),
                          testing::sent_line("19577A7226C", "two@dest.example"),
                          testing::removed_line("19577A7226C")});
  DayCounters c = store_.counters(store_.app(), day_);
  EXPECT_EQ((std::vector<uint64_t>{c.accepted, c.enqueued, c.delivered, c.bounced, c.suppressed}),
            (std::vector<uint64_t>{3, 0, 2, 0, 1}));
  EXPECT_EQ(t.delivered, 2u);
  EXPECT_EQ(t.tracked, 1u);
  EXPECT_EQ(t.accounts, std::set<AccountId>{store_.app()});
  store_.expect_conserved(store_.app(), day_);
  EXPECT_EQ(store_.position().tracked, 0u);  // removed
}

TEST_F(OutcomesTest, HardBounceCountsBouncedAndSuppressesTheRecipientWithDsnAndText) {
  store_.charge("19577A7226C", store_.app(), day_, 1);
  OutcomeTally t = apply({testing::from_line("19577A7226C", rp_, 1),
                          testing::unknown_user_line("19577A7226C", "gone@Dest.Example")});
  DayCounters c = store_.counters(store_.app(), day_);
  EXPECT_EQ(c.bounced, 1u);
  EXPECT_EQ(c.enqueued, 0u);
  EXPECT_EQ(t.suppressed, 1u);
  auto entry = store_.suppression(store_.app(), "gone@dest.example");  // domain normalised
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->reason, SuppressionReason::kBounce);
  EXPECT_EQ(entry->detail, "5.1.1 550 5.1.1 <gone@Dest.Example>: user unknown");
  EXPECT_EQ(entry->time, testing::kNow);
  EXPECT_FALSE(store_.suppression(store_.other(), "gone@dest.example"));  // per account
  store_.expect_conserved(store_.app(), day_);
}

TEST_F(OutcomesTest, AnExistingSuppressionKeepsItsFirstReason) {
  ASSERT_TRUE(admin::add_suppressions(store_.env(), std::string("app"),
                                      {{"gone@dest.example", SuppressionReason::kManual, "ops"}},
                                      FixedClock(testing::kNow)));
  store_.charge("19577A7226C", store_.app(), day_, 1);
  OutcomeTally t = apply({testing::from_line("19577A7226C", rp_, 1),
                          testing::unknown_user_line("19577A7226C", "gone@dest.example")});
  EXPECT_EQ(t.suppressed, 0u);
  EXPECT_EQ(t.bounced, 1u);
  EXPECT_EQ(store_.suppression(store_.app(), "gone@dest.example")->reason,
            SuppressionReason::kManual);
}

TEST_F(OutcomesTest, BlocksAndSoftFailuresCountAsBouncedButNeverSuppress) {
  store_.charge("19577A7226C", store_.app(), day_, 3);
  OutcomeTally t = apply(
      {testing::from_line("19577A7226C", rp_, 3),
       testing::bounced_line("19577A7226C", "blk@dest.example", "5.7.1",
                             "554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked "
                             "using zen.spamhaus.org"),
       testing::bounced_line("19577A7226C", "full@dest.example", "5.2.2", "552 5.2.2 Mailbox full"),
       testing::bounced_line("19577A7226C", "spam@dest.example", "5.0.0",
                             "550 Message rejected as spam")});
  EXPECT_EQ(t.bounced, 3u);
  EXPECT_EQ(t.suppressed, 0u);
  for (const char* rcpt : {"blk@dest.example", "full@dest.example", "spam@dest.example"})
    EXPECT_FALSE(store_.suppression(store_.app(), rcpt)) << rcpt;
  store_.expect_conserved(store_.app(), day_);
}

TEST_F(OutcomesTest, DeferralsLeaveTheRecipientEnqueuedUntilItIsDelivered) {
  store_.charge("19577A7226C", store_.app(), day_, 1);
  OutcomeTally t = apply({testing::from_line("19577A7226C", rp_, 1),
                          testing::deferred_line("19577A7226C", "later@dest.example"),
                          testing::from_line("19577A7226C", rp_, 1),
                          testing::deferred_line("19577A7226C", "later@dest.example")});
  EXPECT_EQ(t.deferred, 2u);
  EXPECT_EQ(t.tracked, 1u);  // the second from= is the same message's next attempt
  EXPECT_EQ(store_.counters(store_.app(), day_).enqueued, 1u);
  store_.expect_conserved(store_.app(), day_);
  apply({testing::from_line("19577A7226C", rp_, 1),
         testing::sent_line("19577A7226C", "later@dest.example"),
         testing::removed_line("19577A7226C")});
  DayCounters c = store_.counters(store_.app(), day_);
  EXPECT_EQ(c.enqueued, 0u);
  EXPECT_EQ(c.delivered, 1u);
  store_.expect_conserved(store_.app(), day_);
}

TEST_F(OutcomesTest, AnExpiredMessageBouncesItsPendingRecipientsWithoutSuppressing) {
  // Postfix 3.7 logs expiry once per message: 3 charged, 1 sent, 2 still deferred.
  store_.charge("1F093A72180", store_.app(), day_, 3);
  apply({testing::from_line("1F093A72180", rp_, 3),
         testing::sent_line("1F093A72180", "ok@dest.example"),
         testing::deferred_line("1F093A72180", "exp@dest.example"),
         testing::deferred_line("1F093A72180", "exp2@dest.example")});
  OutcomeTally t =
      apply({testing::expired_line("1F093A72180", rp_), testing::removed_line("1F093A72180")});
  EXPECT_EQ(t.bounced, 2u);
  EXPECT_EQ(t.expired, 2u);
  EXPECT_EQ(t.suppressed, 0u);
  DayCounters c = store_.counters(store_.app(), day_);
  EXPECT_EQ((std::vector<uint64_t>{c.enqueued, c.delivered, c.bounced}),
            (std::vector<uint64_t>{0, 1, 2}));
  store_.expect_conserved(store_.app(), day_);
}

TEST_F(OutcomesTest, ExpiryCountsOnlyPolicydsChargedRecipientsNotSuppressedOnes) {
  // nrcpt=3 includes a recipient the milter dropped (suppressed, never delivered).
  store_.charge("1F093A72180", store_.app(), day_, 2, 1);
  apply({testing::from_line("1F093A72180", rp_, 3),
         testing::deferred_line("1F093A72180", "exp@dest.example"),
         testing::deferred_line("1F093A72180", "exp2@dest.example"),
         testing::expired_line("1F093A72180", rp_)});
  DayCounters c = store_.counters(store_.app(), day_);
  EXPECT_EQ((std::vector<uint64_t>{c.accepted, c.enqueued, c.bounced, c.suppressed}),
            (std::vector<uint64_t>{3, 0, 2, 1}));
  store_.expect_conserved(store_.app(), day_);
}

TEST_F(OutcomesTest, MilterRejectAtEndOfMessageRefundsTheCharge) {
  store_.charge("0AF7CA7201A", store_.app(), day_, 2);
  ASSERT_EQ(store_.counters(store_.app(), day_).accepted, 2u);
  OutcomeTally t = apply({testing::milter_reject_line("0AF7CA7201A", "END-OF-MESSAGE")});
  EXPECT_EQ(t.refunded, 1u);
  DayCounters c = store_.counters(store_.app(), day_);
  EXPECT_EQ(c.accepted, 0u);
  EXPECT_EQ(c.enqueued, 0u);
  // Seeing the line again (a replay) finds nothing more to refund.
  EXPECT_EQ(apply({testing::milter_reject_line("0AF7CA7201A", "END-OF-MESSAGE")}).refunded, 0u);
}

TEST_F(OutcomesTest, RejectsBeforeEndOfMessageRefundNothing) {
  store_.charge("4C1D2A7201A", store_.app(), day_, 1);
  OutcomeTally t = apply(
      {testing::milter_reject_line("4C1D2A7201A", "RCPT"),
       testing::prefix("smtpd[1]") +
           "4C1D2A7201A: reject: RCPT from unknown[127.0.0.1]: 550 5.7.1 <y@dest.example>: "
           "Recipient address rejected; from=<a@acme.example> to=<y@dest.example> proto=ESMTP "
           "helo=<c>"});
  EXPECT_EQ(t.refunded, 0u);
  EXPECT_EQ(store_.counters(store_.app(), day_).accepted, 1u);
  // A smtpd reject at END-OF-MESSAGE does refund.
  t = apply({testing::prefix("smtpd[1]") +
             "4C1D2A7201A: reject: END-OF-MESSAGE from unknown[127.0.0.1]: 451 4.3.0 try later; "
             "from=<a@acme.example> to=<y@dest.example> proto=ESMTP helo=<c>"});
  EXPECT_EQ(t.refunded, 1u);
  EXPECT_EQ(store_.counters(store_.app(), day_).accepted, 0u);
}

TEST_F(OutcomesTest, MailWithoutOneOfOurTokensIsIgnored) {
  store_.charge("19577A7226C", store_.app(), day_, 1);
  std::string forged = rp_;
  forged[forged.find('@') - 1] = forged[forged.find('@') - 1] == 'a' ? 'b' : 'a';
  const std::vector<std::string> senders = {
      "",                                                   // bounce notifications
      "someone@example.com",                                // other mail
      forged,                                               // a MAC that does not verify
      store_.token(store_.app(), day_).replace(0, 1, "u"),  // not a bounce token
  };
  for (const auto& sender : senders) {
    SCOPED_TRACE(sender);
    OutcomeTally t = apply({testing::from_line("19577A7226C", sender, 1),
                            testing::sent_line("19577A7226C", "x@dest.example"),
                            testing::unknown_user_line("19577A7226C", "y@dest.example")});
    EXPECT_FALSE(t.counted_anything());
  }
  // Deliveries of a queue ID never seen with a from= line change nothing either.
  EXPECT_FALSE(apply({testing::sent_line("AAAA1111BBB", "x@dest.example")}).counted_anything());
  EXPECT_EQ(store_.counters(store_.app(), day_).enqueued, 1u);
  EXPECT_FALSE(store_.suppression(store_.app(), "y@dest.example"));
}

TEST_F(OutcomesTest, CountersNeverGoBelowZero) {
  // No charge: nothing is enqueued, so outcomes are unmatched and move nothing.
  OutcomeTally t = apply({testing::from_line("19577A7226C", rp_, 2),
                          testing::sent_line("19577A7226C", "a@dest.example"),
                          testing::unknown_user_line("19577A7226C", "b@dest.example"),
                          testing::expired_line("19577A7226C", rp_)});
  EXPECT_EQ(t.unmatched, 2u);
  EXPECT_EQ(t.delivered + t.bounced, 0u);
  DayCounters c = store_.counters(store_.app(), day_);
  EXPECT_EQ((std::vector<uint64_t>{c.accepted, c.enqueued, c.delivered, c.bounced}),
            (std::vector<uint64_t>{0, 0, 0, 0}));
  // The hard bounce still suppresses: the address is bad whatever the counters say.
  EXPECT_TRUE(store_.suppression(store_.app(), "b@dest.example"));
}

TEST_F(OutcomesTest, OrigToIsTheAddressSuppressed) {
  store_.charge("19577A7226C", store_.app(), day_, 1);
  apply({testing::from_line("19577A7226C", rp_, 1),
         testing::prefix("pool_tx/smtp[1]") +
             "19577A7226C: to=<rewritten@dest.example>, orig_to=<Sent.To@dest.example>, "
             "relay=mx[192.0.2.1]:25, delay=1, delays=1/0/0/0, dsn=5.1.1, status=bounced (host "
             "mx[192.0.2.1] said: 550 5.1.1 user unknown (in reply to RCPT TO command))"});
  EXPECT_TRUE(store_.suppression(store_.app(), "Sent.To@dest.example"));
  EXPECT_FALSE(store_.suppression(store_.app(), "rewritten@dest.example"));
}

TEST_F(OutcomesTest, TheChargeDayWinsForAMessageAcceptedAcrossMidnight) {
  // policyd charged at 23:59:59.9 (day - 1), the milter minted the token at 00:00:00.1.
  store_.charge("19577A7226C", store_.app(), day_ - 1, 1);
  apply({testing::from_line("19577A7226C", rp_, 1),
         testing::sent_line("19577A7226C", "x@dest.example")});
  EXPECT_EQ(store_.counters(store_.app(), day_ - 1).delivered, 1u);
  EXPECT_EQ(store_.counters(store_.app(), day_).delivered, 0u);
  store_.expect_conserved(store_.app(), day_ - 1);
  // A charge of another account under a reused queue ID is not this message's.
  store_.charge("29577A7226C", store_.other(), day_ - 1, 1);
  store_.charge("39577A7226C", store_.app(), day_, 1);
  apply({testing::from_line("29577A7226C", rp_, 1),
         testing::sent_line("29577A7226C", "x@dest.example")});
  EXPECT_EQ(store_.counters(store_.app(), day_).delivered, 1u);
  EXPECT_EQ(store_.counters(store_.other(), day_ - 1).delivered, 0u);
}

TEST_F(OutcomesTest, AReusedQueueIdStartsAfresh) {
  store_.charge("19577A7226C", store_.app(), day_, 1);
  apply({testing::from_line("19577A7226C", rp_, 1),
         testing::sent_line("19577A7226C", "x@dest.example")});
  // "removed" was lost; the queue ID now belongs to another message of ours.
  std::string other_rp = store_.token(store_.other(), day_, "qqqqqqqq");
  OutcomeTally t = apply({testing::from_line("19577A7226C", other_rp, 1)});
  EXPECT_EQ(t.tracked, 1u);
  auto tracked = [&] {
    std::optional<TrackedMessage> out;
    OutcomeStore::expect_ok(store_.env().read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, get_tracked_message(txn, "19577A7226C"));
      return ok_status();
    }));
    return out;
  }();
  ASSERT_TRUE(tracked);
  EXPECT_EQ(tracked->account, store_.other());
  EXPECT_EQ(tracked->finished, 0u);
  EXPECT_EQ(store_.position().tracked, 1u);
  // Foreign mail under the same queue ID drops it.
  apply({testing::from_line("19577A7226C", "someone@example.com", 1)});
  EXPECT_EQ(store_.position().tracked, 0u);
}

TEST_F(OutcomesTest, SweepDropsStaleQueueIdsThenTheOldestBeyondTheBound) {
  std::vector<std::string> lines;
  for (int i = 0; i < 5; ++i)
    lines.push_back(testing::from_line(fmt::format("ABCDE{}", i), rp_, 1));
  apply({lines[0], lines[1]}, testing::kNow - std::chrono::hours(24 * 8));  // stale
  apply({lines[2]}, testing::kNow - std::chrono::hours(2));
  apply({lines[3]}, testing::kNow - std::chrono::hours(1));
  apply({lines[4]}, testing::kNow);
  ASSERT_EQ(store_.position().tracked, 5u);
  uint64_t swept = 0;
  OutcomeStore::expect_ok(store_.env().write([&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(FollowerPosition p, get_follower_position(txn));
    SENDPOOL_ASSIGN_OR_RETURN(swept,
                              sweep_tracked_messages(txn, testing::kNow, p, kTrackedMessageTtl, 2));
    return put_follower_position(txn, p);
  }));
  EXPECT_EQ(swept, 3u);  // two stale, then the oldest of the three left
  FollowerPosition p = store_.position();
  EXPECT_EQ(p.tracked, 2u);
  EXPECT_EQ(p.last_sweep, testing::kNow);
  OutcomeStore::expect_ok(store_.env().read([&](const ReadTxn& txn) -> Status {
    for (int i = 0; i < 5; ++i) {
      SENDPOOL_ASSIGN_OR_RETURN(auto t, get_tracked_message(txn, fmt::format("ABCDE{}", i)));
      EXPECT_EQ(t.has_value(), i >= 3) << i;
    }
    return ok_status();
  }));
}

TEST_F(OutcomesTest, PositionRecordRoundTripsAndDefaultsToTheStart) {
  EXPECT_EQ(store_.position(), FollowerPosition{});
  FollowerPosition p{1234567, 8901, 3, 100, 2, testing::kNow, "(queue active)\n"};
  OutcomeStore::expect_ok(
      store_.env().write([&](WriteTxn& txn) { return put_follower_position(txn, p); }));
  EXPECT_EQ(store_.position(), p);
}

TEST_F(OutcomesTest, DeliveryOutcomesApplyDirectlyForAnAccountAndDay) {
  store_.charge("19577A7226C", store_.app(), day_, 2);
  OutcomeStore::expect_ok(store_.env().write([&](WriteTxn& txn) -> Status {
    DeliveryOutcome sent{store_.app(),     day_,    DeliveryStatus::kSent,
                         "a@dest.example", "2.0.0", "250 ok"};
    SENDPOOL_ASSIGN_OR_RETURN(DeliveryEffect e1, apply_delivery_outcome(txn, sent, testing::kNow));
    EXPECT_TRUE(e1.moved);
    DeliveryOutcome deferred{store_.app(),     day_,    DeliveryStatus::kDeferred,
                             "b@dest.example", "4.4.1", "connection refused"};
    SENDPOOL_ASSIGN_OR_RETURN(DeliveryEffect e2,
                              apply_delivery_outcome(txn, deferred, testing::kNow));
    EXPECT_FALSE(e2.moved);
    SENDPOOL_ASSIGN_OR_RETURN(uint64_t moved, apply_expired_recipients(txn, store_.app(), day_, 5));
    EXPECT_EQ(moved, 1u);  // only what was enqueued
    return ok_status();
  }));
  DayCounters c = store_.counters(store_.app(), day_);
  EXPECT_EQ((std::vector<uint64_t>{c.enqueued, c.delivered, c.bounced}),
            (std::vector<uint64_t>{0, 1, 1}));
  store_.expect_conserved(store_.app(), day_);
}

}  // namespace
}  // namespace sendpool
