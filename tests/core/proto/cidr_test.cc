#include "core/proto/cidr.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendpool {
namespace {

struct Accepted {
  std::string input;
  std::string canonical;
};

struct Rejected {
  std::string input;
  std::string message_part;  // the error message must contain this
};

IpAddress ip(std::string_view text) {
  std::optional<IpAddress> parsed = parse_ip(text);
  if (!parsed) ADD_FAILURE() << "not an IP address: " << text;
  return parsed.value_or(IpAddress{});
}

TEST(CidrTest, NetworksAreCanonicalWithHostBitsCleared) {
  const std::vector<Accepted> cases = {
      {"192.0.2.0/24", "192.0.2.0/24"},
      {"192.0.2.7/24", "192.0.2.0/24"},
      {"192.0.2.7", "192.0.2.7/32"},
      {"192.0.2.7/32", "192.0.2.7/32"},
      {"10.1.2.3/8", "10.0.0.0/8"},
      {"198.51.100.255/23", "198.51.100.0/23"},
      {"203.0.113.77/27", "203.0.113.64/27"},
      {"255.255.255.255/0", "0.0.0.0/0"},
      {"2001:db8::/32", "2001:db8::/32"},
      {"2001:DB8:1:2::5/48", "2001:db8:1::/48"},
      {"2001:0db8:0000::1/128", "2001:db8::1/128"},
      {"::1", "::1/128"},
      {"::", "::/128"},
      {"fe80::1/10", "fe80::/10"},
      {"2001:db8::ff/121", "2001:db8::80/121"},
      {"ffff::/0", "::/0"},
      // IPv4-mapped networks are IPv4 networks.
      {"::ffff:192.0.2.1", "192.0.2.1/32"},
      {"::ffff:192.0.2.9/120", "192.0.2.0/24"},
      {"::FFFF:c000:0201/96", "0.0.0.0/0"},
      // Wider than ::ffff:0:0/96, it stays IPv6.
      {"::ffff:0:0/95", "::fffe:0:0/95"},
  };
  for (const auto& c : cases) {
    Result<Cidr> got = parse_cidr(c.input);
    ASSERT_TRUE(got.has_value()) << c.input << ": " << got.error().message;
    EXPECT_EQ(got->str(), c.canonical) << c.input;
    Result<Cidr> again = parse_cidr(got->str());
    ASSERT_TRUE(again.has_value()) << got->str();
    EXPECT_EQ(*again, *got) << c.input;
  }
}

TEST(CidrTest, MalformedNetworksAreRejectedSayingWhatIsWrong) {
  const std::vector<Rejected> cases = {
      {"", "network is empty"},
      {"192.0.2.0/", "prefix length is missing"},
      {"192.0.2.0/33", "prefix length 33 is out of range for IPv4 (0..32)"},
      {"2001:db8::/129", "prefix length 129 is out of range for IPv6 (0..128)"},
      {"192.0.2.0/024", "leading zero"},
      {"192.0.2.0/2a", "not a decimal number"},
      {"192.0.2.0/-1", "not a decimal number"},
      {"192.0.2.0/+8", "not a decimal number"},
      {"192.0.2.0/ 24", "not a decimal number"},
      {"192.0.2.0/1000", "not a decimal number"},
      {"192.0.2.0/24/8", "not a decimal number"},
      {"/24", "not an IPv4 or IPv6 address"},
      {"192.0.2/24", "not an IPv4 or IPv6 address"},
      {"192.0.2.256", "not an IPv4 or IPv6 address"},
      {"192.0.2.01", "not an IPv4 or IPv6 address"},
      {"0x7f.0.0.1", "not an IPv4 or IPv6 address"},
      {"127.1", "not an IPv4 or IPv6 address"},
      {" 192.0.2.1", "not an IPv4 or IPv6 address"},
      {"192.0.2.1 ", "not an IPv4 or IPv6 address"},
      {std::string("192.0.2.1\0junk", 14), "not an IPv4 or IPv6 address"},
      {"2001:db8:::1", "not an IPv4 or IPv6 address"},
      {"fe80::1%eth0", "not an IPv4 or IPv6 address"},
      {"[::1]", "not an IPv4 or IPv6 address"},
      {"localhost", "not an IPv4 or IPv6 address"},
      {std::string(kMaxCidrTextLength + 1, '1'), "network is longer than 49 characters"},
  };
  for (const auto& c : cases) {
    Result<Cidr> got = parse_cidr(c.input);
    ASSERT_FALSE(got.has_value()) << c.input;
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument) << c.input;
    EXPECT_NE(got.error().message.find(c.message_part), std::string::npos)
        << c.input << ": " << got.error().message;
  }
}

