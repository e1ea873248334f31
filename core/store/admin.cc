#include "core/store/admin.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/base/civil_time.h"
#include "core/crypto/dkim_record.h"
#include "core/model/billing.h"
#include "core/model/rules.h"
#include "core/proto/address.h"
#include "core/proto/cidr.h"
#include "core/proto/domain_name.h"
#include "core/store/tables.h"

namespace sendpool::admin {
namespace {

Error not_found(std::string message) {
  return make_error(ErrorCode::kNotFound, std::move(message));
}
Error exists(std::string message) {
  return make_error(ErrorCode::kAlreadyExists, std::move(message));
}
Error refused(std::string message) {
  return make_error(ErrorCode::kRefused, std::move(message));
}
Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

Result<Customer> require_customer(const ReadTxn& txn, std::string_view name) {
  SENDPOOL_ASSIGN_OR_RETURN(auto c, tables::get_customer(txn, name));
  if (!c) return not_found(fmt::format("no customer named {}", name));
  return *c;
}

Result<Plan> require_plan(const ReadTxn& txn, std::string_view name) {
  SENDPOOL_ASSIGN_OR_RETURN(auto p, tables::get_plan(txn, name));
  if (!p) return not_found(fmt::format("no plan named {}", name));
  return *p;
}

Result<Account> require_account(const ReadTxn& txn, std::string_view username) {
  SENDPOOL_ASSIGN_OR_RETURN(auto a, tables::get_account(txn, username));
  if (!a) return not_found(fmt::format("no account named {}", username));
  return *a;
}

Result<Domain> require_domain(const ReadTxn& txn, std::string_view name) {
  SENDPOOL_ASSIGN_OR_RETURN(auto d, tables::get_domain(txn, name));
  if (!d) return not_found(fmt::format("no domain named {}", name));
  return *d;
}

// Counts a customer's accounts and those of them on a free plan.
Result<CustomerAccounts> count_accounts(const ReadTxn& txn, std::string_view customer) {
  SENDPOOL_ASSIGN_OR_RETURN(auto accounts, tables::list_accounts(txn));
  CustomerAccounts out;
  for (const auto& a : accounts) {
    if (a.customer != customer) continue;
    ++out.count;
    SENDPOOL_ASSIGN_OR_RETURN(Plan plan, require_plan(txn, a.plan));
    if (plan.kind == PlanKind::kFree) ++out.on_free_plan;
  }
  return out;
}

// Free text an operator or a report attaches (suppression detail, status reason).
constexpr size_t kMaxDetailLength = 1000;

// Validates new keys against a domain's existing selectors and among themselves.
Status check_new_keys(const Domain& domain, const std::vector<DkimKey>& keys) {
  if (keys.empty()) return invalid("a domain needs at least one DKIM key");
  for (size_t i = 0; i < keys.size(); ++i) {
    const auto& k = keys[i];
    if (!is_valid_selector(k.selector))
      return invalid(fmt::format("\"{}\" is not a valid DKIM selector", k.selector));
    bool clash = std::any_of(domain.keys.begin(), domain.keys.end(),
                             [&](const DkimKey& old) { return old.selector == k.selector; }) ||
                 std::any_of(keys.begin(), keys.begin() + static_cast<long>(i),
                             [&](const DkimKey& other) { return other.selector == k.selector; });
    if (clash)
      return exists(
          fmt::format("domain {} already has a key with selector {}", domain.name, k.selector));
    if (k.private_key_pem.empty() || k.public_key_b64.empty())
      return invalid(fmt::format("key {} has no key material", k.selector));
  }
  return ok_status();
}

// Runs one catalogue change in a write transaction and bumps the catalogue generation with
// it, so daemons notice the change.
Status change(LmdbEnv& env, const std::function<Status(WriteTxn&)>& fn) {
  return env.write([&](WriteTxn& txn) -> Status {
    SENDPOOL_TRY(fn(txn));
    return tables::bump_catalog_generation(txn);
  });
}

}  // namespace

Status add_customer(LmdbEnv& env, Customer customer, const Clock& clock) {
  SENDPOOL_TRY(check_customer(customer));
  customer.created = clock.now();
  return change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto existing, tables::get_customer(txn, customer.name));
    if (existing) return exists(fmt::format("customer {} already exists", customer.name));
    return tables::put_customer(txn, customer);
  });
}

