#include "core/proto/dovecot_auth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/proto/base64.h"

namespace sendpool {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

struct Split {
  std::vector<std::string> lines;
  bool ok = true;
  std::string error;
};

// Feeds `bytes` in pieces of `chunk` bytes (0: all at once) to a fresh line parser.
Split split(std::string_view bytes, size_t chunk = 0) {
  AuthLineParser parser;
  Split result;
  if (chunk == 0) chunk = bytes.size() + 1;
  for (size_t i = 0; i < bytes.size() && result.ok; i += chunk) {
    Status status = parser.feed(bytes.substr(i, chunk), result.lines);
    if (!status) {
      result.ok = false;
      result.error = status.error().message;
    }
  }
  return result;
}

std::vector<std::string> fields_of(std::string_view line) {
  std::vector<std::string> fields;
  size_t start = 0;
  while (true) {
    size_t tab = line.find('\t', start);
    fields.emplace_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (tab == std::string_view::npos) return fields;
    start = tab + 1;
  }
}

// What Postfix 3.7 smtpd writes on connect and for `AUTH PLAIN <initial response>` under TLS.
constexpr std::string_view kPostfixTranscript =
    "VERSION\t1\t0\n"
    "CPID\t12345\n"
    "AUTH\t1\tPLAIN\tservice=smtp\tnologin\tlip=192.0.2.1\trip=198.51.100.7\tsecured\t"
    "resp=AHVzZXJAZXhhbXBsZS5jb20Ac2VjcmV0\n"
    "AUTH\t2\tLOGIN\tservice=smtp\tnologin\tlip=192.0.2.1\trip=198.51.100.7\n"
    "CONT\t2\tdXNlcg==\n"
    "CONT\t2\t\n";

TEST(DovecotAuthTest, PostfixTranscriptParsesIntoCommands) {
  Split lines = split(kPostfixTranscript);
  ASSERT_TRUE(lines.ok) << lines.error;
  ASSERT_EQ(lines.lines.size(), 6u);

  std::vector<AuthCommand> commands;
  for (const std::string& line : lines.lines) {
    Result<AuthCommand> command = parse_auth_command(line);
    ASSERT_TRUE(command.has_value()) << line << ": " << command.error().message;
    commands.push_back(*command);
  }
  EXPECT_EQ(commands[0].kind, AuthCommandKind::kVersion);
  EXPECT_EQ(commands[0].major, 1u);
  EXPECT_EQ(commands[0].minor, 0u);
  EXPECT_EQ(commands[1].kind, AuthCommandKind::kCpid);
  EXPECT_EQ(commands[1].id, "12345");

  EXPECT_EQ(commands[2].kind, AuthCommandKind::kAuth);
  EXPECT_EQ(commands[2].id, "1");
  EXPECT_EQ(commands[2].mechanism, "PLAIN");
  EXPECT_EQ(commands[2].params, (Params{{"service", "smtp"},
                                        {"nologin", ""},
                                        {"lip", "192.0.2.1"},
                                        {"rip", "198.51.100.7"},
                                        {"secured", ""}}));
  EXPECT_EQ(commands[2].response, "AHVzZXJAZXhhbXBsZS5jb20Ac2VjcmV0");

  EXPECT_EQ(commands[3].kind, AuthCommandKind::kAuth);
  EXPECT_EQ(commands[3].mechanism, "LOGIN");
  EXPECT_EQ(commands[3].response, std::nullopt) << "no initial response";

  EXPECT_EQ(commands[4].kind, AuthCommandKind::kCont);
  EXPECT_EQ(commands[4].id, "2");
  EXPECT_EQ(commands[4].response, "dXNlcg==");
  EXPECT_EQ(commands[5].kind, AuthCommandKind::kCont);
  EXPECT_EQ(commands[5].response, "") << "CONT data may be empty but is present";
}

TEST(DovecotAuthTest, PlainInitialResponseDecodesToCredentials) {
  Result<AuthCommand> command =
      parse_auth_command("AUTH\t7\tplain\tservice=smtp\tresp=AHVzZXJAZXhhbXBsZS5jb20Ac2VjcmV0");
  ASSERT_TRUE(command.has_value());
  EXPECT_EQ(command->mechanism, "PLAIN") << "mechanism is upper-cased";
  std::optional<std::string> decoded = base64_decode(*command->response);
  ASSERT_TRUE(decoded.has_value());
  Result<PlainCredentials> credentials = parse_sasl_plain(*decoded);
  ASSERT_TRUE(credentials.has_value());
  EXPECT_EQ(*credentials, (PlainCredentials{"", "user@example.com", "secret"}));
  EXPECT_EQ(auth_ok(command->id, credentials->authcid), "OK\t7\tuser=user@example.com\n");
}

TEST(DovecotAuthTest, AuthParametersAndResponse) {
  struct Case {
    std::string line;
    Params params;
    std::optional<std::string> response;
  };
  const std::vector<Case> cases = {
      {"AUTH\t1\tPLAIN", {}, std::nullopt},
      {"AUTH\t1\tPLAIN\tresp=", {}, ""},
      {"AUTH\t1\tPLAIN\tresp=\tservice=smtp", {{"service", "smtp"}}, ""},
      {"AUTH\t1\tPLAIN\tresp", {{"resp", ""}}, std::nullopt},
      {"AUTH\t1\tPLAIN\tx=a=b", {{"x", "a=b"}}, std::nullopt},
      {"AUTH\t1\tPLAIN\tfuture-param=1\tnologin",
       {{"future-param", "1"}, {"nologin", ""}},
       std::nullopt},
  };
  for (const Case& c : cases) {
    Result<AuthCommand> got = parse_auth_command(c.line);
    ASSERT_TRUE(got.has_value()) << c.line << ": " << got.error().message;
    EXPECT_EQ(got->params, c.params) << c.line;
    EXPECT_EQ(got->response, c.response) << c.line;
  }
}

TEST(DovecotAuthTest, VersionTakesMajorAndMinorAndIgnoresExtraFields) {
  Result<AuthCommand> got = parse_auth_command("VERSION\t1\t2\textra");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->major, 1u);
  EXPECT_EQ(got->minor, 2u);
}

