#include "core/store/tables.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "core/base/civil_time.h"
#include "core/store/store.h"
#include "tests/core/store/store_test_util.h"

namespace sendpool {
namespace {

using testing::store_options;
using testing::TempDir;

Date day(int n) {
  return date_from_day_number(n);
}

class TablesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = open_store(store_options(dir_.sub("store")));
    ASSERT_TRUE(env.has_value()) << env.error().message;
    env_ = std::move(*env);
  }

  // Runs `fn` in a write transaction and expects it to commit.
  void write(const std::function<Status(WriteTxn&)>& fn) {
    Status s = env_->write(fn);
    ASSERT_TRUE(s.has_value()) << s.error().message;
  }
  void read(const std::function<Status(const ReadTxn&)>& fn) {
    Status s = env_->read(fn);
    ASSERT_TRUE(s.has_value()) << s.error().message;
  }

  TempDir dir_;
  std::unique_ptr<LmdbEnv> env_;
};

TEST_F(TablesTest, LinksAreKeptInBothDirections) {
  write([](WriteTxn& txn) -> Status {
    SENDPOOL_TRY(tables::put_link(txn, "a.example", "al"));
    SENDPOOL_TRY(tables::put_link(txn, "a.example", "alice"));
    SENDPOOL_TRY(tables::put_link(txn, "b.example", "alice"));
    return tables::put_link(txn, "a.example.net", "bob");
  });
  read([](const ReadTxn& txn) -> Status {
    struct Pair {
      const char* domain;
      const char* user;
      bool linked;
    };
    for (const Pair& p : std::vector<Pair>{{"a.example", "al", true},
                                           {"a.example", "alice", true},
                                           {"b.example", "alice", true},
                                           {"b.example", "al", false},
                                           {"a.example", "bob", false},
                                           {"a.example.net", "bob", true},
                                           {"a", "example", false}}) {
      SENDPOOL_ASSIGN_OR_RETURN(bool linked, tables::is_linked(txn, p.domain, p.user));
      EXPECT_EQ(linked, p.linked) << p.domain << " " << p.user;
    }
    // Prefixes of names do not leak: "al" is not "alice", "a.example" is not "a.example.net".
    SENDPOOL_ASSIGN_OR_RETURN(auto of_alice, tables::domains_of(txn, "alice"));
    EXPECT_EQ(of_alice, (std::vector<std::string>{"a.example", "b.example"}));
    SENDPOOL_ASSIGN_OR_RETURN(auto of_al, tables::domains_of(txn, "al"));
    EXPECT_EQ(of_al, (std::vector<std::string>{"a.example"}));
    SENDPOOL_ASSIGN_OR_RETURN(auto of_a, tables::accounts_of(txn, "a.example"));
    EXPECT_EQ(of_a, (std::vector<std::string>{"al", "alice"}));
    SENDPOOL_ASSIGN_OR_RETURN(auto of_net, tables::accounts_of(txn, "a.example.net"));
    EXPECT_EQ(of_net, (std::vector<std::string>{"bob"}));
    SENDPOOL_ASSIGN_OR_RETURN(auto of_nobody, tables::domains_of(txn, "nobody"));
    EXPECT_TRUE(of_nobody.empty());
    return ok_status();
  });

  write([](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(bool existed, tables::delete_link(txn, "a.example", "alice"));
    EXPECT_TRUE(existed);
    SENDPOOL_ASSIGN_OR_RETURN(bool again, tables::delete_link(txn, "a.example", "alice"));
    EXPECT_FALSE(again);
    return ok_status();
  });
  read([](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(bool linked, tables::is_linked(txn, "a.example", "alice"));
    EXPECT_FALSE(linked);
    SENDPOOL_ASSIGN_OR_RETURN(auto of_alice, tables::domains_of(txn, "alice"));
    EXPECT_EQ(of_alice, (std::vector<std::string>{"b.example"}));
    SENDPOOL_ASSIGN_OR_RETURN(auto of_a, tables::accounts_of(txn, "a.example"));
    EXPECT_EQ(of_a, (std::vector<std::string>{"al"}));
    // Both directions hold the same number of links.
    SENDPOOL_ASSIGN_OR_RETURN(uint64_t forward, txn.count(Db::kLinks));
    SENDPOOL_ASSIGN_OR_RETURN(uint64_t backward, txn.count(Db::kAccountLinks));
    EXPECT_EQ(forward, 3u);
    EXPECT_EQ(backward, 3u);
    return ok_status();
  });
}

