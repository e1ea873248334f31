// AccountDirectory: finds the account a policy request, a route lookup or a login is about.
//
// By username it is one store lookup. By client address (sending without SMTP AUTH) it uses
// an index of every account's allowed CIDRs, rebuilt only when the catalogue generation in the
// store changes (sendpoolctl bumps it on every change), so the common path costs one read.
// Thread-safety: any thread (the address index is guarded by a mutex; the milter calls it
// from libmilter's worker threads).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/model/entities.h"
#include "core/proto/cidr.h"
#include "core/store/lmdb_env.h"

namespace sendpool {

class AccountDirectory {
 public:
  // The account named `username`; nullopt when there is none.
  Result<std::optional<Account>> by_username(const ReadTxn& txn, std::string_view username);

  // The account whose allowed addresses contain `client_address`; nullopt when none does.
  Result<std::optional<Account>> by_client_address(const ReadTxn& txn,
                                                   std::string_view client_address);

 private:
  Status refresh(const ReadTxn& txn);

  std::mutex mutex_;
  std::optional<uint64_t> generation_;
  std::vector<std::pair<Cidr, std::string>> ranges_;  // CIDR -> username
};

}  // namespace sendpool
