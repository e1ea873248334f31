#include "core/store/account_directory.h"

#include "core/store/tables.h"

namespace sendpool {

Result<std::optional<Account>> AccountDirectory::by_username(const ReadTxn& txn,
                                                             std::string_view username) {
  if (username.empty()) return std::optional<Account>();
  return tables::get_account(txn, username);
}

Result<std::optional<Account>> AccountDirectory::by_client_address(
    const ReadTxn& txn, std::string_view client_address) {
  auto ip = parse_ip(client_address);
  if (!ip) return std::optional<Account>();
  std::string found;
  {
    std::lock_guard lock(mutex_);
    SENDPOOL_TRY(refresh(txn));
    for (const auto& [cidr, username] : ranges_)
      if (cidr.contains(*ip)) {
        found = username;
        break;
      }
  }
  if (found.empty()) return std::optional<Account>();
  return tables::get_account(txn, found);
}

Status AccountDirectory::refresh(const ReadTxn& txn) {
  SENDPOOL_ASSIGN_OR_RETURN(uint64_t generation, tables::catalog_generation(txn));
  if (generation_ == generation) return ok_status();
  SENDPOOL_ASSIGN_OR_RETURN(auto accounts, tables::list_accounts(txn));
  ranges_.clear();
  for (const auto& a : accounts)
    for (const auto& r : a.allowed_ips)
      if (auto cidr = parse_cidr(r.text)) ranges_.emplace_back(*cidr, a.username);
  generation_ = generation;
  return ok_status();
}

}  // namespace sendpool
