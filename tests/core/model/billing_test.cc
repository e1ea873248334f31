#include "core/model/billing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/base/civil_time.h"

namespace sendpool {
namespace {

using namespace std::chrono;

Date d(const char* text) {
  return parse_date(text).value();
}
TimePoint ts(const char* text) {
  return parse_timestamp(text).value();
}

std::string show(const BillingPeriod& p) {
  return "[" + format_date(p.start) + ", " + format_date(p.end) + ")";
}

struct PeriodCase {
  const char* anchor;
  const char* day;
  const char* start;
  const char* end;
};

void expect_periods(const std::vector<PeriodCase>& cases) {
  for (const auto& c : cases) {
    BillingPeriod p = billing_period(d(c.anchor), d(c.day));
    EXPECT_EQ(show(p), show(BillingPeriod{d(c.start), d(c.end)}))
        << "anchor " << c.anchor << ", day " << c.day;
  }
}

TEST(BillingTest, PeriodAnchoredOn31stResetsOnLastDayOfShorterMonths) {
  expect_periods({
      {"2026-01-31", "2026-01-31", "2026-01-31", "2026-02-28"},
      {"2026-01-31", "2026-02-27", "2026-01-31", "2026-02-28"},
      {"2026-01-31", "2026-02-28", "2026-02-28", "2026-03-31"},
      {"2026-01-31", "2026-03-30", "2026-02-28", "2026-03-31"},
      {"2026-01-31", "2026-03-31", "2026-03-31", "2026-04-30"},
      {"2026-01-31", "2026-04-30", "2026-04-30", "2026-05-31"},
      {"2026-01-31", "2026-05-30", "2026-04-30", "2026-05-31"},
      {"2026-01-31", "2026-06-01", "2026-05-31", "2026-06-30"},
      {"2026-01-31", "2026-09-30", "2026-09-30", "2026-10-31"},
      {"2026-01-31", "2026-12-31", "2026-12-31", "2027-01-31"},
  });
}

TEST(BillingTest, PeriodAnchoredOn31stResetsOnFeb29InLeapYears) {
  expect_periods({
      {"2028-01-31", "2028-02-28", "2028-01-31", "2028-02-29"},
      {"2028-01-31", "2028-02-29", "2028-02-29", "2028-03-31"},
      {"2026-01-31", "2028-02-29", "2028-02-29", "2028-03-31"},
      {"2026-01-31", "2028-02-28", "2028-01-31", "2028-02-29"},
  });
}

TEST(BillingTest, PeriodAnchoredOn29thOr30thClampsInFebruary) {
  expect_periods({
      // 30th: February has no 30th, so the period runs Feb 28/29 to Mar 30.
      {"2026-01-30", "2026-02-28", "2026-02-28", "2026-03-30"},
      {"2026-01-30", "2026-02-27", "2026-01-30", "2026-02-28"},
      {"2026-01-30", "2026-03-29", "2026-02-28", "2026-03-30"},
      {"2026-01-30", "2026-03-30", "2026-03-30", "2026-04-30"},
      {"2028-01-30", "2028-02-29", "2028-02-29", "2028-03-30"},
      {"2028-01-30", "2028-02-28", "2028-01-30", "2028-02-29"},
      // 29th: clamped in common years, exact in leap years.
      {"2026-01-29", "2026-02-28", "2026-02-28", "2026-03-29"},
      {"2026-01-29", "2026-03-28", "2026-02-28", "2026-03-29"},
      {"2026-01-29", "2026-03-29", "2026-03-29", "2026-04-29"},
      {"2028-01-29", "2028-02-28", "2028-01-29", "2028-02-29"},
      {"2028-01-29", "2028-02-29", "2028-02-29", "2028-03-29"},
      // Anchored on Feb 29 itself: the 29th of every later month, Feb 28 in common years.
      {"2028-02-29", "2028-02-29", "2028-02-29", "2028-03-29"},
      {"2028-02-29", "2028-03-29", "2028-03-29", "2028-04-29"},
      {"2028-02-29", "2029-02-28", "2029-02-28", "2029-03-29"},
      {"2028-02-29", "2029-02-27", "2029-01-29", "2029-02-28"},
  });
}

TEST(BillingTest, PeriodContainingTheAnchorDayStartsOnIt) {
  expect_periods({
      {"2026-03-15", "2026-03-15", "2026-03-15", "2026-04-15"},
      {"2026-01-01", "2026-01-01", "2026-01-01", "2026-02-01"},
      {"2026-01-31", "2026-01-31", "2026-01-31", "2026-02-28"},
      {"2026-02-28", "2026-02-28", "2026-02-28", "2026-03-28"},
      {"2026-12-31", "2026-12-31", "2026-12-31", "2027-01-31"},
  });
}

TEST(BillingTest, PeriodEndsTheDayBeforeTheNextAnchorDay) {
  expect_periods({
      {"2026-03-15", "2026-04-14", "2026-03-15", "2026-04-15"},
      {"2026-03-15", "2026-04-15", "2026-04-15", "2026-05-15"},
      {"2026-03-15", "2026-05-01", "2026-04-15", "2026-05-15"},
      {"2026-03-01", "2026-03-31", "2026-03-01", "2026-04-01"},
      {"2026-03-01", "2026-04-01", "2026-04-01", "2026-05-01"},
  });
}

TEST(BillingTest, DaysBeforeTheAnchorBelongToTheFirstPeriod) {
  expect_periods({
      {"2026-03-15", "2026-03-14", "2026-03-15", "2026-04-15"},
      {"2026-03-15", "2026-03-01", "2026-03-15", "2026-04-15"},
      {"2026-03-15", "2026-02-20", "2026-03-15", "2026-04-15"},
      {"2026-03-15", "2025-06-30", "2026-03-15", "2026-04-15"},
      {"2026-01-31", "2026-01-30", "2026-01-31", "2026-02-28"},
  });
}

TEST(BillingTest, PeriodRollsOverTheYearFromDecemberToJanuary) {
  expect_periods({
      {"2026-12-20", "2026-12-31", "2026-12-20", "2027-01-20"},
      {"2026-12-20", "2027-01-01", "2026-12-20", "2027-01-20"},
      {"2026-12-20", "2027-01-19", "2026-12-20", "2027-01-20"},
      {"2026-12-20", "2027-01-20", "2027-01-20", "2027-02-20"},
      {"2026-05-10", "2027-01-05", "2026-12-10", "2027-01-10"},
      {"2026-05-10", "2028-01-10", "2028-01-10", "2028-02-10"},
      {"2026-01-31", "2027-01-30", "2026-12-31", "2027-01-31"},
  });
}

TEST(BillingTest, EveryDayOfThreeYearsLiesInItsPeriodAndPeriodsAreContiguous) {
  const std::vector<const char*> anchors = {"2026-01-01", "2026-01-15", "2026-01-28", "2026-01-29",
                                            "2026-01-30", "2026-01-31", "2026-02-28", "2028-02-29",
                                            "2026-12-31", "2027-08-31", "2026-04-30"};
  for (const char* anchor_text : anchors) {
    const Date anchor = d(anchor_text);
    const unsigned anchor_dom = static_cast<unsigned>(year_month_day{anchor}.day());
    BillingPeriod previous = billing_period(anchor, anchor);
    ASSERT_EQ(previous.start, anchor) << anchor_text;
    int periods = 1;
    for (Date day = anchor; day < anchor + days{3 * 366}; day += days{1}) {
      const BillingPeriod p = billing_period(anchor, day);
      const std::string where = std::string("anchor ") + anchor_text + ", day " + format_date(day);
      ASSERT_LE(p.start, day) << where;
      ASSERT_LT(day, p.end) << where;
      // A period is one calendar month long: 28 to 31 days.
      const auto length = (p.end - p.start).count();
      ASSERT_GE(length, 28) << where;
      ASSERT_LE(length, 31) << where;
      // Each period starts on the anchor's day of month, or on the month's last day if shorter.
      const year_month_day s{p.start};
      const unsigned last =
          days_in_month(static_cast<int>(s.year()), static_cast<unsigned>(s.month()));
      ASSERT_EQ(static_cast<unsigned>(s.day()), std::min(anchor_dom, last)) << where;
      if (p.start != previous.start) {
        // The next period starts exactly where the previous one ended: no gap, no overlap.
        ASSERT_EQ(p.start, previous.end) << where;
        ASSERT_EQ(p.start, day) << where;
        ++periods;
      } else {
        ASSERT_EQ(p.end, previous.end) << where;
      }
      previous = p;
    }
    // 3 * 366 days from the anchor spans 36 periods and part of a 37th.
    EXPECT_EQ(periods, 37) << anchor_text;
  }
}

Plan prepaid_plan(uint64_t messages, uint32_t valid_days) {
  Plan p;
  p.name = "prepaid-test";
  p.kind = PlanKind::kPrepaid;
  p.messages = messages;
  p.valid_days = valid_days;
  return p;
}

TEST(BillingTest, NewPrepaidPackageHoldsThePlansMessagesUntilDayPlusValidity) {
  struct Case {
    uint64_t messages;
    uint32_t valid_days;
    const char* day;
    const char* expires;
  };
  const std::vector<Case> cases = {
      {1000, 365, "2026-01-01", "2027-01-01"},
      {1000, 365, "2028-01-01", "2028-12-31"},  // leap year: 366 days
      {50, 30, "2026-02-15", "2026-03-17"},
      {1, 1, "2026-12-31", "2027-01-01"},
  };
  for (const auto& c : cases) {
    PrepaidPackage p = new_prepaid_package(prepaid_plan(c.messages, c.valid_days), d(c.day));
    EXPECT_EQ(p.remaining, c.messages) << c.day;
    EXPECT_EQ(format_date(p.expires), c.expires) << c.day;
  }
}

TEST(BillingTest, TopUpAddsMessagesAndNeverMovesTheExpiryEarlier) {
  struct Case {
    const char* why;
    uint64_t remaining;
    const char* expires;
    uint64_t messages;
    uint32_t valid_days;
    const char* day;
    uint64_t expected_remaining;
    const char* expected_expires;
  };
  const std::vector<Case> cases = {
      {"extends to top-up day + validity", 100, "2026-03-01", 50, 30, "2026-02-15", 150,
       "2026-03-17"},
      {"long package keeps its later expiry", 100, "2026-12-31", 50, 30, "2026-02-15", 150,
       "2026-12-31"},
      {"equal expiry unchanged", 10, "2026-03-17", 5, 30, "2026-02-15", 15, "2026-03-17"},
      {"top-up on the last usable day keeps the messages", 10, "2026-02-16", 5, 30, "2026-02-15",
       15, "2026-03-17"},
      {"top-up on the expiry day drops lapsed messages", 10, "2026-02-15", 5, 30, "2026-02-15", 5,
       "2026-03-17"},
      {"top-up long after expiry drops lapsed messages", 999, "2025-01-01", 100, 365, "2026-02-15",
       100, "2027-02-15"},
      {"empty package", 0, "2026-03-01", 20, 10, "2026-02-01", 20, "2026-03-01"},
  };
  for (const auto& c : cases) {
    PrepaidPackage before{c.remaining, d(c.expires)};
    PrepaidPackage after = top_up(before, c.messages, c.valid_days, d(c.day));
    EXPECT_EQ(after.remaining, c.expected_remaining) << c.why;
    EXPECT_EQ(format_date(after.expires), c.expected_expires) << c.why;
  }
}

Account prepaid_account(uint64_t remaining, std::optional<Date> expires) {
  Account a;
  a.username = "app";
  a.start = d("2026-01-10");
  a.prepaid_remaining = remaining;
  a.prepaid_expires = expires;
  return a;
}

TEST(BillingTest, PrepaidPackageExpiresAtMidnightUtc) {
  const Plan plan = prepaid_plan(1000, 30);
  const Account account = prepaid_account(700, d("2026-03-01"));
  struct Case {
    const char* now;
    uint64_t available;
    Exhaustion exhaustion;
  };
  const std::vector<Case> cases = {
      {"2026-02-01T00:00:00Z", 700, Exhaustion::kNone},
      {"2026-02-28T23:59:59Z", 700, Exhaustion::kNone},  // last second of the last day
      {"2026-03-01T00:00:00Z", 0, Exhaustion::kPrepaidExpired},
      {"2026-03-01T00:00:01Z", 0, Exhaustion::kPrepaidExpired},
      {"2027-01-01T00:00:00Z", 0, Exhaustion::kPrepaidExpired},
  };
  for (const auto& c : cases) {
    Availability a = available_messages(plan, account, 0, ts(c.now));
    EXPECT_EQ(a.available, c.available) << c.now;
    EXPECT_EQ(a.exhaustion, c.exhaustion) << c.now;
    ASSERT_TRUE(a.expires.has_value()) << c.now;
    EXPECT_EQ(*a.expires, d("2026-03-01")) << c.now;
    EXPECT_FALSE(a.period.has_value()) << "prepaid plans have no billing period";
  }
}

TEST(BillingTest, PrepaidAvailabilityIsTheRemainingPackageIgnoringChargedCount) {
  const Plan plan = prepaid_plan(1000, 30);
  struct Case {
    const char* why;
    uint64_t remaining;
    std::optional<Date> expires;
    uint64_t charged;
    uint64_t available;
    Exhaustion exhaustion;
  };
  const std::vector<Case> cases = {
      {"remaining", 250, d("2026-06-01"), 0, 250, Exhaustion::kNone},
      {"charged count ignored", 250, d("2026-06-01"), 5000, 250, Exhaustion::kNone},
      {"used up", 0, d("2026-06-01"), 0, 0, Exhaustion::kPrepaidUsedUp},
      {"expired wins over used up", 0, d("2026-05-01"), 0, 0, Exhaustion::kPrepaidExpired},
      {"expired with messages left", 250, d("2026-05-15"), 0, 0, Exhaustion::kPrepaidExpired},
      {"never bought", 0, std::nullopt, 0, 0, Exhaustion::kPrepaidExpired},
      {"no expiry", 250, std::nullopt, 0, 0, Exhaustion::kPrepaidExpired},
  };
  const TimePoint now = ts("2026-05-15T12:00:00Z");
  for (const auto& c : cases) {
    Availability a =
        available_messages(plan, prepaid_account(c.remaining, c.expires), c.charged, now);
    EXPECT_EQ(a.available, c.available) << c.why;
    EXPECT_EQ(a.exhaustion, c.exhaustion) << c.why;
    EXPECT_EQ(a.expires, c.expires) << c.why;
    EXPECT_FALSE(a.period.has_value()) << c.why;
  }
}

TEST(BillingTest, MonthlyAndFreeAvailabilityIsAllowanceMinusChargedNeverNegative) {
  struct Case {
    PlanKind kind;
    uint64_t allowance;
    uint64_t charged;
    uint64_t available;
    Exhaustion exhaustion;
  };
  const std::vector<Case> cases = {
      {PlanKind::kMonthly, 1000, 0, 1000, Exhaustion::kNone},
      {PlanKind::kMonthly, 1000, 999, 1, Exhaustion::kNone},
      {PlanKind::kMonthly, 1000, 1000, 0, Exhaustion::kMonthlyUsedUp},
      {PlanKind::kMonthly, 1000, 1500, 0, Exhaustion::kMonthlyUsedUp},
      {PlanKind::kFree, 100, 40, 60, Exhaustion::kNone},
      {PlanKind::kFree, 100, 100, 0, Exhaustion::kMonthlyUsedUp},
      {PlanKind::kFree, 100, 101, 0, Exhaustion::kMonthlyUsedUp},
  };
  Account account;
  account.start = d("2026-01-31");
  account.prepaid_remaining = 12345;  // ignored for monthly and free plans
  account.prepaid_expires = d("2030-01-01");
  for (const auto& c : cases) {
    Plan plan;
    plan.name = "p";
    plan.kind = c.kind;
    plan.messages = c.allowance;
    Availability a = available_messages(plan, account, c.charged, ts("2026-02-28T10:00:00Z"));
    const std::string where = std::string(to_string(c.kind)) + " " + std::to_string(c.charged);
    EXPECT_EQ(a.available, c.available) << where;
    EXPECT_EQ(a.exhaustion, c.exhaustion) << where;
    ASSERT_TRUE(a.period.has_value()) << where;
    EXPECT_EQ(show(*a.period), "[2026-02-28, 2026-03-31)") << where;
    EXPECT_FALSE(a.expires.has_value()) << where;
  }
}

TEST(BillingTest, MonthlyAvailabilityReportsThePeriodOfNowsUtcDay) {
  Plan plan;
  plan.name = "monthly";
  plan.kind = PlanKind::kMonthly;
  plan.messages = 10;
  Account account;
  account.start = d("2026-01-15");
  struct Case {
    const char* now;
    const char* period;
  };
  const std::vector<Case> cases = {
      {"2026-03-14T23:59:59Z", "[2026-02-15, 2026-03-15)"},
      {"2026-03-15T00:00:00Z", "[2026-03-15, 2026-04-15)"},
      {"2026-12-31T12:00:00Z", "[2026-12-15, 2027-01-15)"},
  };
  for (const auto& c : cases) {
    Availability a = available_messages(plan, account, 3, ts(c.now));
    ASSERT_TRUE(a.period.has_value()) << c.now;
    EXPECT_EQ(show(*a.period), c.period) << c.now;
    EXPECT_EQ(a.available, 7u) << c.now;
  }
}

}  // namespace
}  // namespace sendpool
