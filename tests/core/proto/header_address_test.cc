#include "core/proto/header_address.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendpool {
namespace {

struct Accepted {
  std::string input;
  std::vector<std::string> mailboxes;
};

struct Rejected {
  std::string input;
  std::string message_part;  // the error message must contain this
};

std::string join(const std::vector<std::string>& mailboxes) {
  std::string out;
  for (const auto& m : mailboxes)
    out += (out.empty() ? "" : ", ") + m;
  return out;
}

TEST(HeaderAddressTest, MailboxesAreFoundBehindDisplayNamesCommentsAndGroups) {
  const std::vector<Accepted> cases = {
      {"user@example.com", {"user@example.com"}},
      {"  user@example.com  ", {"user@example.com"}},
      {"John Doe <John.Doe@Example.COM>", {"John.Doe@example.com"}},
      {"<x@example.com>", {"x@example.com"}},
      // Display names: quoted "@" and "," are not addresses or separators.
      {"\"Doe, John\" <j@example.com>", {"j@example.com"}},
      {"\"a@evil.example\" <x@good.example>", {"x@good.example"}},
      {"\"Evil, a@evil.example\" <x@good.example>, y@other.example",
       {"x@good.example", "y@other.example"}},
      {"\"say \\\"hi\\\", <a@evil.example>\" <x@good.example>", {"x@good.example"}},
      {"=?utf-8?q?J=C3=B6rg?= <j@example.com>", {"j@example.com"}},
      {"J\xc3\xb6rg <j@example.com>", {"j@example.com"}},
      {"Dr. J. Doe <j@example.com>", {"j@example.com"}},
      // Leniency kept on purpose: an unquoted address as display name is common and harmless,
      // the angle address is the mailbox.
      {"john@evil.example <john@good.example>", {"john@good.example"}},
      // Comments, nested and escaped, wherever CFWS may go.
      {"x@good.example (Evil <x@evil.example>)", {"x@good.example"}},
      {"(evil.example) x@good.example", {"x@good.example"}},
      {"Acme (a (b@evil.example) c) <x@good.example>", {"x@good.example"}},
      {"(c1 (nested (deeper)) \\) still \\( comment) x@good.example", {"x@good.example"}},
      {"<x(comment)@good.example>", {"x@good.example"}},
      {"Acme <x@good.example> (trailing, comment)", {"x@good.example"}},
      {"(\"not a quote) x@good.example", {"x@good.example"}},
      // Groups.
      {"Team: a@x.example, b@y.example;", {"a@x.example", "b@y.example"}},
      {"Team: a@x.example;, c@z.example", {"a@x.example", "c@z.example"}},
      {"A: a@x.example; B: b@y.example;", {"a@x.example", "b@y.example"}},
      {"A: <a@x.example>; b@y.example", {"a@x.example", "b@y.example"}},
      {"\"Team: A\": a@x.example;", {"a@x.example"}},
      {"undisclosed-recipients:;", {}},
      {"Empty: ;, x@example.com", {"x@example.com"}},
      // Empty list elements (obsolete syntax) and an empty header.
      {"", {}},
      {" , ,a@x.example, ", {"a@x.example"}},
      // Obsolete source routes: only the mailbox after ':' counts.
      {"<@route.example:user@host.example>", {"user@host.example"}},
      {"<@a.example,@b.example:user@host.example>", {"user@host.example"}},
      {"Name <@a.example, @b.example : user@host.example>", {"user@host.example"}},
      // Obsolete whitespace around '.' and '@', and folds.
      {"user @ host . example", {"user@host.example"}},
      {"first . last@example.com", {"first.last@example.com"}},
      {"Acme\n\t<news@example.com>", {"news@example.com"}},
      {"Acme <news@example.com>,\r\n b@example.com", {"news@example.com", "b@example.com"}},
      // Quoted local parts are kept as written, escapes and spaces included.
      {"\"quoted local\"@example.com", {"\"quoted local\"@example.com"}},
      {"\"a\\\" b\"@example.com", {"\"a\\\" b\"@example.com"}},
      {"<\"x>y,z\"@example.com>", {"\"x>y,z\"@example.com"}},
      {"\"a@b\"@example.com", {"\"a@b\"@example.com"}},
      // The domain is lower-cased (A-labels included), the local part kept.
      {"X@EXAMPLE.COM", {"X@example.com"}},
      {"x@XN--BCHER-KVA.example", {"x@xn--bcher-kva.example"}},
      {"x@example.com.", {"x@example.com"}},
  };
  for (const auto& c : cases) {
    auto got = parse_header_mailboxes(c.input);
    ASSERT_TRUE(got.has_value()) << c.input << ": " << got.error().message;
    EXPECT_EQ(*got, c.mailboxes) << c.input;
    // What we return is itself a header value that parses to the same mailboxes.
    auto again = parse_header_mailboxes(join(*got));
    ASSERT_TRUE(again.has_value()) << join(*got);
    EXPECT_EQ(*again, *got) << c.input;
  }
}

TEST(HeaderAddressTest, MalformedHeadersAreRejectedSayingWhatIsWrong) {
  const std::vector<Rejected> cases = {
      {"\"unterminated <x@example.com>", "unterminated quoted string"},
      {"(unterminated x@example.com", "unterminated comment"},
      {"(a (b) x@example.com", "unterminated comment"},
      {"<x@example.com", "unterminated angle address"},
      {"x@example.com>", "unexpected '>'"},
      {"<<x@example.com>>", "unexpected '<'"},
      {"Name <x@example.com <y@example.com>>", "unexpected '<'"},
      // Nothing but comments may follow an angle address: a second address there would be
      // read by receivers and not by us.
      {"A <x@example.com> <y@example.com>", "text after an angle address"},
      {"<x@good.example> y@evil.example", "text after an angle address"},
      {"<x@good.example> \"y@evil.example\"", "text after an angle address"},
      {"<x@good.example>: y@evil.example;", "text after an angle address"},
      {"<a@x.example, b@y.example>", "',' inside an angle address"},
      {"<a@x.example; b@y.example>", "';' inside an angle address"},
      {"<host.example:user@example.com>", "':' inside an angle address"},
      {"<@a.example,@b.example>", "mailbox 1"},
      {"<>", "empty angle address"},
      {"Name <>", "empty angle address"},
      {"Name < >", "empty angle address"},
      // A display name without angle brackets would otherwise be squeezed into the mailbox.
      {"John Smith x@example.com", "contains a space"},
      {"\"John\" x@example.com", "contains a space"},
      {"John Smith", "contains a space"},
      {"no-at-sign", "mailbox 1: address has no '@'"},
      {"a@x.example, not-an-address", "mailbox 2: address has no '@'"},
      {"x@b\xc3\xbc"
       "cher.example",
       "mailbox 1"},
      {"x@localhost", "mailbox 1"},
      {"a@b@example.com", "mailbox 1"},
  };
  for (const auto& c : cases) {
    auto got = parse_header_mailboxes(c.input);
    ASSERT_FALSE(got.has_value()) << c.input << " gave " << join(*got);
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument) << c.input;
    EXPECT_NE(got.error().message.find(c.message_part), std::string::npos)
        << c.input << ": " << got.error().message;
  }
}

