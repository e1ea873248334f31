#include "core/model/entities.h"

#include <array>
#include <utility>

namespace sendpool {
namespace {

template <typename E, size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<PlanKind, 3> kPlanKinds{
    {{PlanKind::kFree, "free"}, {PlanKind::kMonthly, "monthly"}, {PlanKind::kPrepaid, "prepaid"}}};
constexpr Names<AccountType, 2> kAccountTypes{
    {{AccountType::kTransactional, "transactional"}, {AccountType::kPromotional, "promotional"}}};
constexpr Names<AccountStatus, 4> kAccountStatuses{
    {{AccountStatus::kEnabled, "enabled"},
     {AccountStatus::kDisabled, "disabled"},
     {AccountStatus::kPendingPayment, "pending-payment"},
     {AccountStatus::kPaused, "paused"}}};
constexpr Names<SuppressionReason, 4> kReasons{{{SuppressionReason::kBounce, "bounce"},
                                                {SuppressionReason::kComplaint, "complaint"},
                                                {SuppressionReason::kUnsubscribe, "unsubscribe"},
                                                {SuppressionReason::kManual, "manual"}}};
constexpr Names<KeyType, 2> kKeyTypes{{{KeyType::kRsa, "rsa"}, {KeyType::kEd25519, "ed25519"}}};

template <typename E, size_t N>
std::string_view name_of(const Names<E, N>& names, E v) {
  for (const auto& [e, n] : names)
    if (e == v) return n;
  return "?";
}

template <typename E, size_t N>
std::optional<E> parse_name(const Names<E, N>& names, std::string_view text) {
  for (const auto& [e, n] : names)
    if (n == text) return e;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(PlanKind v) {
  return name_of(kPlanKinds, v);
}
std::string_view to_string(AccountType v) {
  return name_of(kAccountTypes, v);
}
std::string_view to_string(AccountStatus v) {
  return name_of(kAccountStatuses, v);
}
std::string_view to_string(SuppressionReason v) {
  return name_of(kReasons, v);
}
std::string_view to_string(KeyType v) {
  return name_of(kKeyTypes, v);
}
std::optional<PlanKind> parse_plan_kind(std::string_view t) {
  return parse_name(kPlanKinds, t);
}
std::optional<AccountType> parse_account_type(std::string_view t) {
  return parse_name(kAccountTypes, t);
}
std::optional<AccountStatus> parse_account_status(std::string_view t) {
  return parse_name(kAccountStatuses, t);
}
std::optional<SuppressionReason> parse_suppression_reason(std::string_view t) {
  return parse_name(kReasons, t);
}
std::optional<KeyType> parse_key_type(std::string_view t) {
  return parse_name(kKeyTypes, t);
}

DayCounters& DayCounters::operator+=(const DayCounters& o) {
  accepted += o.accepted;
  enqueued += o.enqueued;
  delivered += o.delivered;
  bounced += o.bounced;
  suppressed += o.suppressed;
  complaints += o.complaints;
  unsubscribes += o.unsubscribes;
  opens += o.opens;
  clicks += o.clicks;
  return *this;
}

}  // namespace sendpool
