#include "core/daemon/units.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <limits>

#include "core/base/log.h"

namespace sendpool {
namespace {

struct Unit {
  std::string_view name;
  uint64_t factor;
};

// Units match the whole remainder after the digits. Both tables run largest first, which is
// the order the formatters want.
constexpr std::array<Unit, 5> kDurationUnits{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

constexpr uint64_t kKi = 1024;
constexpr uint64_t kK = 1000;
constexpr std::array<Unit, 9> kSizeUnits{{
    {"TiB", kKi* kKi* kKi* kKi},
    {"TB", kK* kK* kK* kK},
    {"GiB", kKi* kKi* kKi},
    {"GB", kK* kK* kK},
    {"MiB", kKi* kKi},
    {"MB", kK* kK},
    {"KiB", kKi},
    {"KB", kK},
    {"B", 1},
}};

Error invalid(std::string_view what, std::string_view text, std::string_view why) {
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("invalid {} \"{}\": {}", what, sanitize(text, 80), why));
}

struct Split {
  uint64_t number = 0;
  std::string_view unit;
};

// Splits "<digits><unit>" and reads the digits; the unit is checked by the caller.
Result<Split> split_number(std::string_view what, std::string_view text, std::string_view example) {
  if (text.empty()) return invalid(what, text, fmt::format("empty (expected e.g. {})", example));
  if (text.size() > kMaxUnitTextLength) {
    return invalid(what, text, fmt::format("longer than {} characters", kMaxUnitTextLength));
  }
  if (text.front() == '-') return invalid(what, text, "must not be negative");
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  if (digits == 0) {
    return invalid(what, text, fmt::format("expected a whole number and a unit, e.g. {}", example));
  }
  Split out;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, out.number);
  if (ec == std::errc::result_out_of_range) return invalid(what, text, "too large");
  if (ec != std::errc() || end != text.data() + digits) {
    return invalid(what, text, "expected a whole number");
  }
  out.unit = text.substr(digits);
  return out;
}

Result<uint64_t> scale(std::string_view what, std::string_view text, uint64_t number,
                       uint64_t factor, uint64_t limit) {
  if (number > limit / factor) return invalid(what, text, "too large");
  return number * factor;
}

std::string unit_list(const auto& units) {
  std::string out;
  for (const Unit& u : units) {
    if (!out.empty()) out += ", ";
    out += u.name;
  }
  return out;
}

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  constexpr std::string_view kWhat = "duration";
  SENDPOOL_ASSIGN_OR_RETURN(Split split, split_number(kWhat, text, "30s"));
  if (split.unit.empty()) {
    return invalid(kWhat, text, "missing unit (use ms, s, m, h or d, e.g. 30s)");
  }
  for (const Unit& u : kDurationUnits) {
    if (u.name != split.unit) continue;
    constexpr auto kLimit =
        static_cast<uint64_t>(std::numeric_limits<std::chrono::milliseconds::rep>::max());
    SENDPOOL_ASSIGN_OR_RETURN(uint64_t ms, scale(kWhat, text, split.number, u.factor, kLimit));
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(ms));
  }
  return invalid(kWhat, text,
                 fmt::format("unknown unit \"{}\" (use {})", sanitize(split.unit, 20),
                             unit_list(kDurationUnits)));
}

Result<uint64_t> parse_size(std::string_view text) {
  constexpr std::string_view kWhat = "size";
  SENDPOOL_ASSIGN_OR_RETURN(Split split, split_number(kWhat, text, "10MiB"));
  if (split.unit.empty()) return split.number;
  for (const Unit& u : kSizeUnits) {
    if (u.name != split.unit) continue;
    return scale(kWhat, text, split.number, u.factor, std::numeric_limits<uint64_t>::max());
  }
  return invalid(
      kWhat, text,
      fmt::format("unknown unit \"{}\" (use {})", sanitize(split.unit, 20), unit_list(kSizeUnits)));
}

std::string format_duration(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  if (ms < 0) return fmt::format("{}ms", ms);
  if (ms == 0) return "0s";
  for (const Unit& u : kDurationUnits) {
    auto factor = static_cast<std::chrono::milliseconds::rep>(u.factor);
    if (ms % factor == 0) return fmt::format("{}{}", ms / factor, u.name);
  }
  return fmt::format("{}ms", ms);
}

std::string format_size(uint64_t bytes) {
  if (bytes == 0) return "0";
  for (const Unit& u : kSizeUnits) {
    if (u.factor == 1) break;
    if (bytes % u.factor == 0) return fmt::format("{}{}", bytes / u.factor, u.name);
  }
  return fmt::format("{}", bytes);
}

}  // namespace sendpool
