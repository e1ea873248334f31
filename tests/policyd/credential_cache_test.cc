#include "policyd/credential_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/base/civil_time.h"

namespace sendpool::policyd {
namespace {

using namespace std::chrono;

const TimePoint kT0 = parse_timestamp("2026-03-10T12:00:00Z").value();
constexpr std::string_view kHash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";
constexpr std::string_view kNewHash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdDI$aGFzaDI";

TEST(CredentialCacheTest, RememberedLoginHitsOnlyWithTheSameUserPasswordAndStoredHash) {
  CredentialCache cache("process-key");
  cache.remember("app1", "s3cret", std::string(kHash), kT0);
  struct Case {
    const char* rule;
    const char* user;
    const char* password;
    std::string_view stored_hash;
    bool hit;
  };
  const std::vector<Case> cases = {
      {"same login", "app1", "s3cret", kHash, true},
      {"other password", "app1", "s3cret2", kHash, false},
      {"password differing in case", "app1", "S3cret", kHash, false},
      {"empty password", "app1", "", kHash, false},
      {"other user", "app2", "s3cret", kHash, false},
      {"password changed: stored hash differs", "app1", "s3cret", kNewHash, false},
      // user and password are kept apart, so shifting bytes between them is another login
      {"bytes moved from password to user", "app1s", "3cret", kHash, false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(cache.hit(c.user, c.password, c.stored_hash, kT0 + 1s), c.hit) << c.rule;
}

TEST(CredentialCacheTest, EntriesExpireAfterTheTtl) {
  CredentialCache cache("process-key", 100, 300s);
  cache.remember("app1", "s3cret", std::string(kHash), kT0);
  struct Case {
    seconds after;
    bool hit;
  };
  const std::vector<Case> cases = {{0s, true}, {299s, true}, {300s, false}, {1h, false}};
  for (const auto& c : cases)
    EXPECT_EQ(cache.hit("app1", "s3cret", kHash, kT0 + c.after), c.hit)
        << c.after.count() << "s after";
}

TEST(CredentialCacheTest, RememberingAgainRenewsTheTtlAndTheHash) {
  CredentialCache cache("process-key", 100, 300s);
  cache.remember("app1", "s3cret", std::string(kHash), kT0);
  cache.remember("app1", "s3cret", std::string(kNewHash), kT0 + 200s);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_TRUE(cache.hit("app1", "s3cret", kNewHash, kT0 + 450s));
  EXPECT_FALSE(cache.hit("app1", "s3cret", kHash, kT0 + 450s));
  EXPECT_FALSE(cache.hit("app1", "s3cret", kNewHash, kT0 + 500s));
}

TEST(CredentialCacheTest, CapacityBoundEvictsTheOldestEntries) {
  CredentialCache cache("process-key", 3, 300s);
  const std::vector<std::string> users = {"u1", "u2", "u3", "u4", "u5"};
  for (size_t i = 0; i < users.size(); ++i)
    cache.remember(users[i], "pw", std::string(kHash), kT0 + seconds(i));
  EXPECT_EQ(cache.size(), 3u);
  const TimePoint now = kT0 + 10s;
  EXPECT_FALSE(cache.hit("u1", "pw", kHash, now));
  EXPECT_FALSE(cache.hit("u2", "pw", kHash, now));
  EXPECT_TRUE(cache.hit("u3", "pw", kHash, now));
  EXPECT_TRUE(cache.hit("u4", "pw", kHash, now));
  EXPECT_TRUE(cache.hit("u5", "pw", kHash, now));
}

TEST(CredentialCacheTest, SizeStaysBoundedUnderChurnAndRepeats) {
  CredentialCache cache("process-key", 8, 300s);
  for (int i = 0; i < 1000; ++i) {
    cache.remember("u" + std::to_string(i % 50), "pw", std::string(kHash), kT0);
    cache.remember("steady", "pw", std::string(kHash), kT0);
    ASSERT_LE(cache.size(), 8u) << "after " << i << " logins";
  }
  // The last two logins are the newest entries.
  EXPECT_TRUE(cache.hit("u49", "pw", kHash, kT0));
  EXPECT_TRUE(cache.hit("steady", "pw", kHash, kT0));
}

TEST(CredentialCacheTest, EntriesDoNotCarryOverToACacheWithAnotherKey) {
  // A new process draws a new key: nothing it did not verify itself may hit.
  CredentialCache a("key-a");
  CredentialCache b("key-b");
  a.remember("app1", "s3cret", std::string(kHash), kT0);
  EXPECT_TRUE(a.hit("app1", "s3cret", kHash, kT0));
  EXPECT_FALSE(b.hit("app1", "s3cret", kHash, kT0));
}

}  // namespace
}  // namespace sendpool::policyd
