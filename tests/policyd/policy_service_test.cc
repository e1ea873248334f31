#include "policyd/policy_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/base/log.h"
#include "policyd/charge_writer.h"
#include "tests/policyd/policyd_test_util.h"

namespace sendpool::policyd {
namespace {

using namespace std::chrono;
using sendpool::testing::date;
using sendpool::testing::make_plan;
using sendpool::testing::show;
using sendpool::testing::TestStore;
using sendpool::testing::timestamp;

const TimePoint kNow = timestamp("2026-03-10T12:00:00Z");
const Date kToday = date("2026-03-10");
constexpr const char* kDunno = "DUNNO";

// A policy request as smtpd sends it; `attributes` add to (or, being later, override) the
// common ones.
PolicyRequest request(std::vector<std::pair<std::string, std::string>> attributes) {
  PolicyRequest r;
  r.attributes = {
      {"request", "smtpd_access_policy"}, {"protocol_name", "ESMTP"},
      {"client_address", "198.51.100.7"}, {"client_name", "app.shop.example"},
      {"helo_name", "app.shop.example"},  {"sender", "news@shop.example"},
  };
  for (auto& a : attributes)
    r.attributes.push_back(std::move(a));
  return r;
}

PolicyRequest rcpt(const std::string& user, const std::string& instance,
                   const std::string& recipient) {
  return request({{"protocol_state", "RCPT"},
                  {"sasl_username", user},
                  {"instance", instance},
                  {"recipient", recipient},
                  {"recipient_count", "0"}});
}

PolicyRequest end_of_message(const std::string& user, const std::string& instance,
                             const std::string& queue_id, int recipient_count,
                             uint64_t size = 2048) {
  return request({{"protocol_state", "END-OF-MESSAGE"},
                  {"sasl_username", user},
                  {"instance", instance},
                  {"queue_id", queue_id},
                  {"recipient", ""},
                  {"recipient_count", std::to_string(recipient_count)},
                  {"size", std::to_string(size)}});
}

// Everything a PolicyService needs, real except the clock: a store in a temporary directory, a
// ChargeWriter (its own thread) completing on an io_context this test runs, a silent logger.
// Members are destroyed in reverse: the service, then the writer (which finishes its queue),
// then the io_context it posts to.
struct Harness {
  explicit Harness(uint64_t map_size = 64ull << 20)
      : store(kNow, map_size),
        writer(*store.env, io, log),
        service(*store.env, writer, store.clock, log) {}

  // Hands `r` to the service and runs the event loop until the reply arrives.
  std::string ask(const PolicyRequest& r) {
    std::optional<std::string> reply;
    service.handle(r, [&](const std::string& action) { reply = action; });
    const auto deadline = steady_clock::now() + 10s;
    while (!reply && steady_clock::now() < deadline) {
      io.restart();
      if (io.poll() == 0) std::this_thread::sleep_for(1ms);
    }
    if (!reply) ADD_FAILURE() << "no reply within 10s";
    return reply.value_or("<no reply>");
  }

