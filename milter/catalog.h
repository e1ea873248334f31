// Catalog: what the milter reads from the store, behind an interface so Session can be
// tested with any store contents; StoreCatalog is the LMDB implementation.
//
// Every call is one short read transaction (never held across libmilter callbacks). Domain
// keys are cached per catalogue generation, so a rotation (which bumps the generation) is
// picked up by the next message without a restart.
// Thread-safety: StoreCatalog may be called from any libmilter worker thread.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/model/entities.h"
#include "core/store/account_directory.h"
#include "core/store/lmdb_env.h"
#include "milter/signer.h"

namespace sendpool::milter {

class Catalog {
 public:
  virtual ~Catalog() = default;
  virtual Result<std::optional<Account>> account_by_username(std::string_view username) = 0;
  virtual Result<std::optional<Account>> account_by_client(std::string_view client_address) = 0;
  virtual Result<bool> domain_linked(std::string_view domain, std::string_view username) = 0;
  // On the account's own list or the platform-wide one.
  virtual Result<bool> suppressed(const Account& account, std::string_view address) = 0;
  // The keys that sign for `domain` now (active ones); empty when the domain has none.
  virtual Result<std::vector<SigningKey>> signing_keys(std::string_view domain) = 0;
};

class StoreCatalog final : public Catalog {
 public:
  explicit StoreCatalog(LmdbEnv& env) : env_(env) {}

  Result<std::optional<Account>> account_by_username(std::string_view username) override;
  Result<std::optional<Account>> account_by_client(std::string_view client_address) override;
  Result<bool> domain_linked(std::string_view domain, std::string_view username) override;
  Result<bool> suppressed(const Account& account, std::string_view address) override;
  Result<std::vector<SigningKey>> signing_keys(std::string_view domain) override;

 private:
  LmdbEnv& env_;
  AccountDirectory directory_;
  std::mutex keys_mutex_;
  uint64_t keys_generation_ = ~uint64_t{0};
  std::map<std::string, std::vector<SigningKey>, std::less<>> keys_;
};

}  // namespace sendpool::milter
