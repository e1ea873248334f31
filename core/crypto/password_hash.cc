#include "core/crypto/password_hash.h"

#include <sodium.h>

#include <charconv>
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace sendpool {
namespace {

static_assert(kInteractiveCost.ops == crypto_pwhash_OPSLIMIT_INTERACTIVE);
static_assert(kInteractiveCost.mem == crypto_pwhash_MEMLIMIT_INTERACTIVE);
static_assert(kTestCost.ops == crypto_pwhash_OPSLIMIT_MIN);
static_assert(kTestCost.mem == crypto_pwhash_MEMLIMIT_MIN);
static_assert(kMaxVerifyCost.ops == crypto_pwhash_OPSLIMIT_SENSITIVE);
static_assert(kMaxVerifyCost.mem == crypto_pwhash_MEMLIMIT_SENSITIVE);

bool sodium_ready() {
  // sodium_init() is idempotent and thread-safe: 0 first time, 1 afterwards, -1 on failure.
  return sodium_init() >= 0;
}

// Reads the decimal after `key` (e.g. "$m=") in an encoded hash.
bool read_param(std::string_view encoded, std::string_view key, uint64_t& out) {
  const size_t at = encoded.find(key);
  if (at == std::string_view::npos) return false;
  const char* first = encoded.data() + at + key.size();
  const char* last = encoded.data() + encoded.size();
  auto [end, ec] = std::from_chars(first, last, out);
  return ec == std::errc() && end != first;
}

// An encoded hash is an operator-visible stored string; refuse it before libsodium allocates
// memory it names. libsodium still does the full parse.
bool acceptable_encoded_hash(std::string_view encoded) {
  if (encoded.empty() || encoded.size() >= crypto_pwhash_STRBYTES) return false;
  if (encoded.find('\0') != std::string_view::npos) return false;
  uint64_t mem_kib = 0;
  uint64_t ops = 0;
  if (!read_param(encoded, "$m=", mem_kib) || !read_param(encoded, ",t=", ops)) return false;
  return mem_kib <= kMaxVerifyCost.mem / 1024 && ops <= kMaxVerifyCost.ops;
}

}  // namespace

Result<std::string> hash_password(std::string_view password, PasswordHashCost cost) {
  if (cost.ops < crypto_pwhash_OPSLIMIT_MIN || cost.ops > crypto_pwhash_OPSLIMIT_MAX ||
      cost.mem < crypto_pwhash_MEMLIMIT_MIN || cost.mem > crypto_pwhash_MEMLIMIT_MAX) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("password hash cost out of range (ops {}, mem {} bytes)", cost.ops, cost.mem));
  }
  if (password.size() > crypto_pwhash_PASSWD_MAX) {
    return make_error(ErrorCode::kInvalidArgument, "password too long to hash");
  }
  if (!sodium_ready()) return make_error(ErrorCode::kInternal, "libsodium failed to initialise");
  char encoded[crypto_pwhash_STRBYTES] = {};
  if (crypto_pwhash_str_alg(encoded, password.data(), password.size(), cost.ops, cost.mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("argon2id could not allocate {} bytes", cost.mem));
  }
  return std::string(encoded);
}

bool verify_password(std::string_view encoded_hash, std::string_view password) {
  if (!acceptable_encoded_hash(encoded_hash) || !sodium_ready()) return false;
  const std::string terminated(encoded_hash);  // libsodium wants a C string
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool password_hash_needs_rehash(std::string_view encoded_hash, PasswordHashCost cost) {
  if (encoded_hash.empty() || encoded_hash.size() >= crypto_pwhash_STRBYTES ||
      encoded_hash.find('\0') != std::string_view::npos || !sodium_ready()) {
    return true;
  }
  const std::string terminated(encoded_hash);
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), cost.ops, cost.mem) != 0;
}

Status check_password_acceptable(std::string_view password) {
  if (password.size() < kMinPasswordBytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("password is too short: {} bytes, at least {} required",
                                  password.size(), kMinPasswordBytes));
  }
  if (password.size() > kMaxPasswordBytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("password is too long: {} bytes, at most {} allowed",
                                  password.size(), kMaxPasswordBytes));
  }
  for (char c : password) {
    if (c == '\0' || c == '\r' || c == '\n') {
      return make_error(ErrorCode::kInvalidArgument,
                        "password contains a NUL, CR or LF byte, which SMTP AUTH cannot carry");
    }
  }
  return ok_status();
}

}  // namespace sendpool
