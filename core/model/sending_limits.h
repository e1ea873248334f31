// The policy decisions of one recipient and one message, as pure functions.
//
// policyd gathers the facts (account, plan, availability from the store, reservations and the
// hourly window from memory) and asks here whether the recipient may be accepted. Every
// refusal carries the SMTP reply Postfix gives the client, with a text that names the account
// and says what to do (DESIGN.md §5):
//   account unknown / not enabled          550 5.7.1
//   recipients per message exceeded        452 4.5.3 (the client sends the rest in a new message)
//   message larger than the plan allows    552 5.3.4
//   hourly limit reached                   450 4.7.1 with the time to retry
//   monthly allowance used up              452 4.7.1 with the reset date
//   prepaid package used up / expired      550 5.7.1 saying which
// Thread-safety: pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/base/clock.h"
#include "core/model/billing.h"
#include "core/model/entities.h"

namespace sendpool {

struct Verdict {
  bool accept = false;
  std::string reply;  // "550 5.7.1 …" when refused; empty when accepted

  static Verdict ok() { return Verdict{true, {}}; }
  static Verdict refuse(std::string reply) { return Verdict{false, std::move(reply)}; }
};

// An account may send at all: it exists and is enabled.
Verdict check_account_status(const Account& account);

struct RecipientFacts {
  const Account* account = nullptr;
  const Plan* plan = nullptr;
  Availability availability;                // from the store, before open reservations
  uint64_t reserved_open = 0;               // reserved by every open transaction of the account
  uint32_t reserved_in_message = 0;         // of those, by this transaction
  bool message_counted = false;             // this transaction already holds a reservation
  uint64_t messages_last_hour = 0;          // from the hourly window, this message not included
  std::optional<TimePoint> hourly_free_at;  // when the window has room again
  uint64_t declared_size = 0;               // SIZE= from MAIL FROM; 0 when not given
  TimePoint now{};
};

// May one more (not suppressed) recipient be accepted and reserved?
Verdict check_recipient(const RecipientFacts& facts);

// May a message of `size` bytes be accepted at END-OF-MESSAGE?
Verdict check_message_size(const Account& account, const Plan& plan, uint64_t size);

}  // namespace sendpool
