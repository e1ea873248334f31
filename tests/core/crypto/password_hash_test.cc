#include "core/crypto/password_hash.h"

#include <string>

#include <gtest/gtest.h>

namespace sendpool {
namespace {

TEST(PasswordHashTest, HashThenVerifyRoundTrips) {
  auto hash = hash_password("correct horse battery", kTestCost);
  ASSERT_TRUE(hash) << hash.error().message;
  EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
  EXPECT_TRUE(verify_password(*hash, "correct horse battery"));
}

TEST(PasswordHashTest, WrongPasswordFailsVerification) {
  auto hash = hash_password("correct horse battery", kTestCost);
  ASSERT_TRUE(hash);
  EXPECT_FALSE(verify_password(*hash, "correct horse batterY"));
  EXPECT_FALSE(verify_password(*hash, "correct horse battery "));
  EXPECT_FALSE(verify_password(*hash, ""));
}

TEST(PasswordHashTest, HashesAreSaltedSoEqualPasswordsHashDifferently) {
  auto a = hash_password("same password", kTestCost);
  auto b = hash_password("same password", kTestCost);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(verify_password(*a, "same password"));
  EXPECT_TRUE(verify_password(*b, "same password"));
}

TEST(PasswordHashTest, PasswordsWithEmbeddedNulAreComparedByLength) {
  const std::string with_nul("abc\0def", 7);
  auto hash = hash_password(with_nul, kTestCost);
  ASSERT_TRUE(hash);
  EXPECT_TRUE(verify_password(*hash, with_nul));
  EXPECT_FALSE(verify_password(*hash, "abc"));
}

TEST(PasswordHashTest, MalformedStoredHashFailsVerificationWithoutCrashing) {
  auto good = hash_password("a password", kTestCost);
  ASSERT_TRUE(good);
  const std::string truncated = good->substr(0, good->size() - 10);
  std::string flipped = *good;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  const std::string cases[] = {
      "",
      "garbage",
      "$argon2id$",
      "$argon2id$v=19$m=65536,t=2,p=1$",
      "$argon2id$v=19$m=x,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaA",
      "$argon2id$v=19$m=99999999999999999999999,t=2,p=1$c2FsdA$aGFzaA",
      "$2y$10$abcdefghijklmnopqrstuu5Jq6.Yw8Ejq0bJYGa6oBvAW.IkYfkq",  // bcrypt
      truncated,
      *good + std::string("\0x", 2),
      std::string(4096, '$'),
  };
  for (const std::string& stored : cases) {
    EXPECT_FALSE(verify_password(stored, "a password")) << stored;
  }
  EXPECT_FALSE(verify_password(flipped, "a password"));
}

TEST(PasswordHashTest, StoredHashDemandingExcessiveMemoryIsRefusedNotAttempted) {
  // 4 TiB of memory: verifying would abort or thrash; it must fail fast instead.
  const std::string greedy =
      "$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
      "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
  EXPECT_FALSE(verify_password(greedy, "a password"));
  const std::string slow =
      "$argon2id$v=19$m=8,t=4000000000,p=1$c2FsdHNhbHRzYWx0c2FsdA$"
      "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
  EXPECT_FALSE(verify_password(slow, "a password"));
}

TEST(PasswordHashTest, CostOutOfRangeIsInvalidArgument) {
  auto too_cheap = hash_password("a password", PasswordHashCost{0, kTestCost.mem});
  ASSERT_FALSE(too_cheap);
  EXPECT_EQ(too_cheap.error().code, ErrorCode::kInvalidArgument);
  auto too_small = hash_password("a password", PasswordHashCost{kTestCost.ops, 1024});
  ASSERT_FALSE(too_small);
  EXPECT_EQ(too_small.error().code, ErrorCode::kInvalidArgument);
}

TEST(PasswordHashTest, HashNeedsRehashWhenCostDiffersOrHashIsMalformed) {
  auto hash = hash_password("a password", kTestCost);
  ASSERT_TRUE(hash);
  EXPECT_FALSE(password_hash_needs_rehash(*hash, kTestCost));
  EXPECT_TRUE(password_hash_needs_rehash(*hash, kInteractiveCost));
  EXPECT_TRUE(password_hash_needs_rehash("garbage", kTestCost));
  EXPECT_TRUE(password_hash_needs_rehash("", kTestCost));
}

TEST(PasswordHashTest, InteractiveCostHashVerifies) {
  auto hash = hash_password("production cost");
  ASSERT_TRUE(hash);
  EXPECT_NE(hash->find("$m=65536,t=2,"), std::string::npos) << *hash;
  EXPECT_TRUE(verify_password(*hash, "production cost"));
  EXPECT_FALSE(password_hash_needs_rehash(*hash));
}

struct PolicyCase {
  std::string password;
  bool acceptable;
};

TEST(PasswordPolicyTest, PasswordMustBe8To1024BytesWithoutNulCrOrLf) {
  const PolicyCase cases[] = {
      {"", false},
      {"1234567", false},
      {"12345678", true},
      {std::string(1024, 'x'), true},
      {std::string(1025, 'x'), false},
      {"pass word with spaces", true},
      {"p\xC3\xA4sswort-\xE2\x82\xAC", true},  // UTF-8 is fine
      {std::string("password\0x", 10), false},
      {"password\r", false},
      {"pass\nword", false},
  };
  for (const PolicyCase& c : cases) {
    Status status = check_password_acceptable(c.password);
    EXPECT_EQ(status.has_value(), c.acceptable) << "size " << c.password.size();
    if (!status) {
      EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(PasswordPolicyTest, RefusalMessageNamesTheRuleAndNeverEchoesThePassword) {
  Status short_one = check_password_acceptable("s3cr3t");
  ASSERT_FALSE(short_one);
  EXPECT_NE(short_one.error().message.find("too short"), std::string::npos);
  EXPECT_EQ(short_one.error().message.find("s3cr3t"), std::string::npos);

  Status long_one = check_password_acceptable(std::string(2000, 'q'));
  ASSERT_FALSE(long_one);
  EXPECT_NE(long_one.error().message.find("too long"), std::string::npos);

  Status newline = check_password_acceptable("s3cr3t-word\n");
  ASSERT_FALSE(newline);
  EXPECT_NE(newline.error().message.find("LF"), std::string::npos);
  EXPECT_EQ(newline.error().message.find("s3cr3t"), std::string::npos);
}

}  // namespace
}  // namespace sendpool
