#include "core/store/admin.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "core/base/civil_time.h"
#include "core/store/records.h"
#include "core/store/store.h"
#include "core/store/tables.h"
#include "tests/core/store/store_test_util.h"

namespace sendpool {
namespace {

using std::chrono::days;
using testing::dump_store;
using testing::store_options;
using testing::StoreDump;
using testing::TempDir;

Date date(const char* text) {
  auto d = parse_date(text);
  if (!d) ADD_FAILURE() << "bad date " << text;
  return d.value_or(Date{});
}

DkimKey key(const std::string& selector) {
  // admin does not parse key material; placeholders are enough.
  return DkimKey{
      selector, KeyType::kEd25519, "private " + selector, "public " + selector, TimePoint{}, false};
}

// A manual suppression of `address` with no detail.
admin::NewSuppression manual(const char* address) {
  return admin::NewSuppression{address, SuppressionReason::kManual, ""};
}

template <typename T>
Status status_of(const Result<T>& r) {
  if (!r) return r.error();
  return ok_status();
}

#define EXPECT_OK(expr)                                                \
  do {                                                                 \
    auto expect_ok_ = (expr);                                          \
    EXPECT_TRUE(expect_ok_.has_value()) << expect_ok_.error().message; \
  } while (0)

#define ASSERT_OK(expr)                                                \
  do {                                                                 \
    auto assert_ok_ = (expr);                                          \
    ASSERT_TRUE(assert_ok_.has_value()) << assert_ok_.error().message; \
  } while (0)

// A store holding a small catalogue:
//   plans free (free, 100), monthly (monthly, 10000), prepaid (prepaid, 500 for 30 days)
//   customer acme (max 5): app1 on monthly (2 domains max: example.com, example.org linked),
//                          app2 on free (allows 192.0.2.0/24, sends through pool p1)
//   customer solo (max 1): solo1 on monthly
//   domains example.com (key s1), example.org (key s1), example.net (key s1, unlinked)
//   pool p1; suppression of gone@example.com platform-wide and for app1.
class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = open_store(store_options(dir_.sub("store")));
    ASSERT_TRUE(env.has_value()) << env.error().message;
    env_ = std::move(*env);
  }

  void seed() {
    ASSERT_OK(admin::add_plan(*env_, plan("free", PlanKind::kFree, 100)));
    ASSERT_OK(admin::add_plan(*env_, plan("monthly", PlanKind::kMonthly, 10000)));
    Plan prepaid = plan("prepaid", PlanKind::kPrepaid, 500);
    prepaid.valid_days = 30;
    ASSERT_OK(admin::add_plan(*env_, prepaid));
    ASSERT_OK(admin::add_customer(*env_, Customer{"acme", 5, TimePoint{}}, clock_));
    ASSERT_OK(admin::add_customer(*env_, Customer{"solo", 1, TimePoint{}}, clock_));
    ASSERT_OK(admin::add_account(*env_, account("app1", "acme", "monthly", 2), clock_));
    ASSERT_OK(admin::add_account(*env_, account("app2", "acme", "free"), clock_));
    ASSERT_OK(admin::add_account(*env_, account("solo1", "solo", "monthly"), clock_));
    admin::AccountChanges allow;
    allow.allow_ips = {"192.0.2.0/24"};
    ASSERT_OK(admin::update_account(*env_, "app2", allow, clock_));
    for (const char* d : {"example.com", "example.org", "example.net"})
      ASSERT_OK(admin::add_domain(*env_, d, {key("s1")}, clock_));
    ASSERT_OK(admin::link_domain(*env_, "example.com", "app1"));
    ASSERT_OK(admin::link_domain(*env_, "example.org", "app1"));
    ASSERT_OK(admin::add_pool(*env_, pool("p1", "smtp-p1")));
    ASSERT_OK(env_->write([](WriteTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(auto app2, tables::get_account(txn, "app2"));
      app2->pool = "p1";
      return tables::put_account(txn, *app2);
    }));
    ASSERT_OK(admin::add_suppressions(*env_, std::nullopt, {manual("gone@example.com")}, clock_));
    ASSERT_OK(admin::add_suppressions(*env_, "app1", {manual("gone@example.com")}, clock_));
  }

