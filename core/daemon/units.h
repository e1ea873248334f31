// Durations and sizes written with units, as configuration keys take them ("30s", "10MiB").
//
// Durations: a non-negative integer and one of ms, s, m, h, d ("500ms", "5m"); a unit is
// required. Sizes: a non-negative integer, optionally followed by B, KiB, MiB, GiB, TiB
// (powers of 1024) or KB, MB, GB, TB (powers of 1000); a bare number is bytes. Units are
// case-sensitive, no sign, no fraction, no spaces. The formatters pick the largest unit that
// keeps the value exact, so parse(format(x)) == x.
// Thread-safety: pure functions.
// Security: input comes from the configuration file; it is bounded and overflow-checked.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/result.h"

namespace sendpool {

// Longest text accepted by either parser.
inline constexpr size_t kMaxUnitTextLength = 64;

// Parses "500ms", "30s", "5m", "2h", "1d" into milliseconds.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// Parses "512", "512B", "10KiB", "10MiB", "1GiB", "1TiB", "10KB", "10MB", "1GB", "1TB" into
// bytes.
Result<uint64_t> parse_size(std::string_view text);

// "90s" -> "90s", 120000ms -> "2m", 0 -> "0s". Negative durations are formatted in ms.
std::string format_duration(std::chrono::milliseconds duration);

// 16 GiB -> "16GiB", 1000 -> "1KB", 1500 -> "1500".
std::string format_size(uint64_t bytes);

}  // namespace sendpool
