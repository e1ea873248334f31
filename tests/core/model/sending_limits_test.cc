#include "core/model/sending_limits.h"

#include <gtest/gtest.h>

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

Account account(AccountStatus status = AccountStatus::kEnabled, std::string reason = "") {
  Account a;
  a.id = 12;
  a.username = "shop-mailer";
  a.status = status;
  a.status_reason = std::move(reason);
  return a;
}

// monthly: 10 messages, 5 per hour, 3 recipients, 1000 bytes.
Plan monthly_plan() {
  Plan p;
  p.name = "m10";
  p.kind = PlanKind::kMonthly;
  p.messages = 10;
  p.hourly_limit = 5;
  p.max_recipients = 3;
  p.max_size = 1000;
  return p;
}

Plan free_plan() {
  Plan p;
  p.name = "free100";
  p.kind = PlanKind::kFree;
  p.messages = 100;
  return p;
}

Plan prepaid_plan() {
  Plan p;
  p.name = "p50";
  p.kind = PlanKind::kPrepaid;
  p.messages = 50;
  return p;
}

Plan unlimited_plan() {
  Plan p;
  p.name = "big";
  p.kind = PlanKind::kMonthly;
  p.messages = 1000000;
  return p;
}

Availability monthly_left(uint64_t n) {
  Availability a;
  a.available = n;
  a.exhaustion = n == 0 ? Exhaustion::kMonthlyUsedUp : Exhaustion::kNone;
  a.period = BillingPeriod{d("2026-03-10"), d("2026-04-10")};
  return a;
}

Availability prepaid_left(uint64_t n, Exhaustion why, const char* expires) {
  Availability a;
  a.available = n;
  a.exhaustion = why;
  a.expires = d(expires);
  return a;
}

// Whether `reply` starts with `code` and contains every one of `parts`.
void expect_reply(const Verdict& v, const std::string& code, const std::vector<std::string>& parts,
                  const std::string& context) {
  if (code.empty()) {
    EXPECT_TRUE(v.accept) << context << ": refused with " << v.reply;
    EXPECT_EQ(v.reply, "") << context;
    return;
  }
  EXPECT_FALSE(v.accept) << context;
  EXPECT_EQ(v.reply.substr(0, code.size() + 1), code + " ") << context << ": " << v.reply;
  for (const auto& part : parts)
    EXPECT_NE(v.reply.find(part), std::string::npos)
        << context << ": \"" << v.reply << "\" does not mention \"" << part << "\"";
}

TEST(SendingLimitsTest, OnlyEnabledAccountsMaySendAndRefusalsNameTheStatus) {
  struct Case {
    AccountStatus status;
    const char* reason;
    bool accept;
    const char* reply;
  };
  const std::vector<Case> cases = {
      {AccountStatus::kEnabled, "", true, ""},
      {AccountStatus::kDisabled, "", false, "550 5.7.1 account shop-mailer is disabled"},
      {AccountStatus::kPendingPayment, "", false,
       "550 5.7.1 account shop-mailer is pending payment"},
      {AccountStatus::kPaused, "", false, "550 5.7.1 account shop-mailer is paused"},
      {AccountStatus::kPaused, "complaint rate 2.1%", false,
       "550 5.7.1 account shop-mailer is paused: complaint rate 2.1%"},
  };
  for (const auto& c : cases) {
    Verdict v = check_account_status(account(c.status, c.reason));
    EXPECT_EQ(v.accept, c.accept) << to_string(c.status);
    EXPECT_EQ(v.reply, c.reply) << to_string(c.status);
  }
}

struct RecipientCase {
  const char* rule = "";
  Plan plan{};
  Availability availability{};
  uint64_t reserved_open = 0;
  uint32_t reserved_in_message = 0;
  bool message_counted = false;
  uint64_t messages_last_hour = 0;
  std::optional<TimePoint> hourly_free_at{};
  uint64_t declared_size = 0;
  std::string code{};  // "" = accepted
  std::vector<std::string> mentions{};
};

