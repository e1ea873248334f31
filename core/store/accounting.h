// Accounting: turning accepted messages into counters and charges, and refunding them.
//
// A charge is what policyd records when Postfix queues a message (END-OF-MESSAGE): per
// recipient, `accepted` and `enqueued` for the charged ones, `accepted` and `suppressed` for
// the suppressed ones, the prepaid package decremented, and the charge kept by queue ID so a
// later rejection of the same message (milter-reject in the log) refunds exactly that.
// Both run inside the caller's write transaction, so a batch commits or fails as a whole.
// Thread-safety: as the transaction passed in.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "core/base/result.h"
#include "core/model/entities.h"
#include "core/store/lmdb_env.h"

namespace sendpool {

// Records `charge`. A second charge for the same queue ID replaces nothing and is refused
// (kAlreadyExists), so a replayed request is never counted twice.
Status apply_charge(WriteTxn& txn, const Charge& charge);

// Reverses the charge recorded for `queue_id`; nullopt when there is none (already refunded,
// or never charged).
Result<std::optional<Charge>> refund_charge(WriteTxn& txn, std::string_view queue_id);

Result<std::optional<Charge>> get_charge(const ReadTxn& txn, std::string_view queue_id);

// Reads, changes and writes one account's counters for one day (outcomes, feedback, events).
Status update_counters(WriteTxn& txn, AccountId account, Date day,
                       const std::function<void(DayCounters&)>& change);

}  // namespace sendpool