TEST(CidrTest, ContainsMatchesTheFirstPrefixBitsOfTheSameFamily) {
  struct Case {
    std::string network;
    std::string address;
    bool contained;
  };
  const std::vector<Case> cases = {
      {"192.0.2.0/24", "192.0.2.0", true},
      {"192.0.2.0/24", "192.0.2.255", true},
      {"192.0.2.0/24", "192.0.3.0", false},
      {"192.0.2.0/24", "192.0.1.255", false},
      {"203.0.113.64/27", "203.0.113.95", true},
      {"203.0.113.64/27", "203.0.113.96", false},
      {"192.0.2.7", "192.0.2.7", true},
      {"192.0.2.7", "192.0.2.8", false},
      {"0.0.0.0/0", "198.51.100.1", true},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"fe80::/10", "febf::1", true},
      {"fe80::/10", "fec0::1", false},
      {"::/0", "2001:db8::1", true},
      {"::1", "::1", true},
      // Families never mix, even for the widest networks.
      {"::/0", "192.0.2.1", false},
      {"0.0.0.0/0", "2001:db8::1", false},
      // A client reported as IPv4-mapped IPv6 matches IPv4 rules, and the other way round.
      {"192.0.2.0/24", "::ffff:192.0.2.1", true},
      {"192.0.2.0/24", "::ffff:c000:0301", false},
      {"::ffff:192.0.2.0/120", "192.0.2.200", true},
      {"::ffff:192.0.2.0/120", "::ffff:192.0.2.200", true},
  };
  for (const auto& c : cases) {
    Result<Cidr> network = parse_cidr(c.network);
    ASSERT_TRUE(network.has_value()) << c.network;
    EXPECT_EQ(network->contains(ip(c.address)), c.contained) << c.network << " " << c.address;
  }
}

TEST(CidrTest, IpAddressesParseToTheirInetNtopForm) {
  const std::vector<Accepted> cases = {
      {"192.0.2.1", "192.0.2.1"},
      {"0.0.0.0", "0.0.0.0"},
      {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
      {"::ffff:192.0.2.1", "192.0.2.1"},
      {"::FFFF:C000:0201", "192.0.2.1"},
      {"::192.0.2.1", "::192.0.2.1"},  // IPv4-compatible (deprecated) stays IPv6
  };
  for (const auto& c : cases) {
    std::optional<IpAddress> got = parse_ip(c.input);
    ASSERT_TRUE(got.has_value()) << c.input;
    EXPECT_EQ(got->str(), c.canonical) << c.input;
    EXPECT_EQ(parse_ip(got->str()), got) << c.input;
  }
  EXPECT_EQ(ip("::ffff:192.0.2.1"), ip("192.0.2.1"));
  EXPECT_EQ(ip("::ffff:192.0.2.1").family, IpFamily::kIpv4);
  EXPECT_EQ(ip("::1").family, IpFamily::kIpv6);
}

TEST(CidrTest, IpParserRejectsAnythingButAnAddress) {
  const std::vector<std::string> inputs = {"",
                                           "192.0.2.0/24",
                                           "192.0.2",
                                           "1.2.3.4.5",
                                           "01.2.3.4",
                                           "::1%lo",
                                           "[::1]",
                                           "example.com",
                                           "1:2:3:4:5:6:7:8:9",
                                           " ::1",
                                           std::string("::1\0", 4),
                                           std::string(kMaxIpTextLength + 1, ':')};
  for (const std::string& input : inputs) {
    EXPECT_FALSE(parse_ip(input).has_value()) << input;
  }
}

}  // namespace
}  // namespace sendpool
