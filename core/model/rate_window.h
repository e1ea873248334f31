// HourlyWindow: messages per account over the last hour, as a sliding window.
//
// The hour is kept as 60 one-minute buckets per account, so the limit is enforced over any
// 60 consecutive minutes (to one-minute resolution), not per clock hour: a client cannot
// send a full hour's allowance at 10:59 and again at 11:00. The window lives in policyd's
// memory; a restart forgets at most the last hour of rate history (quotas and counters are
// in the store and are not affected).
// Thread-safety: none; owned by policyd's event loop.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "core/base/clock.h"
#include "core/model/entities.h"

namespace sendpool {

class HourlyWindow {
 public:
  static constexpr int kBuckets = 60;

  // Counts `n` messages of `account` at `now`.
  void add(AccountId account, TimePoint now, uint64_t n = 1);

  // Messages of `account` in the hour ending at `now`.
  uint64_t count(AccountId account, TimePoint now) const;

  // The earliest time at which the count drops below `limit`, given no new messages; nullopt
  // when it is below already.
  std::optional<TimePoint> next_free(AccountId account, TimePoint now, uint64_t limit) const;

  // Drops accounts with nothing in the window (bounded memory for idle accounts).
  void prune(TimePoint now);

  // Accounts currently tracked (for tests and statistics).
  size_t account_count() const { return accounts_.size(); }

 private:
  struct Buckets {
    std::array<int64_t, kBuckets> minute{};  // the minute number each bucket holds
    std::array<uint64_t, kBuckets> count{};
  };
  std::unordered_map<AccountId, Buckets> accounts_;
};

}  // namespace sendpool
