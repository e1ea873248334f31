#include "core/proto/return_path.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

namespace sendpool {
namespace {

constexpr std::string_view kDomain = "rp.sendpool.example";
constexpr std::string_view kSecret = "platform-secret-1";

ReturnPathToken token(TokenKind kind, uint64_t account, int day, std::string tag) {
  ReturnPathToken t;
  t.kind = kind;
  t.account = account;
  t.day = day;
  t.tag = std::move(tag);
  return t;
}

// A typical token: account 42 (0x2a), 2026-03-10 (day 20522 = 0x502a), tag "k7pq2xza".
ReturnPathToken typical() {
  return token(TokenKind::kBounce, 42, 20522, "k7pq2xza");
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

// The dot-separated fields of an encoded address's local part: kind, account, day, tag, mac.
std::vector<std::string> fields(const std::string& address) {
  std::vector<std::string> out;
  std::string local = address.substr(0, address.find('@'));
  size_t from = 0;
  for (;;) {
    size_t dot = local.find('.', from);
    out.push_back(local.substr(from, dot - from));
    if (dot == std::string::npos) break;
    from = dot + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i ? "." : "") + parts[i];
  return out + "@" + std::string(kDomain);
}

// The same address with field `i` replaced by `value` (the MAC left as it was).
std::string with_field(const std::string& address, size_t i, const std::string& value) {
  std::vector<std::string> parts = fields(address);
  parts.at(i) = value;
  return join(parts);
}

bool same(const ReturnPathToken& a, const ReturnPathToken& b) {
  return a.kind == b.kind && a.account == b.account && a.day == b.day && a.tag == b.tag;
}

TEST(ReturnPathTest, EncodeWritesKindAccountDayTagAndMacInLowerCaseHex) {
  std::string address = encode_return_path(typical(), "RP.Sendpool.Example", kSecret);
  std::vector<std::string> parts = fields(address);
  ASSERT_EQ(parts.size(), 5u) << address;
  EXPECT_EQ(parts[0], "b");
  EXPECT_EQ(parts[1], "2a");
  EXPECT_EQ(parts[2], "502a");
  EXPECT_EQ(parts[3], "k7pq2xza");
  EXPECT_EQ(parts[4].size(), kMacTextLength);
  EXPECT_TRUE(is_valid_tag(parts[4])) << "the MAC is lower-case base32: " << parts[4];
  EXPECT_EQ(address.substr(address.find('@') + 1), "rp.sendpool.example");
  EXPECT_EQ(
      encode_return_path(token(TokenKind::kUnsubscribe, 42, 20522, "k7pq2xza"), kDomain, kSecret)
          .substr(0, 2),
      "u.");
}

TEST(ReturnPathTest, EveryTokenRoundTripsThroughEncodeAndDecode) {
  const std::vector<ReturnPathToken> tokens = {
      typical(),
      token(TokenKind::kUnsubscribe, 42, 20522, "k7pq2xza"),
      token(TokenKind::kBounce, 0, 0, "a"),
      token(TokenKind::kBounce, 1, 1, "z"),
      token(TokenKind::kBounce, 0xdeadbeef, 0x10, "abcdefghijklmnop"),
      token(TokenKind::kUnsubscribe, std::numeric_limits<uint64_t>::max(), 0x7fffffff,
            "234567234567abcd"),
  };
  for (const auto& t : tokens) {
    std::string address = encode_return_path(t, kDomain, kSecret);
    std::optional<ReturnPathToken> back = decode_return_path(address, kDomain, kSecret);
    ASSERT_TRUE(back.has_value()) << address;
    EXPECT_TRUE(same(*back, t)) << address;
    for (char c : address)
      EXPECT_FALSE(c >= 'A' && c <= 'Z') << address;
  }
}

TEST(ReturnPathTest, LocalPartFitsIn64OctetsForTheLargestFields) {
  ReturnPathToken largest = token(TokenKind::kBounce, std::numeric_limits<uint64_t>::max(),
                                  0x7fffffff, std::string(kMaxTagLength, 'z'));
  std::string address = encode_return_path(largest, kDomain, kSecret);
  EXPECT_LE(address.find('@'), 64u) << address;
  EXPECT_TRUE(decode_return_path(address, kDomain, kSecret).has_value());
}

TEST(ReturnPathTest, DecodeIgnoresCaseThatReceiversChanged) {
  std::string address = encode_return_path(typical(), kDomain, kSecret);
  const std::vector<std::string> variants = {
      upper(address),
      upper(address.substr(0, address.find('@'))) + address.substr(address.find('@')),
      address.substr(0, address.find('@')) + upper(address.substr(address.find('@'))),
  };
  for (const auto& v : variants) {
    std::optional<ReturnPathToken> t = decode_return_path(v, kDomain, kSecret);
    ASSERT_TRUE(t.has_value()) << v;
    EXPECT_TRUE(same(*t, typical())) << v;
  }
  // The configured domain may be written in any case too.
  EXPECT_TRUE(decode_return_path(address, "RP.SENDPOOL.EXAMPLE", kSecret).has_value());
}

TEST(ReturnPathTest, DecodeAcceptsAngleBracketsAndAFullyQualifiedDomain) {
  std::string address = encode_return_path(typical(), kDomain, kSecret);
  for (const std::string& v : {"<" + address + ">", address + ".", "<" + address + ".>"}) {
    std::optional<ReturnPathToken> t = decode_return_path(v, kDomain, kSecret);
    ASSERT_TRUE(t.has_value()) << v;
    EXPECT_TRUE(same(*t, typical())) << v;
  }
}

TEST(ReturnPathTest, DecodeRejectsAnythingNotMintedByUs) {
  const std::string good = encode_return_path(typical(), kDomain, kSecret);
  const std::string local = good.substr(0, good.find('@'));
  const std::string mac = fields(good)[4];
  std::string flipped_mac = mac;
  flipped_mac[7] = flipped_mac[7] == 'a' ? 'b' : 'a';
  // The same fields under another account, day or tag: a valid MAC for those fields, so the
  // only thing wrong below is pairing them with the old MAC.
  const std::string other_mac = fields(
      encode_return_path(token(TokenKind::kBounce, 43, 20522, "k7pq2xza"), kDomain, kSecret))[4];
  ASSERT_NE(other_mac, mac);

  struct Case {
    const char* rule;
    std::string address;
  };
  const std::vector<Case> cases = {
      {"wrong domain", local + "@rp.other.example"},
      {"subdomain of ours", local + "@x.rp.sendpool.example"},
      {"parent of ours", local + "@sendpool.example"},
      {"two trailing dots", good + ".."},
      {"no domain", local},
      {"empty", ""},
      {"only brackets", "<>"},
      {"unbalanced bracket", "<" + good},
      {"wrong secret", encode_return_path(typical(), kDomain, "another-secret")},
      {"flipped MAC character", with_field(good, 4, flipped_mac)},
      {"MAC of another token", with_field(good, 4, other_mac)},
      {"account changed, old MAC", with_field(good, 1, "2b")},
      {"day changed, old MAC", with_field(good, 2, "502b")},
      {"tag changed, old MAC", with_field(good, 3, "k7pq2xzb")},
      {"kind changed, old MAC", with_field(good, 0, "u")},
      {"unknown kind", with_field(good, 0, "x")},
      {"leading dot", "." + good},
      {"double dot (empty day)", with_field(good, 2, "")},
      {"dot before the at", local + ".@" + std::string(kDomain)},
      {"an extra field", "b." + good},
      {"a missing field", "b.2a.502a." + mac + "@" + std::string(kDomain)},
      {"account with a leading zero", with_field(good, 1, "02a")},
      {"account 0 spelled 00",
       with_field(encode_return_path(token(TokenKind::kBounce, 0, 1, "a"), kDomain, kSecret), 1,
                  "00")},
      {"day 1 spelled 01",
       with_field(encode_return_path(token(TokenKind::kBounce, 1, 1, "a"), kDomain, kSecret), 2,
                  "01")},
      {"account not hex", with_field(good, 1, "2g")},
      {"account with a sign", with_field(good, 1, "+2a")},
      {"account with 0x", with_field(good, 1, "0x2a")},
      {"account of 17 hex digits", with_field(good, 1, "1ffffffffffffffff")},
      {"day of 9 hex digits", with_field(good, 2, "10000502a")},
      {"day beyond int range", with_field(good, 2, "80000000")},
      {"tag of 17 characters", with_field(good, 3, std::string(17, 'a'))},
      {"tag with digits outside base32", with_field(good, 3, "k7pq1xza")},
      {"empty tag", with_field(good, 3, "")},
      {"MAC one character short", with_field(good, 4, mac.substr(1))},
      {"MAC one character long", with_field(good, 4, mac + "a")},
      {"local part of 65 octets", std::string(65, 'a') + "@" + std::string(kDomain)},
  };
  for (const auto& c : cases)
    EXPECT_FALSE(decode_return_path(c.address, kDomain, kSecret).has_value())
        << c.rule << ": " << c.address;
}

TEST(ReturnPathTest, HexFieldsAreAcceptedInEitherCaseLikeTheRest) {
  // Upper-case hex is what a receiver that upper-cases the address produces; it must decode
  // to the same numbers, and lower-casing cannot turn a non-canonical number canonical.
  std::string good = encode_return_path(typical(), kDomain, kSecret);
  std::optional<ReturnPathToken> t =
      decode_return_path(with_field(good, 1, "2A"), kDomain, kSecret);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->account, 42u);
  EXPECT_FALSE(decode_return_path(with_field(good, 1, "02A"), kDomain, kSecret).has_value());
}

TEST(ReturnPathTest, TagsAreOneToSixteenLowerCaseBase32Characters) {
  struct Case {
    const char* tag;
    bool valid;
  };
  const std::vector<Case> cases = {
      {"a", true},
      {"abcdefghijklmnop", true},
      {"234567", true},
      {"", false},
      {"abcdefghijklmnopq", false},
      {"ABC", false},
      {"a0", false},
      {"a1", false},
      {"a8", false},
      {"a9", false},
      {"a-b", false},
      {"a.b", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(is_valid_tag(c.tag), c.valid) << c.tag;
}

TEST(ReturnPathTest, NewMessageTagIsEightValidRandomCharacters) {
  std::set<std::string> seen;
  for (int i = 0; i < 32; ++i) {
    Result<std::string> tag = new_message_tag();
    ASSERT_TRUE(tag.has_value()) << tag.error().message;
    EXPECT_EQ(tag->size(), 8u) << *tag;
    EXPECT_TRUE(is_valid_tag(*tag)) << *tag;
    seen.insert(*tag);
  }
  EXPECT_EQ(seen.size(), 32u) << "40 random bits should not repeat in 32 draws";
}

TEST(ReturnPathTest, Base32IsRfc4648LowerCaseWithoutPadding) {
  struct Case {
    const char* bytes;
    const char* text;
  };
  const std::vector<Case> cases = {
      {"", ""},
      {"f", "my"},
      {"fo", "mzxq"},
      {"foo", "mzxw6"},
      {"foob", "mzxw6yq"},
      {"fooba", "mzxw6ytb"},
      {"foobar", "mzxw6ytboi"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(base32_lower(c.bytes), c.text) << c.bytes;
  EXPECT_EQ(base32_lower(std::string(5, '\xff')), "77777777");
  EXPECT_EQ(base32_lower(std::string(5, '\0')), "aaaaaaaa");
}

}  // namespace
}  // namespace sendpool
