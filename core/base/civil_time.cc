#include "core/base/civil_time.h"

#include <fmt/format.h>

#include <charconv>

namespace sendpool {
namespace {

using namespace std::chrono;

// Reads exactly `width` decimal digits at `pos`.
std::optional<int> digits(std::string_view text, size_t pos, size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

Date day_of(TimePoint t) {
  return floor<days>(t);
}

TimePoint start_of(Date d) {
  return time_point_cast<seconds>(d);
}

unsigned days_in_month(int y, unsigned m) {
  return static_cast<unsigned>(year_month_day_last(year{y}, month_day_last(month{m})).day());
}

Date add_months_clamped(Date from, int months_to_add, unsigned day_of_month) {
  year_month_day ymd{from};
  year_month ym = year_month{ymd.year(), ymd.month()} + std::chrono::months{months_to_add};
  unsigned last = days_in_month(static_cast<int>(ym.year()), static_cast<unsigned>(ym.month()));
  unsigned d = day_of_month < last ? day_of_month : last;
  return sys_days{ym / std::chrono::day{d}};
}

std::optional<Date> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto y = digits(text, 0, 4), m = digits(text, 5, 2), d = digits(text, 8, 2);
  if (!y || !m || !d) return std::nullopt;
  year_month_day ymd{year{*y}, month{static_cast<unsigned>(*m)}, day{static_cast<unsigned>(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd};
}

std::optional<TimePoint> parse_timestamp(std::string_view text) {
  if (text.size() != 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':' || text[19] != 'Z')
    return std::nullopt;
  auto date = parse_date(text.substr(0, 10));
  auto hh = digits(text, 11, 2), mm = digits(text, 14, 2), ss = digits(text, 17, 2);
  if (!date || !hh || !mm || !ss || *hh > 23 || *mm > 59 || *ss > 59) return std::nullopt;
  return start_of(*date) + hours{*hh} + minutes{*mm} + seconds{*ss};
}

std::string format_date(Date d) {
  year_month_day ymd{d};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

std::string format_timestamp(TimePoint t) {
  Date d = day_of(t);
  auto in_day = t - start_of(d);
  hh_mm_ss<seconds> hms{in_day};
  return fmt::format("{}T{:02}:{:02}:{:02}Z", format_date(d), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count());
}

int day_number(Date d) {
  return static_cast<int>(d.time_since_epoch().count());
}

Date date_from_day_number(int n) {
  return Date{days{n}};
}

}  // namespace sendpool
