// Typed access to the store's tables inside a transaction.
//
// Keys (values are the records of records.h):
//   meta           "schema_version", "next_account_id", "catalog_generation" -> varint
//   customers      name -> Customer          plans     name -> Plan
//   accounts       username -> Account       account_ids  be64(id) -> username
//   domains        name -> Domain            pools     name -> Pool
//   links          domain \0 username -> ""  account_links  username \0 domain -> ""
//   suppression    be64(scope) address -> SuppressionEntry   (scope 0 = platform-wide)
//   counters       be64(account id) be32(day) -> DayCounters
//   reputation     be64(account id) -> Reputation
//   charges        queue ID -> Charge (accounting.h)
//   state          a program's name -> its own record (e.g. the outcome follower's position)
//   pool_moves     be64(account id) be64(time) -> a pool move (reputation issue)
//   events         event id -> time applied (idempotent engagement imports)
// Lookups return nullopt for absence; a record that does not decode is an error.
// Thread-safety: as the transaction passed in (one thread at a time).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/base/result.h"
#include "core/model/entities.h"
#include "core/store/lmdb_env.h"

namespace sendpool::tables {

inline constexpr uint32_t kSchemaVersion = 1;

Result<std::optional<uint32_t>> schema_version(const ReadTxn& txn);
Status set_schema_version(WriteTxn& txn, uint32_t version);
// A counter bumped by every catalogue change (sendpoolctl), so long-running daemons can tell
// cheaply when to rebuild what they derive from the catalogue (address-range index, keys).
Result<uint64_t> catalog_generation(const ReadTxn& txn);
Status bump_catalog_generation(WriteTxn& txn);
// Hands out the next account id (ids start at 1; 0 is the platform-wide suppression scope).
Result<AccountId> next_account_id(WriteTxn& txn);

Result<std::optional<Customer>> get_customer(const ReadTxn& txn, std::string_view name);
Result<std::vector<Customer>> list_customers(const ReadTxn& txn);
Status put_customer(WriteTxn& txn, const Customer& v);
Status delete_customer(WriteTxn& txn, std::string_view name);

Result<std::optional<Plan>> get_plan(const ReadTxn& txn, std::string_view name);
Result<std::vector<Plan>> list_plans(const ReadTxn& txn);
Status put_plan(WriteTxn& txn, const Plan& v);

Result<std::optional<Account>> get_account(const ReadTxn& txn, std::string_view username);
Result<std::optional<Account>> get_account_by_id(const ReadTxn& txn, AccountId id);
Result<std::vector<Account>> list_accounts(const ReadTxn& txn);
// Writes the account and its id index.
Status put_account(WriteTxn& txn, const Account& v);

Result<std::optional<Domain>> get_domain(const ReadTxn& txn, std::string_view name);
Result<std::vector<Domain>> list_domains(const ReadTxn& txn);
Status put_domain(WriteTxn& txn, const Domain& v);
Status delete_domain(WriteTxn& txn, std::string_view name);

// Links between domains and accounts, kept in both directions.
Result<bool> is_linked(const ReadTxn& txn, std::string_view domain, std::string_view username);
Result<std::vector<std::string>> domains_of(const ReadTxn& txn, std::string_view username);
Result<std::vector<std::string>> accounts_of(const ReadTxn& txn, std::string_view domain);
Status put_link(WriteTxn& txn, std::string_view domain, std::string_view username);
Result<bool> delete_link(WriteTxn& txn, std::string_view domain, std::string_view username);

Result<std::optional<Pool>> get_pool(const ReadTxn& txn, std::string_view name);
Result<std::vector<Pool>> list_pools(const ReadTxn& txn);
Status put_pool(WriteTxn& txn, const Pool& v);
Status delete_pool(WriteTxn& txn, std::string_view name);

// Suppression scope key: an account id, or 0 for the platform-wide list.
uint64_t scope_key(const SuppressionScope& scope);
Result<std::optional<SuppressionEntry>> get_suppression(const ReadTxn& txn,
                                                        const SuppressionScope& scope,
                                                        std::string_view address);
// Visits the scope's entries in address order until `visit` returns false.
Status scan_suppression(const ReadTxn& txn, const SuppressionScope& scope,
                        const std::function<bool(const SuppressionEntry&)>& visit);
Status put_suppression(WriteTxn& txn, const SuppressionScope& scope, const SuppressionEntry& v);
Result<bool> delete_suppression(WriteTxn& txn, const SuppressionScope& scope,
                                std::string_view address);

Result<DayCounters> get_counters(const ReadTxn& txn, AccountId id, Date day);
// Sums the counters of days in [from, to).
Result<DayCounters> sum_counters(const ReadTxn& txn, AccountId id, Date from, Date to);
// Visits each stored day in [from, to) in order.
Status scan_counters(const ReadTxn& txn, AccountId id, Date from, Date to,
                     const std::function<void(Date, const DayCounters&)>& visit);
Status put_counters(WriteTxn& txn, AccountId id, Date day, const DayCounters& v);

Result<std::optional<Reputation>> get_reputation(const ReadTxn& txn, AccountId id);
Status put_reputation(WriteTxn& txn, AccountId id, const Reputation& v);

}  // namespace sendpool::tables