TEST_F(TablesTest, SuppressionScopesAreIsolated) {
  const SuppressionScope global{}, one{AccountId{1}}, two{AccountId{2}}, big{AccountId{257}};
  auto entry = [](const char* detail) {
    return SuppressionEntry{"x@example.com", SuppressionReason::kBounce, TimePoint{}, detail};
  };
  write([&](WriteTxn& txn) -> Status {
    SENDPOOL_TRY(tables::put_suppression(txn, one, entry("one")));
    SENDPOOL_TRY(tables::put_suppression(txn, global, entry("global")));
    SENDPOOL_TRY(tables::put_suppression(
        txn, one, SuppressionEntry{"y@example.com", SuppressionReason::kManual, TimePoint{}, ""}));
    return tables::put_suppression(txn, big, entry("big"));
  });
  EXPECT_EQ(tables::scope_key(global), 0u);
  EXPECT_EQ(tables::scope_key(two), 2u);

  struct Case {
    const char* name;
    SuppressionScope scope;
    std::optional<std::string> detail_of_x;
    std::vector<std::string> listed;
  };
  const std::vector<Case> cases = {
      {"account 1", one, "one", {"x@example.com", "y@example.com"}},
      {"global", global, "global", {"x@example.com"}},
      {"account 2", two, std::nullopt, {}},
      {"account 257", big, "big", {"x@example.com"}},
  };
  read([&](const ReadTxn& txn) -> Status {
    for (const auto& c : cases) {
      SENDPOOL_ASSIGN_OR_RETURN(auto got, tables::get_suppression(txn, c.scope, "x@example.com"));
      EXPECT_EQ(got.has_value(), c.detail_of_x.has_value()) << c.name;
      if (got && c.detail_of_x) {
        EXPECT_EQ(got->detail, *c.detail_of_x) << c.name;
      }
      std::vector<std::string> listed;
      SENDPOOL_TRY(tables::scan_suppression(txn, c.scope, [&](const SuppressionEntry& e) {
        listed.push_back(e.address);
        return true;
      }));
      EXPECT_EQ(listed, c.listed) << c.name;
    }
    return ok_status();
  });

  // Deleting from one scope leaves the others alone.
  write([&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(bool none, tables::delete_suppression(txn, two, "x@example.com"));
    EXPECT_FALSE(none);
    SENDPOOL_ASSIGN_OR_RETURN(bool existed, tables::delete_suppression(txn, one, "x@example.com"));
    EXPECT_TRUE(existed);
    return ok_status();
  });
  read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto in_one, tables::get_suppression(txn, one, "x@example.com"));
    SENDPOOL_ASSIGN_OR_RETURN(auto in_global,
                              tables::get_suppression(txn, global, "x@example.com"));
    SENDPOOL_ASSIGN_OR_RETURN(auto in_big, tables::get_suppression(txn, big, "x@example.com"));
    EXPECT_FALSE(in_one.has_value());
    EXPECT_TRUE(in_global.has_value());
    EXPECT_TRUE(in_big.has_value());
    return ok_status();
  });
}

TEST_F(TablesTest, ScanSuppressionStopsWhenTheVisitorSaysSo) {
  write([](WriteTxn& txn) -> Status {
    for (const char* a : {"a@x.example", "b@x.example", "c@x.example"})
      SENDPOOL_TRY(tables::put_suppression(
          txn, SuppressionScope{},
          SuppressionEntry{a, SuppressionReason::kManual, TimePoint{}, ""}));
    return ok_status();
  });
  read([](const ReadTxn& txn) -> Status {
    std::vector<std::string> seen;
    SENDPOOL_TRY(tables::scan_suppression(txn, SuppressionScope{}, [&](const SuppressionEntry& e) {
      seen.push_back(e.address);
      return seen.size() < 2;
    }));
    EXPECT_EQ(seen, (std::vector<std::string>{"a@x.example", "b@x.example"}));
    return ok_status();
  });
}

