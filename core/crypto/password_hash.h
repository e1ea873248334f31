// Password hashing for SMTP AUTH and the admin CLI: argon2id via libsodium.
//
// Stored hashes are libsodium's self-describing encoded strings ("$argon2id$v=19$m=...,t=...,
// p=1$salt$hash"), so the cost travels with each hash and can be raised later: check
// password_hash_needs_rehash() after a successful login and store a fresh hash.
// Ownership: plain values in, plain values out. Thread-safety: every function is safe to call
// from any thread (libsodium initialisation is idempotent and internally locked).
// Security: passwords arrive from SMTP clients; nothing here logs or keeps them. A stored hash
// is also treated as untrusted: malformed ones fail verification, and ones whose embedded cost
// exceeds kMaxVerifyCost are refused rather than allowed to exhaust memory or CPU.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace sendpool {

// Argon2id work factors: iterations (ops) and memory in bytes (mem).
struct PasswordHashCost {
  unsigned long long ops;
  size_t mem;
};

// libsodium's interactive preset (2 passes, 64 MiB): the production default.
inline constexpr PasswordHashCost kInteractiveCost{2, 64ull * 1024 * 1024};
// libsodium's minimum (1 pass, 8 KiB): tests only, never for stored credentials.
inline constexpr PasswordHashCost kTestCost{1, 8192};
// The costliest hash verify_password() will attempt: libsodium's sensitive preset (4, 1 GiB).
inline constexpr PasswordHashCost kMaxVerifyCost{4, 1024ull * 1024 * 1024};

// Password policy bounds, in bytes.
inline constexpr size_t kMinPasswordBytes = 8;
inline constexpr size_t kMaxPasswordBytes = 1024;

// Hashes a password with argon2id and a fresh random salt; the result is the encoded string
// to store. Does not apply the password policy: call check_password_acceptable() first.
Result<std::string> hash_password(std::string_view password,
                                  PasswordHashCost cost = kInteractiveCost);

// True when `password` matches `encoded_hash`. Malformed or over-costly hashes give false.
bool verify_password(std::string_view encoded_hash, std::string_view password);

// True when `encoded_hash` was not made by argon2id with exactly `cost` (or is malformed),
// so the caller should store a fresh hash the next time it sees the plaintext.
bool password_hash_needs_rehash(std::string_view encoded_hash,
                                PasswordHashCost cost = kInteractiveCost);

// Whether a new password may be set: 8..1024 bytes, and no NUL, CR or LF (SMTP AUTH PLAIN
// separates its fields with NUL and clients mangle line breaks). The error message names the
// rule broken and never echoes the password.
Status check_password_acceptable(std::string_view password);

}  // namespace sendpool
