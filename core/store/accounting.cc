#include "core/store/accounting.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/base/civil_time.h"
#include "core/store/records.h"
#include "core/store/tables.h"

namespace sendpool {
namespace {

uint64_t minus(uint64_t a, uint64_t b) {
  return a > b ? a - b : 0;
}

Result<Account> charged_account(const ReadTxn& txn, AccountId id) {
  SENDPOOL_ASSIGN_OR_RETURN(auto account, tables::get_account_by_id(txn, id));
  if (!account) return make_error(ErrorCode::kNotFound, fmt::format("no account with id {}", id));
  return *account;
}

// Prepaid packages are debited per charged recipient; allowances are computed from counters.
Result<bool> is_prepaid(const ReadTxn& txn, const Account& account) {
  SENDPOOL_ASSIGN_OR_RETURN(auto plan, tables::get_plan(txn, account.plan));
  return plan && plan->kind == PlanKind::kPrepaid;
}

}  // namespace

Result<std::optional<Charge>> get_charge(const ReadTxn& txn, std::string_view queue_id) {
  SENDPOOL_ASSIGN_OR_RETURN(auto bytes, txn.get(Db::kCharges, queue_id));
  if (!bytes) return std::optional<Charge>();
  SENDPOOL_ASSIGN_OR_RETURN(Charge c, decode_charge(*bytes));
  return std::optional<Charge>(std::move(c));
}

Status update_counters(WriteTxn& txn, AccountId account, Date day,
                       const std::function<void(DayCounters&)>& change) {
  SENDPOOL_ASSIGN_OR_RETURN(DayCounters c, tables::get_counters(txn, account, day));
  change(c);
  return tables::put_counters(txn, account, day, c);
}

Status apply_charge(WriteTxn& txn, const Charge& charge) {
  SENDPOOL_ASSIGN_OR_RETURN(auto existing, get_charge(txn, charge.queue_id));
  if (existing)
    return make_error(ErrorCode::kAlreadyExists,
                      fmt::format("queue ID {} was already charged", charge.queue_id));
  SENDPOOL_ASSIGN_OR_RETURN(Account account, charged_account(txn, charge.account));
  Date day = date_from_day_number(charge.day);
  SENDPOOL_ASSIGN_OR_RETURN(DayCounters c, tables::get_counters(txn, account.id, day));
  c.accepted += charge.charged + charge.suppressed;
  c.enqueued += charge.charged;
  c.suppressed += charge.suppressed;
  SENDPOOL_TRY(tables::put_counters(txn, account.id, day, c));
  Charge recorded = charge;
  recorded.prepaid_debited = 0;
  SENDPOOL_ASSIGN_OR_RETURN(bool prepaid, is_prepaid(txn, account));
  if (prepaid && charge.charged > 0) {
    // A package never goes below zero; the refund gives back exactly what was taken.
    recorded.prepaid_debited =
        static_cast<uint32_t>(std::min<uint64_t>(account.prepaid_remaining, charge.charged));
    account.prepaid_remaining -= recorded.prepaid_debited;
    SENDPOOL_TRY(tables::put_account(txn, account));
  }
  return txn.put(Db::kCharges, charge.queue_id, encode(recorded));
}

Result<std::optional<Charge>> refund_charge(WriteTxn& txn, std::string_view queue_id) {
  SENDPOOL_ASSIGN_OR_RETURN(auto charge, get_charge(txn, queue_id));
  if (!charge) return charge;
  SENDPOOL_ASSIGN_OR_RETURN(Account account, charged_account(txn, charge->account));
  Date day = date_from_day_number(charge->day);
  SENDPOOL_ASSIGN_OR_RETURN(DayCounters c, tables::get_counters(txn, account.id, day));
  c.accepted = minus(c.accepted, charge->charged + charge->suppressed);
  c.enqueued = minus(c.enqueued, charge->charged);
  c.suppressed = minus(c.suppressed, charge->suppressed);
  SENDPOOL_TRY(tables::put_counters(txn, account.id, day, c));
  if (charge->prepaid_debited > 0) {
    account.prepaid_remaining += charge->prepaid_debited;
    SENDPOOL_TRY(tables::put_account(txn, account));
  }
  SENDPOOL_TRY(txn.del(Db::kCharges, queue_id));
  return charge;
}

}  // namespace sendpool
