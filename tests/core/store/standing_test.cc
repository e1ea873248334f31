#include "core/store/standing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/base/civil_time.h"
#include "core/store/codec.h"
#include "core/store/routing.h"
#include "core/store/standing_records.h"
#include "core/store/store.h"
#include "core/store/tables.h"
#include "tests/core/store/store_test_util.h"

namespace sendpool {
namespace {

using std::chrono::days;
using std::chrono::hours;
using testing::store_options;
using testing::TempDir;

const TimePoint kNow = *parse_timestamp("2024-05-01T12:00:00Z");
const Date kToday = day_of(kNow);

DayCounters outcomes(uint64_t delivered, uint64_t bounced, uint64_t complaints = 0) {
  DayCounters c;
  c.accepted = delivered + bounced;
  c.delivered = delivered;
  c.bounced = bounced;
  c.complaints = complaints;
  return c;
}

class StandingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto env = open_store(store_options(dir_.sub("store")));
    ASSERT_TRUE(env.has_value()) << env.error().message;
    env_ = std::move(*env);
  }

  void write(const std::function<Status(WriteTxn&)>& fn) {
    Status s = env_->write(fn);
    ASSERT_TRUE(s.has_value()) << s.error().message;
  }
  void read(const std::function<Status(const ReadTxn&)>& fn) {
    Status s = env_->read(fn);
    ASSERT_TRUE(s.has_value()) << s.error().message;
  }

  AccountId add_account(const std::string& username,
                        AccountType type = AccountType::kTransactional) {
    Account a;
    a.username = username;
    a.customer = "acme";
    a.plan = "monthly";
    a.type = type;
    write([&](WriteTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(a.id, tables::next_account_id(txn));
      return tables::put_account(txn, a);
    });
    return a.id;
  }

  void add_pool(const std::string& name, AccountType category, uint32_t min_score) {
    Pool p;
    p.name = name;
    p.category = category;
    p.min_score = min_score;
    p.transport = "smtp_" + name;
    write([&](WriteTxn& txn) { return tables::put_pool(txn, p); });
  }

  // tx-good (80), tx-std (50), tx-low (0), and one promotional pool.
  void add_pools() {
    add_pool("tx-good", AccountType::kTransactional, 80);
    add_pool("tx-std", AccountType::kTransactional, 50);
    add_pool("tx-low", AccountType::kTransactional, 0);
    add_pool("pr", AccountType::kPromotional, 0);
  }

  void put_counters(AccountId id, Date day, const DayCounters& c) {
    write([&](WriteTxn& txn) { return tables::put_counters(txn, id, day, c); });
  }

  StandingChange recompute(AccountId id, TimePoint now = kNow) {
    StandingChange change;
    write([&](WriteTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(change, recompute_standing(txn, id, now));
      return ok_status();
    });
    return change;
  }

  Account account(AccountId id) {
    Account a;
    read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(auto found, tables::get_account_by_id(txn, id));
      if (!found) return make_error(ErrorCode::kNotFound, "account vanished");
      a = *found;
      return ok_status();
    });
    return a;
  }

  std::vector<PoolMove> moves(AccountId id, size_t n = 100) {
    std::vector<PoolMove> out;
    read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, recent_moves(txn, id, n));
      return ok_status();
    });
    return out;
  }

  Route route(const Account& a) {
    Route r;
    read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(r, route_for_account(txn, a, DefaultPools{"tx-low", "pr"}));
      return ok_status();
    });
    return r;
  }

  void set_status(AccountId id, AccountStatus status) {
    Account a = account(id);
    a.status = status;
    a.status_reason = "operator";
    write([&](WriteTxn& txn) { return tables::put_account(txn, a); });
  }

  TempDir dir_;
  std::unique_ptr<LmdbEnv> env_;
};

