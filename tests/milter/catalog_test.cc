// StoreCatalog against a real (temporary) LMDB store: what the milter reads, and that a key
// rotation is seen once the catalogue generation moves.
#include "milter/catalog.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/store/store.h"
#include "core/store/tables.h"
#include "tests/core/store/store_test_util.h"

namespace sendpool::milter {
namespace {

DkimKey dkim_key(std::string selector, KeyType type, bool active) {
  DkimKey k;
  k.selector = std::move(selector);
  k.type = type;
  k.private_key_pem = "pem of " + k.selector;
  k.active = active;
  return k;
}

std::vector<std::string> selectors(const std::vector<SigningKey>& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys)
    out.push_back(k.selector);
  return out;
}

class StoreCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = open_store(sendpool::testing::store_options(dir_.sub("store")));
    ASSERT_TRUE(env) << env.error().message;
    env_ = std::move(*env);
    Status s = env_->write([](WriteTxn& txn) -> Status {
      Account acme;
      acme.id = 42;
      acme.username = "acme";
      acme.customer = "acme-corp";
      acme.allowed_ips = {IpRange{"192.0.2.0/24"}};
      SENDPOOL_TRY(tables::put_account(txn, acme));
      Account other;
      other.id = 43;
      other.username = "other";
      SENDPOOL_TRY(tables::put_account(txn, other));
      SENDPOOL_TRY(tables::put_link(txn, "good.example", "acme"));
      SENDPOOL_TRY(tables::put_link(txn, "other.example", "other"));
      Domain good;
      good.name = "good.example";
      good.keys = {dkim_key("old", KeyType::kRsa, false), dkim_key("rsa1", KeyType::kRsa, true),
                   dkim_key("ed1", KeyType::kEd25519, true)};
      SENDPOOL_TRY(tables::put_domain(txn, good));
      SuppressionEntry bob;
      bob.address = "bob@dest.example";
      SENDPOOL_TRY(tables::put_suppression(txn, SuppressionScope{42}, bob));
      SuppressionEntry carol;
      carol.address = "Carol@dest.example";
      SENDPOOL_TRY(tables::put_suppression(txn, SuppressionScope{}, carol));
      SuppressionEntry dave;
      dave.address = "dave@dest.example";
      SENDPOOL_TRY(tables::put_suppression(txn, SuppressionScope{43}, dave));
      return tables::bump_catalog_generation(txn);
    });
    ASSERT_TRUE(s) << s.error().message;
    catalog_ = std::make_unique<StoreCatalog>(*env_);
  }

  Account acme() {
    auto a = catalog_->account_by_username("acme");
    EXPECT_TRUE(a && *a);
    return a && *a ? **a : Account{};
  }

  sendpool::testing::TempDir dir_;
  std::unique_ptr<LmdbEnv> env_;
  std::unique_ptr<StoreCatalog> catalog_;
};

TEST_F(StoreCatalogTest, FindsAccountsByUsernameAndByClientAddress) {
  EXPECT_EQ(acme().id, 42u);
  auto none = catalog_->account_by_username("nobody");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  auto by_ip = catalog_->account_by_client("192.0.2.77");
  ASSERT_TRUE(by_ip);
  ASSERT_TRUE(*by_ip);
  EXPECT_EQ((*by_ip)->username, "acme");
  auto stranger = catalog_->account_by_client("198.51.100.1");
  ASSERT_TRUE(stranger);
  EXPECT_FALSE(*stranger);
}

TEST_F(StoreCatalogTest, ADomainIsLinkedOnlyToItsOwnAccounts) {
  EXPECT_TRUE(*catalog_->domain_linked("good.example", "acme"));
  EXPECT_FALSE(*catalog_->domain_linked("other.example", "acme"));
  EXPECT_FALSE(*catalog_->domain_linked("good.example", "other"));
  EXPECT_FALSE(*catalog_->domain_linked("unknown.example", "acme"));
}

TEST_F(StoreCatalogTest, RecipientsAreSuppressedByTheAccountsListOrThePlatformList) {
  Account a = acme();
  struct Case {
    std::string address;
    bool suppressed;
  };
  const std::vector<Case> cases = {
      {"bob@dest.example", true},    {"bob@DEST.Example", true},
      {"Bob@dest.example", false},   {"Carol@dest.example", true},
      {"carol@dest.example", false}, {"dave@dest.example", false},  // another account's list
      {"alice@dest.example", false}, {"not an address", false},
  };
  for (const auto& c : cases) {
    auto got = catalog_->suppressed(a, c.address);
    ASSERT_TRUE(got) << c.address;
    EXPECT_EQ(*got, c.suppressed) << c.address;
  }
}

TEST_F(StoreCatalogTest, SigningKeysAreTheActiveKeysOfTheDomain) {
  auto keys = catalog_->signing_keys("good.example");
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(selectors(*keys), (std::vector<std::string>{"rsa1", "ed1"}));
  EXPECT_EQ((*keys)[0].domain, "good.example");
  EXPECT_EQ((*keys)[0].private_key_pem, "pem of rsa1");
  EXPECT_EQ((*keys)[1].type, KeyType::kEd25519);
  auto none = catalog_->signing_keys("unknown.example");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(StoreCatalogTest, ARotationIsSeenOnceTheCatalogueGenerationMoves) {
  ASSERT_EQ(selectors(*catalog_->signing_keys("good.example")),
            (std::vector<std::string>{"rsa1", "ed1"}));
  auto rotate = [&](bool bump) {
    return env_->write([bump](WriteTxn& txn) -> Status {
      Domain good;
      good.name = "good.example";
      good.keys = {dkim_key("rsa1", KeyType::kRsa, false), dkim_key("rsa2", KeyType::kRsa, true)};
      SENDPOOL_TRY(tables::put_domain(txn, good));
      return bump ? tables::bump_catalog_generation(txn) : ok_status();
    });
  };
  ASSERT_TRUE(rotate(false));
  // Until sendpoolctl bumps the generation the cached keys stand (one read per message).
  EXPECT_EQ(selectors(*catalog_->signing_keys("good.example")),
            (std::vector<std::string>{"rsa1", "ed1"}));
  ASSERT_TRUE(rotate(true));
  EXPECT_EQ(selectors(*catalog_->signing_keys("good.example")), std::vector<std::string>{"rsa2"});
  EXPECT_EQ(selectors(*catalog_->signing_keys("good.example")), std::vector<std::string>{"rsa2"});
}

TEST_F(StoreCatalogTest, ADomainAddedLaterIsFoundWithoutARestart) {
  auto none = catalog_->signing_keys("new.example");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  ASSERT_TRUE(env_->write([](WriteTxn& txn) -> Status {
    Domain d;
    d.name = "new.example";
    d.keys = {dkim_key("n1", KeyType::kRsa, true)};
    SENDPOOL_TRY(tables::put_domain(txn, d));
    return tables::bump_catalog_generation(txn);
  }));
  EXPECT_EQ(selectors(*catalog_->signing_keys("new.example")), std::vector<std::string>{"n1"});
}

}  // namespace
}  // namespace sendpool::milter
