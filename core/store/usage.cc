#include "core/store/usage.h"

#include "core/base/civil_time.h"
#include "core/store/tables.h"

namespace sendpool {

Result<Availability> availability(const ReadTxn& txn, const Account& account, const Plan& plan,
                                  TimePoint now) {
  uint64_t charged = 0;
  if (plan.kind != PlanKind::kPrepaid) {
    BillingPeriod period = billing_period(account.start, day_of(now));
    SENDPOOL_ASSIGN_OR_RETURN(DayCounters used,
                              tables::sum_counters(txn, account.id, period.start, period.end));
    charged = used.charged();
  }
  return available_messages(plan, account, charged, now);
}

}  // namespace sendpool