TEST_F(StandingTest, ReputationIsComputedFromTheLastThirtyDaysAndStored) {
  AccountId id = add_account("app1");
  put_counters(id, kToday, outcomes(500, 2));
  put_counters(id, kToday - days{29}, outcomes(498, 0, 1));
  put_counters(id, kToday - days{30}, outcomes(0, 5000));  // outside the window
  put_counters(id, kToday + days{1}, outcomes(0, 5000));   // not yet

  StandingChange change = recompute(id);
  EXPECT_EQ(change.username, "app1");
  EXPECT_FALSE(change.previous);
  EXPECT_EQ(change.assessment.volume, 1000u);
  EXPECT_TRUE(change.assessment.scored);
  // bounce 0.2 % (-6) and complaints 0.1 % (-15)
  EXPECT_DOUBLE_EQ(change.assessment.reputation.bounce_rate, 0.002);
  EXPECT_DOUBLE_EQ(change.assessment.reputation.score, 79);
  EXPECT_EQ(change.assessment.driver, ReputationFactor::kComplaint);
  read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto stored, tables::get_reputation(txn, id));
    if (!stored) return make_error(ErrorCode::kNotFound, "no reputation stored");
    EXPECT_DOUBLE_EQ(stored->score, 79);
    EXPECT_EQ(stored->computed, kNow);
    return ok_status();
  });
  EXPECT_TRUE(change.changed());
  EXPECT_FALSE(recompute(id).changed());  // nothing new: same score, no move, no pause
}