TEST(DovecotAuthTest, MalformedCommandsAreRejected) {
  std::string params_at_limit;
  for (size_t i = 0; i < kMaxAuthParameters; ++i)
    params_at_limit += "\tp" + std::to_string(i);
  ASSERT_TRUE(parse_auth_command("AUTH\t1\tPLAIN" + params_at_limit).has_value());

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "unknown command"},
      {"MECH\tPLAIN", "unknown command"},
      {"auth\t1\tPLAIN", "unknown command"},
      {"AUTH 1 PLAIN", "unknown command"},
      {"REQUEST\t1\t2", "unknown command"},
      {"VERSION\t1", "without major and minor"},
      {"VERSION\t1\tx", "not decimal"},
      {"VERSION\t\t0", "not decimal"},
      {"VERSION\t4294967296\t0", "not decimal"},
      {"CPID", "exactly one field"},
      {"CPID\t1\t2", "exactly one field"},
      {"CPID\tabc", "not a decimal process id"},
      {"AUTH\t1", "without id and mechanism"},
      {"AUTH\t\tPLAIN", "id is not a decimal"},
      {"AUTH\t-1\tPLAIN", "id is not a decimal"},
      {"AUTH\t12345678901\tPLAIN", "id is not a decimal"},
      {"AUTH\t1\t", "empty mechanism"},
      {"AUTH\t1\tPL AIN", "unexpected byte 0x20"},
      {"AUTH\t1\tPLAIN\t", "empty parameter"},
      {"AUTH\t1\tPLAIN\tservice=smtp\t\tnologin", "empty parameter"},
      {"AUTH\t1\tPLAIN\t=x", "empty name"},
      {"AUTH\t1\tPLAIN\tresp=AA==\tresp=AA==", "two resp="},
      {"AUTH\t1\tPLAIN" + params_at_limit + "\tone-more", "more than 32 parameters"},
      {"CONT\t1", "exactly an id and a data field"},
      {"CONT\t1\tAA==\textra", "exactly an id and a data field"},
      {"CONT\tx\tAA==", "id is not a decimal"},
      {"AUTH\t1\tPLAIN\nAUTH\t2\tPLAIN", "LF or NUL"},
      {std::string("CONT\t1\tA\0", 9), "LF or NUL"},
      {"CONT\t1\t" + std::string(kMaxAuthLineLength, 'A'), "longer than 8192"},
  };
  for (const auto& [line, message_part] : cases) {
    Result<AuthCommand> got = parse_auth_command(line);
    ASSERT_FALSE(got.has_value()) << line;
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(got.error().message.find(message_part), std::string::npos)
        << line << ": " << got.error().message;
  }
}

