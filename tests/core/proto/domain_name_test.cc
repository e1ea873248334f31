#include "core/proto/domain_name.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendpool {
namespace {

struct Accepted {
  std::string input;
  std::string expected;
};

struct Rejected {
  std::string input;
  std::string message_part;  // the error message must contain this
};

// "a.b.c..." with `labels` one-letter labels: 2 * labels - 1 octets.
std::string one_letter_labels(size_t labels) {
  std::string out;
  for (size_t i = 0; i < labels; ++i)
    out += i == 0 ? "a" : ".a";
  return out;
}

TEST(DomainNameTest, ValidNamesAreLowerCasedAndOneTrailingDotStripped) {
  const std::vector<Accepted> cases = {
      {"example.com", "example.com"},
      {"Example.COM", "example.com"},
      {"mail.EXAMPLE.co.uk", "mail.example.co.uk"},
      {"example.com.", "example.com"},
      {"a.b", "a.b"},
      {"a-b.c-d.example", "a-b.c-d.example"},
      {"a--b.example", "a--b.example"},
      {"123.example", "123.example"},
      {"0.example.4a", "0.example.4a"},
      {"xn--bcher-kva.example", "xn--bcher-kva.example"},
      {"XN--BCHER-KVA.Example", "xn--bcher-kva.example"},
      {"mail.xn--p1ai", "mail.xn--p1ai"},
  };
  for (const auto& c : cases) {
    Result<std::string> got = normalize_domain(c.input);
    ASSERT_TRUE(got.has_value()) << c.input << ": " << got.error().message;
    EXPECT_EQ(*got, c.expected) << c.input;
  }
}

TEST(DomainNameTest, InvalidNamesAreRejectedSayingWhatIsWrong) {
  const std::vector<Rejected> cases = {
      {"", "domain is empty"},
      {".", "domain is only a dot"},
      {"localhost", "single label"},
      {"localhost.", "single label"},
      {".example.com", "starts with a dot"},
      {"example..com", "two dots in a row"},
      {"example.com..", "ends with more than one dot"},
      {"foo-.example", "domain label \"foo-\" ends with a hyphen"},
      {"-foo.example", "domain label \"-foo\" starts with a hyphen"},
      {"example.-com", "domain label \"-com\" starts with a hyphen"},
      {"exa_mple.com", "invalid character '_'"},
      {"exa mple.com", "invalid character 0x20"},
      {"example.com\n", "invalid character 0x0a"},
      {std::string("example\0.com", 12), "invalid character 0x00"},
      {"user@example.com", "invalid character '@'"},
      {"192.0.2.1", "top-level domain label \"1\" is all digits"},
      {"example.123", "is all digits"},
      {"[192.0.2.1]", "address literals"},
      {"[IPv6:2001:db8::1]", "address literals"},
      {"bücher.example", "IDNA A-label form"},
      {"\xff.example", "IDNA A-label form"},
  };
  for (const auto& c : cases) {
    Result<std::string> got = normalize_domain(c.input);
    ASSERT_FALSE(got.has_value()) << c.input;
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument) << c.input;
    EXPECT_NE(got.error().message.find(c.message_part), std::string::npos)
        << c.input << ": " << got.error().message;
  }
}

TEST(DomainNameTest, IdnaALabelIsAcceptedAndULabelRejectedAskingForTheALabel) {
  EXPECT_EQ(*normalize_domain("xn--bcher-kva.example"), "xn--bcher-kva.example");
  Result<std::string> u_label = normalize_domain(
      "b\xc3\xbc"
      "cher.example");
  ASSERT_FALSE(u_label.has_value());
  EXPECT_NE(u_label.error().message.find("xn--"), std::string::npos);
}

TEST(DomainNameTest, LabelMayHave63OctetsButNot64) {
  EXPECT_TRUE(normalize_domain(std::string(63, 'a') + ".example").has_value());
  Result<std::string> too_long = normalize_domain(std::string(64, 'a') + ".example");
  ASSERT_FALSE(too_long.has_value());
  EXPECT_NE(too_long.error().message.find("64 octets"), std::string::npos);
}

TEST(DomainNameTest, NameMayHave253OctetsButNot254) {
  std::string max = one_letter_labels(127);  // 253 octets
  ASSERT_EQ(max.size(), kMaxDomainLength);
  EXPECT_EQ(*normalize_domain(max), max);
  EXPECT_EQ(*normalize_domain(max + "."), max);  // the trailing dot does not count
  Result<std::string> too_long = normalize_domain("ab" + max.substr(1));
  ASSERT_FALSE(too_long.has_value());
  EXPECT_NE(too_long.error().message.find("254 octets"), std::string::npos);
}

TEST(DomainNameTest, ErrorMessagesNeverCarryControlOrNonAsciiBytes) {
  for (std::string input : {"a\x1b[31m.example", "a\r\nb.example", "\xc3\xa9.example",
                            "x\"y.example", "x\\y.example"}) {
    Result<std::string> got = normalize_domain(input);
    ASSERT_FALSE(got.has_value()) << input;
    for (char c : got.error().message) {
      auto u = static_cast<unsigned char>(c);
      EXPECT_TRUE(u >= 0x20 && u < 0x7f) << "byte " << int(u) << " in: " << got.error().message;
    }
  }
}

TEST(DomainNameTest, NormalizingTwiceChangesNothing) {
  for (std::string input :
       {"Example.COM.", "xn--BCHER-kva.Example", "a.b", "MAIL.Example.Co.UK", "0.example.4a"}) {
    std::string once = *normalize_domain(input);
    EXPECT_EQ(*normalize_domain(once), once) << input;
  }
}

}  // namespace
}  // namespace sendpool
