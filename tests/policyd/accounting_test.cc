#include "core/store/accounting.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/policyd/policyd_test_util.h"

namespace sendpool {
namespace {

using namespace std::chrono;
using testing::date;
using testing::dump_store;
using testing::show;
using testing::TestStore;
using testing::timestamp;

const TimePoint kNow = timestamp("2026-03-10T12:00:00Z");
const Date kToday = date("2026-03-10");

// Two accounts of customer acme: "mon" on a monthly plan of 1000, "pre" on a prepaid package
// of 100 messages valid 30 days.
class AccountingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    monthly_ = store_.add_account("mon", testing::make_plan("m1000", PlanKind::kMonthly, 1000));
    Plan prepaid = testing::make_plan("p100", PlanKind::kPrepaid, 100);
    prepaid.valid_days = 30;
    prepaid_ = store_.add_account("pre", prepaid);
    ASSERT_EQ(store_.account("pre").prepaid_remaining, 100u);
  }

  Charge charge(const std::string& queue_id, const Account& a, uint32_t charged,
                uint32_t suppressed, Date day = kToday) {
    Charge c;
    c.queue_id = queue_id;
    c.account = a.id;
    c.day = day_number(day);
    c.charged = charged;
    c.suppressed = suppressed;
    c.time = kNow;
    return c;
  }

  Status apply(const Charge& c) {
    return store_.env->write([&](WriteTxn& txn) { return apply_charge(txn, c); });
  }

  Result<std::optional<Charge>> refund(const std::string& queue_id) {
    std::optional<Charge> out;
    Status s = store_.env->write([&](WriteTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, refund_charge(txn, queue_id));
      return ok_status();
    });
    if (!s) return s.error();
    return out;
  }

  TestStore store_{kNow};
  Account monthly_;
  Account prepaid_;
};

TEST_F(AccountingTest, ChargeCountsAcceptedAsChargedPlusSuppressedEnqueuedAsCharged) {
  struct Step {
    const char* queue_id;
    uint32_t charged;
    uint32_t suppressed;
    const char* counters_after;  // accepted/enqueued/suppressed
  };
  const std::vector<Step> steps = {
      {"4AB1C2D3E4", 3, 0, "3/3/0"},
      {"4AB1C2D3E5", 2, 1, "6/5/1"},
      {"4AB1C2D3E6", 0, 4, "10/5/5"},
      {"4AB1C2D3E7", 1, 0, "11/6/5"},
  };
  for (const auto& s : steps) {
    Charge c = charge(s.queue_id, monthly_, s.charged, s.suppressed);
    Status applied = apply(c);
    ASSERT_TRUE(applied.has_value()) << applied.error().message;
    EXPECT_EQ(show(store_.counters(monthly_.id, kToday)), s.counters_after) << s.queue_id;
    std::optional<Charge> kept = store_.charge(s.queue_id);
    ASSERT_TRUE(kept.has_value()) << s.queue_id;
    EXPECT_EQ(show(*kept), show(c));
  }
  // Nothing leaks to the other account or to another day.
  EXPECT_EQ(show(store_.counters(prepaid_.id, kToday)), "0/0/0");
  EXPECT_EQ(show(store_.counters(monthly_.id, kToday + days{1})), "0/0/0");
}

TEST_F(AccountingTest, ChargeLandsOnItsAcceptanceDay) {
  ASSERT_TRUE(apply(charge("Q1", monthly_, 2, 0, kToday - days{1})).has_value());
  ASSERT_TRUE(apply(charge("Q2", monthly_, 5, 1, kToday)).has_value());
  EXPECT_EQ(show(store_.counters(monthly_.id, kToday - days{1})), "2/2/0");
  EXPECT_EQ(show(store_.counters(monthly_.id, kToday)), "6/5/1");
}

TEST_F(AccountingTest, PrepaidChargeDebitsThePackageMonthlyChargeDoesNot) {
  struct Case {
    const char* account;
    uint32_t charged;
    uint32_t suppressed;
    uint64_t remaining_after;
  };
  const std::vector<Case> cases = {
      {"pre", 3, 2, 97},  // suppressed recipients are not debited
      {"pre", 0, 5, 97},
      {"pre", 10, 0, 87},
      {"mon", 7, 0, 0},  // monthly plans compute availability from counters instead
  };
  int n = 0;
  for (const auto& c : cases) {
    Account a = store_.account(c.account);
    uint64_t before_id = a.id;
    Status s = apply(charge("Q" + std::to_string(++n), a, c.charged, c.suppressed));
    ASSERT_TRUE(s.has_value()) << s.error().message;
    Account after = store_.account(c.account);
    EXPECT_EQ(after.prepaid_remaining, c.remaining_after) << c.account << " charged " << c.charged;
    EXPECT_EQ(after.id, before_id);
  }
}