TEST(DovecotAuthTest, HandshakePutsMechBeforeSpid) {
  std::string handshake = auth_handshake(4242, 7, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(handshake,
            "VERSION\t1\t2\n"
            "MECH\tPLAIN\tplaintext\n"
            "MECH\tLOGIN\tplaintext\n"
            "SPID\t4242\n"
            "CUID\t7\n"
            "COOKIE\t0123456789abcdef0123456789abcdef\n"
            "DONE\n");
  size_t spid = handshake.find("\nSPID\t");
  ASSERT_NE(spid, std::string::npos);
  EXPECT_LT(handshake.find("\nMECH\t"), spid);
  EXPECT_GT(spid, handshake.rfind("\nMECH\t"));
}

TEST(DovecotAuthTest, HandshakeCookieCannotAddLines) {
  std::string handshake = auth_handshake(1, 2, "ab\ncd\tef");
  EXPECT_EQ(std::count(handshake.begin(), handshake.end(), '\n'), 7);
  EXPECT_NE(handshake.find("COOKIE\tab cd ef\n"), std::string::npos);
}

TEST(DovecotAuthTest, RepliesAreExactLines) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {auth_ok("1", "user@example.com"), "OK\t1\tuser=user@example.com\n"},
      {auth_fail("2"), "FAIL\t2\n"},
      {auth_fail("2", ""), "FAIL\t2\n"},
      {auth_fail("3", "Invalid credentials"), "FAIL\t3\treason=Invalid credentials\n"},
      {auth_cont("4", kLoginUsernameChallenge), "CONT\t4\tVXNlcm5hbWU6\n"},
      {auth_cont("4", kLoginPasswordChallenge), "CONT\t4\tUGFzc3dvcmQ6\n"},
      {auth_cont("5", ""), "CONT\t5\t\n"},
      // Text that would add fields or lines is neutralised.
      {auth_ok("1", "evil\tuser=admin"), "OK\t1\tuser=evil user=admin\n"},
      {auth_ok("1", "a\nOK\t2\tuser=b"), "OK\t1\tuser=a OK 2 user=b\n"},
      {auth_fail("1", "bad\r\npassword"), "FAIL\t1\treason=bad  password\n"},
      {auth_fail(std::string("1\0", 2), "x"), std::string("FAIL\t1 \treason=x\n")},
      {auth_cont("1\t2", "AA\n=="), "CONT\t1 2\tAA ==\n"},
  };
  for (const auto& [got, expected] : cases)
    EXPECT_EQ(got, expected);
}

TEST(DovecotAuthTest, ContAlwaysHasThreeFields) {
  for (std::string challenge : {"", "VXNlcm5hbWU6", "\t", "\n"}) {
    std::string line = auth_cont("9", challenge);
    ASSERT_EQ(line.back(), '\n');
    ASSERT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
    std::vector<std::string> fields = fields_of(std::string_view(line).substr(0, line.size() - 1));
    EXPECT_EQ(fields.size(), 3u) << challenge;
    EXPECT_EQ(fields[0], "CONT");
    EXPECT_EQ(fields[1], "9");
  }
}

TEST(DovecotAuthTest, SaslPlainSplitsAtTwoNuls) {
  const std::vector<std::pair<std::string, PlainCredentials>> accepted = {
      {std::string("\0user\0pass", 10), {"", "user", "pass"}},
      {std::string("admin\0user\0pass", 15), {"admin", "user", "pass"}},
      {std::string("\0u@example.com\0p w\td", 20), {"", "u@example.com", "p w\td"}},
      {std::string("\0\xc3\xa9\0\xc3\xa9", 6), {"", "\xc3\xa9", "\xc3\xa9"}},
  };
  for (const auto& [decoded, credentials] : accepted) {
    Result<PlainCredentials> got = parse_sasl_plain(decoded);
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(*got, credentials);
  }
  const std::vector<std::pair<std::string, std::string>> rejected = {
      {"", "without NUL"},
      {"userpass", "without NUL"},
      {std::string("user\0pass", 9), "one NUL"},
      {std::string("\0\0pass", 6), "empty user name"},
      {std::string("\0user\0", 6), "empty password"},
      {std::string("\0\0", 2), "empty user name"},
      {std::string("\0user\0pa\0ss", 11), "more than two NUL"},
      {std::string("\0user\0pass\0", 11), "more than two NUL"},
  };
  for (const auto& [decoded, message_part] : rejected) {
    Result<PlainCredentials> got = parse_sasl_plain(decoded);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(got.error().message.find(message_part), std::string::npos) << got.error().message;
  }
}