Status remove_customer(LmdbEnv& env, std::string_view name) {
  return change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(Customer c, require_customer(txn, name));
    SENDPOOL_ASSIGN_OR_RETURN(CustomerAccounts counts, count_accounts(txn, name));
    if (counts.count > 0)
      return refused(fmt::format("customer {} still has {} account(s)", c.name, counts.count));
    return tables::delete_customer(txn, name);
  });
}

Status add_plan(LmdbEnv& env, const Plan& plan) {
  SENDPOOL_TRY(check_plan(plan));
  return change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto existing, tables::get_plan(txn, plan.name));
    if (existing) return exists(fmt::format("plan {} already exists", plan.name));
    return tables::put_plan(txn, plan);
  });
}

Result<Account> add_account(LmdbEnv& env, const NewAccount& spec, const Clock& clock) {
  SENDPOOL_TRY(check_username(spec.username));
  if (spec.max_domains == 0) return invalid("an account needs room for at least one domain");
  Account account;
  SENDPOOL_TRY(change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto existing, tables::get_account(txn, spec.username));
    if (existing) return exists(fmt::format("account {} already exists", spec.username));
    SENDPOOL_ASSIGN_OR_RETURN(Customer customer, require_customer(txn, spec.customer));
    SENDPOOL_ASSIGN_OR_RETURN(Plan plan, require_plan(txn, spec.plan));
    SENDPOOL_ASSIGN_OR_RETURN(CustomerAccounts counts, count_accounts(txn, spec.customer));
    SENDPOOL_TRY(check_can_add_account(customer, counts, plan));

    account = Account{};
    SENDPOOL_ASSIGN_OR_RETURN(account.id, tables::next_account_id(txn));
    account.username = spec.username;
    account.password_hash = spec.password_hash;
    account.customer = customer.name;
    account.plan = plan.name;
    account.type = spec.type;
    account.max_domains = spec.max_domains;
    account.start = spec.start.value_or(day_of(clock.now()));
    account.created = clock.now();
    if (plan.kind == PlanKind::kPrepaid) {
      PrepaidPackage package = new_prepaid_package(plan, account.start);
      account.prepaid_remaining = package.remaining;
      account.prepaid_expires = package.expires;
    }
    return tables::put_account(txn, account);
  }));
  return account;
}

Status set_password_hash(LmdbEnv& env, std::string_view username, std::string hash) {
  return change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(Account account, require_account(txn, username));
    account.password_hash = hash;
    return tables::put_account(txn, account);
  });
}

