#include "core/model/entities.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendpool {
namespace {

// Every enumerator, its text form, and that parse(to_string(v)) == v.
template <typename E, typename Parse>
void expect_round_trip(const std::vector<std::pair<E, std::string>>& table, Parse parse) {
  for (const auto& [value, text] : table) {
    EXPECT_EQ(to_string(value), text);
    std::optional<E> parsed = parse(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_EQ(*parsed, value) << text;
    EXPECT_EQ(parse(to_string(value)), value) << text;
  }
}

TEST(EntitiesTest, PlanKindTextFormsRoundTrip) {
  expect_round_trip<PlanKind>(
      {{PlanKind::kFree, "free"}, {PlanKind::kMonthly, "monthly"}, {PlanKind::kPrepaid, "prepaid"}},
      parse_plan_kind);
}

TEST(EntitiesTest, AccountTypeTextFormsRoundTrip) {
  expect_round_trip<AccountType>(
      {{AccountType::kTransactional, "transactional"}, {AccountType::kPromotional, "promotional"}},
      parse_account_type);
}

TEST(EntitiesTest, AccountStatusTextFormsRoundTrip) {
  expect_round_trip<AccountStatus>({{AccountStatus::kEnabled, "enabled"},
                                    {AccountStatus::kDisabled, "disabled"},
                                    {AccountStatus::kPendingPayment, "pending-payment"},
                                    {AccountStatus::kPaused, "paused"}},
                                   parse_account_status);
}

TEST(EntitiesTest, SuppressionReasonTextFormsRoundTrip) {
  expect_round_trip<SuppressionReason>({{SuppressionReason::kBounce, "bounce"},
                                        {SuppressionReason::kComplaint, "complaint"},
                                        {SuppressionReason::kUnsubscribe, "unsubscribe"},
                                        {SuppressionReason::kManual, "manual"}},
                                       parse_suppression_reason);
}

TEST(EntitiesTest, KeyTypeTextFormsRoundTrip) {
  expect_round_trip<KeyType>({{KeyType::kRsa, "rsa"}, {KeyType::kEd25519, "ed25519"}},
                             parse_key_type);
}

TEST(EntitiesTest, UnknownOrNearMissTextParsesToNothing) {
  // Parsing is exact: no case folding, no trimming, no prefixes, no enumerator spellings.
  const std::vector<std::string> unknown = {
      "",
      "Free",
      "FREE",
      " free",
      "free ",
      "fre",
      "freee",
      "kFree",
      "pending_payment",
      "pendingpayment",
      "Enabled",
      "RSA",
      "ed448",
      "spam",
      "bounced",
      std::string("free\0", 5),
      "promo",
      "monthly\n",
  };
  for (const auto& text : unknown) {
    EXPECT_FALSE(parse_plan_kind(text).has_value()) << text;
    EXPECT_FALSE(parse_account_type(text).has_value()) << text;
    EXPECT_FALSE(parse_account_status(text).has_value()) << text;
    EXPECT_FALSE(parse_suppression_reason(text).has_value()) << text;
    EXPECT_FALSE(parse_key_type(text).has_value()) << text;
  }
  // A valid name of one enumeration is not a name of another.
  EXPECT_FALSE(parse_plan_kind("enabled").has_value());
  EXPECT_FALSE(parse_account_status("free").has_value());
  EXPECT_FALSE(parse_key_type("manual").has_value());
  EXPECT_FALSE(parse_account_type("paused").has_value());
  EXPECT_FALSE(parse_suppression_reason("rsa").has_value());
}

TEST(EntitiesTest, ChargedIsAcceptedMinusSuppressedNeverNegative) {
  struct Case {
    uint64_t accepted;
    uint64_t suppressed;
    uint64_t charged;
  };
  const std::vector<Case> cases = {
      {0, 0, 0},
      {10, 0, 10},
      {10, 3, 7},
      {10, 10, 0},
      {3, 10, 0},
      {0, 1, 0},
      {UINT64_MAX, 1, UINT64_MAX - 1},
  };
  for (const auto& c : cases) {
    DayCounters counters;
    counters.accepted = c.accepted;
    counters.suppressed = c.suppressed;
    counters.delivered = 1000;  // other counters do not matter
    counters.bounced = 1000;
    EXPECT_EQ(counters.charged(), c.charged) << c.accepted << " - " << c.suppressed;
  }
}

TEST(EntitiesTest, DayCountersAddFieldByField) {
  DayCounters a{1, 2, 3, 4, 5, 6, 7, 8, 9};
  const DayCounters b{10, 20, 30, 40, 50, 60, 70, 80, 90};
  DayCounters& ret = (a += b);
  EXPECT_EQ(&ret, &a);
  EXPECT_EQ(a.accepted, 11u);
  EXPECT_EQ(a.enqueued, 22u);
  EXPECT_EQ(a.delivered, 33u);
  EXPECT_EQ(a.bounced, 44u);
  EXPECT_EQ(a.suppressed, 55u);
  EXPECT_EQ(a.complaints, 66u);
  EXPECT_EQ(a.unsubscribes, 77u);
  EXPECT_EQ(a.opens, 88u);
  EXPECT_EQ(a.clicks, 99u);
  EXPECT_EQ(a.charged(), 0u);  // 55 suppressed of 11 accepted: clamped, not wrapped
  // b is untouched and adding zero changes nothing.
  EXPECT_EQ(b.accepted, 10u);
  a += DayCounters{};
  EXPECT_EQ(a.clicks, 99u);
  EXPECT_EQ(a.accepted, 11u);
}

TEST(EntitiesTest, SummedDaysChargeTheSumOfEachDaysCharge) {
  // Per-day counters that respect the invariant add up to a total that still respects it.
  const std::vector<DayCounters> days = {
      {100, 10, 70, 15, 5, 0, 0, 0, 0},
      {50, 0, 40, 0, 10, 1, 2, 0, 0},
      {0, 0, 0, 0, 0, 0, 0, 3, 1},
  };
  DayCounters total;
  uint64_t charged = 0;
  for (const auto& day : days) {
    total += day;
    charged += day.charged();
  }
  EXPECT_EQ(total.charged(), charged);
  EXPECT_EQ(charged, 135u);
  EXPECT_EQ(total.accepted, total.enqueued + total.delivered + total.bounced + total.suppressed);
}

}  // namespace
}  // namespace sendpool
