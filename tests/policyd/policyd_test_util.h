// Helpers shared by the policyd tests: a real store in a temporary directory with a small
// catalogue, a clock the test moves, and readers for what the tests check in the store.
//
// Each TestStore owns its directory (mkdtemp under /tmp, removed when it dies) and opens the
// store with create=true, as policyd's deployment does on first start.
// Thread-safety: single-threaded test code (the ChargeWriter's own thread only writes).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "core/base/civil_time.h"
#include "core/base/clock.h"
#include "core/model/entities.h"
#include "core/store/accounting.h"
#include "core/store/admin.h"
#include "core/store/store.h"
#include "core/store/tables.h"
#include "tests/core/store/store_test_util.h"

namespace sendpool::testing {

#define SENDPOOL_ASSERT_OK(expr)                                       \
  do {                                                                 \
    auto assert_ok_ = (expr);                                          \
    ASSERT_TRUE(assert_ok_.has_value()) << assert_ok_.error().message; \
  } while (0)

inline TimePoint timestamp(const char* text) {
  return parse_timestamp(text).value();
}
inline Date date(const char* text) {
  return parse_date(text).value();
}

inline Plan make_plan(std::string name, PlanKind kind, uint64_t messages) {
  Plan p;
  p.name = std::move(name);
  p.kind = kind;
  p.messages = messages;
  return p;
}

// "accepted/enqueued/suppressed" plus the others when set, for readable comparisons.
inline std::string show(const DayCounters& c) {
  std::string out = std::to_string(c.accepted) + "/" + std::to_string(c.enqueued) + "/" +
                    std::to_string(c.suppressed);
  if (c.delivered || c.bounced || c.complaints || c.unsubscribes || c.opens || c.clicks)
    out += " (other counters set)";
  return out;
}

inline std::string show(const Charge& c) {
  return c.queue_id + " account=" + std::to_string(c.account) + " day=" + std::to_string(c.day) +
         " charged=" + std::to_string(c.charged) + " suppressed=" + std::to_string(c.suppressed);
}

// A fresh store with a customer "acme" (room for 20 accounts), opened at `now`.
class TestStore {
  TempDir dir_;  // first: it must outlive the environment opened inside it

 public:
  explicit TestStore(TimePoint now, uint64_t map_size = 64ull << 20) : clock(now) {
    LmdbOptions o = store_options(dir_.sub("store"));
    o.map_size = map_size;
    auto opened = open_store(o);
    if (!opened) {
      ADD_FAILURE() << "opening the store: " << opened.error().message;
      return;
    }
    env = std::move(*opened);
    Status s = admin::add_customer(*env, Customer{"acme", 20, TimePoint{}}, clock);
    if (!s) ADD_FAILURE() << "adding customer acme: " << s.error().message;
  }

  // Adds `plan` (once) and an account on it; returns the account.
  Account add_account(const std::string& username, const Plan& plan) {
    bool have_plan = false;
    Status s = env->read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(auto existing, tables::get_plan(txn, plan.name));
      have_plan = existing.has_value();
      return ok_status();
    });
    if (!s) ADD_FAILURE() << s.error().message;
    if (!have_plan) {
      Status added = admin::add_plan(*env, plan);
      if (!added) ADD_FAILURE() << "adding plan " << plan.name << ": " << added.error().message;
    }
    admin::NewAccount spec;
    spec.username = username;
    spec.customer = "acme";
    spec.plan = plan.name;
    auto account = admin::add_account(*env, spec, clock);
    if (!account) {
      ADD_FAILURE() << "adding account " << username << ": " << account.error().message;
      return Account{};
    }
    return *account;
  }

  Account account(const std::string& username) const {
    std::optional<Account> out;
    Status s = env->read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, tables::get_account(txn, username));
      return ok_status();
    });
    if (!s || !out) ADD_FAILURE() << "no account " << username;
    return out.value_or(Account{});
  }

  DayCounters counters(AccountId id, Date day) const {
    DayCounters out;
    Status s = env->read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, tables::get_counters(txn, id, day));
      return ok_status();
    });
    if (!s) ADD_FAILURE() << s.error().message;
    return out;
  }

  std::optional<Charge> charge(const std::string& queue_id) const {
    std::optional<Charge> out;
    Status s = env->read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, get_charge(txn, queue_id));
      return ok_status();
    });
    if (!s) ADD_FAILURE() << s.error().message;
    return out;
  }

  ManualClock clock;
  std::unique_ptr<LmdbEnv> env;
};

}  // namespace sendpool::testing
