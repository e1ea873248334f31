// Fuzz target for base64 (core/proto/base64.h).
//
// Any broken invariant aborts:
//   - text that decodes re-encodes to exactly itself (the decoder accepts canonical text only),
//     and decoding that again gives the same bytes;
//   - any bytes encode to text of a multiple of four characters that decodes back to them.
// Thread-safety: none needed; libFuzzer calls the entry point from one thread.
// Security: this is where hostile bytes are thrown at the decoder on purpose.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "core/proto/base64.h"

namespace {

void check(bool ok, const char* invariant) {
  if (ok) return;
  std::fprintf(stderr, "base64_fuzz: invariant broken: %s\n", invariant);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  std::optional<std::string> decoded = sendpool::base64_decode(input);
  if (decoded) {
    check(decoded->size() <= input.size() / 4 * 3, "decoded larger than possible");
    std::string encoded = sendpool::base64_encode(*decoded);
    check(encoded == input, "accepted text is not canonical");
    std::optional<std::string> again = sendpool::base64_decode(encoded);
    check(again && *again == *decoded, "decode-encode-decode is not stable");
  }

  std::string encoded = sendpool::base64_encode(input);
  check(encoded.size() % 4 == 0 && encoded.size() == (input.size() + 2) / 3 * 4, "encoded length");
  std::optional<std::string> back = sendpool::base64_decode(encoded);
  check(back && *back == input, "encode-decode does not round-trip");
  return 0;
}