  static Plan plan(const char* name, PlanKind kind, uint64_t messages) {
    Plan p;
    p.name = name;
    p.kind = kind;
    p.messages = messages;
    return p;
  }
  static admin::NewAccount account(const char* username, const char* customer, const char* plan,
                                   uint32_t max_domains = 10) {
    admin::NewAccount a;
    a.username = username;
    a.customer = customer;
    a.plan = plan;
    a.max_domains = max_domains;
    return a;
  }
  static Pool pool(const char* name, const char* transport) {
    Pool p;
    p.name = name;
    p.transport = transport;
    p.bind_ipv4 = "192.0.2.10";
    p.helo = "MTA1.Example.NET.";
    return p;
  }

  std::optional<Account> get_account(std::string_view username) {
    std::optional<Account> out;
    EXPECT_OK(env_->read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, tables::get_account(txn, username));
      return ok_status();
    }));
    return out;
  }
  std::optional<Domain> get_domain(std::string_view name) {
    std::optional<Domain> out;
    EXPECT_OK(env_->read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, tables::get_domain(txn, name));
      return ok_status();
    }));
    return out;
  }
  std::vector<std::string> domains_of(std::string_view username) {
    std::vector<std::string> out;
    EXPECT_OK(env_->read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, tables::domains_of(txn, username));
      return ok_status();
    }));
    return out;
  }
  std::vector<SuppressionEntry> suppressions(const SuppressionScope& scope) {
    std::vector<SuppressionEntry> out;
    EXPECT_OK(env_->read([&](const ReadTxn& txn) -> Status {
      return tables::scan_suppression(txn, scope, [&](const SuppressionEntry& e) {
        out.push_back(e);
        return true;
      });
    }));
    return out;
  }

  TempDir dir_;
  std::unique_ptr<LmdbEnv> env_;
  FixedClock clock_{start_of(date("2024-03-15")) + std::chrono::hours(12)};
};

TEST_F(AdminTest, AddCustomerStoresItWithTheClockTime) {
  ASSERT_OK(admin::add_customer(*env_, Customer{"acme", 3, TimePoint{}}, clock_));
  std::optional<Customer> got;
  ASSERT_OK(env_->read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(got, tables::get_customer(txn, "acme"));
    return ok_status();
  }));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->max_accounts, 3u);
  EXPECT_EQ(got->created, clock_.now());
}

TEST_F(AdminTest, AddPlanStoresItAsGivenAndRefusesAnInvalidOne) {
  Plan gold = plan("gold", PlanKind::kPrepaid, 5000);
  gold.hourly_limit = 100;
  gold.max_recipients = 50;
  gold.max_size = 1 << 20;
  gold.valid_days = 90;
  ASSERT_OK(admin::add_plan(*env_, gold));
  std::optional<Plan> got;
  ASSERT_OK(env_->read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(got, tables::get_plan(txn, "gold"));
    return ok_status();
  }));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(encode(*got), encode(gold));

  StoreDump before = dump_store(*env_);
  Status none = admin::add_plan(*env_, plan("empty", PlanKind::kMonthly, 0));
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(dump_store(*env_), before);
}

TEST_F(AdminTest, AddAccountHandsOutIdsAndStartsToday) {
  seed();
  auto app1 = get_account("app1"), app2 = get_account("app2"), solo1 = get_account("solo1");
  ASSERT_TRUE(app1 && app2 && solo1);
  EXPECT_EQ(app1->id, 1u);
  EXPECT_EQ(app2->id, 2u);
  EXPECT_EQ(solo1->id, 3u);
  EXPECT_EQ(app1->start, date("2024-03-15"));
  EXPECT_EQ(app1->created, clock_.now());
  EXPECT_EQ(app1->customer, "acme");
  EXPECT_EQ(app1->plan, "monthly");
  EXPECT_EQ(app1->max_domains, 2u);
  EXPECT_FALSE(app1->prepaid_expires.has_value());

  admin::NewAccount later = account("app3", "acme", "monthly");
  later.start = date("2024-01-31");
  later.type = AccountType::kPromotional;
  later.password_hash = "$argon2id$x";
  auto app3 = admin::add_account(*env_, later, clock_);
  ASSERT_OK(app3);
  EXPECT_EQ(app3->id, 4u);
  EXPECT_EQ(app3->start, date("2024-01-31"));
  EXPECT_EQ(app3->type, AccountType::kPromotional);
  auto stored = get_account("app3");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->password_hash, "$argon2id$x");
  // The id index finds it too.
  std::optional<Account> by_id;
  ASSERT_OK(env_->read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(by_id, tables::get_account_by_id(txn, 4));
    return ok_status();
  }));
  ASSERT_TRUE(by_id);
  EXPECT_EQ(by_id->username, "app3");
}

