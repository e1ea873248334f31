// PolicyConnection: one Postfix policy delegation connection (many requests, one at a time).
//
// Requests are answered in order; an END-OF-MESSAGE answer may wait for its charge to be
// committed, and later requests wait behind it. When the connection starts a new transaction
// (a new `instance`) or closes, the transaction it was in is abandoned, which releases any
// reservation it still holds.
// Security: see Connection; the parser bounds line length, attributes and request size.
// Thread-safety: event loop thread only.
#pragma once

#include <deque>

#include "core/proto/policy_protocol.h"
#include "policyd/connection.h"
#include "policyd/policy_service.h"

namespace sendpool::policyd {

// Requests received but not answered yet; Postfix sends one at a time, so more is garbage.
inline constexpr size_t kMaxQueuedPolicyRequests = 16;

class PolicyConnection final : public Connection {
 public:
  PolicyConnection(std::unique_ptr<ByteStream> stream, ConnectionSlot slot, const Logger& log,
                   PolicyService& service);

 private:
  Status on_data(std::string_view bytes) override;
  void on_close() override;
  void answer_next();

  PolicyService& service_;
  PolicyParser parser_;
  std::deque<PolicyRequest> queue_;
  bool busy_ = false;
  std::string instance_;  // the transaction this connection is in
};

}  // namespace sendpool::policyd
