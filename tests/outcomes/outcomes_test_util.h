// Helpers shared by the outcome tests: a temporary store with two accounts, return-path tokens,
// charges as policyd records them, Postfix log lines, and the counter invariant.
//
// Lines follow what Postfix 3.7.11 writes to its maillog_file (see tests/core/proto/
// postfix_log_test.cc for the real ones they are modelled on).
// Thread-safety: single-threaded test code.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/base/civil_time.h"
#include "core/base/clock.h"
#include "core/model/entities.h"
#include "core/proto/return_path.h"
#include "core/store/accounting.h"
#include "core/store/admin.h"
#include "core/store/lmdb_env.h"
#include "core/store/outcomes.h"
#include "core/store/store.h"
#include "core/store/tables.h"
#include "tests/core/store/store_test_util.h"

namespace sendpool::testing {

inline constexpr const char* kDomain = "bounces.sendpool.test";
inline constexpr const char* kSecret = "outcomes-test-secret-0123456789";
// 2026-12-04 (day 20791), the day of the real lines.
inline const TimePoint kNow =
    start_of(Date{std::chrono::year{2026} / 12 / 4}) + std::chrono::hours(16);

class OutcomeStore {
 public:
  OutcomeStore() : clock_(kNow) {
    auto env = open_store(store_options(dir_.path()));
    EXPECT_TRUE(env) << (env ? "" : env.error().message);
    env_ = std::move(env).value();
    expect_ok(admin::add_customer(*env_, Customer{"acme", 10, {}}, clock_));
    Plan plan;
    plan.name = "business";
    plan.kind = PlanKind::kMonthly;
    plan.messages = 1000;
    expect_ok(admin::add_plan(*env_, plan));
    app_ = add_account("app");
    other_ = add_account("other");
  }

  static void expect_ok(const Status& s) { EXPECT_TRUE(s) << (s ? "" : s.error().message); }

  AccountId add_account(const std::string& name) {
    admin::NewAccount a;
    a.username = name;
    a.customer = "acme";
    a.plan = "business";
    auto account = admin::add_account(*env_, a, clock_);
    EXPECT_TRUE(account) << (account ? "" : account.error().message);
    return account ? account->id : 0;
  }

  LmdbEnv& env() { return *env_; }
  const TempDir& dir() const { return dir_; }
  AccountId app() const { return app_; }
  AccountId other() const { return other_; }
  int today() const { return day_number(day_of(kNow)); }
  OutcomeSettings settings() const { return {kDomain, kSecret}; }

  std::string token(AccountId account, int day, const std::string& tag = "pxtjrdhf") const {
    return encode_return_path(ReturnPathToken{TokenKind::kBounce, account, day, tag}, kDomain,
                              kSecret);
  }

  // What policyd records at END-OF-MESSAGE.
  void charge(const std::string& queue_id, AccountId account, int day, uint32_t charged,
              uint32_t suppressed = 0) {
    Charge c;
    c.queue_id = queue_id;
    c.account = account;
    c.day = day;
    c.charged = charged;
    c.suppressed = suppressed;
    c.time = kNow;
    expect_ok(env_->write([&](WriteTxn& txn) { return apply_charge(txn, c); }));
  }

  DayCounters counters(AccountId account, int day) const {
    DayCounters out;
    expect_ok(env_->read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, tables::get_counters(txn, account, date_from_day_number(day)));
      return ok_status();
    }));
    return out;
  }

  std::optional<SuppressionEntry> suppression(AccountId account, const std::string& address) const {
    std::optional<SuppressionEntry> out;
    expect_ok(env_->read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out,
                                tables::get_suppression(txn, SuppressionScope{account}, address));
      return ok_status();
    }));
    return out;
  }

  FollowerPosition position() const {
    FollowerPosition out;
    expect_ok(env_->read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(out, get_follower_position(txn));
      return ok_status();
    }));
    return out;
  }

  // accepted = enqueued + delivered + bounced + suppressed (DESIGN.md §1).
  void expect_conserved(AccountId account, int day) const {
    DayCounters c = counters(account, day);
    EXPECT_EQ(c.accepted, c.enqueued + c.delivered + c.bounced + c.suppressed)
        << "accepted=" << c.accepted << " enqueued=" << c.enqueued << " delivered=" << c.delivered
        << " bounced=" << c.bounced << " suppressed=" << c.suppressed;
  }

 private:
  TempDir dir_;
  FixedClock clock_;
  std::unique_ptr<LmdbEnv> env_;
  AccountId app_ = 0;
  AccountId other_ = 0;
};

// Log lines as Postfix writes them to maillog_file.
inline std::string prefix(const std::string& program) {
  return "Dec 04 16:48:41 mta postfix/" + program + ": ";
}
inline std::string from_line(const std::string& qid, const std::string& sender, int nrcpt) {
  return prefix("qmgr[3913]") + qid + ": from=<" + sender +
         ">, size=461, nrcpt=" + std::to_string(nrcpt) + " (queue active)";
}
inline std::string sent_line(const std::string& qid, const std::string& rcpt) {
  return prefix("pool_tx/smtp[3930]") + qid + ": to=<" + rcpt +
         ">, relay=127.0.0.1[127.0.0.1]:35391, delay=0.14, delays=0.11/0.01/0/0.02, dsn=2.0.0, "
         "status=sent (250 2.0.0 Ok: queued as df6000001)";
}
inline std::string bounced_line(const std::string& qid, const std::string& rcpt,
                                const std::string& dsn, const std::string& reply) {
  return prefix("pool_tx/smtp[3930]") + qid + ": to=<" + rcpt +
         ">, relay=127.0.0.1[127.0.0.1]:35391, delay=0.13, delays=0.11/0.01/0/0.01, dsn=" + dsn +
         ", status=bounced (host 127.0.0.1[127.0.0.1] said: " + reply +
         " (in reply to RCPT TO command))";
}
inline std::string unknown_user_line(const std::string& qid, const std::string& rcpt) {
  return bounced_line(qid, rcpt, "5.1.1", "550 5.1.1 <" + rcpt + ">: user unknown");
}
inline std::string deferred_line(const std::string& qid, const std::string& rcpt) {
  return prefix("pool_tx/smtp[3930]") + qid + ": to=<" + rcpt +
         ">, relay=127.0.0.1[127.0.0.1]:35391, delay=0.13, delays=0.11/0.01/0/0.02, dsn=4.2.0, "
         "status=deferred (host 127.0.0.1[127.0.0.1] said: 450 4.2.0 mailbox busy, try later (in "
         "reply to RCPT TO command))";
}
inline std::string expired_line(const std::string& qid, const std::string& sender) {
  return prefix("qmgr[4341]") + qid + ": from=<" + sender + ">, status=expired, returned to sender";
}
inline std::string removed_line(const std::string& qid) {
  return prefix("qmgr[3913]") + qid + ": removed";
}
inline std::string milter_reject_line(const std::string& qid, const std::string& stage) {
  return prefix("cleanup[26229]") + qid + ": milter-reject: " + stage +
         " from unknown[127.0.0.1]: 5.7.1 From: domain other.example is not authorised for account "
         "app; from=<a@acme.example> to=<x@dest.example> proto=ESMTP helo=<client.sendpool.test>";
}

}  // namespace sendpool::testing
