// How sendpoolctl shows things: aligned tables and "key: value" blocks for people, JSON for
// scripts, and the JSON shape of each stored entity (one place, so every command agrees).
// Thread-safety: single-threaded program.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "core/model/entities.h"

namespace sendpool::ctl {

using Json = nlohmann::ordered_json;

// A table with a header row; columns are padded to their widest cell.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& os) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Prints "key: value" lines with the keys aligned.
void print_fields(std::ostream& os, const std::vector<std::pair<std::string, std::string>>& fields);

void print_json(std::ostream& os, const Json& value);

Json to_json(const Customer& v);
Json to_json(const Plan& v);
Json to_json(const Pool& v);
Json to_json(const SuppressionEntry& v);
Json to_json(const DayCounters& v);
Json to_json(const Reputation& v);

// "unlimited" for 0, the number otherwise.
std::string limit_text(uint64_t v);

}  // namespace sendpool::ctl