Result<Account> update_account(LmdbEnv& env, std::string_view username,
                               const AccountChanges& changes, const Clock& clock) {
  // Validate what needs no store first, so bad input is reported before anything else.
  std::vector<std::string> allow, deny;
  for (const auto& text : changes.allow_ips) {
    SENDPOOL_ASSIGN_OR_RETURN(Cidr cidr, parse_cidr(text));
    allow.push_back(cidr.str());
  }
  for (const auto& text : changes.deny_ips) {
    SENDPOOL_ASSIGN_OR_RETURN(Cidr cidr, parse_cidr(text));
    deny.push_back(cidr.str());
  }
  std::optional<std::string> bounce;
  if (changes.bounce_address) {
    bounce = std::string();
    if (!changes.bounce_address->empty()) {
      SENDPOOL_ASSIGN_OR_RETURN(*bounce, normalize_address(*changes.bounce_address));
    }
  }
  if (changes.max_domains && *changes.max_domains == 0)
    return invalid("an account needs room for at least one domain");
  if (changes.status_reason.size() > kMaxDetailLength)
    return invalid(fmt::format("a status reason is at most {} characters", kMaxDetailLength));

  Account account;
  SENDPOOL_TRY(change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(account, require_account(txn, username));
    if (changes.plan && *changes.plan != account.plan) {
      SENDPOOL_ASSIGN_OR_RETURN(Customer customer, require_customer(txn, account.customer));
      SENDPOOL_ASSIGN_OR_RETURN(Plan from, require_plan(txn, account.plan));
      SENDPOOL_ASSIGN_OR_RETURN(Plan to, require_plan(txn, *changes.plan));
      SENDPOOL_ASSIGN_OR_RETURN(CustomerAccounts counts, count_accounts(txn, account.customer));
      SENDPOOL_TRY(check_can_change_plan(customer, counts, from, to));
      account.plan = to.name;
      if (to.kind == PlanKind::kPrepaid && from.kind != PlanKind::kPrepaid) {
        PrepaidPackage package = new_prepaid_package(to, day_of(clock.now()));
        account.prepaid_remaining = package.remaining;
        account.prepaid_expires = package.expires;
      }
    }
    if (changes.status) {
      account.status = *changes.status;
      account.status_reason = changes.status_reason;
    }
    for (const auto& cidr : allow) {
      // An address range may open the door for one account only, or attribution is a guess.
      SENDPOOL_ASSIGN_OR_RETURN(auto all, tables::list_accounts(txn));
      for (const auto& other : all) {
        if (other.username == account.username) continue;
        for (const auto& r : other.allowed_ips) {
          auto a = parse_cidr(r.text), b = parse_cidr(cidr);
          if (a && b && (a->contains(b->network) || b->contains(a->network)))
            return refused(
                fmt::format("{} overlaps {} allowed for account {}", cidr, r.text, other.username));
        }
      }
      bool have = std::any_of(account.allowed_ips.begin(), account.allowed_ips.end(),
                              [&](const IpRange& r) { return r.text == cidr; });
      if (!have) account.allowed_ips.push_back(IpRange{cidr});
    }
    for (const auto& cidr : deny) {
      auto it = std::find_if(account.allowed_ips.begin(), account.allowed_ips.end(),
                             [&](const IpRange& r) { return r.text == cidr; });
      if (it == account.allowed_ips.end())
        return not_found(fmt::format("{} is not allowed for account {}", cidr, account.username));
      account.allowed_ips.erase(it);
    }
    if (bounce) account.bounce_address = *bounce;
    if (changes.max_domains) {
      SENDPOOL_ASSIGN_OR_RETURN(auto linked, tables::domains_of(txn, account.username));
      if (*changes.max_domains < linked.size())
        return refused(fmt::format("account {} has {} domains linked, more than {}",
                                   account.username, linked.size(), *changes.max_domains));
      account.max_domains = *changes.max_domains;
    }
    return tables::put_account(txn, account);
  }));
  return account;
}

Result<Account> top_up(LmdbEnv& env, std::string_view username, uint64_t messages,
                       std::optional<uint32_t> valid_days, const Clock& clock) {
  if (messages == 0) return invalid("a top-up must add at least one message");
  if (valid_days && *valid_days == 0) return invalid("a top-up must be valid at least one day");
  Account account;
  SENDPOOL_TRY(change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(account, require_account(txn, username));
    SENDPOOL_ASSIGN_OR_RETURN(Plan plan, require_plan(txn, account.plan));
    if (plan.kind != PlanKind::kPrepaid)
      return refused(fmt::format("account {} is on {} plan {}; only prepaid packages take top-ups",
                                 account.username, to_string(plan.kind), plan.name));
    PrepaidPackage package{account.prepaid_remaining,
                           account.prepaid_expires.value_or(account.start)};
    package = sendpool::top_up(package, messages, valid_days.value_or(plan.valid_days),
                               day_of(clock.now()));
    account.prepaid_remaining = package.remaining;
    account.prepaid_expires = package.expires;
    return tables::put_account(txn, account);
  }));
  return account;
}

