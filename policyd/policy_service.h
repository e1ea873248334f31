// PolicyService: the decisions of the policy listener (Postfix policy delegation).
//
// At RCPT: find the account (sasl_username, else the client address), check its status, then
// either note a suppressed recipient (accepted, nothing reserved: the milter drops it) or
// check the plan's limits and reserve one message for the transaction (QuotaLedger). At
// END-OF-MESSAGE: charge the reserved recipients and count the suppressed ones through the
// ChargeWriter, and answer only once that is committed. Anything the store cannot answer is a
// temporary failure (451 4.3.0): never accept mail we cannot account for.
// Transactions are keyed by Postfix's `instance`. Reservations of transactions that end
// without END-OF-MESSAGE are released when their connection starts another transaction or
// closes, and in any case after kTransactionTimeout.
// Thread-safety: event loop thread only.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/model/quota_ledger.h"
#include "core/model/rate_window.h"
#include "core/proto/policy_protocol.h"
#include "core/store/account_directory.h"
#include "core/store/lmdb_env.h"
#include "policyd/charge_writer.h"

namespace sendpool::policyd {

// Longest a transaction may hold reservations without reaching END-OF-MESSAGE. Postfix's own
// limits (smtpd_timeout 300s per command, a DATA phase bounded by message size) end real
// transactions well within it.
inline constexpr std::chrono::seconds kTransactionTimeout{30 * 60};

class PolicyService {
 public:
  using Reply = std::function<void(const std::string& action)>;

  PolicyService(LmdbEnv& env, ChargeWriter& writer, const Clock& clock, const Logger& log);

  // Decides `request`; `reply` gets the action, at once or (END-OF-MESSAGE) after the commit.
  void handle(const PolicyRequest& request, Reply reply);

  // The transaction `instance` will not continue (its connection moved on or closed).
  void abandon(const std::string& instance);

  // Releases transactions idle beyond kTransactionTimeout; returns how many.
  size_t expire_stale();

  const QuotaLedger& ledger() const { return ledger_; }

 private:
  std::string on_recipient(const PolicyRequest& request);
  void on_end_of_message(const PolicyRequest& request, Reply reply);
  Result<std::optional<Account>> find_account(const ReadTxn& txn, const PolicyRequest& request);
  std::string temporary_failure(const Error& error, const PolicyRequest& request);

  LmdbEnv& env_;
  ChargeWriter& writer_;
  const Clock& clock_;
  const Logger& log_;
  AccountDirectory directory_;
  QuotaLedger ledger_;
  HourlyWindow window_;
};

}  // namespace sendpool::policyd
