#include "core/store/events.h"

#include <fmt/format.h>

#include "core/base/civil_time.h"
#include "core/store/accounting.h"
#include "core/store/codec.h"
#include "core/store/tables.h"

namespace sendpool {
namespace {

constexpr uint8_t kAppliedVersion = 1;

std::string encode_applied(TimePoint t) {
  return RecordWriter(kAppliedVersion).i64(t.time_since_epoch().count()).take();
}

}  // namespace

std::string_view to_string(EngagementType type) {
  switch (type) {
    case EngagementType::kOpen:
      return "open";
    case EngagementType::kClick:
      return "click";
    case EngagementType::kUnsubscribe:
      return "unsubscribe";
  }
  return "open";
}

std::optional<EngagementType> parse_engagement_type(std::string_view text) {
  if (text == "open") return EngagementType::kOpen;
  if (text == "click") return EngagementType::kClick;
  if (text == "unsubscribe") return EngagementType::kUnsubscribe;
  return std::nullopt;
}

Status validate_event_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxEventIdLength)
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("an event id has 1 to {} characters", kMaxEventIdLength));
  for (char c : id) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e)
      return make_error(ErrorCode::kInvalidArgument,
                        "an event id may only hold printable ASCII characters");
  }
  return ok_status();
}

Result<std::optional<TimePoint>> event_applied_at(const ReadTxn& txn, std::string_view id) {
  SENDPOOL_ASSIGN_OR_RETURN(auto bytes, txn.get(Db::kEvents, id));
  if (!bytes) return std::optional<TimePoint>();
  RecordReader r(*bytes);
  int64_t seconds = r.i64();
  if (!r.ok() || r.version() != kAppliedVersion)
    return make_error(ErrorCode::kCorrupt, "an events record does not decode");
  return std::optional<TimePoint>(TimePoint(std::chrono::seconds(seconds)));
}

Result<bool> record_once(WriteTxn& txn, std::string_view key, TimePoint now) {
  SENDPOOL_ASSIGN_OR_RETURN(auto existing, txn.get(Db::kEvents, key));
  if (existing) return false;
  SENDPOOL_TRY(txn.put(Db::kEvents, key, encode_applied(now)));
  return true;
}

Result<EventOutcome> apply_engagement_event(WriteTxn& txn, const EngagementEvent& event,
                                            TimePoint now) {
  SENDPOOL_TRY(validate_event_id(event.id));
  SENDPOOL_ASSIGN_OR_RETURN(auto account, tables::get_account(txn, event.account));
  if (!account) return EventOutcome::kUnknownAccount;
  SENDPOOL_ASSIGN_OR_RETURN(bool fresh, record_once(txn, event.id, now));
  if (!fresh) return EventOutcome::kDuplicate;
  SENDPOOL_TRY(update_counters(txn, account->id, day_of(event.time), [&](DayCounters& c) {
    switch (event.type) {
      case EngagementType::kOpen:
        ++c.opens;
        break;
      case EngagementType::kClick:
        ++c.clicks;
        break;
      case EngagementType::kUnsubscribe:
        ++c.unsubscribes;
        break;
    }
  }));
  if (event.type == EngagementType::kUnsubscribe) {
    SuppressionScope scope{account->id};
    SENDPOOL_ASSIGN_OR_RETURN(auto existing, tables::get_suppression(txn, scope, event.recipient));
    if (!existing)
      SENDPOOL_TRY(tables::put_suppression(
          txn, scope,
          SuppressionEntry{event.recipient, SuppressionReason::kUnsubscribe, now,
                           fmt::format("web unsubscribe (event {})", event.id)}));
  }
  return EventOutcome::kApplied;
}

}  // namespace sendpool
