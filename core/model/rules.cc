#include "core/model/rules.h"

#include <fmt/format.h>

namespace sendpool {
namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

Error refused(std::string message) {
  return make_error(ErrorCode::kRefused, std::move(message));
}
Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

}  // namespace

Status check_name(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength)
    return invalid(fmt::format("{} name must be 1 to {} characters", what, kMaxNameLength));
  if (!is_lower_alnum(name.front()))
    return invalid(fmt::format("{} name must start with a lower-case letter or digit", what));
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-')
      return invalid(fmt::format("{} name may hold only a-z, 0-9, '.', '_' and '-'", what));
  }
  return ok_status();
}

Status check_username(std::string_view username) {
  if (username.empty() || username.size() > kMaxUsernameLength)
    return invalid(fmt::format("username must be 1 to {} characters", kMaxUsernameLength));
  for (char c : username) {
    if (c <= 0x20 || c >= 0x7f)
      return invalid("username may hold only printable ASCII without spaces");
  }
  if (username.front() == '@' || username.back() == '@' || username.front() == ':' ||
      username.back() == ':')
    return invalid("username must not start or end with '@' or ':'");
  return ok_status();
}

Status check_customer(const Customer& customer) {
  SENDPOOL_TRY(check_name("customer", customer.name));
  if (customer.max_accounts == 0 || customer.max_accounts > kMaxAccountsCeiling)
    return invalid(fmt::format("max accounts must be 1 to {}", kMaxAccountsCeiling));
  return ok_status();
}

Status check_plan(const Plan& plan) {
  SENDPOOL_TRY(check_name("plan", plan.name));
  if (plan.messages == 0) return invalid("a plan must allow at least one message");
  if (plan.kind == PlanKind::kPrepaid && plan.valid_days == 0)
    return invalid("a prepaid plan needs a validity of at least one day");
  return ok_status();
}

Status check_pool(const Pool& pool) {
  SENDPOOL_TRY(check_name("pool", pool.name));
  if (pool.min_score > 100) return invalid("a pool's minimum score must be 0 to 100");
  SENDPOOL_TRY(check_name("transport", pool.transport));
  if (pool.bind_ipv4.empty() && pool.bind_ipv6.empty())
    return invalid("a pool needs at least one bind address");
  if (pool.helo.empty()) return invalid("a pool needs a HELO name");
  return ok_status();
}

Status check_can_add_account(const Customer& customer, const CustomerAccounts& existing,
                             const Plan& plan) {
  if (existing.count >= customer.max_accounts)
    return refused(fmt::format("customer {} already has {} of its {} accounts", customer.name,
                               existing.count, customer.max_accounts));
  if (plan.kind == PlanKind::kFree && existing.on_free_plan > 0)
    return refused(fmt::format("customer {} already has an account on a free plan", customer.name));
  return ok_status();
}

Status check_can_change_plan(const Customer& customer, const CustomerAccounts& existing,
                             const Plan& from, const Plan& to) {
  if (to.kind == PlanKind::kFree && from.kind != PlanKind::kFree && existing.on_free_plan > 0)
    return refused(fmt::format("customer {} already has an account on a free plan", customer.name));
  return ok_status();
}

Status check_can_link_domain(const Account& account, size_t linked) {
  if (linked >= account.max_domains)
    return refused(fmt::format("account {} already has {} of its {} domains", account.username,
                               linked, account.max_domains));
  return ok_status();
}

std::optional<double> customer_reputation(const std::vector<std::optional<double>>& scores) {
  double sum = 0;
  size_t n = 0;
  for (const auto& s : scores) {
    if (!s) continue;
    sum += *s;
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / static_cast<double>(n);
}

}  // namespace sendpool
