#include "core/model/quota_ledger.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "core/base/civil_time.h"

namespace sendpool {
namespace {

using namespace std::chrono;

TimePoint ts(const char* text) {
  return parse_timestamp(text).value();
}

const TimePoint kT0 = ts("2026-03-10T12:00:00Z");

TEST(QuotaLedgerTest, ReserveCountsPerInstanceAndReleaseGivesItBack) {
  QuotaLedger ledger;
  ledger.open("i1", 7, kT0);
  ledger.reserve("i1", kT0);
  ledger.reserve("i1", kT0);
  ASSERT_NE(ledger.find("i1"), nullptr);
  EXPECT_EQ(ledger.find("i1")->reserved, 2u);
  EXPECT_EQ(ledger.reserved(7), 2u);

  ledger.release("i1");
  EXPECT_EQ(ledger.find("i1"), nullptr);
  EXPECT_EQ(ledger.reserved(7), 0u);
  EXPECT_EQ(ledger.open_count(), 0u);
}

TEST(QuotaLedgerTest, ReservedSumsOpenTransactionsOfThatAccountOnly) {
  struct Txn {
    const char* instance;
    AccountId account;
    int reservations;
  };
  const std::vector<Txn> txns = {
      {"a1", 1, 3}, {"a2", 1, 2}, {"b1", 2, 5}, {"c1", 3, 0}, {"a3", 1, 1},
  };
  QuotaLedger ledger;
  for (const auto& t : txns) {
    ledger.open(t.instance, t.account, kT0);
    for (int i = 0; i < t.reservations; ++i)
      ledger.reserve(t.instance, kT0);
  }
  const std::map<AccountId, uint64_t> expected = {{1, 6}, {2, 5}, {3, 0}, {4, 0}};
  for (const auto& [account, reserved] : expected)
    EXPECT_EQ(ledger.reserved(account), reserved) << "account " << account;
  EXPECT_EQ(ledger.open_count(), txns.size());

  // Releasing one transaction of account 1 leaves the others (and other accounts) alone.
  ledger.release("a2");
  EXPECT_EQ(ledger.reserved(1), 4u);
  EXPECT_EQ(ledger.reserved(2), 5u);
}

TEST(QuotaLedgerTest, ReleaseReturnsTheFinalStateOnceAndIsIdempotent) {
  QuotaLedger ledger;
  ledger.open("i1", 9, kT0);
  ledger.reserve("i1", kT0);
  ledger.reserve("i1", kT0 + 5s);
  ledger.note_suppressed("i1", kT0 + 10s);
  ledger.open("other", 9, kT0);
  ledger.reserve("other", kT0);

  std::optional<OpenTransaction> first = ledger.release("i1");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->account, 9u);
  EXPECT_EQ(first->reserved, 2u);
  EXPECT_EQ(first->suppressed, 1u);
  EXPECT_EQ(first->last_seen, kT0 + 10s);
  EXPECT_EQ(ledger.reserved(9), 1u);

  // A second release finds nothing and does not touch the account's other reservations.
  EXPECT_FALSE(ledger.release("i1").has_value());
  EXPECT_EQ(ledger.reserved(9), 1u);
  EXPECT_FALSE(ledger.release("never-opened").has_value());
  EXPECT_EQ(ledger.open_count(), 1u);
}

TEST(QuotaLedgerTest, SuppressedRecipientsReserveNothing) {
  QuotaLedger ledger;
  ledger.open("i1", 4, kT0);
  for (int i = 0; i < 3; ++i)
    ledger.note_suppressed("i1", kT0);
  EXPECT_EQ(ledger.reserved(4), 0u);
  EXPECT_EQ(ledger.find("i1")->reserved, 0u);
  EXPECT_EQ(ledger.find("i1")->suppressed, 3u);

  ledger.reserve("i1", kT0);
  EXPECT_EQ(ledger.reserved(4), 1u);
  std::optional<OpenTransaction> t = ledger.release("i1");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->reserved, 1u);
  EXPECT_EQ(t->suppressed, 3u);
  EXPECT_EQ(ledger.reserved(4), 0u);
}

TEST(QuotaLedgerTest, ReopeningAnOpenInstanceKeepsItsReservations) {
  QuotaLedger ledger;
  ledger.open("i1", 5, kT0);
  ledger.reserve("i1", kT0);
  OpenTransaction& again = ledger.open("i1", 5, kT0 + 1s);
  EXPECT_EQ(again.reserved, 1u);
  EXPECT_EQ(again.last_seen, kT0 + 1s);
  EXPECT_EQ(ledger.reserved(5), 1u);
  EXPECT_EQ(ledger.open_count(), 1u);
}

TEST(QuotaLedgerTest, ExpireReleasesOnlyTransactionsIdleLongerThanTheLimit) {
  struct Case {
    const char* instance;
    seconds idle;  // since its last activity, at the time expire() runs
    bool expired;
  };
  const seconds max_idle = 30min;
  const std::vector<Case> cases = {
      {"fresh", 0s, false},
      {"recent", 29min, false},
      {"exactly-at-limit", 30min, false},
      {"one-second-over", 30min + 1s, true},
      {"long-gone", 5h, true},
  };
  const TimePoint now = kT0 + 10h;
  QuotaLedger ledger;
  for (const auto& c : cases) {
    ledger.open(c.instance, 1, now - c.idle - 1min);
    ledger.reserve(c.instance, now - c.idle);  // the last activity
  }
  std::vector<std::string> stale = ledger.expire(now, max_idle);
  std::sort(stale.begin(), stale.end());

  std::vector<std::string> want;
  uint64_t still_reserved = 0;
  for (const auto& c : cases) {
    if (c.expired)
      want.push_back(c.instance);
    else
      ++still_reserved;
    EXPECT_EQ(ledger.find(c.instance) == nullptr, c.expired) << c.instance;
  }
  std::sort(want.begin(), want.end());
  EXPECT_EQ(stale, want);
  EXPECT_EQ(ledger.reserved(1), still_reserved);
}

TEST(QuotaLedgerTest, ActivityKeepsATransactionFromExpiring) {
  QuotaLedger ledger;
  ledger.open("busy", 1, kT0);
  ledger.open("idle", 1, kT0);
  ledger.reserve("busy", kT0 + 20min);
  ledger.note_suppressed("busy", kT0 + 40min);
  std::vector<std::string> stale = ledger.expire(kT0 + 45min, 30min);
  EXPECT_EQ(stale, std::vector<std::string>{"idle"});
  EXPECT_NE(ledger.find("busy"), nullptr);
}

}  // namespace
}  // namespace sendpool
