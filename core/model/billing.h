// Plans over time: monthly billing periods, prepaid packages, and available messages.
//
// Pure functions of a plan, an account's state, its usage and the time; no store, no clock
// reads (the caller passes `now`). All dates are UTC calendar days.
//
// Monthly (and free) plans: a period starts on the account's start day of each month,
// clamped to the month's last day when the month is shorter (an account started on the 31st
// resets on Feb 28/29, Apr 30, …), and ends just before the next start, which is also the
// date the allowance is reset. Prepaid plans: a package of messages usable until 00:00 UTC
// of its expiry date; a top-up adds messages and moves the expiry to top-up day + validity,
// never earlier than it already was.
// Thread-safety: pure.
#pragma once

#include <cstdint>
#include <optional>

#include "core/base/clock.h"
#include "core/model/entities.h"

namespace sendpool {

// A billing period [start, end): `end` is the reset date, the first day of the next period.
struct BillingPeriod {
  Date start;
  Date end;
};

// The monthly period containing `day` for an account whose periods are anchored on `anchor`.
// Days before the anchor belong to the first period.
BillingPeriod billing_period(Date anchor, Date day);

// A prepaid package as held by an account.
struct PrepaidPackage {
  uint64_t remaining = 0;
  Date expires{};  // exclusive
};

// The package an account gets when it starts on a prepaid plan on `day`.
PrepaidPackage new_prepaid_package(const Plan& plan, Date day);

// Adds `messages` bought on `day`, valid `valid_days`; the expiry never moves earlier.
// Messages left in an expired package do not come back to life: they are dropped.
PrepaidPackage top_up(const PrepaidPackage& package, uint64_t messages, uint32_t valid_days,
                      Date day);

// Why no message may be sent, when none may.
enum class Exhaustion { kNone, kMonthlyUsedUp, kPrepaidUsedUp, kPrepaidExpired };

// Available messages at one instant, with what an operator needs to understand the number.
struct Availability {
  uint64_t available = 0;
  Exhaustion exhaustion = Exhaustion::kNone;
  std::optional<BillingPeriod> period;  // free and monthly plans
  std::optional<Date> expires;          // prepaid plans
};

// Available messages for `account` on `plan` at `now`. `charged_in_period` is what the account
// was charged in the billing period containing `now` (monthly and free plans; ignored for
// prepaid, whose remaining count is held in the account). Suppressed recipients are never
// charged, so they are not part of `charged_in_period`.
Availability available_messages(const Plan& plan, const Account& account,
                                uint64_t charged_in_period, TimePoint now);

}  // namespace sendpool
