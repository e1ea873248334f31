#include "core/model/billing.h"

#include "core/base/civil_time.h"

namespace sendpool {
namespace {

using namespace std::chrono;

int month_index(Date d) {
  year_month_day ymd{d};
  return static_cast<int>(ymd.year()) * 12 + static_cast<int>(static_cast<unsigned>(ymd.month())) -
         1;
}

unsigned anchor_day(Date anchor) {
  return static_cast<unsigned>(year_month_day{anchor}.day());
}

}  // namespace

BillingPeriod billing_period(Date anchor, Date day) {
  unsigned dom = anchor_day(anchor);
  int k = month_index(day) - month_index(anchor);
  if (k < 0) k = 0;
  Date start = add_months_clamped(anchor, k, dom);
  if (start > day && k > 0) {
    --k;
    start = add_months_clamped(anchor, k, dom);
  }
  return BillingPeriod{start, add_months_clamped(anchor, k + 1, dom)};
}

PrepaidPackage new_prepaid_package(const Plan& plan, Date day) {
  return PrepaidPackage{plan.messages, day + days{plan.valid_days}};
}

PrepaidPackage top_up(const PrepaidPackage& package, uint64_t messages, uint32_t valid_days,
                      Date day) {
  PrepaidPackage out = package;
  if (package.expires <= day) out.remaining = 0;  // the old package lapsed before this top-up
  out.remaining += messages;
  Date extended = day + days{valid_days};
  if (extended > out.expires) out.expires = extended;
  return out;
}

Availability available_messages(const Plan& plan, const Account& account,
                                uint64_t charged_in_period, TimePoint now) {
  Availability a;
  Date today = day_of(now);
  if (plan.kind == PlanKind::kPrepaid) {
    a.expires = account.prepaid_expires;
    if (!account.prepaid_expires || *account.prepaid_expires <= today) {
      a.exhaustion = Exhaustion::kPrepaidExpired;
      return a;
    }
    a.available = account.prepaid_remaining;
    if (a.available == 0) a.exhaustion = Exhaustion::kPrepaidUsedUp;
    return a;
  }
  a.period = billing_period(account.start, today);
  a.available = plan.messages > charged_in_period ? plan.messages - charged_in_period : 0;
  if (a.available == 0) a.exhaustion = Exhaustion::kMonthlyUsedUp;
  return a;
}

}  // namespace sendpool
