// QuotaLedger: the reservations of open SMTP transactions, so parallel connections of one
// account can never accept more recipients than it has messages available.
//
// A transaction is identified by Postfix's `instance` attribute (constant from MAIL to the
// end of the transaction). At RCPT a recipient that passes the checks reserves one message;
// available = stored availability − reserved by every open transaction of the account.
// At END-OF-MESSAGE the reservation turns into a charge in the store and is released here;
// transactions that never get there (RSET, QUIT, lost connections) are released by
// release() when their connection moves on, or by expire() after a bounded idle time.
// Thread-safety: none; owned by policyd's event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/clock.h"
#include "core/model/entities.h"

namespace sendpool {

struct OpenTransaction {
  AccountId account = 0;
  uint32_t reserved = 0;    // recipients holding a reservation
  uint32_t suppressed = 0;  // recipients accepted without a reservation (suppressed)
  TimePoint last_seen{};
};

class QuotaLedger {
 public:
  // The open transaction `instance`, or nullptr.
  OpenTransaction* find(const std::string& instance);

  // Opens (or returns) the transaction `instance` of `account`.
  OpenTransaction& open(const std::string& instance, AccountId account, TimePoint now);

  // Reserves one message for the transaction (which must be open).
  void reserve(const std::string& instance, TimePoint now);
  void note_suppressed(const std::string& instance, TimePoint now);

  // Messages reserved by all open transactions of `account`.
  uint64_t reserved(AccountId account) const;

  // Ends the transaction and releases what it reserved; returns its final state.
  std::optional<OpenTransaction> release(const std::string& instance);

  // Releases transactions idle for longer than `max_idle`; returns their instances.
  std::vector<std::string> expire(TimePoint now, std::chrono::seconds max_idle);

  size_t open_count() const { return open_.size(); }

 private:
  std::unordered_map<std::string, OpenTransaction> open_;
  std::unordered_map<AccountId, uint64_t> reserved_by_account_;
};

}  // namespace sendpool
