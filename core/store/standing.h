// Standing: an account's reputation, guardrail pause and sending pool, kept in step with its
// message outcome counters.
//
// Every writer of outcome counters (the outcome follower, sendpool-feedback, `events import`)
// is meant to call recompute_standing() in the same write transaction, as does
// `sendpoolctl reputation recompute`. It sums the window's counters, stores the reputation,
// pauses an enabled account whose guardrail trips, and moves the account to the pool its score
// chooses. Pauses and moves are appended to the account's history (Db::kPoolMoves, see
// standing_records.h). It never un-pauses: an operator does (`account set --status enabled`).
// Once an operator has lifted a guardrail pause, the guardrail only looks at the days after
// the day of that pause, so the data that caused it does not pause the account again at the
// next recompute (the score still uses the whole window).
// The route listener reads Account.pool on every lookup, so a move applies to the next
// delivery attempt, deferred mail included.
// Thread-safety: as the transaction passed in.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/model/entities.h"
#include "core/model/reputation.h"
#include "core/store/lmdb_env.h"

namespace sendpool {

// What one recompute found and changed (for logs and `reputation recompute`).
struct StandingChange {
  AccountId account = 0;
  std::string username;
  std::optional<Reputation> previous;      // the stored reputation before
  ReputationAssessment assessment;         // the new one (stored)
  std::optional<GuardrailTrip> guardrail;  // tripped now, whether or not this call paused
  std::string pause_reason;                // non-empty when this call paused the account
  std::optional<PoolMove> move;            // set when this call changed the account's pool
  std::string pool;                        // the account's pool afterwards (empty: none)

  bool paused() const { return !pause_reason.empty(); }
  // True when the score, the status or the pool changed.
  bool changed() const;
  // One lower-case log line: "account app1: score 62.5 (was 70.0); pool tx-good -> tx-std".
  std::string summary() const;
};

// Recomputes the standing of account `id` at `now`; kNotFound when there is no such account.
Result<StandingChange> recompute_standing(WriteTxn& txn, AccountId id, TimePoint now,
                                          const ReputationSettings& settings = {});

// recompute_standing for every account, in username order.
Result<std::vector<StandingChange>> recompute_all_standings(
    WriteTxn& txn, TimePoint now, const ReputationSettings& settings = {});

// The last `n` history events of account `id` (pool moves and pauses), newest first.
Result<std::vector<PoolMove>> recent_moves(const ReadTxn& txn, AccountId id, size_t n);

// Everything the operator commands explain about an account, read without writing.
struct StandingView {
  Account account;
  std::optional<Reputation> reputation;  // nullopt: never computed
  // From the stored reputation (factors, bands, driver); `scored` uses the current volume.
  ReputationAssessment assessment;
  uint64_t volume = 0;                 // delivered + bounced in the current window
  std::optional<Pool> pool;            // the assigned pool's record, if it still exists
  std::optional<PoolChoice> choice;    // what the stored score chooses from today's pools
  std::vector<PoolMove> moves;         // newest first
  std::optional<PoolMove> last_pause;  // the last guardrail pause, however old
};

Result<StandingView> standing_view(const ReadTxn& txn, const Account& account, TimePoint now,
                                   size_t n_moves, const ReputationSettings& settings = {});

}  // namespace sendpool
