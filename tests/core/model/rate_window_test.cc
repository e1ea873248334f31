#include "core/model/rate_window.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/base/civil_time.h"

namespace sendpool {
namespace {

using namespace std::chrono;

TimePoint ts(const char* text) {
  return parse_timestamp(text).value();
}

std::string show(std::optional<TimePoint> t) {
  return t ? format_timestamp(*t) : "none";
}

// 10:00:00 UTC: every whole hour falls in bucket 0.
const TimePoint kTen = ts("2026-03-10T10:00:00Z");

TEST(HourlyWindowTest, CountsMessagesOfTheLastSixtyMinutesOnly) {
  struct Case {
    const char* sent;  // one message at each of these times
    const char* at;    // counted at
    uint64_t expected;
  };
  // One message at 10:00:30 is in the window through 10:59:59 and gone at 11:00:00 (the
  // window has one-minute resolution).
  const std::vector<Case> cases = {
      {"2026-03-10T10:00:30Z", "2026-03-10T10:00:30Z", 1},
      {"2026-03-10T10:00:30Z", "2026-03-10T10:30:00Z", 1},
      {"2026-03-10T10:00:30Z", "2026-03-10T10:59:59Z", 1},
      {"2026-03-10T10:00:30Z", "2026-03-10T11:00:00Z", 0},
      {"2026-03-10T10:00:30Z", "2026-03-10T13:00:00Z", 0},
      {"2026-03-10T10:00:30Z", "2026-03-11T10:00:30Z", 0},  // a day later, same bucket
  };
  for (const auto& c : cases) {
    HourlyWindow w;
    w.add(1, ts(c.sent));
    EXPECT_EQ(w.count(1, ts(c.at)), c.expected) << "sent " << c.sent << ", counted " << c.at;
  }
}

TEST(HourlyWindowTest, SumsEveryMinuteOfTheWindowAndDropsOlderOnes) {
  HourlyWindow w;
  // 10:00 x3, 10:15 x2, 10:59 x1, 11:10 x4
  w.add(1, kTen, 3);
  w.add(1, kTen + 15min, 2);
  w.add(1, kTen + 59min + 30s);
  w.add(1, kTen + 70min, 4);
  struct Case {
    minutes at;
    uint64_t expected;
  };
  const std::vector<Case> cases = {
      {0min, 3},  {14min, 3}, {15min, 5},  {59min, 6},  {60min, 3},
      {70min, 7}, {75min, 5}, {119min, 4}, {130min, 0},
  };
  for (const auto& c : cases)
    EXPECT_EQ(w.count(1, kTen + c.at), c.expected) << "at 10:00 + " << c.at.count() << "min";
}

TEST(HourlyWindowTest, AccountsAreCountedSeparately) {
  HourlyWindow w;
  w.add(1, kTen, 5);
  w.add(2, kTen, 1);
  EXPECT_EQ(w.count(1, kTen), 5u);
  EXPECT_EQ(w.count(2, kTen), 1u);
  EXPECT_EQ(w.count(3, kTen), 0u);
}

TEST(HourlyWindowTest, ABucketReusedSixtyMinutesLaterStartsFromZero) {
  HourlyWindow w;
  w.add(1, kTen + 5min, 7);         // bucket 5
  w.add(1, kTen + 65min + 20s, 2);  // bucket 5 again, one hour later
  EXPECT_EQ(w.count(1, kTen + 65min + 20s), 2u);
  EXPECT_EQ(w.count(1, kTen + 124min), 2u);
  EXPECT_EQ(w.count(1, kTen + 125min), 0u);
}

TEST(HourlyWindowTest, AMessageInTheSameMinuteAddsToItsBucket) {
  HourlyWindow w;
  w.add(1, kTen + 5min);
  w.add(1, kTen + 5min + 59s, 2);
  EXPECT_EQ(w.count(1, kTen + 5min + 59s), 3u);
}

TEST(HourlyWindowTest, NextFreeIsWhenEnoughOfTheOldestMinutesLeaveTheWindow) {
  HourlyWindow w;
  // 10:00 x1, 10:20 x2, 10:40 x1: four messages.
  w.add(1, kTen + 10s);
  w.add(1, kTen + 20min + 45s, 2);
  w.add(1, kTen + 40min);
  struct Case {
    uint64_t limit;
    minutes now;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {5, 45min, "none"},                  // below the limit already
      {4, 45min, "2026-03-10T11:00:00Z"},  // 10:00 leaves: 3 < 4
      {3, 45min, "2026-03-10T11:20:00Z"},  // 10:20 leaves too: 1 < 3
      {2, 45min, "2026-03-10T11:20:00Z"},
      {1, 45min, "2026-03-10T11:40:00Z"},  // everything must leave
      {4, 59min, "2026-03-10T11:00:00Z"},
      {3, 61min, "2026-03-10T11:20:00Z"},  // 10:00 already gone; 3 left, 10:20 must go
      {3, 81min, "none"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(show(w.next_free(1, kTen + c.now, c.limit)), c.expected)
        << "limit " << c.limit << " at 10:00 + " << c.now.count() << "min";
}

TEST(HourlyWindowTest, NextFreeCountsOnlyTheCurrentUseOfAReusedBucket) {
  HourlyWindow w;
  w.add(1, kTen + 5min, 10);  // bucket 5 at 10:05; gone by 11:05
  w.add(1, kTen + 65min);     // bucket 5 at 11:05
  w.add(1, kTen + 70min);     // bucket 10 at 11:10
  EXPECT_EQ(show(w.next_free(1, kTen + 75min, 2)), "2026-03-10T12:05:00Z");
  EXPECT_EQ(show(w.next_free(1, kTen + 75min, 3)), "none");
}

TEST(HourlyWindowTest, NextFreeOfAnUnknownAccountIsNone) {
  HourlyWindow w;
  EXPECT_EQ(show(w.next_free(42, kTen, 1)), "none");
}

TEST(HourlyWindowTest, PruneDropsOnlyAccountsWithNothingInTheWindow) {
  HourlyWindow w;
  w.add(1, kTen);          // leaves the window at 11:00
  w.add(2, kTen + 30min);  // leaves at 11:30
  w.add(3, kTen + 59min);  // leaves at 11:59
  EXPECT_EQ(w.account_count(), 3u);

  w.prune(kTen + 59min);
  EXPECT_EQ(w.account_count(), 3u);
  w.prune(kTen + 60min);
  EXPECT_EQ(w.account_count(), 2u);
  EXPECT_EQ(w.count(2, kTen + 60min), 1u);
  EXPECT_EQ(w.count(3, kTen + 60min), 1u);
  w.prune(kTen + 90min);
  EXPECT_EQ(w.account_count(), 1u);
  EXPECT_EQ(w.count(3, kTen + 90min), 1u);
  w.prune(kTen + 119min);
  EXPECT_EQ(w.account_count(), 0u);

  // A pruned account starts afresh.
  w.add(1, kTen + 120min);
  EXPECT_EQ(w.count(1, kTen + 120min), 1u);
}

}  // namespace
}  // namespace sendpool