TEST_F(AdminTest, APrepaidAccountStartsWithItsPackageAndTopUpsExtendIt) {
  seed();
  auto pre = admin::add_account(*env_, account("pre", "acme", "prepaid"), clock_);
  ASSERT_OK(pre);
  EXPECT_EQ(pre->prepaid_remaining, 500u);
  EXPECT_EQ(pre->prepaid_expires, date("2024-04-14"));

  auto topped = admin::top_up(*env_, "pre", 100, std::nullopt, clock_);
  ASSERT_OK(topped);
  EXPECT_EQ(topped->prepaid_remaining, 600u);
  EXPECT_EQ(topped->prepaid_expires, date("2024-04-14"));

  topped = admin::top_up(*env_, "pre", 1, 60u, clock_);
  ASSERT_OK(topped);
  EXPECT_EQ(topped->prepaid_remaining, 601u);
  EXPECT_EQ(topped->prepaid_expires, date("2024-05-14"));
  auto stored = get_account("pre");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->prepaid_remaining, 601u);
  EXPECT_EQ(stored->prepaid_expires, date("2024-05-14"));
}

TEST_F(AdminTest, SetPasswordHashReplacesOnlyTheHash) {
  seed();
  auto before = get_account("app1");
  ASSERT_OK(admin::set_password_hash(*env_, "app1", "$argon2id$new"));
  auto after = get_account("app1");
  ASSERT_TRUE(before && after);
  EXPECT_EQ(after->password_hash, "$argon2id$new");
  after->password_hash = before->password_hash;
  EXPECT_EQ(encode(*after), encode(*before));
}

TEST_F(AdminTest, UpdateAccountAppliesEveryKindOfChange) {
  seed();
  admin::AccountChanges c;
  c.status = AccountStatus::kPaused;
  c.status_reason = "complaints";
  c.plan = "prepaid";
  c.allow_ips = {"198.51.100.7/24", "2001:DB8::/32", "198.51.100.0/24"};
  c.bounce_address = "Bounce@Example.COM";
  c.max_domains = 3;
  auto updated = admin::update_account(*env_, "app1", c, clock_);
  ASSERT_OK(updated);
  auto a = get_account("app1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, AccountStatus::kPaused);
  EXPECT_EQ(a->status_reason, "complaints");
  EXPECT_EQ(a->plan, "prepaid");
  EXPECT_EQ(a->prepaid_remaining, 500u);
  EXPECT_EQ(a->prepaid_expires, date("2024-04-14"));
  ASSERT_EQ(a->allowed_ips.size(), 2u);  // canonical, without duplicates
  EXPECT_EQ(a->allowed_ips[0].text, "198.51.100.0/24");
  EXPECT_EQ(a->allowed_ips[1].text, "2001:db8::/32");
  EXPECT_EQ(a->bounce_address, "Bounce@example.com");
  EXPECT_EQ(a->max_domains, 3u);

  admin::AccountChanges d;
  d.deny_ips = {"198.51.100.0/24"};
  d.bounce_address = "";
  ASSERT_OK(admin::update_account(*env_, "app1", d, clock_));
  a = get_account("app1");
  ASSERT_TRUE(a);
  ASSERT_EQ(a->allowed_ips.size(), 1u);
  EXPECT_EQ(a->allowed_ips[0].text, "2001:db8::/32");
  EXPECT_EQ(a->bounce_address, "");
  EXPECT_EQ(a->status, AccountStatus::kPaused);  // untouched without a status change
}

TEST_F(AdminTest, DomainsAreAddedNormalisedWithActiveKeys) {
  auto d = admin::add_domain(*env_, "Mail.Example.COM.", {key("a"), key("b")}, clock_);
  ASSERT_OK(d);
  EXPECT_EQ(d->name, "mail.example.com");
  auto stored = get_domain("mail.example.com");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->created, clock_.now());
  ASSERT_EQ(stored->keys.size(), 2u);
  EXPECT_TRUE(stored->keys[0].active);
  EXPECT_TRUE(stored->keys[1].active);
  EXPECT_EQ(stored->keys[1].private_key_pem, "private b");
}

