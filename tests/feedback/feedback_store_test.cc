// core/store/feedback.h and events.h against a temporary store: counters move as the rules
// say, suppression entries appear with the right reason, and nothing is applied twice.
#include "core/store/feedback.h"

#include <gtest/gtest.h>

#include "core/store/events.h"
#include "core/store/tables.h"
#include "tests/feedback/feedback_test_util.h"

namespace sendpool {
namespace {

using namespace sendpool::testing;

const FeedbackTarget kApp{1, kDay, "aaaaaaaa"};
const FeedbackTarget kNews{2, kDay, "kkkkkkkk"};

class FeedbackStoreTest : public ::testing::Test {
 protected:
  void set_counters(AccountId id, const DayCounters& c) {
    FeedbackStore::expect_ok(store_.env().write([&](WriteTxn& txn) {
      return tables::put_counters(txn, id, date_from_day_number(kDay), c);
    }));
  }
  DayCounters counters(AccountId id, int day = kDay) {
    DayCounters out;
    FeedbackStore::expect_ok(store_.env().read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, tables::get_counters(txn, id, date_from_day_number(day)));
      return ok_status();
    }));
    return out;
  }
  std::optional<SuppressionEntry> suppression(AccountId id, const std::string& address) {
    std::optional<SuppressionEntry> out;
    FeedbackStore::expect_ok(store_.env().read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, tables::get_suppression(txn, SuppressionScope{id}, address));
      return ok_status();
    }));
    return out;
  }
  template <typename Fn>
  FeedbackSummary write(Fn fn) {
    FeedbackSummary summary;
    Status s = store_.env().write([&](WriteTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(summary, fn(txn));
      return ok_status();
    });
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return summary;
  }
  TimePoint now() const { return store_.clock().now(); }

  FeedbackStore store_;
};

DayCounters delivered(uint64_t n) {
  DayCounters c;
  c.accepted = n;
  c.delivered = n;
  return c;
}

TEST_F(FeedbackStoreTest, LateBounceMovesDeliveredToBouncedAndSuppressesHardOnes) {
  set_counters(1, delivered(5));
  std::vector<BouncedRecipient> rs = {{"gone@dest.example", true, "5.1.1 user unknown"},
                                      {"full@dest.example", false, "5.2.2 full"}};
  FeedbackSummary s = write([&](WriteTxn& t) { return apply_bounce(t, kApp, rs, false, now()); });
  EXPECT_EQ(s.counted, 2u);
  EXPECT_EQ(s.suppressed, 1u);
  DayCounters c = counters(1);
  EXPECT_EQ(c.delivered, 3u);
  EXPECT_EQ(c.bounced, 2u);
  EXPECT_EQ(c.accepted, c.enqueued + c.delivered + c.bounced + c.suppressed);
  auto entry = suppression(1, "gone@dest.example");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->reason, SuppressionReason::kBounce);
  EXPECT_EQ(entry->detail, "5.1.1 user unknown");
  EXPECT_FALSE(suppression(1, "full@dest.example"));
  EXPECT_FALSE(suppression(2, "gone@dest.example"));  // per account
}

TEST_F(FeedbackStoreTest, TheSameBounceTwiceCountsOnce) {
  set_counters(1, delivered(5));
  std::vector<BouncedRecipient> rs = {{"gone@dest.example", true, "5.1.1"}};
  write([&](WriteTxn& t) { return apply_bounce(t, kApp, rs, false, now()); });
  FeedbackSummary again =
      write([&](WriteTxn& t) { return apply_bounce(t, kApp, rs, false, now()); });
  EXPECT_EQ(again.duplicates, 1u);
  EXPECT_EQ(counters(1).bounced, 1u);
  // The same recipient of another message is another bounce.
  FeedbackTarget other{1, kDay, "bbbbbbbb"};
  write([&](WriteTxn& t) { return apply_bounce(t, other, rs, false, now()); });
  EXPECT_EQ(counters(1).bounced, 2u);
}