  TestStore store;
  Logger log{"sendpool-policyd-test", false, false};
  boost::asio::io_context io;
  ChargeWriter writer;
  PolicyService service;
};

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class PolicyServiceTest : public ::testing::Test {
 protected:
  // An account of its own plan (named after the account) with `messages` per month.
  Account monthly(const std::string& username, uint64_t messages, uint32_t hourly_limit = 0,
                  uint32_t max_recipients = 0, uint64_t max_size = 0) {
    Plan p = make_plan("plan-" + username, PlanKind::kMonthly, messages);
    p.hourly_limit = hourly_limit;
    p.max_recipients = max_recipients;
    p.max_size = max_size;
    return h_.store.add_account(username, p);
  }

  Account prepaid(const std::string& username, uint64_t messages, uint32_t valid_days) {
    Plan p = make_plan("plan-" + username, PlanKind::kPrepaid, messages);
    p.valid_days = valid_days;
    return h_.store.add_account(username, p);
  }

  void suppress(std::optional<std::string> username, const std::string& address) {
    auto added = admin::add_suppressions(
        *h_.store.env, std::move(username),
        {admin::NewSuppression{address, SuppressionReason::kBounce, "550 5.1.1 no such user"}},
        h_.store.clock);
    ASSERT_TRUE(added.has_value()) << added.error().message;
  }

  void update(const std::string& username, const admin::AccountChanges& changes) {
    auto updated = admin::update_account(*h_.store.env, username, changes, h_.store.clock);
    ASSERT_TRUE(updated.has_value()) << updated.error().message;
  }

  // Sends one message of `recipients` recipients for `user` (RCPT each, then END-OF-MESSAGE)
  // and expects every step to be accepted.
  void send(const std::string& user, const std::string& instance, int recipients) {
    for (int i = 0; i < recipients; ++i)
      ASSERT_EQ(h_.ask(rcpt(user, instance, "r" + std::to_string(i) + "@example.org")), kDunno)
          << instance << " recipient " << i;
    ASSERT_EQ(h_.ask(end_of_message(user, instance, "Q" + instance, recipients)), kDunno)
        << instance;
  }

  Harness h_;
};

TEST_F(PolicyServiceTest, RequestsOtherThanRecipientAndEndOfMessagePassThrough) {
  monthly("app1", 1);
  const std::vector<PolicyRequest> requests = {
      request({{"protocol_state", "CONNECT"}, {"sasl_username", "app1"}}),
      request({{"protocol_state", "MAIL"}, {"sasl_username", "app1"}}),
      request({{"protocol_state", "DATA"}, {"sasl_username", "app1"}}),
      request({{"request", "something_else"}, {"protocol_state", "RCPT"}}),
  };
  for (const auto& r : requests)
    EXPECT_EQ(h_.ask(r), kDunno) << r.get("protocol_state");
  EXPECT_EQ(h_.service.ledger().open_count(), 0u);
}

TEST_F(PolicyServiceTest, UnknownAccountIsRefused550) {
  monthly("app1", 10);
  struct Case {
    PolicyRequest request;
    const char* action;
  };
  std::vector<Case> cases = {
      {rcpt("nobody", "i1", "a@example.org"), "550 5.7.1 unknown account nobody"},
      {rcpt("", "i2", "a@example.org"),
       "550 5.7.1 client 198.51.100.7 may not send without authentication"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(h_.ask(c.request), c.action);
  EXPECT_EQ(h_.service.ledger().open_count(), 0u);
}

TEST_F(PolicyServiceTest, ClientAddressAllowedForAnAccountSendsWithoutAuthentication) {
  Account a = monthly("relay", 10);
  admin::AccountChanges allow;
  allow.allow_ips = {"192.0.2.0/24"};
  update("relay", allow);

  auto from = [](const char* client, const char* instance) {
    PolicyRequest r = rcpt("", instance, "a@example.org");
    r.attributes.emplace_back("client_address", client);
    return r;
  };
  EXPECT_EQ(h_.ask(from("192.0.2.44", "i1")), kDunno);
  EXPECT_EQ(h_.service.ledger().reserved(a.id), 1u);
  EXPECT_EQ(h_.ask(from("192.0.3.1", "i2")),
            "550 5.7.1 client 192.0.3.1 may not send without authentication");

  PolicyRequest eom = end_of_message("", "i1", "QIP1", 1);
  eom.attributes.emplace_back("client_address", "192.0.2.44");
  EXPECT_EQ(h_.ask(eom), kDunno);
  EXPECT_EQ(show(h_.store.counters(a.id, kToday)), "1/1/0");
}

TEST_F(PolicyServiceTest, AccountNotEnabledIsRefused550NamingItsStatus) {
  struct Case {
    const char* username;
    AccountStatus status;
    const char* reason;
    const char* action;
  };
  const std::vector<Case> cases = {
      {"off", AccountStatus::kDisabled, "", "550 5.7.1 account off is disabled"},
      {"unpaid", AccountStatus::kPendingPayment, "", "550 5.7.1 account unpaid is pending payment"},
      {"held", AccountStatus::kPaused, "", "550 5.7.1 account held is paused"},
      {"flagged", AccountStatus::kPaused, "complaint rate 0.5%",
       "550 5.7.1 account flagged is paused: complaint rate 0.5%"},
  };
  for (const auto& c : cases) {
    Account a = monthly(c.username, 10);
    admin::AccountChanges change;
    change.status = c.status;
    change.status_reason = c.reason;
    update(c.username, change);
    EXPECT_EQ(h_.ask(rcpt(c.username, std::string("i-") + c.username, "a@example.org")), c.action);
    EXPECT_EQ(h_.service.ledger().reserved(a.id), 0u) << c.username;
  }
}

TEST_F(PolicyServiceTest, SuppressedRecipientsAreAcceptedUnreservedAndChargedAsSuppressed) {
  Account a = monthly("app1", 3);
  suppress("app1", "gone@example.com");             // the account's own list
  suppress(std::nullopt, "spam-trap@example.net");  // the platform-wide list

  struct Step {
    const char* recipient;
    uint64_t reserved_after;
  };
  const std::vector<Step> steps = {
      {"real@example.com", 1},      {"gone@example.com", 1},
      {"spam-trap@EXAMPLE.NET", 1},  // domains compare case-insensitively
      {"<gone@Example.Com>", 1},    {"other@example.com", 2},
  };
  for (const auto& s : steps) {
    EXPECT_EQ(h_.ask(rcpt("app1", "i1", s.recipient)), kDunno) << s.recipient;
    EXPECT_EQ(h_.service.ledger().reserved(a.id), s.reserved_after) << s.recipient;
  }
  EXPECT_EQ(h_.ask(end_of_message("app1", "i1", "4F2A1B3C", 5)), kDunno);
  EXPECT_EQ(show(h_.store.counters(a.id, kToday)), "5/2/3");
  std::optional<Charge> charge = h_.store.charge("4F2A1B3C");
  ASSERT_TRUE(charge.has_value());
  EXPECT_EQ(charge->charged, 2u);
  EXPECT_EQ(charge->suppressed, 3u);
  EXPECT_EQ(h_.service.ledger().reserved(a.id), 0u);
}

TEST_F(PolicyServiceTest, SuppressedRecipientIsAcceptedEvenWhenNothingIsLeft) {
  monthly("app1", 1);
  suppress("app1", "gone@example.com");
  send("app1", "m1", 1);
  EXPECT_TRUE(starts_with(h_.ask(rcpt("app1", "m2", "new@example.com")), "452 4.7.1 "));
  EXPECT_EQ(h_.ask(rcpt("app1", "m2", "gone@example.com")), kDunno);
}

TEST_F(PolicyServiceTest, AnAccountsSuppressionListDoesNotApplyToOtherAccounts) {
  monthly("app1", 10);
  Account other = monthly("app2", 10);
  suppress("app1", "gone@example.com");
  EXPECT_EQ(h_.ask(rcpt("app2", "i1", "gone@example.com")), kDunno);
  EXPECT_EQ(h_.service.ledger().reserved(other.id), 1u) << "charged like any recipient";
}

TEST_F(PolicyServiceTest, MonthlyAllowanceOfThreeAcceptsThreeRecipientsAndDefersTheFourth) {
  Account a = monthly("app1", 3);
  for (int i = 1; i <= 3; ++i)
    EXPECT_EQ(h_.ask(rcpt("app1", "i1", "r" + std::to_string(i) + "@example.org")), kDunno) << i;
  std::string fourth = h_.ask(rcpt("app1", "i1", "r4@example.org"));
  EXPECT_TRUE(starts_with(fourth, "452 4.7.1 ")) << fourth;
  EXPECT_TRUE(mentions(fourth, "resets on 2026-04-10")) << fourth;
  EXPECT_EQ(h_.service.ledger().reserved(a.id), 3u);
}

TEST(PolicyServiceReservationTest, ParallelTransactionsNeverReserveMoreThanIsAvailable) {
  // Three messages available; recipients arrive from several transactions, interleaved.
  const std::vector<std::string> orders = {"aaaa", "abab", "aabb", "abcabc", "abcdef", "baaaab"};
  for (const auto& order : orders) {
    Harness h;
    Account a = h.store.add_account("app1", make_plan("three", PlanKind::kMonthly, 3));
    size_t accepted = 0;
    for (size_t i = 0; i < order.size(); ++i) {
      std::string instance(1, order[i]);
      std::string action = h.ask(rcpt("app1", instance, "r" + std::to_string(i) + "@example.org"));
      if (action == kDunno)
        ++accepted;
      else
        EXPECT_TRUE(starts_with(action, "452 4.7.1 ")) << order << " step " << i << ": " << action;
      EXPECT_LE(h.service.ledger().reserved(a.id), 3u) << order << " step " << i;
    }
    EXPECT_EQ(accepted, std::min<size_t>(3, order.size())) << order;
  }
}

TEST_F(PolicyServiceTest, AvailabilityCountsChargedMessagesAndOpenReservationsTogether) {
  Account a = monthly("app1", 3);
  EXPECT_EQ(h_.ask(rcpt("app1", "a", "r1@example.org")), kDunno);
  EXPECT_EQ(h_.ask(rcpt("app1", "a", "r2@example.org")), kDunno);
  EXPECT_EQ(h_.ask(rcpt("app1", "b", "r3@example.org")), kDunno);
  EXPECT_EQ(h_.ask(end_of_message("app1", "a", "QA", 2)), kDunno);
  // 2 charged + 1 reserved by b = 3: nothing left for c, nor for b.
  EXPECT_TRUE(starts_with(h_.ask(rcpt("app1", "c", "r4@example.org")), "452 4.7.1 "));
  EXPECT_TRUE(starts_with(h_.ask(rcpt("app1", "b", "r5@example.org")), "452 4.7.1 "));
  EXPECT_EQ(h_.ask(end_of_message("app1", "b", "QB", 1)), kDunno);
  EXPECT_EQ(show(h_.store.counters(a.id, kToday)), "3/3/0");
  EXPECT_EQ(h_.service.ledger().reserved(a.id), 0u);
}

TEST_F(PolicyServiceTest, AbandonReleasesTheReservationsOfATransaction) {
  Account a = monthly("app1", 3);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(h_.ask(rcpt("app1", "a", "x@example.org")), kDunno);
  EXPECT_TRUE(starts_with(h_.ask(rcpt("app1", "b", "y@example.org")), "452 4.7.1 "));

  h_.service.abandon("a");
  EXPECT_EQ(h_.service.ledger().reserved(a.id), 0u);
  h_.service.abandon("a");  // twice is harmless
  h_.service.abandon("never-seen");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(h_.ask(rcpt("app1", "b", "y@example.org")), kDunno) << i;
  EXPECT_EQ(show(h_.store.counters(a.id, kToday)), "0/0/0") << "an abandoned message costs nothing";
}

TEST_F(PolicyServiceTest, StaleTransactionsExpireAfterTheTimeout) {
  Account a = monthly("app1", 3);
  EXPECT_EQ(h_.ask(rcpt("app1", "a", "x@example.org")), kDunno);
  h_.store.clock.advance(kTransactionTimeout);
  EXPECT_EQ(h_.service.expire_stale(), 0u);
  EXPECT_EQ(h_.service.ledger().reserved(a.id), 1u);
  h_.store.clock.advance(1s);
  EXPECT_EQ(h_.service.expire_stale(), 1u);
  EXPECT_EQ(h_.service.ledger().reserved(a.id), 0u);
}

TEST_F(PolicyServiceTest, EndOfMessageChargesExactlyWhatWasReservedAndSuppressed) {
  Account a = monthly("app1", 100);
  suppress("app1", "gone@example.com");
  struct Message {
    const char* instance;
    int recipients;  // reserved ones
    int suppressed;
    const char* counters_after;
  };
  const std::vector<Message> messages = {
      {"m1", 3, 0, "3/3/0"},
      {"m2", 1, 2, "6/4/2"},
      {"m3", 0, 1, "7/4/3"},
  };
  for (const auto& m : messages) {
    for (int i = 0; i < m.recipients; ++i)
      ASSERT_EQ(h_.ask(rcpt("app1", m.instance, "r@example.org")), kDunno);
    for (int i = 0; i < m.suppressed; ++i)
      ASSERT_EQ(h_.ask(rcpt("app1", m.instance, "gone@example.com")), kDunno);
    // recipient_count is what smtpd says; the charge follows the reservations, not it.
    std::string queue_id = std::string("Q") + m.instance;
    EXPECT_EQ(h_.ask(end_of_message("app1", m.instance, queue_id, 50)), kDunno);
    EXPECT_EQ(show(h_.store.counters(a.id, kToday)), m.counters_after) << m.instance;
    std::optional<Charge> charge = h_.store.charge(queue_id);
    ASSERT_TRUE(charge.has_value()) << m.instance;
    EXPECT_EQ(charge->account, a.id);
    EXPECT_EQ(charge->day, day_number(kToday));
    EXPECT_EQ(charge->charged, static_cast<uint32_t>(m.recipients));
    EXPECT_EQ(charge->suppressed, static_cast<uint32_t>(m.suppressed));
    EXPECT_EQ(h_.service.ledger().open_count(), 0u) << m.instance;
  }
}

TEST_F(PolicyServiceTest, EndOfMessageOfAnUnseenTransactionChargesEveryRecipient) {
  Account a = monthly("app1", 100);
  EXPECT_EQ(h_.ask(end_of_message("app1", "lost-in-restart", "QLOST", 4)), kDunno);
  EXPECT_EQ(show(h_.store.counters(a.id, kToday)), "4/4/0");
  EXPECT_EQ(h_.store.charge("QLOST").value().charged, 4u);
}

TEST_F(PolicyServiceTest, ARepeatedEndOfMessageIsChargedOnce) {
  Account a = monthly("app1", 100);
  send("app1", "m1", 2);
  EXPECT_EQ(h_.ask(end_of_message("app1", "m1", "Qm1", 2)), kDunno);
  EXPECT_EQ(show(h_.store.counters(a.id, kToday)), "2/2/0");
}

TEST_F(PolicyServiceTest, EndOfMessageWithoutRecipientsChargesNothing) {
  Account a = monthly("app1", 100);
  EXPECT_EQ(h_.ask(end_of_message("app1", "empty", "QEMPTY", 0)), kDunno);
  EXPECT_EQ(show(h_.store.counters(a.id, kToday)), "0/0/0");
  EXPECT_FALSE(h_.store.charge("QEMPTY").has_value());
  EXPECT_EQ(h_.service.ledger().open_count(), 0u);
}

TEST_F(PolicyServiceTest, OversizedMessageIsRefused552AndNotCharged) {
  Account a = monthly("app1", 100, 0, 0, 10000);
  PolicyRequest declared = rcpt("app1", "big", "r@example.org");
  declared.attributes.emplace_back("size", "20000");
  EXPECT_TRUE(starts_with(h_.ask(declared), "552 5.3.4 "));

  EXPECT_EQ(h_.ask(rcpt("app1", "undeclared", "r@example.org")), kDunno);
  std::string action = h_.ask(end_of_message("app1", "undeclared", "QBIG", 1, 20000));
  EXPECT_TRUE(starts_with(action, "552 5.3.4 ")) << action;
  EXPECT_EQ(show(h_.store.counters(a.id, kToday)), "0/0/0");
  EXPECT_EQ(h_.service.ledger().reserved(a.id), 0u);
}

TEST_F(PolicyServiceTest, PrepaidPackageUsedUpIsRefused550) {
  Account a = prepaid("pre", 2, 30);
  send("pre", "m1", 2);
  EXPECT_EQ(h_.store.account("pre").prepaid_remaining, 0u);
  EXPECT_EQ(show(h_.store.counters(a.id, kToday)), "2/2/0");
  std::string action = h_.ask(rcpt("pre", "m2", "r@example.org"));
  EXPECT_TRUE(starts_with(action, "550 5.7.1 ")) << action;
  EXPECT_TRUE(mentions(action, "used up")) << action;
}

TEST_F(PolicyServiceTest, PrepaidPackageExpiredIsRefused550NamingTheDate) {
  prepaid("pre", 5, 30);  // bought 2026-03-10, usable until 2026-04-09 00:00 UTC
  h_.store.clock.set(timestamp("2026-04-08T23:59:59Z"));
  EXPECT_EQ(h_.ask(rcpt("pre", "m1", "r@example.org")), kDunno);
  h_.store.clock.set(timestamp("2026-04-09T00:00:00Z"));
  std::string action = h_.ask(rcpt("pre", "m2", "r@example.org"));
  EXPECT_TRUE(starts_with(action, "550 5.7.1 ")) << action;
  EXPECT_TRUE(mentions(action, "expired on 2026-04-09")) << action;
  EXPECT_FALSE(mentions(action, "used up")) << action;
}

TEST_F(PolicyServiceTest, HourlyLimitDefersTheThirdMessageUntilTheWindowHasRoom) {
  monthly("app1", 100, 2);
  send("app1", "m1", 2);  // 12:00, two recipients: one message
  h_.store.clock.advance(10min);
  send("app1", "m2", 1);  // 12:10
  h_.store.clock.advance(10min);
  std::string third = h_.ask(rcpt("app1", "m3", "r@example.org"));  // 12:20
  EXPECT_TRUE(starts_with(third, "450 4.7.1 ")) << third;
  EXPECT_TRUE(mentions(third, "retry after 2026-03-10T13:00:00Z")) << third;

  h_.store.clock.set(timestamp("2026-03-10T12:59:59Z"));
  EXPECT_TRUE(starts_with(h_.ask(rcpt("app1", "m3", "r@example.org")), "450 4.7.1 "));
  h_.store.clock.set(timestamp("2026-03-10T13:00:00Z"));
  EXPECT_EQ(h_.ask(rcpt("app1", "m3", "r@example.org")), kDunno);
  h_.store.clock.set(timestamp("2026-03-10T12:20:00Z") + 61min);
  EXPECT_EQ(h_.ask(rcpt("app1", "m4", "r@example.org")), kDunno);
}

TEST_F(PolicyServiceTest, MaxRecipientsRefusesTheThirdRecipientOfOneMessage) {
  Account a = monthly("app1", 100, 0, 2);
  EXPECT_EQ(h_.ask(rcpt("app1", "m1", "r1@example.org")), kDunno);
  EXPECT_EQ(h_.ask(rcpt("app1", "m1", "r2@example.org")), kDunno);
  std::string third = h_.ask(rcpt("app1", "m1", "r3@example.org"));
  EXPECT_TRUE(starts_with(third, "452 4.5.3 ")) << third;
  EXPECT_EQ(h_.service.ledger().reserved(a.id), 2u);
  // The limit is per message: another transaction starts afresh.
  EXPECT_EQ(h_.ask(rcpt("app1", "m2", "r3@example.org")), kDunno);
}

TEST_F(PolicyServiceTest, AnAccountWhosePlanIsMissingIsATemporaryFailure) {
  Account a = monthly("app1", 100);
  a.plan = "deleted-plan";
  Status s = h_.store.env->write([&](WriteTxn& txn) { return tables::put_account(txn, a); });
  ASSERT_TRUE(s.has_value()) << s.error().message;
  std::string action = h_.ask(rcpt("app1", "m1", "r@example.org"));
  EXPECT_TRUE(starts_with(action, "451 4.3.0 ")) << action;
  EXPECT_EQ(h_.service.ledger().reserved(a.id), 0u);
}

// Fills the store until not even a one-byte record fits: big records first, then smaller
// ones, then one-byte records in the very tables a charge writes. Each size is written in
// batches that halve when they no longer fit, so few commits are needed. Returns how many
// records fitted.
size_t fill_store(LmdbEnv& env) {
  size_t n = 0;
  auto fill = [&](Db db, const std::string& prefix, size_t size) {
    for (size_t batch = 256; batch > 0;) {
      Status s = env.write([&](WriteTxn& txn) -> Status {
        for (size_t i = 0; i < batch; ++i)
          SENDPOOL_TRY(txn.put(db, prefix + std::to_string(n + i), std::string(size, 'x')));
        return ok_status();
      });
      if (s)
        n += batch;
      else
        batch /= 2;
    }
  };
  for (size_t size : {3000, 1000, 100, 1})
    fill(Db::kReputation, "fill-", size);
  // Keys that no account's counters and no queue ID can collide with.
  fill(Db::kCounters, "~fill-", 1);
  fill(Db::kCharges, "~fill-", 1);
  return n;
}

TEST(PolicyServiceStoreFailureTest, ChargeThatCannotBeCommittedIsATemporaryFailure) {
  Harness h(1 << 20);  // 1 MiB: the catalogue fits, and the filler fills the rest
  Account a = h.store.add_account("app1", make_plan("m100", PlanKind::kMonthly, 100));
  EXPECT_EQ(h.ask(rcpt("app1", "m1", "r1@example.org")), kDunno);
  EXPECT_EQ(h.ask(rcpt("app1", "m1", "r2@example.org")), kDunno);
  ASSERT_GT(fill_store(*h.store.env), 0u);

  std::string action = h.ask(end_of_message("app1", "m1", "QFULL", 2));
  EXPECT_TRUE(starts_with(action, "451 4.3.0 ")) << action;
  EXPECT_EQ(show(h.store.counters(a.id, kToday)), "0/0/0");
  EXPECT_FALSE(h.store.charge("QFULL").has_value());
  EXPECT_EQ(h.service.ledger().reserved(a.id), 0u) << "a deferred message keeps no reservation";

  // The failure was the store being full, reported as such (not some other error).
  Charge probe;
  probe.queue_id = "QPROBE";
  probe.account = a.id;
  probe.day = day_number(kToday);
  probe.charged = 1;
  Status direct = h.store.env->write([&](WriteTxn& txn) { return apply_charge(txn, probe); });
  ASSERT_FALSE(direct.has_value());
  EXPECT_EQ(direct.error().code, ErrorCode::kUnavailable) << direct.error().message;
}

}  // namespace
}  // namespace sendpool::policyd