TEST_F(StandingTest, UnknownAccountIsNotFound) {
  Status s = env_->write([](WriteTxn& txn) -> Status {
    SENDPOOL_TRY(recompute_standing(txn, 42, kNow));
    return ok_status();
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.error().message, "no account with id 42");
}

TEST_F(StandingTest, NewAccountTakesTheNeutralScoreAndThePoolItReaches) {
  add_pools();
  AccountId id = add_account("app1");
  StandingChange change = recompute(id);
  EXPECT_FALSE(change.assessment.scored);
  EXPECT_EQ(change.assessment.reputation.score, 70);
  ASSERT_TRUE(change.move);
  EXPECT_EQ(change.move->from, "");
  EXPECT_EQ(change.move->to, "tx-std");
  EXPECT_EQ(change.move->reason,
            "score 70.0 reaches tx-std (min 50) but not tx-good (min 80); "
            "new account: 0 of 200 delivered+bounced in 30 days");
  EXPECT_EQ(change.summary(),
            "account app1: score 70.0 (first; new account, volume 0); pool - -> tx-std");
  EXPECT_EQ(account(id).pool, "tx-std");
}

TEST_F(StandingTest, PoolFollowsTheScoreEachMoveIsRecordedAndRoutesChange) {
  add_pools();
  AccountId id = add_account("app1");
  put_counters(id, kToday - days{1}, outcomes(1000, 0));
  StandingChange first = recompute(id);
  EXPECT_EQ(first.assessment.reputation.score, 100);
  ASSERT_TRUE(first.move);
  EXPECT_EQ(first.move->to, "tx-good");
  Route r = route(account(id));
  EXPECT_EQ(r.pool, "tx-good");
  EXPECT_EQ(r.transport, "smtp_tx-good:");
  EXPECT_FALSE(r.default_pool);

  // a bad day: 12 bounces of 1012 is 1.19 %, critical -> tx-std
  put_counters(id, kToday, outcomes(0, 12));
  StandingChange second = recompute(id, kNow + hours{1});
  EXPECT_LT(second.assessment.reputation.score, 80);
  EXPECT_GE(second.assessment.reputation.score, 50);
  ASSERT_TRUE(second.move);
  EXPECT_EQ(second.move->from, "tx-good");
  EXPECT_EQ(second.move->to, "tx-std");
  EXPECT_EQ(second.move->score, second.assessment.reputation.score);
  EXPECT_NE(second.move->reason.find("but not tx-good (min 80); driven by bounce rate 1.19% "
                                     "(critical, "),
            std::string::npos)
      << second.move->reason;
  EXPECT_EQ(route(account(id)).pool, "tx-std");
  EXPECT_EQ(route(account(id)).transport, "smtp_tx-std:");

  auto history = moves(id);
  ASSERT_EQ(history.size(), 2u);  // newest first
  EXPECT_EQ(history[0].to, "tx-std");
  EXPECT_EQ(history[0].time, kNow + hours{1});
  EXPECT_EQ(history[0].kind, StandingEventKind::kPoolMove);
  EXPECT_EQ(history[1].to, "tx-good");
  EXPECT_EQ(history[1].time, kNow);
  ASSERT_EQ(moves(id, 1).size(), 1u);
  EXPECT_EQ(moves(id, 1)[0].to, "tx-std");
  EXPECT_TRUE(moves(id, 0).empty());

  // the score stays: no new move
  EXPECT_FALSE(recompute(id, kNow + hours{2}).move);
  EXPECT_EQ(moves(id).size(), 2u);
}

TEST_F(StandingTest, MovesInTheSameSecondAreAllKeptInOrder) {
  add_pools();
  AccountId id = add_account("app1");
  put_counters(id, kToday, outcomes(1000, 0));
  recompute(id);  // -> tx-good
  put_counters(id, kToday, outcomes(1000, 200));
  recompute(id);  // -> tx-low, same second
  put_counters(id, kToday, outcomes(1000, 0));
  set_status(id, AccountStatus::kEnabled);  // an operator lifts the pause
  recompute(id);                            // -> tx-good again
  auto history = moves(id);
  ASSERT_EQ(history.size(), 4u);
  EXPECT_EQ(history[0].to, "tx-good");
  EXPECT_EQ(history[1].to, "tx-low");
  EXPECT_EQ(history[2].kind, StandingEventKind::kPause);
  EXPECT_EQ(history[3].to, "tx-good");
  for (const auto& m : history)
    EXPECT_EQ(m.time, kNow);
}

TEST_F(StandingTest, GuardrailPausesAnEnabledAccountOnceWithItsReason) {
  add_pools();
  AccountId id = add_account("app1");
  put_counters(id, kToday - days{3}, outcomes(900, 50));
  put_counters(id, kToday, outcomes(300, 100));  // 150 of 1350: 11.1 %
  uint64_t generation_before = 0;
  read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(generation_before, tables::catalog_generation(txn));
    return ok_status();
  });
  StandingChange change = recompute(id);
  ASSERT_TRUE(change.guardrail);
  EXPECT_EQ(change.guardrail->factor, ReputationFactor::kBounce);
  EXPECT_TRUE(change.paused());
  const std::string reason =
      "guardrail: bounce rate 11.11% reached the 10.00% pause limit (1350 delivered+bounced) "
      "in the last 30 days";
  EXPECT_EQ(change.pause_reason, reason);
  Account a = account(id);
  EXPECT_EQ(a.status, AccountStatus::kPaused);
  EXPECT_EQ(a.status_reason, reason);
  EXPECT_EQ(a.pool, "tx-low");  // score 0: the lowest pool
  read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(uint64_t generation, tables::catalog_generation(txn));
    EXPECT_GT(generation, generation_before);
    return ok_status();
  });

  auto history = moves(id);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].kind, StandingEventKind::kPoolMove);  // the pause comes first
  EXPECT_EQ(history[1].kind, StandingEventKind::kPause);
  EXPECT_EQ(history[1].reason, reason);

  // still tripping: reported, but no second pause event
  StandingChange again = recompute(id, kNow + hours{1});
  EXPECT_TRUE(again.guardrail);
  EXPECT_FALSE(again.paused());
  EXPECT_EQ(moves(id).size(), 2u);
}

