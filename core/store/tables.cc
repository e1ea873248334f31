#include "core/store/tables.h"

#include <fmt/format.h>

#include "core/base/civil_time.h"
#include "core/store/codec.h"
#include "core/store/records.h"

namespace sendpool::tables {
namespace {

constexpr std::string_view kSchemaKey = "schema_version";
constexpr std::string_view kNextAccountIdKey = "next_account_id";
constexpr std::string_view kGenerationKey = "catalog_generation";
// Day numbers are stored offset so negative days still sort before positive ones.
constexpr int64_t kDayOffset = int64_t{1} << 31;

std::string be32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

std::string counter_key(AccountId id, Date day) {
  return be64(id) + be32(static_cast<uint32_t>(day_number(day) + kDayOffset));
}

Date day_of_counter_key(std::string_view key) {
  uint32_t v = 0;
  for (size_t i = 8; i < 12; ++i)
    v = (v << 8) | static_cast<uint8_t>(key[i]);
  return date_from_day_number(static_cast<int>(static_cast<int64_t>(v) - kDayOffset));
}

std::string pair_key(std::string_view a, std::string_view b) {
  std::string k(a);
  k.push_back('\0');
  k.append(b);
  return k;
}

Result<uint64_t> read_varint_record(std::string_view bytes, std::string_view what) {
  RecordReader r(bytes);
  uint64_t v = r.u64();
  if (!r.finished())
    return make_error(ErrorCode::kCorrupt, fmt::format("meta record {} is damaged", what));
  return v;
}

// Reads one record of a table and decodes it.
template <typename T, typename Decode>
Result<std::optional<T>> get_record(const ReadTxn& txn, Db db, std::string_view key,
                                    Decode decode) {
  SENDPOOL_ASSIGN_OR_RETURN(auto bytes, txn.get(db, key));
  if (!bytes) return std::optional<T>();
  SENDPOOL_ASSIGN_OR_RETURN(T value, decode(*bytes));
  return std::optional<T>(std::move(value));
}

// Decodes every record of a table, in key order.
template <typename T, typename Decode>
Result<std::vector<T>> list_records(const ReadTxn& txn, Db db, Decode decode) {
  std::vector<T> out;
  std::optional<Error> failure;
  SENDPOOL_TRY(txn.scan(db, {}, [&](std::string_view, std::string_view value) {
    auto decoded = decode(value);
    if (!decoded) {
      failure = decoded.error();
      return false;
    }
    out.push_back(std::move(decoded).value());
    return true;
  }));
  if (failure) return *failure;
  return out;
}

// The second half of "a \0 b" keys under prefix "a \0".
Result<std::vector<std::string>> list_pairs(const ReadTxn& txn, Db db, std::string_view first) {
  std::vector<std::string> out;
  std::string prefix = pair_key(first, "");
  SENDPOOL_TRY(txn.scan(db, prefix, [&](std::string_view key, std::string_view) {
    out.emplace_back(key.substr(prefix.size()));
    return true;
  }));
  return out;
}

}  // namespace

Result<std::optional<uint32_t>> schema_version(const ReadTxn& txn) {
  SENDPOOL_ASSIGN_OR_RETURN(auto bytes, txn.get(Db::kMeta, kSchemaKey));
  if (!bytes) return std::optional<uint32_t>();
  SENDPOOL_ASSIGN_OR_RETURN(uint64_t v, read_varint_record(*bytes, kSchemaKey));
  // Truncating would turn an impossible version into a small one that passes the check.
  if (v > UINT32_MAX)
    return make_error(ErrorCode::kCorrupt, fmt::format("meta record {} is damaged", kSchemaKey));
  return std::optional<uint32_t>(static_cast<uint32_t>(v));
}

Status set_schema_version(WriteTxn& txn, uint32_t version) {
  return txn.put(Db::kMeta, kSchemaKey, RecordWriter(kRecordVersion).u64(version).bytes());
}

Result<uint64_t> catalog_generation(const ReadTxn& txn) {
  SENDPOOL_ASSIGN_OR_RETURN(auto bytes, txn.get(Db::kMeta, kGenerationKey));
  if (!bytes) return uint64_t{0};
  return read_varint_record(*bytes, kGenerationKey);
}

Status bump_catalog_generation(WriteTxn& txn) {
  SENDPOOL_ASSIGN_OR_RETURN(uint64_t g, catalog_generation(txn));
  return txn.put(Db::kMeta, kGenerationKey, RecordWriter(kRecordVersion).u64(g + 1).bytes());
}

Result<AccountId> next_account_id(WriteTxn& txn) {
  SENDPOOL_ASSIGN_OR_RETURN(auto bytes, txn.get(Db::kMeta, kNextAccountIdKey));
  uint64_t next = 1;
  if (bytes) {
    SENDPOOL_ASSIGN_OR_RETURN(next, read_varint_record(*bytes, kNextAccountIdKey));
  }
  SENDPOOL_TRY(
      txn.put(Db::kMeta, kNextAccountIdKey, RecordWriter(kRecordVersion).u64(next + 1).bytes()));
  return next;
}

Result<std::optional<Customer>> get_customer(const ReadTxn& txn, std::string_view name) {
  return get_record<Customer>(txn, Db::kCustomers, name, decode_customer);
}
Result<std::vector<Customer>> list_customers(const ReadTxn& txn) {
  return list_records<Customer>(txn, Db::kCustomers, decode_customer);
}
Status put_customer(WriteTxn& txn, const Customer& v) {
  return txn.put(Db::kCustomers, v.name, encode(v));
}
Status delete_customer(WriteTxn& txn, std::string_view name) {
  SENDPOOL_TRY(txn.del(Db::kCustomers, name));
  return ok_status();
}

Result<std::optional<Plan>> get_plan(const ReadTxn& txn, std::string_view name) {
  return get_record<Plan>(txn, Db::kPlans, name, decode_plan);
}
Result<std::vector<Plan>> list_plans(const ReadTxn& txn) {
  return list_records<Plan>(txn, Db::kPlans, decode_plan);
}
Status put_plan(WriteTxn& txn, const Plan& v) {
  return txn.put(Db::kPlans, v.name, encode(v));
}

Result<std::optional<Account>> get_account(const ReadTxn& txn, std::string_view username) {
  return get_record<Account>(txn, Db::kAccounts, username, decode_account);
}
Result<std::optional<Account>> get_account_by_id(const ReadTxn& txn, AccountId id) {
  SENDPOOL_ASSIGN_OR_RETURN(auto username, txn.get(Db::kAccountIds, be64(id)));
  if (!username) return std::optional<Account>();
  return get_account(txn, *username);
}
Result<std::vector<Account>> list_accounts(const ReadTxn& txn) {
  return list_records<Account>(txn, Db::kAccounts, decode_account);
}
Status put_account(WriteTxn& txn, const Account& v) {
  SENDPOOL_TRY(txn.put(Db::kAccounts, v.username, encode(v)));
  return txn.put(Db::kAccountIds, be64(v.id), v.username);
}

Result<std::optional<Domain>> get_domain(const ReadTxn& txn, std::string_view name) {
  return get_record<Domain>(txn, Db::kDomains, name, decode_domain);
}
Result<std::vector<Domain>> list_domains(const ReadTxn& txn) {
  return list_records<Domain>(txn, Db::kDomains, decode_domain);
}
Status put_domain(WriteTxn& txn, const Domain& v) {
  return txn.put(Db::kDomains, v.name, encode(v));
}
Status delete_domain(WriteTxn& txn, std::string_view name) {
  SENDPOOL_TRY(txn.del(Db::kDomains, name));
  return ok_status();
}

Result<bool> is_linked(const ReadTxn& txn, std::string_view domain, std::string_view username) {
  SENDPOOL_ASSIGN_OR_RETURN(auto v, txn.get(Db::kLinks, pair_key(domain, username)));
  return v.has_value();
}
Result<std::vector<std::string>> domains_of(const ReadTxn& txn, std::string_view username) {
  return list_pairs(txn, Db::kAccountLinks, username);
}
Result<std::vector<std::string>> accounts_of(const ReadTxn& txn, std::string_view domain) {
  return list_pairs(txn, Db::kLinks, domain);
}
Status put_link(WriteTxn& txn, std::string_view domain, std::string_view username) {
  SENDPOOL_TRY(txn.put(Db::kLinks, pair_key(domain, username), {}));
  return txn.put(Db::kAccountLinks, pair_key(username, domain), {});
}
Result<bool> delete_link(WriteTxn& txn, std::string_view domain, std::string_view username) {
  SENDPOOL_ASSIGN_OR_RETURN(bool existed, txn.del(Db::kLinks, pair_key(domain, username)));
  SENDPOOL_TRY(txn.del(Db::kAccountLinks, pair_key(username, domain)));
  return existed;
}

Result<std::optional<Pool>> get_pool(const ReadTxn& txn, std::string_view name) {
  return get_record<Pool>(txn, Db::kPools, name, decode_pool);
}
Result<std::vector<Pool>> list_pools(const ReadTxn& txn) {
  return list_records<Pool>(txn, Db::kPools, decode_pool);
}
Status put_pool(WriteTxn& txn, const Pool& v) {
  return txn.put(Db::kPools, v.name, encode(v));
}
Status delete_pool(WriteTxn& txn, std::string_view name) {
  SENDPOOL_TRY(txn.del(Db::kPools, name));
  return ok_status();
}

uint64_t scope_key(const SuppressionScope& scope) {
  return scope.account.value_or(0);
}

Result<std::optional<SuppressionEntry>> get_suppression(const ReadTxn& txn,
                                                        const SuppressionScope& scope,
                                                        std::string_view address) {
  return get_record<SuppressionEntry>(
      txn, Db::kSuppression, be64(scope_key(scope)) + std::string(address), decode_suppression);
}

Status scan_suppression(const ReadTxn& txn, const SuppressionScope& scope,
                        const std::function<bool(const SuppressionEntry&)>& visit) {
  std::optional<Error> failure;
  SENDPOOL_TRY(txn.scan(Db::kSuppression, be64(scope_key(scope)),
                        [&](std::string_view, std::string_view value) {
                          auto entry = decode_suppression(value);
                          if (!entry) {
                            failure = entry.error();
                            return false;
                          }
                          return visit(*entry);
                        }));
  if (failure) return *failure;
  return ok_status();
}

Status put_suppression(WriteTxn& txn, const SuppressionScope& scope, const SuppressionEntry& v) {
  return txn.put(Db::kSuppression, be64(scope_key(scope)) + v.address, encode(v));
}

Result<bool> delete_suppression(WriteTxn& txn, const SuppressionScope& scope,
                                std::string_view address) {
  return txn.del(Db::kSuppression, be64(scope_key(scope)) + std::string(address));
}

Result<DayCounters> get_counters(const ReadTxn& txn, AccountId id, Date day) {
  SENDPOOL_ASSIGN_OR_RETURN(
      auto v, get_record<DayCounters>(txn, Db::kCounters, counter_key(id, day), decode_counters));
  return v.value_or(DayCounters{});
}

Status scan_counters(const ReadTxn& txn, AccountId id, Date from, Date to,
                     const std::function<void(Date, const DayCounters&)>& visit) {
  std::optional<Error> failure;
  std::string start = counter_key(id, from);
  std::string end = counter_key(id, to);
  SENDPOOL_TRY(txn.scan(
      Db::kCounters, be64(id),
      [&](std::string_view key, std::string_view value) {
        if (key >= end) return false;
        auto counters = decode_counters(value);
        if (!counters) {
          failure = counters.error();
          return false;
        }
        visit(day_of_counter_key(key), *counters);
        return true;
      },
      start));
  if (failure) return *failure;
  return ok_status();
}

Result<DayCounters> sum_counters(const ReadTxn& txn, AccountId id, Date from, Date to) {
  DayCounters total;
  SENDPOOL_TRY(scan_counters(txn, id, from, to, [&](Date, const DayCounters& c) { total += c; }));
  return total;
}

Status put_counters(WriteTxn& txn, AccountId id, Date day, const DayCounters& v) {
  return txn.put(Db::kCounters, counter_key(id, day), encode(v));
}

Result<std::optional<Reputation>> get_reputation(const ReadTxn& txn, AccountId id) {
  return get_record<Reputation>(txn, Db::kReputation, be64(id), decode_reputation);
}
Status put_reputation(WriteTxn& txn, AccountId id, const Reputation& v) {
  return txn.put(Db::kReputation, be64(id), encode(v));
}

}  // namespace sendpool::tables
