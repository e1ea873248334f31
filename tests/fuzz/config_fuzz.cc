// Fuzz target: parse_config. Invariant: never throws or crashes; an error always names the
// source.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = sendpool::parse_config(text, "fuzz.yaml");
  if (!config && config.error().message.rfind("fuzz.yaml", 0) != 0) std::abort();
  return 0;
}