TEST_F(FeedbackStoreTest, EarlyBounceChangesNoCounterButStillSuppresses) {
  // Nothing delivered that day: the outcome follower counts this bounce from the log.
  std::vector<BouncedRecipient> rs = {{"gone@dest.example", true, "5.1.1"}};
  FeedbackSummary s = write([&](WriteTxn& t) { return apply_bounce(t, kApp, rs, false, now()); });
  EXPECT_EQ(s.early, 1u);
  EXPECT_EQ(s.counted, 0u);
  EXPECT_EQ(counters(1).bounced, 0u);
  EXPECT_EQ(counters(1).delivered, 0u);
  EXPECT_TRUE(suppression(1, "gone@dest.example"));
  // A DSN our own Postfix generated is early even when other mail was delivered that day.
  set_counters(1, delivered(5));
  std::vector<BouncedRecipient> more = {{"other@dest.example", true, "5.1.1"}};
  s = write([&](WriteTxn& t) { return apply_bounce(t, kApp, more, true, now()); });
  EXPECT_EQ(s.early, 1u);
  EXPECT_EQ(counters(1).delivered, 5u);
  EXPECT_TRUE(suppression(1, "other@dest.example"));
}

TEST_F(FeedbackStoreTest, CountersUseTheTokensDayNotToday) {
  FeedbackTarget yesterday{1, kDay - 1, "aaaaaaaa"};
  write(
      [&](WriteTxn& t) { return apply_complaint(t, yesterday, "a@dest.example", "abuse", now()); });
  EXPECT_EQ(counters(1, kDay - 1).complaints, 1u);
  EXPECT_EQ(counters(1, kDay).complaints, 0u);
}

TEST_F(FeedbackStoreTest, ComplaintCountsAndSuppressesTheRecipient) {
  FeedbackSummary s = write(
      [&](WriteTxn& t) { return apply_complaint(t, kApp, "Angry@MBP.example", "abuse", now()); });
  EXPECT_EQ(s.counted, 1u);
  EXPECT_EQ(counters(1).complaints, 1u);
  auto entry = suppression(1, "Angry@mbp.example");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->reason, SuppressionReason::kComplaint);
  s = write(
      [&](WriteTxn& t) { return apply_complaint(t, kApp, "Angry@mbp.example", "abuse", now()); });
  EXPECT_EQ(s.duplicates, 1u);
  EXPECT_EQ(counters(1).complaints, 1u);
}

TEST_F(FeedbackStoreTest, RedactedComplaintCountsWithoutSuppressing) {
  write([&](WriteTxn& t) { return apply_complaint(t, kNews, "", "abuse", now()); });
  write([&](WriteTxn& t) { return apply_complaint(t, kNews, "", "abuse", now()); });
  EXPECT_EQ(counters(2).complaints, 2u);  // two readers of one message may both complain
  bool any = false;
  FeedbackStore::expect_ok(store_.env().read([&](const ReadTxn& txn) {
    return tables::scan_suppression(txn, SuppressionScope{2}, [&](const SuppressionEntry&) {
      any = true;
      return false;
    });
  }));
  EXPECT_FALSE(any);
}

TEST_F(FeedbackStoreTest, UnsubscribeCountsAndSuppressesTheSender) {
  write([&](WriteTxn& t) { return apply_unsubscribe(t, kNews, "reader@dest.example", now()); });
  write([&](WriteTxn& t) { return apply_unsubscribe(t, kNews, "reader@dest.example", now()); });
  EXPECT_EQ(counters(2).unsubscribes, 1u);
  auto entry = suppression(2, "reader@dest.example");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->reason, SuppressionReason::kUnsubscribe);
}