TEST_F(AdminTest, RotateDeactivatesOldKeysAndKeepsThemUntilDropped) {
  seed();
  auto rotated = admin::rotate_domain(*env_, "EXAMPLE.com", {key("s2")});
  ASSERT_OK(rotated);
  auto d = get_domain("example.com");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->keys.size(), 2u);
  EXPECT_EQ(d->keys[0].selector, "s1");
  EXPECT_FALSE(d->keys[0].active);
  EXPECT_EQ(d->keys[0].public_key_b64, "public s1");
  EXPECT_EQ(d->keys[1].selector, "s2");
  EXPECT_TRUE(d->keys[1].active);

  auto dropped = admin::drop_key(*env_, "example.com", "s1");
  ASSERT_OK(dropped);
  d = get_domain("example.com");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->keys.size(), 1u);
  EXPECT_EQ(d->keys[0].selector, "s2");
  EXPECT_TRUE(d->keys[0].active);
}

TEST_F(AdminTest, LinkingAndUnlinkingKeepBothDirections) {
  seed();
  ASSERT_OK(admin::link_domain(*env_, "Example.NET", "solo1"));
  EXPECT_EQ(domains_of("solo1"), (std::vector<std::string>{"example.net"}));
  ASSERT_OK(admin::unlink_domain(*env_, "example.com", "app1"));
  EXPECT_EQ(domains_of("app1"), (std::vector<std::string>{"example.org"}));
  // Unlinked, the domain can go; linked, it could not.
  ASSERT_OK(admin::remove_domain(*env_, "example.com"));
  EXPECT_FALSE(get_domain("example.com").has_value());
  // Room for another domain again.
  ASSERT_OK(admin::link_domain(*env_, "example.net", "app1"));
  EXPECT_EQ(domains_of("app1"), (std::vector<std::string>{"example.net", "example.org"}));
}

TEST_F(AdminTest, PoolsAreAddedWithANormalisedHeloAndRemovedWhenUnused) {
  seed();
  ASSERT_OK(admin::add_pool(*env_, pool("p2", "smtp-p2")));
  std::optional<Pool> p2;
  ASSERT_OK(env_->read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(p2, tables::get_pool(txn, "p2"));
    return ok_status();
  }));
  ASSERT_TRUE(p2);
  EXPECT_EQ(p2->helo, "mta1.example.net");
  ASSERT_OK(admin::remove_pool(*env_, "p2"));
  ASSERT_OK(env_->read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(p2, tables::get_pool(txn, "p2"));
    return ok_status();
  }));
  EXPECT_FALSE(p2.has_value());
}

TEST_F(AdminTest, ACustomerWithoutAccountsCanBeRemoved) {
  seed();
  ASSERT_OK(admin::add_customer(*env_, Customer{"empty", 1, TimePoint{}}, clock_));
  ASSERT_OK(admin::remove_customer(*env_, "empty"));
  std::optional<Customer> got;
  ASSERT_OK(env_->read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(got, tables::get_customer(txn, "empty"));
    return ok_status();
  }));
  EXPECT_FALSE(got.has_value());
}

