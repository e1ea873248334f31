#include "milter/catalog.h"

#include "core/proto/address.h"
#include "core/store/tables.h"

namespace sendpool::milter {
namespace {

constexpr uint64_t kNoGeneration = ~uint64_t{0};

}  // namespace

Result<std::optional<Account>> StoreCatalog::account_by_username(std::string_view username) {
  std::optional<Account> out;
  SENDPOOL_TRY(env_.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(out, directory_.by_username(txn, username));
    return ok_status();
  }));
  return out;
}

Result<std::optional<Account>> StoreCatalog::account_by_client(std::string_view client_address) {
  std::optional<Account> out;
  SENDPOOL_TRY(env_.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(out, directory_.by_client_address(txn, client_address));
    return ok_status();
  }));
  return out;
}

Result<bool> StoreCatalog::domain_linked(std::string_view domain, std::string_view username) {
  bool linked = false;
  SENDPOOL_TRY(env_.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(linked, tables::is_linked(txn, domain, username));
    return ok_status();
  }));
  return linked;
}

Result<bool> StoreCatalog::suppressed(const Account& account, std::string_view address) {
  auto normalized = normalize_address(address);
  if (!normalized) return false;
  bool found = false;
  SENDPOOL_TRY(env_.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(
        auto own, tables::get_suppression(txn, SuppressionScope{account.id}, *normalized));
    if (own) {
      found = true;
      return ok_status();
    }
    SENDPOOL_ASSIGN_OR_RETURN(auto global,
                              tables::get_suppression(txn, SuppressionScope{}, *normalized));
    found = global.has_value();
    return ok_status();
  }));
  return found;
}

Result<std::vector<SigningKey>> StoreCatalog::signing_keys(std::string_view domain) {
  uint64_t generation = 0;
  std::optional<std::vector<SigningKey>> cached;
  std::optional<Domain> record;
  SENDPOOL_TRY(env_.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(generation, tables::catalog_generation(txn));
    {
      std::lock_guard lock(keys_mutex_);
      if (generation == keys_generation_) {
        auto it = keys_.find(domain);
        if (it != keys_.end()) {
          cached = it->second;
          return ok_status();
        }
      }
    }
    SENDPOOL_ASSIGN_OR_RETURN(record, tables::get_domain(txn, domain));
    return ok_status();
  }));
  if (cached) return *std::move(cached);
  std::vector<SigningKey> keys;
  if (record) {
    for (const auto& k : record->keys)
      if (k.active) keys.push_back(SigningKey{record->name, k.selector, k.type, k.private_key_pem});
  }
  std::lock_guard lock(keys_mutex_);
  // Only a newer generation replaces the cache: a thread that read an older snapshot must
  // not roll it back (it still answers from what it read).
  if (keys_generation_ == kNoGeneration || generation > keys_generation_) {
    keys_.clear();  // something changed in the catalogue (e.g. a rotation): reload lazily
    keys_generation_ = generation;
  }
  if (record && generation == keys_generation_) keys_.insert_or_assign(std::string(domain), keys);
  return keys;
}

}  // namespace sendpool::milter
