#include "core/base/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace sendpool {
namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return make_error(ErrorCode::kInvalidArgument, "not a digit");
  return c - '0';
}

Status check_positive(int v) {
  if (v <= 0) return make_error(ErrorCode::kRefused, "not positive");
  return ok_status();
}

// Uses both macros: sums two digits, refusing a zero sum.
Result<int> add_digits(char a, char b) {
  SENDPOOL_ASSIGN_OR_RETURN(int x, parse_digit(a));
  SENDPOOL_ASSIGN_OR_RETURN(int y, parse_digit(b));
  SENDPOOL_TRY(check_positive(x + y));
  return x + y;
}

// Counts how far it got, to prove the macros stop at the first error.
Status steps(int fail_at, int& reached) {
  reached = 0;
  SENDPOOL_TRY(check_positive(fail_at == 1 ? 0 : 1));
  reached = 1;
  SENDPOOL_TRY(check_positive(fail_at == 2 ? 0 : 1));
  reached = 2;
  return ok_status();
}

TEST(ResultTest, HoldsAValueOrAnError) {
  Result<std::string> ok = std::string("text");
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(static_cast<bool>(ok));
  EXPECT_EQ(ok.value(), "text");
  EXPECT_EQ(*ok, "text");
  EXPECT_EQ(ok->size(), 4u);

  Result<std::string> bad = make_error(ErrorCode::kNotFound, "no such account");
  ASSERT_FALSE(bad.has_value());
  EXPECT_FALSE(static_cast<bool>(bad));
  EXPECT_EQ(bad.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(bad.error().message, "no such account");
}

TEST(ResultTest, ValueCanBeMovedOut) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  std::unique_ptr<int> p = std::move(r).value();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 7);
}

TEST(ResultTest, OptionalInsideAResultMeansAbsenceIsNotAnError) {
  Result<std::optional<int>> none = std::optional<int>();
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
}

TEST(ResultTest, StatusIsOkByDefaultAndCarriesAnError) {
  Status ok = ok_status();
  EXPECT_TRUE(ok.has_value());
  Status bad = make_error(ErrorCode::kUnavailable, "map full");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(bad.error().message, "map full");
}

TEST(ResultDeathTest, UsingAFailedResultAsAValueAborts) {
  Result<int> bad = make_error(ErrorCode::kInternal, "x");
  EXPECT_DEATH({ (void)bad.value(); }, "");
  Result<int> ok = 1;
  EXPECT_DEATH({ (void)ok.error(); }, "");
  Status fine = ok_status();
  EXPECT_DEATH({ (void)fine.error(); }, "");
}

TEST(ResultTest, MacrosPropagateTheFirstErrorAndOtherwiseYieldTheValue) {
  struct Case {
    char a, b;
    std::optional<int> value;
    ErrorCode code;  // when no value
  };
  const std::vector<Case> cases = {
      {'3', '4', 7, ErrorCode::kInternal},
      {'9', '0', 9, ErrorCode::kInternal},
      {'x', '4', std::nullopt, ErrorCode::kInvalidArgument},  // first ASSIGN_OR_RETURN
      {'4', 'x', std::nullopt, ErrorCode::kInvalidArgument},  // second ASSIGN_OR_RETURN
      {'0', '0', std::nullopt, ErrorCode::kRefused},          // TRY
  };
  for (const auto& c : cases) {
    Result<int> r = add_digits(c.a, c.b);
    if (c.value) {
      ASSERT_TRUE(r.has_value()) << c.a << c.b << ": " << r.error().message;
      EXPECT_EQ(*r, *c.value);
    } else {
      ASSERT_FALSE(r.has_value()) << c.a << c.b;
      EXPECT_EQ(r.error().code, c.code) << c.a << c.b;
    }
  }
}

TEST(ResultTest, TryStopsAtTheFirstFailure) {
  int reached = -1;
  EXPECT_TRUE(steps(0, reached).has_value());
  EXPECT_EQ(reached, 2);
  Status s = steps(1, reached);
  EXPECT_FALSE(s.has_value());
  EXPECT_EQ(reached, 0);
  s = steps(2, reached);
  EXPECT_FALSE(s.has_value());
  EXPECT_EQ(s.error().message, "not positive");
  EXPECT_EQ(reached, 1);
}

TEST(ResultTest, ErrorCodesHaveStableNames) {
  struct Case {
    ErrorCode code;
    std::string name;
  };
  const std::vector<Case> cases = {
      {ErrorCode::kInvalidArgument, "invalid-argument"},
      {ErrorCode::kNotFound, "not-found"},
      {ErrorCode::kAlreadyExists, "already-exists"},
      {ErrorCode::kRefused, "refused"},
      {ErrorCode::kCorrupt, "corrupt"},
      {ErrorCode::kSchemaTooNew, "schema-too-new"},
      {ErrorCode::kUnavailable, "unavailable"},
      {ErrorCode::kIo, "io"},
      {ErrorCode::kInternal, "internal"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(error_code_name(c.code), c.name);
}

}  // namespace
}  // namespace sendpool
