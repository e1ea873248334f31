// One line of CSV (RFC 4180 fields): the suppression list's import and export format.
//
// Fields are separated by commas; a field may be quoted with '"', inside which commas are
// literal and '""' is one quote. Line breaks inside quotes are not supported (the caller
// reads one line at a time).
// Security: the input is an operator's file of unknown origin; the parser bounds the number
// of fields and the line length and never reads past its input.
// Thread-safety: pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/result.h"

namespace sendpool {

inline constexpr size_t kMaxCsvLineLength = 8192;
inline constexpr size_t kMaxCsvFields = 64;

// Splits one line into its fields; kInvalidArgument names the problem (column given 1-based).
Result<std::vector<std::string>> parse_csv_line(std::string_view line);

// Joins fields into one line, quoting those that need it; parse_csv_line reads it back.
std::string format_csv_line(const std::vector<std::string>& fields);

}  // namespace sendpool
