#include "core/crypto/hmac.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <climits>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

namespace sendpool {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  // OpenSSL takes the key length as an int; our keys are tens of bytes.
  if (key.size() > INT_MAX) std::abort();
  static const unsigned char kEmptyKey = 0;  // a non-null pointer for a zero-length key
  const void* key_ptr = key.empty() ? &kEmptyKey : static_cast<const void*>(key.data());
  std::string mac(kHmacSha256Bytes, '\0');
  unsigned int mac_size = 0;
  const unsigned char* ok = HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
                                 reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                                 reinterpret_cast<unsigned char*>(mac.data()), &mac_size);
  // Only allocation failure makes HMAC-SHA256 fail; a MAC we cannot compute is not
  // something a caller could handle by retrying, so fail loudly.
  if (ok == nullptr || mac_size != kHmacSha256Bytes) std::abort();
  return mac;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;  // lengths are not secret
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> random_bytes(size_t n) {
  if (n > kMaxRandomBytes) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("asked for {} random bytes, at most {} allowed", n, kMaxRandomBytes));
  }
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kUnavailable, "the random number generator is not ready");
  }
  return out;
}

}  // namespace sendpool