void expect_recipient_cases(const std::vector<RecipientCase>& cases) {
  const Account a = account();
  for (const auto& c : cases) {
    RecipientFacts f;
    f.account = &a;
    f.plan = &c.plan;
    f.availability = c.availability;
    f.reserved_open = c.reserved_open;
    f.reserved_in_message = c.reserved_in_message;
    f.message_counted = c.message_counted;
    f.messages_last_hour = c.messages_last_hour;
    f.hourly_free_at = c.hourly_free_at;
    f.declared_size = c.declared_size;
    f.now = ts("2026-03-20T10:30:00Z");
    expect_reply(check_recipient(f), c.code, c.mentions, c.rule);
  }
}

TEST(SendingLimitsTest, RecipientWithinEveryLimitIsAccepted) {
  expect_recipient_cases({
      {.rule = "nothing used", .plan = monthly_plan(), .availability = monthly_left(10)},
      {.rule = "last message left", .plan = monthly_plan(), .availability = monthly_left(1)},
      {.rule = "declared size equal to the limit",
       .plan = monthly_plan(),
       .availability = monthly_left(10),
       .declared_size = 1000},
      {.rule = "one recipient short of the limit",
       .plan = monthly_plan(),
       .availability = monthly_left(10),
       .reserved_open = 2,
       .reserved_in_message = 2,
       .message_counted = true},
      {.rule = "hour one short of the limit",
       .plan = monthly_plan(),
       .availability = monthly_left(10),
       .messages_last_hour = 4},
      {.rule = "limits of 0 mean unlimited",
       .plan = unlimited_plan(),
       .availability = monthly_left(500),
       .reserved_in_message = 100000,
       .messages_last_hour = 1000000,
       .declared_size = 1ull << 40},
      {.rule = "prepaid with messages left",
       .plan = prepaid_plan(),
       .availability = prepaid_left(3, Exhaustion::kNone, "2026-06-01"),
       .reserved_open = 2},
  });
}

TEST(SendingLimitsTest, OversizedMessageIsRefused552) {
  expect_recipient_cases({
      {.rule = "one byte over",
       .plan = monthly_plan(),
       .availability = monthly_left(10),
       .declared_size = 1001,
       .code = "552 5.3.4",
       .mentions = {"1001", "1000", "m10"}},
  });
}

TEST(SendingLimitsTest, TooManyRecipientsIsRefused452With453) {
  expect_recipient_cases({
      {.rule = "at the recipient limit",
       .plan = monthly_plan(),
       .availability = monthly_left(10),
       .reserved_open = 3,
       .reserved_in_message = 3,
       .message_counted = true,
       .code = "452 4.5.3",
       .mentions = {"m10", "3 per message"}},
  });
}

TEST(SendingLimitsTest, HourlyLimitDefers450NamingTheRetryTime) {
  expect_recipient_cases({
      {.rule = "hour used up",
       .plan = monthly_plan(),
       .availability = monthly_left(10),
       .messages_last_hour = 5,
       .hourly_free_at = ts("2026-03-20T11:07:00Z"),
       .code = "450 4.7.1",
       .mentions = {"shop-mailer", "5 messages per hour", "retry after 2026-03-20T11:07:00Z"}},
      {.rule = "no retry time known",
       .plan = monthly_plan(),
       .availability = monthly_left(10),
       .messages_last_hour = 9,
       .code = "450 4.7.1",
       .mentions = {"retry after later"}},
  });
}

TEST(SendingLimitsTest, HourlyLimitCountsMessagesNotRecipients) {
  // This message already holds a reservation, so it was counted in the hour when its first
  // recipient passed: more recipients do not make it a new message.
  expect_recipient_cases({
      {.rule = "message already counted",
       .plan = monthly_plan(),
       .availability = monthly_left(10),
       .reserved_open = 1,
       .reserved_in_message = 1,
       .message_counted = true,
       .messages_last_hour = 5},
  });
}

TEST(SendingLimitsTest, MonthlyAllowanceUsedUpDefers452NamingTheResetDate) {
  expect_recipient_cases({
      {.rule = "monthly used up",
       .plan = monthly_plan(),
       .availability = monthly_left(0),
       .code = "452 4.7.1",
       .mentions = {"shop-mailer", "10 messages", "resets on 2026-04-10"}},
      {.rule = "free used up",
       .plan = free_plan(),
       .availability = monthly_left(0),
       .code = "452 4.7.1",
       .mentions = {"100 messages", "resets on 2026-04-10"}},
  });
}

