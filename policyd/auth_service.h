// AuthService: SMTP AUTH logins checked against the accounts' stored password hashes.
//
// A login succeeds when the account exists, is not disabled, and the password verifies
// (argon2id). Verification runs on a small worker pool, never on the event loop, and verified
// logins are cached (CredentialCache). Unknown users cost a full verification against a dummy
// hash too, so response time does not tell whether a user exists.
// Security: passwords arrive from Postfix (from the SMTP client); they are never logged.
// Thread-safety: verify() on the event loop thread; completions run there too.
#pragma once

#include <boost/asio.hpp>
#include <functional>
#include <optional>
#include <string>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/store/lmdb_env.h"
#include "policyd/credential_cache.h"

namespace sendpool::policyd {

inline constexpr size_t kPasswordHashThreads = 2;

class AuthService {
 public:
  // Receives the account name on success, nullopt on failure.
  using Done = std::function<void(std::optional<std::string> username)>;

  AuthService(LmdbEnv& env, boost::asio::io_context& io, const Clock& clock, const Logger& log);
  ~AuthService();

  void verify(std::string user, std::string password, std::string client, Done done);

  uint64_t cache_hits() const { return cache_hits_; }
  uint64_t full_verifications() const { return full_verifications_; }

 private:
  LmdbEnv& env_;
  boost::asio::io_context& io_;
  const Clock& clock_;
  const Logger& log_;
  CredentialCache cache_;
  std::string dummy_hash_;
  boost::asio::thread_pool hashers_{kPasswordHashThreads};
  uint64_t cache_hits_ = 0;
  uint64_t full_verifications_ = 0;
};

}  // namespace sendpool::policyd