TEST_F(AdminTest, SuppressionAddressesKeepTheLocalPartAndLowerCaseTheDomain) {
  seed();
  auto added = admin::add_suppressions(
      *env_, "app1",
      {{"Foo.Bar@Example.COM", SuppressionReason::kUnsubscribe, "list-unsubscribe"},
       manual("<\"Quoted Local\"@MAIL.example.org>"),
       {"gone@EXAMPLE.com", SuppressionReason::kBounce, "5.1.1"}},
      clock_);
  ASSERT_OK(added);
  EXPECT_EQ(*added, 2u);  // gone@example.com was already on app1's list: replaced, not new
  auto app1 = get_account("app1");
  ASSERT_TRUE(app1);
  auto entries = suppressions(SuppressionScope{app1->id});
  std::vector<std::string> addresses;
  for (const auto& e : entries)
    addresses.push_back(e.address);
  EXPECT_EQ(addresses, (std::vector<std::string>{"\"Quoted Local\"@mail.example.org",
                                                 "Foo.Bar@example.com", "gone@example.com"}));
  EXPECT_EQ(entries[1].reason, SuppressionReason::kUnsubscribe);
  EXPECT_EQ(entries[1].detail, "list-unsubscribe");
  EXPECT_EQ(entries[1].time, clock_.now());
  EXPECT_EQ(entries[2].reason, SuppressionReason::kBounce);  // replaced

  // The platform-wide list and other accounts are untouched.
  EXPECT_EQ(suppressions(SuppressionScope{}).size(), 1u);
  auto app2 = get_account("app2");
  ASSERT_TRUE(app2);
  EXPECT_TRUE(suppressions(SuppressionScope{app2->id}).empty());

  // Removal finds the entry under any spelling of the domain.
  ASSERT_OK(admin::remove_suppression(*env_, "app1", "Foo.Bar@EXAMPLE.COM"));
  EXPECT_EQ(suppressions(SuppressionScope{app1->id}).size(), 2u);
  ASSERT_OK(admin::remove_suppression(*env_, std::nullopt, "gone@example.com"));
  EXPECT_TRUE(suppressions(SuppressionScope{}).empty());
  EXPECT_EQ(suppressions(SuppressionScope{app1->id}).size(), 2u);
}

TEST_F(AdminTest, ResolveScopeNamesTheAccountOrThePlatform) {
  seed();
  ASSERT_OK(env_->read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(SuppressionScope global, admin::resolve_scope(txn, std::nullopt));
    EXPECT_FALSE(global.account.has_value());
    SENDPOOL_ASSIGN_OR_RETURN(SuppressionScope app2, admin::resolve_scope(txn, "app2"));
    EXPECT_EQ(app2.account, AccountId{2});
    auto missing = admin::resolve_scope(txn, "nobody");
    EXPECT_FALSE(missing.has_value());
    if (!missing) {
      EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
    }
    return ok_status();
  }));
}

// A refused operation: its expected error, and a fragment its message must contain.
struct Refusal {
  const char* name;
  std::function<Status()> run;
  ErrorCode code;
  const char* message_part;
};