TEST_F(StandingTest, ComplaintGuardrailPauses) {
  AccountId id = add_account("app1");
  put_counters(id, kToday, outcomes(1000, 0, 6));
  StandingChange change = recompute(id);
  EXPECT_TRUE(change.paused());
  EXPECT_EQ(account(id).status_reason,
            "guardrail: complaint rate 0.600% reached the 0.500% pause limit "
            "(1000 delivered+bounced) in the last 30 days");
  EXPECT_FALSE(change.move);  // no pools at all: nothing to move to
  EXPECT_EQ(account(id).pool, "");
}

TEST_F(StandingTest, SmallVolumeDoesNotPause) {
  AccountId id = add_account("app1");
  put_counters(id, kToday, outcomes(100, 99));
  StandingChange change = recompute(id);
  EXPECT_FALSE(change.guardrail);
  EXPECT_EQ(account(id).status, AccountStatus::kEnabled);
}

TEST_F(StandingTest, NeverUnpausesAutomatically) {
  AccountId id = add_account("app1");
  put_counters(id, kToday - days{40}, outcomes(1000, 0));
  set_status(id, AccountStatus::kPaused);
  put_counters(id, kToday, outcomes(5000, 0));
  StandingChange change = recompute(id);
  EXPECT_FALSE(change.guardrail);
  EXPECT_EQ(change.assessment.reputation.score, 100);
  EXPECT_EQ(account(id).status, AccountStatus::kPaused);
  EXPECT_EQ(account(id).status_reason, "operator");
}

TEST_F(StandingTest, OnlyEnabledAccountsArePaused) {
  AccountId id = add_account("app1");
  put_counters(id, kToday, outcomes(800, 200));
  set_status(id, AccountStatus::kDisabled);
  StandingChange change = recompute(id);
  EXPECT_TRUE(change.guardrail);
  EXPECT_FALSE(change.paused());
  EXPECT_EQ(account(id).status, AccountStatus::kDisabled);
  EXPECT_TRUE(moves(id).empty());
}

TEST_F(StandingTest, ALiftedPauseIsNotTrippedAgainByTheSameDays) {
  AccountId id = add_account("app1");
  put_counters(id, kToday, outcomes(800, 200));
  ASSERT_TRUE(recompute(id).paused());
  set_status(id, AccountStatus::kEnabled);  // the operator looked and lifted it

  StandingChange later = recompute(id, kNow + hours{2});
  EXPECT_FALSE(later.guardrail);
  EXPECT_EQ(later.assessment.reputation.score, 0);  // the score still sees the bad day
  EXPECT_EQ(account(id).status, AccountStatus::kEnabled);

  // new trouble on the next day pauses again, judged on the days after the first pause
  const Date tomorrow = kToday + days{1};
  put_counters(id, tomorrow, outcomes(270, 30));
  StandingChange next = recompute(id, kNow + days{1});
  EXPECT_TRUE(next.paused());
  EXPECT_EQ(next.pause_reason,
            "guardrail: bounce rate 10.00% reached the 10.00% pause limit (300 delivered+bounced) "
            "since 2024-05-02 (after the pause of 2024-05-01 was lifted)");

  // a pause that has left the window no longer shortens it
  set_status(id, AccountStatus::kEnabled);
  put_counters(id, kToday + days{40}, outcomes(900, 100));
  StandingChange much_later = recompute(id, kNow + days{40});
  EXPECT_TRUE(much_later.paused());
  EXPECT_NE(much_later.pause_reason.find("in the last 30 days"), std::string::npos);
}

TEST_F(StandingTest, WithoutPoolsOfItsCategoryTheAccountKeepsNoPool) {
  add_pool("tx-good", AccountType::kTransactional, 80);
  AccountId id = add_account("promo1", AccountType::kPromotional);
  StandingChange change = recompute(id);
  EXPECT_FALSE(change.move);
  EXPECT_EQ(change.pool, "");
  Route r = route(account(id));  // the configured default of its category
  EXPECT_EQ(r.pool, "");         // "pr" does not exist in this store
}

