#include "core/crypto/hmac.h"

#include <string>

#include <gtest/gtest.h>

namespace sendpool {
namespace {

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

struct HmacCase {
  std::string name;
  std::string key;
  std::string data;
  std::string expected_hex;
};

TEST(HmacTest, HmacSha256MatchesRfc4231TestVectors) {
  const HmacCase cases[] = {
      {"rfc4231 case 1", std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"rfc4231 case 2", "Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"rfc4231 case 3", std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"rfc4231 case 6 (key longer than block)", std::string(131, '\xaa'),
       "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
  };
  for (const HmacCase& c : cases) {
    const std::string mac = hmac_sha256(c.key, c.data);
    EXPECT_EQ(mac.size(), kHmacSha256Bytes) << c.name;
    EXPECT_EQ(hex(mac), c.expected_hex) << c.name;
  }
}

TEST(HmacTest, EmptyKeyAndEmptyDataAreAllowed) {
  // python3 -c 'import hmac,hashlib; print(hmac.new(b"", b"", hashlib.sha256).hexdigest())'
  EXPECT_EQ(hex(hmac_sha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacTest, ConstantTimeEqualComparesWholeValues) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("token", "token"));
  EXPECT_FALSE(constant_time_equal("token", "tokem"));
  EXPECT_FALSE(constant_time_equal("token", "token2"));
  EXPECT_FALSE(constant_time_equal("token", ""));
  EXPECT_TRUE(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(HmacTest, RandomBytesHaveTheRequestedLengthAndDiffer) {
  auto a = random_bytes(32);
  auto b = random_bytes(32);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->size(), 32u);
  EXPECT_NE(*a, *b);
  auto none = random_bytes(0);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(HmacTest, RandomBytesRefusesOversizedRequests) {
  auto huge = random_bytes(kMaxRandomBytes + 1);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace sendpool
