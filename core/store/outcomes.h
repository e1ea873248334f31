// Outcomes: what Postfix's delivery log does to the counters, the suppression list and the
// charges, and the outcome follower's own position (DESIGN.md §2 "outcome follower").
//
// Everything runs inside the caller's write transaction, so a batch of log lines, its effects
// and the follower's new position commit together or not at all: a restart never counts a line
// twice and never skips one.
//
// Per recipient, for the account and acceptance day named by the message's return-path token:
//   sent              enqueued -> delivered
//   bounced           enqueued -> bounced; a hard bounce (core/model/bounce_class.h) also puts
//                     the recipient (orig_to when Postfix logged one) on the account's
//                     suppression list, reason bounce, unless it is listed there already
//   deferred          nothing: the recipient stays enqueued
//   message expired   Postfix 3.7 logs one line per message, not per recipient: the recipients
//                     still pending (policyd's charged count, or nrcpt without a charge, less
//                     those already sent or bounced) move enqueued -> bounced, not suppressed
// A counter never goes below zero: an outcome moves a recipient only when one is enqueued on
// that day (otherwise it is counted as unmatched and changes nothing), which keeps
// accepted = enqueued + delivered + bounced + suppressed.
// `QID: milter-reject: END-OF-MESSAGE` and `QID: reject: END-OF-MESSAGE` refund the charge
// policyd recorded for that queue ID (accounting.h). Rejects at other stages refuse single
// recipients or happen before any charge, so they refund nothing.
//
// Queue IDs are joined to their token through the qmgr `from=` line, which Postfix repeats at
// every delivery attempt. Each queue ID seen with one of our tokens is tracked in Db::kState
// under "outcomes/q/<queue ID>" (account, day, message tag, recipients expected and finished,
// last seen) until `QID: removed`; entries unseen for kTrackedMessageTtl, and the oldest beyond
// kMaxTrackedMessages, are swept. The day is the token's acceptance day, except that policyd's
// charge day wins when the charge for that queue ID names the same account and lies within a
// day of it (a message accepted across midnight), so the counters that the charge raised are
// the ones that move. The follower's position is the record "outcomes".
// Not counted: recipients of a message deleted with `postsuper -d` stay enqueued.
// Thread-safety: as the transaction passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/base/clock.h"
#include "core/base/result.h"
#include "core/model/bounce_class.h"
#include "core/model/entities.h"
#include "core/proto/postfix_log.h"
#include "core/store/lmdb_env.h"