TEST(DovecotAuthTest, LineParserSplitsAtLfAndDropsACrBeforeIt) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"a\nb\n", {"a", "b"}}, {"a\r\nb\n", {"a", "b"}}, {"\n\n", {"", ""}},
      {"a\rb\n", {"a\rb"}},   {"a\r\r\n", {"a\r"}},     {"partial", {}},
  };
  for (const auto& [input, lines] : cases) {
    Split got = split(input);
    ASSERT_TRUE(got.ok) << got.error;
    EXPECT_EQ(got.lines, lines);
  }
}

TEST(DovecotAuthTest, ByteAtATimeGivesTheSameLinesAsAllAtOnce) {
  std::string input = std::string(kPostfixTranscript) + std::string(kPostfixTranscript) + "tail";
  Split whole = split(input);
  for (size_t chunk : {1u, 2u, 5u, 64u}) {
    Split pieces = split(input, chunk);
    EXPECT_EQ(pieces.ok, whole.ok);
    EXPECT_EQ(pieces.lines, whole.lines) << chunk;
  }
  std::string bad = "a\nb\n" + std::string(kMaxAuthLineLength + 1, 'x') + "\n";
  Split whole_bad = split(bad);
  Split bytes_bad = split(bad, 1);
  EXPECT_FALSE(whole_bad.ok);
  EXPECT_FALSE(bytes_bad.ok);
  EXPECT_EQ(whole_bad.error, bytes_bad.error);
  EXPECT_EQ(whole_bad.lines, bytes_bad.lines);
}

TEST(DovecotAuthTest, LineLengthLimitIsInclusive) {
  std::string at_limit(kMaxAuthLineLength, 'A');
  for (size_t chunk : {0u, 1u}) {
    Split accepted = split(at_limit + "\n", chunk);
    ASSERT_TRUE(accepted.ok) << accepted.error;
    EXPECT_EQ(accepted.lines, std::vector<std::string>{at_limit});
    EXPECT_TRUE(split(at_limit + "\r\n", chunk).ok) << "a CR before LF is not counted";
    Split rejected = split(at_limit + "A\n", chunk);
    EXPECT_FALSE(rejected.ok);
    EXPECT_NE(rejected.error.find("longer than 8192"), std::string::npos) << rejected.error;
    EXPECT_FALSE(split(at_limit + "\rA", chunk).ok);
  }
  EXPECT_TRUE(parse_auth_command("CONT\t1\t" + std::string(kMaxAuthLineLength - 7, 'A')));
  EXPECT_FALSE(parse_auth_command("CONT\t1\t" + std::string(kMaxAuthLineLength - 6, 'A')));
}

TEST(DovecotAuthTest, LineParserRejectsNulAndStaysFailed) {
  AuthLineParser parser;
  std::vector<std::string> lines;
  Status first = parser.feed(std::string("ok\nb\0d\n", 7), lines);
  ASSERT_FALSE(first.has_value());
  EXPECT_NE(first.error().message.find("NUL"), std::string::npos);
  EXPECT_EQ(lines, std::vector<std::string>{"ok"});
  EXPECT_FALSE(parser.mid_line());
  Status again = parser.feed("fine\n", lines);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().message, first.error().message);
  EXPECT_EQ(lines.size(), 1u);
}

TEST(DovecotAuthTest, MidLineIsTrueWhileALineIsIncomplete) {
  AuthLineParser parser;
  std::vector<std::string> lines;
  EXPECT_FALSE(parser.mid_line());
  ASSERT_TRUE(parser.feed("AUTH\t1", lines).has_value());
  EXPECT_TRUE(parser.mid_line());
  ASSERT_TRUE(parser.feed("\tPLAIN\n", lines).has_value());
  EXPECT_FALSE(parser.mid_line());
  EXPECT_EQ(lines, std::vector<std::string>{"AUTH\t1\tPLAIN"});
}

}  // namespace
}  // namespace sendpool