TEST_F(FeedbackStoreTest, AnExistingSuppressionEntryKeepsItsReason) {
  FeedbackStore::expect_ok(store_.env().write([&](WriteTxn& txn) {
    return tables::put_suppression(
        txn, SuppressionScope{1},
        SuppressionEntry{"gone@dest.example", SuppressionReason::kManual, now(), "by hand"});
  }));
  std::vector<BouncedRecipient> rs = {{"gone@dest.example", true, "5.1.1"}};
  FeedbackSummary s = write([&](WriteTxn& t) { return apply_bounce(t, kApp, rs, false, now()); });
  EXPECT_EQ(s.suppressed, 0u);
  EXPECT_EQ(suppression(1, "gone@dest.example")->reason, SuppressionReason::kManual);
}

TEST_F(FeedbackStoreTest, UnknownAccountAppliesNothing) {
  FeedbackTarget gone{99, kDay, "aaaaaaaa"};
  FeedbackSummary s = write(
      [&](WriteTxn& t) { return apply_complaint(t, gone, "a@dest.example", "abuse", now()); });
  EXPECT_FALSE(s.known_account);
  EXPECT_EQ(counters(99).complaints, 0u);
}

TEST_F(FeedbackStoreTest, InvalidAddressesAreCountedButNeverSuppressed) {
  set_counters(1, delivered(1));
  std::vector<BouncedRecipient> rs = {{"not an address", true, "5.1.1"}};
  FeedbackSummary s = write([&](WriteTxn& t) { return apply_bounce(t, kApp, rs, false, now()); });
  EXPECT_EQ(s.invalid_addresses, 1u);
  EXPECT_EQ(counters(1).delivered, 1u);
}

// --- engagement events ----------------------------------------------------------------------

EngagementEvent event(std::string id, EngagementType type, std::string account = "app") {
  return EngagementEvent{std::move(id), std::move(account), "reader@dest.example", type,
                         start_of(date_from_day_number(kDay - 2)) + std::chrono::hours(10)};
}

TEST_F(FeedbackStoreTest, EngagementEventsCountOnTheirDayOnce) {
  auto apply = [&](const EngagementEvent& e) {
    EventOutcome out{};
    FeedbackStore::expect_ok(store_.env().write([&](WriteTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, apply_engagement_event(txn, e, now()));
      return ok_status();
    }));
    return out;
  };
  EXPECT_EQ(apply(event("e1", EngagementType::kOpen)), EventOutcome::kApplied);
  EXPECT_EQ(apply(event("e2", EngagementType::kClick)), EventOutcome::kApplied);
  EXPECT_EQ(apply(event("e3", EngagementType::kUnsubscribe)), EventOutcome::kApplied);
  EXPECT_EQ(apply(event("e1", EngagementType::kOpen)), EventOutcome::kDuplicate);
  EXPECT_EQ(apply(event("e4", EngagementType::kOpen, "nobody")), EventOutcome::kUnknownAccount);
  DayCounters c = counters(1, kDay - 2);
  EXPECT_EQ(c.opens, 1u);
  EXPECT_EQ(c.clicks, 1u);
  EXPECT_EQ(c.unsubscribes, 1u);
  auto entry = suppression(1, "reader@dest.example");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->reason, SuppressionReason::kUnsubscribe);
  // An unknown account's id is not recorded: after the account exists it applies.
  std::optional<TimePoint> at;
  FeedbackStore::expect_ok(store_.env().read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(at, event_applied_at(txn, "e4"));
    return ok_status();
  }));
  EXPECT_FALSE(at);
}

TEST(EventIdTest, IdsArePrintableAsciiOfBoundedLength) {
  EXPECT_TRUE(validate_event_id("evt-2026-12-04/000123"));
  EXPECT_FALSE(validate_event_id(""));
  EXPECT_FALSE(validate_event_id(std::string(kMaxEventIdLength + 1, 'a')));
  EXPECT_FALSE(validate_event_id(std::string(1, kFeedbackKeyPrefix) + "b/x"));
  EXPECT_FALSE(validate_event_id("tab\there"));
}

}  // namespace
}  // namespace sendpool
