#include "core/base/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendpool {
namespace {

struct Case {
  std::string input;
  size_t max_length;
  std::string expected;
};

TEST(LogTest, SanitizeReplacesEveryNonPrintableByteWithAQuestionMark) {
  const std::vector<Case> cases = {
      {"", 200, ""},
      {"plain text, with ~ and !", 200, "plain text, with ~ and !"},
      {"line\r\nforged: entry", 200, "line??forged: entry"},
      {"tab\there", 200, "tab?here"},
      {std::string("nul\0byte", 8), 200, "nul?byte"},
      {"esc\x1b[31mred", 200, "esc?[31mred"},
      {"del\x7f", 200, "del?"},
      {"\x1f \x20", 200, "?  "},
      {"b\xc3\xbc"
       "cher",
       200, "b??cher"},  // UTF-8 is not printable ASCII either
      {"\xff", 200, "?"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(sanitize(c.input, c.max_length), c.expected) << c.input;
}

TEST(LogTest, SanitizeCutsLongTextAtMaxLengthAndMarksTheCut) {
  const std::vector<Case> cases = {
      {"abcdef", 6, "abcdef"},                                    // exactly the limit: not cut
      {"abcdefg", 6, "abcdef..."},                                // one over
      {"abc", 6, "abc"},           {"ab\ncdefgh", 4, "ab?c..."},  // sanitised and cut
      {"abc", 0, "..."},
  };
  for (const auto& c : cases)
    EXPECT_EQ(sanitize(c.input, c.max_length), c.expected) << c.input;
}

TEST(LogTest, SanitizeDefaultsToTwoHundredBytes) {
  const std::string exact(200, 'x');
  EXPECT_EQ(sanitize(exact), exact);
  const std::string longer(500, 'y');
  EXPECT_EQ(sanitize(longer), std::string(200, 'y') + "...");
}

TEST(LogTest, LoggerWithoutOutputsDropsMessagesQuietly) {
  Logger logger("sendpool-test", /*to_syslog=*/false, /*to_stderr=*/false, LogLevel::kDebug);
  logger.info("account {} sent {}", "app", 3);
  logger.debug("debug {}", 1);
  SUCCEED();
}

TEST(LogTest, LoggerWritesOneLinePrefixedWithIdentAndLevelToStderr) {
  struct LineCase {
    LogLevel level;
    std::string expected;
  };
  const std::vector<LineCase> cases = {
      {LogLevel::kInfo, "sendpool-test: hello 1\n"},
      {LogLevel::kWarning, "sendpool-test: warning: hello 1\n"},
      {LogLevel::kError, "sendpool-test: error: hello 1\n"},
      {LogLevel::kDebug, ""},  // below the minimum level
  };
  Logger logger("sendpool-test", /*to_syslog=*/false, /*to_stderr=*/true, LogLevel::kInfo);
  for (const auto& c : cases) {
    testing::internal::CaptureStderr();
    logger.log(c.level, "hello 1");
    EXPECT_EQ(testing::internal::GetCapturedStderr(), c.expected);
  }
}

}  // namespace
}  // namespace sendpool