TEST(SendingLimitsTest, OpenReservationsReduceWhatIsLeft) {
  expect_recipient_cases({
      {.rule = "available 2, reserved 2",
       .plan = monthly_plan(),
       .availability = monthly_left(2),
       .reserved_open = 2,
       .code = "452 4.7.1",
       .mentions = {"resets on 2026-04-10"}},
      {.rule = "available 2, reserved 5 (no underflow)",
       .plan = monthly_plan(),
       .availability = monthly_left(2),
       .reserved_open = 5,
       .code = "452 4.7.1"},
      {.rule = "available 3, reserved 2",
       .plan = monthly_plan(),
       .availability = monthly_left(3),
       .reserved_open = 2},
      {.rule = "prepaid available 2, reserved 2",
       .plan = prepaid_plan(),
       .availability = prepaid_left(2, Exhaustion::kNone, "2026-06-01"),
       .reserved_open = 2,
       .code = "550 5.7.1",
       .mentions = {"used up"}},
  });
}

TEST(SendingLimitsTest, PrepaidPackageUsedUpOrExpiredIsRefused550SayingWhich) {
  expect_recipient_cases({
      {.rule = "used up",
       .plan = prepaid_plan(),
       .availability = prepaid_left(0, Exhaustion::kPrepaidUsedUp, "2026-06-01"),
       .code = "550 5.7.1",
       .mentions = {"shop-mailer", "used up", "top-up"}},
      {.rule = "expired",
       .plan = prepaid_plan(),
       .availability = prepaid_left(0, Exhaustion::kPrepaidExpired, "2026-03-01"),
       .code = "550 5.7.1",
       .mentions = {"shop-mailer", "expired on 2026-03-01", "new package"}},
  });
  // The two refusals must be told apart: used up never says expired and vice versa.
  const Account a = account();
  const Plan p = prepaid_plan();
  RecipientFacts f;
  f.account = &a;
  f.plan = &p;
  f.availability = prepaid_left(0, Exhaustion::kPrepaidUsedUp, "2026-06-01");
  EXPECT_EQ(check_recipient(f).reply.find("expired"), std::string::npos);
  f.availability = prepaid_left(0, Exhaustion::kPrepaidExpired, "2026-03-01");
  EXPECT_EQ(check_recipient(f).reply.find("used up"), std::string::npos);
}

TEST(SendingLimitsTest, RefusalsApplyInOrderSizeRecipientsHourQuota) {
  expect_recipient_cases({
      {.rule = "everything exceeded: size first",
       .plan = monthly_plan(),
       .availability = monthly_left(0),
       .reserved_open = 9,
       .reserved_in_message = 3,
       .messages_last_hour = 9,
       .declared_size = 5000,
       .code = "552 5.3.4"},
      {.rule = "recipients, hour and quota: recipients first",
       .plan = monthly_plan(),
       .availability = monthly_left(0),
       .reserved_open = 9,
       .reserved_in_message = 3,
       .messages_last_hour = 9,
       .code = "452 4.5.3"},
      {.rule = "hour and quota: hour first",
       .plan = monthly_plan(),
       .availability = monthly_left(0),
       .reserved_open = 9,
       .messages_last_hour = 9,
       .code = "450 4.7.1"},
  });
}

TEST(SendingLimitsTest, MessageSizeCheckAtEndOfMessage) {
  struct Case {
    Plan plan;
    uint64_t size;
    const char* reply;
  };
  const std::vector<Case> cases = {
      {monthly_plan(), 0, ""},
      {monthly_plan(), 1000, ""},
      {monthly_plan(), 1001, "552 5.3.4 message size 1001 exceeds the 1000 bytes plan m10 allows"},
      {unlimited_plan(), 1ull << 40, ""},
  };
  for (const auto& c : cases) {
    Verdict v = check_message_size(account(), c.plan, c.size);
    EXPECT_EQ(v.accept, std::string(c.reply).empty()) << c.size;
    EXPECT_EQ(v.reply, c.reply) << c.size;
  }
}

}  // namespace
}  // namespace sendpool
