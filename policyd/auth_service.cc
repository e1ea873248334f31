#include "policyd/auth_service.h"

#include "core/crypto/hmac.h"
#include "core/crypto/password_hash.h"
#include "core/store/tables.h"

namespace sendpool::policyd {
namespace {

std::string random_key() {
  auto bytes = random_bytes(32);
  if (!bytes) std::abort();  // no randomness: nothing secure can run
  return *bytes;
}

}  // namespace

AuthService::AuthService(LmdbEnv& env, boost::asio::io_context& io, const Clock& clock,
                         const Logger& log)
    : env_(env), io_(io), clock_(clock), log_(log), cache_(random_key()) {
  auto dummy = hash_password(random_key());
  if (dummy) dummy_hash_ = *dummy;
}

AuthService::~AuthService() {
  hashers_.join();
}

void AuthService::verify(std::string user, std::string password, std::string client, Done done) {
  std::optional<Account> account;
  Status s = env_.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(account, tables::get_account(txn, user));
    return ok_status();
  });
  if (!s) {
    log_.error("auth: user={} client={}: {}", sanitize(user), client, s.error().message);
    done(std::nullopt);
    return;
  }
  bool usable =
      account && account->status != AccountStatus::kDisabled && !account->password_hash.empty();
  if (usable && cache_.hit(user, password, account->password_hash, clock_.now())) {
    ++cache_hits_;
    done(account->username);
    return;
  }
  ++full_verifications_;
  std::string hash = usable ? account->password_hash : dummy_hash_;
  boost::asio::post(hashers_, [this, user = std::move(user), password = std::move(password),
                               client = std::move(client), hash = std::move(hash), usable,
                               done = std::move(done)]() mutable {
    bool ok = verify_password(hash, password) && usable;
    boost::asio::post(io_, [this, ok, user = std::move(user), password = std::move(password),
                            client = std::move(client), hash = std::move(hash),
                            done = std::move(done)]() mutable {
      if (ok) {
        cache_.remember(user, password, hash, clock_.now());
        log_.info("auth: user={} client={} authenticated", sanitize(user), sanitize(client));
        done(user);
      } else {
        log_.info("auth: user={} client={} authentication failed", sanitize(user),
                  sanitize(client));
        done(std::nullopt);
      }
    });
  });
}

}  // namespace sendpool::policyd