namespace sendpool {

// Db::kState keys.
inline constexpr std::string_view kOutcomesStateKey = "outcomes";
inline constexpr std::string_view kTrackedMessageKeyPrefix = "outcomes/q/";
// Bounds of the tracked queue IDs: a message is seen again at every delivery attempt (at most
// maximal_backoff_time apart, 4000s by default), so a week without a line means it is gone.
inline constexpr size_t kMaxTrackedMessages = 200000;
inline constexpr std::chrono::seconds kTrackedMessageTtl = std::chrono::hours(24 * 7);
// Bytes before the position kept in it, to recognise the same file (outcomes follower).
inline constexpr size_t kPositionTailLength = 64;
// The suppression entry's detail: "5.1.1 550 5.1.1 <x>: user unknown", cut to this length.
inline constexpr size_t kMaxBounceDetailLength = 200;

// Where the follower is in the log, plus lifetime totals.
struct FollowerPosition {
  uint64_t inode = 0;      // inode of the file being followed; 0 = none yet
  uint64_t offset = 0;     // bytes of that file applied (always at a line boundary)
  uint64_t tracked = 0;    // tracked queue IDs stored under kTrackedMessageKeyPrefix
  uint64_t lines = 0;      // lines applied, all files
  uint64_t malformed = 0;  // malformed lines skipped, all files
  TimePoint last_sweep{};
  // The last kPositionTailLength bytes before `offset`: a file truncated and rewritten past
  // the offset, or a new file that got the old one's inode number, has other bytes there.
  std::string tail;
  bool operator==(const FollowerPosition&) const = default;
};

// The position; a default one when the follower has never run.
Result<FollowerPosition> get_follower_position(const ReadTxn& txn);
Status put_follower_position(WriteTxn& txn, const FollowerPosition& position);

// A queue ID whose qmgr from= line carried one of our tokens.
struct TrackedMessage {
  AccountId account = 0;
  int day = 0;            // the counters' day (days since 1970-01-01)
  std::string tag;        // the token's message tag: a reused queue ID has another one
  uint32_t expected = 0;  // recipients that will have an outcome
  uint32_t finished = 0;  // recipients counted sent or bounced so far
  TimePoint seen{};       // the last time a line named it
  bool operator==(const TrackedMessage&) const = default;
};

Result<std::optional<TrackedMessage>> get_tracked_message(const ReadTxn& txn,
                                                          std::string_view queue_id);

// How tokens are checked: the return-path domain and the HMAC secret (return_path.h).
struct OutcomeSettings {
  std::string return_path_domain;
  std::string token_secret;
};

// What a batch did, for the follower's one log line per batch.
struct OutcomeTally {
  uint64_t tracked = 0;          // from= lines with one of our tokens
  uint64_t delivered = 0;        // recipients moved to delivered
  uint64_t bounced = 0;          // recipients moved to bounced (expired ones included)
  uint64_t expired = 0;          // of which returned because the message expired
  uint64_t deferred = 0;         // deferrals seen (nothing moved)
  uint64_t suppressed = 0;       // new suppression entries (hard bounces)
  uint64_t refunded = 0;         // charges refunded after a reject at END-OF-MESSAGE
  uint64_t unmatched = 0;        // outcomes with nothing enqueued to move (counted nowhere)
  uint64_t swept = 0;            // tracked queue IDs dropped by the sweep
  std::set<AccountId> accounts;  // accounts whose counters changed

  bool counted_anything() const;
  OutcomeTally& operator+=(const OutcomeTally& o);
};

// One recipient's outcome, already attributed to an account and day.
struct DeliveryOutcome {
  AccountId account = 0;
  int day = 0;
  DeliveryStatus status = DeliveryStatus::kDeferred;
  std::string recipient;  // the address to suppress on a hard bounce (orig_to when logged)
  std::string dsn;
  std::string text;
};

struct DeliveryEffect {
  bool moved = false;       // a recipient moved out of enqueued
  bool suppressed = false;  // a new suppression entry was written
  BounceVerdict verdict;    // for bounced and expired outcomes
};

// Applies one recipient's outcome (see the table at the top).
Result<DeliveryEffect> apply_delivery_outcome(WriteTxn& txn, const DeliveryOutcome& outcome,
                                              TimePoint now);

// Moves up to `recipients` from enqueued to bounced on the account's day; returns how many
// moved.
Result<uint64_t> apply_expired_recipients(WriteTxn& txn, AccountId account, int day,
                                          uint64_t recipients);

// Applies one parsed log line: joins it to its tracked queue ID, changes counters,
// suppressions and charges, and keeps `position.tracked` in step. Lines about mail that is
// not ours (no valid token, untracked queue ID) change nothing.
Status apply_outcome_event(WriteTxn& txn, const PostfixLogEvent& event,
                           const OutcomeSettings& settings, TimePoint now,
                           FollowerPosition& position, OutcomeTally& tally);

// Drops tracked queue IDs unseen since `now - ttl`, then the least recently seen ones while
// more than `max_entries` remain; records the sweep time. Returns how many were dropped.
Result<uint64_t> sweep_tracked_messages(WriteTxn& txn, TimePoint now, FollowerPosition& position,
                                        std::chrono::seconds ttl = kTrackedMessageTtl,
                                        size_t max_entries = kMaxTrackedMessages);

}  // namespace sendpool