TEST_F(AdminTest, RefusedOperationsLeaveTheStoreUnchanged) {
  seed();
  LmdbEnv& env = *env_;
  const Clock& clock = clock_;
  auto changes_allow = [](std::vector<std::string> cidrs) {
    admin::AccountChanges c;
    c.allow_ips = std::move(cidrs);
    return c;
  };
  auto changes_plan = [](const char* plan) {
    admin::AccountChanges c;
    c.plan = plan;
    return c;
  };
  const std::vector<Refusal> cases = {
      {"duplicate customer",
       [&] {
         return admin::add_customer(env, Customer{"acme", 9, TimePoint{}}, clock);
       },
       ErrorCode::kAlreadyExists, "customer acme already exists"},
      {"invalid customer name",
       [&] {
         return admin::add_customer(env, Customer{"Acme!", 9, TimePoint{}}, clock);
       },
       ErrorCode::kInvalidArgument, "customer name"},
      {"duplicate plan",
       [&] { return admin::add_plan(env, plan("monthly", PlanKind::kPrepaid, 5)); },
       ErrorCode::kAlreadyExists, "plan monthly already exists"},
      {"duplicate account",
       [&] { return status_of(admin::add_account(env, account("app1", "solo", "free"), clock)); },
       ErrorCode::kAlreadyExists, "account app1 already exists"},
      {"unknown plan",
       [&] { return status_of(admin::add_account(env, account("new", "acme", "gold"), clock)); },
       ErrorCode::kNotFound, "no plan named gold"},
      {"unknown customer",
       [&] { return status_of(admin::add_account(env, account("new", "nobody", "free"), clock)); },
       ErrorCode::kNotFound, "no customer named nobody"},
      {"max accounts exceeded",
       [&] {
         return status_of(admin::add_account(env, account("solo2", "solo", "monthly"), clock));
       },
       ErrorCode::kRefused, "1 of its 1 accounts"},
      {"second free plan",
       [&] { return status_of(admin::add_account(env, account("new", "acme", "free"), clock)); },
       ErrorCode::kRefused, "free plan"},
      {"change to a second free plan",
       [&] { return status_of(admin::update_account(env, "app1", changes_plan("free"), clock)); },
       ErrorCode::kRefused, "free plan"},
      {"change to an unknown plan",
       [&] { return status_of(admin::update_account(env, "app1", changes_plan("gold"), clock)); },
       ErrorCode::kNotFound, "no plan named gold"},
      {"update of an unknown account",
       [&] { return status_of(admin::update_account(env, "nobody", changes_plan("free"), clock)); },
       ErrorCode::kNotFound, "no account named nobody"},
      {"password of an unknown account",
       [&] { return admin::set_password_hash(env, "nobody", "$x"); }, ErrorCode::kNotFound,
       "no account named nobody"},
      {"duplicate domain in another spelling",
       [&] { return status_of(admin::add_domain(env, "EXAMPLE.com.", {key("s9")}, clock)); },
       ErrorCode::kAlreadyExists, "domain example.com already exists"},
      {"domain without keys",
       [&] { return status_of(admin::add_domain(env, "new.example", {}, clock)); },
       ErrorCode::kInvalidArgument, "at least one DKIM key"},
      {"domain with two keys of one selector",
       [&] {
         return status_of(admin::add_domain(env, "new.example", {key("a"), key("a")}, clock));
       },
       ErrorCode::kAlreadyExists, "selector a"},
      {"invalid domain name",
       [&] { return status_of(admin::add_domain(env, "localhost", {key("a")}, clock)); },
       ErrorCode::kInvalidArgument, ""},
      {"rotation reusing a selector",
       [&] { return status_of(admin::rotate_domain(env, "example.com", {key("s1")})); },
       ErrorCode::kAlreadyExists, "selector s1"},
      {"rotation of an unknown domain",
       [&] { return status_of(admin::rotate_domain(env, "unknown.example", {key("s2")})); },
       ErrorCode::kNotFound, "no domain named unknown.example"},
      {"rotation to a key without material",
       [&] {
         DkimKey empty = key("s2");
         empty.private_key_pem.clear();
         return status_of(admin::rotate_domain(env, "example.com", {key("s3"), empty}));
       },
       ErrorCode::kInvalidArgument, "no key material"},
      {"drop of the active key",
       [&] { return status_of(admin::drop_key(env, "example.com", "s1")); }, ErrorCode::kRefused,
       "still signs mail"},
      {"drop of an unknown selector",
       [&] { return status_of(admin::drop_key(env, "example.com", "s7")); }, ErrorCode::kNotFound,
       "selector s7"},
      {"remove a linked domain", [&] { return admin::remove_domain(env, "Example.com"); },
       ErrorCode::kRefused, "still linked to 1 account"},
      {"remove an unknown domain", [&] { return admin::remove_domain(env, "unknown.example"); },
       ErrorCode::kNotFound, "no domain named"},
      {"link beyond max domains", [&] { return admin::link_domain(env, "example.net", "app1"); },
       ErrorCode::kRefused, "2 of its 2 domains"},
      {"link twice", [&] { return admin::link_domain(env, "example.com", "app1"); },
       ErrorCode::kAlreadyExists, "already linked"},
      {"link an unknown domain", [&] { return admin::link_domain(env, "unknown.example", "app2"); },
       ErrorCode::kNotFound, "no domain named"},
      {"link to an unknown account", [&] { return admin::link_domain(env, "example.net", "x"); },
       ErrorCode::kNotFound, "no account named x"},
      {"unlink what is not linked",
       [&] { return admin::unlink_domain(env, "example.net", "app1"); }, ErrorCode::kNotFound,
       "not linked"},
      {"remove a customer with accounts", [&] { return admin::remove_customer(env, "acme"); },
       ErrorCode::kRefused, "still has 2 account(s)"},
      {"remove an unknown customer", [&] { return admin::remove_customer(env, "nobody"); },
       ErrorCode::kNotFound, "no customer named nobody"},
      {"duplicate pool", [&] { return admin::add_pool(env, pool("p1", "smtp-other")); },
       ErrorCode::kAlreadyExists, "pool p1 already exists"},
      {"pool reusing a transport", [&] { return admin::add_pool(env, pool("p2", "smtp-p1")); },
       ErrorCode::kAlreadyExists, "transport smtp-p1"},
      {"pool with a v6 address as v4",
       [&] {
         Pool p = pool("p3", "smtp-p3");
         p.bind_ipv4 = "2001:db8::1";
         return admin::add_pool(env, p);
       },
       ErrorCode::kInvalidArgument, "not an IPv4 address"},
      {"remove a pool in use", [&] { return admin::remove_pool(env, "p1"); }, ErrorCode::kRefused,
       "1 account"},
      {"remove an unknown pool", [&] { return admin::remove_pool(env, "p9"); },
       ErrorCode::kNotFound, "no pool named p9"},
      {"allow a range inside another account's range",
       [&] {
         return status_of(
             admin::update_account(env, "app1", changes_allow({"192.0.2.128/25"}), clock));
       },
       ErrorCode::kRefused, "allowed for account app2"},
      {"allow a range around another account's range",
       [&] {
         return status_of(
             admin::update_account(env, "app1", changes_allow({"192.0.0.0/16"}), clock));
       },
       ErrorCode::kRefused, "allowed for account app2"},
      {"allow a good range and then an overlapping one",
       [&] {
         return status_of(admin::update_account(
             env, "solo1", changes_allow({"203.0.113.0/24", "192.0.2.5"}), clock));
       },
       ErrorCode::kRefused, "overlaps"},
      {"allow an invalid range",
       [&] {
         return status_of(
             admin::update_account(env, "app1", changes_allow({"192.0.2.0/33"}), clock));
       },
       ErrorCode::kInvalidArgument, ""},
      {"deny a range that is not allowed",
       [&] {
         admin::AccountChanges c;
         c.deny_ips = {"198.51.100.0/24"};
         return status_of(admin::update_account(env, "app2", c, clock));
       },
       ErrorCode::kNotFound, "not allowed for account app2"},
      {"max domains below the linked count",
       [&] {
         admin::AccountChanges c;
         c.max_domains = 1;
         c.status = AccountStatus::kDisabled;  // would be applied if the change went through
         return status_of(admin::update_account(env, "app1", c, clock));
       },
       ErrorCode::kRefused, "2 domains linked"},
      {"top-up of a monthly account",
       [&] { return status_of(admin::top_up(env, "app1", 100, std::nullopt, clock)); },
       ErrorCode::kRefused, "only prepaid"},
      {"top-up of nothing",
       [&] { return status_of(admin::top_up(env, "app1", 0, std::nullopt, clock)); },
       ErrorCode::kInvalidArgument, "at least one message"},
      {"top-up of an unknown account",
       [&] { return status_of(admin::top_up(env, "nobody", 10, std::nullopt, clock)); },
       ErrorCode::kNotFound, "no account named nobody"},
      {"suppression batch with one bad address",
       [&] {
         return status_of(admin::add_suppressions(
             env, "app1",
             {manual("ok@example.com"), manual("not an address"), manual("ok2@example.com")},
             clock));
       },
       ErrorCode::kInvalidArgument, "entry 2"},
      {"suppression for an unknown account",
       [&] {
         return status_of(
             admin::add_suppressions(env, "nobody", {manual("ok@example.com")}, clock));
       },
       ErrorCode::kNotFound, "no account named nobody"},
      {"remove a suppression that is not there",
       [&] { return admin::remove_suppression(env, "app2", "gone@example.com"); },
       ErrorCode::kNotFound, "account app2's"},
  };
  for (const auto& c : cases) {
    StoreDump before = dump_store(env);
    Status s = c.run();
    ASSERT_FALSE(s.has_value()) << c.name << " was not refused";
    EXPECT_EQ(s.error().code, c.code) << c.name << ": " << s.error().message;
    EXPECT_NE(s.error().message.find(c.message_part), std::string::npos)
        << c.name << ": " << s.error().message;
    EXPECT_EQ(dump_store(env), before) << c.name << " changed the store";
  }
}

}  // namespace
}  // namespace sendpool
