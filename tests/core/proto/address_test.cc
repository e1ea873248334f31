#include "core/proto/address.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendpool {
namespace {

struct Accepted {
  std::string input;
  std::string local;
  std::string domain;
};

struct Rejected {
  std::string input;
  std::string message_part;  // the error message must contain this
};

TEST(AddressTest, DomainIsLowerCasedLocalPartKept) {
  const std::vector<Accepted> cases = {
      {"user@example.com", "user", "example.com"},
      {"John.Doe@Example.COM", "John.Doe", "example.com"},
      {"<John.Doe@Example.COM>", "John.Doe", "example.com"},
      {"  <user@example.com>\t", "user", "example.com"},
      {" user@example.com ", "user", "example.com"},
      {"user@example.com.", "user", "example.com"},
      {"user+tag@example.com", "user+tag", "example.com"},
      {"!#$%&'*+-/=?^_`{|}~@example.com", "!#$%&'*+-/=?^_`{|}~", "example.com"},
      {"a.b.c@example.com", "a.b.c", "example.com"},
      {"\"John Doe\"@example.com", "\"John Doe\"", "example.com"},
      {"\"a@b\"@example.com", "\"a@b\"", "example.com"},
      {"\"..\"@example.com", "\"..\"", "example.com"},
      {"\"a\\\"b\\\\c\"@example.com", "\"a\\\"b\\\\c\"", "example.com"},
      {"\"\"@example.com", "\"\"", "example.com"},
      {"<\"Q\"@Example.com>", "\"Q\"", "example.com"},
      {"user@xn--bcher-kva.example", "user", "xn--bcher-kva.example"},
  };
  for (const auto& c : cases) {
    Result<MailAddress> got = parse_mail_address(c.input);
    ASSERT_TRUE(got.has_value()) << c.input << ": " << got.error().message;
    EXPECT_EQ(got->local, c.local) << c.input;
    EXPECT_EQ(got->domain, c.domain) << c.input;
    EXPECT_EQ(got->str(), c.local + "@" + c.domain) << c.input;
  }
}

TEST(AddressTest, MalformedAddressesAreRejectedSayingWhatIsWrong) {
  const std::vector<Rejected> cases = {
      {"", "address is empty"},
      {" \t ", "address is empty"},
      {"<>", "the null sender has no domain"},
      {" <> ", "the null sender has no domain"},
      {"<user@example.com", "no closing '>'"},
      {"user@example.com>", "no opening '<'"},
      {"<<user@example.com>>", "invalid character '<'"},
      {"< user@example.com>", "invalid character 0x20"},
      {"userexample.com", "no '@'"},
      {"@example.com", "local part is empty"},
      {"<@relay.example:user@example.com>", "source routes"},
      {"user@", "domain is empty"},
      {"a@b@example.com", "more than one '@'"},
      {".user@example.com", "local part starts with a dot"},
      {"user.@example.com", "local part ends with a dot"},
      {"us..er@example.com", "local part has two dots in a row"},
      {"us er@example.com", "invalid character 0x20"},
      {"us(er)@example.com", "invalid character '('"},
      {"us,er@example.com", "invalid character ','"},
      {"us\"er@example.com", "invalid character 0x22"},
      {"user\r\n@example.com", "invalid character 0x0d"},
      {"j\xc3\xb6rg@example.com", "SMTPUTF8"},
      {"\"j\xc3\xb6rg\"@example.com", "SMTPUTF8"},
      {"\"unterminated@example.com", "no closing quote"},
      {"\"ends in backslash\\", "no closing quote"},
      {"\"quoted\"", "no '@'"},
      {"\"quoted\"x@example.com", "not followed by '@'"},
      {"\"tab\there\"@example.com", "invalid character 0x09"},
      {"\"nul\\\x01\"@example.com", "invalid character 0x01"},
      {"user@exa_mple.com", "invalid character '_'"},
      {"user@example-.com", "domain label \"example-\" ends with a hyphen"},
      {"user@localhost", "single label"},
      {"user@[192.0.2.1]", "address literals"},
      {"user@192.0.2.1", "all digits"},
      {"user@b\xc3\xbc"
       "cher.example",
       "IDNA A-label form"},
  };
  for (const auto& c : cases) {
    Result<MailAddress> got = parse_mail_address(c.input);
    ASSERT_FALSE(got.has_value()) << c.input;
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument) << c.input;
    EXPECT_NE(got.error().message.find(c.message_part), std::string::npos)
        << c.input << ": " << got.error().message;
  }
}