DayCounters counters_with(uint64_t accepted) {
  DayCounters c;
  c.accepted = accepted;
  c.delivered = accepted * 2;
  return c;
}

TEST_F(TablesTest, CounterScansCoverHalfOpenRangesIncludingNegativeAndLargeDays) {
  const std::vector<int> stored = {INT_MIN, -40000, -5, -1, 0, 1, 19000, 2000000, INT_MAX};
  write([&](WriteTxn& txn) -> Status {
    for (size_t i = 0; i < stored.size(); ++i) {
      SENDPOOL_TRY(tables::put_counters(txn, 7, day(stored[i]), counters_with(i + 1)));
      // Neighbouring accounts hold counters on the same days.
      SENDPOOL_TRY(tables::put_counters(txn, 6, day(stored[i]), counters_with(1000)));
      SENDPOOL_TRY(tables::put_counters(txn, 8, day(stored[i]), counters_with(1000)));
    }
    return ok_status();
  });

  struct Case {
    int from, to;
    std::vector<int> days;
  };
  const std::vector<Case> cases = {
      {-5, 0, {-5, -1}},
      {-1, 2, {-1, 0, 1}},
      {0, 1, {0}},
      {0, 0, {}},
      {2, -2, {}},
      {-4, -1, {}},
      {-40001, -4, {-40000, -5}},
      {1, 19001, {1, 19000}},
      {19000, 2000001, {19000, 2000000}},
      {INT_MIN, -40000, {INT_MIN}},
      {INT_MIN, INT_MAX, {INT_MIN, -40000, -5, -1, 0, 1, 19000, 2000000}},
      {2000001, INT_MAX, {}},
  };
  read([&](const ReadTxn& txn) -> Status {
    for (const auto& c : cases) {
      std::vector<int> days;
      uint64_t accepted = 0;
      SENDPOOL_TRY(
          tables::scan_counters(txn, 7, day(c.from), day(c.to), [&](Date d, const DayCounters& v) {
            days.push_back(day_number(d));
            accepted += v.accepted;
          }));
      EXPECT_EQ(days, c.days) << "[" << c.from << ", " << c.to << ")";
      uint64_t expected = 0;
      for (int d : c.days) {
        size_t index =
            static_cast<size_t>(std::find(stored.begin(), stored.end(), d) - stored.begin());
        expected += index + 1;
      }
      EXPECT_EQ(accepted, expected);
      SENDPOOL_ASSIGN_OR_RETURN(DayCounters sum,
                                tables::sum_counters(txn, 7, day(c.from), day(c.to)));
      EXPECT_EQ(sum.accepted, expected) << "[" << c.from << ", " << c.to << ")";
      EXPECT_EQ(sum.delivered, 2 * expected);
    }
    // A single day reads back; a day never written reads as zero.
    SENDPOOL_ASSIGN_OR_RETURN(DayCounters one, tables::get_counters(txn, 7, day(-1)));
    EXPECT_EQ(one.accepted, 4u);
    SENDPOOL_ASSIGN_OR_RETURN(DayCounters none, tables::get_counters(txn, 7, day(2)));
    EXPECT_EQ(none.accepted, 0u);
    EXPECT_EQ(none.clicks, 0u);
    SENDPOOL_ASSIGN_OR_RETURN(DayCounters top, tables::get_counters(txn, 7, day(INT_MAX)));
    EXPECT_EQ(top.accepted, stored.size());
    return ok_status();
  });
}

TEST_F(TablesTest, AccountIdsStartAtOneAndIncrementOnlyWhenCommitted) {
  std::vector<AccountId> ids;
  for (int i = 0; i < 3; ++i) {
    write([&](WriteTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(AccountId id, tables::next_account_id(txn));
      ids.push_back(id);
      return ok_status();
    });
  }
  EXPECT_EQ(ids, (std::vector<AccountId>{1, 2, 3}));

  // Two in one transaction are distinct; an aborted transaction hands nothing out.
  write([&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(AccountId a, tables::next_account_id(txn));
    SENDPOOL_ASSIGN_OR_RETURN(AccountId b, tables::next_account_id(txn));
    EXPECT_EQ(a, 4u);
    EXPECT_EQ(b, 5u);
    return ok_status();
  });
  Status aborted = env_->write([&](WriteTxn& txn) -> Status {
    SENDPOOL_TRY(tables::next_account_id(txn));
    return make_error(ErrorCode::kRefused, "changed my mind");
  });
  ASSERT_FALSE(aborted.has_value());
  write([&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(AccountId id, tables::next_account_id(txn));
    EXPECT_EQ(id, 6u);
    return ok_status();
  });
}

