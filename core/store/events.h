// Engagement events (opens, clicks, web unsubscribes) fed in by an external tracking system,
// and the "applied once" record that makes every feedback import idempotent.
//
// The events table maps an event id to the time it was applied. apply_engagement_event()
// checks the id first, so importing the same file twice changes nothing the second time.
// Counters go to the day of the event's time; a web unsubscribe also suppresses the recipient
// for the account (reason unsubscribe). sendpool-feedback uses record_once() with its own keys
// (they start with kFeedbackKeyPrefix, a byte event ids may not contain) so a report delivered
// twice is counted once.
// Thread-safety: as the transaction passed in.
// Security: events come from another system; ids are validated (printable, bounded) and the
// recipient must already be normalised by the caller; nothing here trusts their text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/base/clock.h"
#include "core/base/result.h"
#include "core/store/lmdb_env.h"

namespace sendpool {

inline constexpr size_t kMaxEventIdLength = 200;
inline constexpr char kFeedbackKeyPrefix = '\x01';

enum class EngagementType { kOpen, kClick, kUnsubscribe };

std::string_view to_string(EngagementType type);
std::optional<EngagementType> parse_engagement_type(std::string_view text);

struct EngagementEvent {
  std::string id;         // unique per event, chosen by the tracking system
  std::string account;    // account username
  std::string recipient;  // normalised address (normalize_address)
  EngagementType type = EngagementType::kOpen;
  TimePoint time{};
};

// kInvalidArgument unless `id` is 1..kMaxEventIdLength printable ASCII characters.
Status validate_event_id(std::string_view id);

enum class EventOutcome { kApplied, kDuplicate, kUnknownAccount };

// Applies `event` unless its id was applied before: opens/clicks/unsubscribes + 1 on the
// event's day; an unsubscribe also adds a suppression entry (kept when one already exists).
// An unknown account applies nothing and records nothing (a later import may apply it).
Result<EventOutcome> apply_engagement_event(WriteTxn& txn, const EngagementEvent& event,
                                            TimePoint now);

// When the event (or feedback key) `id` was applied; nullopt when never.
Result<std::optional<TimePoint>> event_applied_at(const ReadTxn& txn, std::string_view id);

// Records `key` as applied at `now`; false (and nothing written) when it already was.
Result<bool> record_once(WriteTxn& txn, std::string_view key, TimePoint now);

}  // namespace sendpool
