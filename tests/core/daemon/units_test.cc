#include "core/daemon/units.h"

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <string>

namespace sendpool {
namespace {

using std::chrono::milliseconds;

TEST(DurationTest, ParsesEachUnit) {
  const struct {
    const char* text;
    milliseconds want;
  } cases[] = {
      {"500ms", milliseconds(500)},
      {"0ms", milliseconds(0)},
      {"0s", milliseconds(0)},
      {"30s", milliseconds(30'000)},
      {"5m", milliseconds(300'000)},
      {"2h", milliseconds(7'200'000)},
      {"1d", milliseconds(86'400'000)},
      {"007s", milliseconds(7'000)},
      {"106751991167d", milliseconds(int64_t{106751991167} * 86'400'000)},
  };
  for (const auto& c : cases) {
    auto got = parse_duration(c.text);
    ASSERT_TRUE(got) << c.text << ": " << got.error().message;
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(DurationTest, RejectsGarbageNegativeOverflowAndMissingUnits) {
  const struct {
    std::string text;
    const char* reason;
  } cases[] = {
      {"", "empty"},
      {"30", "missing unit"},
      {"s", "expected a whole number"},
      {"-5s", "must not be negative"},
      {"+5s", "expected a whole number"},
      {"1.5s", "unknown unit \".5s\""},
      {"5 s", "unknown unit \" s\""},
      {" 5s", "expected a whole number"},
      {"5S", "unknown unit \"S\""},
      {"5sec", "unknown unit \"sec\""},
      {"5us", "unknown unit \"us\""},
      {"5s5", "unknown unit"},
      {"106751991168d", "too large"},
      {"9223372036854775808ms", "too large"},
      {"99999999999999999999s", "too large"},
      {std::string(65, '1') + "s", "longer than 64"},
  };
  for (const auto& c : cases) {
    auto got = parse_duration(c.text);
    ASSERT_FALSE(got) << c.text;
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(got.error().message.find(c.reason), std::string::npos)
        << c.text << ": " << got.error().message;
    EXPECT_EQ(got.error().message.rfind("invalid duration \"", 0), 0u) << got.error().message;
  }
}

TEST(DurationTest, FormatUsesLargestExactUnitAndRoundTrips) {
  const struct {
    milliseconds value;
    const char* text;
  } cases[] = {
      {milliseconds(0), "0s"},
      {milliseconds(1), "1ms"},
      {milliseconds(1500), "1500ms"},
      {milliseconds(30'000), "30s"},
      {milliseconds(90'000), "90s"},
      {milliseconds(120'000), "2m"},
      {milliseconds(7'200'000), "2h"},
      {milliseconds(172'800'000), "2d"},
      {milliseconds(std::numeric_limits<int64_t>::max()), "9223372036854775807ms"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(format_duration(c.value), c.text);
    auto back = parse_duration(c.text);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, c.value);
  }
}

TEST(SizeTest, ParsesBytesBinaryAndDecimalUnits) {
  const struct {
    const char* text;
    uint64_t want;
  } cases[] = {
      {"0", 0},
      {"512", 512},
      {"512B", 512},
      {"10KiB", 10 * 1024},
      {"10MiB", 10 * 1024 * 1024},
      {"1GiB", uint64_t{1} << 30},
      {"16GiB", uint64_t{16} << 30},
      {"2TiB", uint64_t{2} << 40},
      {"10KB", 10'000},
      {"10MB", 10'000'000},
      {"1GB", 1'000'000'000},
      {"3TB", 3'000'000'000'000},
      {"18446744073709551615", std::numeric_limits<uint64_t>::max()},
      {"16777215TiB", uint64_t{16777215} << 40},
  };
  for (const auto& c : cases) {
    auto got = parse_size(c.text);
    ASSERT_TRUE(got) << c.text << ": " << got.error().message;
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(SizeTest, RejectsGarbageNegativeOverflowAndUnknownUnits) {
  const struct {
    std::string text;
    const char* reason;
  } cases[] = {
      {"", "empty"},
      {"MiB", "expected a whole number"},
      {"-1", "must not be negative"},
      {"-1MiB", "must not be negative"},
      {"1.5GiB", "unknown unit \".5GiB\""},
      {"10 MiB", "unknown unit \" MiB\""},
      {"10mib", "unknown unit \"mib\""},
      {"10Mb", "unknown unit \"Mb\""},
      {"10M", "unknown unit \"M\""},
      {"10PiB", "unknown unit \"PiB\""},
      {"0x10", "unknown unit \"x10\""},
      {"18446744073709551616", "too large"},
      {"16777216TiB", "too large"},
      {"18446744073709552KB", "too large"},
      {std::string(70, '9'), "longer than 64"},
  };
  for (const auto& c : cases) {
    auto got = parse_size(c.text);
    ASSERT_FALSE(got) << c.text;
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(got.error().message.find(c.reason), std::string::npos)
        << c.text << ": " << got.error().message;
    EXPECT_EQ(got.error().message.rfind("invalid size \"", 0), 0u) << got.error().message;
  }
}

TEST(SizeTest, FormatUsesLargestExactUnitAndRoundTrips) {
  const struct {
    uint64_t value;
    const char* text;
  } cases[] = {
      {0, "0"},
      {1, "1"},
      {1023, "1023"},
      {1024, "1KiB"},
      {1000, "1KB"},
      {1500, "1500"},
      {uint64_t{16} << 30, "16GiB"},
      {1'000'000, "1MB"},
      {uint64_t{5} << 40, "5TiB"},
      {std::numeric_limits<uint64_t>::max(), "18446744073709551615"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(format_size(c.value), c.text);
    auto back = parse_size(c.text);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, c.value);
  }
}

}  // namespace
}  // namespace sendpool
