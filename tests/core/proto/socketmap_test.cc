#include "core/proto/socketmap.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/proto/netstring.h"

namespace sendpool {
namespace {

TEST(SocketmapTest, RequestSplitsAtTheFirstSpaceAndKeepsTheKeyUnchanged) {
  const std::vector<std::pair<std::string, SocketmapRequest>> cases = {
      {"transport user@example.com", {"transport", "user@example.com"}},
      {"sender_pool User+Tag@Example.COM", {"sender_pool", "User+Tag@Example.COM"}},
      {"transport *", {"transport", "*"}},
      {"sender_pool <>", {"sender_pool", "<>"}},
      {"map \"a b\"@example.com", {"map", "\"a b\"@example.com"}},
      {"map  leading-space", {"map", " leading-space"}},
      {"map trailing ", {"map", "trailing "}},
      {"map.v2-x_y key", {"map.v2-x_y", "key"}},
  };
  for (const auto& [payload, expected] : cases) {
    Result<SocketmapRequest> got = parse_socketmap_request(payload);
    ASSERT_TRUE(got.has_value()) << payload << ": " << got.error().message;
    EXPECT_EQ(*got, expected) << payload;
  }
}

TEST(SocketmapTest, MalformedRequestsAreRejected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "without a space"},
      {"transport", "without a space"},
      {" key", "empty map name"},
      {"transport ", "empty key"},
      {"trans/port key", "unexpected byte '/'"},
      {"trans:port key", "unexpected byte ':'"},
      {"trans\tport key", "unexpected byte 0x09"},
      {std::string("map a\0b", 7), "NUL byte"},
  };
  for (const auto& [payload, message_part] : cases) {
    Result<SocketmapRequest> got = parse_socketmap_request(payload);
    ASSERT_FALSE(got.has_value()) << payload;
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(got.error().message.find(message_part), std::string::npos) << got.error().message;
  }
}

TEST(SocketmapTest, NotFoundHasItsTrailingSpace) {
  EXPECT_EQ(socketmap_notfound(), "NOTFOUND ");
  EXPECT_EQ(format_netstring(socketmap_notfound()), "9:NOTFOUND ,");
}

TEST(SocketmapTest, RepliesAreStatusSpaceText) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {socketmap_ok("pool_a:"), "OK pool_a:"},
      {socketmap_ok("smtp:[192.0.2.1]:25"), "OK smtp:[192.0.2.1]:25"},
      {socketmap_ok(""), "OK "},
      {socketmap_temp("store busy"), "TEMP store busy"},
      {socketmap_perm("bad key"), "PERM bad key"},
      {socketmap_temp(""), "TEMP "},
      {socketmap_temp("a\nb\rc"), "TEMP a b c"},
      {socketmap_perm(std::string("x\0y", 3)), "PERM x y"},
  };
  for (const auto& [got, expected] : cases)
    EXPECT_EQ(got, expected);
}

TEST(SocketmapTest, GoldenTranscriptThroughNetstrings) {
  // What `postmap -q User@Example.COM socketmap:unix:/path:transport` sends, and the answer.
  std::string request_bytes = "26:transport User@Example.COM,";
  NetstringParser parser;
  std::vector<std::string> payloads;
  ASSERT_TRUE(parser.feed(request_bytes, payloads).has_value());
  ASSERT_EQ(payloads.size(), 1u);
  Result<SocketmapRequest> request = parse_socketmap_request(payloads[0]);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->name, "transport");
  EXPECT_EQ(request->key, "User@Example.COM");
  EXPECT_EQ(format_netstring(socketmap_ok("pool_b:")), "10:OK pool_b:,");
}

}  // namespace
}  // namespace sendpool
