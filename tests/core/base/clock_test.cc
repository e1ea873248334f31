#include "core/base/clock.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/base/civil_time.h"

namespace sendpool {
namespace {

using namespace std::chrono;

TimePoint at(const char* text) {
  return parse_timestamp(text).value();
}

TEST(ClockTest, FixedClockAlwaysReportsTheSameInstant) {
  const TimePoint t = at("2026-03-15T12:00:00Z");
  FixedClock clock(t);
  const Clock& c = clock;  // used through the interface, as the code does
  EXPECT_EQ(c.now(), t);
  EXPECT_EQ(c.now(), t);
  EXPECT_EQ(format_timestamp(c.now()), "2026-03-15T12:00:00Z");
}

TEST(ClockTest, ManualClockMovesOnlyWhenAdvancedOrSet) {
  struct Step {
    seconds advance;
    const char* expected;
  };
  const std::vector<Step> steps = {
      {seconds{0}, "2026-12-31T23:59:58Z"},   {seconds{1}, "2026-12-31T23:59:59Z"},
      {seconds{1}, "2027-01-01T00:00:00Z"},  // crosses midnight and the year
      {hours{24}, "2027-01-02T00:00:00Z"},    {days{30}, "2027-02-01T00:00:00Z"},
      {seconds{-60}, "2027-01-31T23:59:00Z"},
  };
  ManualClock clock(at("2026-12-31T23:59:58Z"));
  const Clock& c = clock;
  for (const auto& s : steps) {
    clock.advance(s.advance);
    EXPECT_EQ(format_timestamp(c.now()), s.expected);
    EXPECT_EQ(format_timestamp(c.now()), s.expected) << "reading the clock must not move it";
  }
  clock.set(at("2020-01-01T00:00:00Z"));
  EXPECT_EQ(format_timestamp(c.now()), "2020-01-01T00:00:00Z");
}

TEST(ClockTest, SystemClockIsWholeSecondsAndRecent) {
  SystemClock clock;
  TimePoint now = clock.now();
  EXPECT_GT(now, at("2024-01-01T00:00:00Z"));
  auto wall = system_clock::now();
  EXPECT_LE(now, wall);
  EXPECT_GT(now + seconds{5}, wall);
}

}  // namespace
}  // namespace sendpool
