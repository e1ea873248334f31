#include "core/base/civil_time.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendpool {
namespace {

using namespace std::chrono;

Date ymd(int y, unsigned m, unsigned d) {
  return sys_days{year{y} / month{m} / day{d}};
}

TEST(CivilTimeTest, ParseDateAcceptsRealDatesInTheExactForm) {
  struct Case {
    std::string text;
    Date expected;
  };
  const std::vector<Case> cases = {
      {"2026-01-01", ymd(2026, 1, 1)},  {"2026-12-31", ymd(2026, 12, 31)},
      {"2028-02-29", ymd(2028, 2, 29)}, {"2000-02-29", ymd(2000, 2, 29)},
      {"1970-01-01", ymd(1970, 1, 1)},  {"1969-12-31", ymd(1969, 12, 31)},
      {"2026-04-30", ymd(2026, 4, 30)}, {"9999-12-31", ymd(9999, 12, 31)},
  };
  for (const auto& c : cases) {
    std::optional<Date> got = parse_date(c.text);
    ASSERT_TRUE(got.has_value()) << c.text;
    EXPECT_EQ(*got, c.expected) << c.text;
  }
}

TEST(CivilTimeTest, ParseDateRejectsImpossibleDatesAndAnyOtherForm) {
  const std::vector<std::string> cases = {
      "",
      "2026-02-30",
      "2026-02-29",  // 2026 is not a leap year
      "1900-02-29",  // century, not a leap year
      "2026-13-01",
      "2026-00-10",
      "2026-01-00",
      "2026-04-31",
      "2026-01-32",
      "2026-01-01x",
      "2026-01-01 ",
      " 2026-01-01",
      "2026-01-01T00:00:00Z",
      "2026-1-01",
      "2026-01-1",
      "26-01-01",
      "2026/01/01",
      "2026-01+01",
      "+026-01-01",
      "-026-01-01",
      "2026-0a-01",
      "20260101",
      std::string("2026-01-0\0", 10),
  };
  for (const auto& text : cases)
    EXPECT_FALSE(parse_date(text).has_value()) << "'" << text << "'";
}

TEST(CivilTimeTest, ParseTimestampAcceptsOnlyUtcSecondsWithZ) {
  struct Case {
    std::string text;
    TimePoint expected;
  };
  const std::vector<Case> cases = {
      {"1970-01-01T00:00:00Z", TimePoint{seconds{0}}},
      {"2026-03-15T12:34:56Z", start_of(ymd(2026, 3, 15)) + hours{12} + minutes{34} + seconds{56}},
      {"2028-02-29T23:59:59Z", start_of(ymd(2028, 3, 1)) - seconds{1}},
      {"1969-12-31T23:59:59Z", TimePoint{seconds{-1}}},
  };
  for (const auto& c : cases) {
    std::optional<TimePoint> got = parse_timestamp(c.text);
    ASSERT_TRUE(got.has_value()) << c.text;
    EXPECT_EQ(*got, c.expected) << c.text;
  }
}

TEST(CivilTimeTest, ParseTimestampRejectsOutOfRangeFieldsAndOtherForms) {
  const std::vector<std::string> cases = {
      "",
      "2026-03-15",
      "2026-03-15T12:34:56",
      "2026-03-15T12:34:56z",
      "2026-03-15 12:34:56Z",
      "2026-03-15T12:34:56+00:00",
      "2026-03-15T12:34:56.000Z",
      "2026-03-15T12:34:56Zx",
      "2026-03-15T24:00:00Z",
      "2026-03-15T23:60:00Z",
      "2026-03-15T23:59:60Z",
      "2026-03-15T1:34:56Z",
      "2026-03-15T12-34-56Z",
      "2026-02-30T00:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-03-15T1a:34:56Z",
  };
  for (const auto& text : cases) {
    EXPECT_FALSE(parse_timestamp(text).has_value()) << "'" << text << "'";
  }
}

TEST(CivilTimeTest, FormatDateAndParseDateRoundTrip) {
  const std::vector<std::string> texts = {"2026-01-01", "2028-02-29", "1970-01-01", "1969-12-31",
                                          "0001-01-01", "9999-12-31", "2026-09-05"};
  for (const auto& text : texts) {
    std::optional<Date> d = parse_date(text);
    ASSERT_TRUE(d.has_value()) << text;
    EXPECT_EQ(format_date(*d), text);
  }
  // And from dates: every day of 2027-2028 survives format then parse.
  for (Date d = ymd(2027, 1, 1); d <= ymd(2028, 12, 31); d += days{1}) {
    EXPECT_EQ(parse_date(format_date(d)), d) << format_date(d);
  }
}

TEST(CivilTimeTest, FormatTimestampAndParseTimestampRoundTrip) {
  const std::vector<std::string> texts = {"1970-01-01T00:00:00Z", "2026-03-15T12:34:56Z",
                                          "2028-02-29T23:59:59Z", "1969-12-31T23:59:59Z",
                                          "2026-12-31T00:00:01Z", "2026-07-04T09:05:03Z"};
  for (const auto& text : texts) {
    std::optional<TimePoint> t = parse_timestamp(text);
    ASSERT_TRUE(t.has_value()) << text;
    EXPECT_EQ(format_timestamp(*t), text);
  }
}

TEST(CivilTimeTest, FormatPadsFieldsWithZeros) {
  EXPECT_EQ(format_date(ymd(2026, 3, 5)), "2026-03-05");
  EXPECT_EQ(format_timestamp(start_of(ymd(2026, 3, 5)) + hours{1} + minutes{2} + seconds{3}),
            "2026-03-05T01:02:03Z");
}

TEST(CivilTimeTest, DayOfAndStartOfSplitAtMidnightUtc) {
  const Date d = ymd(2026, 6, 10);
  EXPECT_EQ(start_of(d), TimePoint{seconds{day_number(d) * 86400LL}});
  EXPECT_EQ(day_of(start_of(d)), d);
  EXPECT_EQ(day_of(start_of(d) + hours{23} + minutes{59} + seconds{59}), d);
  EXPECT_EQ(day_of(start_of(d) - seconds{1}), d - days{1});
  // Before the epoch too: one second before 1970 is on 1969-12-31, not 1970-01-01.
  EXPECT_EQ(day_of(TimePoint{seconds{-1}}), ymd(1969, 12, 31));
}

TEST(CivilTimeTest, DaysInMonthFollowsGregorianLeapYears) {
  struct Case {
    int year;
    unsigned month;
    unsigned days;
  };
  const std::vector<Case> cases = {
      {2026, 1, 31}, {2026, 2, 28}, {2026, 3, 31}, {2026, 4, 30},  {2026, 5, 31},  {2026, 6, 30},
      {2026, 7, 31}, {2026, 8, 31}, {2026, 9, 30}, {2026, 10, 31}, {2026, 11, 30}, {2026, 12, 31},
      {2028, 2, 29}, {2000, 2, 29}, {1900, 2, 28}, {2100, 2, 28},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(days_in_month(c.year, c.month), c.days) << c.year << "-" << c.month;
  }
}

TEST(CivilTimeTest, AddMonthsClampedLandsOnTheDayOrTheMonthsLastDay) {
  struct Case {
    Date from;
    int months;
    unsigned day;
    Date expected;
  };
  const std::vector<Case> cases = {
      {ymd(2026, 1, 31), 1, 31, ymd(2026, 2, 28)},  // Jan 31 + 1 month, common year
      {ymd(2028, 1, 31), 1, 31, ymd(2028, 2, 29)},  // leap year
      {ymd(2026, 1, 31), 2, 31, ymd(2026, 3, 31)},  // back to the 31st after February
      {ymd(2026, 1, 31), 3, 31, ymd(2026, 4, 30)},
      {ymd(2026, 1, 30), 1, 30, ymd(2026, 2, 28)},
      {ymd(2028, 1, 30), 1, 30, ymd(2028, 2, 29)},
      {ymd(2028, 1, 29), 1, 29, ymd(2028, 2, 29)},
      {ymd(2026, 1, 29), 1, 29, ymd(2026, 2, 28)},
      {ymd(2026, 12, 15), 1, 15, ymd(2027, 1, 15)},  // Dec -> Jan rolls the year
      {ymd(2026, 12, 31), 1, 31, ymd(2027, 1, 31)},
      {ymd(2026, 11, 30), 3, 31, ymd(2027, 2, 28)},
      {ymd(2026, 3, 10), 0, 10, ymd(2026, 3, 10)},
      {ymd(2026, 3, 10), 0, 31, ymd(2026, 3, 31)},    // the day comes from the argument
      {ymd(2026, 3, 31), -1, 31, ymd(2026, 2, 28)},   // backwards
      {ymd(2026, 1, 15), -1, 15, ymd(2025, 12, 15)},  // Jan -> Dec rolls the year back
      {ymd(2026, 1, 31), 24, 31, ymd(2028, 1, 31)},
      {ymd(2026, 1, 31), 25, 31, ymd(2028, 2, 29)},
      {ymd(2026, 5, 1), 12, 1, ymd(2027, 5, 1)},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(add_months_clamped(c.from, c.months, c.day), c.expected)
        << format_date(c.from) << " + " << c.months << " months on day " << c.day;
  }
}

TEST(CivilTimeTest, DayNumberCountsDaysFromTheEpochAndRoundTrips) {
  struct Case {
    Date date;
    int number;
  };
  const std::vector<Case> cases = {
      {ymd(1970, 1, 1), 0},     {ymd(1970, 1, 2), 1},      {ymd(1969, 12, 31), -1},
      {ymd(1969, 1, 1), -365},  {ymd(1971, 1, 1), 365},    {ymd(2000, 1, 1), 10957},
      {ymd(2026, 1, 1), 20454}, {ymd(1900, 1, 1), -25567},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(day_number(c.date), c.number) << format_date(c.date);
    EXPECT_EQ(date_from_day_number(c.number), c.date) << c.number;
  }
  for (int n = -800; n <= 800; n += 7)
    EXPECT_EQ(day_number(date_from_day_number(n)), n);
}

}  // namespace
}  // namespace sendpool
