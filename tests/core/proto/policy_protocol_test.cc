#include "core/proto/policy_protocol.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace sendpool {
namespace {

using Attributes = std::vector<std::pair<std::string, std::string>>;

struct Parsed {
  std::vector<PolicyRequest> requests;
  bool ok = true;
  std::string error;
};

// Feeds `bytes` in pieces of `chunk` bytes (0: all at once) to a fresh parser.
Parsed parse(std::string_view bytes, size_t chunk = 0) {
  PolicyParser parser;
  Parsed parsed;
  if (chunk == 0) chunk = bytes.size() + 1;
  for (size_t i = 0; i < bytes.size() && parsed.ok; i += chunk) {
    Status status = parser.feed(bytes.substr(i, chunk), parsed.requests);
    if (!status) {
      parsed.ok = false;
      parsed.error = status.error().message;
    }
  }
  return parsed;
}

// A request of exactly `size` bytes (LF line ends and the closing empty line included), made of
// lines "aN=xxx..." of at most 4000 bytes each.
std::string request_of_size(size_t size) {
  constexpr size_t kLine = 4000;
  constexpr size_t kShortest = 8;  // room for a last line "aNN=x" and its LF
  std::string out;
  size_t left = size - 1;  // the closing LF
  for (int n = 0; left > 0; ++n) {
    std::string head = "a" + std::to_string(n) + "=";
    size_t line = std::min(left - 1, kLine);
    size_t rest = left - 1 - line;
    if (rest > 0 && rest < kShortest) line -= kShortest;
    out += head + std::string(line - head.size(), 'x') + "\n";
    left -= line + 1;
  }
  return out + "\n";
}

constexpr std::string_view kPostfixRcpt =
    "request=smtpd_access_policy\n"
    "protocol_state=RCPT\n"
    "protocol_name=ESMTP\n"
    "client_address=192.0.2.7\n"
    "client_name=mail.example.net\n"
    "helo_name=mail.example.net\n"
    "sender=bounce+acct@example.com\n"
    "recipient=User@Example.ORG\n"
    "recipient_count=0\n"
    "queue_id=\n"
    "instance=1a2b.5f3c1d2e.4a5b6.0\n"
    "size=1234\n"
    "sasl_method=PLAIN\n"
    "sasl_username=acct\n"
    "policy_context=\n"
    "\n";

TEST(PolicyProtocolTest, PostfixRequestGivesAttributesInArrivalOrder) {
  Parsed parsed = parse(kPostfixRcpt);
  ASSERT_TRUE(parsed.ok) << parsed.error;
  ASSERT_EQ(parsed.requests.size(), 1u);
  const PolicyRequest& request = parsed.requests[0];
  ASSERT_EQ(request.attributes.size(), 15u);
  EXPECT_EQ(request.attributes.front(),
            (std::pair<std::string, std::string>{"request", "smtpd_access_policy"}));
  EXPECT_EQ(request.attributes.back(), (std::pair<std::string, std::string>{"policy_context", ""}));
  EXPECT_EQ(request.get("protocol_state"), "RCPT");
  EXPECT_EQ(request.get("recipient"), "User@Example.ORG");
  EXPECT_EQ(request.get("instance"), "1a2b.5f3c1d2e.4a5b6.0");
  EXPECT_EQ(request.get("sasl_username"), "acct");
  // Sent empty is present; never sent is absent; both read as "".
  EXPECT_TRUE(request.has("queue_id"));
  EXPECT_EQ(request.get("queue_id"), "");
  EXPECT_FALSE(request.has("ccert_subject"));
  EXPECT_EQ(request.get("ccert_subject"), "");
}

TEST(PolicyProtocolTest, LinesAreSplitAtTheFirstEqualsSign) {
  const std::vector<std::pair<std::string, Attributes>> cases = {
      {"a=b\n\n", {{"a", "b"}}},
      {"a=\n\n", {{"a", ""}}},
      {"a==\n\n", {{"a", "="}}},
      {"ccert_subject=CN+3Dx=y\n\n", {{"ccert_subject", "CN+3Dx=y"}}},
      {"a=b c\td\n\n", {{"a", "b c\td"}}},
      {"x-unknown_attr=1\nrequest=smtpd_access_policy\n\n",
       {{"x-unknown_attr", "1"}, {"request", "smtpd_access_policy"}}},
      {"a=\xc3\xa9t\xc3\xa9\n\n", {{"a", "\xc3\xa9t\xc3\xa9"}}},
  };
  for (const auto& [input, attributes] : cases) {
    Parsed parsed = parse(input);
    ASSERT_TRUE(parsed.ok) << input << ": " << parsed.error;
    ASSERT_EQ(parsed.requests.size(), 1u) << input;
    EXPECT_EQ(parsed.requests[0].attributes, attributes) << input;
  }
}

TEST(PolicyProtocolTest, RepeatedAttributeReadsAsTheLastValueButAllAreKept) {
  Parsed parsed = parse("recipient=a@x\nrecipient=b@x\n\n");
  ASSERT_TRUE(parsed.ok);
  ASSERT_EQ(parsed.requests.size(), 1u);
  EXPECT_EQ(parsed.requests[0].get("recipient"), "b@x");
  EXPECT_EQ(parsed.requests[0].attributes.size(), 2u);
}

TEST(PolicyProtocolTest, CrBeforeLfIsDroppedElsewhereKept) {
  const std::vector<std::pair<std::string, Attributes>> cases = {
      {"a=b\r\n\r\n", {{"a", "b"}}},
      {"a=b\r\nc=d\n\n", {{"a", "b"}, {"c", "d"}}},
      {"a=b\r\r\n\n", {{"a", "b\r"}}},
      {"a=b\rc\n\n", {{"a", "b\rc"}}},
  };
  for (const auto& [input, attributes] : cases) {
    Parsed parsed = parse(input);
    ASSERT_TRUE(parsed.ok) << parsed.error;
    ASSERT_EQ(parsed.requests.size(), 1u);
    EXPECT_EQ(parsed.requests[0].attributes, attributes);
  }
}

TEST(PolicyProtocolTest, SeveralRequestsInOneFeedComeOutInOrder) {
  std::string bytes = std::string(kPostfixRcpt) + "n=1\n\n" + "n=2\r\n\r\n" + "n=3\n";
  PolicyParser parser;
  std::vector<PolicyRequest> out;
  ASSERT_TRUE(parser.feed(bytes, out).has_value());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].get("protocol_state"), "RCPT");
  EXPECT_EQ(out[1].get("n"), "1");
  EXPECT_EQ(out[2].get("n"), "2");
  EXPECT_TRUE(parser.mid_request());
  ASSERT_TRUE(parser.feed("\n", out).has_value());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[3].get("n"), "3");
  EXPECT_FALSE(parser.mid_request());
}

