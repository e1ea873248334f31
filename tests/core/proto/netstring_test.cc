#include "core/proto/netstring.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendpool {
namespace {

struct Parsed {
  std::vector<std::string> payloads;
  bool ok = true;
  std::string error;
  bool mid = false;
};

// Feeds `bytes` in pieces of `chunk` bytes (0: all at once) to a fresh parser.
Parsed parse(std::string_view bytes, size_t chunk = 0, size_t max_length = kMaxNetstringLength) {
  NetstringParser parser(max_length);
  Parsed parsed;
  if (chunk == 0) chunk = bytes.size() + 1;
  for (size_t i = 0; i < bytes.size() && parsed.ok; i += chunk) {
    Status status = parser.feed(bytes.substr(i, chunk), parsed.payloads);
    if (!status) {
      parsed.ok = false;
      parsed.error = status.error().message;
    }
  }
  parsed.mid = parser.mid_netstring();
  return parsed;
}

TEST(NetstringTest, WellFormedNetstringsDecodeInOrder) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"5:hello,", {"hello"}},
      {"0:,", {""}},
      {"0:,0:,", {"", ""}},
      {"26:transport user@example.com,", {"transport user@example.com"}},
      {"3:a,b,1::,", {"a,b", ":"}},
      {std::string("3:\0\n\r,", 6), {std::string("\0\n\r", 3)}},
      {"10:0123456789,2:ab,", {"0123456789", "ab"}},
  };
  for (const auto& [input, payloads] : cases) {
    for (size_t chunk : {0u, 1u, 3u}) {
      Parsed parsed = parse(input, chunk);
      ASSERT_TRUE(parsed.ok) << input << ": " << parsed.error;
      EXPECT_EQ(parsed.payloads, payloads) << input;
      EXPECT_FALSE(parsed.mid) << input;
    }
  }
}

TEST(NetstringTest, FormatIsLengthColonPayloadComma) {
  EXPECT_EQ(format_netstring("hello"), "5:hello,");
  EXPECT_EQ(format_netstring(""), "0:,");
  EXPECT_EQ(format_netstring("NOTFOUND "), "9:NOTFOUND ,");
  EXPECT_EQ(format_netstring(std::string(12, 'x')), "12:" + std::string(12, 'x') + ",");
}

TEST(NetstringTest, FormattedPayloadsParseBack) {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b)
    all_bytes.push_back(static_cast<char>(b));
  const std::vector<std::string> payloads = {
      "", "x", "OK pool_a:", ",,,", "1:a,", all_bytes, std::string(kMaxNetstringLength, 'z')};
  std::string stream;
  for (const std::string& p : payloads)
    stream += format_netstring(p);
  for (size_t chunk : {0u, 1u, 1000u}) {
    Parsed parsed = parse(stream, chunk);
    ASSERT_TRUE(parsed.ok) << parsed.error;
    EXPECT_EQ(parsed.payloads, payloads);
  }
}

TEST(NetstringTest, MalformedNetstringsAreRejected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"01:a,", "leading zero"},
      {"00:,", "leading zero"},
      {"3:abcd", "closing ','"},
      {"3:ab,5:hello,", "closing ','"},  // "ab," is the payload; '5' is no comma
      {"3:abc;", "closing ','"},
      {"x:", "unexpected byte 'x'"},
      {":", "without a length"},
      {":abc,", "without a length"},
      {"-1:a,", "unexpected byte '-'"},
      {" 3:abc,", "unexpected byte 0x20"},
      {"3 :abc,", "unexpected byte 0x20"},
      {"+3:abc,", "unexpected byte '+'"},
      {"3,abc,", "unexpected byte ','"},
      {"100001:", "longer than 100000"},
      {"99999999999999999999999999:", "longer than 100000"},
      {"18446744073709551616:", "longer than 100000"},
      {"5:hello,x", "unexpected byte 'x'"},
  };
  for (const auto& [input, message_part] : cases) {
    for (size_t chunk : {0u, 1u}) {
      Parsed parsed = parse(input, chunk);
      EXPECT_FALSE(parsed.ok) << input;
      EXPECT_NE(parsed.error.find(message_part), std::string::npos)
          << input << ": " << parsed.error;
      EXPECT_FALSE(parsed.mid) << input;
    }
  }
}

TEST(NetstringTest, LengthIsRejectedAtTheFirstDigitPastTheLimit) {
  // No payload byte is needed to see that 100001 is too long.
  EXPECT_FALSE(parse("100001").ok);
  EXPECT_TRUE(parse("100000").ok);
  EXPECT_FALSE(parse("1000000").ok);
}

TEST(NetstringTest, LengthLimitIsInclusive) {
  std::string at_limit = format_netstring(std::string(kMaxNetstringLength, 'a'));
  Parsed accepted = parse(at_limit);
  ASSERT_TRUE(accepted.ok) << accepted.error;
  ASSERT_EQ(accepted.payloads.size(), 1u);
  EXPECT_EQ(accepted.payloads[0].size(), kMaxNetstringLength);
  EXPECT_FALSE(parse(format_netstring(std::string(kMaxNetstringLength + 1, 'a'))).ok);

  // A smaller limit given to the constructor.
  EXPECT_TRUE(parse("5:hello,", 0, 5).ok);
  Parsed past = parse("6:hello!,", 0, 5);
  EXPECT_FALSE(past.ok);
  EXPECT_NE(past.error.find("longer than 5 bytes"), std::string::npos) << past.error;
  EXPECT_TRUE(parse("0:,", 0, 0).ok);
  EXPECT_FALSE(parse("1:a,", 0, 0).ok);
}

TEST(NetstringTest, IncompleteInputIsNotAnErrorButIsMidNetstring) {
  for (std::string input : {"3", "3:", "3:ab", "3:ab,", "3:abc"}) {
    Parsed parsed = parse(input);
    EXPECT_TRUE(parsed.ok) << input;
    EXPECT_TRUE(parsed.payloads.empty()) << input;
    EXPECT_TRUE(parsed.mid) << input;
  }
  EXPECT_FALSE(parse("").mid);
  EXPECT_FALSE(parse("3:abc,").mid);
}

TEST(NetstringTest, ParserStaysFailedAfterAnError) {
  NetstringParser parser;
  std::vector<std::string> out;
  Status first = parser.feed("1:a,x", out);
  ASSERT_FALSE(first.has_value());
  EXPECT_EQ(first.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(out, std::vector<std::string>{"a"});
  Status again = parser.feed("1:b,", out);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().message, first.error().message);
  EXPECT_EQ(out.size(), 1u);
}

}  // namespace
}  // namespace sendpool
