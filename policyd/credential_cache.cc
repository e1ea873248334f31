#include "policyd/credential_cache.h"

#include "core/crypto/hmac.h"

namespace sendpool::policyd {

CredentialCache::CredentialCache(std::string key, size_t capacity, std::chrono::seconds ttl)
    : key_(std::move(key)), capacity_(capacity), ttl_(ttl) {}

std::string CredentialCache::cache_key(std::string_view user, std::string_view password) const {
  std::string material(user);
  material.push_back('\0');
  material.append(password);
  return hmac_sha256(key_, material);
}

bool CredentialCache::hit(std::string_view user, std::string_view password,
                          std::string_view stored_hash, TimePoint now) const {
  auto it = entries_.find(cache_key(user, password));
  return it != entries_.end() && it->second.expires > now && it->second.stored_hash == stored_hash;
}

void CredentialCache::remember(std::string_view user, std::string_view password,
                               std::string stored_hash, TimePoint now) {
  std::string k = cache_key(user, password);
  auto [it, inserted] = entries_.insert_or_assign(k, Entry{std::move(stored_hash), now + ttl_});
  if (inserted) order_.push_back(k);
  while (entries_.size() > capacity_ && !order_.empty()) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  // Keys of entries replaced in place stay in order_ once; trim the deque if it drifts.
  if (order_.size() > 2 * capacity_) {
    std::deque<std::string> live;
    for (auto& key : order_)
      if (entries_.count(key)) live.push_back(std::move(key));
    order_ = std::move(live);
  }
}

}  // namespace sendpool::policyd
