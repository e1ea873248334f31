#include "core/proto/base64.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace sendpool {
namespace {

TEST(Base64Test, Rfc4648TestVectorsEncodeAndDecode) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
      {std::string("\0user\0secret", 12), "AHVzZXIAc2VjcmV0"},
      {"Username:", "VXNlcm5hbWU6"},
      {"\xff\xfe\xfd", "//79"},
      {"\xfb\xff", "+/8="},
  };
  for (const auto& [bytes, text] : cases) {
    EXPECT_EQ(base64_encode(bytes), text);
    EXPECT_EQ(base64_decode(text), std::optional<std::string>(bytes)) << text;
  }
}

TEST(Base64Test, EveryByteValueAndLengthRoundTrips) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>(i * 37 + 11));
    std::string text = base64_encode(bytes);
    EXPECT_EQ(text.size() % 4, 0u);
    EXPECT_EQ(base64_decode(text), std::optional<std::string>(bytes)) << i;
  }
}

TEST(Base64Test, MalformedTextIsRejected) {
  const std::vector<std::string> cases = {
      "Z",
      "Zg",
      "Zg=",
      "Zm9vY",  // length not a multiple of four
      "Zg===",
      "Z===",
      "====",
      "=Zg=",  // misplaced or excess padding
      "Zg==Zg==",
      "Zm8=Zm9v",
      "Zm=v",  // padding before the end
      "Zh==",
      "Zm9=",  // non-zero bits under the padding
      "Zm9v\n",
      "Zm9 v",
      "Zm9v\r\nYg==",
      " Zm9v",  // whitespace
      "Zm-_",
      "Zm9*",
      "Zm9\xc3",  // not in the standard alphabet
      std::string("Zm\0v", 4),
  };
  for (const std::string& text : cases)
    EXPECT_EQ(base64_decode(text), std::nullopt) << text;
}

TEST(Base64Test, EmptyTextDecodesToEmptyBytes) {
  std::optional<std::string> decoded = base64_decode("");
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, "");
}

}  // namespace
}  // namespace sendpool
