#include "core/daemon/listen_spec.h"

#include <gtest/gtest.h>

#include <string>

namespace sendpool {
namespace {

struct GoodSpec {
  std::string text;
  ListenSpec::Kind kind;
  std::string path;
  std::string host;
  uint16_t port;
};

TEST(ListenSpecTest, AcceptsUnixPathsAndInetHostsWithPorts) {
  const GoodSpec cases[] = {
      {"unix:/var/spool/postfix/private/sendpool-policy", ListenSpec::Kind::kUnix,
       "/var/spool/postfix/private/sendpool-policy", "", 0},
      {"unix:/s", ListenSpec::Kind::kUnix, "/s", "", 0},
      {"inet:127.0.0.1:8891", ListenSpec::Kind::kInet, "", "127.0.0.1", 8891},
      {"inet:0.0.0.0:1", ListenSpec::Kind::kInet, "", "0.0.0.0", 1},
      {"inet:localhost:65535", ListenSpec::Kind::kInet, "", "localhost", 65535},
      {"inet:mail-1.example.net:25", ListenSpec::Kind::kInet, "", "mail-1.example.net", 25},
      {"inet:[::1]:8891", ListenSpec::Kind::kInet, "", "::1", 8891},
      {"inet:[::]:10025", ListenSpec::Kind::kInet, "", "::", 10025},
      {"inet:[2001:db8::1]:443", ListenSpec::Kind::kInet, "", "2001:db8::1", 443},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto spec = parse_listen_spec(c.text);
    ASSERT_TRUE(spec) << spec.error().message;
    EXPECT_EQ(spec->kind, c.kind);
    EXPECT_EQ(spec->path, c.path);
    EXPECT_EQ(spec->host, c.host);
    EXPECT_EQ(spec->port, c.port);
    EXPECT_EQ(spec->text, c.text);
    EXPECT_EQ(to_string(*spec), c.text);
  }
}

TEST(ListenSpecTest, ToStringRoundTripsThroughParse) {
  const ListenSpec specs[] = {
      make_unix_listen_spec("/run/sendpool/milter.sock"),
      make_inet_listen_spec("127.0.0.1", 8891),
      make_inet_listen_spec("fe80::1", 25),
      make_inet_listen_spec("localhost", 1),
  };
  for (const auto& spec : specs) {
    auto again = parse_listen_spec(to_string(spec));
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(*again, spec);
  }
}

TEST(ListenSpecTest, LeadingZerosInPortAreAcceptedAndDroppedFromText) {
  auto spec = parse_listen_spec("inet:127.0.0.1:0025");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(spec->port, 25);
  EXPECT_EQ(spec->text, "inet:127.0.0.1:25");
}

struct BadSpec {
  std::string text;
  std::string reason;  // a part of the message that says what is wrong
};

TEST(ListenSpecTest, RejectsMalformedSpecsWithAReason) {
  const BadSpec cases[] = {
      {"", "empty"},
      {"tcp:127.0.0.1:25", "expected unix:/path or inet:host:port"},
      {"/var/run/x.sock", "expected unix:/path or inet:host:port"},
      {"UNIX:/x", "expected unix:/path or inet:host:port"},
      {"unix:", "missing socket path"},
      {"unix:relative/path", "must be absolute"},
      {"unix:/" + std::string(107, 'a'), "longer than 107 bytes"},
      {"unix:/tmp/a\nb", "control character"},
      {"inet:", "missing ':port'"},
      {"inet:127.0.0.1", "missing ':port'"},
      {"inet:127.0.0.1:", "missing port"},
      {"inet::25", "missing host"},
      {"inet:127.0.0.1:0", "port must be a number from 1 to 65535"},
      {"inet:127.0.0.1:65536", "port must be a number from 1 to 65535"},
      {"inet:127.0.0.1:123456", "port must be a number from 1 to 65535"},
      {"inet:127.0.0.1:-1", "port must be a number from 1 to 65535"},
      {"inet:127.0.0.1:+25", "port must be a number from 1 to 65535"},
      {"inet:127.0.0.1:smtp", "port must be a number from 1 to 65535"},
      {"inet:127.0.0.1:25 ", "port must be a number from 1 to 65535"},
      {"inet:256.0.0.1:25", "not a valid IPv4 address"},
      {"inet:1.2.3:25", "not a valid IPv4 address"},
      {"inet:01.2.3.4:25", "not a valid IPv4 address"},
      {"inet:::1:25", "must be written in brackets"},
      {"inet:[::1:25", "missing ']'"},
      {"inet:[]:25", "not a valid IPv6 address"},
      {"inet:[::g]:25", "not a valid IPv6 address"},
      {"inet:[fe80::1%eth0]:25", "not a valid IPv6 address"},
      {"inet:[127.0.0.1]:25", "not a valid IPv6 address"},
      {"inet:[::1]25", "expected ':port'"},
      {"inet:[::1]", "expected ':port'"},
      {"inet:bad_host:25", "host must be"},
      {"inet:-bad.example:25", "host must be"},
      {"inet:a..b:25", "host must be"},
      {"inet:example.net.:25", "host must be"},
      {"inet: localhost:25", "host must be"},
      {"inet:" + std::string(2000, 'a') + ":25", "longer than 1024 bytes"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto spec = parse_listen_spec(c.text);
    ASSERT_FALSE(spec);
    EXPECT_EQ(spec.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(spec.error().message.find(c.reason), std::string::npos) << spec.error().message;
    EXPECT_EQ(spec.error().message.rfind("invalid listen address \"", 0), 0u)
        << spec.error().message;
  }
}

TEST(ListenSpecTest, ErrorMessagesQuoteInputSanitised) {
  auto spec = parse_listen_spec("unix:/tmp/a\x1b[31m");
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().message.find('\x1b'), std::string::npos);
}

TEST(DomainNameTest, AcceptsLabelsOfLettersDigitsAndInnerHyphens) {
  for (const char* name : {"localhost", "example.net", "a.b.c", "xn--bcher-kva.example",
                           "1.example", "EXAMPLE.NET", "a-b.c-d"}) {
    EXPECT_TRUE(is_domain_name(name)) << name;
  }
  std::string longest = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                        std::string(63, 'c') + "." + std::string(61, 'd');
  ASSERT_EQ(longest.size(), 253u);
  EXPECT_TRUE(is_domain_name(longest));
}

TEST(DomainNameTest, RejectsEmptyLabelsBadCharactersAndOverlongNames) {
  for (std::string name :
       {std::string(""), std::string("."), std::string("a..b"), std::string(".a"),
        std::string("a."), std::string("-a.b"), std::string("a-.b"), std::string("a_b.c"),
        std::string("x y"), std::string("a/b"), std::string(64, 'a'),
        std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
            std::string(62, 'd')}) {
    EXPECT_FALSE(is_domain_name(name)) << name;
  }
}

}  // namespace
}  // namespace sendpool
