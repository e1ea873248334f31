// Fuzz target: every record decoder of the store. Invariant: a record that decodes encodes
// back to bytes that decode to an equal encoding (decoders never accept what they would not
// write, and never read out of bounds).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/store/records.h"

namespace {

template <typename Decode>
void check(std::string_view bytes, Decode decode) {
  auto v = decode(bytes);
  if (!v) return;
  std::string once = sendpool::encode(*v);
  auto again = decode(once);
  if (!again || sendpool::encode(*again) != once) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check(bytes, sendpool::decode_customer);
  check(bytes, sendpool::decode_plan);
  check(bytes, sendpool::decode_account);
  check(bytes, sendpool::decode_domain);
  check(bytes, sendpool::decode_pool);
  check(bytes, sendpool::decode_suppression);
  check(bytes, sendpool::decode_counters);
  check(bytes, sendpool::decode_reputation);
  return 0;
}
