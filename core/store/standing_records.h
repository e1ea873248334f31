// Encoding and decoding of an account's standing history (Db::kPoolMoves): pool moves and
// guardrail pauses, in the versioned record format of records.h.
//
// Key: be64(account id) be64(time in seconds), so one account's history is one prefix in time
// order. Two events in the same second get consecutive keys (standing.cc), the record keeps
// the true time.
// Thread-safety: pure.
#pragma once

#include <string>
#include <string_view>

#include "core/base/result.h"
#include "core/model/entities.h"
#include "core/model/reputation.h"

namespace sendpool {

std::string encode(const PoolMove& v);
Result<PoolMove> decode_pool_move(std::string_view bytes);

// The key of an event of `account` at `seconds` since the epoch.
std::string pool_move_key(AccountId account, int64_t seconds);
// The prefix of every event of `account`.
std::string pool_move_prefix(AccountId account);

}  // namespace sendpool