TEST_F(TablesTest, AccountsAreFoundByNameAndById) {
  Account a;
  a.id = 300;
  a.username = "app@example.com";
  a.customer = "acme";
  a.plan = "gold";
  write([&](WriteTxn& txn) { return tables::put_account(txn, a); });
  read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto by_name, tables::get_account(txn, "app@example.com"));
    SENDPOOL_ASSIGN_OR_RETURN(auto by_id, tables::get_account_by_id(txn, 300));
    SENDPOOL_ASSIGN_OR_RETURN(auto missing, tables::get_account_by_id(txn, 301));
    EXPECT_TRUE(by_name.has_value());
    EXPECT_TRUE(by_id.has_value());
    if (by_id) {
      EXPECT_EQ(by_id->username, "app@example.com");
    }
    EXPECT_FALSE(missing.has_value());
    return ok_status();
  });
}

TEST_F(TablesTest, ListsComeInKeyOrderAndReputationRoundTrips) {
  write([](WriteTxn& txn) -> Status {
    for (const char* name : {"zeta", "alpha", "mid"})
      SENDPOOL_TRY(tables::put_customer(txn, Customer{name, 1, TimePoint{}}));
    return tables::put_reputation(txn, 9, Reputation{55.5, 0.1, 0.2, 0.3, 0.4, TimePoint{}});
  });
  read([](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto customers, tables::list_customers(txn));
    std::vector<std::string> names;
    for (const auto& c : customers)
      names.push_back(c.name);
    EXPECT_EQ(names, (std::vector<std::string>{"alpha", "mid", "zeta"}));
    SENDPOOL_ASSIGN_OR_RETURN(auto rep, tables::get_reputation(txn, 9));
    SENDPOOL_ASSIGN_OR_RETURN(auto none, tables::get_reputation(txn, 10));
    EXPECT_TRUE(rep.has_value());
    if (rep) {
      EXPECT_EQ(rep->score, 55.5);
    }
    EXPECT_FALSE(none.has_value());
    return ok_status();
  });
}

TEST_F(TablesTest, ADamagedRecordIsAnErrorNotAnAbsence) {
  write([](WriteTxn& txn) -> Status {
    SENDPOOL_TRY(tables::put_customer(txn, Customer{"good", 1, TimePoint{}}));
    SENDPOOL_TRY(txn.put(Db::kCustomers, "bad",
                         "\x01\x05"
                         "ab"));
    SENDPOOL_TRY(tables::put_counters(txn, 1, day(0), counters_with(1)));
    SENDPOOL_TRY(
        txn.put(Db::kCounters, std::string(8, '\0') + std::string("\x80\x00\x00\x01", 4), "\x01"));
    return txn.put(Db::kMeta, "next_account_id", "\x01\x80");
  });
  read([](const ReadTxn& txn) -> Status {
    auto got = tables::get_customer(txn, "bad");
    EXPECT_FALSE(got.has_value());
    if (!got) {
      EXPECT_EQ(got.error().code, ErrorCode::kCorrupt);
    }
    auto listed = tables::list_customers(txn);
    EXPECT_FALSE(listed.has_value());
    if (!listed) {
      EXPECT_EQ(listed.error().code, ErrorCode::kCorrupt);
    }
    // The damaged counters of account 0 on day 1 do not affect account 1.
    auto sum_other = tables::sum_counters(txn, 1, day(-10), day(10));
    EXPECT_TRUE(sum_other.has_value());
    auto sum_bad = tables::sum_counters(txn, 0, day(-10), day(10));
    EXPECT_FALSE(sum_bad.has_value());
    return ok_status();
  });
  Status s = env_->write([](WriteTxn& txn) -> Status {
    SENDPOOL_TRY(tables::next_account_id(txn));
    return ok_status();
  });
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, ErrorCode::kCorrupt);
}

}  // namespace
}  // namespace sendpool
