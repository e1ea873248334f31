#include "core/store/feedback.h"

#include <fmt/format.h>

#include "core/base/civil_time.h"
#include "core/base/log.h"
#include "core/proto/address.h"
#include "core/store/accounting.h"
#include "core/store/events.h"
#include "core/store/tables.h"

namespace sendpool {
namespace {

// The events-table key that makes one report count once: kind, message, recipient.
std::string once_key(char kind, const FeedbackTarget& t, std::string_view address) {
  return fmt::format("{}{}/{:x}.{:x}.{}/{}", kFeedbackKeyPrefix, kind, t.account,
                     static_cast<unsigned>(t.day), t.tag, address);
}

// Adds the entry unless the address is already suppressed; returns whether it was new.
Result<bool> suppress(WriteTxn& txn, AccountId account, const std::string& address,
                      SuppressionReason reason, std::string_view detail, TimePoint now) {
  SuppressionScope scope{account};
  SENDPOOL_ASSIGN_OR_RETURN(auto existing, tables::get_suppression(txn, scope, address));
  if (existing) return false;
  SENDPOOL_TRY(tables::put_suppression(
      txn, scope,
      SuppressionEntry{address, reason, now, sanitize(detail, kMaxFeedbackDetailLength)}));
  return true;
}

Result<bool> account_exists(const ReadTxn& txn, AccountId id) {
  SENDPOOL_ASSIGN_OR_RETURN(auto account, tables::get_account_by_id(txn, id));
  return account.has_value();
}

}  // namespace

Result<FeedbackSummary> apply_bounce(WriteTxn& txn, const FeedbackTarget& target,
                                     const std::vector<BouncedRecipient>& recipients, bool early,
                                     TimePoint now) {
  FeedbackSummary summary;
  SENDPOOL_ASSIGN_OR_RETURN(summary.known_account, account_exists(txn, target.account));
  if (!summary.known_account) return summary;
  Date day = date_from_day_number(target.day);
  for (const auto& r : recipients) {
    auto address = normalize_address(r.address);
    if (!address) {
      ++summary.invalid_addresses;
      continue;
    }
    SENDPOOL_ASSIGN_OR_RETURN(bool fresh, record_once(txn, once_key('b', target, *address), now));
    if (!fresh) {
      ++summary.duplicates;
      continue;
    }
    bool moved = false;
    if (!early) {
      SENDPOOL_TRY(update_counters(txn, target.account, day, [&](DayCounters& c) {
        if (c.delivered == 0) return;  // an early bounce: the delivery log has it
        --c.delivered;
        ++c.bounced;
        moved = true;
      }));
    }
    if (moved)
      ++summary.counted;
    else
      ++summary.early;
    if (r.hard) {
      SENDPOOL_ASSIGN_OR_RETURN(bool added, suppress(txn, target.account, *address,
                                                     SuppressionReason::kBounce, r.detail, now));
      if (added) ++summary.suppressed;
    }
  }
  return summary;
}

Result<FeedbackSummary> apply_complaint(WriteTxn& txn, const FeedbackTarget& target,
                                        std::string_view recipient, std::string_view feedback_type,
                                        TimePoint now) {
  FeedbackSummary summary;
  SENDPOOL_ASSIGN_OR_RETURN(summary.known_account, account_exists(txn, target.account));
  if (!summary.known_account) return summary;
  std::optional<std::string> address;
  if (!recipient.empty()) {
    auto normalized = normalize_address(recipient);
    if (normalized)
      address = *normalized;
    else
      ++summary.invalid_addresses;
  }
  if (address) {
    SENDPOOL_ASSIGN_OR_RETURN(bool fresh, record_once(txn, once_key('c', target, *address), now));
    if (!fresh) {
      ++summary.duplicates;
      return summary;
    }
  }
  SENDPOOL_TRY(update_counters(txn, target.account, date_from_day_number(target.day),
                               [](DayCounters& c) { ++c.complaints; }));
  ++summary.counted;
  if (address) {
    SENDPOOL_ASSIGN_OR_RETURN(bool added,
                              suppress(txn, target.account, *address, SuppressionReason::kComplaint,
                                       fmt::format("feedback report ({})", feedback_type), now));
    if (added) ++summary.suppressed;
  }
  return summary;
}

Result<FeedbackSummary> apply_unsubscribe(WriteTxn& txn, const FeedbackTarget& target,
                                          std::string_view address_text, TimePoint now) {
  FeedbackSummary summary;
  SENDPOOL_ASSIGN_OR_RETURN(summary.known_account, account_exists(txn, target.account));
  if (!summary.known_account) return summary;
  std::optional<std::string> address;
  if (!address_text.empty()) {
    auto normalized = normalize_address(address_text);
    if (normalized)
      address = *normalized;
    else
      ++summary.invalid_addresses;
  }
  if (address) {
    SENDPOOL_ASSIGN_OR_RETURN(bool fresh, record_once(txn, once_key('u', target, *address), now));
    if (!fresh) {
      ++summary.duplicates;
      return summary;
    }
  }
  SENDPOOL_TRY(update_counters(txn, target.account, date_from_day_number(target.day),
                               [](DayCounters& c) { ++c.unsubscribes; }));
  ++summary.counted;
  if (address) {
    SENDPOOL_ASSIGN_OR_RETURN(
        bool added, suppress(txn, target.account, *address, SuppressionReason::kUnsubscribe,
                             "unsubscribe mail", now));
    if (added) ++summary.suppressed;
  }
  return summary;
}

}  // namespace sendpool
