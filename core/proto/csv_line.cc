#include "core/proto/csv_line.h"

#include <fmt/format.h>

namespace sendpool {

Result<std::vector<std::string>> parse_csv_line(std::string_view line) {
  if (line.size() > kMaxCsvLineLength)
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("line longer than {} characters", kMaxCsvLineLength));
  std::vector<std::string> fields(1);
  size_t i = 0;
  while (i <= line.size()) {
    std::string& field = fields.back();
    if (i < line.size() && line[i] == '"') {
      size_t open = i++;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] != '"') {
          field.push_back(line[i++]);
        } else if (i + 1 < line.size() && line[i + 1] == '"') {
          field.push_back('"');
          i += 2;
        } else {
          closed = true;
          ++i;
          break;
        }
      }
      if (!closed)
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("column {}: quote opened and never closed", open + 1));
      if (i < line.size() && line[i] != ',')
        return make_error(ErrorCode::kInvalidArgument,
                          fmt::format("column {}: text after a closing quote", i + 1));
    } else {
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"')
          return make_error(ErrorCode::kInvalidArgument,
                            fmt::format("column {}: quote inside an unquoted field", i + 1));
        field.push_back(line[i++]);
      }
    }
    if (i >= line.size()) break;
    ++i;  // the comma
    if (fields.size() >= kMaxCsvFields)
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("more than {} fields", kMaxCsvFields));
    fields.emplace_back();
  }
  return fields;
}

std::string format_csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out += f;
      continue;
    }
    out.push_back('"');
    for (char c : f) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  return out;
}

}  // namespace sendpool
