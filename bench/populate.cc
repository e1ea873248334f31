// populate: fills a sendpool store with many accounts fast, for the benchmarks only.
//
//   populate --store DIR --accounts N [--first I] [--per-customer 100] [--plan bulk]
//            [--plan-messages 1000000000] [--hourly-limit 1000000000]
//            [--user-prefix acct] [--user-width 6] [--map-size-gib 8]
//
// Creates the plan (when missing), the customers cust<k> (k = index / per-customer) and the
// accounts <prefix><zero-padded index> for index in [first, first+N). Why not sendpoolctl:
// `account add` is one process and one fsync'd transaction per account, and admin's check of
// the customer's account count lists every account of the store, so N adds cost O(N^2)
// decodes (10^5 accounts would take hours). Here customers and the plan still go through
// core/store/admin (the same rules as sendpoolctl); accounts are written with the store's own
// record encoder (tables::put_account, which also writes the id index) in batches of 5,000
// per transaction, the store is opened without fsync per commit and flushed once at the
// end, and the catalogue generation is bumped so running daemons notice. Built against the
// build-bench static libraries by bench/CMakeLists.txt; never part of the product.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/base/civil_time.h"
#include "core/base/clock.h"
#include "core/store/admin.h"
#include "core/store/store.h"
#include "core/store/tables.h"

using namespace sendpool;

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "populate: %s\n", what.c_str());
  std::exit(1);
}

void check(const Status& s, const char* what) {
  if (!s) fail(std::string(what) + ": " + s.error().message);
}

}  // namespace

int main(int argc, char** argv) {
  std::string store, plan_name = "bulk", prefix = "acct";
  uint64_t accounts = 0, first = 0, per_customer = 100, plan_messages = 1'000'000'000ull;
  uint64_t hourly = 1'000'000'000ull, map_gib = 8;
  int width = 6;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) fail(a + " needs a value");
      return argv[++i];
    };
    if (a == "--store")
      store = next();
    else if (a == "--accounts")
      accounts = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--first")
      first = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--per-customer")
      per_customer = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--plan")
      plan_name = next();
    else if (a == "--plan-messages")
      plan_messages = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--hourly-limit")
      hourly = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--user-prefix")
      prefix = next();
    else if (a == "--user-width")
      width = std::atoi(next().c_str());
    else if (a == "--map-size-gib")
      map_gib = std::strtoull(next().c_str(), nullptr, 10);
    else
      fail("unknown option " + a);
  }
  if (store.empty() || accounts == 0 || per_customer == 0)
    fail("--store and --accounts N>0 are required");
  if (accounts > 10'000'000) fail("--accounts is bounded to 10,000,000");

  auto t0 = std::chrono::steady_clock::now();
  auto env = open_store(LmdbOptions{store, map_gib << 30, true, false, 126});
  if (!env) fail(env.error().message);
  LmdbEnv& e = **env;
  SystemClock clock;

  Plan plan;
  plan.name = plan_name;
  plan.kind = PlanKind::kMonthly;
  plan.messages = plan_messages;
  plan.hourly_limit = static_cast<uint32_t>(std::min<uint64_t>(hourly, UINT32_MAX));
  bool have_plan = false;
  check(e.read([&](const ReadTxn& txn) -> Status {
    SENDPOOL_ASSIGN_OR_RETURN(auto p, tables::get_plan(txn, plan_name));
    have_plan = p.has_value();
    return ok_status();
  }),
        "reading the plan");
  if (!have_plan) check(admin::add_plan(e, plan), "adding the plan");

  auto customer_name = [&](uint64_t index) {
    return "cust" + std::to_string(index / per_customer);
  };
  auto username = [&](uint64_t index) {
    char num[32];
    std::snprintf(num, sizeof num, "%0*llu", width, static_cast<unsigned long long>(index));
    return prefix + num;
  };

  // Customers through admin (same rules as sendpoolctl), skipping existing ones.
  for (uint64_t c = first / per_customer; c <= (first + accounts - 1) / per_customer; ++c) {
    Customer cust;
    cust.name = "cust" + std::to_string(c);
    cust.max_accounts = static_cast<uint32_t>(per_customer);
    bool exists = false;
    check(e.read([&](const ReadTxn& txn) -> Status {
      SENDPOOL_ASSIGN_OR_RETURN(auto got, tables::get_customer(txn, cust.name));
      exists = got.has_value();
      return ok_status();
    }),
          "reading a customer");
    if (!exists) check(admin::add_customer(e, cust, clock), "adding a customer");
  }

  constexpr uint64_t kBatch = 5000;
  TimePoint now = clock.now();
  uint64_t written = 0;
  for (uint64_t start = first; start < first + accounts; start += kBatch) {
    uint64_t end = std::min(first + accounts, start + kBatch);
    check(e.write([&](WriteTxn& txn) -> Status {
      for (uint64_t i = start; i < end; ++i) {
        Account a;
        a.username = username(i);
        SENDPOOL_ASSIGN_OR_RETURN(auto existing, tables::get_account(txn, a.username));
        if (existing) continue;
        SENDPOOL_ASSIGN_OR_RETURN(a.id, tables::next_account_id(txn));
        a.customer = customer_name(i);
        a.plan = plan_name;
        a.type = AccountType::kTransactional;
        a.max_domains = 10;
        a.start = day_of(now);
        a.created = now;
        SENDPOOL_TRY(tables::put_account(txn, a));
      }
      return tables::bump_catalog_generation(txn);
    }),
          "writing accounts");
    written += end - start;
  }
  check(e.sync(), "flushing the store");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"accounts\": %llu, \"first\": %llu, \"seconds\": %.3f}\n",
              static_cast<unsigned long long>(written), static_cast<unsigned long long>(first),
              secs);
  return 0;
}
