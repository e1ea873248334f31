// Calendar dates and UTC timestamps: parsing, formatting and month arithmetic.
//
// Pure functions over std::chrono calendar types. The only accepted text forms are
// YYYY-MM-DD and YYYY-MM-DDTHH:MM:SSZ (UTC); anything else is rejected, never guessed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/base/clock.h"

namespace sendpool {

// The UTC calendar day containing `t`.
Date day_of(TimePoint t);

// Midnight UTC at the start of `d`.
TimePoint start_of(Date d);

// Number of days in the month of (year, month), month 1..12.
unsigned days_in_month(int year, unsigned month);

// The date `months` calendar months after the month of `from`, on day `day` of that month,
// clamped to the month's last day (day 31 in April gives April 30).
Date add_months_clamped(Date from, int months, unsigned day);

// Parses "YYYY-MM-DD"; nullopt when malformed or not a real date.
std::optional<Date> parse_date(std::string_view text);

// Parses "YYYY-MM-DDTHH:MM:SSZ"; nullopt when malformed.
std::optional<TimePoint> parse_timestamp(std::string_view text);

std::string format_date(Date d);
std::string format_timestamp(TimePoint t);

// Days since 1970-01-01 (negative before), a compact key for per-day records.
int day_number(Date d);
Date date_from_day_number(int days);

}  // namespace sendpool