TEST(AddressTest, LocalPartMayHave64OctetsButNot65) {
  EXPECT_TRUE(parse_mail_address(std::string(64, 'a') + "@example.com").has_value());
  Result<MailAddress> too_long = parse_mail_address(std::string(65, 'a') + "@example.com");
  ASSERT_FALSE(too_long.has_value());
  EXPECT_NE(too_long.error().message.find("65 octets"), std::string::npos);
  // Quotes count: they are part of the local part as it travels.
  EXPECT_FALSE(parse_mail_address("\"" + std::string(63, 'a') + "\"@example.com").has_value());
}

TEST(AddressTest, AddressMayHave254OctetsButNot255) {
  // 64 + 1 + 189 = 254, with a domain of labels "aaa…" (63) "." … ending ".example".
  std::string domain = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                       std::string(53, 'c') + ".example";  // 189 octets
  ASSERT_EQ(domain.size(), 189u);
  std::string max = std::string(64, 'x') + "@" + domain;
  ASSERT_EQ(max.size(), kMaxAddressLength);
  EXPECT_EQ(*normalize_address(max), max);
  EXPECT_EQ(*normalize_address("<" + max + ".>"), max);  // a trailing dot does not count
  std::string one_more = std::string(64, 'x') + "@" + std::string(63, 'a') + "." +
                         std::string(63, 'b') + "." + std::string(54, 'c') + ".example";
  ASSERT_EQ(one_more.size(), kMaxAddressLength + 1);
  Result<MailAddress> too_long = parse_mail_address(one_more);
  ASSERT_FALSE(too_long.has_value());
  EXPECT_NE(too_long.error().message.find("longer than 254 octets"), std::string::npos);
  // Far too long input is refused before any parsing.
  EXPECT_FALSE(parse_mail_address(std::string(100000, 'a') + "@example.com").has_value());
}

TEST(AddressTest, NormalizingTwiceChangesNothing) {
  for (std::string input : {"<John.Doe@Example.COM.>", " user+tag@MAIL.example.org ",
                            "\"A b\"@Example.com", "x@xn--BCHER-kva.example"}) {
    Result<std::string> once = normalize_address(input);
    ASSERT_TRUE(once.has_value()) << input << ": " << once.error().message;
    EXPECT_EQ(*normalize_address(*once), *once) << input;
    EXPECT_EQ(*parse_mail_address(*once), *parse_mail_address(input)) << input;
  }
}

TEST(AddressTest, NormalizeGivesLocalAtLowerCaseDomain) {
  EXPECT_EQ(*normalize_address("<Bob@EXAMPLE.org>"), "Bob@example.org");
  EXPECT_FALSE(normalize_address("<>").has_value());
}

TEST(AddressTest, DomainOfIsTheTextAfterTheLastAt) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"user@example.com", "example.com"},
      {"\"a@b\"@example.com", "example.com"},
      {"user@Example.COM", "Example.COM"},  // not normalised
      {"user@", ""},
      {"no-at-sign", ""},
      {"", ""},
  };
  for (const auto& [input, expected] : cases)
    EXPECT_EQ(domain_of(input), expected) << input;
}

TEST(AddressTest, NullSenderIsEmptyOrEmptyAngleBrackets) {
  for (std::string input : {"<>", "", " <> ", "\t"})
    EXPECT_TRUE(is_null_sender(input)) << input;
  for (std::string input : {"< >", "<<>>", "user@example.com", "<user@example.com>", "<"}) {
    EXPECT_FALSE(is_null_sender(input)) << input;
  }
}

}  // namespace
}  // namespace sendpool
