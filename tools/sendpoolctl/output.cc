#include "tools/sendpoolctl/output.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/base/civil_time.h"

namespace sendpool::ctl {

void Table::print(std::ostream& os) const {
  std::vector<size_t> width(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i)
    width[i] = headers_[i].size();
  for (const auto& row : rows_)
    for (size_t i = 0; i < row.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], row[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size() && i < width.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    os << out << "\n";
  };
  line(headers_);
  for (const auto& row : rows_)
    line(row);
}

void print_fields(std::ostream& os,
                  const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [k, v] : fields)
    width = std::max(width, k.size());
  for (const auto& [k, v] : fields)
    os << fmt::format("{:<{}}  {}\n", k + ":", width + 1, v);
}

void print_json(std::ostream& os, const Json& value) {
  os << value.dump(2) << "\n";
}

std::string limit_text(uint64_t v) {
  return v == 0 ? "unlimited" : std::to_string(v);
}

Json to_json(const Customer& v) {
  return Json{
      {"name", v.name}, {"max_accounts", v.max_accounts}, {"created", format_timestamp(v.created)}};
}

Json to_json(const Plan& v) {
  Json j{{"name", v.name},
         {"kind", to_string(v.kind)},
         {"messages", v.messages},
         {"hourly_limit", v.hourly_limit},
         {"max_recipients", v.max_recipients},
         {"max_size", v.max_size}};
  if (v.kind == PlanKind::kPrepaid) j["valid_days"] = v.valid_days;
  return j;
}

Json to_json(const Pool& v) {
  return Json{{"name", v.name},
              {"category", to_string(v.category)},
              {"min_score", v.min_score},
              {"transport", v.transport},
              {"bind_ipv4", v.bind_ipv4.empty() ? Json(nullptr) : Json(v.bind_ipv4)},
              {"bind_ipv6", v.bind_ipv6.empty() ? Json(nullptr) : Json(v.bind_ipv6)},
              {"helo", v.helo},
              {"nexthop", v.nexthop.empty() ? Json(nullptr) : Json(v.nexthop)}};
}

Json to_json(const SuppressionEntry& v) {
  return Json{{"address", v.address},
              {"reason", to_string(v.reason)},
              {"time", format_timestamp(v.time)},
              {"detail", v.detail}};
}

Json to_json(const DayCounters& v) {
  return Json{
      {"accepted", v.accepted},         {"enqueued", v.enqueued},     {"delivered", v.delivered},
      {"bounced", v.bounced},           {"suppressed", v.suppressed}, {"complaints", v.complaints},
      {"unsubscribes", v.unsubscribes}, {"opens", v.opens},           {"clicks", v.clicks}};
}

Json to_json(const Reputation& v) {
  return Json{{"score", v.score},
              {"bounce_rate", v.bounce_rate},
              {"complaint_rate", v.complaint_rate},
              {"unsubscribe_rate", v.unsubscribe_rate},
              {"engagement_rate", v.engagement_rate},
              {"computed", format_timestamp(v.computed)}};
}

}  // namespace sendpool::ctl