TEST(PolicyProtocolTest, ByteAtATimeGivesTheSameResultAsAllAtOnce) {
  const std::vector<std::string> inputs = {
      std::string(kPostfixRcpt) + std::string(kPostfixRcpt),
      "a=b\r\n\r\nc=d\n\ne=f\n",
      "a=b\n\nnoequals\n\n",
      "a=b\n\n\n",
      "a=b\nc\0=d\n\n",
      request_of_size(kMaxPolicyRequestSize) + request_of_size(kMaxPolicyRequestSize + 1),
      "a=" + std::string(kMaxPolicyLineLength, 'x') + "\n\n",
  };
  for (const std::string& input : inputs) {
    Parsed whole = parse(input);
    for (size_t chunk : {1u, 2u, 7u, 4096u}) {
      Parsed pieces = parse(input, chunk);
      EXPECT_EQ(pieces.ok, whole.ok) << chunk;
      EXPECT_EQ(pieces.error, whole.error) << chunk;
      ASSERT_EQ(pieces.requests.size(), whole.requests.size()) << chunk;
      for (size_t i = 0; i < whole.requests.size(); ++i)
        EXPECT_EQ(pieces.requests[i].attributes, whole.requests[i].attributes);
    }
  }
}

TEST(PolicyProtocolTest, LineLengthLimitIsInclusive) {
  // name "a", '=', then value: the line is exactly the limit.
  std::string at_limit = "a=" + std::string(kMaxPolicyLineLength - 2, 'v');
  std::string past_limit = at_limit + "v";
  for (size_t chunk : {0u, 1u}) {
    EXPECT_TRUE(parse(at_limit + "\n\n", chunk).ok);
    EXPECT_TRUE(parse(at_limit + "\r\n\n", chunk).ok) << "a CR before LF is not counted";
    Parsed rejected = parse(past_limit + "\n\n", chunk);
    EXPECT_FALSE(rejected.ok);
    EXPECT_NE(rejected.error.find("line longer than 4096"), std::string::npos) << rejected.error;
    EXPECT_FALSE(parse(past_limit + "\r\n\n", chunk).ok);
    EXPECT_FALSE(parse(at_limit + "\rx\n\n", chunk).ok);
  }
}

