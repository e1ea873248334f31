#include "core/store/codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace sendpool {
namespace {

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list)
    out.push_back(static_cast<char>(b));
  return out;
}

TEST(CodecTest, UnsignedVarintsRoundTripWithMinimalLength) {
  struct Case {
    uint64_t value;
    size_t encoded_size;  // without the version byte
  };
  const std::vector<Case> cases = {
      {0, 1},
      {1, 1},
      {127, 1},
      {128, 2},
      {16383, 2},
      {16384, 3},
      {uint64_t{1} << 32, 5},
      {(uint64_t{1} << 63) - 1, 9},
      {uint64_t{1} << 63, 10},
      {kU64Max - 1, 10},
      {kU64Max, 10},
  };
  for (const auto& c : cases) {
    std::string enc = RecordWriter(1).u64(c.value).take();
    EXPECT_EQ(enc.size(), 1 + c.encoded_size) << c.value;
    RecordReader r(enc);
    EXPECT_EQ(r.version(), 1);
    EXPECT_EQ(r.u64(), c.value);
    EXPECT_TRUE(r.finished()) << c.value;
  }
}

TEST(CodecTest, SignedIntegersRoundTripThroughZigZagWithSmallMagnitudesShort) {
  struct Case {
    int64_t value;
    size_t encoded_size;
  };
  const std::vector<Case> cases = {
      {0, 1},
      {-1, 1},
      {1, 1},
      {-64, 1},
      {63, 1},
      {-65, 2},
      {64, 2},
      {kI64Min, 10},
      {kI64Max, 10},
      {kI64Min + 1, 10},
      {-1234567890123, 6},
  };
  for (const auto& c : cases) {
    std::string enc = RecordWriter(1).i64(c.value).take();
    EXPECT_EQ(enc.size(), 1 + c.encoded_size) << c.value;
    RecordReader r(enc);
    EXPECT_EQ(r.i64(), c.value);
    EXPECT_TRUE(r.finished()) << c.value;
  }
}

TEST(CodecTest, DoublesRoundTripBitForBit) {
  const std::vector<double> cases = {
      0.0,
      -0.0,
      1.5,
      -2.25,
      0.1,
      std::numeric_limits<double>::max(),
      std::numeric_limits<double>::lowest(),
      std::numeric_limits<double>::min(),
      std::numeric_limits<double>::denorm_min(),
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::quiet_NaN(),
  };
  for (double v : cases) {
    std::string enc = RecordWriter(1).f64(v).take();
    EXPECT_EQ(enc.size(), 9u);
    RecordReader r(enc);
    double got = r.f64();
    EXPECT_TRUE(r.finished());
    EXPECT_EQ(std::memcmp(&got, &v, sizeof v), 0) << v;
  }
}

TEST(CodecTest, DoublesAreLittleEndian) {
  std::string enc = RecordWriter(1).f64(1.0).take();  // 0x3ff0000000000000
  EXPECT_EQ(enc, bytes({1, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}));
}

TEST(CodecTest, StringsRoundTripIncludingEmptyBinaryAndTheLengthLimit) {
  const std::vector<std::string> cases = {
      "",
      "a",
      std::string("nul\0inside", 10),
      std::string(127, 'x'),
      std::string(128, 'y'),
      std::string(300, '\xff'),
      std::string(size_t{1} << 20, 'z'),  // exactly the limit
  };
  for (const auto& s : cases) {
    std::string enc = RecordWriter(1).str(s).take();
    RecordReader r(enc);
    EXPECT_EQ(r.str(), s) << s.size();
    EXPECT_TRUE(r.finished()) << s.size();
  }
}

TEST(CodecTest, MixedFieldsRoundTripInOrder) {
  std::string enc = RecordWriter(7)
                        .u64(kU64Max)
                        .i64(kI64Min)
                        .str("hello")
                        .boolean(true)
                        .f64(-3.5)
                        .boolean(false)
                        .u64(0)
                        .take();
  RecordReader r(enc);
  EXPECT_EQ(r.version(), 7);
  EXPECT_EQ(r.u64(), kU64Max);
  EXPECT_EQ(r.i64(), kI64Min);
  EXPECT_EQ(r.str(), "hello");
  EXPECT_TRUE(r.boolean());
  EXPECT_EQ(r.f64(), -3.5);
  EXPECT_FALSE(r.boolean());
  EXPECT_TRUE(r.has_more());
  EXPECT_EQ(r.u64(), 0u);
  EXPECT_FALSE(r.has_more());
  EXPECT_TRUE(r.finished());
}

TEST(CodecTest, EmptyInputHasNoVersionAndFails) {
  RecordReader r("");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.version(), 0);
  EXPECT_EQ(r.u64(), 0u);
  EXPECT_FALSE(r.finished());
}

