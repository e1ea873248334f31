#include "core/model/rules.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sendpool {
namespace {

void expect_ok(const Status& s, const std::string& where) {
  EXPECT_TRUE(s.has_value()) << where << ": " << (s ? "" : s.error().message);
}

void expect_error(const Status& s, ErrorCode code, const std::string& message_part,
                  const std::string& where) {
  ASSERT_FALSE(s.has_value()) << where;
  EXPECT_EQ(s.error().code, code) << where << ": " << s.error().message;
  EXPECT_NE(s.error().message.find(message_part), std::string::npos)
      << where << ": " << s.error().message;
}

TEST(RulesTest, NamesAreOneToSixtyFourLowerCaseAlnumDotUnderscoreHyphen) {
  const std::vector<std::string> accepted = {
      "a",      "0",  "acme", "acme-corp", "acme_corp",   "acme.corp",
      "9lives", "a-", "a.",   "a_",        "pool.tx-1_b", std::string(64, 'x'),
  };
  for (const auto& name : accepted)
    expect_ok(check_name("customer", name), name);

  struct Rejected {
    std::string name;
    std::string message_part;
  };
  const std::vector<Rejected> rejected = {
      {"", "customer name must be 1 to 64 characters"},
      {std::string(65, 'x'), "1 to 64 characters"},
      {"-acme", "must start with a lower-case letter or digit"},
      {".acme", "must start"},
      {"_acme", "must start"},
      {"Acme", "must start"},
      {"acMe", "may hold only a-z, 0-9"},
      {"acme corp", "may hold only"},
      {"acme/corp", "may hold only"},
      {"acme@corp", "may hold only"},
      {"acme\n", "may hold only"},
      {"acme\xc3\xa9", "may hold only"},
  };
  for (const auto& r : rejected)
    expect_error(check_name("customer", r.name), ErrorCode::kInvalidArgument, r.message_part,
                 r.name);
  // The message names what was being checked.
  expect_error(check_name("pool", ""), ErrorCode::kInvalidArgument, "pool name", "pool");
}

TEST(RulesTest, UsernamesArePrintableAsciiWithoutSpacesOrAtOrColonAtTheEnds) {
  const std::vector<std::string> accepted = {
      "app", "app@example.com",        "App.Sender+1", "a",
      "a:b", "user!#$%&'*/=?^_`{|}~-", "x@y@z",        std::string(128, 'u'),
  };
  for (const auto& name : accepted)
    expect_ok(check_username(name), name);

  struct Rejected {
    std::string name;
    std::string message_part;
  };
  const std::vector<Rejected> rejected = {
      {"", "1 to 128 characters"},
      {std::string(129, 'u'), "1 to 128 characters"},
      {"app sender", "printable ASCII without spaces"},
      {" app", "without spaces"},
      {"app\t", "without spaces"},
      {"app\x7f", "printable ASCII"},
      {"us\xc3\xa9r", "printable ASCII"},
      {std::string("ap\0p", 4), "printable ASCII"},
      {"@app", "must not start or end with '@' or ':'"},
      {"app@", "must not start or end"},
      {":app", "must not start or end"},
      {"app:", "must not start or end"},
      {"@", "must not start or end"},
  };
  for (const auto& r : rejected)
    expect_error(check_username(r.name), ErrorCode::kInvalidArgument, r.message_part, r.name);
}

TEST(RulesTest, CustomerNeedsAValidNameAndOneToOneHundredThousandAccounts) {
  struct Case {
    std::string name;
    uint32_t max_accounts;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"acme", 1, true},       {"acme", 100000, true}, {"acme", 0, false},
      {"acme", 100001, false}, {"Acme", 5, false},     {"", 5, false},
  };
  for (const auto& c : cases) {
    Customer customer{c.name, c.max_accounts, {}};
    Status s = check_customer(customer);
    EXPECT_EQ(s.has_value(), c.ok) << c.name << " " << c.max_accounts;
    if (!s) {
      EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

Plan make_plan(std::string name, PlanKind kind, uint64_t messages, uint32_t valid_days = 365) {
  Plan p;
  p.name = std::move(name);
  p.kind = kind;
  p.messages = messages;
  p.valid_days = valid_days;
  return p;
}

TEST(RulesTest, PlanNeedsAtLeastOneMessageAndPrepaidAtLeastOneDay) {
  struct Case {
    Plan plan;
    const char* error;  // nullptr = accepted
  };
  const std::vector<Case> cases = {
      {make_plan("free", PlanKind::kFree, 100), nullptr},
      {make_plan("m10k", PlanKind::kMonthly, 10000), nullptr},
      {make_plan("p1", PlanKind::kPrepaid, 1, 1), nullptr},
      {make_plan("m0", PlanKind::kMonthly, 0), "at least one message"},
      {make_plan("f0", PlanKind::kFree, 0), "at least one message"},
      {make_plan("p0", PlanKind::kPrepaid, 0, 30), "at least one message"},
      {make_plan("p-nodays", PlanKind::kPrepaid, 100, 0), "validity of at least one day"},
      // Validity means nothing for monthly plans, so zero is fine there.
      {make_plan("m-nodays", PlanKind::kMonthly, 100, 0), nullptr},
      {make_plan("Bad Name", PlanKind::kMonthly, 100), "plan name"},
  };
  for (const auto& c : cases) {
    Status s = check_plan(c.plan);
    if (c.error == nullptr)
      expect_ok(s, c.plan.name);
    else
      expect_error(s, ErrorCode::kInvalidArgument, c.error, c.plan.name);
  }
}

Pool make_pool() {
  Pool p;
  p.name = "tx-good";
  p.category = AccountType::kTransactional;
  p.min_score = 80;
  p.transport = "sp_tx_good";
  p.bind_ipv4 = "192.0.2.10";
  p.helo = "tx1.mail.example.net";
  return p;
}

TEST(RulesTest, PoolNeedsNamesABindAddressAHeloAndAScoreUpToOneHundred) {
  struct Case {
    const char* why;
    void (*edit)(Pool&);
    const char* error;  // nullptr = accepted
  };
  const std::vector<Case> cases = {
      {"complete", [](Pool&) {}, nullptr},
      {"ipv6 only", [](Pool& p) { p.bind_ipv4.clear(), p.bind_ipv6 = "2001:db8::10"; }, nullptr},
      {"score 0", [](Pool& p) { p.min_score = 0; }, nullptr},
      {"score 100", [](Pool& p) { p.min_score = 100; }, nullptr},
      {"score 101", [](Pool& p) { p.min_score = 101; }, "minimum score must be 0 to 100"},
      {"no bind address", [](Pool& p) { p.bind_ipv4.clear(); }, "at least one bind address"},
      {"no helo", [](Pool& p) { p.helo.clear(); }, "needs a HELO name"},
      {"bad name", [](Pool& p) { p.name = "TX"; }, "pool name"},
      {"no transport", [](Pool& p) { p.transport.clear(); }, "transport name"},
      {"bad transport", [](Pool& p) { p.transport = "smtp tx"; }, "transport name"},
  };
  for (const auto& c : cases) {
    Pool pool = make_pool();
    c.edit(pool);
    Status s = check_pool(pool);
    if (c.error == nullptr)
      expect_ok(s, c.why);
    else
      expect_error(s, ErrorCode::kInvalidArgument, c.error, c.why);
  }
}

TEST(RulesTest, AddingAnAccountIsBoundedByMaxAccountsAndOneFreePlan) {
  const Customer customer{"acme", 3, {}};
  const Plan free = make_plan("free", PlanKind::kFree, 100);
  const Plan monthly = make_plan("m", PlanKind::kMonthly, 1000);
  const Plan prepaid = make_plan("p", PlanKind::kPrepaid, 1000);
  struct Case {
    const char* why;
    CustomerAccounts existing;
    const Plan* plan;
    const char* error;  // nullptr = allowed
  };
  const std::vector<Case> cases = {
      {"first account, free", {0, 0}, &free, nullptr},
      {"first account, monthly", {0, 0}, &monthly, nullptr},
      {"free when none is free", {2, 0}, &free, nullptr},
      {"monthly next to a free one", {1, 1}, &monthly, nullptr},
      {"prepaid next to a free one", {2, 1}, &prepaid, nullptr},
      {"second free", {1, 1}, &free, "already has an account on a free plan"},
      {"at the maximum", {3, 0}, &monthly, "already has 3 of its 3 accounts"},
      {"beyond the maximum", {5, 0}, &monthly, "already has 5 of its 3 accounts"},
      {"at the maximum, free", {3, 0}, &free, "of its 3 accounts"},
  };
  for (const auto& c : cases) {
    Status s = check_can_add_account(customer, c.existing, *c.plan);
    if (c.error == nullptr) {
      expect_ok(s, c.why);
    } else {
      expect_error(s, ErrorCode::kRefused, c.error, c.why);
      expect_error(s, ErrorCode::kRefused, "customer acme", c.why);
    }
  }
}

TEST(RulesTest, ChangingToAFreePlanIsRefusedWhenTheCustomerHasAFreeAccountAlready) {
  const Customer customer{"acme", 3, {}};
  const Plan free = make_plan("free", PlanKind::kFree, 100);
  const Plan free_big = make_plan("free-big", PlanKind::kFree, 500);
  const Plan monthly = make_plan("m", PlanKind::kMonthly, 1000);
  const Plan prepaid = make_plan("p", PlanKind::kPrepaid, 1000);
  struct Case {
    const char* why;
    CustomerAccounts existing;
    const Plan* from;
    const Plan* to;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {"monthly to free, another account is free", {2, 1}, &monthly, &free, false},
      {"prepaid to free, another account is free", {2, 1}, &prepaid, &free, false},
      {"monthly to free, none free", {2, 0}, &monthly, &free, true},
      {"staying free (same plan)", {1, 1}, &free, &free, true},
      {"free to another free plan", {2, 1}, &free, &free_big, true},
      {"free to monthly", {2, 1}, &free, &monthly, true},
      {"monthly to prepaid next to a free one", {2, 1}, &monthly, &prepaid, true},
      // Changing a plan does not add an account, so a full customer may still change.
      {"full customer changes plan", {3, 0}, &monthly, &prepaid, true},
  };
  for (const auto& c : cases) {
    Status s = check_can_change_plan(customer, c.existing, *c.from, *c.to);
    if (c.allowed)
      expect_ok(s, c.why);
    else
      expect_error(s, ErrorCode::kRefused, "customer acme already has an account on a free plan",
                   c.why);
  }
}

TEST(RulesTest, LinkingADomainIsBoundedByMaxDomains) {
  struct Case {
    uint32_t max_domains;
    size_t linked;
    bool allowed;
  };
  const std::vector<Case> cases = {
      {1, 0, true}, {1, 1, false}, {10, 9, true}, {10, 10, false}, {10, 11, false}, {0, 0, false},
  };
  Account account;
  account.username = "app@example.com";
  for (const auto& c : cases) {
    account.max_domains = c.max_domains;
    Status s = check_can_link_domain(account, c.linked);
    const std::string where = std::to_string(c.linked) + " of " + std::to_string(c.max_domains);
    if (c.allowed)
      expect_ok(s, where);
    else
      expect_error(s, ErrorCode::kRefused,
                   "account app@example.com already has " + std::to_string(c.linked) + " of its " +
                       std::to_string(c.max_domains) + " domains",
                   where);
  }
}

TEST(RulesTest, CustomerReputationAveragesScoredAccountsOnly) {
  struct Case {
    const char* why;
    std::vector<std::optional<double>> scores;
    std::optional<double> expected;
  };
  const std::vector<Case> cases = {
      {"no accounts", {}, std::nullopt},
      {"no account scored yet", {std::nullopt, std::nullopt}, std::nullopt},
      {"one score", {80.0}, 80.0},
      {"average", {80.0, 60.0, 100.0}, 80.0},
      {"unscored left out", {90.0, std::nullopt, 70.0}, 80.0},
      {"unscored left out, not zero", {std::nullopt, 50.0}, 50.0},
      {"zero score counts", {0.0, 100.0}, 50.0},
      {"fractional", {10.0, 20.0, 25.0}, 55.0 / 3.0},
  };
  for (const auto& c : cases) {
    std::optional<double> got = customer_reputation(c.scores);
    ASSERT_EQ(got.has_value(), c.expected.has_value()) << c.why;
    if (got) {
      EXPECT_DOUBLE_EQ(*got, *c.expected) << c.why;
    }
  }
}

}  // namespace
}  // namespace sendpool