TEST(PolicyProtocolTest, AttributeCountLimitIsInclusive) {
  std::string at_limit;
  for (size_t i = 0; i < kMaxPolicyAttributes; ++i)
    at_limit += "a" + std::to_string(i) + "=v\n";
  Parsed accepted = parse(at_limit + "\n");
  ASSERT_TRUE(accepted.ok) << accepted.error;
  EXPECT_EQ(accepted.requests.at(0).attributes.size(), kMaxPolicyAttributes);
  Parsed rejected = parse(at_limit + "one=more\n\n");
  EXPECT_FALSE(rejected.ok);
  EXPECT_NE(rejected.error.find("more than 100 attributes"), std::string::npos) << rejected.error;
}

TEST(PolicyProtocolTest, RequestSizeLimitIsInclusive) {
  std::string at_limit = request_of_size(kMaxPolicyRequestSize);
  ASSERT_EQ(at_limit.size(), kMaxPolicyRequestSize);
  Parsed accepted = parse(at_limit + at_limit);
  ASSERT_TRUE(accepted.ok) << accepted.error;
  EXPECT_EQ(accepted.requests.size(), 2u) << "the limit applies to each request";

  std::string past_limit = request_of_size(kMaxPolicyRequestSize + 1);
  ASSERT_EQ(past_limit.size(), kMaxPolicyRequestSize + 1);
  Parsed rejected = parse(past_limit);
  EXPECT_FALSE(rejected.ok);
  EXPECT_NE(rejected.error.find("request larger than 65536"), std::string::npos) << rejected.error;
  // CR bytes count too.
  std::string with_cr = at_limit;
  with_cr.insert(with_cr.size() - 1, "\r");
  EXPECT_FALSE(parse(with_cr).ok);
}

TEST(PolicyProtocolTest, MalformedRequestsAreRejectedWithAReason) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"noequals\n\n", "without '='"},
      {"=value\n\n", "empty name"},
      {"\n", "empty request"},
      {"\r\n", "empty request"},
      {"a=b\n\n\n", "empty request"},
      {std::string("a=b\0c\n\n", 7), "NUL byte"},
      {std::string("\0", 1), "NUL byte"},
  };
  for (const auto& [input, message_part] : cases) {
    Parsed parsed = parse(input);
    EXPECT_FALSE(parsed.ok) << input;
    EXPECT_NE(parsed.error.find(message_part), std::string::npos) << parsed.error;
  }
}

TEST(PolicyProtocolTest, RequestsBeforeAnErrorAreDeliveredAndTheParserStaysFailed) {
  PolicyParser parser;
  std::vector<PolicyRequest> out;
  Status status = parser.feed("a=1\n\nbad\n\n", out);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].get("a"), "1");
  EXPECT_FALSE(parser.mid_request());
  Status again = parser.feed("a=2\n\n", out);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().message, status.error().message);
  EXPECT_EQ(out.size(), 1u);
}

TEST(PolicyProtocolTest, MidRequestIsTrueFromTheFirstByteToTheClosingEmptyLine) {
  PolicyParser parser;
  std::vector<PolicyRequest> out;
  EXPECT_FALSE(parser.mid_request());
  ASSERT_TRUE(parser.feed("a", out).has_value());
  EXPECT_TRUE(parser.mid_request());
  ASSERT_TRUE(parser.feed("=b\n", out).has_value());
  EXPECT_TRUE(parser.mid_request());
  ASSERT_TRUE(parser.feed("\n", out).has_value());
  EXPECT_FALSE(parser.mid_request());
  EXPECT_EQ(out.size(), 1u);
}

TEST(PolicyProtocolTest, ReplyIsOneActionLineAndAnEmptyLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"DUNNO", "action=DUNNO\n\n"},
      {"FILTER pool_a:", "action=FILTER pool_a:\n\n"},
      {"450 4.7.1 Daily quota exceeded", "action=450 4.7.1 Daily quota exceeded\n\n"},
      {"REJECT bad\nline", "action=REJECT bad line\n\n"},
      {"DEFER x\r\n\r\naction=OK", "action=DEFER x    action=OK\n\n"},
      {std::string("OK\0x", 4), "action=OK x\n\n"},
      {"", "action=\n\n"},
  };
  for (const auto& [action, reply] : cases)
    EXPECT_EQ(format_policy_reply(action), reply);
}

TEST(PolicyProtocolTest, SerialisedRequestParsesBackToTheSameAttributes) {
  Parsed first = parse(kPostfixRcpt);
  ASSERT_TRUE(first.ok);
  std::string bytes;
  for (const auto& [name, value] : first.requests[0].attributes)
    bytes += name + "=" + value + "\n";
  bytes += "\n";
  EXPECT_EQ(bytes, kPostfixRcpt);
  Parsed second = parse(bytes);
  ASSERT_TRUE(second.ok);
  EXPECT_EQ(second.requests[0].attributes, first.requests[0].attributes);
}

}  // namespace
}  // namespace sendpool