TEST(CodecTest, ReaderRejectsTruncationAtEveryCutPoint) {
  std::string enc = RecordWriter(1)
                        .u64(kU64Max)
                        .i64(kI64Min)
                        .str("some text")
                        .f64(2.5)
                        .u64(300)
                        .str("")
                        .boolean(true)
                        .take();
  for (size_t cut = 0; cut < enc.size(); ++cut) {
    RecordReader r(std::string_view(enc).substr(0, cut));
    r.u64();
    r.i64();
    r.str();
    r.f64();
    r.u64();
    r.str();
    r.boolean();
    EXPECT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_FALSE(r.finished()) << "cut at " << cut;
  }
  RecordReader whole(enc);
  whole.u64();
  whole.i64();
  whole.str();
  whole.f64();
  whole.u64();
  whole.str();
  whole.boolean();
  EXPECT_TRUE(whole.finished());
}

TEST(CodecTest, ReaderRejectsMalformedVarints) {
  struct Case {
    const char* name;
    std::string input;  // after the version byte
  };
  const std::vector<Case> cases = {
      {"continuation at the end", bytes({0x80})},
      {"ten continuation bytes",
       bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00})},
      {"eleven bytes", bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x00})},
      {"tenth byte overflows 64 bits",
       bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02})},
      {"tenth byte 0x7f", bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f})},
  };
  for (const auto& c : cases) {
    std::string in = bytes({1}) + c.input;
    RecordReader r(in);
    EXPECT_EQ(r.u64(), 0u) << c.name;
    EXPECT_FALSE(r.ok()) << c.name;
  }
  // The longest valid form: nine 0xff and a final 0x01 is UINT64_MAX.
  std::string max = bytes({1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01});
  RecordReader r(max);
  EXPECT_EQ(r.u64(), kU64Max);
  EXPECT_TRUE(r.finished());
}

TEST(CodecTest, ReaderRejectsStringLengthsPastTheEndOrTheLimit) {
  struct Case {
    const char* name;
    std::string input;  // after the version byte
  };
  std::string over_limit = RecordWriter(1).u64((uint64_t{1} << 20) + 1).take().substr(1) +
                           std::string((size_t{1} << 20) + 1, 'a');
  const std::vector<Case> cases = {
      {"one byte short", bytes({5}) + "abcd"},
      {"length without data", bytes({1})},
      {"huge length", RecordWriter(1).u64(kU64Max).take().substr(1) + "abc"},
      {"length past size_t arithmetic", RecordWriter(1).u64(kU64Max - 1).take().substr(1)},
      {"over the string limit with the bytes present", over_limit},
  };
  for (const auto& c : cases) {
    std::string in = bytes({1}) + c.input;
    RecordReader r(in);
    EXPECT_EQ(r.str(), "") << c.name;
    EXPECT_FALSE(r.ok()) << c.name;
  }
}

TEST(CodecTest, FirstFailureSticksEvenWhenLaterBytesWouldDecode) {
  // A string claiming 9 bytes with only 3 present; the 3 bytes alone are valid varints.
  std::string in = bytes({1, 9, 1, 2, 3});
  RecordReader r(in);
  EXPECT_EQ(r.str(), "");
  EXPECT_EQ(r.u64(), 0u);
  EXPECT_EQ(r.i64(), 0);
  EXPECT_EQ(r.f64(), 0.0);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.has_more());
}

TEST(CodecTest, FinishedIsFalseWithTrailingBytes) {
  std::string enc = RecordWriter(1).u64(5).str("x").take() + "\x01";
  RecordReader r(enc);
  EXPECT_EQ(r.u64(), 5u);
  EXPECT_EQ(r.str(), "x");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.has_more());
  EXPECT_FALSE(r.finished());
}

TEST(CodecTest, Be64RoundTripsAndSortsInNumericOrder) {
  const std::vector<uint64_t> ascending = {0,
                                           1,
                                           0xff,
                                           0x100,
                                           0xffff,
                                           uint64_t{1} << 32,
                                           (uint64_t{1} << 56) - 1,
                                           uint64_t{1} << 56,
                                           uint64_t{1} << 63,
                                           kU64Max - 1,
                                           kU64Max};
  for (size_t i = 0; i < ascending.size(); ++i) {
    std::string key = be64(ascending[i]);
    ASSERT_EQ(key.size(), 8u);
    EXPECT_EQ(read_be64(key), ascending[i]);
    for (size_t j = i + 1; j < ascending.size(); ++j) {
      std::string later = be64(ascending[j]);
      // LMDB's default comparison: memcmp over the bytes.
      EXPECT_LT(std::memcmp(key.data(), later.data(), 8), 0)
          << ascending[i] << " vs " << ascending[j];
    }
  }
  EXPECT_EQ(be64(0x0102030405060708), bytes({1, 2, 3, 4, 5, 6, 7, 8}));
}

}  // namespace
}  // namespace sendpool
