// Shared by the feedback tests: the corpus (tests/feedback/corpus), the test secret and the
// tokens minted under it (see corpus/README.md), and a temporary store with two accounts.
// Thread-safety: single-threaded test code.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "core/base/civil_time.h"
#include "core/base/clock.h"
#include "core/store/admin.h"
#include "core/store/store.h"

namespace sendpool::testing {

inline constexpr const char* kTestSecret = "feedback-test-secret-0123456789";
inline constexpr const char* kDomain = "bounces.sendpool.test";
inline constexpr int kDay = 0x5137;  // 2026-12-04

// Tokens of the corpus (account 1 unless named otherwise).
inline constexpr const char* kTokenA = "b.1.5137.aaaaaaaa.4duikpefqbtfkchw@bounces.sendpool.test";
inline constexpr const char* kTokenB = "b.1.5137.bbbbbbbb.i5hxqicu6of3hvzt@bounces.sendpool.test";
inline constexpr const char* kTokenC = "b.1.5137.cccccccc.u5orfzdcef3g5mnz@bounces.sendpool.test";
inline constexpr const char* kTokenD = "b.1.5137.dddddddd.ft3snazd7tu5bcu6@bounces.sendpool.test";
inline constexpr const char* kTokenE = "b.1.5137.eeeeeeee.a5kyocm5sptiopre@bounces.sendpool.test";
inline constexpr const char* kTokenF = "b.1.5137.ffffffff.pz45ndkrznt7pxcz@bounces.sendpool.test";
inline constexpr const char* kTokenG = "b.1.5137.gggggggg.idnmoancpliozfjj@bounces.sendpool.test";
inline constexpr const char* kTokenH = "b.1.5137.hhhhhhhh.tyl2x43k7qitc5hk@bounces.sendpool.test";
inline constexpr const char* kTokenI = "b.1.5137.iiiiiiii.hhyombhi46tbirdy@bounces.sendpool.test";
inline constexpr const char* kUnsubscribe2 =
    "u.2.5137.kkkkkkkk.flo6r24vjtj2jfej@bounces.sendpool.test";
inline constexpr const char* kForged = "b.1.5137.zzzzzzzz.yxyokfjrzrsijj7a@bounces.sendpool.test";
inline constexpr const char* kFeedbackLoop = "fbl@bounces.sendpool.test";

inline std::string read_corpus(const std::string& name) {
  std::ifstream in(std::string(SENDPOOL_FEEDBACK_CORPUS) + "/" + name, std::ios::binary);
  if (!in) ADD_FAILURE() << "corpus file missing: " << name;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A fresh store under /tmp with customer acme, plan business and the accounts
// app (id 1, transactional) and news (id 2, promotional).
class FeedbackStore {
 public:
  FeedbackStore() : clock_(start_of(date_from_day_number(kDay)) + std::chrono::hours(20)) {
    std::string tmpl = "/tmp/sendpool-feedback-test-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    LmdbOptions o;
    o.path = dir_ + "/store";
    o.create = true;
    o.map_size = 64ull << 20;
    auto env = open_store(o);
    if (!env) {
      ADD_FAILURE() << env.error().message;
      return;
    }
    env_ = std::move(env).value();
    expect_ok(admin::add_customer(*env_, Customer{"acme", 10, {}}, clock_));
    Plan plan;
    plan.name = "business";
    plan.messages = 1000;
    expect_ok(admin::add_plan(*env_, plan));
    for (auto [user, type] : {std::pair{"app", AccountType::kTransactional},
                              std::pair{"news", AccountType::kPromotional}}) {
      admin::NewAccount a;
      a.username = user;
      a.customer = "acme";
      a.plan = "business";
      a.type = type;
      auto added = admin::add_account(*env_, a, clock_);
      if (!added) ADD_FAILURE() << added.error().message;
    }
  }
  ~FeedbackStore() {
    env_.reset();
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  LmdbEnv& env() { return *env_; }
  const ManualClock& clock() const { return clock_; }

  static void expect_ok(const Status& s) {
    if (!s) ADD_FAILURE() << s.error().message;
  }

 private:
  std::string dir_;
  ManualClock clock_;
  std::unique_ptr<LmdbEnv> env_;
};

}  // namespace sendpool::testing