TEST_F(AccountingTest, PrepaidDebitNeverGoesBelowZero) {
  ASSERT_TRUE(apply(charge("Q1", prepaid_, 150, 0)).has_value());
  EXPECT_EQ(store_.account("pre").prepaid_remaining, 0u);
  EXPECT_EQ(show(store_.counters(prepaid_.id, kToday)), "150/150/0");
}

TEST_F(AccountingTest, SecondChargeWithTheSameQueueIdIsRefusedAndCountsNothing) {
  Charge first = charge("4AB1C2D3E4", prepaid_, 3, 1);
  Charge replay = charge("4AB1C2D3E4", prepaid_, 5, 2);
  // Both in one transaction that commits anyway, as ChargeWriter does with a batch: the
  // refused charge must not have written anything before refusing.
  Status s = store_.env->write([&](WriteTxn& txn) -> Status {
    SENDPOOL_TRY(apply_charge(txn, first));
    Status again = apply_charge(txn, replay);
    EXPECT_FALSE(again.has_value());
    if (!again) {
      EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
    }
    return ok_status();
  });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  EXPECT_EQ(show(store_.counters(prepaid_.id, kToday)), "4/3/1");
  EXPECT_EQ(store_.account("pre").prepaid_remaining, 97u);
  EXPECT_EQ(show(store_.charge("4AB1C2D3E4").value()), show(first));

  // And in a transaction of its own, it changes nothing at all.
  auto before = dump_store(*store_.env);
  Status alone = apply(replay);
  ASSERT_FALSE(alone.has_value());
  EXPECT_EQ(alone.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(dump_store(*store_.env), before);
}

TEST_F(AccountingTest, ChargeOfAnUnknownAccountIsRefusedAndWritesNothing) {
  Charge c = charge("Q1", monthly_, 1, 0);
  c.account = 9999;
  auto before = dump_store(*store_.env);
  Status s = apply(c);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(dump_store(*store_.env), before);
}

TEST_F(AccountingTest, RefundReversesTheChargeExactlyAndDeletesItsRecord) {
  struct Case {
    const char* account;
    uint32_t charged;
    uint32_t suppressed;
  };
  const std::vector<Case> cases = {
      {"mon", 4, 2},
      {"mon", 0, 3},
      {"pre", 6, 1},
      {"pre", 2, 0},
  };
  // Other charges of the same day stay counted around the refunded one.
  ASSERT_TRUE(apply(charge("OTHER1", monthly_, 5, 5)).has_value());
  ASSERT_TRUE(apply(charge("OTHER2", prepaid_, 5, 5)).has_value());
  int n = 0;
  for (const auto& c : cases) {
    Account a = store_.account(c.account);
    std::string queue_id = "R" + std::to_string(++n);
    DayCounters before = store_.counters(a.id, kToday);
    Charge applied = charge(queue_id, a, c.charged, c.suppressed);
    ASSERT_TRUE(apply(applied).has_value());

    Result<std::optional<Charge>> refunded = refund(queue_id);
    ASSERT_TRUE(refunded.has_value()) << refunded.error().message;
    ASSERT_TRUE(refunded->has_value()) << queue_id;
    EXPECT_EQ(show(**refunded), show(applied));
    EXPECT_EQ(show(store_.counters(a.id, kToday)), show(before)) << c.account << " " << queue_id;
    EXPECT_EQ(store_.account(c.account).prepaid_remaining, a.prepaid_remaining)
        << c.account << " " << queue_id;
    EXPECT_FALSE(store_.charge(queue_id).has_value()) << queue_id;
  }
  EXPECT_TRUE(store_.charge("OTHER1").has_value());
  EXPECT_TRUE(store_.charge("OTHER2").has_value());
}

TEST_F(AccountingTest, RefundingTwiceFindsNothingTheSecondTime) {
  ASSERT_TRUE(apply(charge("Q1", prepaid_, 4, 1)).has_value());
  Result<std::optional<Charge>> first = refund("Q1");
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->has_value());

  auto before = dump_store(*store_.env);
  Result<std::optional<Charge>> second = refund("Q1");
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_FALSE(second->has_value());
  Result<std::optional<Charge>> never = refund("NEVER-CHARGED");
  ASSERT_TRUE(never.has_value());
  EXPECT_FALSE(never->has_value());
  EXPECT_EQ(dump_store(*store_.env), before);
  EXPECT_EQ(show(store_.counters(prepaid_.id, kToday)), "0/0/0");
  EXPECT_EQ(store_.account("pre").prepaid_remaining, 100u);
}

}  // namespace
}  // namespace sendpool
