#include "core/model/quota_ledger.h"

namespace sendpool {

OpenTransaction* QuotaLedger::find(const std::string& instance) {
  auto it = open_.find(instance);
  return it == open_.end() ? nullptr : &it->second;
}

OpenTransaction& QuotaLedger::open(const std::string& instance, AccountId account, TimePoint now) {
  auto [it, inserted] = open_.try_emplace(instance);
  if (inserted) it->second.account = account;
  it->second.last_seen = now;
  return it->second;
}

void QuotaLedger::reserve(const std::string& instance, TimePoint now) {
  OpenTransaction& t = open_.at(instance);
  ++t.reserved;
  t.last_seen = now;
  ++reserved_by_account_[t.account];
}

void QuotaLedger::note_suppressed(const std::string& instance, TimePoint now) {
  OpenTransaction& t = open_.at(instance);
  ++t.suppressed;
  t.last_seen = now;
}

uint64_t QuotaLedger::reserved(AccountId account) const {
  auto it = reserved_by_account_.find(account);
  return it == reserved_by_account_.end() ? 0 : it->second;
}

std::optional<OpenTransaction> QuotaLedger::release(const std::string& instance) {
  auto it = open_.find(instance);
  if (it == open_.end()) return std::nullopt;
  OpenTransaction t = it->second;
  open_.erase(it);
  if (t.reserved > 0) {
    auto r = reserved_by_account_.find(t.account);
    r->second -= t.reserved;
    if (r->second == 0) reserved_by_account_.erase(r);
  }
  return t;
}

std::vector<std::string> QuotaLedger::expire(TimePoint now, std::chrono::seconds max_idle) {
  std::vector<std::string> stale;
  for (const auto& [instance, t] : open_)
    if (now - t.last_seen > max_idle) stale.push_back(instance);
  for (const auto& instance : stale)
    release(instance);
  return stale;
}

}  // namespace sendpool