TEST_F(StandingTest, RecomputeAllCoversEveryAccountInUsernameOrder) {
  add_pools();
  AccountId b = add_account("bravo");
  AccountId a = add_account("alpha", AccountType::kPromotional);
  put_counters(b, kToday, outcomes(1000, 0));
  std::vector<StandingChange> changes;
  write([&](WriteTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(changes, recompute_all_standings(txn, kNow));
    return ok_status();
  });
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].account, a);
  EXPECT_EQ(changes[0].pool, "pr");
  EXPECT_EQ(changes[1].account, b);
  EXPECT_EQ(changes[1].pool, "tx-good");
}

TEST_F(StandingTest, ViewExplainsTheStoredStanding) {
  add_pools();
  AccountId id = add_account("app1");
  put_counters(id, kToday, outcomes(990, 10));
  recompute(id);
  add_pool("tx-better", AccountType::kTransactional, 55);  // not chosen until a recompute
  read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto a, tables::get_account_by_id(txn, id));
    SENDPOOL_ASSIGN_OR_RETURN(StandingView v, standing_view(txn, *a, kNow, 5));
    EXPECT_TRUE(v.reputation);
    EXPECT_EQ(v.volume, 1000u);
    EXPECT_TRUE(v.assessment.scored);
    EXPECT_EQ(v.assessment.reputation.score, 60);
    EXPECT_EQ(v.assessment.factors[0].band, Band::kWatch);
    EXPECT_EQ(v.assessment.driver, ReputationFactor::kBounce);
    EXPECT_EQ(v.pool ? v.pool->name : "", "tx-std");
    EXPECT_EQ(v.choice ? v.choice->pool.name : "", "tx-better");
    EXPECT_EQ(v.moves.size(), 1u);
    EXPECT_FALSE(v.last_pause);
    return ok_status();
  });
}

TEST_F(StandingTest, DamagedHistoryIsReported) {
  AccountId id = add_account("app1");
  write([&](WriteTxn& txn) { return txn.put(Db::kPoolMoves, pool_move_key(id, 5), "\x01\x02"); });
  Status s = env_->read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_TRY(recent_moves(txn, id, 3));
    return ok_status();
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kCorrupt);
}

TEST(StandingRecordsTest, PoolMoveRoundTrips) {
  PoolMove m{kNow, StandingEventKind::kPause, "tx-good", "tx-low", 12.5, "why not"};
  auto back = decode_pool_move(encode(m));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->time, m.time);
  EXPECT_EQ(back->kind, m.kind);
  EXPECT_EQ(back->from, m.from);
  EXPECT_EQ(back->to, m.to);
  EXPECT_EQ(back->score, m.score);
  EXPECT_EQ(back->reason, m.reason);

  std::string bytes = encode(m);
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto cut = decode_pool_move(bytes.substr(0, n));
    ASSERT_FALSE(cut) << n;
    EXPECT_EQ(cut.error().code, ErrorCode::kCorrupt) << n;
  }
  EXPECT_EQ(decode_pool_move(bytes + "x").error().code, ErrorCode::kCorrupt);
  std::string newer = bytes;
  newer[0] = 2;
  EXPECT_EQ(decode_pool_move(newer).error().code, ErrorCode::kSchemaTooNew);
  std::string bad_kind = RecordWriter(1).i64(0).u64(7).str("").str("").f64(0).str("").take();
  EXPECT_EQ(decode_pool_move(bad_kind).error().code, ErrorCode::kCorrupt);
}

TEST(StandingRecordsTest, KeysSortByAccountThenTime) {
  EXPECT_LT(pool_move_key(1, 100), pool_move_key(1, 101));
  EXPECT_LT(pool_move_key(1, 1'000'000), pool_move_key(2, 0));
  EXPECT_EQ(pool_move_key(7, 9).substr(0, 8), pool_move_prefix(7));
  EXPECT_EQ(pool_move_key(7, 9).size(), 16u);
}

}  // namespace
}  // namespace sendpool