Result<Domain> add_domain(LmdbEnv& env, std::string_view name, std::vector<DkimKey> keys,
                          const Clock& clock) {
  SENDPOOL_ASSIGN_OR_RETURN(std::string normalized, normalize_domain(name));
  Domain domain;
  domain.name = normalized;
  domain.created = clock.now();
  SENDPOOL_TRY(check_new_keys(domain, keys));
  for (auto& k : keys)
    k.active = true;
  domain.keys = std::move(keys);
  SENDPOOL_TRY(change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto existing, tables::get_domain(txn, domain.name));
    if (existing) return exists(fmt::format("domain {} already exists", domain.name));
    return tables::put_domain(txn, domain);
  }));
  return domain;
}

Result<Domain> rotate_domain(LmdbEnv& env, std::string_view name, std::vector<DkimKey> keys) {
  SENDPOOL_ASSIGN_OR_RETURN(std::string normalized, normalize_domain(name));
  Domain domain;
  SENDPOOL_TRY(change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(domain, require_domain(txn, normalized));
    SENDPOOL_TRY(check_new_keys(domain, keys));
    for (auto& old : domain.keys)
      old.active = false;
    for (auto& k : keys) {
      k.active = true;
      domain.keys.push_back(k);
    }
    return tables::put_domain(txn, domain);
  }));
  return domain;
}

Result<Domain> drop_key(LmdbEnv& env, std::string_view name, std::string_view selector) {
  SENDPOOL_ASSIGN_OR_RETURN(std::string normalized, normalize_domain(name));
  Domain domain;
  SENDPOOL_TRY(change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(domain, require_domain(txn, normalized));
    auto it = std::find_if(domain.keys.begin(), domain.keys.end(),
                           [&](const DkimKey& k) { return k.selector == selector; });
    if (it == domain.keys.end())
      return not_found(fmt::format("domain {} has no key with selector {}", domain.name, selector));
    if (it->active)
      return refused(fmt::format("key {} of {} still signs mail; rotate to a new key first",
                                 selector, domain.name));
    domain.keys.erase(it);
    return tables::put_domain(txn, domain);
  }));
  return domain;
}

Status remove_domain(LmdbEnv& env, std::string_view name) {
  SENDPOOL_ASSIGN_OR_RETURN(std::string normalized, normalize_domain(name));
  return change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_TRY(require_domain(txn, normalized));
    SENDPOOL_ASSIGN_OR_RETURN(auto accounts, tables::accounts_of(txn, normalized));
    if (!accounts.empty())
      return refused(fmt::format("domain {} is still linked to {} account(s): unlink it first",
                                 normalized, accounts.size()));
    return tables::delete_domain(txn, normalized);
  });
}

Status link_domain(LmdbEnv& env, std::string_view domain, std::string_view username) {
  SENDPOOL_ASSIGN_OR_RETURN(std::string normalized, normalize_domain(domain));
  return change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_TRY(require_domain(txn, normalized));
    SENDPOOL_ASSIGN_OR_RETURN(Account account, require_account(txn, username));
    SENDPOOL_ASSIGN_OR_RETURN(bool linked, tables::is_linked(txn, normalized, username));
    if (linked)
      return exists(fmt::format("domain {} is already linked to account {}", normalized, username));
    SENDPOOL_ASSIGN_OR_RETURN(auto current, tables::domains_of(txn, username));
    SENDPOOL_TRY(check_can_link_domain(account, current.size()));
    return tables::put_link(txn, normalized, username);
  });
}

Status unlink_domain(LmdbEnv& env, std::string_view domain, std::string_view username) {
  SENDPOOL_ASSIGN_OR_RETURN(std::string normalized, normalize_domain(domain));
  return change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(bool existed, tables::delete_link(txn, normalized, username));
    if (!existed)
      return not_found(fmt::format("domain {} is not linked to account {}", normalized, username));
    return ok_status();
  });
}

