// Catalogue operations: every change an operator makes, each in one write transaction.
//
// Each operation reads what the model's rules need, checks them (core/model/rules.h), and
// writes only when every check passed, so a refused or invalid operation leaves the store
// unchanged. Inputs are validated and normalised here (names, domains, addresses, CIDRs), not
// in the CLI, so every program that changes the catalogue gets the same rules.
// Thread-safety: any thread; LMDB serialises the writes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/base/result.h"
#include "core/model/entities.h"
#include "core/store/lmdb_env.h"

namespace sendpool::admin {

Status add_customer(LmdbEnv& env, Customer customer, const Clock& clock);
// Refused while the customer still has accounts.
Status remove_customer(LmdbEnv& env, std::string_view name);

Status add_plan(LmdbEnv& env, const Plan& plan);

struct NewAccount {
  std::string username;
  std::string password_hash;  // already hashed; empty = no password login yet
  std::string customer;
  std::string plan;
  AccountType type = AccountType::kTransactional;
  uint32_t max_domains = 10;
  std::optional<Date> start;  // default: today
};
Result<Account> add_account(LmdbEnv& env, const NewAccount& spec, const Clock& clock);

Status set_password_hash(LmdbEnv& env, std::string_view username, std::string hash);

struct AccountChanges {
  std::optional<AccountStatus> status;
  std::string status_reason;
  std::optional<std::string> plan;
  std::vector<std::string> allow_ips;         // CIDRs to add
  std::vector<std::string> deny_ips;          // CIDRs to remove
  std::optional<std::string> bounce_address;  // empty string clears it
  std::optional<uint32_t> max_domains;
};
Result<Account> update_account(LmdbEnv& env, std::string_view username,
                               const AccountChanges& changes, const Clock& clock);

// Adds `messages` to a prepaid account's package, valid `valid_days` (default: the plan's).
Result<Account> top_up(LmdbEnv& env, std::string_view username, uint64_t messages,
                       std::optional<uint32_t> valid_days, const Clock& clock);

// Adds a domain with its first keys. The name is normalised; selectors must be unique.
Result<Domain> add_domain(LmdbEnv& env, std::string_view name, std::vector<DkimKey> keys,
                          const Clock& clock);
// Rotation: the new keys sign from now on; the old ones stay published (inactive) until
// drop_key removes them.
Result<Domain> rotate_domain(LmdbEnv& env, std::string_view name, std::vector<DkimKey> keys);
Result<Domain> drop_key(LmdbEnv& env, std::string_view name, std::string_view selector);
// Refused while the domain is linked to any account.
Status remove_domain(LmdbEnv& env, std::string_view name);

Status link_domain(LmdbEnv& env, std::string_view domain, std::string_view username);
Status unlink_domain(LmdbEnv& env, std::string_view domain, std::string_view username);

Status add_pool(LmdbEnv& env, Pool pool);
// Refused while an account is assigned to the pool.
Status remove_pool(LmdbEnv& env, std::string_view name);

// The scope an operator names: an account's list or the platform-wide one.
Result<SuppressionScope> resolve_scope(const ReadTxn& txn, std::optional<std::string> username);

struct NewSuppression {
  std::string address;  // as typed; normalised here
  SuppressionReason reason = SuppressionReason::kManual;
  std::string detail;
};
// Adds (or replaces) entries, all or none: any invalid address refuses the whole batch with
// the first problem. Returns how many entries were new.
Result<size_t> add_suppressions(LmdbEnv& env, std::optional<std::string> username,
                                const std::vector<NewSuppression>& entries, const Clock& clock);
Status remove_suppression(LmdbEnv& env, std::optional<std::string> username,
                          std::string_view address);

}  // namespace sendpool::admin
