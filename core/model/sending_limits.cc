#include "core/model/sending_limits.h"

#include <fmt/format.h>

#include "core/base/civil_time.h"

namespace sendpool {

Verdict check_account_status(const Account& account) {
  switch (account.status) {
    case AccountStatus::kEnabled:
      return Verdict::ok();
    case AccountStatus::kDisabled:
      return Verdict::refuse(fmt::format("550 5.7.1 account {} is disabled", account.username));
    case AccountStatus::kPendingPayment:
      return Verdict::refuse(
          fmt::format("550 5.7.1 account {} is pending payment", account.username));
    case AccountStatus::kPaused:
      return Verdict::refuse(fmt::format(
          "550 5.7.1 account {} is paused{}", account.username,
          account.status_reason.empty() ? std::string() : ": " + account.status_reason));
  }
  return Verdict::refuse("550 5.7.1 account status unknown");
}

Verdict check_recipient(const RecipientFacts& f) {
  const Account& a = *f.account;
  const Plan& p = *f.plan;
  if (Verdict size = check_message_size(a, p, f.declared_size); !size.accept) return size;
  if (p.max_recipients > 0 && f.reserved_in_message >= p.max_recipients)
    return Verdict::refuse(fmt::format(
        "452 4.5.3 too many recipients: plan {} allows {} per message", p.name, p.max_recipients));
  if (p.hourly_limit > 0 && !f.message_counted && f.messages_last_hour >= p.hourly_limit) {
    std::string when = f.hourly_free_at ? format_timestamp(*f.hourly_free_at) : "later";
    return Verdict::refuse(fmt::format(
        "450 4.7.1 account {} reached its limit of {} messages per hour; retry after {}",
        a.username, p.hourly_limit, when));
  }
  const Availability& av = f.availability;
  uint64_t left = av.available > f.reserved_open ? av.available - f.reserved_open : 0;
  if (left > 0) return Verdict::ok();
  if (p.kind == PlanKind::kPrepaid) {
    if (av.exhaustion == Exhaustion::kPrepaidExpired)
      return Verdict::refuse(
          fmt::format("550 5.7.1 the prepaid package of account {} expired{}; buy a new package",
                      a.username, av.expires ? " on " + format_date(*av.expires) : std::string()));
    return Verdict::refuse(fmt::format(
        "550 5.7.1 the prepaid package of account {} is used up; buy a top-up", a.username));
  }
  std::string reset = av.period ? format_date(av.period->end) : "the next billing period";
  return Verdict::refuse(fmt::format(
      "452 4.7.1 account {} used up its {} messages for this period; the quota resets on {}",
      a.username, p.messages, reset));
}

Verdict check_message_size(const Account&, const Plan& plan, uint64_t size) {
  if (plan.max_size > 0 && size > plan.max_size)
    return Verdict::refuse(
        fmt::format("552 5.3.4 message size {} exceeds the {} bytes plan {} allows", size,
                    plan.max_size, plan.name));
  return Verdict::ok();
}

}  // namespace sendpool