Status add_pool(LmdbEnv& env, Pool pool) {
  SENDPOOL_TRY(check_pool(pool));
  if (!pool.bind_ipv4.empty()) {
    auto ip = parse_ip(pool.bind_ipv4);
    if (!ip || ip->family != IpFamily::kIpv4)
      return invalid(fmt::format("{} is not an IPv4 address", pool.bind_ipv4));
  }
  if (!pool.bind_ipv6.empty()) {
    auto ip = parse_ip(pool.bind_ipv6);
    if (!ip || ip->family != IpFamily::kIpv6)
      return invalid(fmt::format("{} is not an IPv6 address", pool.bind_ipv6));
  }
  SENDPOOL_ASSIGN_OR_RETURN(pool.helo, normalize_domain(pool.helo));
  return change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto existing, tables::get_pool(txn, pool.name));
    if (existing) return exists(fmt::format("pool {} already exists", pool.name));
    SENDPOOL_ASSIGN_OR_RETURN(auto pools, tables::list_pools(txn));
    for (const auto& p : pools) {
      if (p.transport == pool.transport)
        return exists(fmt::format("pool {} already uses transport {}", p.name, pool.transport));
    }
    return tables::put_pool(txn, pool);
  });
}

Status remove_pool(LmdbEnv& env, std::string_view name) {
  return change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto pool, tables::get_pool(txn, name));
    if (!pool) return not_found(fmt::format("no pool named {}", name));
    SENDPOOL_ASSIGN_OR_RETURN(auto accounts, tables::list_accounts(txn));
    size_t users = static_cast<size_t>(std::count_if(
        accounts.begin(), accounts.end(), [&](const Account& a) { return a.pool == name; }));
    if (users > 0)
      return refused(fmt::format("pool {} still sends for {} account(s)", name, users));
    return tables::delete_pool(txn, name);
  });
}

Result<SuppressionScope> resolve_scope(const ReadTxn& txn, std::optional<std::string> username) {
  if (!username) return SuppressionScope{};
  SENDPOOL_ASSIGN_OR_RETURN(Account account, require_account(txn, *username));
  return SuppressionScope{account.id};
}

Result<size_t> add_suppressions(LmdbEnv& env, std::optional<std::string> username,
                                const std::vector<NewSuppression>& entries, const Clock& clock) {
  std::vector<SuppressionEntry> normalized;
  normalized.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].detail.size() > kMaxDetailLength)
      return invalid(
          fmt::format("entry {}: a detail is at most {} characters", i + 1, kMaxDetailLength));
    auto address = normalize_address(entries[i].address);
    if (!address)
      return invalid(entries.size() == 1
                         ? address.error().message
                         : fmt::format("entry {}: {}", i + 1, address.error().message));
    normalized.push_back(
        SuppressionEntry{*address, entries[i].reason, clock.now(), entries[i].detail});
  }
  size_t added = 0;
  SENDPOOL_TRY(change(env, [&](WriteTxn& txn) -> Status {
    added = 0;
    SENDPOOL_ASSIGN_OR_RETURN(SuppressionScope scope, resolve_scope(txn, username));
    for (const auto& e : normalized) {
      SENDPOOL_ASSIGN_OR_RETURN(auto existing, tables::get_suppression(txn, scope, e.address));
      if (!existing) ++added;
      SENDPOOL_TRY(tables::put_suppression(txn, scope, e));
    }
    return ok_status();
  }));
  return added;
}

Status remove_suppression(LmdbEnv& env, std::optional<std::string> username,
                          std::string_view address) {
  SENDPOOL_ASSIGN_OR_RETURN(std::string normalized, normalize_address(address));
  return change(env, [&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(SuppressionScope scope, resolve_scope(txn, username));
    SENDPOOL_ASSIGN_OR_RETURN(bool existed, tables::delete_suppression(txn, scope, normalized));
    if (!existed)
      return not_found(fmt::format("{} is not on the {} suppression list", normalized,
                                   username ? "account " + *username + "'s" : "platform-wide"));
    return ok_status();
  });
}

}  // namespace sendpool::admin
