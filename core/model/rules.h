// The rules of the catalogue: what may be added, linked or changed, as pure checks.
//
// Each check takes the facts it needs (counts, the records involved) and returns a Status
// whose message an operator can act on. The store's admin operations gather the facts inside
// one write transaction and call these before writing, so a refused operation changes nothing.
// Thread-safety: pure.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "core/base/result.h"
#include "core/model/entities.h"

namespace sendpool {

// Limits on names an operator types (customer, plan, pool, account usernames).
inline constexpr size_t kMaxNameLength = 64;
inline constexpr size_t kMaxUsernameLength = 128;
inline constexpr uint32_t kMaxAccountsCeiling = 100000;

// Customer, plan and pool names: 1..64 of [a-z0-9._-], starting with a letter or digit.
Status check_name(std::string_view what, std::string_view name);

// Account usernames (the SMTP AUTH login): 1..128 printable ASCII, no spaces, no ':' or '@'
// at the ends; an e-mail-like "app@example.com" is allowed.
Status check_username(std::string_view username);

Status check_customer(const Customer& customer);
Status check_plan(const Plan& plan);
Status check_pool(const Pool& pool);

// Facts about a customer's accounts, as the store counts them.
struct CustomerAccounts {
  size_t count = 0;
  size_t on_free_plan = 0;
};

// A new account for `customer`: refused beyond its maximum, or when it would be the
// customer's second account on a free plan.
Status check_can_add_account(const Customer& customer, const CustomerAccounts& existing,
                             const Plan& plan);

// An existing account of `customer` moving from plan `from` to plan `to`.
Status check_can_change_plan(const Customer& customer, const CustomerAccounts& existing,
                             const Plan& from, const Plan& to);

// Linking one more domain to `account` that already has `linked` domains.
Status check_can_link_domain(const Account& account, size_t linked);

// Customer reputation: the average of its accounts' scores, leaving out accounts without a
// score yet; nullopt when no account has one.
std::optional<double> customer_reputation(const std::vector<std::optional<double>>& scores);

}  // namespace sendpool
