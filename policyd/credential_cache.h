// CredentialCache: logins verified recently, so a client that authenticates on every
// connection does not pay one slow password hash each.
//
// Entries are keyed by a keyed hash (HMAC under a per-process random key) of user and
// password, so the cache never holds a password or anything an attacker could test offline
// after a memory dump without that key. An entry remembers the stored password hash it was
// verified against: when the account's password changes, the stored hash differs and the
// entry no longer matches (the caller compares); disabling the account fails the login before
// the cache is asked. Bounded in size (oldest entries go first) and in age (TTL).
// Thread-safety: none; event loop thread only.
#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/base/clock.h"

namespace sendpool::policyd {

inline constexpr size_t kCredentialCacheSize = 10000;
inline constexpr std::chrono::seconds kCredentialCacheTtl{300};

class CredentialCache {
 public:
  // `key` is the HMAC key (random per process).
  explicit CredentialCache(std::string key, size_t capacity = kCredentialCacheSize,
                           std::chrono::seconds ttl = kCredentialCacheTtl);

  // True when user/password was verified against `stored_hash` within the TTL.
  bool hit(std::string_view user, std::string_view password, std::string_view stored_hash,
           TimePoint now) const;

  void remember(std::string_view user, std::string_view password, std::string stored_hash,
                TimePoint now);

  size_t size() const { return entries_.size(); }

 private:
  std::string cache_key(std::string_view user, std::string_view password) const;

  struct Entry {
    std::string stored_hash;
    TimePoint expires;
  };
  std::string key_;
  size_t capacity_;
  std::chrono::seconds ttl_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::string> order_;  // insertion order, for eviction
};

}  // namespace sendpool::policyd
