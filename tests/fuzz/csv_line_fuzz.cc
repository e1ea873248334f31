// Fuzz target: parse_csv_line. Invariant: a parsed line, formatted and parsed again, gives
// the same fields.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/proto/csv_line.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto fields = sendpool::parse_csv_line(line);
  if (!fields) return 0;
  // Formatting quotes CR/LF, which a one-line parser then reads back as field text.
  auto again = sendpool::parse_csv_line(sendpool::format_csv_line(*fields));
  if (!again || *again != *fields) std::abort();
  return 0;
}
