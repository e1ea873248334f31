// Keyed hashing and randomness for tokens sendpool mints itself (return-path tokens, the
// credential cache): HMAC-SHA256, a timing-safe comparison, and CSPRNG bytes (OpenSSL).
//
// Ownership: values in, values out; keys are the caller's to keep and wipe.
// Thread-safety: every function is safe to call from any thread.
// Security: tokens presented by peers must be compared with constant_time_equal(), never ==,
// so that response timing does not reveal how many leading bytes matched.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace sendpool {

inline constexpr size_t kHmacSha256Bytes = 32;
// The most random_bytes() hands out in one call; tokens and keys need far less.
inline constexpr size_t kMaxRandomBytes = 64 * 1024;

// HMAC-SHA256 of `data` under `key`: the 32 raw bytes (not hex).
std::string hmac_sha256(std::string_view key, std::string_view data);

// Whether a and b are equal, taking time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

// `n` bytes from OpenSSL's CSPRNG; n must be at most kMaxRandomBytes.
Result<std::string> random_bytes(size_t n);

}  // namespace sendpool