TEST(HeaderAddressTest, CommentNestingIsBounded) {
  std::string ok = std::string(kMaxCommentNesting, '(') + std::string(kMaxCommentNesting, ')');
  auto got = parse_header_mailboxes(ok + " x@example.com");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, std::vector<std::string>{"x@example.com"});

  std::string deep =
      std::string(kMaxCommentNesting + 1, '(') + std::string(kMaxCommentNesting + 1, ')');
  got = parse_header_mailboxes(deep + " x@example.com");
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message.find("nested too deep"), std::string::npos);
}

TEST(HeaderAddressTest, TheNumberOfMailboxesIsBounded) {
  std::vector<std::string> many(kMaxHeaderMailboxes, "a@b.example");
  auto got = parse_header_mailboxes(join(many));
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(got->size(), kMaxHeaderMailboxes);

  many.push_back("a@b.example");
  got = parse_header_mailboxes(join(many));
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message.find("too many addresses"), std::string::npos);

  // Group terminators count as separators too.
  std::string groups;
  for (size_t i = 0; i <= kMaxHeaderMailboxes; ++i)
    groups += "g:a@b.example;";
  got = parse_header_mailboxes(groups);
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message.find("too many addresses"), std::string::npos);
}

TEST(HeaderAddressTest, TheHeaderLengthIsBounded) {
  std::string padding(kMaxAddressHeaderLength - std::string(" <x@example.com>").size(), 'a');
  auto got = parse_header_mailboxes(padding + " <x@example.com>");
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, std::vector<std::string>{"x@example.com"});

  got = parse_header_mailboxes(padding + "a <x@example.com>");
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message.find("too long"), std::string::npos);
}

}  // namespace
}  // namespace sendpool
